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
    # terms computed in float32 for a float64 tensor: the terms' rounding is allowed
    x64, _, _ = batchnorm_terms()
    as32 = {k: v.float() for k, v in terms.items()}
    assert compare("dx", right, x64, terms=as32, quiet=True).ok


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


# ---- factors, swaps and broadcasts, from the graph ----------------------------------------------

M = 16   # the batch


def toy():
    """A small float32 forward pass, one named tensor per line (not the lectures' model):
    a linear layer, a per-column gain, a bias, tanh, then a softmax-like row normalisation."""
    x = torch.randn(M, 5, generator=gen(11))
    W = torch.randn(5, 8, generator=gen(12)).requires_grad_()
    g = (1 + 0.5 * torch.rand(1, 8, generator=gen(13))).requires_grad_()
    bias = torch.randn(1, 8, generator=gen(14)).requires_grad_()
    u = x @ W
    v = g * u
    w = v + bias
    t = torch.tanh(w)
    q = t.exp()
    qs = q.sum(1, keepdim=True)
    qi = qs**-1
    pr = q * qi
    loss = (pr * torch.randn(M, 8, generator=gen(15))).sum()
    named = {"u": u, "v": v, "w": w, "t": t, "q": q, "qs": qs, "qi": qi, "pr": pr}
    for tensor in named.values():
        tensor.retain_grad()
    loss.backward(retain_graph=True)
    grads = {k: x.grad.detach().clone() for k, x in {**named, "W": W, "g": g}.items()}
    values = {k: x.detach() for k, x in named.items()} | {"x": x, "W": W.detach(), "g": g.detach()}
    return loss, named, {"W": W, "g": g, "bias": bias}, values, grads


def judge(key, answer, **kwargs):
    loss, named, params, _, _ = TOY
    tensor = params.get(key, named.get(key))
    return compare(key, answer, tensor, graph=loss, named=named, n=M, quiet=True, **kwargs)


TOY = toy()


def test_right_answers_in_float32_and_float64_pass_on_the_toy():
    _, _, _, a, d = TOY
    assert judge("g", (a["u"] * d["v"]).sum(0, keepdim=True)).ok
    assert judge("g", (a["u"].double() * d["v"].double()).sum(0, keepdim=True)).ok
    assert judge("W", a["x"].double().T @ d["u"].double()).ok
    assert judge("qi", (a["q"] * d["pr"]).sum(1, keepdim=True)).ok


def test_one_intermediate_in_place_of_another_is_named():
    _, _, _, a, d = TOY
    said = judge("g", (a["w"] * d["v"]).sum(0, keepdim=True)).diagnosis
    assert said == "your gradient of g uses w where u belongs, in the product that takes g"
    said = judge("W", a["x"].T @ d["t"]).diagnosis
    assert said == ("your gradient of W is computed from dt (the gradient of t) where du "
                    "belongs, in the matrix product that takes W")


def test_a_per_row_factor_that_is_a_named_tensor_is_named():
    _, _, _, a, d = TOY
    said = judge("t", d["t"] * a["qi"]).diagnosis
    assert said == "each row of yours is the right one times qi (an extra qi, or a power of " \
                   "qi off by one?)"
    unnamed = judge("t", d["t"] * torch.linspace(1, 2, M).reshape(M, 1)).diagnosis
    assert "its own factor" in unnamed


def test_a_factor_is_named_by_the_size_of_a_tensor_the_gradient_meets():
    _, _, _, a, d = TOY
    said = judge("qi", (a["q"] * d["pr"]).mean(1, keepdim=True)).diagnosis
    assert "= 1/8: divided by 8, the size of dimension 1 of q (a mean where a sum belongs?)" \
        in said, said


def test_a_factor_of_a_named_number_and_no_bessel_without_a_variance():
    _, _, _, _, d = TOY
    said = judge("t", d["t"] * 0.4**2, scale_names={"T": 0.4}).diagnosis
    assert "= T² (T = 0.4: multiplied by T where the chain rule divides by it?)" in said
    said = judge("t", d["t"] * M / (M - 1)).diagnosis
    assert "n/(n-1) = 16/15" in said and "Bessel" not in said


def test_a_path_with_a_size_factor_is_named():
    _, _, _, a, d = TOY
    through_pr = a["qi"] * d["pr"]
    through_qs = d["qs"].expand(M, 8)
    said = judge("q", through_pr + through_qs / 8).diagnosis
    assert "the path through qs has an extra factor 1/8 (the size of dimension 1" in said, said


def test_a_broadcast_that_matches_only_by_luck_is_named_or_located():
    _, _, _, _, d = TOY
    said = judge("w", d["w"].sum(0, keepdim=True).expand(M, 8)).diagnosis
    assert said.startswith("yours is the right gradient summed over dimension 0 and broadcast "
                           "back to (16, 8)"), said
    located = judge("w", d["w"][:1].expand(M, 8) * 3)
    assert located.diagnosis == "" and located.hint.startswith("the values differ: ")
    assert located.hint.endswith("; every row of yours is the same (a (1, 8) tensor broadcast "
                                 "to (16, 8)), the right gradient's rows differ"), located.hint


def test_what_no_structure_explains_is_only_located():
    _, _, _, a, d = TOY
    for wrong in (d["w"] + 0.01 * torch.randn(M, 8, generator=gen(16)),
                  (1 - a["t"]) ** 2 * d["t"]):
        result = judge("w", wrong)
        assert not result.ok and result.diagnosis == "", result.diagnosis
        assert "the values differ" in result.hint


def test_an_entry_by_entry_factor_that_is_a_named_tensor_is_named():
    _, _, _, a, d = TOY
    result = judge("t", d["t"] * a["pr"])
    assert result.diagnosis == "yours is, entry by entry, the right gradient times pr (an extra " \
                               "pr, or a power of pr off by one?)"
    assert "the values differ: " in result.hint
    said = judge("t", d["t"] / a["q"] ** 2).diagnosis
    assert said.startswith("yours is, entry by entry, the right gradient times 1/q**2 (a power "
                           "of q off by 2"), said
    # dt * q is q * dt: exp's local derivative times the wrong gradient, which is named first
    said = judge("t", d["t"] * a["q"]).diagnosis
    assert said == "your gradient of t is computed from dt (the gradient of t) where dq " \
                   "belongs, in exp that takes t"
