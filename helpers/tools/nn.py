"""A tiny neural-net library on top of ``helpers.tools.engine.Value``.

``Neuron`` computes ``activation(b + w_0 x_0 + w_1 x_1 + ...)``, summed in that order.
``Layer`` is a list of neurons that see the same inputs; ``MLP`` is a stack of
layers whose hidden layers are nonlinear and whose last layer is linear.
Weights start uniform in [-1, 1) from Python's ``random`` module (seed it with
``random.seed``); biases start at 0.

``activation`` is ``"relu"`` (the default) or ``"tanh"``; ``nonlin=False`` makes a
neuron linear.

The second half holds the finished versions of what the learner writes in lectures 04
and 05, with the lectures' names and attributes, so that an exercise edition can use
them while a TODO is still open: ``TanhNeuron``, ``TanhLayer``, ``TanhMLP`` (lecture
04's classes: tanh everywhere, random biases), ``squared_error``, ``gradient_step``,
``train``, and lecture 05's ``max_margin_loss`` and ``accuracy``.
"""

import numbers
import random

from helpers.tools.engine import Value, gc_paused

__all__ = ["Module", "Neuron", "Layer", "MLP", "TanhNeuron", "TanhLayer", "TanhMLP",
           "squared_error", "gradient_step", "train", "max_margin_loss", "accuracy"]

ACTIVATIONS = ("relu", "tanh")


def _check_size(n, what):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
        raise ValueError(f"{what} must be a positive integer; got {n!r}")
    return int(n)


def _as_inputs(x, nin, who):
    """``x`` as a list of ``nin`` inputs (a single number or Value counts as one).

    ``who`` is the module being called; its class names it in the error message.
    """
    if isinstance(x, Value | numbers.Real):
        x = [x]
    try:
        x = list(x)
    except TypeError:
        raise TypeError(
            f"{type(who).__name__} expects a list of {nin} numbers or Values; "
            f"got {type(x).__name__}"
        ) from None
    if len(x) != nin:
        raise ValueError(f"{type(who).__name__} expects {nin} inputs; got {len(x)}")
    return x


class Module:
    """Has parameters: ``parameters()`` lists them, ``zero_grad()`` sets their grads to 0."""

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self):
        return []


class Neuron(Module):
    """``nin`` weights and a bias; ``nonlin=False`` leaves out the activation."""

    def __init__(self, nin, nonlin=True, activation="relu"):
        nin = _check_size(nin, "nin (the number of inputs)")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}; got {activation!r}")
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin
        self.activation = activation

    def __call__(self, x):
        x = _as_inputs(x, len(self.w), self)
        act = self.b
        for wi, xi in zip(self.w, x, strict=True):
            act = act + wi * xi
        if not self.nonlin:
            return act
        return act.relu() if self.activation == "relu" else act.tanh()

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        kind = self.activation.capitalize() if self.nonlin else "Linear"
        return f"{kind}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons with ``nin`` inputs each; keyword arguments go to ``Neuron``.

    Calling it returns a list of ``nout`` Values, or a single Value when ``nout == 1``.
    """

    def __init__(self, nin, nout, **kwargs):
        nin = _check_size(nin, "nin (the number of inputs)")
        nout = _check_size(nout, "nout (the number of neurons)")
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        x = _as_inputs(x, len(self.neurons[0].w), self)
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` after ``nin`` inputs: MLP(3, [4, 4, 1]) is 3 -> 4 -> 4 -> 1.

    Every layer but the last applies ``activation``; the last is linear.
    """

    def __init__(self, nin, nouts, activation="relu"):
        nin = _check_size(nin, "nin (the number of inputs)")
        if isinstance(nouts, numbers.Integral) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer sizes; got {nouts!r}")
        sizes = [nin] + [_check_size(n, "each layer size in nouts") for n in nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != last, activation=activation)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        x = _as_inputs(x, len(self.layers[0].neurons[0].w), self)
        # A forward pass makes thousands of Values and no garbage cycles, so the
        # collector's scans would find nothing; pause it (restored on return).
        with gc_paused():
            for layer in self.layers:
                x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


# --- finished versions of the pieces the learner writes in lectures 04 and 05 -------------
# Each matches the lecture's code: same signature, same attributes, the same random draws in
# the same order, so a notebook prints the same numbers with either. No zero-argument
# super() and no inherited methods: an exercise edition copies single methods onto the
# learner's class.


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
