"""helpers.derivative_check: right answers pass however written, mistakes get the fitting hint."""

import math

import pytest

from helpers.derivative_check import check_by_nudging, check_difference_quotients, check_grad_f


def gradient_plain(a, b, c):
    return [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * b) + 2.5 * b**1.5, 1 / c**2]


def gradient_other_way(a, b, c):
    return (-3 * a * a - 1 / (2 * math.sqrt(a)), 3 * math.cos(3 * b) + 2.5 * math.sqrt(b) ** 3,
            c**-2)


def forward_plain(fn, point, h):
    out = []
    for i in range(len(point)):
        up = list(point)
        up[i] += h
        out.append((fn(*up) - fn(*point)) / h)
    return out


def central_plain(fn, point, h):
    out = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        out.append((fn(*up) - fn(*down)) / (2 * h))
    return out


def central_comprehension(fn, point, h):
    def moved(i, s):
        return [v + s * h if j == i else v for j, v in enumerate(point)]
    return [fn(*moved(i, 1)) / (2 * h) - fn(*moved(i, -1)) / (2 * h) for i in range(len(point))]


@pytest.mark.parametrize("answer", [gradient_plain, gradient_other_way])
def test_right_gradients_pass(answer, capsys):
    check_grad_f(answer)
    assert "grad_f: right" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, expected, not_expected", [
    (lambda a, b, c: [-3 * a**2 - 0.5 * a**-0.5, math.cos(3 * b) + 2.5 * b**1.5, 1 / c**2],
     "factor 3 from inside sin(3b)", None),
    (lambda a, b, c: [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * b) + 2.5 * b**1.5, -1 / c**2],
     "the sign: -1/c", None),
    (lambda a, b, c: [-3 * a**2, 3 * math.cos(3 * b) + 2.5 * b**1.5, 1 / c**2],
     "is left out", None),
    (lambda a, b, c: list(reversed(gradient_plain(a, b, c))), "another order", "Likely"),
    (lambda a, b, c: [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * b) + 2.5 * b**2.5, 1 / c**2],
     "∂f/∂b differs", "Likely"),
    (lambda a, b, c: gradient_plain(a, b, c)[:2], "returned 2 numbers", None),
    (lambda a, b, c: 1.0, "return a list of 3 numbers", None),
    (lambda a, b, c: {"a": 1.0, "b": 2.0, "c": 3.0}, "returned dict", None),
    (lambda a, b, c: ["-3a² - 0.5/√a", "3cos(3b) + 2.5b^1.5", "1/c²"],
     "return a list of 3 numbers", None),
])
def test_wrong_gradients_are_refused_with_a_fitting_message(wrong, expected, not_expected):
    with pytest.raises(AssertionError) as err:
        check_grad_f(wrong)
    assert expected in str(err.value)
    if not_expected:
        assert not_expected not in str(err.value)


def test_a_gradient_right_only_at_2_3_4_is_refused():
    def memorised(a, b, c):
        return [-12.353553390593273, 10.25699027111255, 0.0625]
    with pytest.raises(AssertionError, match="differs at"):
        check_grad_f(memorised)


@pytest.mark.parametrize("central", [central_plain, central_comprehension])
def test_right_difference_quotients_pass(central, capsys):
    check_difference_quotients(forward_plain, central)
    assert "right on 12 random quadratics" in capsys.readouterr().out


def test_swapped_quotients_are_named():
    with pytest.raises(AssertionError, match="this is the central difference"):
        check_difference_quotients(central_plain, central_plain)
    with pytest.raises(AssertionError, match="this is the forward difference"):
        check_difference_quotients(forward_plain, forward_plain)


def test_central_divided_by_h_is_named():
    def central_by_h(fn, point, h):
        return [2 * g for g in central_plain(fn, point, h)]
    with pytest.raises(AssertionError, match="divide by 2h"):
        check_difference_quotients(forward_plain, central_by_h)


def test_all_inputs_nudged_at_once_is_named():
    def forward_all(fn, point, h):
        moved = [v + h for v in point]
        return [(fn(*moved) - fn(*point)) / h] * len(point)
    with pytest.raises(AssertionError, match="every input nudged at once"):
        check_difference_quotients(forward_all, central_plain)


def test_backward_difference_is_named():
    def backward(fn, point, h):
        out = []
        for i in range(len(point)):
            down = list(point)
            down[i] -= h
            out.append((fn(*point) - fn(*down)) / h)
        return out
    with pytest.raises(AssertionError, match="this is the backward difference"):
        check_difference_quotients(backward, central_plain)


def test_some_other_error_gets_no_diagnosis():
    def forward_off(fn, point, h):
        return [g + 0.1 for g in forward_plain(fn, point, h)]
    with pytest.raises(AssertionError) as err:
        check_difference_quotients(forward_off, central_plain)
    assert "expected" in str(err.value) and "Likely" not in str(err.value)


# --- check_by_nudging: lecture 02's backward pass by hand ----------------------------------


class Node:
    """The lecture's Value, as much as the check reads of it."""

    def __init__(self, data, children=(), op="", label=""):
        self.data, self.grad, self.label = data, 0.0, label
        self._prev, self._op = tuple(children), op

    def __add__(self, other):
        return Node(self.data + other.data, (self, other), "+")

    def __mul__(self, other):
        return Node(self.data * other.data, (self, other), "*")

    def tanh(self):
        return Node(math.tanh(self.data), (self,), "tanh")


@pytest.fixture
def graph():
    """L = (a*b + c) * f of lecture 02, with the seed stored."""
    a, b, c, f = (Node(v, label=k) for k, v in zip("abcf", (2.0, -3.0, 10.0, -2.0), strict=True))
    e = a * b
    d = e + c
    L = d * f
    e.label, d.label, L.label = "e", "d", "L"
    L.grad = 1.0
    return a, b, c, f, e, d, L


def test_a_right_gradient_passes_and_returns_the_nudged_slope(graph):
    a, b, c, f, e, d, L = graph
    d.grad = f.data * L.grad
    assert check_by_nudging("dd", d, lambda x: x * f.data, L) == pytest.approx(-2.0)
    w = Node(1.0, label="w")
    w.grad = 0   # an int is a number too
    assert check_by_nudging("dw", w, lambda x: 5.0, w * Node(0.0)) == pytest.approx(0.0)


@pytest.mark.parametrize("grad, expected", [
    (4.0, "dd is 4, but nudging d alone gives -2.0000. Likely mistake: its own data"),
    (1.0, "the gradient passed on unchanged, as a + would"),
    (0.0, "a .grad is filled in only by the check"),
    (2.0, "Likely mistake: the sign"),
    (-2.5, "dd is -2.5, but nudging d alone gives -2.0000"),
])
def test_a_wrong_gradient_through_a_product_names_the_mistake(graph, grad, expected):
    a, b, c, f, e, d, L = graph
    d.grad = grad
    with pytest.raises(AssertionError) as err:
        check_by_nudging("dd", d, lambda x: x * f.data, L)
    assert expected in str(err.value)
    if grad == -2.5:
        assert "Likely" not in str(err.value)


def test_through_a_sum_and_the_seed(graph):
    a, b, c, f, e, d, L = graph
    d.grad = -2.0
    c.grad = 1.0
    with pytest.raises(AssertionError, match="the local derivative 1 alone: multiply it by the "
                                             r"gradient that arrived at d \(-2\)"):
        check_by_nudging("dc", c, lambda x: (e.data + x) * f.data, L)
    c.grad = d.grad * e.data
    with pytest.raises(AssertionError, match="a \\+ passes the gradient on unchanged"):
        check_by_nudging("dc", c, lambda x: (e.data + x) * f.data, L)
    L.grad = 0.0
    with pytest.raises(AssertionError, match="0 is where every grad starts"):
        check_by_nudging("dL", L, lambda x: x, L)


def test_through_tanh_the_output_not_the_input():
    n = Node(0.8813735870195432, label="n")
    o = n.tanh()
    o.label, o.grad = "o", 1.0
    for grad, expected in [((1 - n.data**2), "1 - n² with n the input"),
                           ((1 - o.data), "1 - o: tanh's slope is 1 - o²")]:
        n.grad = grad
        with pytest.raises(AssertionError, match=expected):
            check_by_nudging("dn", n, math.tanh, o)
    n.grad = 1 - o.data**2
    check_by_nudging("dn", n, math.tanh, o)


def test_a_value_or_a_string_is_not_a_number(graph):
    a, b, c, f, e, d, L = graph
    d.grad = f
    with pytest.raises(AssertionError, match="dd is a Value, not a number: use a Value's number"):
        check_by_nudging("dd", d, lambda x: x * f.data, L)
    d.grad = "-2"
    with pytest.raises(AssertionError, match="dd is str '-2'; expected a number"):
        check_by_nudging("dd", d, lambda x: x * f.data, L)
