"""helpers.checks.nn: correct answers written in other ways pass, planted mistakes get the
diagnosis that fits them (and not one that does not)."""

# The answers below are written as a learner might, zip() without strict= included.
# ruff: noqa: B905

import math
import random

import pytest
import torch

from helpers.checks import nn as nn_check
from helpers.finished import nn as finished
from helpers.tools import nn as tools_nn
from helpers.tools.engine import Value


def fails(check, *args, says, not_says=()):
    """Run ``check(*args)``; it must raise an AssertionError whose message contains ``says``."""
    with pytest.raises(AssertionError) as info:
        check(*args)
    message = str(info.value)
    print(message)                      # shown with -s, or when the test fails
    assert says in message, message
    for text in not_says:
        assert text not in message, message
    return message


# --- Neuron ------------------------------------------------------------------------------


class LoopNeuron:
    """Correct, written differently: the weights drawn in a loop, then the bias; sum() over a
    generator, Value inputs welcome, parameters as [b] + w."""

    def __init__(self, nin):
        self.w = []
        for _ in range(nin):
            self.w.append(Value(random.random() * 2 - 1))
        self.b = Value(random.uniform(-1.0, 1.0))

    def __call__(self, x):
        return (sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)).tanh()

    def parameters(self):
        return [self.b, *self.w]


class ExpTanhNeuron(LoopNeuron):
    """Correct: tanh from exponentials, the bias added last."""

    def __call__(self, x):
        z = sum(wi * xi for wi, xi in zip(self.w, x, strict=True)) + self.b
        e = (2 * z).exp()
        return (e - 1) / (e + 1)


def neuron_with(call=None, parameters=None, init=None):
    class Mistake(finished.TanhNeuron):
        pass
    if call:
        Mistake.__call__ = call
    if parameters:
        Mistake.parameters = parameters
    if init:
        Mistake.__init__ = init
    return Mistake


def linear_sum(self, x):
    return sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)


@pytest.mark.parametrize("neuron", [finished.TanhNeuron, LoopNeuron, ExpTanhNeuron])
def test_correct_neurons_pass(neuron, capsys):
    state = random.getstate()
    nn_check.check_neuron(neuron)
    assert random.getstate() == state          # the notebook's seeded draws do not move
    assert capsys.readouterr().out.startswith("Neuron: correct")


@pytest.mark.parametrize("mistake, says", [
    (neuron_with(call=linear_sum), "without tanh"),
    (neuron_with(call=lambda self, x: sum(wi * xi for wi, xi in zip(self.w, x)).tanh()),
     "without the bias"),
    (neuron_with(call=lambda self, x: linear_sum(self, x).relu()), "relu(w · x + b)"),
    (neuron_with(call=lambda self, x: Value(math.tanh(linear_sum(self, x).data))),
     "not built from the weights"),
    (neuron_with(call=lambda self, x: linear_sum(self, x).tanh().data), "returned a float"),
    (neuron_with(parameters=lambda self: self.w), "leaves out the bias b"),
    (neuron_with(parameters=lambda self: [self.w, self.b]), "a list inside the list"),
    (neuron_with(parameters=lambda self: [p.data for p in self.w + [self.b]]),
     "not their data"),
    (neuron_with(parameters=lambda self: [Value(p.data) for p in self.w + [self.b]]),
     "not the model's own"),
])
def test_neuron_mistakes_are_diagnosed(mistake, says):
    fails(nn_check.check_neuron, mistake, says=says,
          not_says=["without the bias"] if says != "without the bias" else [])


def test_equal_starting_weights_are_refused():
    def init(self, nin):
        self.w = [Value(0.5) for _ in range(nin)]
        self.b = Value(0.0)
    fails(nn_check.check_neuron, neuron_with(init=init),
          says="the next draws of random.uniform(-1, 1) are")


def draws(order):
    def init(self, nin):
        if order == "bias first":
            self.b = Value(random.uniform(-1, 1))
        shared = random.uniform(-1, 1) if order == "one" else None
        self.w = [Value(shared if shared is not None else random.uniform(-1, 1))
                  for _ in range(nin)]
        if order != "bias first":
            self.b = Value(0.0 if order == "no bias" else random.uniform(-1, 1))
    return neuron_with(init=init)


@pytest.mark.parametrize("order, says", [
    ("bias first", "draws the bias before the weights"),
    ("no bias", "does not draw the bias"),
    ("one", "draws one number and gives it to every weight"),
])
def test_the_order_of_the_draws_is_checked(order, says):
    """Lecture 04's task fixes it (weights, then bias): later counts depend on it."""
    fails(nn_check.check_neuron, draws(order), says=says)


def test_tanh_of_each_term_is_named():
    def call(self, x):
        return sum(((wi * xi).tanh() for wi, xi in zip(self.w, x)), self.b)
    fails(nn_check.check_neuron, neuron_with(call=call), says="tanh is applied to each term")


def running_tanh(start_at_bias):
    def call(self, x):
        total = self.b if start_at_bias else Value(0.0)
        for wi, xi in zip(self.w, x):
            total = (total + wi * xi).tanh()
        return total if start_at_bias else (total + self.b).tanh()
    return neuron_with(call=call)


@pytest.mark.parametrize("start_at_bias", [True, False])
def test_tanh_of_every_running_sum_is_named(start_at_bias):
    fails(nn_check.check_neuron, running_tanh(start_at_bias),
          says="tanh is applied inside the loop, to each running sum", not_says=["each term"])


def test_the_same_message_on_every_run():
    bad = neuron_with(call=lambda self, x: (linear_sum(self, x) * 2).tanh())
    assert fails(nn_check.check_neuron, bad, says="") == fails(nn_check.check_neuron, bad, says="")


def test_a_wrong_output_that_fits_no_known_mistake_says_what_differs():
    bad = neuron_with(call=lambda self, x: (linear_sum(self, x) * 2).tanh())
    message = fails(nn_check.check_neuron, bad, says="the check set the neuron's w and b")
    assert "expected" in message and ", got" in message
    assert "without" not in message


# --- Layer and MLP ---------------------------------------------------------------------------


class LoopLayer:
    """Correct, written with loops and extend."""

    def __init__(self, nin, nout):
        self.neurons = []
        for _ in range(nout):
            self.neurons.append(finished.TanhNeuron(nin))

    def __call__(self, x):
        outs = []
        for n in self.neurons:
            outs.append(n(x))
        if len(outs) == 1:
            return outs[0]
        return outs

    def parameters(self):
        params = []
        for n in self.neurons:
            params.extend(n.parameters())
        return params


def test_correct_layers_pass(capsys):
    nn_check.check_layer(finished.TanhLayer)
    nn_check.check_layer(LoopLayer)
    assert capsys.readouterr().out.count("Layer: correct") == 2


def test_layer_mistakes_are_diagnosed():
    class ListOfOne(LoopLayer):
        def __call__(self, x):
            return [n(x) for n in self.neurons]
    fails(nn_check.check_layer, ListOfOne, says="returned a list of one Value")

    class SameNeuron(LoopLayer):
        def __init__(self, nin, nout):
            self.neurons = [finished.TanhNeuron(nin)] * nout
    fails(nn_check.check_layer, SameNeuron, says="[Neuron(nin)] * nout")

    class Nested(LoopLayer):
        def parameters(self):
            return [n.parameters() for n in self.neurons]
    fails(nn_check.check_layer, Nested, says="a list inside the list")

    class FirstNeuronOnly(LoopLayer):
        def parameters(self):
            return self.neurons[0].parameters()
    fails(nn_check.check_layer, FirstNeuronOnly, says="leaves out neuron 1")

    class Swapped(LoopLayer):
        def __init__(self, nin, nout):
            self.neurons = [finished.TanhNeuron(nout) for _ in range(nin)]
    fails(nn_check.check_layer, Swapped, says="the arguments are swapped")


class ZipMLP:
    """Correct, written with zip over the sizes."""

    def __init__(self, nin, nouts):
        sizes = [nin, *nouts]
        self.layers = [finished.TanhLayer(a, b) for a, b in zip(sizes, sizes[1:])]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return sum((layer.parameters() for layer in self.layers), [])


def test_correct_mlps_pass(capsys):
    nn_check.check_mlp(finished.TanhMLP)
    nn_check.check_mlp(ZipMLP)
    assert capsys.readouterr().out.count("MLP: correct") == 2


def test_mlp_mistakes_are_diagnosed():
    class NoLastLayer(ZipMLP):
        def __init__(self, nin, nouts):
            sizes = [nin, *nouts]
            self.layers = [finished.TanhLayer(sizes[i], sizes[i + 1])
                           for i in range(len(nouts) - 1)]
    fails(nn_check.check_mlp, NoLastLayer, says="one Layer per entry of nouts")

    class SameInputs(ZipMLP):
        def __init__(self, nin, nouts):
            self.layers = [finished.TanhLayer(nin, n) for n in nouts]
    fails(nn_check.check_mlp, SameInputs, says="the size of the layer before")

    class FirstLayerParameters(ZipMLP):
        def parameters(self):
            return self.layers[0].parameters()
    fails(nn_check.check_mlp, FirstLayerParameters, says="leaves out layer 1")

    class NotChained(ZipMLP):
        def __call__(self, x):
            return self.layers[-1]([1.0] * len(self.layers[-1].neurons[0].w))
    fails(nn_check.check_mlp, NotChained, says="its layers applied in turn")

    class SameX(ZipMLP):
        def __call__(self, x):
            for layer in self.layers:
                out = layer(x)
            return out
    fails(nn_check.check_mlp, SameX, says="feeds the original x to every layer")


# --- the loss, the step, the loop -------------------------------------------------------------


@pytest.mark.parametrize("answer", [
    finished.squared_error,
    lambda ps, ys: sum([(y - p) ** 2 for p, y in zip(ps, ys)], Value(0.0)),
    lambda ps, ys: sum((p - y) * (p - y) for p, y in zip(ps, ys)),
])
def test_correct_squared_errors_pass(answer, capsys):
    nn_check.check_squared_error(answer)
    assert capsys.readouterr().out.startswith("squared_error: correct")


@pytest.mark.parametrize("mistake, says", [
    (lambda ps, ys: sum((p - y) ** 2 for p, y in zip(ps, ys)) / len(ps), "divides by the number"),
    (lambda ps, ys: sum(p - y for p, y in zip(ps, ys)), "without squaring"),
    (lambda ps, ys: sum((p - y) ** 2 for p, y in zip(ps, ys)).data, "returned a float"),
    (lambda ps, ys: Value(sum((p.data - y) ** 2 for p, y in zip(ps, ys))),
     "no gradient reaches the predictions"),
    (lambda ps, ys: sum((p - y) ** 2 for p, y in zip(ps[1:], ys[1:])) + 0 * ps[0],
     "expected"),
    (lambda ps, ys: sum(p - y for p, y in zip(ps, ys)) ** 2, "squares the sum"),
    (lambda ps, ys: sum((p - y) * 2 for p, y in zip(ps, ys)), "doubles each difference"),
    (lambda ps, ys: sum((p - y) ** 2 for p, y in zip(ps, ps)), "pairs a list with itself"),
    (lambda ps, ys: sum(((p - y) ** 2 for p, y in zip(ys, ys)), Value(0.0)),
     "pairs a list with itself"),
])
def test_squared_error_mistakes_are_diagnosed(mistake, says):
    fails(nn_check.check_squared_error, mistake, says=says)


def step_zero_at_the_end(model, loss_fn, lr):
    """Wrong: the gradients are reset after the update, so what .grad held on entry (from an
    earlier backward()) goes into the first update."""
    loss = loss_fn(model)
    loss.backward()
    for p in model.parameters():
        p.data += -lr * p.grad
        p.grad = 0
    return float(loss.data)


def step(zero=True, sign=-1, scale=True, backward=True, zero_after_backward=False,
         ret="data", only=None):
    """A gradient step with one planted mistake."""
    def gradient_step(model, loss_fn, lr):
        loss = loss_fn(model)
        if zero:
            for p in model.parameters():
                p.grad = 0.0
        if backward:
            loss.backward()
        if zero_after_backward:
            for p in model.parameters():
                p.grad = 0.0
        params = model.parameters() if only is None else only(model)
        for p in params:
            p.data += sign * (lr if scale else 1) * p.grad
        return {"data": loss.data, "value": loss, "none": None,
                "after": loss_fn(model).data}[ret]
    return gradient_step


def step_in_other_words(model, loss_fn, lr):
    params = model.parameters()
    loss = loss_fn(model)
    for p in params:
        p.grad = 0
    loss.backward()
    for p in params:
        p.data = p.data + (-lr) * p.grad
    return float(loss.data)


@pytest.mark.parametrize("answer", [finished.gradient_step, step_in_other_words])
def test_correct_gradient_steps_pass(answer, capsys):
    nn_check.check_gradient_step(answer)
    assert capsys.readouterr().out.startswith("gradient_step: correct")


@pytest.mark.parametrize("mistake, says, not_says", [
    (step(zero=False), "reset every p.grad to 0 before loss.backward()", ["uphill"]),
    (step_zero_at_the_end, "reset every p.grad to 0 before loss.backward()", ["uphill"]),
    (step(sign=+1), "uphill", ["reset every"]),
    (step(scale=False), "multiply the gradient by lr", ["reset every"]),
    (step(backward=False), "call loss.backward() before the update", ["reset every"]),
    (step(zero_after_backward=True), "not between backward() and the update", []),
    (step(ret="value"), "return loss.data, a float", []),
    (step(ret="none"), "returned None", []),
    (step(ret="after"), "returned the loss after the update", []),
    (step(only=lambda m: [p for layer in m.layers for n in layer.neurons for p in n.w]),
     "did not update the biases", ["reset every"]),
])
def test_gradient_step_mistakes_are_diagnosed(mistake, says, not_says):
    fails(nn_check.check_gradient_step, mistake, says=says, not_says=not_says)


def test_a_learning_rate_written_into_the_step_is_named():
    def fixed(model, loss_fn, lr):
        return finished.gradient_step(model, loss_fn, 0.1)
    fails(nn_check.check_gradient_step, fixed, says="-0.1 * p.grad, whatever lr it was given")

    def half(model, loss_fn, lr):
        return finished.gradient_step(model, loss_fn, lr / 2)
    fails(nn_check.check_gradient_step, half, says="half the step",
          not_says=["whatever lr", "reset"])

    def fixed_train(model, loss_fn, steps, lr):
        return [finished.gradient_step(model, loss_fn, 0.1) for _ in range(steps)]
    fails(nn_check.check_train, fixed_train, says="does not pass its lr on")


def test_a_step_that_calls_zero_grad_is_told_how_lecture_04_resets():
    def with_zero_grad(model, loss_fn, lr):
        loss = loss_fn(model)
        model.zero_grad()
        loss.backward()
        return loss.data
    fails(nn_check.check_gradient_step, with_zero_grad, says="lecture 04's MLP has no zero_grad")


def train_with_loop(model, loss_fn, steps, lr):
    losses = []
    for _ in range(steps):
        losses.append(finished.gradient_step(model, loss_fn, lr))
    return losses


@pytest.mark.parametrize("answer", [finished.train, train_with_loop])
def test_correct_trains_pass(answer, capsys):
    nn_check.check_train(answer)
    assert capsys.readouterr().out.startswith("train: correct")


def test_train_mistakes_are_diagnosed():
    def after_update(model, loss_fn, steps, lr):
        losses = []
        for _ in range(steps):
            finished.gradient_step(model, loss_fn, lr)
            losses.append(loss_fn(model).data)
        return losses
    fails(nn_check.check_train, after_update, says="recorded the loss after each update")

    def values(model, loss_fn, steps, lr):
        out = []
        for _ in range(steps):
            out.append(loss_fn(model))
            finished.gradient_step(model, loss_fn, lr)
        return out
    fails(nn_check.check_train, values, says="collect the floats")

    def one_step_short(model, loss_fn, steps, lr):
        return finished.train(model, loss_fn, steps - 1, lr)
    fails(nn_check.check_train, one_step_short, says="losses; expected")


def test_reached_is_recounted_with_the_learners_network(capsys):
    class ChoiceMLP:
        def __init__(self, nin, nouts, hidden):
            self.mlp = finished.TanhMLP(nin, nouts)
            self.layers, self.hidden = self.mlp.layers, hidden

        def __call__(self, x):
            for i, layer in enumerate(self.layers):
                z = [sum((w * v for w, v in zip(n.w, x)), n.b) for n in layer.neurons]
                last = i == len(self.layers) - 1
                x = [v.tanh() if last or self.hidden == "tanh" else v.relu() for v in z]
            return x[0]

        def parameters(self):
            return self.mlp.parameters()

    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]

    def loss_fn(model):
        return finished.squared_error([model(x) for x in xs], ys)

    seeds = range(2)
    counts = {}
    for hidden in ("tanh", "relu"):
        counts[hidden] = 0
        for seed in seeds:
            random.seed(seed)
            counts[hidden] += finished.train(ChoiceMLP(3, [4, 4, 1], hidden), loss_fn, 50,
                                             0.1)[-1] < 0.05
    nn_check.check_reached(counts, ChoiceMLP, loss_fn, finished.train, seeds=seeds)
    assert capsys.readouterr().out.startswith("reached: correct")
    wrong = dict(counts, relu=counts["relu"] + 5)
    fails(nn_check.check_reached, wrong, ChoiceMLP, loss_fn, finished.train, seeds,
          says="expected [")
    for per_activation in (False, True):     # random seeded once, not before each run
        once = {}
        random.seed(0)
        for hidden in ("tanh", "relu"):
            if per_activation:
                random.seed(0)
            once[hidden] = sum(finished.train(ChoiceMLP(3, [4, 4, 1], hidden), loss_fn, 50,
                                              0.1)[-1] < 0.05 for _ in range(6))
        fails(nn_check.check_reached, once, ChoiceMLP, loss_fn, finished.train,
              says="seeds random once before the runs")
    failed = {h: len(seeds) - c for h, c in counts.items()}
    fails(nn_check.check_reached, failed, ChoiceMLP, loss_fn, finished.train, seeds,
          says="counts the runs that did NOT end below it")

    class AllTanh(ChoiceMLP):
        def __init__(self, nin, nouts, hidden):
            super().__init__(nin, nouts, "tanh")
    fails(nn_check.check_reached, counts, AllTanh, loss_fn, finished.train, seeds,
          says="uses tanh whatever is asked in the hidden layers")

    class ReluOut(ChoiceMLP):
        def __call__(self, x):
            for layer in self.layers:
                z = [sum((w * v for w, v in zip(n.w, x)), n.b) for n in layer.neurons]
                x = [v.tanh() if self.hidden == "tanh" else v.relu() for v in z]
            return x[0]
    fails(nn_check.check_reached, counts, ReluOut, loss_fn, finished.train, seeds,
          says="the hidden activation too in the output neuron")
    fails(nn_check.check_reached, [6, 4], ChoiceMLP, loss_fn, finished.train, seeds,
          says="a dict with the keys")


def test_the_same_path_is_recomputed_and_wrong_learning_rates_are_named(capsys):
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]

    def fresh_model():
        model = finished.TanhMLP(3, [4, 1])
        rng = random.Random(3)
        for p in model.parameters():
            p.data = rng.uniform(-1, 1)
        return model

    def summed(model):
        return finished.squared_error([model(x) for x in xs], ys)

    def mean(model):                     # written another way: a sum of quarters
        return sum(((model(x) - y) ** 2 * 0.25 for x, y in zip(xs, ys)), Value(0.0))

    def run(loss_fn, lr, steps=8):
        return finished.train(fresh_model(), loss_fn, steps, lr)

    def check(sums, means, mean_lr=None):
        nn_check.check_same_path(means, mean_lr, fresh_model, summed, finished.train,
                                 n_examples=4, steps=8, mean_loss=mean, sum_losses=sums)

    sums = run(summed, 0.1)
    check(sums, run(mean, 0.4))
    check(sums, run(mean, 0.4), 0.4)
    assert capsys.readouterr().out.count("mean_losses, mean_lr: correct") == 2
    # the mean run is redone with mean_lr: numbers made from the summed run are refused
    fails(check, sums, [v / 4 for v in sums], 0.1, says="is not what train(fresh_model()")
    fails(check, sums, run(mean, 0.1), 0.1, says="trained with lr = 0.1, the slower run")
    fails(check, sums, run(mean, 0.025), 0.025, says="divides lr by 4")
    fails(check, sums, run(mean, 0.1), says="trained with lr = 0.1, the slower run")
    fails(check, sums, run(mean, 0.2), says="leaves the summed run's path at step 1",
          not_says=["slower"])
    fails(check, sums, sums, says="mean_losses equals the summed run's losses")
    fails(check, sums, [], says="mean_losses has 0 losses")
    fails(check, run(summed, 0.2), run(mean, 0.8), says="sum_losses differs")
    fails(check, sums, [v / 4 for v in run(summed, 0.1, steps=9)[1:]],
          says="mean_losses starts at")


# --- lecture 05 -----------------------------------------------------------------------------------


def margin_loss(mean=True, l2="square", relu_at=1, reg_data=False, sign=-1):
    def max_margin_loss(scores, targets, parameters, alpha):
        terms = [(relu_at + sign * t * s).relu() for s, t in zip(scores, targets)]
        data = sum(terms) / len(terms) if mean else sum(terms)
        if l2 is None:
            return data
        reg = {"square": lambda p: p * p, "abs": lambda p: p.relu() + (-p).relu(),
               "plain": lambda p: p, "data": lambda p: p.data ** 2}[l2]
        return data + alpha * sum((reg(p) for p in parameters), Value(0.0))
    return max_margin_loss


def hinge_with_loops(scores, targets, parameters, alpha):
    """Correct, written differently: max() through a comparison, the L2 via **2."""
    total = Value(0.0)
    for s, t in zip(scores, targets):
        m = 1 - s * t
        total = total + (m if m.data > 0 else m * 0)
    return total * (1 / len(scores)) + sum(p**2 for p in parameters) * alpha


@pytest.mark.parametrize("answer", [finished.max_margin_loss, hinge_with_loops])
def test_correct_margin_losses_pass(answer, capsys):
    nn_check.check_max_margin_loss(answer)
    assert capsys.readouterr().out.startswith("max_margin_loss: correct")


@pytest.mark.parametrize("mistake, says", [
    (margin_loss(mean=False), "sums the hinge terms"),
    (margin_loss(l2=None), "leaves out the L2 term"),
    (margin_loss(l2="abs"), "alpha * |p|"),
    (margin_loss(l2="plain"), "square it"),
    (margin_loss(l2="data"), "no gradient reaches the parameters"),
    (margin_loss(relu_at=0), "a margin of 1"),
    (margin_loss(sign=+1), "sign of the product is flipped"),
])
def test_margin_loss_mistakes_are_diagnosed(mistake, says):
    fails(nn_check.check_max_margin_loss, mistake, says=says)


def test_a_margin_loss_without_relu_is_diagnosed():
    def no_relu(scores, targets, parameters, alpha):
        return (sum(1 - t * s for s, t in zip(scores, targets)) / len(scores)
                + alpha * sum(p * p for p in parameters))
    fails(nn_check.check_max_margin_loss, no_relu, says="without relu")


@pytest.mark.parametrize("answer", [
    finished.accuracy,
    lambda ss, ts: sum(1 for s, t in zip(ss, ts) if s.data * t > 0) / len(ts),
])
def test_correct_accuracies_pass(answer, capsys):
    nn_check.check_accuracy(answer)
    assert capsys.readouterr().out.startswith("accuracy: correct")


@pytest.mark.parametrize("mistake, says", [
    (lambda ss, ts: sum(s.data * t > 0 for s, t in zip(ss, ts)), "divide by the number"),
    (lambda ss, ts: 100 * sum(s.data * t > 0 for s, t in zip(ss, ts)) / len(ts), "percentage"),
    (lambda ss, ts: sum(s.data * t < 0 for s, t in zip(ss, ts)) / len(ts), "classified WRONG"),
    (lambda ss, ts: Value(0.5), "returned a Value"),
    (lambda ss, ts: sum(s.data > 0 for s in ss) / len(ts), "counts the positive scores"),
    (lambda ss, ts: sum(s.data * t > 0 for s, t in zip(ss, ts)) // len(ts), "divides with //"),
    (lambda ss, ts: sum(round(s.data) == t for s, t in zip(ss, ts)) / len(ts), "rounded score"),
    (lambda ss, ts: sum(s.data * t > 0.5 for s, t in zip(ss, ts)) / len(ts), "expected"),
    (lambda ss, ts: sum(s.data > 0 == (t > 0) for s, t in zip(ss, ts)) / len(ts),
     "chains two comparisons: Python reads `s.data > 0 == (y > 0)` as `(s.data > 0) and "
     "(0 == (y > 0))`"),
    (lambda ss, ts: sum(t > 0 == (s.data > 0) for s, t in zip(ss, ts)) / len(ts),
     "chains two comparisons: Python reads `y > 0 == (s.data > 0)` as `(y > 0) and "
     "(0 == (s.data > 0))`"),
])
def test_accuracy_mistakes_are_diagnosed(mistake, says):
    fails(nn_check.check_accuracy, mistake, says=says)


def tanh_function(forward, backward):
    class Tanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = forward(x)
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            x, y = ctx.saved_tensors
            return backward(x, y, grad_output)
    return Tanh




def test_correct_functions_pass(capsys):
    nn_check.check_function(tanh_function(lambda x: 1 - 2 / (torch.exp(2 * x) + 1),
                                          lambda x, y, g: g * (1 - y**2)), torch.tanh)
    nn_check.check_function(tanh_function(torch.tanh, lambda x, y, g: g - g * y * y), torch.tanh)

    class ReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return torch.where(x > 0, grad_output, torch.zeros_like(grad_output))
    nn_check.check_function(ReLU, torch.relu, away_from=0.0)
    assert capsys.readouterr().out.count("correct") == 3


@pytest.mark.parametrize("forward, backward, says", [
    (lambda x: 1 - 2 / (torch.exp(2 * x) + 1), lambda x, y, g: 1 - y * y,
     "local derivative alone"),
    (lambda x: 1 - 2 / (torch.exp(2 * x) + 1), lambda x, y, g: g * (1 - x * x), "INPUT x"),
    (lambda x: 1 - 2 / (torch.exp(2 * x) + 1), lambda x, y, g: g, "unchanged"),
    (lambda x: (torch.exp(2 * x) - 1) / (torch.exp(2 * x) + 1), lambda x, y, g: g * (1 - y * y),
     "stays finite"),
    (lambda x: torch.tanh(x), lambda x, y, g: g * (1 + y * y),
     "differs from the gradient of torch.tanh"),
    (lambda x: torch.tanh(x), lambda x, y, g: g * (1 - y) ** 2, "(1 - y)²"),
    (lambda x: torch.tanh(x / 2), lambda x, y, g: g * (1 - y * y), "tanh(x / 2)"),
])
def test_function_mistakes_are_diagnosed(forward, backward, says):
    fails(nn_check.check_function, tanh_function(forward, backward), torch.tanh, says=says)


def test_an_overflow_is_named_only_where_ordinary_inputs_are_right():
    """1 - 2 / exp(2x) + 1 (parentheses left out) is wrong everywhere, and gives -inf at
    x = -1000 too: what differs on ordinary inputs is what it is told."""
    fails(nn_check.check_function, tanh_function(lambda x: 1 - 2 / torch.exp(2 * x) + 1,
                                                 lambda x, y, g: g * (1 - y * y)), torch.tanh,
          says="differs from tanh in forward on x = [", not_says=["overflow"])


def relu_function(forward, backward):
    class ReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return forward(x)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return backward(x, grad_output)
    return ReLU


def masked_in_place(x, g):
    g[x <= 0] = 0
    return g


def clamped_saved_x(x, g):
    mask = (x > 0).to(g.dtype)
    x.clamp_(min=0)
    return g * mask


@pytest.mark.parametrize("forward, backward, says", [
    (lambda x: x.clamp(min=0), masked_in_place, "backward changed grad_output in place"),
    (lambda x: x.clamp(min=0), lambda x, g: g.mul_((x > 0).to(g.dtype)),
     "backward changed grad_output in place"),
    (lambda x: x.clamp(min=0), clamped_saved_x, "backward changed x in place"),
    (lambda x: x.clamp_(min=0), lambda x, g: g * (x > 0).to(g.dtype),
     "forward changed x in place"),
])
def test_inputs_changed_in_place_are_named(forward, backward, says):
    """Right numbers, but the function overwrites a tensor it was given (autograd hands
    backward the incoming gradient itself, which other parts of a graph may share)."""
    fails(nn_check.check_function, relu_function(forward, backward), torch.relu, 0.0, says=says)


def test_a_saved_mask_is_fine_and_grad_output_is_still_watched(capsys):
    class ReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            positive = x > 0
            ctx.save_for_backward(positive)
            return torch.where(positive, x, torch.zeros_like(x))

        @staticmethod
        def backward(ctx, grad_output):
            (positive,) = ctx.saved_tensors
            return torch.where(positive, grad_output, torch.zeros_like(grad_output))
    nn_check.check_function(ReLU, torch.relu, away_from=0.0)
    assert capsys.readouterr().out.startswith("ReLU: correct")

    def in_place(ctx, grad_output):
        (positive,) = ctx.saved_tensors
        grad_output[~positive] = 0
        return grad_output
    ReLU.backward = staticmethod(in_place)
    fails(nn_check.check_function, ReLU, torch.relu, 0.0,
          says="changed grad_output in place: `grad_output[~positive] = 0` changes it")


def test_a_saved_float_mask_is_the_learners_own_to_change():
    """Only x, y and grad_output are guarded: a float mask saved in forward and multiplied in
    place in backward gives the right gradient; what refuses it is gradcheck, whose second
    backward on the same graph autograd will not run, and that is what is said."""
    class ReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            mask = (x > 0).to(x.dtype)
            ctx.save_for_backward(mask)
            return x * mask

        @staticmethod
        def backward(ctx, grad_output):
            (mask,) = ctx.saved_tensors
            return mask.mul_(grad_output)
    fails(nn_check.check_function, ReLU, torch.relu, 0.0,
          says="gradcheck runs backward more than once on one graph; compute a new tensor "
               "instead, mask * grad_output", not_says=["changed ctx.saved_tensors"])


def test_the_mean_loss_function_of_exercise_1_is_checked_too(capsys):
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]

    def fresh_model():
        model = finished.TanhMLP(3, [4, 1])
        rng = random.Random(3)
        for p in model.parameters():
            p.data = rng.uniform(-1, 1)
        return model

    def summed(model):
        return finished.squared_error([model(x) for x in xs], ys)

    def mean(model):
        return summed(model) / len(xs)

    sums = finished.train(fresh_model(), summed, 8, 0.1)
    means = finished.train(fresh_model(), mean, 8, 0.4)

    def check(mean_loss):
        nn_check.check_same_path(means, 0.4, fresh_model, summed, finished.train,
                                 n_examples=4, steps=8, mean_loss=mean_loss, sum_losses=sums)

    check(mean)
    assert capsys.readouterr().out.startswith("mean_losses, mean_lr: correct")
    fails(check, lambda model: mean(model).data, says="keep it a Value")
    fails(check, summed, says="the summed loss itself")
    fails(check, lambda model: summed(model) / 2, says="the mean of the 4 squared errors is")


# --- exercise 3 of lecture 04, exercises 1 and 2 of lecture 05 --------------------------------


def count_by_loop(nin, nouts):
    total, n_in = 0, nin
    for n_out in nouts:
        total += (n_in + 1) * n_out
        n_in = n_out
    return total


def test_count_parameters_is_compared_with_the_built_network(capsys):
    nn_check.check_count_parameters(count_by_loop, finished.TanhMLP)
    assert capsys.readouterr().out.startswith("count_parameters: correct")

    def pairs(nin, nouts):
        return list(zip([nin] + nouts, nouts))

    check = nn_check.check_count_parameters
    fails(check, lambda nin, nouts: sum(a * b for a, b in pairs(nin, nouts)), finished.TanhMLP,
          says="counts the weights only")
    fails(check, lambda nin, nouts: sum(a * b + a for a, b in pairs(nin, nouts)),
          finished.TanhMLP, says="adds n_in biases per layer")
    fails(check, lambda nin, nouts: sum(a * b + b for a, b in pairs(nin, nouts)[1:]),
          finished.TanhMLP, says="leaves out the first layer")
    fails(check, lambda nin, nouts: count_by_loop(nin, nouts) + 1, finished.TanhMLP,
          says="add up, layer by layer", not_says=["weights only"])
    fails(check, lambda nin, nouts: float(count_by_loop(nin, nouts)), finished.TanhMLP,
          says="return an int")
    fails(check, lambda nin, nouts: str(count_by_loop(nin, nouts)), finished.TanhMLP,
          says="returned a str")


@pytest.fixture(scope="module")
def moons():
    from helpers.tools.data import make_moons

    X, labels = make_moons(30, noise=0.1, seed=1)
    return X.tolist(), [float(2 * t - 1) for t in labels]


def trainer(inputs, targets, steps=60):
    """The lecture's train(model, alpha=...), shortened: full-batch steps on the moons."""
    def train(net, alpha=1e-4):
        for k in range(steps):
            loss = finished.max_margin_loss([net(x) for x in inputs], targets, net.parameters(),
                                            alpha)
            net.zero_grad()
            loss.backward()
            for p in net.parameters():
                p.data -= (1.0 - 0.9 * k / 100) * p.grad
    return train


def trained(nouts, train, seed=1, times=1):
    state = random.getstate()
    if seed is not None:
        random.seed(seed)
    net = tools_nn.MLP(2, nouts)
    random.setstate(state)
    for _ in range(times):
        train(net)
    return net


def test_small_is_redone_from_the_seed_and_its_accuracy_recounted(moons, capsys):
    inputs, targets = moons
    train = trainer(inputs, targets)

    def accuracy_of(net):
        return sum((net(x).data > 0) == (t > 0) for x, t in zip(inputs, targets)) / len(targets)

    def check(small, accuracy=None):
        accuracy = accuracy_of(small) if accuracy is None else accuracy
        nn_check.check_small(small, accuracy, inputs, targets, train)

    small = trained([8, 1], train)
    accuracy = accuracy_of(small)
    assert 0.9 <= accuracy < 1.0
    check(small)
    assert capsys.readouterr().out.startswith("small, small_accuracy: correct")
    fails(check, small, 1.0, says="not of another network")
    fails(check, small, 100 * accuracy, says="a percentage")
    fails(check, small, (Value(0.1), accuracy), says="keep the second")
    fails(check, small, Value(accuracy), says="expected the accuracy")
    fails(check, trained([16, 1], trainer(inputs, targets, steps=5)), accuracy,
          says="MLP(2, [8, 1]) has 33")
    fails(check, 0.9, accuracy, says="keep the network itself")
    fails(check, trained([8, 1], train, times=0), says="train it first")
    # another start (random not seeded right before it was built): the run is redone
    random.seed(5)
    fails(check, trained([8, 1], train, seed=None),
          says="check the seed right before MLP(2, [8, 1]) and any argument you gave train",
          not_says=["twice"])
    fails(check, trained([8, 1], train, times=2), says="small was trained twice")


def test_squares_are_recomputed_with_the_learners_train(moons, capsys):
    inputs, targets = moons
    train = trainer(inputs, targets, steps=8)

    def squares(f=lambda ps: sum(p * p for p in ps), alphas=(0.0, 0.01), seed=1, net=None):
        out = {}
        for alpha, key in zip(alphas, (0.0, 0.01)):
            if net is None or seed is not None:
                random.seed(seed)
                model = tools_nn.MLP(2, [4, 4, 1])
            model = net or model
            if alpha is not None:
                train(model, alpha)
            out[key] = f([p.data for p in model.parameters()])
        return out

    def check(value):
        nn_check.check_squares(value, train, nouts=(4, 4, 1))

    state = random.getstate()
    right = squares()
    check(right)
    assert capsys.readouterr().out.startswith("squares: correct")
    fails(check, {0.0: right[0.01], 0.01: right[0.0]}, says="are swapped")
    fails(check, squares(alphas=(None, None)), says="the sum of p² at the start")
    fails(check, squares(alphas=(0.0, 0.0)), says="trained with one alpha")
    fails(check, squares(f=sum), says="hold Σ p, the parameters not squared")
    fails(check, squares(f=lambda ps: sum(ps) ** 2), says="hold (Σ p)², the square of the sum")
    random.seed(1)                       # seeded once: the second network starts elsewhere
    once = {}
    for alpha in (0.0, 0.01):
        net = tools_nn.MLP(2, [4, 4, 1])
        train(net, alpha)
        once[alpha] = sum(p.data ** 2 for p in net.parameters())
    fails(check, once, says="after ONE random.seed(1)", not_says=["twice"])
    random.seed(1)
    shared = tools_nn.MLP(2, [4, 4, 1])
    fails(check, squares(net=shared, seed=None), says="one network trained twice")
    fails(check, {0.0: right[0.0] + 1, 0.01: right[0.01]}, says="expected [")
    fails(check, [1.0, 2.0], says="a dict with the keys 0.0 and 0.01")
    fails(check, {0: 1.0, 1: 2.0}, says="got [0, 1]")
    fails(check, {0.0: Value(45.8), 0.01: 15.9}, says="store a plain number")
    random.setstate(state)


def test_the_checks_accept_networks_built_on_another_value_class(capsys):
    """An exercise edition may build lecture 04's classes on the learner's own Value from
    lecture 03 (closures, no __slots__): helpers.finished.value.Value has that interface."""
    from helpers.finished import value as finished_value

    class Neuron:
        def __init__(self, nin):
            self.w = [finished_value.Value(random.uniform(-1, 1)) for _ in range(nin)]
            self.b = finished_value.Value(random.uniform(-1, 1))

        def __call__(self, x):
            total = self.b
            for wi, xi in zip(self.w, x):
                total = total + wi * xi
            return total.tanh()

        def parameters(self):
            return self.w + [self.b]

    class Layer:
        def __init__(self, nin, nout):
            self.neurons = [Neuron(nin) for _ in range(nout)]

        def __call__(self, x):
            outs = [n(x) for n in self.neurons]
            return outs[0] if len(outs) == 1 else outs

        def parameters(self):
            return [p for n in self.neurons for p in n.parameters()]

    class MLP:
        def __init__(self, nin, nouts):
            sizes = [nin] + nouts
            self.layers = [Layer(a, b) for a, b in zip(sizes, sizes[1:])]

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

        def parameters(self):
            return [p for layer in self.layers for p in layer.parameters()]

    nn_check.check_neuron(Neuron)
    nn_check.check_layer(Layer)
    nn_check.check_mlp(MLP)
    nn_check.check_count_parameters(count_by_loop, MLP)
    out = capsys.readouterr().out
    assert out.count(": correct") == 4, out

    class FloatWeights(Neuron):
        def __init__(self, nin):
            super().__init__(nin)
            self.w = [w.data for w in self.w]

    fails(nn_check.check_neuron, FloatWeights, says="make each weight a Value")
