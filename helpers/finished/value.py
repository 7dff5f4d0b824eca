"""The finished versions of the pieces lectures 02-03 have the learner write.

Each operation is a plain function, attached to a class afterwards
(``Value.__add__ = add``), exactly as in lecture 03. Each one computes its result
and, right beside it, the ``_backward`` closure that applies its local derivative:

    input.grad += local derivative * out.grad

The functions work on any class with the lecture's interface,
``Value(data, children=(), op="", label="")`` with ``.data .grad ._prev ._op
._backward .label``: outputs are made with ``type(self)(...)``, and a plain ``int`` or
``float`` operand becomes ``type(self)(x)``. An exercise edition drops them in for an
answer the learner has not written yet. ``Value`` below is the smallest such class,
with everything attached.
"""

import math
import numbers

from helpers.tools import engine

__all__ = ["Value", "add", "mul", "tanh", "exp", "log", "power", "radd", "rmul", "neg",
           "sub", "truediv", "rsub", "rtruediv", "relu", "topological_order", "backward"]


def _as_value(like, x):
    """``x`` itself when it is a value; a plain number becomes ``type(like)(x)``."""
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return type(like)(float(x))
    return x


# --- operations with their own local derivatives -----------------------------------------


def add(self, other):  # self + other
    other = _as_value(self, other)
    out = type(self)(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad += 1.0 * out.grad
        other.grad += 1.0 * out.grad

    out._backward = _backward
    return out


def mul(self, other):  # self * other
    other = _as_value(self, other)
    out = type(self)(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


def tanh(self):
    t = math.tanh(self.data)
    out = type(self)(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t * t) * out.grad  # from the output: d tanh(x)/dx = 1 - tanh(x)**2

    out._backward = _backward
    return out


def exp(self):
    out = type(self)(math.exp(self.data), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad  # d e^x/dx = e^x, the output itself

    out._backward = _backward
    return out


def log(self):  # the natural logarithm
    out = type(self)(math.log(self.data), (self,), "log")

    def _backward():
        self.grad += (1 / self.data) * out.grad

    out._backward = _backward
    return out


def power(self, k):  # self ** k, for a plain number k (attach as __pow__)
    if isinstance(k, bool) or not isinstance(k, int | float):
        raise TypeError(f"only int or float exponents are supported, got {type(k).__name__}")
    out = type(self)(self.data**k, (self,), f"**{k}")

    def _backward():
        self.grad += k * self.data ** (k - 1) * out.grad

    out._backward = _backward
    return out


def relu(self):
    out = type(self)(max(0.0, self.data), (self,), "relu")

    def _backward():
        self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

    out._backward = _backward
    return out


# --- operations made of the ones above -----------------------------------------------------


def radd(self, other):  # other + self
    return add(self, other)


def rmul(self, other):  # other * self
    return mul(self, other)


def neg(self):  # -self
    return mul(self, -1)


def sub(self, other):  # self - other
    return add(self, neg(_as_value(self, other)))


def truediv(self, other):  # self / other
    return mul(self, power(_as_value(self, other), -1))


def rsub(self, other):  # other - self
    return sub(_as_value(self, other), self)


def rtruediv(self, other):  # other / self
    return truediv(_as_value(self, other), self)


# --- the backward pass ---------------------------------------------------------------------


# The finished topological sort is the engine's own (one sort for all of helpers): a
# depth-first search with an explicit stack, each node placed after all of its inputs.
topological_order = engine.topological_order


def backward(self):
    """Seed ``self.grad = 1`` and run every node's ``_backward``, outputs before inputs."""
    self.grad = 1.0
    for node in reversed(topological_order(self)):
        node._backward()


# --- the smallest class with the lecture's interface ------------------------------------


class Value:
    """A scalar that remembers how it was made; the operations above are attached below."""

    def __init__(self, data, children=(), op="", label=""):
        self.data = data
        self.grad = 0.0
        self._prev = tuple(children)
        self._op = op
        self.label = label
        self._backward = lambda: None  # an input has nothing to pass on

    def __repr__(self):
        return f"Value(data={self.data:.4f}, grad={self.grad:.4f})"


Value.__add__ = add
Value.__mul__ = mul
Value.__pow__ = power
Value.__radd__ = radd
Value.__rmul__ = rmul
Value.__neg__ = neg
Value.__sub__ = sub
Value.__truediv__ = truediv
Value.__rsub__ = rsub
Value.__rtruediv__ = rtruediv
Value.tanh = tanh
Value.exp = exp
Value.log = log
Value.relu = relu
Value.backward = backward
