"""helpers.finished.backward: the hand-written backward pass agrees with autograd (float64)."""

import re

import pytest
import torch

from helpers.checks import ninja as ninja_check
from helpers.finished import backward as finished
from helpers.tools import ninja


def random_batch(n, block_size=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randint(0, 27, (n, block_size), generator=g)
    Y = torch.randint(0, 27, (n,), generator=g)
    return X, Y


@pytest.mark.parametrize("n_hidden, batch", [(64, 32), (200, 32), (17, 5), (8, 2)])
def test_manual_backward_matches_autograd_in_float64(n_hidden, batch):
    params = ninja.init_params(n_hidden=n_hidden, dtype=torch.float64)
    X, Y = random_batch(batch, seed=n_hidden)
    loss, acts = ninja.forward(params, X, Y)
    loss.backward()
    with torch.no_grad():
        grads = finished.manual_backward(params, X, Y, acts)
    assert set(grads) == set(ninja.PARAM_NAMES)
    for name, p in params.items():
        assert grads[name].shape == p.shape, name
        if name != "b1":  # BatchNorm subtracts the batch mean, so b1's true gradient is 0
            assert p.grad.abs().max() > 1e-6, f"{name}: a zero reference would prove nothing"
        torch.testing.assert_close(grads[name], p.grad, rtol=0, atol=1e-10, msg=name)


def test_manual_backward_in_float32_is_close():
    params = ninja.init_params(n_hidden=200)
    X, Y = random_batch(32, seed=3)
    loss, acts = ninja.forward(params, X, Y)
    loss.backward()
    with torch.no_grad():
        grads = finished.manual_backward(params, X, Y, acts)
    for name, p in params.items():
        torch.testing.assert_close(grads[name], p.grad, rtol=1e-4, atol=1e-6, msg=name)


def test_embedding_gradient_adds_up_repeated_characters():
    # Every example uses character 5 in all three positions: its row gets all the gradient.
    params = ninja.init_params(n_hidden=16, dtype=torch.float64)
    X = torch.full((4, 3), 5)
    Y = torch.tensor([1, 2, 3, 4])
    loss, acts = ninja.forward(params, X, Y)
    with torch.no_grad():
        dC = finished.manual_backward(params, X, Y, acts)["C"]
    others = torch.cat([dC[:5], dC[6:]])
    assert torch.all(others == 0)
    assert dC[5].abs().sum() > 0


def test_batchnorm_uses_bessels_correction():
    params = ninja.init_params(n_hidden=32, dtype=torch.float64)
    X, Y = random_batch(10, seed=7)
    _, acts = ninja.forward(params, X, Y)
    bnraw = acts["bnraw"]
    torch.testing.assert_close(bnraw.mean(0), torch.zeros(32, dtype=torch.float64),
                               rtol=0, atol=1e-12)
    # sum of squares / (n - 1) is the variance the batch was normalised with (up to eps)
    assert torch.allclose(bnraw.pow(2).sum(0) / 9, torch.ones(32, dtype=torch.float64),
                          atol=1e-3)
    assert not torch.allclose(bnraw.pow(2).sum(0) / 10, torch.ones(32, dtype=torch.float64),
                              atol=1e-3)


def test_inference_with_the_batchs_own_statistics_equals_training_mode():
    params = ninja.init_params(n_hidden=24, dtype=torch.float64)
    X, Y = random_batch(50, seed=11)
    train_loss, _ = ninja.forward(params, X, Y)
    stats = ninja.calibrate_batchnorm(params, X)
    assert stats[0].shape == stats[1].shape == (1, 24)
    assert ninja.split_loss(params, X, Y, stats) == pytest.approx(train_loss.item(), abs=1e-12)


def test_init_params_float64_holds_the_float32_values():
    p32 = ninja.init_params(n_hidden=40)
    p64 = ninja.init_params(n_hidden=40, dtype=torch.float64)
    expected_shapes = {"C": (27, 10), "W1": (30, 40), "b1": (40,), "W2": (40, 27),
                       "b2": (27,), "bngain": (1, 40), "bnbias": (1, 40)}
    assert tuple(p32) == ninja.PARAM_NAMES
    for name, shape in expected_shapes.items():
        assert p32[name].shape == shape and p32[name].requires_grad
        assert p64[name].dtype == torch.float64
        assert torch.equal(p64[name].float(), p32[name])
    # nothing sits at a default of zero or one
    for name in ("b1", "b2", "bnbias"):
        assert p32[name].abs().min() > 0 and p32[name].abs().max() < 0.6
    assert not torch.any(p32["bngain"] == 1)
    assert 0.1 < p32["W1"].std() * 30**0.5 / (5 / 3) < 10


def test_init_params_is_seeded():
    a, b = ninja.init_params(seed=1), ninja.init_params(seed=1)
    c = ninja.init_params(seed=2)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["C"], c["C"])


def test_sample_names_are_lowercase_and_seeded():
    params = ninja.init_params(n_hidden=16)
    X, _ = random_batch(64, seed=5)
    stats = ninja.calibrate_batchnorm(params, X)
    names = ninja.sample_names(params, stats, 6, torch.Generator().manual_seed(3))
    again = ninja.sample_names(params, stats, 6, torch.Generator().manual_seed(3))
    assert names == again and len(names) == 6
    assert all(re.fullmatch("[a-z]*", name) for name in names)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_hidden": 0}, "n_hidden"),
    ({"n_embd": 2.5}, "n_embd"),
    ({"dtype": torch.long}, "dtype"),
])
def test_init_params_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ninja.init_params(**kwargs)


def test_forward_rejects_bad_batches():
    params = ninja.init_params(n_hidden=8)
    X, Y = random_batch(4)
    with pytest.raises(ValueError, match="long tensor of shape"):
        ninja.forward(params, X.float(), Y)
    with pytest.raises(ValueError, match=r"shape \(batch, 3\)"):
        ninja.forward(params, X[:, :2], Y)
    with pytest.raises(ValueError, match="Y must be"):
        ninja.forward(params, X, Y[:3])
    with pytest.raises(ValueError, match="at least 2"):
        ninja.forward(params, X[:1], Y[:1])
    incomplete = {k: v for k, v in params.items() if k != "b2"}
    with pytest.raises(KeyError, match="b2"):
        ninja.forward(incomplete, X, Y)


def test_manual_backward_rejects_missing_activations():
    params = ninja.init_params(n_hidden=8)
    X, Y = random_batch(4)
    _, acts = ninja.forward(params, X, Y)
    del acts["bnraw"]
    with pytest.raises(KeyError, match="bnraw"):
        finished.manual_backward(params, X, Y, acts)


def test_check_forward_backward_passes_the_modules_own_training_step(capsys):
    X, Y = random_batch(500, seed=5)

    def forward_backward(params, Xb, Yb):
        loss, acts = ninja.forward(params, Xb, Yb)
        grads = finished.manual_backward(params, Xb, Yb, acts)
        return loss, [grads[name] for name in params]

    ninja_check.check_forward_backward(forward_backward, X, Y, steps=3, n_hidden=32, run_steps=20)
    assert capsys.readouterr().out == (
        "forward_backward: correct (the loss and every gradient agree with autograd on 3 "
        "steps, and so do the first 20 steps of the training run, every update)\n")


def test_the_finished_forward_backward_is_manual_backward_in_the_order_of_params():
    params = ninja.init_params(n_hidden=24, dtype=torch.float64)
    X, Y = random_batch(16, seed=4)
    loss, grads = finished.forward_backward(params, X, Y)
    ref_loss, acts = ninja.forward(params, X, Y)
    with torch.no_grad():
        ref = finished.manual_backward(params, X, Y, acts)
    assert loss.item() == ref_loss.item() and not loss.requires_grad
    assert all(torch.equal(g, ref[name]) for g, name in zip(grads, params, strict=True))


def test_check_forward_backward_follows_the_training_run_and_names_the_first_wrong_update():
    X, Y = random_batch(500, seed=5)

    def wrong_later(params, Xb, Yb):   # right for 5 + 10 calls, then the one-hot is dropped
        loss, acts = ninja.forward(params, Xb, Yb)
        grads = ninja_check._backward(params, Xb, Yb, acts,
                                      "no_onehot" if len(calls) >= 15 else None)
        calls.append(1)
        return loss, [grads[name] for name in params]

    calls = []
    with pytest.raises(AssertionError, match=r"^step 10 of the training run \(section 3's "
                       r"batches, lr = 0.1\): the update of W2, -lr \* dW2, differs .* the 10 "
                       r"steps before agreed"):
        ninja_check.check_forward_backward(wrong_later, X, Y, steps=5, n_hidden=32)


def test_check_forward_backward_refuses_a_function_that_updates_the_parameters():
    X, Y = random_batch(500, seed=5)

    def updates_too(params, Xb, Yb):
        loss, grads = finished.forward_backward(params, Xb, Yb)
        params["W2"] -= 0.1 * grads[3]
        return loss, grads

    with pytest.raises(AssertionError, match=r"^step 0 of 3: your forward_backward changed W2 "
                       r"in place.*applied twice"):
        ninja_check.check_forward_backward(updates_too, X, Y, steps=3, n_hidden=32)


def test_check_forward_backward_names_the_step_and_shows_every_parameter(capsys):
    X, Y = random_batch(500, seed=5)

    def no_bessel(params, Xb, Yb):   # right at step 0, wrong afterwards
        loss, acts = ninja.forward(params, Xb, Yb)
        grads = ninja_check._backward(params, Xb, Yb, acts, "no_bessel" if calls else None)
        calls.append(1)
        return loss, [grads[name] for name in params]

    calls = []
    with pytest.raises(AssertionError, match=r"step 1 of 3 \(after updates with your gradients\)"
                       r".*n/\(n-1\)"):
        ninja_check.check_forward_backward(no_bessel, X, Y, steps=3, n_hidden=32)
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed[1:]] == list(ninja_check.BACKWARD_ORDER)


def test_check_forward_backward_refuses_what_is_not_a_function():
    X, Y = random_batch(50)
    with pytest.raises(ninja_check.core.Refused, match="your function forward_backward"):
        ninja_check.check_forward_backward(None, X, Y)


def test_the_copy_that_plants_mistakes_is_manual_backward_without_one():
    params = ninja.init_params(n_hidden=24, dtype=torch.float64)
    X, Y = random_batch(16, seed=2)
    _, acts = ninja.forward(params, X, Y)
    with torch.no_grad():
        right = finished.manual_backward(params, X, Y, acts)
        copy = ninja_check._backward(params, X, Y, acts)
        for mistake in ninja_check.MISTAKES:   # each planted mistake changes some gradient
            planted = ninja_check._backward(params, X, Y, acts, mistake)
            assert any(not torch.allclose(planted[k], right[k]) for k in right), mistake
    for name in ninja.PARAM_NAMES:
        assert torch.equal(copy[name], right[name]), name


# ---- lecture 08's practice problems -----------------------------------------------------------

def trained_like(seed=5):
    """Parameters that moved from their initial values (W1 a lot, b1 not at all), with
    BatchNorm statistics calibrated on a random data set."""
    params = {k: p.detach().clone() for k, p in ninja.init_params(n_hidden=20, seed=seed).items()}
    g = torch.Generator().manual_seed(1)
    params["W1"] += 0.3 * torch.randn(params["W1"].shape, generator=g)
    X, Y = random_batch(500, seed=seed)
    X[:50] = 0                                  # some contexts '...' for the first letters
    return params, X, Y, ninja.calibrate_batchnorm(params, X)


def folded(params, bn_stats):
    mean, var = bn_stats
    scale = params["bngain"] * (var + ninja.BN_EPS).rsqrt()
    return params["W1"] * scale, (params["b1"] - mean) * scale + params["bnbias"]


def test_check_folded_accepts_right_answers_however_written(capsys):
    params, X, Y, bn_stats = trained_like()
    W1f, b1f = folded(params, bn_stats)
    ninja_check.check_folded(W1f, b1f, params, bn_stats, X, Y)
    ninja_check.check_folded(W1f.double(), b1f.view(-1), params, bn_stats, X, Y)
    assert "folded layer: correct (W1_folded and b1_folded are BatchNorm folded in" in \
        capsys.readouterr().out


@pytest.mark.parametrize("mistake, message", [
    ("no_bnbias", "W1_folded is right, b1_folded is not"),
    ("unscaled", "each column of W1 is scaled"),
    ("transposed", "shape (30, 20); got shape (20, 30)"),
    ("list", "got a list"),
])
def test_check_folded_refuses_wrong_answers(mistake, message):
    params, X, Y, bn_stats = trained_like()
    W1f, b1f = folded(params, bn_stats)
    if mistake == "no_bnbias":
        b1f = b1f - params["bnbias"]
    elif mistake == "unscaled":
        W1f = params["W1"]
    elif mistake == "transposed":
        W1f = W1f.T
    else:
        W1f = W1f.tolist()
    with pytest.raises(AssertionError, match=re.escape(message)):
        ninja_check.check_folded(W1f, b1f, params, bn_stats, X, Y)


def test_check_changes():
    params, *_ = trained_like(seed=7)
    initial = ninja.init_params(n_hidden=20, seed=7)
    dW1 = params["W1"] - initial["W1"]
    db1 = params["b1"] - initial["b1"]
    ninja_check.check_changes(db1.abs().max().item(), dW1.abs().max(), params, seed=7)
    for W1_change, message in ((dW1.abs().mean(), "mean absolute change"),
                               (0.0, "the trained ones"),
                               (dW1.norm(), "the largest absolute change is")):
        with pytest.raises(AssertionError, match=re.escape(message)):
            ninja_check.check_changes(0.0, W1_change, params, seed=7)
    with pytest.raises(AssertionError, match="one number"):
        ninja_check.check_changes(db1, dW1.abs().max(), params, seed=7)


def test_check_first_letters():
    params, X, Y, bn_stats = trained_like()
    model = torch.softmax(ninja.forward(params, X[:1] * 0, Y[:1], bn_stats)[1]["logits"], 1)[0]
    firsts = Y[(X == 0).all(1)]
    data = torch.bincount(firsts, minlength=27).float() / firsts.numel()
    tv = 0.5 * (model - data).abs().sum()
    ninja_check.check_first_letters(tv, params, bn_stats, X, Y)
    with pytest.raises(AssertionError, match="half of it"):
        ninja_check.check_first_letters(2 * tv.item(), params, bn_stats, X, Y)
    with pytest.raises(AssertionError, match="the check measures"):
        ninja_check.check_first_letters(0.9 * tv.item(), params, bn_stats, X, Y)


# ---- lecture 07: a normalisation's one-line backward, judged term by term --------------------

def batchnorm_case(seed=0, n=32, d=8):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    gain = 1 + 0.1 * torch.randn(1, d, generator=g, dtype=torch.float64)
    dy = torch.randn(n, d, generator=g, dtype=torch.float64)
    xhat = (x - x.mean(0)) / (x.var(0) + ninja.BN_EPS).sqrt()
    s = (x.var(0, keepdim=True) + ninja.BN_EPS) ** -0.5
    return x, gain, dy, xhat, s


@pytest.mark.parametrize("formula, said", [
    ("gain * s / n * (n * g + g.sum(0) - n / (n - 1) * xh * (g * xh).sum(0))",
     "the mean term (dhpreact.sum(0)) has the wrong sign"),
    ("gain * s / n * (n * g - g.sum(0) + n / (n - 1) * xh * (g * xh).sum(0))",
     "the variance term (bnraw * (dhpreact * bnraw).sum(0)) has the wrong sign"),
    ("gain * s / n * (n * g - n / (n - 1) * g.sum(0) - xh * (g * xh).sum(0))",
     "n/(n-1) sits on the mean term (dhpreact.sum(0)) instead of the variance term"),
    ("gain * s / n * (n * g - g.mean(0) - n / (n - 1) * xh * (g * xh).sum(0))",
     "the mean term (dhpreact.sum(0)) is 1/n = 1/32 of what it should be: a .mean where"),
    ("gain * s / n * (n * g - g.sum(0) - n / (n - 1) * (g * xh).sum(0))",
     "bnraw is missing in front of the variance term's sum"),
    ("gain * s / n * (n * g - g.sum(0) - xh * (g * xh).sum(0))", "lacks the factor n/(n-1)"),
    # one sum over the other dimension; x where xhat belongs; the gain on the first term only
    ("gain * s / n * (n * g - g.sum(0) - n / (n - 1) * xh * (g * xh).sum(1, keepdim=True))",
     "the variance term's sum runs over dimension 1; BatchNorm's statistics are over dimension 0"),
    ("gain * s / n * (n * g - g.sum(1, keepdim=True) - n / (n - 1) * xh * (g * xh).sum(0))",
     "the mean term's sum runs over dimension 1"),
    ("gain * s / n * (n * g - g.sum(0) - n / (n - 1) * x * (g * x).sum(0))",
     "the variance term takes hprebn, the input, where bnraw belongs"),
    ("s / n * (n * gain * g - g.sum(0) - n / (n - 1) * xh * (g * xh).sum(0))",
     "bngain multiplies only the first term"),
    ("gain * s / n * (n * g - g.sum(0)) - s / n * n / (n - 1) * xh * (g * xh).sum(0)",
     "the variance term lacks bngain"),
    ("gain * s / n * (n * g - g.sum(0) - n / (n - 1) * xh * (g * xh).sum(0)) * n",
     "off by a constant factor 32: every term is n = 32 times too large"),
    ("gain * s / n * (n * g - 2 * g.sum(0) - n / (n - 1) * xh * (g * xh).sum(0))",
     "the mean term (dhpreact.sum(0)) is counted twice"),
    ("gain * s / n * (n * g - 1.7 * g.sum(0) - n / (n - 1) * xh * (g * xh).sum(0))",
     "the values differ: "),
])
def test_check_normalization_names_what_differs_term_by_term(formula, said):
    x, gain, g, xh, s = batchnorm_case()
    n = x.shape[0]   # noqa: F841 (the formulas use it)
    answer = eval(formula).float()   # float32, as from lecture 07's activations
    with pytest.raises(ninja_check.core.Refused, match=re.escape(said)) as info:
        ninja_check.check_normalization("dhprebn", answer, x, gain, g.float(), given=True)
    assert "expected" in str(info.value) and "got" in str(info.value)


def test_check_normalization_accepts_a_float64_answer_from_float32_inputs(capsys):
    x, gain, g, xh, s = batchnorm_case()
    n = x.shape[0]
    g32 = g.float()
    right = (gain * s / n * (n * g32 - g32.sum(0) - n / (n - 1) * xh * (g32 * xh).sum(0)))
    ninja_check.check_normalization("dhprebn", right.double(), x, gain, g32, given=True)
    ninja_check.check_normalization("dhprebn", right.float(), x, gain, g32, given=True)
    assert capsys.readouterr().out.count("dhprebn: correct (float32 rounding") == 2


def test_check_normalization_layernorm_count_and_eps():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(8, 16, generator=g, dtype=torch.float64)
    gamma = 1 + 0.3 * torch.randn(16, generator=g, dtype=torch.float64)
    dy = torch.randn(8, 16, generator=g, dtype=torch.float64)

    def layernorm_backward(count, eps=ninja.BN_EPS, formula_count=None):
        k = formula_count or count
        mu = x.mean(1, keepdim=True)
        s = (((x - mu) ** 2).sum(1, keepdim=True) / count + eps) ** -0.5
        xhat = (x - mu) * s
        gh = gamma * dy
        return s / k * (k * gh - gh.sum(1, keepdim=True) - xhat * (gh * xhat).sum(1,
                                                                               keepdim=True))

    names = {"gain": "gamma_ln", "g": "dy_ln", "x": "x_ln"}
    ninja_check.check_normalization("dx_ln", layernorm_backward(16), x, gamma, dy, dim=1,
                                    unbiased=False, names=names)
    for answer, said in ((layernorm_backward(8), "d is taken from the wrong dimension"),
                         (layernorm_backward(16, formula_count=8),
                          "d is taken from the wrong dimension"),
                         (layernorm_backward(16, eps=0.0), "s lacks eps")):
        with pytest.raises(ninja_check.core.Refused, match="^" + re.escape(said)) as info:
            ninja_check.check_normalization("dx_ln", answer, x, gamma, dy, dim=1,
                                            unbiased=False, names=names)
        expected, got = re.search(r"expected (\S+), got (\S+)", str(info.value)).groups()
        assert expected != got   # the two numbers are told apart


# ---- lecture 08: the learner's cell run again on other numbers ----------------------------------

class Shell:
    def __init__(self, user_ns):
        self.user_ns = user_ns

    def transform_cell(self, source):
        return source


@pytest.fixture
def notebook(monkeypatch):
    """A stand-in IPython whose namespace and input history a test fills."""
    import IPython
    namespace = {"torch": torch, "ninja": ninja}
    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell(namespace))
    return namespace


def run_cell(namespace, source):
    namespace.setdefault("In", [""]).append(source)
    exec(source, namespace)
    namespace["In"].append("# the check cell")


def test_check_changes_tells_a_signed_maximum_that_is_right_by_luck(notebook):
    params, *_ = trained_like(seed=7)
    initial = ninja.init_params(n_hidden=20, seed=7)
    with torch.no_grad():   # every change positive at its largest: signed max = absolute max
        params["W1"].copy_(initial["W1"] + (params["W1"] - initial["W1"]).abs())
        params["b1"].copy_(initial["b1"] + 1e-4 * torch.rand(20))
    notebook["params"] = params
    run_cell(notebook, 'initial = ninja.init_params(n_hidden=20, seed=7)\n'
                       'b1_change = (params["b1"] - initial["b1"]).max().item()\n'
                       'W1_change = (params["W1"] - initial["W1"]).max()\n')
    with pytest.raises(ninja_check.core.Refused, match="right on this run by luck.*largest "
                       "signed change|right on this run by luck.*most negative"):
        ninja_check.check_changes(notebook["b1_change"], notebook["W1_change"], params, seed=7)
    run_cell(notebook, 'initial = ninja.init_params(n_hidden=20, seed=7)\n'
                       'b1_change = (params["b1"] - initial["b1"]).abs().max()\n'
                       'W1_change = (params["W1"] - initial["W1"]).abs().max().item()\n')
    ninja_check.check_changes(notebook["b1_change"], notebook["W1_change"], params, seed=7)


def test_check_folded_tells_eps_left_out_where_eps_matters(notebook):
    params, X, Y, bn_stats = trained_like()
    notebook.update(params=params, bn_mean=bn_stats[0], bn_var=bn_stats[1], bn_stats=bn_stats)
    run_cell(notebook, 's = params["bngain"] / bn_var.sqrt()\nW1_folded = params["W1"] * s\n'
                       'b1_folded = (params["b1"] - bn_mean) * s + params["bnbias"]\n')
    with pytest.raises(ninja_check.core.Refused, match="the scale lacks eps"):
        ninja_check.check_folded(notebook["W1_folded"], notebook["b1_folded"], params,
                                 bn_stats, X, Y)
    run_cell(notebook, 's = params["bngain"] * (bn_var + ninja.BN_EPS).rsqrt()\n'
                       'W1_folded = params["W1"] * s\n'
                       'b1_folded = (params["b1"] - bn_mean) * s + params["bnbias"]\n')
    ninja_check.check_folded(notebook["W1_folded"], notebook["b1_folded"], params, bn_stats, X, Y)


def test_check_folded_names_a_bias_left_unscaled():
    params, X, Y, bn_stats = trained_like()
    W1f, _ = folded(params, bn_stats)
    b1f = params["b1"] - bn_stats[0] + params["bnbias"]
    with pytest.raises(ninja_check.core.Refused, match="W1_folded is right, b1_folded is not: "
                       r"\(b1 - bn_mean\) is not multiplied by the scale"):
        ninja_check.check_folded(W1f, b1f, params, bn_stats, X, Y)


def test_check_first_letters_names_the_usual_slips():
    params, X, Y, bn_stats = trained_like()
    logits = ninja.forward(params, X[:1] * 0, Y[:1], bn_stats)[1]["logits"]
    firsts = Y[(X == 0).all(1)]
    data = torch.bincount(firsts, minlength=27).float() / firsts.numel()
    everything = torch.bincount(Y, minlength=27).float() / Y.numel()
    for model, shares, said in ((torch.softmax(logits, 1)[0], everything, "every target"),
                                (torch.softmax(logits, 0)[0], data, "dimension 0")):
        tv = 0.5 * (model - shares).abs().sum().item()
        with pytest.raises(ninja_check.core.Refused, match=said):
            ninja_check.check_first_letters(tv, params, bn_stats, X, Y)


def test_the_checks_of_the_long_run_say_what_is_wrong(capsys):
    steps = torch.linspace(3.3, 2.1, 200_000)
    steps[100_000:] -= 0.05
    ninja_check.check_curve(steps)
    with pytest.raises(ninja_check.core.Refused, match="did not learn"):
        ninja_check.check_curve(torch.full((200_000,), 3.3))
    bad = steps.clone()
    bad[1234] = float("nan")
    params = ninja.init_params(n_hidden=8)
    with pytest.raises(ninja_check.core.Refused, match="nan at step 1,234"):
        ninja_check.check_run(bad, params)
    with pytest.raises(ninja_check.core.Refused, match="val_loss is 2.3000"):
        ninja_check.check_split_losses(2.07, 2.3)
    ninja_check.check_split_losses(2.07, 2.11)
    assert "split losses: correct" in capsys.readouterr().out


# ---- a cell that changes what it reads in place (a .detach() shares storage) ----------------

def logits_case():
    g = torch.Generator().manual_seed(0)
    logits64 = torch.randn(32, 27, generator=g, dtype=torch.float64)
    Y = torch.randint(0, 27, (32,), generator=g)
    return {"logits": logits64.float()}, {"logits": logits64}, Y


def test_check_cross_entropy_refuses_a_cell_that_overwrote_the_logits(notebook):
    acts, acts64, Y = logits_case()
    notebook.update(acts=acts, Yb=Y, n=32, F=torch.nn.functional)
    run_cell(notebook, 'p = acts["logits"].detach()\np.exp_()\np /= p.sum(1, keepdim=True)\n'
                       "dlogits = p.clone()\ndlogits[torch.arange(n), Yb] -= 1\ndlogits /= n\n")
    with pytest.raises(ninja_check.core.Refused,
                       match=r'^your cell changed acts\["logits"\] in place: `p = '
                             r'acts\["logits"\]\.detach\(\)` makes no copy \(\.detach\(\) '
                             r"shares its storage\), so `p\.exp_\(\)` changes"):
        ninja_check.check_cross_entropy("dlogits", notebook["dlogits"], acts["logits"], Y,
                                        exact=acts64["logits"], reads={"acts": (acts, acts64)})


@pytest.mark.parametrize("formula, said", [
    ("(F.softmax(z / T, 1) - onehot) / n * T", "off by a constant factor 6.25 = T²"),
    ("F.softmax(z / T, 1) / n - onehot / (n * T)",
     "dlogits_T is two terms, and the softmax term, softmax(logits / T) / (n * T) has an extra "
     "factor T = 2.5"),
    ("(F.softmax(z / T, 1) - 2 * onehot) / (n * T)",
     "the one-hot term, onehot(Y) / (n * T) has twice"),
    ("(onehot - F.softmax(z / T, 1)) / (n * T)", "the sign is wrong"),
])
def test_check_cross_entropy_names_a_factor_on_one_term_or_on_both(formula, said, capsys):
    acts, acts64, Y = logits_case()
    F, z, T, n = torch.nn.functional, acts["logits"], 2.5, 32   # noqa: F841 (the formulas)
    onehot = F.one_hot(Y, 27).float()   # noqa: F841
    with pytest.raises(ninja_check.core.Refused) as info:
        ninja_check.check_cross_entropy("dlogits_T", eval(formula), acts["logits"], Y, T=T,
                                        exact=acts64["logits"])
    assert said in str(info.value).splitlines()[0] or said in capsys.readouterr().out


def test_check_cross_entropy_accepts_float64_and_loops(capsys):
    acts, acts64, Y = logits_case()
    d = torch.nn.functional.softmax(acts["logits"].double(), 1)
    for i in range(32):
        d[i, Y[i]] -= 1
    ninja_check.check_cross_entropy("dlogits", d / 32, acts["logits"], Y, exact=acts64["logits"],
                                    reads={"acts": (acts, acts64)})
    assert capsys.readouterr().out == "dlogits: correct (float32 rounding of the exact gradient)\n"


def test_check_normalization_refuses_an_upstream_gradient_changed_in_place():
    x, gain, dy, xh, s = batchnorm_case()
    x = x.clone().requires_grad_()
    torch.nn.functional.batch_norm(x, None, None, gain.reshape(-1), None, training=True,
                                   eps=ninja.BN_EPS).backward(dy)
    dy *= 2   # the learner's g *= ... on the tensor the check is handed
    answer = gain * s * (dy - dy.mean(0) - xh * (dy * xh).mean(0))
    with pytest.raises(ninja_check.core.Refused, match=r"^your cell changed dy in place: x\.grad"):
        ninja_check.check_normalization("dx", answer, x, gain, dy, unbiased=False,
                                        names=ninja_check._NAMES[0])


def test_check_changes_refuses_a_cell_that_subtracts_in_place(notebook):
    params, *_ = trained_like(seed=7)
    initial = ninja.init_params(n_hidden=20, seed=7)
    notebook.update(params=params, initial=initial)
    run_cell(notebook, 'W1_change = params["W1"].sub_(initial["W1"]).abs().max().item()\n'
                       'b1_change = (params["b1"] - initial["b1"]).abs().max().item()\n')
    with pytest.raises(ninja_check.core.Refused,
                       match=r'^your cell changed params\["W1"\] in place: '
                             r'`W1_change = params\["W1"\]\.sub_\(initial\["W1"\]\)'):
        ninja_check.check_changes(notebook["b1_change"], notebook["W1_change"], params, seed=7)


def test_check_folded_leaves_the_notebooks_params_alone_and_names_a_cell_that_changed_them(
        notebook):
    # W1_folded = params["W1"] makes no copy: the cell scaled the notebook's W1 itself; running
    # the cell again must not scale it once more, and the refusal says what the cell did
    params, X, Y, bn_stats = trained_like()
    notebook.update(params=params, bn_mean=bn_stats[0], bn_var=bn_stats[1], bn_stats=bn_stats)
    run_cell(notebook, 'scale = params["bngain"] * (bn_var + ninja.BN_EPS).rsqrt()\n'
                       'W1_folded = params["W1"]\nW1_folded *= scale\n'
                       'b1_folded = (params["b1"] - bn_mean) * scale + params["bnbias"]\n')
    kept = {name: p.clone() for name, p in params.items()}
    with pytest.raises(ninja_check.core.Refused,
                       match=r'^your cell changed params\["W1"\] in place: `W1_folded = '
                             r'params\["W1"\]` makes no copy .*stays changed'):
        ninja_check.check_folded(notebook["W1_folded"], notebook["b1_folded"], params,
                                 bn_stats, X, Y)
    assert all(torch.equal(params[name], kept[name]) for name in params)


def test_check_normalization_accepts_a_right_answer_after_autograd_ran_twice(capsys):
    # the learner compared with autograd once more: x.grad holds two backward passes
    x, gain, dy, xh, s = batchnorm_case()
    x = x.clone().requires_grad_()
    for _ in range(2):
        torch.nn.functional.batch_norm(x, None, None, gain.reshape(-1), None, training=True,
                                       eps=ninja.BN_EPS).backward(dy)
    s = (x.detach().var(0, unbiased=False, keepdim=True) + ninja.BN_EPS) ** -0.5
    xh = (x.detach() - x.detach().mean(0)) * s
    answer = gain * s * (dy - dy.mean(0) - xh * (dy * xh).mean(0))
    ninja_check.check_normalization("dx", answer, x, gain, dy, unbiased=False,
                                    names=ninja_check._NAMES[0])
    assert capsys.readouterr().out.startswith("dx: correct")
