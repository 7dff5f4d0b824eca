"""helpers.checks.derivatives: right answers pass however written, mistakes get the fitting hint,
derived from the structure of the answer, and a mistake is named only when it is the single fit
(two that fit are both named)."""

import math

import pytest

from helpers.checks.core import Refused
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
    assert capsys.readouterr().out == "grad_f: correct (at (2, 3, 4) and at 20 random points)\n"


@pytest.mark.parametrize("wrong, expected, not_expected", [
    (lambda a, b, c: [-3 * a**2 - 0.5 * a**-0.5, math.cos(3 * b) + 2.5 * b**1.5, 1 / c**2],
     "factor 3 from inside sin(3b)", None),
    (lambda a, b, c: [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * b) + 2.5 * b**1.5, -1 / c**2],
     "the sign: -1/c", None),
    (lambda a, b, c: [-3 * a**2, 3 * math.cos(3 * b) + 2.5 * b**1.5, 1 / c**2],
     "is left out", None),
    (lambda a, b, c: list(reversed(gradient_plain(a, b, c))), "another order", "Likely"),
    (lambda a, b, c: [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * b) + 2.5 * b**2.5, 1 / c**2],
     "Likely mistake: the exponent not lowered in b^2.5: the power rule gives 2.5·b^1.5, not "
     "2.5·b^2.5", "either"),
    (lambda a, b, c: [-3 * a**2 + 0.5 * a**-0.5, 3 * math.cos(3 * b) + 2.5 * b**1.5, 1 / c**2],
     "Likely mistake: the sign: -a^0.5 has derivative -0.5·a^-0.5", "either"),
    (lambda a, b, c: [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * b) + 2.5 * b**1.5, -1 / c**2],
     "Likely mistake: the sign: -1/c = -c⁻¹ has derivative -(-1)·c⁻² = +1/c²", "either"),
    (lambda a, b, c: [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * b) + b**2.5, 1 / c**2],
     "Likely mistake: the term b^2.5 itself, not its derivative 2.5·b^1.5", "either"),
    (lambda a, b, c: [-3 * a**3 - 0.5 * a**-0.5, 3 * math.cos(3 * b) + 2.5 * b**1.5, 1 / c**2],
     "the exponent not lowered in -a³", None),
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
    with pytest.raises(AssertionError, match="differs at") as err:
        check_grad_f(memorised)
    assert "Likely" not in str(err.value)


@pytest.mark.parametrize("answer, expected", [
    (lambda a, b, c: [x, 0.0, 0.0],   # noqa: F821 (a NameError in the learner's code)
     "your <lambda>(a=2.0, b=3.0, c=4.0) raised NameError: name 'x' is not defined"),
    (lambda a, b, c: [1 / (a - a), 0.0, 0.0],
     "your <lambda>(a=2.0, b=3.0, c=4.0) raised ZeroDivisionError"),
])
def test_the_learners_own_exception_is_refused_with_the_input(answer, expected):
    with pytest.raises(Refused) as err:
        check_grad_f(answer)
    assert str(err.value).startswith(expected)
    assert err.value.__cause__ is not None   # feedback shows the learner's line from it


def test_the_same_wrong_answer_gets_the_same_message_every_time():
    def wrong(a, b, c):
        return [1.0, 2.0, 3.0]
    messages = set()
    for _ in range(2):
        with pytest.raises(AssertionError) as err:
            check_difference_quotients(forward_plain, lambda fn, p, h: [0.0] * len(p))
        messages.add(str(err.value))
        with pytest.raises(AssertionError) as err:
            check_grad_f(wrong)
        messages.add(str(err.value))
    assert len(messages) == 2


@pytest.mark.parametrize("central", [central_plain, central_comprehension])
def test_right_difference_quotients_pass(central, capsys):
    check_difference_quotients(forward_plain, central)
    assert capsys.readouterr().out == ("forward_grad and central_grad: correct (on 12 random "
                                       "quadratics, 2 to 4 inputs)\n")


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


def _with(step_of):
    """forward or central differences whose nudge is made by ``step_of(point, i, s)``."""
    def forward(fn, point, h):
        return [(fn(*step_of(point, i, h)) - fn(*point)) / h for i in range(len(point))]

    def central(fn, point, h):
        return [(fn(*step_of(point, i, h)) - fn(*step_of(point, i, -h))) / (2 * h)
                for i in range(len(point))]
    return forward, central


def _moved(point, i, s):
    p = list(point)
    p[i] += s
    return p


def _set_to(point, i, s):   # `=` where `+=` belongs
    p = list(point)
    p[i] = s
    return p


def _piled(point, i, s):   # the copy made once, outside the loop
    return [v + s if j <= i else v for j, v in enumerate(point)]


@pytest.mark.parametrize("which, answer, expected", [
    ("forward", lambda fn, p, h: [g / 2 for g in forward_plain(fn, p, h)],
     "Likely mistake: divided by 2h: the forward difference spans one step, h"),
    ("central", lambda fn, p, h: [g / 2 for g in forward_plain(fn, p, h)],
     "Likely mistake: (f(x + h) - f(x)) / 2h, half the forward difference"),
    ("central", _with(_set_to)[1], "Likely mistake: `=` where `+=` belongs"),
    ("forward", _with(_set_to)[0], "Likely mistake: `=` where `+=` belongs"),
    ("forward", _with(_piled)[0], "Likely mistake: the nudges pile up"),
    ("central", _with(_piled)[1], "Likely mistake: the nudges pile up"),
    ("forward", lambda fn, p, h: [g * h for g in forward_plain(fn, p, h)],
     "Likely mistake: the rise alone: divide it by the run, h"),
])
def test_each_way_of_nudging_wrong_is_named(which, answer, expected):
    pair = (answer, central_plain) if which == "forward" else (forward_plain, answer)
    with pytest.raises(AssertionError) as err:
        check_difference_quotients(*pair)
    assert expected in str(err.value), str(err.value)
    assert str(err.value).startswith(f"{which}_grad on a quadratic")


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
    # a number alone: d's value, f's gradient and more give 4 here (a cell that computes it
    # is run again on other numbers: test_a_cell_run_again_on_other_numbers)
    (4.0, "dd is 4, but nudging d alone gives -2 (3 different slips give this number here"),
    (1.0, "the gradient passed on unchanged, as a + would"),
    (0.0, "a .grad is filled in only by the check"),
    (2.0, "Likely mistake: either another node's value, a (2), where ∂L/∂d belongs, or the "
          "sign"),
    (-2.5, "dd is -2.5, but nudging d alone gives -2"),
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
    with pytest.raises(AssertionError, match="the local derivative ∂d/∂c = 1 alone: multiply it "
                                             "by the gradient that arrived at d, ∂L/∂d = -2"):
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
    with pytest.raises(Refused, match=r"^your forward_grad\(fn, point=\(.*\), h=0.001\) raised "
                                      r"TypeError: .*unpack the point when you call it, "
                                      r"fn\(\*point\)"):
        check_difference_quotients(forward_list, central_plain)


def test_an_unpacking_error_in_the_learners_code_is_theirs():
    def forward_three(fn, point, h):
        a, b, c = point
        return forward_plain(fn, point, h)
    with pytest.raises(Refused, match=r"^your forward_grad\(fn, point=\(.*\), h=0.001\) raised "
                                      "ValueError: not enough values to unpack"):
        check_difference_quotients(forward_three, central_plain)


def test_a_point_changed_in_place_and_a_grad_f_of_one_argument_are_explained():
    def forward_in_place(fn, point, h):
        point[0] += h
        return forward_plain(fn, point, h)
    with pytest.raises(Refused, match=r"raised TypeError: 'tuple' object does not support item "
                                      r"assignment \(the point is a tuple: copy it into a list"):
        check_difference_quotients(forward_in_place, central_plain)
    with pytest.raises(Refused, match=r"takes 1 positional argument but 3 were given \(the check "
                                      r"calls grad_f\(a, b, c\), with the three numbers"):
        check_grad_f(lambda point: point)


def test_the_seed_passed_on_reads_as_the_local_derivative_alone(graph):
    a, b, c, f, e, d, L = graph
    d.grad, f.grad, e.grad = -2.0, 4.0, -2.0
    c.grad = L.grad   # the seed passed on, skipping d: the same number as 1 alone
    with pytest.raises(AssertionError) as err:
        check_by_nudging("dc", c, lambda x: (e.data + x) * f.data, L)
    assert str(err.value) == ("dc is 1, but nudging c alone gives -2. Likely mistake: the local "
                              "derivative ∂d/∂c = 1 alone: multiply it by the gradient that "
                              "arrived at d, ∂L/∂d = -2")


def test_the_gradient_of_another_node_and_a_split_sum_are_named(graph):
    a, b, c, f, e, d, L = graph
    d.grad, f.grad, c.grad, e.grad = -2.0, 4.0, -2.0, -2.0
    a.grad = f.grad * b.data
    # a number alone: f multiplied in twice gives -12 too (both are said)
    with pytest.raises(AssertionError, match="Likely mistake: either the gradient of f \\(4\\) "
                                             "where the one that arrived at e \\(-2\\) belongs: "
                                             "f is on another branch, or the factor f"):
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
    assert str(err.value).startswith("dx is 0, but nudging x alone gives 0.5")


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
    check_flat_points([1.0000000000000002, 2.9999999999999996], 1, 3)
    check_partials_e(4, 4.0, 1)
    check_step_errors(1.5, 0.0)
    check_prediction_c(-0.2)
    check_q_gradient(-4, -4, 3)
    sigma = 1 / (1 + math.exp(-0.8813735870195432))
    check_sigmoid_w1(2 * sigma * (1 - sigma))
    out = capsys.readouterr().out
    assert out.count("\n") == 7 and out.count(": correct (") == 7, out


A, B, C = 2.5, -1.5, 4.0


@pytest.mark.parametrize("check, answer, expected, unexpected", [
    (check_partials_e, (C, A + B, C), "the right numbers in another order", "·"),
    (check_partials_e, (B, A, 1.0), "the gradient of d = a·b + c of section 5", None),
    # e read as a + b·c: one reading of the whole answer, before the slips number by number
    (check_partials_e, (1.0, C, B), "Likely mistake: the brackets misread: the gradient of "
                                    "a + b·c, not of e = (a + b)·c", None),
    (check_partials_e, (B * C, A * C, A * B), "+ taken as ·: the gradient of a·b·c", None),
    (check_partials_e, (C, C, A * B), "de_dc is -3.75; nudging gives 1. Likely mistake: + taken",
     "de_da"),
    (check_partials_e, (1.0, 1.0, A + B), "de_da is 1; nudging gives 4. Likely mistake: the local "
     "derivative ∂(a + b)/∂a = 1 alone: multiply it by the gradient that arrived at a + b, "
     "∂e/∂(a + b) = 4", None),
    # the same numbers read as a whole are a + b + c's gradient, by the accident a + b = 1
    (check_partials_e, (1.0, 1.0, A + B), "(or, reading the whole answer at once: * taken as +: "
     "the gradient of a + b + c, not of e = (a + b)·c)", None),
    (check_partials_e, (C, C, A), "a (2.5) where the whole other factor a + b (1) belongs", None),
    (check_partials_e, (C, C, (A + B) * C), "de_dc is 4; nudging gives 1 (3 different slips "
     "give this number here", None),
    (check_partials_e, (C, C, 7.0), "de_dc is 7; nudging gives 1", "Likely"),
    (check_step_errors, (0.0, 1.5), "the two swapped", None),
    (check_step_errors, (0.75, 0.0), "3h², the step squared", None),
    (check_step_errors, (1.5, 0.25), "Likely mistake: h² (0.25), the cubic g's error", None),
    (check_step_errors, (0.25, 0.0), "Likely mistake: either h² (0.25)", None),
    (check_step_errors, (1.5 / 14, 0.0), "Likely mistake: a relative error, divided by f'(3) = 14",
     None),
    (check_step_errors, (-1.5, 0.0), "a signed error", "the sign"),
    (check_step_errors, (1.5, 0.75), "central_error_f is 0.75; measuring at x = 3 with h = 0.5 "
                                     "gives 0", "Likely"),
    (check_prediction_c, (-8.2,), "the new value of L (-8.2), not the change", None),
    # 0.1·∂L/∂f is 0.4 = 0.1·(∂L/∂c)² too: both are named
    (check_prediction_c, (0.4,), "Likely mistake: either c moved along its gradient", None),
    (check_prediction_c, (0.4,), "or 0.1·∂L/∂f, the gradient of f, where c's", None),
    (check_prediction_c, (0.6,), "Likely mistake: 0.1·∂L/∂a, the gradient of a", None),
    (check_prediction_c, (0.72,), "section 4's predicted change", None),
    (check_prediction_c, (-0.196,), "built from f.data as section 4's step left it", None),
    (check_prediction_c, (0.1,), "d reaches L through L = d·f", None),
    (check_prediction_c, (0.2,), "Likely mistake: the sign", None),
    (check_q_gradient, (3.0, -4.0, -4.0), "the right numbers in another order", None),
    (check_q_gradient, (5.0, -2.0, 1.0), "the gradient of x·y + z", None),
    (check_q_gradient, (-20.0, 8.0, -10.0), "+ taken as ·: the gradient of x·y·z", None),
    (check_q_gradient, (1.0, 1.0, 3.0), "Likely mistake: the local derivative ∂p/∂x = 1 alone: "
     "multiply it by the gradient that arrived at p = x + y, ∂q/∂p = -4", None),
    (check_q_gradient, (-4.0, -4.0, -2.0), "Likely mistake: x (-2) where the whole other factor "
     "p = x + y (3) belongs", None),
    # a number alone: z, ∂q/∂p, ∂q/∂x and ∂q/∂y are all -4 here
    (check_q_gradient, (-4.0, -4.0, -4.0), "(4 different slips give this number here", None),
    (check_q_gradient, (-4.0, -4.0, -12.0), "q's value itself (-12)", None),
    (check_sigmoid_w1, (1.0,), "tanh's slope 1 - o² (0.5) where σ's is asked", None),
    (check_sigmoid_w1, (-0.6213203435596424,), "Likely mistake: either its own data: a product "
     "gives "
     "each input the *other* input's data (x1)", "tanh"),
    # a number alone: x2 = 0 and 1 - o² = 1/2 make six slips give this number
    (check_sigmoid_w1, (0.20710678118654752,), "(6 different slips give this number here", None),
    (check_sigmoid_w1, (2 * (1 - 1 / math.sqrt(2)),), "Likely mistake: 1 - σ(n) alone",
     None),
    (check_sigmoid_w1, (2 / (1 + math.exp(-1 / math.sqrt(2))) * (1 - 1 / (1 + math.exp(
        -1 / math.sqrt(2)))),), "Likely mistake: σ taken again at its own output o", None),
    (check_sigmoid_w1, (0.3,), "do_dw1_sigmoid is 0.3; nudging w1 gives 0.414214", "Likely"),
])
def test_short_answers_get_a_structural_diagnosis(check, answer, expected, unexpected):
    with pytest.raises(AssertionError) as err:
        check(*answer)
    assert expected in str(err.value), str(err.value)
    if unexpected:
        assert unexpected not in str(err.value), str(err.value)


def test_the_neurons_backward_pass_by_hand():
    """Section 5's neuron: mistakes at each step, named from the graph (x2 = 0 and
    1 - o² = 0.5 make several mistakes give the same number: then both are named)."""
    x1, x2, w1, w2, b = (Node(v, label=k) for k, v in [("x1", 2.0), ("x2", 0.0), ("w1", -3.0),
                                                       ("w2", 1.0), ("b", 6.8813735870195432)])
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label, o.grad = "o", 1.0

    def neuron(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432):
        return math.tanh(x1 * w1 + x2 * w2 + b)

    def refused(name, value, grad, output_of):
        value.grad = grad
        with pytest.raises(AssertionError) as err:
            check_by_nudging(name, value, output_of, o)
        return str(err.value)

    assert "Likely mistake: 1 - tanh(o)², tanh applied again to its own output" in refused(
        "dn", n, 1 - math.tanh(o.data) ** 2, math.tanh)
    n.grad = s.grad = b.grad = 0.5
    message = refused("dx2w2", x2w2, 0.0, lambda v: math.tanh(x1w1.data + v + b.data))
    assert "(4 different slips give this number here: no telling which)" in message
    x1w1.grad = x2w2.grad = 0.5
    assert "Likely mistake: tanh's local derivative 1 - o² (0.5) applied twice: it is already " \
        "in the gradient that arrived at x1*w1" in refused("dx1", x1, -0.75,
                                                           lambda v: neuron(x1=v))
    # x2 = 0: four mistakes give 0 here; none is named
    assert "Likely" not in refused("dx2", x2, 0.0, lambda v: neuron(x2=v))


def test_a_value_or_its_value_for_a_gradient(graph):
    a, b, c, f, e, d, L = graph
    L.grad = -8.0   # dL = L.data
    with pytest.raises(AssertionError, match="Likely mistake: L's value \\(-8\\) where its "
                                             "gradient belongs"):
        check_by_nudging("dL", L, lambda x: x, L)
    L.grad, d.grad = 1.0, -2.0
    f.grad = d.data * d.grad   # the other input's gradient where the seed belongs: L's value
    with pytest.raises(AssertionError, match="Likely mistake: L's value itself \\(-8\\)"):
        check_by_nudging("df", f, lambda x: d.data * x, L)
    f.grad, c.grad, e.grad = 4.0, -2.0, -2.0
    b.grad = a.data * e.data   # e's value where its gradient belongs
    with pytest.raises(AssertionError, match="Likely mistake: the value of e \\(-6\\) where its "
                                             "gradient \\(-2\\) belongs"):
        check_by_nudging("db", b, lambda x: (a.data * x + c.data) * f.data, L)


@pytest.mark.parametrize("answer, expected", [
    (([0.0, 4.0], 0.0, 4.0), "These are the zeros of 3x² - 12x: the term 9x left out of the "
                             "derivative"),
    (([0.0, 1.0], 0.0, 1.0), "the exponent not lowered in 9x: the power rule gives 9, not 9x"),
    (([1.0, 3.0], 1.0, 3.001), "local_min = 3.001 (it is not in flat_points): the slope of q "
                               "there is 0.006003, not 0"),
])
def test_flat_points_of_a_derivative_with_one_slip(answer, expected):
    with pytest.raises(AssertionError) as err:
        check_flat_points(*answer)
    assert expected in str(err.value), str(err.value)


def test_step_errors_against_a_derivative_with_one_slip():
    f = 3 * 3.5**2 - 4 * 3.5 + 5
    forward, central = (f - 20.0) / 0.5, (f - (3 * 2.5**2 - 4 * 2.5 + 5)) / 1.0
    with pytest.raises(AssertionError) as err:
        check_step_errors(abs(forward - 18), abs(central - 18))   # f'(3) without the -4
    assert "Likely mistake: errors against f'(3) = 18, not 14: the term -4x left out" \
        in str(err.value)


@pytest.mark.parametrize("answer, expected", [
    (lambda fn, p, h: [(fn(*_moved(p, i, h)) - fn(*_moved(p, i, -h))) / 2 * h
                       for i in range(len(p))], "`/ 2*h` divides by 2 and then multiplies by h"),
    (lambda fn, p, h: central_plain(fn, p, h)[::-1], "the estimates in reverse order"),
])
def test_precedence_and_order_in_the_central_difference(answer, expected):
    with pytest.raises(AssertionError) as err:
        check_difference_quotients(forward_plain, answer)
    assert f"Likely mistake: {expected}" in str(err.value), str(err.value)


def test_a_float32_answer_is_judged_as_float32(capsys):
    np = pytest.importorskip("numpy")
    check_grad_f(lambda a, b, c: np.array(gradient_plain(a, b, c), dtype=np.float32))
    assert "grad_f: correct" in capsys.readouterr().out


def test_the_sigmoids_slope_without_its_denominator_is_named_not_a_factor_2():
    # e^-n·x1 is exactly twice the answer here, by the accident (1 + e^-n)² = 2
    with pytest.raises(AssertionError) as err:
        check_sigmoid_w1(math.exp(-0.8813735870195432) * 2.0)
    assert "Likely mistake: either e^-n without the denominator" in str(err.value)
    assert "exactly 2" not in str(err.value)


def test_a_value_or_none_is_not_a_number():
    with pytest.raises(AssertionError, match="expected a number"):
        check_prediction_c(None)
    with pytest.raises(AssertionError, match="dq_dx is a Value"):
        check_q_gradient(Node(1.0), -4, 3)


# --- one number judged alone, or the learner's cell run again (issue 15, round 2) -----------


@pytest.fixture
def your_cell():
    """``your_cell(source, namespace)``: run ``source`` as the learner's cell in an IPython
    shell whose namespace holds ``namespace`` (updated with what the cell binds), where the
    checks find it again in IPython's history."""
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()

    def run(source, namespace):
        shell.user_ns.update(namespace)
        result = shell.run_cell(source, store_history=True)
        namespace.update(shell.user_ns)
        return result
    try:
        yield run
    finally:
        InteractiveShell.clear_instance()


@pytest.mark.parametrize("source, name, expected, unexpected", [
    # a .grad read where .data belongs: f.grad holds ∂L/∂f = d, the same as "its own data"
    # on every graph, so both are said (not one alone)
    ("dd = f.grad * dL", "dd", "either its own data", None),
    ("dd = f.grad * dL", "dd", "or another node's gradient, ∂L/∂f (4)", None),
    # f multiplied in again: no longer "f is on another branch" (the same number only here)
    ("da = b.data * dd * f.data", "da", "Likely mistake: the factor f (-2) of the step through "
     "L multiplied in twice", "another branch"),
    # + for · in the chain rule: no longer "0, as if the gradient from above were 0"
    ("db = a.data + de", "db", "Likely mistake: the local derivative ∂e/∂b = a (2) ADDED to "
     "the gradient that arrived at e", "as if"),
    # the same numbers with the intended expressions: named alone
    ("dd = d.data * dL", "dd", "Likely mistake: its own data", "either"),
    ("da = df * b.data", "da", "Likely mistake: the gradient of f (4) where the one that "
     "arrived at e (-2) belongs: f is on another branch", "either"),
])
def test_a_cell_run_again_on_other_numbers(your_cell, graph, source, name, expected,
                                           unexpected):
    a, b, c, f, e, d, L = graph
    d.grad, f.grad, c.grad, e.grad = -2.0, 4.0, -2.0, -2.0
    namespace = {"math": math, "a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "L": L,
                 "dL": 1.0, "dd": -2.0, "df": 4.0, "dc": -2.0, "de": -2.0}
    your_cell(source, namespace)
    value = {"dd": d, "da": a, "db": b}[name]
    value.grad = namespace[name]
    output_of = {"dd": lambda x: x * f.data, "da": lambda x: (x * b.data + c.data) * f.data,
                 "db": lambda x: (a.data * x + c.data) * f.data}[name]
    with pytest.raises(AssertionError) as err:
        check_by_nudging(name, value, output_of, L)
    assert expected in str(err.value), str(err.value)
    if unexpected:
        assert unexpected not in str(err.value), str(err.value)


def test_a_precedence_slip_in_tanhs_slope_is_named(your_cell):
    n = Node(0.8813735870195432, label="n")
    o = n.tanh()
    o.label, o.grad = "o", 1.0
    your_cell("do = 1.0\ndn = (1 - o.data) ** 2 * do\n", {"o": o, "n": n})
    n.grad = (1 - o.data) ** 2
    with pytest.raises(AssertionError, match="Likely mistake: `\\(1 - o\\) \\*\\* 2` for tanh's "
                                             "slope `1 - o\\*\\*2`"):
        check_by_nudging("dn", n, math.tanh, o)


def test_a_precedence_slip_in_the_sigmoid_is_named(your_cell):
    x1, x2, w1, w2, b = (Node(v, label=k) for k, v in [("x1", 2.0), ("x2", 0.0), ("w1", -3.0),
                                                       ("w2", 1.0), ("b", 6.8813735870195432)])
    n = x1 * w1 + x2 * w2 + b   # the notebook's neuron (of lecture 02, a tanh one)
    n.label = "n"
    your_cell("sig = 1 / 1 + math.exp(-n.data)\ndo_dw1_sigmoid = sig * (1 - sig) * x1.data\n",
              {"math": math, "n": n, "x1": x1})
    sig = 1 / 1 + math.exp(-n.data)
    with pytest.raises(AssertionError, match="Likely mistake: σ\\(n\\) computed as "
                                             "`1 / 1 \\+ math.exp\\(-n\\)`"):
        check_sigmoid_w1(sig * (1 - sig) * x1.data)


def test_answer_and_check_in_one_cell_run_the_check_once(your_cell):
    # the cell runs again without its check (it re-ran the check, which re-ran the cell...)
    calls = []

    def check(answer):
        calls.append(answer)
        if len(calls) == 1:
            check_sigmoid_w1(answer)
    result = your_cell("sig = 1 / (1 + math.exp(-n.data))\n"
                       "do_dw1_sigmoid = sig * (1 - sig) * w1.data\ncheck(do_dw1_sigmoid)\n",
                       {"math": math, "check": check, **neuron()})
    assert len(calls) == 1
    assert "Likely mistake: its own data" in str(result.error_in_exec)


def test_a_cell_runs_again_only_the_statements_its_answer_needs_on_copies(your_cell, graph):
    a, b, c, f, e, d, L = graph
    namespace = {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "L": L, "log": []}
    your_cell("dL = 1.0\ndd = d.data * dL\nd.grad = dd\nlog.append(dd)\n", namespace)
    with pytest.raises(AssertionError, match="Likely mistake: its own data"):
        check_by_nudging("dd", d, lambda x: x * f.data, L)
    assert namespace["log"] == [4.0] and d.grad == 4.0   # the notebook's objects untouched


def test_another_nodes_value_is_told_apart_from_one_with_other_digits(your_cell):
    # x2*w2 and x1*w1 read the same without their digits: both stay candidates
    nodes = neuron(tanh=True)
    x1, o = nodes["x1"], nodes["o"]
    your_cell("dx1 = x2w2.data\n", nodes)
    x1.grad = nodes["dx1"]
    with pytest.raises(AssertionError, match="Likely mistake: another node's value, x2\\*w2 "):
        check_by_nudging("dx1", x1, lambda v: math.tanh(v * -3.0 + 6.8813735870195432), o)


def neuron(tanh=False):
    """Lecture 02's neuron, its nodes by name (with o = tanh(n) where asked)."""
    x1, x2, w1, w2, b = (Node(v, label=k) for k, v in [("x1", 2.0), ("x2", 0.0), ("w1", -3.0),
                                                       ("w2", 1.0), ("b", 6.8813735870195432)])
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1*w1", "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    nodes = {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "x1w1": x1w1, "x2w2": x2w2,
             "n": n}
    if tanh:
        o = n.tanh()
        o.label = "o"
        nodes["o"] = o
    return nodes


@pytest.mark.parametrize("answer, expected", [
    # -1/2 for -0.5 in an exponent, without parentheses
    (lambda a, b, c: [-3 * a**2 - 0.5 * a ** -1/2, 3 * math.cos(3 * b) + 2.5 * b**1.5,
                      1 / c**2], "`-1 / 2 * a ** (-1) / 2` where `-1 / 2 * a**(-1 / 2)`"),
    # the wrong variable inside the cosine
    (lambda a, b, c: [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * a) + 2.5 * b**1.5, 1 / c**2],
     "a where b belongs: `3 * math.cos(3 * a)`"),
])
def test_grad_f_slips_derived_from_the_terms_text(answer, expected):
    with pytest.raises(AssertionError, match="Likely mistake: " + expected.replace(
            "(", "\\(").replace(")", "\\)").replace("*", "\\*")):
        check_grad_f(answer)


def test_the_quadratic_formula_without_parentheses_is_named():
    disc = math.sqrt(12**2 - 4 * 3 * 9)
    points = [(12 - disc) / 2 * 3, (12 + disc) / 2 * 3]
    with pytest.raises(AssertionError, match="the quadratic formula as Python reads "
                                             "`\\(-b ± math.sqrt"):
        check_flat_points(points, points[0], points[1])


def test_a_sign_slip_in_a_sum_is_named():
    with pytest.raises(AssertionError, match="dq_dz is -7; nudging gives 3. Likely mistake: "
                                             "\\+ taken as -: that is ∂\\(\\(x - y\\)·z\\)/∂z"):
        check_q_gradient(-4.0, -4.0, -2.0 - 5.0)


def test_the_sign_is_still_a_candidate_for_lecture_01s_partials():
    with pytest.raises(AssertionError, match="de_da is -4; nudging gives 4. Likely mistake: the "
                                             "sign"):
        check_partials_e(-4.0, 4.0, 1.0)
