"""helpers.check: gradient comparison and central differences."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.check import compare, numerical_grad


def leaf_with_grad(grad):
    t = torch.zeros_like(grad, requires_grad=True)
    (t * grad).sum().backward()
    return t


def test_identical_gradient_is_exact(capsys):
    t = leaf_with_grad(torch.tensor([[1.0, -2.0], [0.5, 3.0]]))
    result = compare("dW", t.grad.clone(), t)
    assert result.ok and result.exact and result.maxdiff == 0.0
    assert capsys.readouterr().out == (
        "dW              | exact: True  | approximate: True  | maxdiff: 0\n")


def test_tiny_difference_is_approximate_and_prints_the_tolerance_not_the_digits(capsys):
    t = leaf_with_grad(torch.tensor([1.0, 2.0, 3.0]))
    result = compare("db", t.grad + 1e-7, t)
    assert result.ok and not result.exact
    assert 5e-8 < result.maxdiff < 2e-7
    assert capsys.readouterr().out.strip().endswith("approximate: True  | maxdiff: < 1e-05")


def test_large_difference_fails_and_shows_it():
    t = leaf_with_grad(torch.tensor([1.0, 2.0]))
    result = compare("dx", t.grad * 2, t, quiet=True)
    assert not result.ok and not result
    assert result.maxdiff == pytest.approx(2.0)
    assert "FAIL" in result.line and "2.00e+00" in result.line


def test_shape_mismatch_is_a_failure_even_when_broadcasting_would_match():
    t = leaf_with_grad(torch.ones(1, 64))
    manual = torch.ones(64)  # numerically right, wrong shape
    assert torch.allclose(manual, t.grad)  # the trap compare must not fall into
    result = compare("dbias", manual, t, quiet=True)
    assert not result.ok and not result.shape_ok
    assert "(64,)" in result.line and "(1, 64)" in result.line and "keepdim" in result.line


def test_missing_answer_says_not_implemented_yet(capsys):
    t = leaf_with_grad(torch.ones(3))
    assert not compare("dlogits", None, t)
    assert "not implemented yet" in capsys.readouterr().out


def test_tensor_without_grad_raises_with_the_fix():
    t = torch.ones(3, requires_grad=True)
    with pytest.raises(ValueError, match="retain_grad"):
        compare("dt", torch.ones(3), t)


def test_wrong_argument_types_raise_type_error():
    t = leaf_with_grad(torch.ones(2))
    with pytest.raises(TypeError, match="manual gradient"):
        compare("dt", [1.0, 1.0], t)
    with pytest.raises(TypeError, match="third argument"):
        compare("dt", torch.ones(2), [1.0])


def test_numpy_manual_gradient_is_accepted_and_cast():
    t = leaf_with_grad(torch.tensor([0.5, -1.5]))
    assert compare("dt", np.array([0.5, -1.5]), t, quiet=True).exact


def test_numerical_grad_of_a_scalar_function():
    assert numerical_grad(lambda x: x**3, 2.0) == pytest.approx(12.0, abs=1e-6)
    assert numerical_grad(math.sin, 0.3) == pytest.approx(math.cos(0.3), abs=1e-8)


def test_numerical_grad_of_a_tensor_function_matches_autograd():
    x = torch.tensor([[0.3, -1.2], [2.0, 0.7]], dtype=torch.float64, requires_grad=True)

    def f(t):
        return (t.tanh() * t**2).sum()

    f(x).backward()
    numeric = numerical_grad(f, x)
    assert numeric.shape == x.shape
    assert torch.allclose(numeric, x.grad, atol=1e-8)
    assert x.detach().tolist() == [[0.3, -1.2], [2.0, 0.7]]  # the input is left alone


def test_numerical_grad_of_a_numpy_function():
    x = np.array([1.0, -2.0, 0.5])
    numeric = numerical_grad(lambda v: float((v**2).sum()), x)
    assert isinstance(numeric, np.ndarray)
    np.testing.assert_allclose(numeric, 2 * x, atol=1e-8)


@settings(max_examples=50, deadline=None)
@given(coeffs=st.lists(st.floats(-5, 5), min_size=1, max_size=4), x=st.floats(-3, 3))
def test_numerical_grad_matches_the_power_rule_for_polynomials(coeffs, x):
    def p(t):
        return sum(c * t**k for k, c in enumerate(coeffs))

    exact = sum(k * c * x ** (k - 1) for k, c in enumerate(coeffs) if k)
    assert numerical_grad(p, x) == pytest.approx(exact, abs=1e-6)


def test_numerical_grad_rejects_bad_input():
    with pytest.raises(ValueError, match="must be positive"):
        numerical_grad(lambda x: x, 1.0, h=0)
    with pytest.raises(TypeError, match="must be a number, a torch.Tensor"):
        numerical_grad(lambda x: x, "1.0")
    with pytest.raises(ValueError, match="reduce it first"):
        numerical_grad(lambda t: t * 2, torch.ones(3))
    with pytest.raises(TypeError, match="must return a number"):
        numerical_grad(lambda x: "y", 1.0)
