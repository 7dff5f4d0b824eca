"""A tiny neural-net library on top of ``helpers.tools.engine.Value``.

``Neuron`` computes ``activation(b + w_0 x_0 + w_1 x_1 + ...)``, summed in that order.
``Layer`` is a list of neurons that see the same inputs; ``MLP`` is a stack of
layers whose hidden layers are nonlinear and whose last layer is linear.
Weights start uniform in [-1, 1) from Python's ``random`` module (seed it with
``random.seed``); biases start at 0.

``activation`` is ``"relu"`` (the default) or ``"tanh"``; ``nonlin=False`` makes a
neuron linear.

The finished versions of what the learner writes in lectures 04 and 05 (``TanhNeuron``,
``squared_error``, ``gradient_step``, ...) are in ``helpers.finished.nn``.
"""

import numbers
import random

from helpers.tools.engine import Value, gc_paused

__all__ = ["Module", "Neuron", "Layer", "MLP"]

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
