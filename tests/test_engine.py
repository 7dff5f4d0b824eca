"""helpers.tools.engine.Value against PyTorch (float64), central differences, values by hand."""

import gc
import math
import sys

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from helpers.checks.compare import numerical_grad
from helpers.tools.engine import Value, gc_paused
from helpers.tools.graph import draw_dot

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def close(ours, reference, rel=1e-12):
    """Relative closeness, down to the smallest normal float: below it (subnormals, which
    hypothesis does draw, e.g. a = 2.2e-313 in a / b) a float has too few significant bits
    for a relative tolerance, so two roundings may differ by a whole last place there."""
    return math.isclose(ours, reference, rel_tol=rel, abs_tol=sys.float_info.min)


def leaf(x):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def torch_grad(t):
    return 0.0 if t.grad is None else t.grad.item()


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


# --- every operation, forward and backward, against PyTorch -------------------------

UNARY = {
    "neg": (lambda v: -v, lambda t: -t, floats(-1e6, 1e6)),
    "exp": (lambda v: v.exp(), torch.exp, floats(-50, 50)),
    "log": (lambda v: v.log(), torch.log, floats(1e-6, 1e6)),
    # 1 - tanh(x)^2 and s (1 - s) cancel for large |x|: both engines use these formulas,
    # but a 1-ulp difference in tanh / exp grows there. Far tails: see the test below.
    "tanh": (lambda v: v.tanh(), torch.tanh, floats(-3, 3)),
    "relu": (lambda v: v.relu(), torch.relu, floats(-1e3, 1e3)),
    "sigmoid": (lambda v: v.sigmoid(), torch.sigmoid, floats(-8, 8)),
    "square": (lambda v: v**2, lambda t: t**2, floats(-1e3, 1e3)),
    "cube": (lambda v: v**3, lambda t: t**3, floats(-1e3, 1e3)),
    "sqrt": (lambda v: v**0.5, lambda t: t**0.5, floats(1e-6, 1e6)),
    "pow -1.5": (lambda v: v**-1.5, lambda t: t**-1.5, floats(1e-3, 1e3)),
    "pow -2 (int)": (lambda v: v**-2, lambda t: t**-2, floats(0.01, 100)),
    "2 + v": (lambda v: 2 + v, lambda t: 2 + t, floats(-1e6, 1e6)),
    "v + 2": (lambda v: v + 2, lambda t: t + 2, floats(-1e6, 1e6)),
    "2 - v": (lambda v: 2 - v, lambda t: 2 - t, floats(-1e6, 1e6)),
    "v - 2": (lambda v: v - 2, lambda t: t - 2, floats(-1e6, 1e6)),
    "2 * v": (lambda v: 2 * v, lambda t: 2 * t, floats(-1e6, 1e6)),
    "v * 2.5": (lambda v: v * 2.5, lambda t: t * 2.5, floats(-1e6, 1e6)),
    "2 / v": (lambda v: 2 / v, lambda t: 2 / t, floats(0.01, 1e3)),
    "v / 3": (lambda v: v / 3, lambda t: t / 3, floats(-1e6, 1e6)),
}

BINARY = {
    "+": (lambda a, b: a + b, floats(-1e6, 1e6), floats(-1e6, 1e6)),
    "-": (lambda a, b: a - b, floats(-1e6, 1e6), floats(-1e6, 1e6)),
    "*": (lambda a, b: a * b, floats(-1e6, 1e6), floats(-1e6, 1e6)),
    "/": (lambda a, b: a / b, floats(-1e6, 1e6), floats(1e-3, 1e6)),
    "/ (negative b)": (lambda a, b: a / b, floats(-1e6, 1e6), floats(-1e6, -1e-3)),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_op_matches_torch(name):
    ours_fn, torch_fn, domain = UNARY[name]

    @SETTINGS
    @given(domain)
    def check(x):
        v = Value(x)
        out = ours_fn(v)
        out.backward()
        t = leaf(x)
        ref = torch_fn(t)
        ref.backward()
        assert close(out.data, ref.item()), (x, out.data, ref.item())
        assert close(v.grad, torch_grad(t)), (x, v.grad, torch_grad(t))

    check()


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_matches_torch(name):
    fn, domain_a, domain_b = BINARY[name]

    @SETTINGS
    @given(domain_a, domain_b)
    def check(a, b):
        va, vb = Value(a), Value(b)
        out = fn(va, vb)
        out.backward()
        ta, tb = leaf(a), leaf(b)
        ref = fn(ta, tb)
        ref.backward()
        assert close(out.data, ref.item())
        assert close(va.grad, torch_grad(ta)), (a, b, va.grad, torch_grad(ta))
        assert close(vb.grad, torch_grad(tb)), (a, b, vb.grad, torch_grad(tb))

    check()


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
@pytest.mark.parametrize("x", [-40.0, -12.5, -7.0, 7.0, 12.5, 40.0, 800.0])
def test_saturating_ops_in_their_tails(name, x):
    ours_fn, torch_fn, _ = UNARY[name]
    v, t = Value(x), leaf(x)
    ours_fn(v).backward()
    torch_fn(t).backward()
    assert math.isclose(v.grad, torch_grad(t), rel_tol=1e-6, abs_tol=1e-15)


def test_hand_derived_values():
    """A few results worked out on paper, independent of PyTorch."""
    a, b = Value(2.0), Value(-3.0)
    c = a * b + b**2 - a / 4  # -6 + 9 - 0.5 = 2.5
    c.backward()
    assert c.data == 2.5
    assert a.grad == -3.0 - 0.25  # b - 1/4
    assert b.grad == 2.0 + 2 * -3.0  # a + 2b
    x = Value(0.0)
    y = x.tanh() + x.sigmoid() + x.exp()
    y.backward()
    assert y.data == 1.5  # 0 + 1/2 + 1
    assert x.grad == 1.0 + 0.25 + 1.0
    r = Value(-1.0).relu()
    assert r.data == 0.0
    assert (-Value(3.0)).data == -3.0


def test_relu_derivative_is_zero_at_zero_and_below():
    for x, expected in [(-2.0, 0.0), (0.0, 0.0), (3.0, 1.0)]:
        v = Value(x)
        v.relu().backward()
        assert v.grad == expected


def test_sigmoid_of_large_negative_does_not_overflow():
    v = Value(-1000.0)
    s = v.sigmoid()
    s.backward()
    assert s.data == 0.0 and v.grad == 0.0


# --- random expression graphs with shared sub-expressions ----------------------------

# Each operation maps existing nodes to a new one; written once, run on both engines.
# The compositions keep values bounded (tanh, sigmoid, 1 + b*b as a divisor).
GRAPH_OPS = {
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / (b * b + 1)),
    "rsub": (1, lambda a: 1.5 - a),
    "rdiv": (1, lambda a: 2 / (a * a + 1)),
    "rmul": (1, lambda a: 0.5 * a),
    "neg": (1, lambda a: -a),
    "square": (1, lambda a: a**2),
    "exp": (1, lambda a: a.tanh().exp()),
    "log": (1, lambda a: (a * a + 0.5).log()),
    "tanh": (1, lambda a: a.tanh()),
    "relu": (1, lambda a: a.relu()),
    "sigmoid": (1, lambda a: a.sigmoid()),
}


@st.composite
def expression_programs(draw):
    n_leaves = draw(st.integers(1, 4))
    leaves = draw(st.lists(floats(-2, 2), min_size=n_leaves, max_size=n_leaves))
    steps = []
    n_nodes = n_leaves
    for _ in range(draw(st.integers(1, 14))):
        name = draw(st.sampled_from(sorted(GRAPH_OPS)))
        arity = GRAPH_OPS[name][0]
        # Any earlier node may be picked, several times: sub-expressions get shared.
        args = [draw(st.integers(0, n_nodes - 1)) for _ in range(arity)]
        steps.append((name, args))
        n_nodes += 1
    return leaves, steps


def run_program(leaves, steps, make_leaf):
    nodes = [make_leaf(x) for x in leaves]
    inputs = list(nodes)
    for name, args in steps:
        nodes.append(GRAPH_OPS[name][1](*(nodes[i] for i in args)))
    return inputs, nodes[-1]


@settings(SETTINGS, max_examples=200)
@given(expression_programs())
def test_random_graphs_match_torch(program):
    leaves, steps = program
    v_inputs, v_out = run_program(leaves, steps, Value)
    t_inputs, t_out = run_program(leaves, steps, leaf)
    assume(math.isfinite(t_out.item()) and abs(t_out.item()) < 1e8)
    v_out.backward()
    t_out.backward()
    assert math.isclose(v_out.data, t_out.item(), rel_tol=1e-9, abs_tol=1e-9)
    for v, t in zip(v_inputs, t_inputs, strict=True):
        reference = torch_grad(t)
        assume(math.isfinite(reference))
        assert math.isclose(v.grad, reference, rel_tol=1e-9, abs_tol=1e-9), (v.grad, reference)


# --- central differences ---------------------------------------------------------

def composite(v):
    return ((v * 1.5 - 0.3).tanh() * v.exp() + (v * v + 1).log() / (2 + v.sigmoid())) ** 2


@pytest.mark.parametrize("x", [-1.3, -0.2, 0.4, 1.7])
def test_gradient_matches_central_differences(x):
    v = Value(x)
    composite(v).backward()
    numeric = numerical_grad(lambda t: composite(Value(t)).data, x)
    assert math.isclose(v.grad, numeric, rel_tol=1e-6, abs_tol=1e-8), (v.grad, numeric)


# --- the graph's structure and accumulation -------------------------------------------

def test_reused_node_accumulates():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a = Value(3.0)
    c = a * a
    c.backward()
    assert a.grad == 6.0  # d(a^2)/da = 2a
    a = Value(3.0)
    d = a * a * a + a  # 3a^2 + 1 = 28 at a = 3
    d.backward()
    assert a.grad == 28.0


def test_shared_subexpression_counted_once_per_use():
    x = Value(2.0)
    s = x * x  # used twice below
    y = s + s * 3.0  # 4 x^2, dy/dx = 8x = 16
    y.backward()
    assert y.data == 16.0
    assert x.grad == 16.0
    assert s.grad == 4.0


def test_backward_twice_accumulates_into_leaves():
    x = Value(2.0)
    y = x * 3.0
    y.backward()
    y.backward()
    assert x.grad == 6.0


def test_million_operation_chain():
    x, one = Value(0.5), Value(1.0)
    y = x
    with gc_paused():  # the chain is alive while it grows: gc scans would only slow the test
        for _ in range(1_000_000):
            y = y + one
    limit = sys.getrecursionlimit()
    y.backward()
    assert y.data == 1_000_000.5
    assert x.grad == 1.0
    assert one.grad == 1_000_000.0
    assert sys.getrecursionlimit() == limit


def test_prev_is_an_ordered_tuple_and_op_is_named():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = b - a
    assert c._prev == (b, a) and c._prev[0] is b and c._prev[1] is a
    assert c._op == "-"
    assert a._prev == () and a._op == ""
    assert (a * b)._op == "*" and (a / b)._op == "/" and a.relu()._op == "relu"
    assert a.label == "a"


def test_draw_dot_is_deterministic():
    def build():
        a, b = Value(2.0, label="a"), Value(-3.0, label="b")
        e = a * b
        e.label = "e"
        d = e + a
        d.label = "d"
        d.backward()
        return d

    first, second = draw_dot(build()).text, draw_dot(build()).text
    assert first == second
    assert "= *(v0, v1)" in first and "= +(v2, v0)" in first


def test_repr_has_no_address():
    assert repr(Value(2.0)) == "Value(data=2.0000, grad=0.0000)"
    v = Value(-1.23456)
    v.grad = 0.5
    assert repr(v) == "Value(data=-1.2346, grad=0.5000)"


def test_numbers_of_other_types_are_accepted():
    import numpy as np

    assert Value(3).data == 3.0 and isinstance(Value(3).data, float)
    assert Value(np.float32(0.5)).data == 0.5
    assert (np.float64(2.0) * Value(3.0)).data == 6.0
    assert isinstance(np.float64(2.0) * Value(3.0), Value)


# --- bad input ----------------------------------------------------------------

@pytest.mark.parametrize("bad, named", [("3", "str"), (None, "NoneType"), ([1.0], "list"),
                                        (1 + 2j, "complex"), (True, "bool")])
def test_value_rejects_non_numbers(bad, named):
    with pytest.raises(TypeError, match=rf"real number.*got {named}"):
        Value(bad)


def test_value_of_a_value_is_rejected():
    with pytest.raises(TypeError, match="got a Value"):
        Value(Value(1.0))


def test_value_exponent_is_rejected_clearly():
    with pytest.raises(TypeError, match="exponent must be an int or float"):
        Value(2.0) ** Value(3.0)


def test_power_that_is_not_real_is_rejected():
    with pytest.raises(ValueError, match=r"-2.0 \*\* 0.5"):
        Value(-2.0) ** 0.5


def test_exp_overflow_names_the_value():
    with pytest.raises(OverflowError, match=r"exp\(1000.0\) is too large"):
        Value(1000.0).exp()


@pytest.mark.parametrize("x", [0.0, -1.5])
def test_log_of_non_positive_names_the_value(x):
    with pytest.raises(ValueError, match=f"positive number; got {x}"):
        Value(x).log()


@pytest.mark.parametrize("make", [
    lambda: Value(1.0) + "a", lambda: "a" + Value(1.0), lambda: Value(1.0) * None,
    lambda: Value(1.0) - [1], lambda: [1] - Value(1.0), lambda: Value(1.0) / "2",
    lambda: "2" / Value(1.0), lambda: Value(1.0) ** "2",
])
def test_unsupported_operand_types_raise_type_error(make):
    with pytest.raises(TypeError, match="unsupported operand|can't multiply"):
        make()


# --- interpreter state is left as it was ------------------------------------------------

@pytest.fixture
def custom_gc():
    """Run a test with unusual gc thresholds; put the originals back afterwards."""
    enabled, threshold = gc.isenabled(), gc.get_threshold()
    gc.set_threshold(555, 7, 9)
    yield (555, 7, 9)
    gc.set_threshold(*threshold)
    (gc.enable if enabled else gc.disable)()


def broken_graph():
    """A graph whose backward() fails half-way: one input is not a Value."""
    good = Value(1.0)
    bad = Value(2.0)
    bad._prev, bad._local = ("not a Value",), (1.0,)
    return good * bad


@pytest.mark.parametrize("start_enabled", [True, False])
def test_backward_restores_gc_state(custom_gc, start_enabled):
    (gc.enable if start_enabled else gc.disable)()
    y = Value(2.0) * Value(3.0) + 1
    y.backward()
    assert gc.isenabled() is start_enabled
    assert gc.get_threshold() == custom_gc
    with pytest.raises(AttributeError):
        broken_graph().backward()
    assert gc.isenabled() is start_enabled
    assert gc.get_threshold() == custom_gc


def test_gc_paused_restores_on_error(custom_gc):
    gc.enable()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("inside")
    assert gc.isenabled()
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()  # stays off when it was off
    assert gc.get_threshold() == custom_gc
