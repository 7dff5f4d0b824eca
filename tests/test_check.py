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


def planted(reference):
    """A leaf tensor whose .grad is ``reference``, for planting mistakes against it."""
    return leaf_with_grad(reference)


def bessel_reference():
    g = torch.Generator().manual_seed(0)
    return torch.randn(4, 5, generator=g, dtype=torch.float64)


def test_diagnoses_a_missing_keepdim():
    t = planted(torch.arange(1.0, 33.0).reshape(32, 1))
    line = compare("dcounts_sum", t.grad.reshape(32), t, quiet=True).line
    assert "(32,)" in line and "(32, 1)" in line and "missing keepdim=True" in line


def test_diagnoses_a_transposed_matrix_of_the_wrong_shape():
    t = planted(torch.arange(12.0).reshape(3, 4))
    assert "transposed matrix" in compare("dW", t.grad.T.clone(), t, quiet=True).line


def test_diagnoses_a_transposed_square_matrix():
    t = planted(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert "transpose of the right matrix" in compare("dW", t.grad.T.clone(), t, quiet=True).line


def test_diagnoses_a_wrong_sign():
    t = planted(bessel_reference())
    assert "sign is wrong" in compare("dx", -t.grad, t, quiet=True).line


@pytest.mark.parametrize("factor, shown", [(32 / 31, "= 32/31"), (31 / 32, "= 31/32")])
def test_diagnoses_n_versus_n_minus_1(factor, shown):
    t = planted(bessel_reference())
    line = compare("dbnvar", t.grad * factor, t, quiet=True).line
    assert "constant factor" in line and shown in line and "Bessel" in line


def test_diagnoses_another_constant_factor_without_bessel():
    t = planted(bessel_reference())
    line = compare("dx", t.grad * 2, t, quiet=True).line
    assert "constant factor 2" in line and "Bessel" not in line


def test_a_missing_contribution_points_at_accumulation():
    g = torch.Generator().manual_seed(1)
    from_probs = torch.randn(6, 3, generator=g)
    from_sum = torch.randn(6, 1, generator=g).expand(6, 3)
    t = planted(from_probs + from_sum)  # the variable is used twice: two contributions
    line = compare("dcounts", from_probs, t, quiet=True).line  # overwrote instead of +=
    assert "used more than once" in line and "+=" in line


def test_a_missing_sum_over_the_broadcast_dimension_is_named():
    t = planted(torch.ones(27))
    line = compare("db2", torch.ones(32, 27), t, quiet=True).line
    assert "broadcast dimension" in line
