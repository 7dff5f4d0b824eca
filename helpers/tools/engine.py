"""A scalar autograd engine: the ``Value`` built in the micrograd-style lectures.

A ``Value`` holds one number (``data``), the derivative of the final output with
respect to it (``grad``), the values it was computed from (``_prev``, an ordered
tuple) and the name of the operation that made it (``_op``).

Every operation below computes two things side by side:

- its result, and
- its *local derivatives*: how the result changes with each input, e.g. for
  ``out = a * b`` they are ``(b, a)``. They are stored in ``_local``, in the same
  order as ``_prev``.

``backward()`` then applies the chain rule once per node, outputs before inputs::

    child.grad += local * out.grad

Storing the local derivatives as numbers, instead of a closure per node as in
micrograd, keeps the graph free of reference cycles: a graph is freed as soon as
nothing refers to it, and Python's cyclic garbage collector has nothing to find.
``gc_paused()`` switches that collector off for a block of code (``helpers.tools.nn.MLP``
uses it for its forward pass) and always puts it back. ``benchmarks/README.md`` says
what each of these choices saves on micrograd's demo.
"""

import gc
import math
import numbers
from contextlib import contextmanager

__all__ = ["Value", "gc_paused"]


def _as_float(data):
    """``data`` as a float, or a TypeError that says what was given and what is expected."""
    if isinstance(data, Value):
        raise TypeError("Value(...) needs a plain number; got a Value (use it directly)")
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        hint = " (convert it first: float(...) or .item())" if hasattr(data, "item") else ""
        raise TypeError(
            f"Value(...) needs a real number (int or float); got {type(data).__name__} "
            f"{data!r:.40}{hint}"
        )
    return float(data)


def _constant(other):
    """A plain number becomes a leaf Value; anything else gives NotImplemented.

    Returning NotImplemented lets Python try the other operand and, failing that,
    raise its usual ``TypeError: unsupported operand type(s)``.
    """
    if isinstance(other, bool) or not isinstance(other, numbers.Real):
        return NotImplemented
    return Value(float(other))


@contextmanager
def gc_paused():
    """Switch Python's cyclic garbage collector off inside the block; restore it after.

    The previous state (enabled or not) is restored on exit, also when the block
    raises, so nothing leaks into the caller's session. Use it around code that
    builds many Values and no reference cycles, e.g. one training step::

        with gc_paused():
            loss = compute_loss(model)
            loss.backward()
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Value:
    """One scalar in an expression graph, with its gradient."""

    __slots__ = ("data", "grad", "_prev", "_local", "_op", "label")
    # Makes numpy hand `np.float64(2.0) * v` back to Value.__rmul__.
    __array_ufunc__ = None

    def __init__(self, data, _children=(), _op="", _local=(), label=""):
        self.data = data if type(data) is float else _as_float(data)
        self.grad = 0.0
        self._prev = _children  # the inputs, an ordered tuple (empty for a leaf)
        self._local = _local  # d(self)/d(input) for each input, same order
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data:.4f}, grad={self.grad:.4f})"

    # --- operations: the result, and the local derivative for each input ---

    def __add__(self, other):
        other = other if isinstance(other, Value) else _constant(other)
        if other is NotImplemented:
            return other
        return Value(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __sub__(self, other):
        other = other if isinstance(other, Value) else _constant(other)
        if other is NotImplemented:
            return other
        return Value(self.data - other.data, (self, other), "-", (1.0, -1.0))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else _constant(other)
        if other is NotImplemented:
            return other
        return Value(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else _constant(other)
        if other is NotImplemented:
            return other
        a, b = self.data, other.data
        return Value(a / b, (self, other), "/", (1.0 / b, -a / (b * b)))

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            raise TypeError(
                "Value ** Value is not supported: the exponent must be an int or float. "
                "For x ** y with y a Value, write (y * x.log()).exp()."
            )
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            return NotImplemented
        x, p = self.data, float(exponent)
        result = x**p
        if isinstance(result, complex):
            raise ValueError(f"{x!r} ** {exponent!r} is not a real number")
        if p == 0:
            local = 0.0  # x ** 0 is the constant 1
        elif x == 0 and p < 1:
            local = math.inf  # the slope of x ** p at 0 is vertical for 0 < p < 1
        else:
            local = p * x ** (p - 1)
        return Value(result, (self,), f"**{exponent}", (local,))

    def __neg__(self):
        return Value(-self.data, (self,), "neg", (-1.0,))

    def exp(self):
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data!r}) is too large for a float") from None
        return Value(e, (self,), "exp", (e,))

    def log(self):
        x = self.data
        if not x > 0:
            raise ValueError(f"log needs a positive number; got {x!r}")
        return Value(math.log(x), (self,), "log", (1.0 / x,))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), "tanh", (1.0 - t * t,))

    def relu(self):
        x = self.data
        return Value(0.0 if x < 0 else x, (self,), "relu", (1.0 if x > 0 else 0.0,))

    def sigmoid(self):
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # the same number, written so that exp cannot overflow
            e = math.exp(x)
            s = e / (1.0 + e)
        return Value(s, (self,), "sigmoid", (s * (1.0 - s),))

    # --- a plain number on the left: 2 + v, 2 - v, 2 * v, 2 / v ---

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        other = _constant(other)
        return other if other is NotImplemented else other - self

    def __rtruediv__(self, other):
        other = _constant(other)
        return other if other is NotImplemented else other / self

    # --- backpropagation ---

    def _backward(self):
        """Pass this node's gradient on to its inputs (one step of the chain rule)."""
        grad = self.grad
        for child, local in zip(self._prev, self._local, strict=True):
            child.grad += local * grad

    def backward(self):
        """Fill in ``grad`` of every value this one depends on (d self / d value).

        Gradients add up (``+=``): a value used twice receives both contributions,
        and calling ``backward()`` again without zeroing adds to them. Only the
        root's own ``grad`` is set, to 1.
        """
        order = topological_order(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def topological_order(root, children=None):
    """Every node ``root`` depends on, and ``root`` itself, each after all of its inputs.

    The one topological sort of ``helpers``: the engine's ``backward``, the graph drawings
    and the checks all use it, on this ``Value`` or any class with ``_prev`` (the learner's
    included: nodes are told apart by identity, so a ``Value`` that defines ``__eq__`` works
    too). ``children(node)``: the inputs in the order to visit them (default ``node._prev``).
    A depth-first search with an explicit stack, so a chain of a million operations works
    (a recursive search stops at Python's recursion limit, ~1000). Each stack entry is a
    node and an iterator over the children not yet visited.
    """
    children = children or (lambda node: node._prev)
    order, visited = [], {id(root)}
    stack = [(root, iter(children(root)))]
    while stack:
        node, pending = stack[-1]
        for child in pending:
            if id(child) not in visited:
                visited.add(id(child))
                stack.append((child, iter(children(child))))
                break
        else:  # all children are in `order`: now the node can follow them
            stack.pop()
            order.append(node)
    return order
