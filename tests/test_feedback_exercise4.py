"""Exercise 4 (lecture 08): realistic answers, right and wrong, through the lecture's own check.

Each answer replaces the lecture's solution cell and runs with the lecture's state (its
imports and data cells) and its check cell. A right answer must pass; a wrong one must
fail with an AssertionError whose text (with what the check printed) contains what the
learner needs, and none of the misleading texts listed for it.
"""

import contextlib
import io
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LECTURE = ROOT / "lectures" / "08_training_by_hand.ipynb"


@pytest.fixture(scope="module")
def lecture():
    """The lecture's state before the solution, the solution's source, the check's source."""
    cells = nbformat.read(LECTURE, as_version=4).cells
    solution = next(i for i, c in enumerate(cells)
                    if "solution" in c.metadata.get("tags", [])
                    and c.source.startswith("def forward_backward"))
    state = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in cells[:solution]:
            if cell.cell_type == "code" and not cell.source.startswith("# Set-up"):
                exec(cell.source, state)
    return state, cells[solution].source, cells[solution + 1].source


def run(lecture, answer):
    """(what the check printed and raised, the exception or None)."""
    state, _, check = lecture
    namespace = dict(state)
    out = io.StringIO()
    error = None
    with contextlib.redirect_stdout(out):
        exec(answer, namespace)
        try:
            exec(check, namespace)
        except AssertionError as e:
            error = e
    return out.getvalue() + (str(error) if error else ""), error


def edit(source, *replacements):
    for old, new in replacements:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


BN_LINE = ("    dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dbnbias - n / (n - 1) * bnraw"
           " * dbngain)\n")
RETURN = "    return loss, [dC, dW1, db1, dW2, db2, dbngain, dbnbias]"
NAMED_MISTAKE = "It looks like this mistake"

# (id, replacements in the lecture's solution, texts that must appear, texts that must not)
WRONG = [
    ("bessel-left-out-of-backward",
     [(BN_LINE,
       "    dhprebn = bngain * bnvar_inv / n * (n * dhpreact - dbnbias - bnraw * dbngain)\n")],
     ["n/(n-1)", "Nearest the loss: dW1;", "W1 ", "C "],
     ["dC is wrong"]),
    ("biased-variance-in-forward",
     [("hprebn.var(0, keepdim=True)", "hprebn.var(0, keepdim=True, unbiased=False)")],
     ["divides BatchNorm's variance by n", "n - 1", "step 0"], []),
    ("returns-a-dict",
     [(RETURN, "    return loss, {'C': dC, 'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2,\n"
               "                  'bngain': dbngain, 'bnbias': dbnbias}")],
     ["as a dict", "[dC, dW1, db1, dW2, db2, dbngain, dbnbias]"], ["str"]),
    ("returns-only-the-gradients",
     [(RETURN, "    return [dC, dW1, db1, dW2, db2, dbngain, dbnbias]")],
     ["returned 7 tensors, the gradients alone", "the loss first"], []),
    ("tanh-derivative-at-its-input",
     [("    h = torch.tanh(bngain * bnraw + bnbias)\n",
       "    hpreact = bngain * bnraw + bnbias\n    h = torch.tanh(hpreact)\n"),
      ("(1 - h * h) * dh", "(1 - hpreact**2) * dh")],
     ["Nearest the loss: dbngain and dbnbias", "derivative is taken at its input"], []),
    ("dlogits-not-divided-by-n",
     [("    dlogits /= n\n", "")],
     ["Nearest the loss: dW2 and db2", "not divided by n"], []),
    ("softmax-over-the-batch",
     [("    dlogits = logprobs.exp()", "    dlogits = torch.softmax(logits, 0)")],
     ["dimension 0", "Nearest the loss: dW2 and db2"], ["not divided by n"]),
    ("no-one-hot",
     [("    dlogits[rows, Yb] -= 1                          # minus the one-hot targets\n", "")],
     ["lacks the one-hot"], []),
    ("indexed-add-loses-repeats",
     [("    dC = torch.zeros_like(C).index_add_(0, Xb.view(-1), dembcat.view(-1, C.shape[1]))\n",
       "    dC = torch.zeros_like(C)\n    dC[Xb] += dembcat.view(n, 3, -1)\n")],
     ["Nearest the loss: dC;", "index_add_", "only once"], ["Bessel"]),
    ("bngain-forgotten-in-batchnorm",
     [(BN_LINE, "    dhprebn = bnvar_inv / n * (n * dhpreact - dbnbias - n / (n - 1) * bnraw"
                " * dbngain)\n")],
     ["lacks bngain", "Nearest the loss: dW1;"], ["n/(n-1)"]),
    ("dbnbias-term-forgotten",
     [(BN_LINE, "    dhprebn = bngain * bnvar_inv / n * (n * dhpreact - n / (n - 1) * bnraw"
                " * dbngain)\n")],
     ["Nearest the loss: dW1 and db1;", "dhprebn, the BatchNorm backward",
      "It looks like this mistake: the mean term is missing"], []),
    ("dbngain-without-keepdim",
     [("dbngain = (bnraw * dhpreact).sum(0, keepdim=True)", "dbngain = (bnraw * dhpreact).sum(0)")],
     ["Nearest the loss: dbngain (dbngain has shape (200,), bngain (1, 200))", "keepdim=True"],
     [NAMED_MISTAKE]),
    ("dW2-transposed",
     [("dW2 = h.T @ dlogits", "dW2 = dlogits.T @ h")],
     ["Nearest the loss: dW2 (dW2 has shape (27, 200), W2 (200, 27))", "dW2 = h.T @ dlogits",
      "db2, from the same dlogits, is right", "transposed"],
     ["dlogits, the first step"]),
    ("dW1-from-dhpreact",
     [("dW1 = embcat.T @ dhprebn", "dW1 = embcat.T @ dhpreact")],
     ["Nearest the loss: dW1;", "dW1 = embcat.T @ dhprebn", "dC, from the same dhprebn",
      "It looks like this mistake: dW1 is built from dhpreact"], []),
    ("db1-nudged",
     [("db1 = dhprebn.sum(0)", "db1 = dhprebn.sum(0) + 1e-6")],
     ["Nearest the loss: db1;", "about zero"], [NAMED_MISTAKE]),
    ("db1-from-dhpreact",
     [("db1 = dhprebn.sum(0)", "db1 = dhpreact.sum(0)")],
     ["Nearest the loss: db1;"], [NAMED_MISTAKE]),
    ("gradients-in-another-order",
     [(RETURN, "    return loss, [dW1, dC, db1, dW2, db2, dbngain, dbnbias]")],
     ["wrong places", "C holds dW1"], []),
    ("batchnorm-gradients-swapped",
     [(RETURN, "    return loss, [dC, dW1, db1, dW2, db2, dbnbias, dbngain]")],
     ["wrong places", "bngain holds dbnbias, bnbias holds dbngain"], [NAMED_MISTAKE]),
    ("loss-summed",
     [("    loss = -logprobs[rows, Yb].mean()", "    loss = -logprobs[rows, Yb].sum()")],
     ["n times larger", "sum over the batch"], []),
    ("updates-the-parameters-itself",
     [(RETURN, "    grads = [dC, dW1, db1, dW2, db2, dbngain, dbnbias]\n"
               "    for p, grad in zip(params.values(), grads):\n"
               "        p.data -= 0.1 * grad\n"
               "    return loss, grads")],
     ["changed C, W1, b1, W2, b2, bngain, bnbias in place", "applied twice"], [NAMED_MISTAKE]),
    ("tanh-derivative-sign",
     [("(1 - h * h) * dh", "(1 + h * h) * dh")],
     ["Nearest the loss: dbngain and dbnbias", "tanh ((1 - h**2) * dh)"], [NAMED_MISTAKE]),
]

RIGHT = [
    ("functional-cross-entropy-and-one-hot-matmul", '''
import torch.nn.functional as F

def forward_backward(params, Xb, Yb):
    """Loss and gradients in params order."""
    C, W1, b1, W2, b2, bngain, bnbias = params.values()
    n = len(Xb)
    emb = C[Xb]
    embcat = emb.reshape(n, -1)
    hprebn = embcat @ W1 + b1
    mu = hprebn.mean(0, keepdim=True)
    var = ((hprebn - mu) ** 2).sum(0, keepdim=True) / (n - 1)
    istd = 1.0 / torch.sqrt(var + 1e-5)
    xhat = (hprebn - mu) * istd
    h = torch.tanh(bngain * xhat + bnbias)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Yb)
    dlogits = (F.softmax(logits, 1) - F.one_hot(Yb, 27)) / n
    dW2, db2 = h.T @ dlogits, dlogits.sum(0)
    dpre = (1 - h**2) * (dlogits @ W2.T)
    dgamma = (xhat * dpre).sum(0, keepdim=True)
    dbeta = dpre.sum(0, keepdim=True)
    dxhat = dpre * bngain
    dhprebn = istd / n * (n * dxhat - dxhat.sum(0) - n / (n - 1) * xhat * (dxhat * xhat).sum(0))
    dW1, db1 = embcat.T @ dhprebn, dhprebn.sum(0)
    demb = (dhprebn @ W1.T).view(-1, C.shape[1])
    dC = F.one_hot(Xb.view(-1), C.shape[0]).float().T @ demb
    return loss, (dC, dW1, db1, dW2, db2, dgamma, dbeta)
'''),
    ("atomic-steps-and-a-loop-for-C", '''
def forward_backward(params, Xb, Yb):
    p = params
    n = Xb.shape[0]
    emb = p["C"][Xb]
    embcat = emb.view(n, -1)
    hprebn = embcat @ p["W1"] + p["b1"]
    bnmeani = hprebn.sum(0, keepdim=True) / n
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = bndiff2.sum(0, keepdim=True) / (n - 1)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = p["bngain"] * bnraw + p["bnbias"]
    h = torch.tanh(hpreact)
    logits = h @ p["W2"] + p["b2"]
    probs = torch.softmax(logits, 1)
    loss = -probs[range(n), Yb].log().mean()
    dlogits = probs.clone()
    dlogits[range(n), Yb] -= 1
    dlogits /= n
    dh = dlogits @ p["W2"].T
    dhpreact = (1 - h**2) * dh
    dbnraw = p["bngain"] * dhpreact
    dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
    dbndiff = bnvar_inv * dbnraw
    dbnvar = -0.5 * (bnvar + 1e-5) ** -1.5 * dbnvar_inv
    dbndiff2 = torch.ones_like(bndiff2) / (n - 1) * dbnvar
    dbndiff += 2 * bndiff * dbndiff2
    dhprebn = dbndiff.clone()
    dbnmeani = -dbndiff.sum(0)
    dhprebn += dbnmeani / n
    dembcat = dhprebn @ p["W1"].T
    demb = dembcat.view(emb.shape)
    dC = torch.zeros_like(p["C"])
    for i in range(n):
        for j in range(Xb.shape[1]):
            dC[Xb[i, j]] += demb[i, j]
    grads = {"C": dC, "W1": embcat.T @ dhprebn, "b1": dhprebn.sum(0),
             "W2": h.T @ dlogits, "b2": dlogits.sum(0),
             "bngain": (bnraw * dhpreact).sum(0, keepdim=True),
             "bnbias": dhpreact.sum(0, keepdim=True)}
    return loss.item(), [grads[name] for name in params]
'''),
    ("zero-db1-and-float-loss", '''
def forward_backward(params, Xb, Yb):
    C, W1, b1, W2, b2, bngain, bnbias = params.values()
    n = Xb.shape[0]
    x = C[Xb].flatten(1)
    pre = x @ W1 + b1
    centred = pre - pre.mean(0)
    inv = (centred.pow(2).sum(0) / (n - 1) + ninja.BN_EPS).rsqrt()
    raw = centred * inv
    h = (bngain * raw + bnbias).tanh()
    logprobs = (h @ W2 + b2).log_softmax(-1)
    loss = -logprobs.gather(1, Yb[:, None]).mean()
    g = logprobs.exp()
    g[torch.arange(n), Yb] -= 1
    g = g / n
    dpre_act = (1 - h.square()) * (g @ W2.T)
    dgain = (raw * dpre_act).sum(0, keepdim=True)
    dbias = dpre_act.sum(0, keepdim=True)
    dpre = bngain * inv * (dpre_act - dbias / n - raw * dgain / (n - 1))
    db1 = torch.zeros_like(b1)   # BatchNorm removes b1's effect: its gradient is exactly 0
    dC = torch.zeros_like(C)
    dC.index_add_(0, Xb.flatten(), (dpre @ W1.T).reshape(-1, C.shape[1]))
    return float(loss), [dC, x.T @ dpre, db1, h.T @ g, g.sum(0), dgain, dbias]
'''),
    ("index-put-accumulate-and-explicit-variance", '''
def forward_backward(params, Xb, Yb):
    C, W1, b1, W2, b2, bngain, bnbias = params.values()
    n = Xb.shape[0]
    embcat = C[Xb].view(n, -1)
    hprebn = embcat @ W1 + b1
    diff = hprebn - hprebn.mean(0, keepdim=True)
    var = (diff * diff).sum(0, keepdim=True) / (n - 1)
    std = (var + 1e-5).sqrt()
    bnraw = diff / std
    h = torch.tanh(bnraw * bngain + bnbias)
    logits = h @ W2 + b2
    probs = torch.softmax(logits, dim=1)
    loss = torch.nn.functional.nll_loss(probs.log(), Yb)
    onehot = torch.zeros_like(probs)
    onehot[torch.arange(n), Yb] = 1.0
    dlogits = (probs - onehot) / n
    dhpreact = (dlogits @ W2.T) * (1 - h.pow(2))
    dbngain = (dhpreact * bnraw).sum(0, keepdim=True)
    dbnbias = dhpreact.sum(0, keepdim=True)
    dbnraw = dhpreact * bngain
    dhprebn = (dbnraw - dbnraw.mean(0, keepdim=True)
               - bnraw * (dbnraw * bnraw).sum(0, keepdim=True) / (n - 1)) / std
    demb = (dhprebn @ W1.T).view(-1, C.shape[1])
    dC = torch.zeros_like(C).index_put_((Xb.view(-1),), demb, accumulate=True)
    return loss, [dC, embcat.T @ dhprebn, dhprebn.sum(0), h.T @ dlogits, dlogits.sum(0),
                  dbngain, dbnbias]
'''),
]


@pytest.mark.parametrize("name, replacements, must, must_not", WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_answer_is_refused_and_explained(lecture, name, replacements, must, must_not):
    text, error = run(lecture, edit(lecture[1], *replacements))
    assert error is not None, f"{name} was accepted:\n{text}"
    for words in must:
        assert words in text, f"{name}: {words!r} missing from\n{text}"
    for words in must_not:
        assert words not in text, f"{name}: misleading {words!r} in\n{text}"


def test_a_failure_shows_every_parameter_nearest_the_loss_first(lecture):
    text, _ = run(lecture, edit(lecture[1], ("dW1 = embcat.T @ dhprebn",
                                             "dW1 = embcat.T @ dhpreact")))
    lines = [line.split("|")[0].strip() for line in text.splitlines() if "| approximate" in line]
    assert lines == ["W2", "b2", "bngain", "bnbias", "W1", "b1", "C"]


def test_the_lecture_answer_passes(lecture):
    text, error = run(lecture, lecture[1])
    assert error is None, text
    assert "the loss and every gradient agree" in text


@pytest.mark.parametrize("name, answer", RIGHT, ids=[r[0] for r in RIGHT])
def test_a_right_answer_written_differently_passes(lecture, name, answer):
    text, error = run(lecture, answer)
    assert error is None, f"{name} was refused:\n{text}"
    assert "the loss and every gradient agree" in text


def test_there_are_enough_answers():
    assert len(WRONG) >= 10 and len(RIGHT) >= 3
