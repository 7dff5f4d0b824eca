"""helpers.checks.compare: gradient comparison and central differences."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.checks.compare import compare, numerical_grad, probe


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


def test_float32_rounding_passes_and_prints_no_digits(capsys):
    t = leaf_with_grad(torch.tensor([1.0, 2.0, 3.0]))
    result = compare("db", t.grad + 1e-7, t)
    assert result.ok and not result.exact
    assert 5e-8 < result.maxdiff < 2e-7
    out = capsys.readouterr().out.strip()
    assert out.endswith("approximate: True  | maxdiff: float32 rounding")


def test_large_difference_fails_and_shows_it():
    t = leaf_with_grad(torch.tensor([1.0, 2.0]))
    result = compare("dx", t.grad * 2, t, quiet=True)
    assert not result.ok and not result
    assert result.maxdiff == pytest.approx(2.0)
    assert "FAIL" in result.line and "2.00e+00" in result.line


def test_a_right_answer_with_other_bits_passes_and_exactness_is_only_information():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(32, 1, generator=g) + 0.5
    t = leaf_with_grad(-(x**-2))                        # what PyTorch computes
    result = compare("dx", -1.0 / x / x, t, quiet=True)  # the same math, grouped differently
    assert result.ok
    assert "exact: " in result.line


def test_a_relative_error_of_1e_5_is_refused_against_a_float64_reference():
    g = torch.Generator().manual_seed(0)
    truth = torch.randn(64, 27, generator=g, dtype=torch.float64)
    t = leaf_with_grad(truth.float())
    assert compare("dW", truth.float(), t, reference=truth, quiet=True).ok
    assert not compare("dW", (truth * (1 + 1e-5)).float(), t, reference=truth, quiet=True).ok


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), rows=st.integers(2, 64))
def test_float32_sums_in_any_order_pass_against_the_float64_truth(seed, rows):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(rows, 27, generator=g)
    truth = a.double().sum(0)
    t = leaf_with_grad(a.sum(0))
    reordered = a.flip(0).cumsum(0)[-1]                 # another order of additions
    assert compare("db", reordered, t, reference=truth, quiet=True).ok
    assert not compare("db", reordered * (1 + 1e-4), t, reference=truth, quiet=True).ok


def test_a_gradient_that_cancels_to_zero_is_judged_against_its_scale():
    g = torch.Generator().manual_seed(0)
    terms = torch.randn(32, 64, generator=g) * 1e-2
    terms = terms - terms.mean(0)                       # columns sum to 0 up to rounding
    t = leaf_with_grad(terms.sum(0))                    # a b1-like gradient, about 1e-9
    truth = torch.zeros(64, dtype=torch.float64)
    assert compare("b1", terms.flip(0).sum(0), t, reference=truth, scale=terms, quiet=True).ok
    wrong = compare("b1", terms.sum(0) + 1e-6, t, reference=truth, scale=terms, quiet=True)
    assert not wrong.ok and "factor" not in wrong.line


def test_explicit_atol_keeps_allclose():
    t = leaf_with_grad(torch.tensor([1.0, 2.0]))
    assert compare("dx", t.grad + 1e-6, t, atol=1e-5, rtol=0, quiet=True).line.endswith("< 1e-05")
    assert not compare("dx", t.grad + 1e-4, t, atol=1e-5, rtol=0, quiet=True).ok


def test_show_exact_false_leaves_the_exact_column_out():
    t = leaf_with_grad(torch.tensor([1.0, 2.0]))
    assert "exact" not in compare("dx", t.grad.clone(), t, show_exact=False, quiet=True).line


def test_shape_mismatch_is_a_failure_even_when_broadcasting_would_match():
    t = leaf_with_grad(torch.ones(1, 64))
    manual = torch.ones(64)  # numerically right, wrong shape
    assert torch.allclose(manual, t.grad)  # the trap compare must not fall into
    result = compare("dbias", manual, t, quiet=True)
    assert not result.ok and not result.shape_ok
    assert "(64,)" in result.line and "(1, 64)" in result.line
    assert "keepdim=True would give (1, 64)" in result.line


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
    assert "(32,)" in line and "keepdim=True would give (32, 1)" in line


def test_an_extra_dimension_is_not_called_a_missing_keepdim():
    t = planted(torch.arange(27.0))
    line = compare("b2", t.grad.reshape(1, 27), t, quiet=True).line
    assert "drop keepdim" in line and "b2 has shape (27,)" in line
    assert "keepdim=True would give" not in line


def test_diagnoses_a_sum_over_the_wrong_dimension():
    t = planted(torch.ones(1, 64))
    line = compare("dbnbias", torch.ones(32, 1), t, quiet=True).line
    assert "a sum over dimension 1" in line and "needs the sum over dimension 0" in line
    t = planted(torch.ones(27))
    line = compare("db2", torch.ones(32), t, quiet=True).line
    assert "needs the sum over dimension 0" in line


def test_diagnoses_a_missing_sum_and_a_missing_broadcast():
    t = planted(torch.ones(27))
    assert ".sum(0) gives (27,)" in compare("db2", torch.ones(32, 27), t, quiet=True).line
    t = planted(torch.ones(32, 64))
    assert "spread yours over (32, 64)" in compare("dx", torch.ones(1, 64), t, quiet=True).line


def test_diagnoses_a_broadcast_that_went_wrong_earlier():
    t = planted(torch.ones(32, 1))
    line = compare("dcounts_sum", torch.ones(32, 32), t, quiet=True).line
    assert "(32, 1) tensor times a (32,) one" in line


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
    line = compare("dbnvar", t.grad * factor, t, variance=True, quiet=True).line
    assert "constant factor" in line and shown in line and "Bessel" in line
    named = compare("dbnvar", t.grad * factor, t, n=32, variance=True, quiet=True).line
    assert "n/(n-1)" in named or "(n-1)/n" in named
    # no variance anywhere (dlogits / (n - 1)): n versus n-1, but no Bessel
    plain = compare("dlogits", t.grad * factor, t, n=32, quiet=True).line
    assert shown in plain and "n versus n-1" in plain and "Bessel" not in plain


@pytest.mark.parametrize("factor, shown", [(32, "division by n missing"),
                                           (1 / 32, "divided by n once too often")])
def test_names_the_batch_size_as_a_factor(factor, shown):
    t = planted(bessel_reference())
    assert shown in compare("dlogits", t.grad * factor, t, n=32, quiet=True).line


def test_diagnoses_another_constant_factor_without_bessel():
    t = planted(bessel_reference())
    line = compare("dx", t.grad * 2, t, quiet=True).line
    assert "constant factor 2" in line and "Bessel" not in line


def test_an_unexplained_difference_says_where_and_guesses_nothing():
    reference = bessel_reference()
    t = planted(reference)
    wrong = t.grad.clone()
    wrong[2] += 1.0                                     # one row is off
    line = compare("dx", wrong, t, quiet=True).line
    assert "the values differ" in line and "only in row 2 of 4" in line
    assert "+=" not in line and "factor" not in line and "sign" not in line


def test_a_second_use_is_named_only_when_the_graph_has_one():
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(1), requires_grad=True)
    once = x.exp()
    twice = x * 2 + x.sin()
    for t in (once, twice):
        t.retain_grad()
    loss = (once * once.detach()).sum() + twice.pow(2).sum()
    loss.backward()
    partial_x = 2 * twice.grad                          # only the path through `* 2`
    line = compare("x", partial_x, x, graph=loss, quiet=True).line
    assert "x is used 3 times" in line and "+=" in line   # exp, mul and sin
    wrong_once = compare("once", once.grad * 1.5 + 0.1, once, graph=loss, quiet=True).line
    assert "used" not in wrong_once and "+=" not in wrong_once


def test_diagnoses_tanhs_derivative_taken_at_its_input():
    x = torch.randn(8, 5, generator=torch.Generator().manual_seed(2), requires_grad=True)
    h = torch.tanh(x)
    upstream = torch.randn(8, 5, generator=torch.Generator().manual_seed(3))
    loss = (h * upstream).sum()
    loss.backward()
    line = compare("x", (1 - x.detach() ** 2) * upstream, x, graph=loss, quiet=True).line
    assert "tanh's derivative is taken at its input" in line


def test_diagnoses_an_indexed_add_that_drops_repeated_rows():
    C = torch.randn(5, 3, generator=torch.Generator().manual_seed(4), requires_grad=True)
    X = torch.tensor([[0, 1], [1, 3], [4, 4]])
    upstream = torch.randn(3, 2, 3, generator=torch.Generator().manual_seed(5))
    loss = (C[X] * upstream).sum()
    loss.backward(retain_graph=True)                   # the graph keeps the indices
    wrong = torch.zeros_like(C)
    wrong[X] += upstream
    for kwargs in ({"graph": loss}, {"index": X}):
        line = compare("C", wrong, C, quiet=True, **kwargs).line
        assert "more than once" in line and "index_add_" in line


def test_a_described_mistake_is_named_when_it_matches():
    t = planted(bessel_reference())
    wrong = t.grad + 0.5
    line = compare("dx", wrong, t, mistakes={"added a half": t.grad + 0.5,
                                             "something else": t.grad * 3}, quiet=True).line
    assert "added a half" in line and "something else" not in line


def test_a_factor_per_column_is_named_but_not_for_one_entry_per_row():
    g = torch.Generator().manual_seed(6)
    reference = torch.randn(32, 64, generator=g, dtype=torch.float64)
    gain = 1 + 0.1 * torch.randn(1, 64, generator=g, dtype=torch.float64)
    t = planted(reference)
    line = compare("dbnraw", reference * gain, t, quiet=True).line
    assert "each column of yours is the right one times its own factor" in line
    sparse = torch.zeros(32, 27, dtype=torch.float64)
    sparse[range(32), torch.arange(32) % 27] = -1 / 32        # one entry per row, like dlogprobs
    t = planted(sparse)
    line = compare("dlogprobs", sparse * torch.rand(32, 1, generator=g, dtype=torch.float64),
                   t, quiet=True).line
    assert "own factor" not in line


# ---- probe: a gradient that is zero on every batch, judged on other numbers -----------------

def _bias_before_batchnorm():
    """(namespace with dhprebn, hprebn, b1): b1's true gradient is 0 on every batch."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 30, generator=g)
    w = torch.randn(30, 64, generator=g, requires_grad=True)
    b1 = torch.randn(64, generator=g, requires_grad=True)
    hprebn = x @ w + b1
    hprebn.retain_grad()
    normed = (hprebn - hprebn.mean(0)) / hprebn.std(0)
    (normed.tanh() * torch.randn(32, 64, generator=g)).sum().backward()
    return {"torch": torch, "dhprebn": hprebn.grad.clone()}, hprebn, b1


@pytest.fixture
def notebook():
    """A notebook's shell: ``notebook(cell, **names)`` puts ``names`` in its namespace, runs
    ``cell`` with its history kept (as a notebook does) and returns the namespace."""
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()

    def run(cell, **names):
        shell.user_ns.update(names)
        shell.run_cell(cell, store_history=True)
        return shell.user_ns
    yield run
    InteractiveShell.clear_instance()


@pytest.fixture
def _probe(notebook):
    def run(cell, **kwargs):
        names, hprebn, b1 = _bias_before_batchnorm()
        namespace = notebook(cell, **names, b1=b1)
        return probe("b1", "db1", "dhprebn", hprebn, b1, n=32, **kwargs), namespace
    return run


@pytest.mark.parametrize("cell", [
    "db1 = dhprebn.sum(0)",
    "db1 = torch.ones(32) @ dhprebn",
    "print('side effect')\ndb1 = torch.zeros(64)\ndb1.add_(dhprebn.sum(0))\nprint(db1)",
    "dhprebn = dhprebn * 1.0\ndb1 = dhprebn.sum(dim=0, keepdim=True).squeeze(0)",
])
def test_probe_accepts_a_right_formula_however_written(_probe, cell, capsys):
    result, _ = _probe(cell)
    assert result is not None and result.ok
    assert "side effect" not in capsys.readouterr().out.replace("side effect", "", 1)


@pytest.mark.parametrize("cell, named", [
    ("db1 = 2 * dhprebn.sum(0)", "off by a constant factor 2"),
    ("db1 = dhprebn.mean(0)", "1/n = 1/32"),
    ("db1 = -dhprebn.sum(0)", "the sign is wrong"),
])
def test_probe_refuses_a_formula_that_is_right_only_because_the_gradient_is_zero(
        _probe, cell, named):
    result, namespace = _probe(cell, why="BatchNorm removes it")
    assert compare("b1", namespace["db1"], namespace["b1"], scale=namespace["dhprebn"],
                   quiet=True).ok
    assert result is not None and not result.ok
    assert "zero on every batch (BatchNorm removes it)" in result.hint
    assert named in result.hint
    assert "should be the sum of dhprebn over dimension 0" in result.hint


def _max_before_softmax():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(8, 5, generator=g, requires_grad=True)
    maxes = logits.max(1, keepdim=True).values
    norm = logits - maxes
    for t in (maxes, norm):
        t.retain_grad()
    torch.nn.functional.cross_entropy(norm, torch.arange(8) % 5).backward()
    return logits, maxes, norm


def test_probe_names_a_minus_sum_over_the_broadcast_dimension(notebook):
    _, maxes, norm = _max_before_softmax()
    notebook("dmaxes = dnorm.sum(1, keepdim=True)", dnorm=norm.grad.clone())
    result = probe("maxes", "dmaxes", "dnorm", norm, maxes)
    assert not result.ok and "the sign is wrong" in result.hint
    assert "should be minus the sum of dnorm over dimension 1" in result.hint


def test_probe_runs_the_cell_in_the_namespace_it_is_given(notebook):
    """A caller may replace a name for the re-run (08's path 2 alone: dnorm_logits set to 0)."""
    _, maxes, norm = _max_before_softmax()
    namespace = notebook("dmaxes = -dnorm.sum(1, keepdim=True) + 0 * other",
                         dnorm=norm.grad.clone(), other=torch.ones(8, 1))
    assert probe("maxes", "dmaxes", "dnorm", norm, maxes).ok
    alone = {**namespace, "other": torch.full((8, 1), float("nan"))}
    assert probe("maxes", "dmaxes", "dnorm", norm, maxes, alone) is not None
    assert not probe("maxes", "dmaxes", "dnorm", norm, maxes, alone).ok


@pytest.mark.parametrize("cells", [
    [],                                                  # nbval: no history kept
    None,                                                # no IPython at all
    ["x = 1"],                                           # no cell assigns db1
    ["db1 = torch.zeros(64)"],                           # does not read dhprebn
    ["db1 = undefined_name(dhprebn)"],                   # the re-run raises
])
def test_probe_skips_silently_when_it_cannot_judge(notebook, cells):
    names, hprebn, b1 = _bias_before_batchnorm()
    namespace = notebook("", **names)
    exec("db1 = 2 * dhprebn.sum(0)", namespace)
    if cells is None:
        from IPython.core.interactiveshell import InteractiveShell
        InteractiveShell.clear_instance()
    for cell in cells or ():
        notebook(cell)
    namespace.setdefault("db1", 2 * namespace["dhprebn"].sum(0))
    assert probe("b1", "db1", "dhprebn", hprebn, b1, n=32) is None


def test_probe_changes_nothing_in_the_learners_namespace(notebook):
    cell = ("dhprebn *= 2\nstash['d'] *= 3\ndb1 = dhprebn.sum(0) + 0 * stash['d']\n"
            "log.append(1)\nrun_once()")
    names, hprebn, b1 = _bias_before_batchnorm()
    calls = []
    namespace = notebook(cell, **names, stash={"d": torch.ones(64)}, log=[],
                         run_once=lambda: calls.append(1))
    before = {k: v.clone() for k, v in namespace.items() if isinstance(v, torch.Tensor)}
    state = torch.get_rng_state()
    result = probe("b1", "db1", "dhprebn", hprebn, b1, n=32)
    assert result.ok
    assert all(torch.equal(namespace[k], v) for k, v in before.items())
    assert float(namespace["stash"]["d"][0]) == 3.0     # a tensor in a dict: copied too
    assert namespace["log"] == [1] and calls == [1]     # statements db1 does not need: not re-run
    assert torch.equal(torch.get_rng_state(), state)


def test_probe_does_not_recurse_through_a_check_in_the_same_cell(notebook):
    names, hprebn, b1 = _bias_before_batchnorm()
    seen = []

    def check():
        seen.append(probe("b1", "db1", "dhprebn", hprebn, b1, n=32))
        return 0.0

    notebook("db1 = 2 * dhprebn.sum(0)\ndb1 = db1 + check()",   # the re-run calls check()
             **names, check=check)
    assert len(seen) == 2 and seen[0] is None       # the inner call, during the re-run
    assert seen[1] is not None and not seen[1].ok


def test_a_sum_over_the_wrong_dimension_is_not_guessed_for_unrelated_shapes():
    t = leaf_with_grad(torch.ones(30, 200))
    result = compare("W1", torch.ones(27, 10), t, quiet=True)
    assert not result.ok and "sum" not in result.hint


def test_probe_leaves_the_retained_gradients_alone(notebook):
    logits, maxes, norm = _max_before_softmax()
    grads = [t.grad.clone() for t in (logits, maxes, norm)]
    notebook("dmaxes = -dnorm.sum(1, keepdim=True)", dnorm=norm.grad.clone())
    assert probe("maxes", "dmaxes", "dnorm", norm, maxes).ok
    assert all(torch.equal(t.grad, before) for t, before in zip((logits, maxes, norm), grads,
                                                                 strict=True))


def test_named_intermediates_let_compare_name_the_missing_chain_rule_path():
    gen = torch.Generator().manual_seed(3)
    n = 32
    hprebn = torch.randn(n, 6, generator=gen, requires_grad=True)
    bnmeani = hprebn.mean(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = bndiff2.sum(0, keepdim=True) / (n - 1)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    loss = (bnraw * torch.randn(n, 6, generator=gen)).sum()
    named = {"bnmeani": bnmeani, "bndiff": bndiff, "bndiff2": bndiff2, "bnvar": bnvar,
             "bnvar_inv": bnvar_inv, "bnraw": bnraw}
    for t in named.values():
        t.retain_grad()
    loss.backward(retain_graph=True)
    without_mean = bndiff.grad.clone()          # dhprebn = dbndiff: the mean's path dropped
    result = compare("hprebn", without_mean, hprebn, graph=loss, n=n, named=named,
                     quiet=True)
    assert not result.ok
    assert "the path through bnmeani is missing" in result.diagnosis
    plain = compare("hprebn", without_mean, hprebn, graph=loss, n=n, quiet=True)
    assert "path" not in plain.diagnosis        # without the names: no paths to fit
    assert compare("hprebn", hprebn.grad, hprebn, graph=loss, n=n, named=named, quiet=True).ok


def test_a_factor_equal_to_a_size_of_the_gradient_is_named():
    x = torch.randn(32, 27, requires_grad=True)
    (x * torch.linspace(-1, 1, 27)).sum().backward()
    right = x.grad.clone()
    mean = compare("x", right / 27, x, n=32, quiet=True)
    assert "= 1/27: divided by 27, the size of dimension 1 (a mean where a sum belongs?)" in \
        mean.diagnosis
    total = compare("x", right * 864, x, n=32, quiet=True)
    assert "= 864, the number of entries" in total.diagnosis
    assert "Bessel" in compare("x", right * 32 / 31, x, n=32, variance=True, quiet=True).diagnosis
    assert "size of" not in compare("x", right * 1.7, x, n=32, quiet=True).diagnosis


def test_the_suggested_sum_gives_the_shape_it_promises():
    for mine, want in [((32, 64), (64,)), ((32, 64), (1, 64)), ((1, 64), ()), ((32, 64), ()),
                       ((4, 32, 64), (64,)), ((4, 1, 64), (1, 64)), ((1, 64), (1,)),
                       ((32, 64), (1,)), ((2, 3, 4), (1, 1))]:
        x = torch.zeros(want, requires_grad=True)
        x.grad = torch.ones(want)
        hint = compare("x", torch.ones(mine), x, quiet=True).hint
        call = hint.split("pass: ")[1].split(" gives ")[0]
        assert tuple(eval(f"torch.ones({mine}){call}").shape) == want, (mine, want, hint)


@pytest.mark.parametrize("cell, ok", [("db1 = dhprebn.double().sum(0)", True),
                                      ("db1 = 2 * dhprebn.double().sum(0)", False),
                                      ("dhprebn = dhprebn.double()\ndb1 = dhprebn.sum(0)", True)])
def test_probe_judges_a_formula_computed_in_float64_without_crashing(_probe, cell, ok):
    result, _ = _probe(cell)
    assert result is not None and result.ok == ok


# ---- structure: what a wrong answer changed, named for any tensor -------------------------------

def _softmax_and_batchnorm(seed=5, n=16, classes=7, width=6):
    """A small forward pass in the lecture's steps, {name: tensor} and the loss, backward done
    with the graph kept (compare's named/graph), float32 like the lecture's."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, width, generator=g, requires_grad=True)
    gain = (1 + 0.1 * torch.randn(1, width, generator=g)).requires_grad_()
    w = torch.randn(width, classes, generator=g, requires_grad=True)
    y = torch.randint(0, classes, (n,), generator=g)
    mean = 1 / n * x.sum(0, keepdim=True)
    diff = x - mean
    diff2 = diff**2
    var = 1 / (n - 1) * diff2.sum(0, keepdim=True)
    var_inv = (var + 1e-5) ** -0.5
    raw = diff * var_inv
    act = torch.tanh(gain * raw)
    logits = act @ w
    counts = logits.exp()
    counts_sum = counts.sum(1, keepdim=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), y].mean()
    named = {k: v for k, v in locals().items() if isinstance(v, torch.Tensor) and v.grad_fn
             is not None and k != "loss"}
    for t in named.values():
        t.retain_grad()
    loss.backward(retain_graph=True)
    return named, loss, n


def _judge(name, answer, named, loss, n):
    return compare(name, answer, named[name], graph=loss, named=named, n=n, quiet=True)


def test_a_power_of_a_named_tensor_is_worded_by_the_sign_of_its_exponent():
    named, loss, n = _softmax_and_batchnorm()
    probs = named["probs"]
    lower = named["logprobs"].grad / probs**3                # 1/probs for 1/probs**3
    said = _judge("probs", lower.detach(), named, loss, n).diagnosis
    assert "times 1/probs**2 (a power of probs off by 2: yours has probs to a power 2 " \
           "lower" in said, said
    assert "lowered once too often" not in said
    var, var_inv = named["var"], named["var_inv"]
    kept = -0.5 * (var + 1e-5) ** -0.5 * var_inv.grad       # the power rule's exponent kept
    said = _judge("var", kept.detach(), named, loss, n).diagnosis
    assert "yours has x**-0.5, the exponent not lowered" in said, said
    said = _judge("probs", (probs * named["logprobs"].grad).detach(), named, loss, n).diagnosis
    assert "times probs**2" in said and "to a power 2 higher" in said, said


def test_a_factor_moved_into_a_denominator_is_named_where_it_makes_inf():
    named, loss, n = _softmax_and_batchnorm()
    probs, dlogprobs = named["probs"], named["logprobs"].grad
    said = _judge("probs", (1.0 / (probs * dlogprobs)).detach(), named, loss, n).diagnosis
    assert said.startswith("yours is, entry by entry, the right gradient times "
                           "1/dlogprobs**2"), said
    assert "nan or inf where that factor is infinite" in said


def test_a_per_column_factor_is_not_offered_where_the_right_gradient_is_one_value_per_column():
    named, loss, n = _softmax_and_batchnorm()
    dvar = named["var"].grad
    precedence = (1 / n - 1 * torch.ones_like(named["diff2"]) * dvar).detach()
    said = _judge("diff2", precedence, named, loss, n).diagnosis
    assert "own factor" not in said and "each column" not in said
    assert said.startswith("yours is -(n-1) = -15 times the right gradient + 1/n = 0.0625"), said
    shifted = (torch.ones_like(named["diff2"]) * dvar * 2.0).detach()   # varies per column too
    assert "own factor" not in _judge("diff2", shifted, named, loss, n).diagnosis


@pytest.mark.parametrize("name, answer, says", [
    # another value where the operand belongs: in a power, and a tensor's own value
    ("diff", "2 * d['diff2'] * d['diff2'].grad + d['var_inv'] * d['raw'].grad",
     "your gradient of diff uses diff2 where diff belongs, in the power that takes diff"),
    ("raw", "d['raw'] * d['act'].grad * (1 - d['act']**2)",
     "your gradient of raw uses raw itself where another operand belongs, in the product"),
    # another tensor's gradient, in a sum
    ("counts", "d['counts_sum_inv'] * d['probs'].grad + d['counts_sum_inv'].grad",
     "computed from dcounts_sum_inv (the gradient of counts_sum_inv) where dcounts_sum "
     "belongs, in the sum that takes counts"),
    # a reduction that does not belong: of the incoming gradient, or of one path's part
    ("logits", "d['counts'] * d['counts'].grad.sum(1, keepdim=True)",
     "sums dcounts over dimension 1 (and broadcasts it back) before exp"),
    ("diff", "(d['var_inv'] * d['raw'].grad).sum(0, keepdim=True) + 2 * d['diff'] * "
             "d['diff2'].grad",
     "sums its part from the product over dimension 0 and broadcasts it back"),
])
def test_one_change_in_one_operation_is_named(name, answer, says):
    named, loss, n = _softmax_and_batchnorm()
    wrong = eval(answer, {"d": named}).detach()
    said = _judge(name, wrong, named, loss, n).diagnosis
    assert says in said, said


def test_whole_columns_indexed_where_one_entry_per_row_belongs_are_named():
    named, loss, n = _softmax_and_batchnorm()
    right = named["logprobs"].grad
    picked = right.nonzero()[:, 1]
    wrong = torch.zeros_like(right)
    wrong[:, picked] = -1.0 / n
    said = _judge("logprobs", wrong, named, loss, n).diagnosis
    assert said.startswith("yours has an entry in every row at each column that some row picks"
                           ), said
    everywhere = torch.full_like(right, -1.0 / n)             # not an indexing slip: located
    assert "every row at each column" not in _judge("logprobs", everywhere, named, loss,
                                                     n).diagnosis


def test_a_power_rule_whose_exponent_was_not_lowered_or_lowered_twice_is_named():
    torch.manual_seed(0)
    x = torch.randn(32, 64, requires_grad=True)
    var = (x * x).mean(0, keepdim=True)
    var.retain_grad()
    inv = (var + 1e-5) ** -0.5
    inv.retain_grad()
    loss = (inv * torch.randn(1, 64)).sum()
    loss.backward(retain_graph=True)
    v, dinv = var.detach(), inv.grad
    named = {"inv": inv, "var": var}
    kept = compare("var", -0.5 * (v + 1e-5) ** -0.5 * dinv, var, graph=loss, named=named,
                   quiet=True)
    assert not kept and "d/dx x**-0.5 = -0.5 * x**-1.5; yours has x**-0.5, the exponent not " \
        "lowered" in kept.hint
    twice = compare("var", -0.5 * inv.detach() ** 5 * dinv, var, graph=loss, named=named,
                    quiet=True)
    assert not twice and "yours has x**-2.5, the exponent lowered twice" in twice.hint
    assert compare("var", -0.5 * inv.detach() ** 3 * dinv, var, graph=loss, named=named,
                   quiet=True)


def test_two_changes_that_give_the_same_gradient_are_both_named():
    """A value swap is not one mistake said twice: where two named tensors hold the same
    values, either may be the one used (only sums over a dimension are one mistake)."""
    named, loss, n = _softmax_and_batchnorm()
    named["square"] = named["diff"].detach() ** 2            # the same values as diff2
    wrong = (2 * named["diff2"] * named["diff2"].grad
             + named["var_inv"] * named["raw"].grad).detach()
    said = _judge("diff", wrong, named, loss, n).diagnosis
    assert said.startswith("either your gradient of diff uses diff2 where diff belongs"), said
    assert ", or your gradient of diff uses square where diff belongs" in said, said


def test_a_number_added_to_every_entry_is_measured_and_its_cause_only_asked():
    """b * right + a is a fact; that a number was added where the formula multiplies is a
    guess: a centred answer, g - g.mean(), fits as well."""
    t = leaf_with_grad(torch.linspace(-1.0, 2.0, 12).reshape(3, 4) ** 3)
    centred = compare("x", t.grad - t.grad.mean(), t, n=3, quiet=True)
    assert not centred.ok
    assert centred.diagnosis.startswith("yours is the right gradient - 1.455, in every "), \
        centred.diagnosis
    assert "a number added or subtracted where the formula multiplies or divides? If so, " \
        "check the brackets" in centred.diagnosis
    assert "a number is added" not in centred.diagnosis
