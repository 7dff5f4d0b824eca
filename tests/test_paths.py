"""helpers.checks.paths: a gradient split into its chain-rule paths, and the path an answer missed.
"""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.checks.paths import contributions, diagnose, local_derivatives

N = 16


def batchnorm(seed=0):
    """BatchNorm's forward pass, one named tensor per line, and a loss on its output."""
    gen = torch.Generator().manual_seed(seed)
    h = torch.randn(N, 5, dtype=torch.float64, generator=gen).requires_grad_()
    mean = h.mean(0, keepdim=True)
    diff = h - mean
    diff2 = diff**2
    var = diff2.sum(0, keepdim=True) / (N - 1)
    inv = (var + 1e-5) ** -0.5
    raw = diff * inv
    loss = (raw * torch.randn(N, 5, dtype=torch.float64, generator=gen)).sum()
    return loss, h, {"mean": mean, "diff": diff, "diff2": diff2, "var": var, "inv": inv,
                     "raw": raw}


def test_the_paths_add_up_to_the_gradient_and_are_named_by_their_forks():
    loss, h, named = batchnorm()
    paths = contributions(loss, h, named)
    (truth,) = torch.autograd.grad(loss, h, retain_graph=True)
    assert torch.allclose(sum(g for _, g in paths), truth, atol=1e-12)
    assert [p for p, _ in paths] == [("mean", "diff", "diff2"), ("mean", "diff", "raw"),
                                     ("diff", "diff2"), ("diff", "raw")]
    # the mean's path into the variance carries nothing: the deviations sum to zero
    assert float(paths[0][1].abs().max()) < 1e-12 < float(paths[1][1].abs().max())


def test_a_right_answer_gets_no_diagnosis():
    loss, h, named = batchnorm()
    (truth,) = torch.autograd.grad(loss, h, retain_graph=True)
    assert diagnose(truth, contributions(loss, h, named), 1e-9, n=N) == ""


def test_a_missing_path_a_wrong_sign_and_a_bessel_factor_are_each_named():
    loss, h, named = batchnorm()
    paths = contributions(loss, h, named)
    grad = dict(paths)
    truth = sum(grad.values())
    mean_term, variance_term, direct = ("mean", "diff", "raw"), ("diff", "diff2"), ("diff", "raw")
    assert diagnose(truth - grad[mean_term], paths, 1e-9, n=N) == \
        "the path through mean is missing"   # the mean's other path carries nothing
    assert diagnose(truth - 2 * grad[variance_term], paths, 1e-9, n=N) == \
        "the path through diff → diff2 has the wrong sign"
    bessel = truth + (N / (N - 1) - 1) * grad[direct]
    assert diagnose(bessel, paths, 1e-9, n=N) == \
        f"the path through diff → raw has a factor n/(n-1) = {N}/{N - 1} (Bessel's correction)"
    two = truth - grad[mean_term] - 2 * grad[variance_term]
    assert diagnose(two, paths, 1e-9, n=N) == ("the path through mean is missing; "
                                               "the path through diff → diff2 has the wrong sign")


def test_an_answer_no_combination_of_paths_explains_gets_nothing():
    loss, h, named = batchnorm()
    paths = contributions(loss, h, named)
    truth = sum(g for _, g in paths)
    assert diagnose(truth * 1.3, paths, 1e-9, n=N) == ""
    assert diagnose(truth + 0.01 * torch.randn(N, 5, dtype=torch.float64), paths, 1e-9, n=N) == ""


def test_a_tensor_used_twice_by_one_operation_is_one_path():
    x = torch.randn(4, dtype=torch.float64, requires_grad=True)
    y = x * x
    z = x.exp()
    loss = (y + z).sum()
    paths = contributions(loss, x, {"y": y, "z": z})
    assert [p for p, _ in paths] == [("y",), ("z",)]
    assert torch.allclose(paths[0][1], 2 * x.detach()) and torch.allclose(paths[1][1], z)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), which=st.integers(0, 3),
       factor=st.sampled_from([0.0, -1.0, 2.0, 0.5]))
def test_one_wrong_path_is_found_whichever_it_is(seed, which, factor):
    loss, h, named = batchnorm(seed)
    paths = contributions(loss, h, named)
    if float(paths[which][1].abs().max()) < 1e-9:   # a path that carries nothing
        return
    wrong = sum(g for _, g in paths) + (factor - 1) * paths[which][1]
    said = diagnose(wrong, paths, 1e-9, n=N)
    named = said.removeprefix("the path through ").split(" is ")[0].split(" has ")[0]
    assert tuple(named.split(" → ")) == paths[which][0][:len(named.split(" → "))], said
    assert ";" not in said


def test_the_loss_among_the_named_tensors_is_one_path_not_two():
    loss, h, named = batchnorm()
    with_loss = contributions(loss, h, named | {"loss": loss})
    assert [p for p, _ in with_loss] == [p for p, _ in contributions(loss, h, named)]


def test_splitting_leaves_every_retained_grad_as_it_was():
    loss, h, named = batchnorm()
    for t in named.values():
        t.retain_grad()
    loss.backward(retain_graph=True)
    before = {name: t.grad.clone() for name, t in named.items()}
    contributions(loss, h, named)
    assert all(torch.equal(named[name].grad, grad) for name, grad in before.items())
    local_derivatives(loss, h, named)
    assert all(torch.equal(named[name].grad, grad) for name, grad in before.items())


def test_a_step_without_the_gradient_that_arrives_there_is_named():
    loss, h, named = batchnorm()
    paths = contributions(loss, named["diff"], named)
    local = local_derivatives(loss, named["diff"], named)
    assert [name for name, _ in local] == ["diff2", "raw"]
    right = sum(g for _, g in paths)
    through_raw = sum(g for p, g in paths if p[0] == "raw")
    forgot = right - through_raw + named["inv"].detach().expand_as(right)   # d(raw)/d(diff) alone
    said = diagnose(forgot, paths, 1e-9, n=N, local=local)
    assert said.startswith("the local derivative through raw is there, but not multiplied by "
                           "the gradient that arrives at raw (draw)"), said
    assert diagnose(right, paths, 1e-9, n=N, local=local) == ""
