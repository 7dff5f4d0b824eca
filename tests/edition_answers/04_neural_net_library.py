"""Answers for the edition of lecture 04 (format: tests/edition_answers/__init__.py).

Alternatives are correct but written differently from the lecture (the draws in a loop,
loops instead of comprehensions, the update written out, ...);
mistakes are the classic ones, each with the diagnosis the check must give.
"""

NEURON_LOOP = '''class Neuron:
    """tanh(w · x + b), the weights drawn in a loop, then the bias, the sum started at it."""

    def __init__(self, nin):
        self.w = []
        for _ in range(nin):
            self.w.append(Value(random.random() * 2 - 1))
        self.b = Value(random.uniform(-1.0, 1.0))

    def __call__(self, x):
        total = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        e = (2 * total).exp()
        return (e - 1) / (e + 1)

    def parameters(self):
        return [self.b] + list(self.w)
'''


def neuron(call="return (self.b + sum(wi * xi for wi, xi in zip(self.w, x))).tanh()",
           parameters="return self.w + [self.b]",
           init="self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]\n"
                "        self.b = Value(random.uniform(-1, 1))"):
    return f'''class Neuron:
    def __init__(self, nin):
        {init}

    def __call__(self, x):
        {call}

    def parameters(self):
        {parameters}
'''


LAYER_LOOPS = '''class Layer:
    def __init__(self, nin, nout):
        self.neurons = []
        for _ in range(nout):
            self.neurons.append(Neuron(nin))

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        if len(outs) == 1:
            return outs[0]
        return outs

    def parameters(self):
        params = []
        for n in self.neurons:
            params.extend(n.parameters())
        return params
'''


def layer(init="self.neurons = [Neuron(nin) for _ in range(nout)]",
          call="outs = [n(x) for n in self.neurons]\n        return outs[0] if len(outs) == 1 "
               "else outs",
          parameters="return [p for n in self.neurons for p in n.parameters()]"):
    return f'''class Layer:
    def __init__(self, nin, nout):
        {init}

    def __call__(self, x):
        {call}

    def parameters(self):
        {parameters}
'''


MLP_ZIP = '''class MLP:
    def __init__(self, nin, nouts):
        sizes = [nin, *nouts]
        self.layers = [Layer(a, b) for a, b in zip(sizes, sizes[1:])]

    def __call__(self, x):
        out = x
        for layer in self.layers:
            out = layer(out)
        return out

    def parameters(self):
        return sum((layer.parameters() for layer in self.layers), [])
'''


def mlp(init="sizes = [nin] + nouts\n        self.layers = [Layer(sizes[i], sizes[i + 1]) "
             "for i in range(len(nouts))]",
        parameters="return [p for layer in self.layers for p in layer.parameters()]"):
    return f'''class MLP:
    def __init__(self, nin, nouts):
        {init}

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        {parameters}
'''


def step(body):
    return "def gradient_step(model, loss_fn, lr):\n" + body


STEP_ZERO_AT_THE_END = step('''    loss = loss_fn(model)
    loss.backward()
    for p in model.parameters():
        p.data = p.data - lr * p.grad
        p.grad = 0
    return float(loss.data)
''')

STEP_WRITTEN_OUT = step('''    params = model.parameters()
    loss = loss_fn(model)
    for p in params:
        p.grad = 0
    loss.backward()
    for p in params:
        p.data = p.data + (-lr) * p.grad
    return float(loss.data)
''')

CHOICE = '''class ChoiceMLP(MLP):
    """hidden layers with `hidden` ("tanh" or "relu"), a tanh output neuron."""

    def __init__(self, nin, nouts, hidden):
        super().__init__(nin, nouts)
        self.hidden = hidden

    def __call__(self, x):
        for i, layer in enumerate(self.layers):
            act = "tanh" if i == len(self.layers) - 1 else self.hidden
            outs = []
            for n in layer.neurons:
                z = n.b
                for w, v in zip(n.w, x):
                    z = z + w * v
                outs.append(z.tanh() if act == "tanh" else z.relu())
            x = outs
        return x[0]


reached = {}
for hidden in ["tanh", "relu"]:
    reached[hidden] = 0
    for seed in range(6):
        random.seed(seed)
        losses = train(ChoiceMLP(3, [4, 4, 1], hidden), dataset_loss, steps=50, lr=0.1)
        if losses[-1] < 0.05:
            reached[hidden] += 1
print(reached)
'''

MEAN = ("def mean_squared_error(model):\n"
        "    return squared_error([model(x) for x in xs], ys) * (1 / len(xs))\n")

ANSWERS = {
    "Neuron": {
        "alternatives": [NEURON_LOOP],
        "mistakes": [
            (neuron(init="self.b = Value(random.uniform(-1, 1))\n"
                         "        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]"),
             "draws the bias before the weights", []),
            (neuron(call="return sum(((wi * xi).tanh() for wi, xi in zip(self.w, x)), self.b)"),
             "tanh is applied to each term", ["without"]),
            (neuron(call="total = self.b\n        for wi, xi in zip(self.w, x):\n"
                         "            total = (total + wi * xi).tanh()\n        return total"),
             "tanh is applied inside the loop, to each running sum", ["each term"]),
            (neuron(call="return self.b + sum(wi * xi for wi, xi in zip(self.w, x))"),
             "without tanh", ["without the bias", "relu"]),
            (neuron(call="return sum(wi * xi for wi, xi in zip(self.w, x)).tanh()"),
             "without the bias", ["without tanh"]),
            (neuron(call="return (self.b + sum(w * v for w, v in zip(self.w, x))).relu()"),
             "relu(w · x + b)", ["without the bias"]),
            (neuron(call="return (self.b + sum(w * v for w, v in zip(self.w, x))).tanh().data"),
             "returned a float", []),
            (neuron(parameters="return self.w"), "leaves out the bias b", ["a list inside"]),
            (neuron(parameters="return [self.w, self.b]"), "a list inside the list",
             ["leaves out"]),
        ],
    },
    "Layer": {
        "alternatives": [LAYER_LOOPS],
        "mistakes": [
            (layer(call="return [n(x) for n in self.neurons]"), "returned a list of one Value",
             []),
            (layer(init="self.neurons = [Neuron(nin)] * nout"), "[Neuron(nin)] * nout", []),
            (layer(init="self.neurons = [Neuron(nout) for _ in range(nin)]"),
             "the arguments are swapped", []),
            (layer(parameters="return [n.parameters() for n in self.neurons]"),
             "a list inside the list", []),
        ],
    },
    "MLP": {
        "alternatives": [MLP_ZIP],
        "mistakes": [
            (mlp(init="sizes = [nin] + nouts\n        self.layers = [Layer(sizes[i], "
                      "sizes[i + 1]) for i in range(len(nouts) - 1)]"),
             "one Layer per entry of nouts", []),
            (mlp(init="self.layers = [Layer(nin, n) for n in nouts]"),
             "the size of the layer before", []),
            (mlp(parameters="return self.layers[0].parameters()"), "leaves out layer 1", []),
            (MLP_ZIP.replace("out = layer(out)", "out = layer(x)"),
             "feeds the original x to every layer", []),
        ],
    },
    "squared_error": {
        "alternatives": [
            "def squared_error(predictions, targets):\n    total = 0\n"
            "    for p, y in zip(predictions, targets):\n        diff = y - p\n"
            "        total = total + diff * diff\n    return total\n",
        ],
        "mistakes": [
            ("def squared_error(predictions, targets):\n"
             "    return sum((p - y) ** 2 for p, y in zip(predictions, targets)) / len(targets)\n",
             "divides by the number of examples", ["without squaring"]),
            ("def squared_error(predictions, targets):\n"
             "    return sum(p - y for p, y in zip(predictions, targets))\n",
             "without squaring", ["divides"]),
            ("def squared_error(predictions, targets):\n"
             "    return sum(p - y for p, y in zip(predictions, targets)) ** 2\n",
             "squares the sum", []),
            ("def squared_error(predictions, targets):\n"
             "    return sum((p - y) ** 2 for p, y in zip(predictions, predictions))\n",
             "pairs a list with itself", []),
            ("def squared_error(predictions, targets):\n"
             "    return sum((p - y) ** 2 for p, y in zip(predictions, targets)).data\n",
             "returned a float", []),
        ],
    },
    "gradient_step": {
        "alternatives": [STEP_WRITTEN_OUT],
        "mistakes": [
            (STEP_ZERO_AT_THE_END, "reset every p.grad to 0 before loss.backward()", ["uphill"]),
            (step('''    loss = loss_fn(model)
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data
'''), "reset every p.grad to 0 before loss.backward()", ["uphill", "did not change"]),
            (step('''    loss = loss_fn(model)
    for p in model.parameters():
        p.grad = 0.0
    loss.backward()
    for p in model.parameters():
        p.data += lr * p.grad
    return loss.data
'''), "uphill", ["reset every"]),
            (step('''    loss = loss_fn(model)
    loss.backward()
    for p in model.parameters():
        p.grad = 0.0
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data
'''), "not between backward() and the update", ["uphill"]),
            (step('''    loss = loss_fn(model)
    for p in model.parameters():
        p.grad = 0.0
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss
'''), "return loss.data, a float", []),
        ],
    },
    "train": {
        "alternatives": [
            "def train(model, loss_fn, steps, lr):\n    losses = []\n"
            "    for _ in range(steps):\n"
            "        losses.append(gradient_step(model, loss_fn, lr))\n    return losses\n",
        ],
        "mistakes": [
            ("def train(model, loss_fn, steps, lr):\n    losses = []\n"
             "    for _ in range(steps):\n        gradient_step(model, loss_fn, lr)\n"
             "        losses.append(loss_fn(model).data)\n    return losses\n",
             "recorded the loss after each update", []),
            ("def train(model, loss_fn, steps, lr):\n"
             "    return [gradient_step(model, loss_fn, lr) for _ in range(steps - 1)]\n",
             "losses; expected", []),
            ("def train(model, loss_fn, steps, lr):\n"
             "    return [gradient_step(model, loss_fn, 0.1) for _ in range(steps)]\n",
             "does not pass its lr on", []),
        ],
    },
    "mean_squared_error": {
        "alternatives": [
            MEAN + "\n\nsum_losses = train(fresh_model(), dataset_loss, steps=50, lr=0.1)\n"
            "mean_lr = 0.1 * len(xs)\n"
            "mean_losses = train(fresh_model(), mean_squared_error, steps=50, lr=mean_lr)\n",
        ],
        "mistakes": [
            (MEAN + "\n\nsum_losses = train(fresh_model(), dataset_loss, steps=50, lr=0.1)\n"
             "mean_lr = 0.1\n"
             "mean_losses = train(fresh_model(), mean_squared_error, steps=50, lr=mean_lr)\n",
             "trained with lr = 0.1, the slower run", ["leaves"]),
            (MEAN + "\n\nsum_losses = train(fresh_model(), dataset_loss, steps=50, lr=0.1)\n"
             "mean_lr = 1.6\n"
             "mean_losses = train(fresh_model(), mean_squared_error, steps=50, lr=mean_lr)\n",
             "leaves the summed run's path", ["slower"]),
            (MEAN + "\n\nsum_losses = train(fresh_model(), dataset_loss, steps=50, lr=0.1)\n"
             "mean_lr = 0.4\nmean_losses = train(fresh_model(), dataset_loss, steps=50, lr=0.4)\n",
             "mean_losses starts at", []),
            ("def mean_squared_error(model):\n    return dataset_loss(model).data / len(xs)\n\n\n"
             "sum_losses = train(fresh_model(), dataset_loss, steps=50, lr=0.1)\n"
             "mean_lr = 0.4\nmean_losses = [loss / 4 for loss in sum_losses]\n",
             "keep it a Value", []),
            (MEAN + "\n\nsum_losses = train(fresh_model(), dataset_loss, steps=50, lr=0.1)\n"
             "mean_lr = 0.1\nmean_losses = [loss / 4 for loss in sum_losses]\n",
             "mean_losses is not what train(fresh_model(), mean_squared_error", []),
            ("def mean_squared_error(model):\n"
             "    return squared_error([model(x) for x in xs], ys)\n\n\n"
             "sum_losses = train(fresh_model(), dataset_loss, steps=50, lr=0.1)\n"
             "mean_lr = 0.4\n"
             "mean_losses = train(fresh_model(), mean_squared_error, steps=50, lr=mean_lr)\n",
             "the summed loss itself", []),
            # written for the current task (mean_lr named): lr divided, not multiplied
            (MEAN + "\n\nsum_losses = train(fresh_model(), dataset_loss, steps=50, lr=0.1)\n"
             "mean_lr = 0.1 / 4\n"
             "mean_losses = train(fresh_model(), mean_squared_error, steps=50, lr=mean_lr)\n",
             "divides lr by 4", []),
            # one model for both runs: the mean run starts where the summed run ended
            (MEAN + "\n\nmodel = fresh_model()\n"
             "sum_losses = train(model, dataset_loss, steps=50, lr=0.1)\n"
             "mean_lr = 0.4\n"
             "mean_losses = train(model, mean_squared_error, steps=50, lr=mean_lr)\n",
             "one shared with the summed run", []),
        ],
    },
    "ChoiceMLP": {
        "alternatives": [CHOICE],
        "mistakes": [
            (CHOICE.replace('act = "tanh" if i == len(self.layers) - 1 else self.hidden',
                            'act = "tanh"'),
             "uses tanh whatever is asked in the hidden layers", []),
            (CHOICE.replace('act = "tanh" if i == len(self.layers) - 1 else self.hidden',
                            'act = self.hidden'),
             "the hidden activation too in the output neuron", []),
            (CHOICE.replace("reached[hidden] += 1", "reached[hidden] += 2"),
             "expected [6, 4], got [12, 8]", []),
            (CHOICE.replace("    for seed in range(6):\n        random.seed(seed)\n",
                            "    random.seed(0)\n    for seed in range(6):\n"),
             "seeds random once before the runs", []),
            (CHOICE.replace("    for seed in range(6):\n        random.seed(seed)\n",
                            "    for seed in range(6):\n")
             .replace("reached = {}\n", "reached = {}\nrandom.seed(0)\n"),
             "seeds random once before the runs", []),
        ],
    },
    "count_parameters": {
        "alternatives": [
            "def count_parameters(nin, nouts):\n    total, n_in = 0, nin\n"
            "    for n_out in nouts:\n        total += (n_in + 1) * n_out\n"
            "        n_in = n_out\n    return total\n",
        ],
        "mistakes": [
            ("def count_parameters(nin, nouts):\n    sizes = [nin] + nouts\n"
             "    return sum(a * b for a, b in zip(sizes, sizes[1:]))\n",
             "counts the weights only", []),
            ("def count_parameters(nin, nouts):\n    sizes = [nin] + nouts\n"
             "    return sum(a * b + a for a, b in zip(sizes, sizes[1:]))\n",
             "adds n_in biases per layer", []),
            ("def count_parameters(nin, nouts):\n"
             "    return sum(a * b + b for a, b in zip(nouts, nouts[1:]))\n",
             "leaves out the first layer", []),
        ],
    },
}
