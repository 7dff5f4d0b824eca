"""Answers for the edition of lecture 05 (format: tests/edition_answers/__init__.py)."""


def loss(body):
    return "def max_margin_loss(scores, targets, parameters, alpha):\n" + body


def tanh_function(forward, backward):
    return f'''class Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = {forward}
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return {backward}
'''


STABLE = "1 - 2 / (torch.exp(2 * x) + 1)"

RELU_WHERE = '''class ReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        positive = x > 0
        ctx.save_for_backward(positive)
        return torch.where(positive, x, torch.zeros_like(x))

    @staticmethod
    def backward(ctx, grad_output):
        (positive,) = ctx.saved_tensors
        return torch.where(positive, grad_output, torch.zeros_like(grad_output))


print(torch.autograd.gradcheck(ReLU.apply, (torch.tensor([-1.5, 0.4, 2.0], dtype=torch.float64,
                                                          requires_grad=True),)))
'''

ANSWERS = {
    "max_margin_loss": {
        "alternatives": [
            loss('''    data_loss = Value(0.0)
    for s, y in zip(scores, targets):
        data_loss = data_loss + (1 - s * y).relu()
    reg = Value(0.0)
    for p in parameters:
        reg = reg + p * p
    return data_loss * (1.0 / len(scores)) + reg * alpha
'''),
            loss('''    total = 0
    for s, t in zip(scores, targets):
        total = total + (1 - s * t).relu()
    l2 = 0
    for p in parameters:
        l2 = l2 + p ** 2
    return total * (1 / len(scores)) + l2 * alpha
'''),
        ],
        "mistakes": [
            (loss('''    data = sum((1 - t * s).relu() for s, t in zip(scores, targets))
    return data + alpha * sum(p * p for p in parameters)
'''), "sums the hinge terms", ["leaves out"]),
            (loss('''    terms = [(1 - t * s).relu() for s, t in zip(scores, targets)]
    return sum(terms) / len(scores)
'''), "leaves out the L2 term", ["sums the hinge"]),
            (loss('''    data = sum((-t * s).relu() for s, t in zip(scores, targets)) / len(scores)
    return data + alpha * sum(p * p for p in parameters)
'''), "a margin of 1", []),
            (loss('''    data = sum((1 - t * s) for s, t in zip(scores, targets)) / len(scores)
    return data + alpha * sum(p * p for p in parameters)
'''), "without relu", []),
            (loss('''    n = len(scores)
    data = sum((1 - t * s).relu() for s, t in zip(scores, targets)) / n
    return data + alpha * sum(parameters) ** 2
'''), "squares the sum of the parameters", []),
            (loss('''    n = len(scores)
    data = sum(max(0, 1 - t * s) for s, t in zip(scores, targets)) / n
    return data + alpha * sum(p * p for p in parameters)
'''), "build max(0, z) as z.relu()", []),
        ],
    },
    "accuracy": {
        "alternatives": [
            "def accuracy(scores, targets):\n"
            "    hits = [1 for s, t in zip(scores, targets) if s.data * t > 0]\n"
            "    return len(hits) / len(scores)\n",
        ],
        "mistakes": [
            ("def accuracy(scores, targets):\n"
             "    return sum(s.data * t > 0 for s, t in zip(scores, targets))\n",
             "divide by the number of points", ["percentage"]),
            ("def accuracy(scores, targets):\n"
             "    right = sum(s.data * t > 0 for s, t in zip(scores, targets))\n"
             "    return 100 * right / len(scores)\n",
             "a percentage", []),
            ("def accuracy(scores, targets):\n"
             "    right = sum(1 for s, t in zip(scores, targets) if s.data * t > 0)\n"
             "    return right // len(scores)\n",
             "divides with //", []),
            ("def accuracy(scores, targets):\n"
             "    right = sum(s.data > 0 == (y > 0) for s, y in zip(scores, targets))\n"
             "    return right / len(scores)\n",
             "chains two comparisons", []),
        ],
    },
    "Tanh": {
        "alternatives": [tanh_function("2 * torch.sigmoid(2 * x) - 1",
                                       "grad_output - grad_output * y ** 2")],
        "mistakes": [
            (tanh_function(STABLE, "grad_output * (1 - x * x)"), "INPUT x", ["local derivative"]),
            (tanh_function(STABLE, "1 - y * y"), "local derivative alone", ["INPUT"]),
            (tanh_function("(torch.exp(2 * x) - 1) / (torch.exp(2 * x) + 1)",
                           "grad_output * (1 - y * y)"), "stays finite", []),
            # parentheses left out: wrong on ordinary inputs, so not an overflow
            (tanh_function("1 - 2 / torch.exp(2 * x) + 1", "grad_output * (1 - y * y)"),
             "differs from tanh in forward", ["overflow"]),
        ],
    },
    "small": {
        "alternatives": [
            "random.seed(1)\nsmall = MLP(2, [8, 1])\n"
            "losses_small, accuracies_small = train(small)\n"
            "small_accuracy = loss_and_accuracy(small)[1]\n"
            "print(len(small.parameters()), small_accuracy)\n",
        ],
        "mistakes": [
            ("random.seed(1)\nsmall = MLP(2, [8, 1])\ntrain(small)\n"
             "small_accuracy = 100 * loss_and_accuracy(small)[1]\n",
             "a percentage", []),
            ("random.seed(1)\nsmall = MLP(2, [8, 1])\ntrain(small)\n"
             "_, small_accuracy = loss_and_accuracy(model)\n",
             "not of another network", ["train it first"]),
            ("random.seed(1)\nsmall = MLP(2, [8, 1])\n"
             "_, small_accuracy = loss_and_accuracy(small)\n",
             "train it first", ["another network"]),
        ],
    },
    "squares": {
        "alternatives": [
            "squares = {}\nfor alpha in (0.0, 0.01):\n    random.seed(1)\n"
            "    net = MLP(2, [8, 8, 1])\n    train(net, alpha=alpha)\n"
            "    squares[alpha] = sum(p.data * p.data for p in net.parameters())\n"
            "print(squares)\n",
        ],
        "mistakes": [
            ("squares = {}\nfor alpha in (0.0, 0.01):\n    random.seed(1)\n"
             "    net = MLP(2, [8, 8, 1])\n    train(net, alpha=alpha)\n"
             "    squares[0.01 - alpha] = sum(p.data ** 2 for p in net.parameters())\n",
             "are swapped", []),
            ("squares = {}\nfor alpha in (0.0, 0.01):\n    random.seed(1)\n"
             "    net = MLP(2, [8, 8, 1])\n"
             "    squares[alpha] = sum(p.data ** 2 for p in net.parameters())\n",
             "the sum of p² at the start", ["swapped"]),
            ("squares = {}\nfor alpha in (0.0, 0.01):\n    random.seed(1)\n"
             "    net = MLP(2, [8, 8, 1])\n    train(net)\n"
             "    squares[alpha] = sum(p.data ** 2 for p in net.parameters())\n",
             "its own alpha", []),
            ("squares = {}\nrandom.seed(1)\nnet = MLP(2, [8, 8, 1])\nfor alpha in (0.0, 0.01):\n"
             "    train(net, alpha=alpha)\n"
             "    squares[alpha] = sum(p.data ** 2 for p in net.parameters())\n",
             "one network trained twice", []),
            ("squares = {}\nfor alpha in (0.0, 0.01):\n    random.seed(1)\n"
             "    net = MLP(2, [8, 8, 1])\n    train(net, alpha=alpha)\n"
             "    squares[alpha] = sum(p.data for p in net.parameters())\n",
             "not squared", []),
        ],
    },
    "ReLU": {
        "alternatives": [RELU_WHERE],
        "mistakes": [
            (RELU_WHERE.replace("return torch.where(positive, grad_output, "
                                "torch.zeros_like(grad_output))", "return grad_output")
             .split("\n\nprint(")[0] + "\n",
             "unchanged", []),
            # right numbers, but the incoming gradient is overwritten
            (RELU_WHERE.replace("return torch.where(positive, grad_output, "
                                "torch.zeros_like(grad_output))",
                                "grad_output[~positive] = 0\n        return grad_output"),
             "`grad_output[~positive] = 0` changes it", []),
        ],
    },
}
