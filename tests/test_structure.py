"""helpers.checks.compare: diagnoses derived from the answer's structure, planted mistakes
that no table lists (terms of a formula, factors named by the sizes around the gradient,
one intermediate in place of another), and right answers in either precision."""

import pytest
import torch

from helpers.checks import core
from helpers.checks.compare import compare

N = 32


def gen(seed):
    return torch.Generator().manual_seed(seed)


# ---- one tolerance rule -----------------------------------------------------------------------

def test_a_float64_answer_from_float32_activations_passes_against_the_float64_truth():
    z64 = torch.randn(N, 64, generator=gen(0), dtype=torch.float64)
    up64 = torch.randn(N, 64, generator=gen(1), dtype=torch.float64)
    z = z64.float().requires_grad_()
    h = torch.tanh(z)
    (h * up64.float()).sum().backward()
    exact = (1 - torch.tanh(z64) ** 2) * up64             # the float64 referee
    answer = (1 - h.detach().double() ** 2) * up64        # float64, from float32 activations
    assert float((answer - exact).abs().max()) > 1e-9     # far above float64's rounding
    result = compare("dz", answer, z, reference=exact, quiet=True)
    assert result.ok and "float32 rounding" in result.line
    assert compare("dz", answer.float(), z, reference=exact, quiet=True).ok
    assert not compare("dz", answer * (1 + 1e-4), z, reference=exact, quiet=True).ok


def test_a_float64_answer_against_a_float64_tensor_keeps_float64s_tolerance():
    x = torch.randn(N, 8, generator=gen(2), dtype=torch.float64, requires_grad=True)
    (x.exp() * 3).sum().backward()
    assert compare("dx", x.detach().exp() * 3, x, quiet=True).ok
    wrong = compare("dx", x.detach().exp() * 3 * (1 + 1e-6), x, quiet=True)
    assert not wrong.ok and "float64" not in wrong.line


# ---- terms of a formula -------------------------------------------------------------------------

def batchnorm_terms(dtype=torch.float64):
    """x -> BatchNorm (Bessel-corrected variance) -> a loss; the three terms of the one-line
    backward pass, in float64, with their labels."""
    x64 = torch.randn(N, 6, generator=gen(3), dtype=torch.float64)
    gain = 1 + 0.3 * torch.randn(1, 6, generator=gen(4), dtype=torch.float64)
    dy = torch.randn(N, 6, generator=gen(5), dtype=torch.float64)
    x = x64.to(dtype).requires_grad_()
    mean = x.mean(0, keepdim=True)
    var = x.var(0, keepdim=True, correction=1)
    s = (var + 1e-5) ** -0.5
    xhat = (x - mean) * s
    loss = ((gain.to(dtype) * xhat) * dy.to(dtype)).sum()
    loss.backward(retain_graph=True)
    s64 = (x64.var(0, keepdim=True) + 1e-5) ** -0.5
    xhat64 = (x64 - x64.mean(0, keepdim=True)) * s64
    front = gain * s64 / N
    terms = {"n * dy": front * N * dy,
             "dy.sum(0)": -front * dy.sum(0, keepdim=True),
             "xhat * (xhat * dy).sum(0)": -front * N / (N - 1) * xhat64
             * (xhat64 * dy).sum(0, keepdim=True)}
    return x, loss, terms


def test_the_terms_sum_to_the_reference_and_a_right_answer_passes_in_either_precision():
    x, _, terms = batchnorm_terms()
    right = sum(terms.values())
    assert compare("dx", right, x, terms=terms, quiet=True).ok
    assert compare("dx", right, x, terms=terms, reference=x.grad, quiet=True).ok
    x32, _, terms32 = batchnorm_terms(torch.float32)
    assert compare("dx", x32.grad, x32, terms=terms32, quiet=True).ok
    assert compare("dx", sum(terms32.values()).float(), x32, terms=terms32, quiet=True).ok


@pytest.mark.parametrize("plant, said", [
    (lambda t: t["n * dy"] - t["dy.sum(0)"] + t["xhat * (xhat * dy).sum(0)"],
     "the term dy.sum(0) has the wrong sign"),
    (lambda t: t["n * dy"] + t["xhat * (xhat * dy).sum(0)"],
     "the term dy.sum(0) is missing"),
    (lambda t: t["n * dy"] + t["dy.sum(0)"] / N + t["xhat * (xhat * dy).sum(0)"],
     "the term dy.sum(0) carries an extra 1/n = 1/32"),
    (lambda t: t["n * dy"] + t["dy.sum(0)"] * N / (N - 1)
     + t["xhat * (xhat * dy).sum(0)"] * (N - 1) / N,
     "the factor n/(n-1) = 32/31 sits on the term dy.sum(0); it belongs on the term "
     "xhat * (xhat * dy).sum(0)"),
    (lambda t: t["n * dy"] + t["dy.sum(0)"] - t["xhat * (xhat * dy).sum(0)"] * (N - 1) / N,
     "the term xhat * (xhat * dy).sum(0) has the wrong sign and a factor (n-1)/n = 31/32"),
])
def test_a_wrong_term_is_named(plant, said):
    x, _, terms = batchnorm_terms()
    result = compare("dx", plant(terms), x, terms=terms, n=N, quiet=True)
    assert not result.ok
    assert result.diagnosis.startswith("dx is the sum of 3 terms, and ")
    assert said in result.diagnosis, result.diagnosis


def test_a_term_fit_says_bessel_only_where_a_variance_is():
    x, loss, terms = batchnorm_terms()
    wrong = terms["n * dy"] + terms["dy.sum(0)"] + terms["xhat * (xhat * dy).sum(0)"] * (N - 1) / N
    plain = compare("dx", wrong, x, terms=terms, n=N, quiet=True).diagnosis
    assert "carries a factor (n-1)/n = 31/32" in plain and "Bessel" not in plain
    with_graph = compare("dx", wrong, x, terms=terms, n=N, graph=loss, quiet=True).diagnosis
    assert "(n-1)/n = 31/32 (Bessel's correction)" in with_graph


def test_an_answer_no_combination_of_terms_explains_is_only_located():
    x, _, terms = batchnorm_terms()
    wrong = sum(terms.values()) + 0.01 * torch.randn(N, 6, generator=gen(9), dtype=torch.float64)
    result = compare("dx", wrong, x, terms=terms, n=N, quiet=True)
    assert not result.ok and "term" not in result.hint and "the values differ" in result.hint


# ---- mistakes as a core.Mistake table -----------------------------------------------------------

def test_a_table_of_core_mistakes_is_accepted_and_the_old_dict_still_works():
    x, _, terms = batchnorm_terms()
    right = sum(terms.values())
    no_gain = core.Mistake("the gain is missing",
                           lambda trial: trial.data["reference"] / 2)
    broken = core.Mistake("never fits", lambda trial: torch.ones(3) @ torch.ones(4))
    result = compare("dx", right / 2, x, mistakes=[broken, no_gain], quiet=True)
    assert result.diagnosis == "the gain is missing"
    assert compare("dx", right / 2, x, mistakes={"halved": right / 2},
                   quiet=True).diagnosis == "halved"
    # a float64 answer from float32 activations is judged at float32's rounding here too
    x32, _, terms32 = batchnorm_terms(torch.float32)
    wrong = (sum(terms32.values()) * 3).float().double()
    said = compare("dx", wrong, x32, terms=terms32, quiet=True,
                   mistakes=[core.Mistake("tripled", lambda t: 3 * t.data["reference"])])
    assert said.diagnosis == "tripled"
