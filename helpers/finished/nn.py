"""Finished versions of what the learner writes in lectures 04 and 05, on
``helpers.tools.engine.Value``.

Each matches the lecture's code: same signature, same attributes, the same random draws in
the same order, so a notebook prints the same numbers with either, and an exercise edition
uses it while the learner's TODO is still open: ``TanhNeuron``, ``TanhLayer``, ``TanhMLP``
(lecture 04's classes: tanh everywhere, weights then bias drawn uniform in [-1, 1)),
``squared_error``, ``gradient_step``, ``train``, and lecture 05's ``max_margin_loss`` and
``accuracy``. No zero-argument super() and no inherited methods: an exercise edition copies
single methods onto the learner's class.
"""

import random

from helpers.tools.engine import Value

__all__ = ["TanhNeuron", "TanhLayer", "TanhMLP", "squared_error", "gradient_step", "train",
           "max_margin_loss", "accuracy"]


class TanhNeuron:
    """Lecture 04's neuron: tanh(w · x + b), weights then bias drawn uniform in [-1, 1)."""

    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))

    def __call__(self, x):
        total = self.b
        for wi, xi in zip(self.w, x, strict=True):
            total = total + wi * xi
        return total.tanh()

    def parameters(self):
        return self.w + [self.b]


class TanhLayer:
    """Lecture 04's layer: ``nout`` TanhNeurons; one Value out when ``nout == 1``."""

    def __init__(self, nin, nout):
        self.neurons = [TanhNeuron(nin) for _ in range(nout)]

    def __call__(self, x):
        outs = [neuron(x) for neuron in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class TanhMLP:
    """Lecture 04's MLP: TanhLayers of sizes ``nouts`` after ``nin`` inputs."""

    def __init__(self, nin, nouts):
        sizes = [nin] + list(nouts)
        self.layers = [TanhLayer(sizes[i], sizes[i + 1]) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def squared_error(predictions, targets):
    """The sum over the examples of (prediction - target)², a Value."""
    return sum((p - y) ** 2 for p, y in zip(predictions, targets, strict=True))


def gradient_step(model, loss_fn, lr):
    """One step of gradient descent: forward, reset the gradients, backward, update.

    Returns the loss before the update, as a float.
    """
    loss = loss_fn(model)
    for p in model.parameters():
        p.grad = 0.0
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def train(model, loss_fn, steps, lr):
    """``steps`` gradient steps; returns the loss before each one (a list of floats)."""
    return [gradient_step(model, loss_fn, lr) for _ in range(steps)]


def max_margin_loss(scores, targets, parameters, alpha):
    """Mean hinge loss relu(1 - y·s) over the examples plus alpha · Σ p², a Value."""
    margins = [(1 - t * s).relu() for s, t in zip(scores, targets, strict=True)]
    data_loss = sum(margins) / len(margins)
    return data_loss + alpha * sum(p * p for p in parameters)


def accuracy(scores, targets):
    """The fraction (a float in [0, 1]) of scores whose sign is the sign of their target."""
    right = sum((s.data > 0) == (t > 0) for s, t in zip(scores, targets, strict=True))
    return right / len(targets)
