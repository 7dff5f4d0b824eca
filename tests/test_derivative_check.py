"""helpers.checks.derivatives: right answers pass however written, mistakes get the fitting hint."""

import math

import pytest

from helpers.checks.derivatives import (
    check_by_nudging,
    check_difference_quotients,
    check_flat_points,
    check_grad_f,
    check_partials_e,
    check_prediction_c,
    check_q_gradient,
    check_sigmoid_w1,
    check_step_errors,
)


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


def test_fn_called_with_the_point_itself_says_to_unpack_it():
    def forward_list(fn, point, h):
        return [(fn([v + h if j == i else v for j, v in enumerate(point)]) - fn(point)) / h
                for i in range(len(point))]
    with pytest.raises(TypeError, match=r"unpack the point when you call it, fn\(\*point\)"):
        check_difference_quotients(forward_list, central_plain)


def test_the_backward_pass_mistakes_that_give_the_same_number_are_both_named(graph):
    a, b, c, f, e, d, L = graph
    d.grad, f.grad, e.grad = -2.0, 4.0, -2.0
    c.grad = L.grad   # the seed passed on, skipping d: the same number as 1 alone
    with pytest.raises(AssertionError) as err:
        check_by_nudging("dc", c, lambda x: (e.data + x) * f.data, L)
    message = str(err.value)
    assert "either the local derivative 1 alone" in message
    assert "or the gradient of L (1) where the one that arrived at d (-2)" in message
    assert "the step from L down to d skipped" in message and "Likely mistake:" not in message


def test_the_gradient_of_another_node_and_a_split_sum_are_named(graph):
    a, b, c, f, e, d, L = graph
    d.grad, f.grad, c.grad, e.grad = -2.0, 4.0, -2.0, -2.0
    a.grad = f.grad * b.data
    with pytest.raises(AssertionError, match="Likely mistake: the gradient of f \\(4\\) where the "
                                             "one that arrived at e \\(-2\\)"):
        check_by_nudging("da", a, lambda x: (x * b.data + c.data) * f.data, L)
    c.grad = d.grad / 2
    with pytest.raises(AssertionError, match="the gradient split between the 2 inputs"):
        check_by_nudging("dc", c, lambda x: (e.data + x) * f.data, L)


def test_the_sigmoids_slope_for_tanh_and_no_negative_zero():
    n = Node(0.8813735870195432, label="n")
    o = n.tanh()
    o.label, o.grad = "o", 1.0
    n.grad = o.data * (1 - o.data)
    with pytest.raises(AssertionError, match="o·\\(1 - o\\), the sigmoid's slope"):
        check_by_nudging("dn", n, math.tanh, o)
    x, w = Node(0.0, label="x"), Node(1.0, label="w")
    xw = x * w
    xw.label, xw.grad = "xw", 0.5
    x.grad = -(xw.grad * x.data)   # -0.0
    with pytest.raises(AssertionError) as err:
        check_by_nudging("dx", x, lambda v: v * w.data * 0.5, xw)
    assert str(err.value).startswith("dx is 0, but nudging x alone gives 0.5000")


# --- the short exercises of lectures 01 and 02 ----------------------------------------------


@pytest.mark.parametrize("answer, expected", [
    (([1.0, 3.0], 3.0, 1.0), "local_max = 3 and local_min = 1 are swapped"),
    (([5.0, 1.0], 5.0, 1.0), "are the heights q(x) at the flat points, not the places"),
    (([-1.0, -3.0], -3.0, -1.0), "the zeros of 3x² + 12x + 9: a sign went wrong"),
    (([1.0, 3.0], 5.0, 1.0), "Likely mistake: the height q(x) of the maximum"),
    (([1.0, 3.0], 1.0, 1.0), "either the height q(x) of the minimum"),
    (([0.0, 3.0], 0.0, 3.0), "the slope of q at 0 is not zero (it is 9)"),
    (([1.0], 1.0, 3.0), "flat_points holds 1 number"),
    (("1, 3", 1.0, 3.0), "flat_points is str"),
])
def test_flat_points(answer, expected):
    with pytest.raises(AssertionError) as err:
        check_flat_points(*answer)
    assert expected in str(err.value), str(err.value)


def test_right_short_answers_pass(capsys):
    check_flat_points((3, 1), 1, 3)
    check_partials_e(4, 4.0, 1)
    check_step_errors(1.5, 0.0)
    check_prediction_c(-0.2)
    check_q_gradient(-4, -4, 3)
    sigma = 1 / (1 + math.exp(-0.8813735870195432))
    check_sigmoid_w1(2 * sigma * (1 - sigma))
    assert capsys.readouterr().out.count("\n") == 6


A, B, C = 2.5, -1.5, 4.0


@pytest.mark.parametrize("check, answer, expected, unexpected", [
    (check_partials_e, (C, A + B, C), "the right numbers in another order", "·"),
    (check_partials_e, (B, A, 1.0), "the gradient of d = a·b + c of section 5", None),
    (check_partials_e, (B * C, A * C, A * B), "+ taken as ·: the gradient of a·b·c", None),
    (check_partials_e, (C, C, A * B), "de_dc is -3.75; nudging gives 1. Likely mistake: + taken",
     "de_da"),
    (check_partials_e, (1.0, 1.0, A + B), "the local derivative of the sum alone (1): times c",
     None),
    (check_partials_e, (C, C, 7.0), "de_dc is 7; nudging gives 1", "Likely"),
    (check_step_errors, (0.0, 1.5), "the two swapped", None),
    (check_step_errors, (0.75, 0.0), "3h², the step squared", None),
    (check_step_errors, (1.5, 0.25), "Likely mistake: h² (0.25), the cubic g's error", None),
    (check_step_errors, (0.25, 0.0), "either h² (0.25)", "Likely mistake:"),
    (check_step_errors, (-1.5, 0.0), "a signed error", "the sign"),
    (check_step_errors, (1.5, 0.75), "central_error_f is 0.75; measuring at x = 3 with h = 0.5 "
                                     "gives 0", "Likely"),
    (check_prediction_c, (-8.2,), "the new value of L (-8.2), not the change", None),
    (check_prediction_c, (0.4,), "c moved along its gradient", None),
    (check_prediction_c, (0.72,), "section 4's predicted change", None),
    (check_prediction_c, (-0.196,), "built from f.data as section 4's step left it", None),
    (check_prediction_c, (0.1,), "d reaches L through L = d·f", None),
    (check_prediction_c, (0.2,), "Likely mistake: the sign", None),
    (check_q_gradient, (3.0, -4.0, -4.0), "the right numbers in another order", None),
    (check_q_gradient, (5.0, -2.0, 1.0), "the gradient of x·y + z", None),
    (check_q_gradient, (-20.0, 8.0, -10.0), "+ taken as ·: the gradient of x·y·z", None),
    (check_q_gradient, (1.0, 1.0, 3.0), "times the gradient that arrived at p, ∂q/∂p = z = -4",
     None),
    (check_q_gradient, (-4.0, -4.0, -12.0), "q's value itself (-12)", None),
    (check_sigmoid_w1, (1.0,), "tanh's slope 1 - o² (0.5) where σ's is asked", None),
    (check_sigmoid_w1, (-0.6213203435596424,), "w1 where x1 belongs", "tanh"),
    (check_sigmoid_w1, (0.20710678118654752,), "σ'(n) alone: times ∂n/∂w1 = x1 = 2", None),
    (check_sigmoid_w1, (0.3,), "do_dw1_sigmoid is 0.3; nudging w1 gives 0.414214", "Likely"),
])
def test_short_answers_get_a_structural_diagnosis(check, answer, expected, unexpected):
    with pytest.raises(AssertionError) as err:
        check(*answer)
    assert expected in str(err.value), str(err.value)
    if unexpected:
        assert unexpected not in str(err.value), str(err.value)


def test_a_value_or_none_is_not_a_number():
    with pytest.raises(AssertionError, match="expected a number"):
        check_prediction_c(None)
    with pytest.raises(AssertionError, match="dq_dx is a Value"):
        check_q_gradient(Node(1.0), -4, 3)
