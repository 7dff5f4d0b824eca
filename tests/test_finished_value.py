"""helpers.finished.value: each finished operation against float64 PyTorch (property-based) and
central differences, on the module's Value and on another class with the lecture's interface."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.finished import value as finished
from helpers.finished.value import Value

# name: (apply on Values / plain numbers, PyTorch, domain of the operands)
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, None),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, None),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, None),
    "truediv": (lambda a, b: a / b, lambda a, b: a / b, lambda a, b: abs(b) > 0.1),
}
UNARY = {
    "tanh": (lambda a: a.tanh(), torch.tanh, None),
    "exp": (lambda a: a.exp(), torch.exp, None),
    "log": (lambda a: a.log(), torch.log, lambda a: a > 0.01),
    "relu": (lambda a: a.relu(), torch.relu, lambda a: abs(a) > 1e-6),
    "neg": (lambda a: -a, lambda a: -a, None),
}
numbers_ = st.floats(-5, 5, allow_nan=False).map(lambda x: round(x, 6))
seeds = st.floats(-3, 3, allow_nan=False)


def tensor(x):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("name", BINARY)
@settings(max_examples=60, deadline=None)
@given(x=numbers_, y=numbers_, g=seeds, prior=seeds)
def test_binary_operations_match_pytorch(name, x, y, g, prior):
    op, reference, domain = BINARY[name]
    if domain and not domain(x, y):
        return
    a, b = Value(x), Value(y)
    a.grad = prior  # gradients add up on top of what is there
    out = op(a, b)
    out.grad = g  # an incoming gradient other than 1
    for node in reversed(finished.topological_order(out)):
        node._backward()
    ta, tb = tensor(x), tensor(y)
    t_out = reference(ta, tb)
    t_out.backward(torch.tensor(g, dtype=torch.float64))
    assert close(out.data, t_out.item())
    assert close(a.grad, prior + ta.grad.item())
    assert close(b.grad, tb.grad.item())


@pytest.mark.parametrize("name", UNARY)
@settings(max_examples=60, deadline=None)
@given(x=numbers_, g=seeds)
def test_unary_operations_match_pytorch(name, x, g):
    op, reference, domain = UNARY[name]
    if domain and not domain(x):
        return
    a = Value(x)
    out = op(a)
    out.grad = g
    for node in reversed(finished.topological_order(out)):
        node._backward()
    ta = tensor(x)
    reference(ta).backward(torch.tensor(g, dtype=torch.float64))
    assert close(out.data, reference(tensor(x)).item())
    assert close(a.grad, ta.grad.item())


@settings(max_examples=80, deadline=None)
@given(x=st.floats(0.1, 4), k=st.sampled_from([2, 3, -1, -2, 0.5, -0.5, 1.5, 0, 1]))
def test_power_matches_pytorch(x, k):
    a = Value(x)
    out = a**k
    out.backward()
    ta = tensor(x)
    (ta**k).backward()
    assert out._op == f"**{k}"
    assert close(out.data, x**k) and close(a.grad, ta.grad.item())


@settings(max_examples=60, deadline=None)
@given(x=numbers_, c=numbers_)
def test_plain_numbers_on_either_side(x, c):
    cases = [(lambda a: c + a, lambda t: c + t), (lambda a: c * a, lambda t: c * t),
             (lambda a: c - a, lambda t: c - t), (lambda a: a - c, lambda t: t - c),
             (lambda a: a + c, lambda t: t + c), (lambda a: a * c, lambda t: t * c)]
    if abs(x) > 0.1:
        cases += [(lambda a: c / a, lambda t: c / t)]
    if abs(c) > 0.1:
        cases += [(lambda a: a / c, lambda t: t / c)]
    for ours, theirs in cases:
        a, ta = Value(x), tensor(x)
        out, t_out = ours(a), theirs(ta)
        out.backward()
        t_out.backward()
        assert close(out.data, t_out.item()) and close(a.grad, ta.grad.item())


def central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


EXPRESSIONS = [
    lambda a, b: (a * b + b**3) / (a - b).exp() + (2 * a + b).tanh() * a - b / 4,
    lambda a, b: (a * a).log() + (1 - a) * b.relu() + 1 / (b * b + 1),
    lambda a, b: ((a + b) * (a - b)).tanh() ** 2 - (-a) * b,
]


@pytest.mark.parametrize("expression", EXPRESSIONS)
@settings(max_examples=40, deadline=None)
@given(x=st.floats(0.3, 2.0), y=st.floats(-2.0, -0.3))
def test_values_used_many_times_match_central_differences(expression, x, y):
    a, b = Value(x), Value(y)
    expression(a, b).backward()
    da = central_difference(lambda v: expression(Value(v), Value(y)).data, x)
    db = central_difference(lambda v: expression(Value(x), Value(v)).data, y)
    assert math.isclose(a.grad, da, rel_tol=1e-5, abs_tol=1e-6)
    assert math.isclose(b.grad, db, rel_tol=1e-5, abs_tol=1e-6)


class Lecture:
    """Another class with the lecture's interface: the finished functions attached to it."""

    def __init__(self, data, children=(), op="", label=""):
        self.data, self.grad = data, 0.0
        self._prev, self._op, self.label = tuple(children), op, label
        self._backward = lambda: None


Lecture.__add__ = finished.add
Lecture.__mul__ = finished.mul
Lecture.__pow__ = finished.power
Lecture.__truediv__ = finished.truediv
Lecture.__rsub__ = finished.rsub
Lecture.tanh = finished.tanh
Lecture.backward = finished.backward


def test_outputs_have_the_class_of_their_input():
    a, b = Lecture(2.0), Lecture(-3.0)
    out = (a * b + 2).tanh() / a
    assert type(out) is Lecture and type(1 - a) is Lecture
    out.backward()
    ta, tb = tensor(2.0), tensor(-3.0)
    ((ta * tb + 2).tanh() / ta).backward()
    assert close(a.grad, ta.grad.item()) and close(b.grad, tb.grad.item())


def test_structure_of_each_output():
    a, b = Value(2.0), Value(3.0)
    for out, op, prev in [(a + b, "+", (a, b)), (a * b, "*", (a, b)), (a.tanh(), "tanh", (a,)),
                          (a.exp(), "exp", (a,)), (a.log(), "log", (a,)),
                          (a**3, "**3", (a,)), (a.relu(), "relu", (a,))]:
        assert out._op == op and out._prev == prev


def test_power_refuses_a_value_exponent():
    with pytest.raises(TypeError, match="int or float"):
        Value(2.0) ** Value(3.0)


def test_a_value_used_twice_gets_both_contributions():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    b = Value(-2.0)
    (b * b).backward()
    assert b.grad == -4.0


def test_topological_order_inputs_first_each_once():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = finished.topological_order(e)
    assert len(order) == len({id(n) for n in order}) == 5
    position = {id(n): i for i, n in enumerate(order)}
    assert all(position[id(child)] < position[id(n)] for n in order for child in n._prev)
    assert order[-1] is e


def test_a_long_chain_needs_no_recursion():
    x = start = Value(0.5)
    for _ in range(5000):
        x = x + start
    x.backward()
    assert start.grad == 5001.0


def test_backward_seeds_with_one_and_accumulates():
    a = Value(2.0)
    y = a * a
    y.backward()
    assert y.grad == 1.0 and a.grad == 4.0
    y.backward()  # no reset: gradients pile up (the lecture shows why)
    assert a.grad == 8.0
