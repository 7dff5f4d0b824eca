"""helpers.derivative_check: right answers pass however written, mistakes get the fitting hint."""

import math

import pytest

from helpers.derivative_check import check_difference_quotients, check_grad_f


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
