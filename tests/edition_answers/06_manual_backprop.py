"""Answers for the edition of lecture 06 (format: tests/edition_answers/__init__.py).

The planted mistakes are the ones learners make in exercise 1 (a missing keepdim, a
forgotten path, a sign, n for n - 1, a derivative taken at the input, an indexed += that
drops repeated rows, a formula that only passes because its gradient is zero on every
batch); the check must name each. ``manual_backward``'s mistakes are the lecture's own
function with one line changed. Those marked "a learner-tester's" were written by a tester
who had not read the checks, and passed or were misdiagnosed before."""

from pathlib import Path

import nbformat

_LECTURE = Path(__file__).resolve().parents[2] / "lectures" / "06_manual_backprop.ipynb"
_MANUAL_BACKWARD = next(c.source for c in nbformat.read(_LECTURE, as_version=4).cells
                        if c.source.startswith("def manual_backward("))


def _manual_backward(old, new):
    """The lecture's manual_backward with the line ``old`` replaced by ``new``."""
    assert _MANUAL_BACKWARD.count(old) == 1, old
    return _MANUAL_BACKWARD.replace(old, new)


PLUS_EQ = "+="
ZERO = "only because the true gradient of"   # the re-run on other numbers (check.probe)

ANSWERS = {
    "dlogprobs": {
        "alternatives": ["dlogprobs = -F.one_hot(Yb, vocab_size).float() / n\n"],
        "mistakes": [
            ("dlogprobs = torch.zeros_like(logprobs)\ndlogprobs[range(n), Yb] = -1.0\n",
             "constant factor 32", [PLUS_EQ]),
            ("dlogprobs = torch.zeros_like(logprobs)\ndlogprobs[range(n), Yb] = 1.0 / n\n",
             "the sign is wrong", [PLUS_EQ]),
            # whole columns indexed where one entry per row belongs
            ("dlogprobs = torch.zeros_like(logprobs)\ndlogprobs[:, Yb] -= 1.0 / n\n",
             "indexes whole columns", [PLUS_EQ, "every row of yours is the same"]),
        ],
    },
    "dprobs": {
        "alternatives": ["dprobs = dlogprobs / probs\n"],
        "mistakes": [("dprobs = probs * dlogprobs\n", "the right gradient times probs**2",
                      [PLUS_EQ]),
                     # brackets that move dlogprobs into the denominator: inf where it is 0
                     ("dprobs = 1.0 / probs / dlogprobs\n", "times 1/dlogprobs**2",
                      [PLUS_EQ, "contains nan or inf"])],
    },
    "dcounts_sum_inv": {
        "alternatives": ["dcounts_sum_inv = torch.sum(dprobs * counts, dim=1, keepdim=True)\n"],
        "mistakes": [
            ("dcounts_sum_inv = (counts * dprobs).sum(1)\n",
             "keepdim=True would give (32, 1)", ["drop keepdim"]),
            ("dcounts_sum_inv = (counts * dprobs).sum(0, keepdim=True)\n",
             "needs the sum over dimension 1", ["keepdim=True would give"]),
            ("dcounts_sum_inv = counts * dprobs\n", ".sum(1, keepdim=True) gives (32, 1)", []),
        ],
    },
    "dcounts_sum": {
        "alternatives": ["dcounts_sum = -dcounts_sum_inv / counts_sum**2\n",
                         "dcounts_sum = -counts_sum_inv**2 * dcounts_sum_inv\n"],
        "mistakes": [("dcounts_sum = counts_sum**-2 * dcounts_sum_inv\n",
                      "the sign is wrong", [PLUS_EQ])],
    },
    "dcounts": {
        "alternatives": ["dcounts = dprobs / counts_sum + dcounts_sum\n"],
        "mistakes": [
            ("dcounts = counts_sum_inv * dprobs\n", "the path through counts_sum is missing", []),
            ("dcounts = counts_sum_inv * dprobs\ndcounts = dcounts_sum * torch.ones_like(counts)\n",
             "+=, not =", []),
            ("dcounts = dprobs * counts_sum_inv + dcounts_sum_inv\n",
             "computed from dcounts_sum_inv (the gradient of counts_sum_inv) where dcounts_sum "
             "belongs", ["+="]),
        ],
    },
    "dnorm_logits": {
        "alternatives": ["dnorm_logits = norm_logits.exp() * dcounts\n"],
        "mistakes": [("dnorm_logits = norm_logits * dcounts\n",
                      "exp's derivative is exp(x), the output", [PLUS_EQ]),
                     ("dnorm_logits = dcounts.sum(1, keepdim=True) * norm_logits.exp()\n",
                      "sums dcounts over dimension 1", [PLUS_EQ])],
    },
    "dlogit_maxes": {
        "alternatives": ["dlogit_maxes = -(dnorm_logits @ torch.ones(vocab_size, 1))\n",
                         "dlogit_maxes = -dnorm_logits.sum(1, keepdim=True)\n"],
        "mistakes": [
            ("dlogit_maxes = dnorm_logits.sum(1, keepdim=True)\n", ZERO, [PLUS_EQ]),
            ("dlogit_maxes = -dnorm_logits.sum(1)\n", "keepdim=True would give (32, 1)", []),
        ],
    },
    "argmax_onehot": {
        "alternatives": [
            "argmax_onehot = F.one_hot(logits.argmax(1), 27)\n"
            "dlogits = dnorm_logits + argmax_onehot * dlogit_maxes\n",
            "argmax_onehot = torch.zeros_like(logits)\n"
            "argmax_onehot[range(n), logits.argmax(1)] = 1.0\n"
            "dlogits = dnorm_logits.clone()\ndlogits += argmax_onehot * dlogit_maxes\n",
        ],
        "mistakes": [
            ("argmax_onehot = F.one_hot(logits.max(1).indices, num_classes=vocab_size)\n"
             "dlogits = -dnorm_logits + argmax_onehot * dlogit_maxes\n",
             "the sign is wrong", [PLUS_EQ]),
            # a learner-tester's: the max's gradient spread evenly over the row (it passed)
            ("argmax_onehot = torch.ones_like(logits) / vocab_size\n"
             "dlogits = dnorm_logits.clone()\ndlogits += argmax_onehot * dlogit_maxes\n",
             "spread evenly over each row", []),
            ("argmax_onehot = F.one_hot(Yb, num_classes=vocab_size)\n"
             "dlogits = dnorm_logits.clone()\ndlogits += argmax_onehot * dlogit_maxes\n",
             "at the correct characters Yb", []),
            # = instead of += : it was told "off by a constant factor 9.4e-10"
            ("argmax_onehot = F.one_hot(logits.max(1).indices, num_classes=vocab_size)\n"
             "dlogits = dnorm_logits.clone()\ndlogits = argmax_onehot * dlogit_maxes\n",
             "nothing of path 1", ["constant factor"]),
            # path 2 left out: rounding noise here, so only the re-run on random numbers sees it
            ("argmax_onehot = F.one_hot(logits.max(1).indices, num_classes=vocab_size)\n"
             "dlogits = dnorm_logits.clone()\n",
             "path 2, through the max, is missing", []),
            ("argmax_onehot = F.one_hot(logits.max(1).indices, num_classes=vocab_size)\n"
             "dlogits = dnorm_logits.clone()\ndlogits -= argmax_onehot * dlogit_maxes\n",
             "something else for path 2: the sign is wrong", []),
        ],
    },
    "dh": {
        "alternatives": ["dh = torch.matmul(dlogits, W2.t())\n"
                         "dW2 = torch.einsum('bi,bj->ij', h, dlogits)\ndb2 = dlogits.sum(dim=0)\n"],
        "mistakes": [
            ("dh = W2 @ dlogits.T\ndW2 = h.T @ dlogits\ndb2 = dlogits.sum(0)\n",
             "(64, 32) does not match (32, 64)", []),
            ("dh = dlogits @ W2.T\ndW2 = dlogits.T @ h\ndb2 = dlogits.sum(0)\n",
             "transposed", []),
            ("dh = dlogits @ W2.T\ndW2 = h.T @ dlogits\ndb2 = dlogits.sum(0, keepdim=True)\n",
             "drop keepdim", []),
        ],
    },
    "dhpreact": {
        "alternatives": ["dhpreact = (1 - torch.tanh(hpreact) ** 2) * dh\n"],
        "mistakes": [
            ("dhpreact = (1.0 - hpreact**2) * dh\n",
             "tanh's derivative is taken at its input", [PLUS_EQ]),
            ("dhpreact = (1.0 - h) ** 2 * dh\n", "the values differ", [PLUS_EQ, "factor"]),
        ],
    },
    "dbngain": {
        "alternatives": ["dbngain = (bnraw * dhpreact).sum(0, keepdims=True)\n"
                         "dbnraw = dhpreact * bngain\ndbnbias = dhpreact.sum(0).unsqueeze(0)\n"],
        "mistakes": [
            ("dbngain = (bnraw * dhpreact).sum(0)\ndbnraw = bngain * dhpreact\n"
             "dbnbias = dhpreact.sum(0, keepdim=True)\n",
             "keepdim=True would give (1, 64)", ["drop keepdim"]),
            ("dbngain = (bnraw * dhpreact).sum(0, keepdim=True)\ndbnraw = dhpreact\n"
             "dbnbias = dhpreact.sum(0, keepdim=True)\n",
             "each column of yours is the right one times its own factor", [PLUS_EQ]),
            ("dbngain = (bnraw * dhpreact).mean(0, keepdim=True)\ndbnraw = bngain * dhpreact\n"
             "dbnbias = dhpreact.sum(0, keepdim=True)\n", "1/n = 1/32", [PLUS_EQ]),
            ("dbngain = (bnraw * dhpreact).sum(0, keepdim=True)\ndbnraw = dhpreact * bnraw\n"
             "dbnbias = dhpreact.sum(0, keepdim=True)\n", "uses bnraw itself", [PLUS_EQ]),
        ],
    },
    "dbnvar_inv": {
        "alternatives": ["dbnvar_inv = torch.sum(bndiff * dbnraw, 0, keepdim=True)\n"],
        "mistakes": [("dbnvar_inv = (bndiff * dbnraw).sum(0)\n",
                      "keepdim=True would give (1, 64)", [])],
    },
    "dbnvar": {
        "alternatives": ["dbnvar = -0.5 * bnvar_inv**3 * dbnvar_inv\n"],
        "mistakes": [
            ("dbnvar = 0.5 * (bnvar + 1e-5) ** -1.5 * dbnvar_inv\n", "the sign is wrong", []),
            ("dbnvar = -0.5 * bnvar ** -1.5 * dbnvar_inv\n", "the values differ",
             [PLUS_EQ, "factor"]),
            # the power rule's exponent kept (-0.5) or lowered twice (-2.5), however written
            ("dbnvar = -0.5 * (bnvar + 1e-5) ** -0.5 * dbnvar_inv\n",
             "the exponent not lowered", ["lowered once too often", "lowered twice"]),
            ("dbnvar = -0.5 * bnvar_inv * dbnvar_inv\n", "the exponent not lowered", []),
            ("dbnvar = -0.5 * bnvar_inv**5 * dbnvar_inv\n", "the exponent lowered twice", []),
        ],
    },
    "dbndiff2": {
        "alternatives": ["dbndiff2 = dbnvar.expand_as(bndiff2) / (n - 1)\n"],
        "mistakes": [
            ("dbndiff2 = 1 / n * torch.ones_like(bndiff2) * dbnvar\n", "n versus n-1", [PLUS_EQ]),
            ("dbndiff2 = 1 / (n - 1) * dbnvar\n", "spread yours over (32, 64)", ["drop keepdim"]),
            # precedence: (1/n) - dbnvar, a term where a factor belongs; no per-column factor
            ("dbndiff2 = torch.ones_like(bndiff2) * dbnvar / n - 1\n",
             "a number added or subtracted where the formula multiplies or divides?",
             ["own factor"]),
        ],
    },
    "dbndiff": {
        "alternatives": ["dbndiff = bnvar_inv * dbnraw + 2 * bndiff * dbndiff2\n"],
        "mistakes": [
            ("dbndiff = bnvar_inv * dbnraw\n", "the path through bndiff2 is missing", []),
            ("dbndiff = bnvar_inv * dbnraw + bndiff * dbndiff2\n",
             "the path through bndiff2 is half", []),
            ("dbndiff = dbnraw * bnvar_inv + dbndiff2 * bndiff2 * 2\n",
             "uses bndiff2 where bndiff belongs, in the power", [PLUS_EQ]),
            ("dbndiff = (dbnraw * bnvar_inv).sum(0) + 2 * bndiff * dbndiff2\n",
             "sums its part from the product over dimension 0", [PLUS_EQ]),
        ],
    },
    "dbnmeani": {
        "alternatives": ["dbnmeani = -dbndiff.sum(0, keepdim=True)\n"
                         "dhprebn = dbndiff + dbnmeani / n\n"],
        "mistakes": [
            ("dbnmeani = dbndiff.sum(0, keepdim=True)\ndhprebn = dbndiff + 1.0 / n * dbnmeani\n",
             "the sign is wrong", []),
            ("dbnmeani = (-dbndiff).sum(0, keepdim=True)\ndhprebn = dbndiff.clone()\n",
             "the path through bnmeani is missing", []),
        ],
    },
    "dembcat": {
        "alternatives": ["dembcat = dhprebn @ W1.T\ndW1 = embcat.T @ dhprebn\n"
                         "db1 = torch.ones(n) @ dhprebn\n"],
        "mistakes": [
            ("dembcat = (W1 @ dhprebn.T).T\ndW1 = dhprebn.T @ embcat\ndb1 = dhprebn.sum(0)\n",
             "transposed", []),
            ("dembcat = dhprebn @ W1.T\ndW1 = embcat.T @ dhprebn\ndb1 = 2 * dhprebn.sum(0)\n",
             ZERO, [PLUS_EQ]),
            ("dembcat = dhprebn @ W1.T\ndW1 = embcat.T @ dhprebn\n"
             "db1 = dhprebn.sum(0, keepdim=True)\n", "drop keepdim", []),
        ],
    },
    "demb": {
        "alternatives": ["demb = dembcat.reshape(n, block_size, n_embd)\n"],
        "mistakes": [("demb = dembcat.view(32, 10, 3)\n", "(32, 3, 10)", ["transpose"])],
    },
    "dC": {
        "alternatives": [
            "dC = torch.zeros_like(C)\n"
            "for row, grad in zip(Xb.view(-1).tolist(), demb.view(-1, n_embd), strict=True):\n"
            "    dC[row] += grad\n",
        ],
        "mistakes": [
            ("dC = torch.zeros_like(C)\ndC[Xb] += demb\n", "more than once", []),
            ("dC = torch.zeros_like(C)\nfor i in range(Xb.shape[0]):\n"
             "    for k in range(Xb.shape[1]):\n        dC[Xb[i, k]] = demb[i, k]\n",
             "more than once", []),
        ],
    },
    "dC_index_add": {
        "alternatives": [
            "idx = Xb.flatten()\nrows = demb.reshape(-1, n_embd)\n"
            "dC_index_add = torch.zeros(vocab_size, n_embd).index_add_(0, idx, rows)\n"
            "dC_onehot = F.one_hot(idx, vocab_size).to(rows.dtype).T @ rows\n",
        ],
        "mistakes": [
            ("flat_idx = Xb.view(-1)\nflat_demb = demb.view(-1, n_embd)\n"
             "dC_index_add = torch.zeros_like(C)\ndC_index_add[flat_idx] += flat_demb\n"
             "dC_onehot = F.one_hot(flat_idx, num_classes=vocab_size).float().T @ flat_demb\n",
             "more than once", []),
            ("flat_idx = Xb.view(-1)\nflat_demb = demb.view(-1, n_embd)\n"
             "dC_index_add = torch.zeros_like(C).index_add_(0, flat_idx, flat_demb)\n"
             "dC_onehot = flat_demb.T @ F.one_hot(flat_idx, num_classes=vocab_size).float()\n",
             "transposed", []),
        ],
    },
    "manual_backward": {
        "alternatives": [
            _manual_backward(
                '    d["counts"] = t["counts_sum_inv"] * d["probs"] + d["counts_sum"]\n',
                '    d["counts"] = t["counts_sum_inv"] * d["probs"]\n'
                '    d["counts"] += d["counts_sum"]\n'),
        ],
        "mistakes": [
            (_manual_backward('d["bngain"] = (t["bnraw"] * d["hpreact"]).sum(0, keepdim=True)',
                              'd["bngain"] = (t["bnraw"] * d["hpreact"]).sum(0)'),
             'd["bngain"] is the first wrong gradient', ["agree"]),
            (_manual_backward(
                'd["counts"] = t["counts_sum_inv"] * d["probs"] + d["counts_sum"]',
                'd["counts"] = t["counts_sum_inv"] * d["probs"]'),
             "the path through counts_sum is missing", ["agree"]),
            (_manual_backward('d["bnvar"] = -0.5 *', 'd["bnvar"] = 0.5 *'),
             'd["bnvar"] is the first wrong gradient', ["agree"]),
            # a learner-tester's: the mean's path left out (named as in 4.16)
            (_manual_backward(
                'd["hprebn"] = d["bndiff"] + 1.0 / n * torch.ones_like(t["hprebn"]) * d["bnmeani"]',
                'd["hprebn"] = d["bndiff"].clone()'),
             "the path through bnmeani is missing", ["agree"]),
            # zero on every batch: only the formula, read from the function and run again with
            # a random upstream gradient, shows these (they passed before)
            (_manual_backward('d["b1"] = d["hprebn"].sum(0)', 'd["b1"] = -d["hprebn"].sum(0)'),
             "only because the true gradient of b1 is zero", ["agree"]),
            (_manual_backward('d["logit_maxes"] = (-d["norm_logits"])',
                              'd["logit_maxes"] = (d["norm_logits"])'),
             "only because the true gradient of logit_maxes is zero", ["agree"]),
            (_manual_backward('d["logits"] = d["norm_logits"] + F.one_hot', 'd["logits"] = '
                              'd["norm_logits"] + 0 * F.one_hot'),
             "path 2, through the max, is missing", ["agree"]),
            # a learner-tester's: one_hot with num_classes=n, an error inside the function
            (_manual_backward('F.one_hot(t["logits"].max(1).indices, vocab)',
                              'F.one_hot(t["logits"].max(1).indices, num_classes=n)'),
             "27 is vocab_size and 32 is n, the batch size", []),
            # a learner-tester's: the global float32 W2 (a raw RuntimeError in the float64 run)
            (_manual_backward('d["h"] = d["logits"] @ params["W2"].T',
                              'd["h"] = d["logits"] @ W2.T'),
             "reads a float32 tensor from the notebook's globals", ["RuntimeError"]),
            # a float32 global that type promotion lets through: float32 rounding in float64
            (_manual_backward('d["bngain"] = (t["bnraw"] * d["hpreact"])',
                              'd["bngain"] = (bnraw * d["hpreact"])'),
             "read a float32 tensor from the notebook's globals", []),
        ],
    },
    "dhpreact_relu": {
        "alternatives": ["dhpreact_relu = torch.where(hpreact > 0, dh, torch.zeros_like(dh))\n"],
        "mistakes": [
            ("dhpreact_relu = (hpreact > 0).float()\n", "only relu's local derivative", []),
            ("dhpreact_relu = (hpreact < 0).float() * dh\n", "open on the wrong side", []),
            # a learner-tester's: relu applied to the incoming gradient (only located before)
            ("dhpreact_relu = torch.relu(dh)\n", "relu is applied to the incoming gradient",
             ["the values differ"]),
        ],
    },
    "dgain": {
        "alternatives": ["dgain = torch.einsum('ij,ij->', bnraw, dhpreact)\n"],
        "mistakes": [("dgain = (bnraw * dhpreact).sum(0)\n", "gives ()", [])],
    },
    "dbngain_numerical": {
        "alternatives": [
            "dbngain_numerical = numerical_grad(\n"
            "    lambda g: forward({**params64, 'bngain': g}, Xb, Yb)['loss'].item(),\n"
            "    params64['bngain'])\n",
        ],
        "mistakes": [
            ("def loss_of_gain(gain):\n    with torch.no_grad():\n"
             "        return forward({**parameters, 'bngain': gain.float()}, Xb, Yb)['loss']\n\n\n"
             "dbngain_numerical = numerical_grad(loss_of_gain, parameters['bngain'])\n",
             "is your loss the float64 one", []),
            # a learner-tester's: a step far too large (it was asked about the float64 loss)
            ("def loss_of_bngain(g):\n    with torch.no_grad():\n"
             "        return forward({**params64, 'bngain': g}, Xb, Yb)['loss']\n\n\n"
             "dbngain_numerical = numerical_grad(loss_of_bngain, params64['bngain'].detach(),\n"
             "                                   h=1.0)\n",
             "grows like h²", ["float64 one"]),
        ],
    },
}
