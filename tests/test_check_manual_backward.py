"""helpers.checks.ninja.check_manual_backward: lecture 06's function-level check (section 5.1).

The learner's functions here are the lecture's own ``manual_backward`` with one line changed,
written to a file and imported, as a notebook cell is (the check reads their source to run
the formulas of b1, logit_maxes and the max's path of logits again on random numbers).
"""

import importlib.util
from pathlib import Path

import nbformat
import pytest
import torch

from helpers.checks import core
from helpers.checks.ninja import MANUAL_BACKWARD_ORDER, check_manual_backward

LECTURE = Path(__file__).resolve().parent.parent / "lectures" / "06_manual_backprop.ipynb"
_CELLS = nbformat.read(LECTURE, as_version=4).cells
FORWARD = next(c.source for c in _CELLS if c.source.startswith("def forward("))
MANUAL = next(c.source for c in _CELLS if c.source.startswith("def manual_backward("))
ZERO = "only because the true gradient of"


def _module(tmp_path, source, **globals_):
    """A module made of ``source`` (with torch and F), its globals updated by ``globals_``."""
    path = tmp_path / f"learner_{abs(hash(source)) % 10**8}.py"
    path.write_text("import torch\nimport torch.nn.functional as F\n\n" + source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(globals_)
    spec.loader.exec_module(module)
    module.__dict__.update(globals_)
    return module


@pytest.fixture(scope="module")
def lecture():
    """(forward, params, Xb, Yb): the lecture's model, a batch of 32."""
    namespace = {"torch": torch}
    exec(FORWARD, namespace)
    g = torch.Generator().manual_seed(2147483647)
    vocab, n_embd, block, hidden = 27, 10, 3, 64
    params = {"C": torch.randn((vocab, n_embd), generator=g),
              "W1": torch.randn((n_embd * block, hidden), generator=g) * (5 / 3) / 30**0.5,
              "b1": torch.randn(hidden, generator=g) * 0.1,
              "W2": torch.randn((hidden, vocab), generator=g) * 0.1,
              "b2": torch.randn(vocab, generator=g) * 0.1,
              "bngain": 1.0 + torch.randn((1, hidden), generator=g) * 0.1,
              "bnbias": torch.randn((1, hidden), generator=g) * 0.1}
    Xb = torch.randint(0, vocab, (32, block), generator=g)
    Yb = torch.randint(0, vocab, (32,), generator=g)
    return namespace["forward"], params, Xb, Yb


def _changed(old, new):
    assert MANUAL.count(old) == 1, old
    return MANUAL.replace(old, new)


def _check(tmp_path, lecture, source, **globals_):
    """(what the check printed, the refusal's message or None)."""
    forward, params, Xb, Yb = lecture
    fn = _module(tmp_path, source, **globals_).manual_backward
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            check_manual_backward(fn, forward, params, Xb, Yb)
        except core.Refused as refused:
            return out.getvalue(), str(refused)
    return out.getvalue(), None


def test_the_lectures_function_passes(tmp_path, lecture):
    printed, refused = _check(tmp_path, lecture, MANUAL)
    assert refused is None and printed.startswith("manual_backward: correct (all 26 gradients")


def test_a_right_function_written_differently_passes(tmp_path, lecture):
    source = _changed('    d["b1"] = d["hprebn"].sum(0)\n',
                      '    db1 = torch.ones(n, dtype=d["hprebn"].dtype) @ d["hprebn"]\n'
                      '    d["b1"] = db1\n')
    source = source.replace('d["logit_maxes"] = (-d["norm_logits"]).sum(1, keepdim=True)',
                            'd["logit_maxes"] = -(d["norm_logits"] @ '
                            'torch.ones_like(t["probs"][0])).view(n, 1)')
    assert _check(tmp_path, lecture, source)[1] is None


def test_a_stub_is_not_implemented_yet(tmp_path, lecture):
    source = 'def manual_backward(t, params, Xb, Yb):\n    raise NotImplementedError  # TODO\n'
    assert _check(tmp_path, lecture, source) == ("not implemented yet: manual_backward\n", None)


def test_the_learners_exception_is_theirs_with_the_sizes_named(tmp_path, lecture):
    source = _changed("F.one_hot(t[\"logits\"].max(1).indices, vocab)",
                      "F.one_hot(t[\"logits\"].max(1).indices, num_classes=n)")
    refused = _check(tmp_path, lecture, source)[1]
    assert refused.startswith("your manual_backward(t, params, Xb, Yb), on section 3's batch in "
                              "float32, raised RuntimeError")
    assert "27 is vocab_size" in refused and "32 is n, the batch size" in refused


@pytest.mark.parametrize("old, new, must", [
    ('d["bngain"] = (t["bnraw"] * d["hpreact"]).sum(0, keepdim=True)',
     'd["bngain"] = (t["bnraw"] * d["hpreact"]).sum(0)',
     ['d["bngain"] is the first wrong gradient', "keepdim=True would give (1, 64)"]),
    ('d["counts"] = t["counts_sum_inv"] * d["probs"] + d["counts_sum"]',
     'd["counts"] = t["counts_sum_inv"] * d["probs"]',
     ['d["counts"] is the first wrong gradient', "the path through counts_sum is missing"]),
    ('d["bnvar"] = -0.5 *', 'd["bnvar"] = 0.5 *', ["the sign is wrong"]),
    ('d["W1"] = t["embcat"].T @ d["hprebn"]', 'd["W1"] = t["embcat"].T @ d["bndiff"]',
     ['d["W1"] is the first wrong gradient', "bnmeani is missing"]),
    # zero on every batch: only the formula, run again on random numbers, shows the mistake
    ('d["b1"] = d["hprebn"].sum(0)', 'd["b1"] = 2 * d["hprebn"].sum(0)',
     ['d["b1"] is the first wrong gradient', ZERO, "constant factor 2"]),
    ('d["b1"] = d["hprebn"].sum(0)', 'd["b1"] = -d["hprebn"].sum(0)',
     ['d["b1"]', ZERO, "the sign is wrong"]),
    ('d["logit_maxes"] = (-d["norm_logits"]).sum(1, keepdim=True)',
     'd["logit_maxes"] = d["norm_logits"].sum(1, keepdim=True)',
     ['d["logit_maxes"] is the first wrong gradient', ZERO, "the sign is wrong"]),
    ('d["logit_maxes"] = (-d["norm_logits"]).sum(1, keepdim=True)',
     'd["logit_maxes"] = -d["norm_logits"].mean(1, keepdim=True)',
     ['d["logit_maxes"]', ZERO, "constant factor"]),
    ('d["logits"] = d["norm_logits"] + F.one_hot(t["logits"].max(1).indices, vocab) * '
     'd["logit_maxes"]', 'd["logits"] = d["norm_logits"].clone()',
     ['d["logits"] is the first wrong gradient', "path 2, through the max, is missing"]),
    ('d["logits"] = d["norm_logits"] + F.one_hot', 'd["logits"] = d["norm_logits"] - F.one_hot',
     ['d["logits"]', "the sign is wrong"]),
])
def test_the_first_wrong_gradient_is_named_with_its_diagnosis(tmp_path, lecture, old, new, must):
    printed, refused = _check(tmp_path, lecture, _changed(old, new))
    assert refused is not None, printed
    assert printed == ""                      # nothing printed before the refusal
    first = refused.splitlines()[0]
    for text in must:
        assert text in first, (text, refused)
    assert "agree" not in refused and "[" not in refused.split(":")[0][:-4].replace('d["', "")


def test_a_missing_gradient_is_named(tmp_path, lecture):
    refused = _check(tmp_path, lecture, _changed('    d["bnvar"] = -0.5', '    bnvar_ = -0.5')
                     .replace('d["bnvar"]', 'bnvar_'))[1]
    assert refused.startswith('your manual_backward returns no d["bnvar"], the gradient of bnvar')


def test_keys_with_a_d_are_explained(tmp_path, lecture):
    source = _changed("    return d", "    return {'d' + k: v for k, v in d.items()}")
    refused = _check(tmp_path, lecture, source)[1]
    assert 'no gradient under "logprobs"' in refused and 'not "dlogprobs"' in refused


def test_a_float32_global_is_named(tmp_path, lecture):
    forward, params, Xb, Yb = lecture
    source = _changed('d["h"] = d["logits"] @ params["W2"].T', 'd["h"] = d["logits"] @ W2.T')
    refused = _check(tmp_path, lecture, source, W2=params["W2"])[1]
    assert refused.startswith("your manual_backward reads a float32 tensor from the notebook's "
                              "globals (W2)") and "RuntimeError" not in refused
    # one that type promotion lets through: float32 rounding in the float64 run
    acts = forward({k: p.detach() for k, p in params.items()}, Xb, Yb)
    source = _changed('d["bngain"] = (t["bnraw"] * d["hpreact"])',
                      'd["bngain"] = (bnraw * d["hpreact"])')
    refused = _check(tmp_path, lecture, source, bnraw=acts["bnraw"].detach())[1]
    assert refused.startswith('d["bngain"] is right in float32 but not in float64: did your '
                              "manual_backward read a float32 tensor from the notebook's "
                              "globals (bnraw)?")


def test_the_message_is_the_same_on_every_run(tmp_path, lecture):
    source = _changed('d["b1"] = d["hprebn"].sum(0)', 'd["b1"] = 3 * d["hprebn"].sum(0)')
    state = torch.random.get_rng_state()
    first = _check(tmp_path, lecture, source)[1]
    assert torch.equal(state, torch.random.get_rng_state())   # the notebook's state put back
    assert _check(tmp_path, lecture, source)[1] == first


def test_the_order_is_section_4s():
    assert len(MANUAL_BACKWARD_ORDER) == 26 and MANUAL_BACKWARD_ORDER[0] == "logprobs"


# ---- likely_mistake: the slips of section 4's operations, for the cell checks ----------------

def _data(shape=(32, 64), seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    return x, torch.randn(shape, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("operation, slip, says", [
    ("tanh", lambda x, y, g: 1 - y**2 * g, "the brackets are missing"),
    ("tanh", lambda x, y, g: (1 - torch.tanh(y) ** 2) * g, "tanh is applied to h once more"),
    ("tanh", lambda x, y, g: 1 - y**2, "only the local derivative"),
    ("relu", lambda x, y, g: torch.relu(g), "relu is applied to the incoming gradient"),
    ("relu", lambda x, y, g: (x < 0).double() * g, "open on the wrong side"),
    ("relu", lambda x, y, g: (x > 0).double(), "only relu's local derivative"),
])
def test_an_elementwise_slip_is_named(operation, slip, says):
    x, g = _data()
    y = torch.tanh(x) if operation == "tanh" else torch.relu(x)
    right = (1 - y**2) * g if operation == "tanh" else (x > 0).double() * g
    name = __import__("helpers.checks.ninja", fromlist=["likely_mistake"]).likely_mistake(
        operation, x=x, y=y, g=g)
    assert says in name(slip(x, y, g).float(), right)
    assert name(right.float(), right) is None            # the right answer names nothing


def test_a_lookups_slips_are_named():
    from helpers.checks.ninja import likely_mistake
    g = torch.Generator().manual_seed(1)
    index = torch.randint(0, 27, (32, 3), generator=g)
    demb = torch.randn(32, 3, 10, generator=g, dtype=torch.float64)
    emb = torch.randn(32, 3, 10, generator=g, dtype=torch.float64)
    right = torch.zeros(27, 10, dtype=torch.float64).index_add_(0, index.view(-1),
                                                                demb.view(-1, 10))
    name = likely_mistake("lookup", index=index, g=demb, y=emb, n_rows=27)
    skipped = torch.zeros(27, 10, dtype=torch.float64)
    for i in range(32):
        for k in range(2):
            skipped[index[i, k]] += demb[i, k]
    assert "context position 2 are missing" in name(skipped.float(), right)
    paired = torch.zeros(27, 10).index_add_(0, index.T.reshape(-1), demb.view(-1, 10).float())
    assert "paired in different orders" in name(paired, right)
    values = torch.zeros(27, 10).index_add_(0, index.view(-1), emb.view(-1, 10).float())
    assert "emb, the looked-up values" in name(values, right)
    assert name(right.float(), right) is None


def test_numbers_in_the_wrong_places_and_a_mean_for_a_sum_are_named():
    from helpers.checks.ninja import likely_mistake
    want = _data((32, 3, 10))[0]
    scrambled = want.view(32, 30).float().view(32, 10, 3).transpose(1, 2)
    assert "the right numbers in the wrong places" in likely_mistake("reshape")(scrambled, want)
    assert likely_mistake("reshape")(2 * want, want) is None
    total = torch.tensor(3.25, dtype=torch.float64)
    said = likely_mistake("broadcast", size=2048)((total / 2048).float(), total)
    assert "a mean where the sum belongs" in said and "all 2048 entries" in said


def test_argmax_onehot_is_checked_against_the_max_node(capsys):
    from helpers.checks.ninja import check_argmax_onehot
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(32, 27, generator=g).requires_grad_()
    maxes = logits.max(1, keepdim=True).values
    Yb = torch.randint(0, 27, (32,), generator=g)
    check_argmax_onehot(torch.nn.functional.one_hot(logits.argmax(1), 27), logits, maxes, Yb)
    assert capsys.readouterr().out == ("argmax_onehot: correct (one 1 per row, where the row's "
                                       "maximum is)\n")
    for wrong, says in ((torch.ones(32, 27) / 27, "spread evenly over each row"),
                        (torch.nn.functional.one_hot(Yb, 27), "at the correct characters Yb"),
                        (torch.ones(32, 1), r"has the shape \(32, 1\)"),
                        ([1, 2], "argmax_onehot is a list")):
        with pytest.raises(core.Refused, match=says):
            check_argmax_onehot(wrong, logits, maxes, Yb)


def test_a_function_that_changes_its_inputs_in_place_is_refused(tmp_path, lecture):
    # right numbers, but t["probs"] is overwritten through a .detach() that shares its storage
    source = _changed('    d["probs"] = (1.0 / t["probs"]) * d["logprobs"]\n',
                      '    p = t["probs"].detach()\n    p.reciprocal_()\n'
                      '    d["probs"] = p * d["logprobs"]\n')
    refused = _check(tmp_path, lecture, source)[1]
    assert refused.startswith('your manual_backward changed t["probs"] in place: '
                              '`p = t["probs"].detach()` makes no copy'), refused
    assert "`p.reciprocal_()`" in refused


def test_the_pass_line_claims_only_the_re_runs_it_made(tmp_path, lecture):
    forward, params, Xb, Yb = lecture
    namespace = {"torch": torch, "F": torch.nn.functional}
    exec(MANUAL, namespace)   # no source file: nothing can be run again
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check_manual_backward(namespace["manual_backward"], forward, params, Xb, Yb)
    assert out.getvalue() == ("manual_backward: correct (all 26 gradients of section 4, in "
                              "float32 and in float64)\n")
    printed = _check(tmp_path, lecture, MANUAL)[0]
    assert printed.endswith("in float64; the formulas of b1, logit_maxes and the max's path of "
                            "logits also on random upstream gradients)\n")


def test_a_function_that_takes_the_batch_as_star_args_is_checked(tmp_path, lecture):
    # def manual_backward(t, params, *batch): the inputs' names do not bind one to one
    source = _changed("def manual_backward(t, params, Xb, Yb):\n",
                      "def manual_backward(t, params, *batch):\n    Xb, Yb = batch\n")
    printed, refused = _check(tmp_path, lecture, source)
    assert refused is None and printed.startswith("manual_backward: correct (all 26 gradients")
