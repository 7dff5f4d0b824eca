"""Exercises 1-3 (lectures 06 and 07): realistic answers, right and wrong, through the
lectures' own check cells.

Each lecture runs once, cell by cell, as a learner's kernel would (set-up and plotting
cells left out); at every solution cell the state is kept. An answer replaces one solution
cell, runs in a copy of the state before it, and then the lecture's check cell runs, with an
input history ``In`` as IPython keeps it (the answer, then the check), so that the checks
that re-run the learner's cell on other numbers (``helpers.checks.compare.probe``) can find it.
A right answer (written differently from the lecture) must pass. A wrong one must stop the
check with an AssertionError whose text (with what the check printed) contains what the
learner needs, and none of the misleading texts listed for it.

The figures (refused, correctly diagnosed, misleading, accepted):

    .venv/bin/python tests/test_feedback_corpus.py
"""

import contextlib
import io
import re
import sys
import types
from pathlib import Path

import matplotlib
import matplotlib.pyplot
import nbformat
import pytest
import torch

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
LECTURES = {"06": ROOT / "lectures" / "06_manual_backprop.ipynb",
            "07": ROOT / "lectures" / "07_analytic_backward.ipynb"}
PLUS_EQ = "+="
Z = "z = acts['logits'].detach()\n"
BN = "g = acts['hpreact'].grad\nxh, s = acts['bnraw'].detach(), acts['bnvar_inv'].detach()\n"
GAIN = "gain = params['bngain'].detach()\n"          # the old catch-all hint
NOT_KEEPDIM = "keepdim=True would give"
ROWS = ("x0 = x_ln.detach()\nd = x0.shape[1]\n"     # exercise D: LayerNorm's statistics per row
        "s = (x0.var(1, keepdim=True, unbiased=False) + 1e-5) ** -0.5\n"
        "xhat = (x0 - x0.mean(1, keepdim=True)) * s\ngd = gamma_ln * dy_ln\n")
ZERO = "only because the true gradient of"       # the probe's message

# ---- exercise 1 (lecture 06): (step, answer, texts that must appear, texts that must not) ---
# A step is the first name the lecture's solution cell assigns, e.g. "dcounts_sum".
WRONG = [
    ("06", "dlogprobs", "dlogprobs = torch.zeros_like(logprobs)\ndlogprobs[range(n), Yb] = -1.0",
     ["constant factor 32", "n = 32"], [PLUS_EQ]),
    ("06", "dlogprobs", "dlogprobs = torch.zeros_like(logprobs)\ndlogprobs[range(n), Yb] = 1.0 / n",
     ["sign is wrong"], [PLUS_EQ]),
    ("06", "dlogprobs", "dlogprobs = -1.0 / n * torch.ones_like(logprobs)",
     ["the values differ", "entries differ"], [PLUS_EQ, "factor", "sign"]),
    ("06", "dprobs", "dprobs = probs * dlogprobs",
     ["the right gradient times probs**2"], [PLUS_EQ]),
    ("06", "dcounts_sum_inv", "dcounts_sum_inv = (counts * dprobs).sum(1)",
     ["keepdim=True would give (32, 1)"], ["drop keepdim"]),
    ("06", "dcounts_sum_inv", "dcounts_sum_inv = (counts * dprobs).sum(0, keepdim=True)",
     ["a sum over dimension 0", "needs the sum over dimension 1"], [NOT_KEEPDIM]),
    ("06", "dcounts_sum_inv", "dcounts_sum_inv = counts * dprobs",
     [".sum(1, keepdim=True) gives (32, 1)"], [NOT_KEEPDIM]),
    ("06", "dcounts_sum", "dcounts_sum = counts_sum**-2 * dcounts_sum_inv",
     ["sign is wrong"], [PLUS_EQ]),
    ("06", "dcounts_sum", "dcounts_sum = -counts_sum**-1 * dcounts_sum_inv",
     ["the right gradient times counts_sum"], [PLUS_EQ, "used 2 times"]),
    ("06", "dcounts", "dcounts = counts_sum_inv * dprobs",
     ["the path through counts_sum is missing", "+="], []),
    ("06", "dcounts", "dcounts = counts_sum_inv * dprobs\n"
                      "dcounts = dcounts_sum * torch.ones_like(counts)",
     ["the path through probs is missing", "+="], []),
    ("06", "dnorm_logits", "dnorm_logits = norm_logits * dcounts",
     ["exp's derivative is exp(x), the output"], [PLUS_EQ]),
    ("06", "dh", "dh = W2 @ dlogits.T\ndW2 = h.T @ dlogits\ndb2 = dlogits.sum(0)",
     ["(64, 32) does not match (32, 64)", "transposed"], [NOT_KEEPDIM]),
    ("06", "dh", "dh = dlogits @ W2.T\ndW2 = dlogits.T @ h\ndb2 = dlogits.sum(0)",
     ["(27, 64) does not match (64, 27)", "transposed"], [NOT_KEEPDIM]),
    ("06", "dh", "dh = dlogits @ W2.T\ndW2 = h.T @ dlogits\ndb2 = dlogits.sum(0, keepdim=True)",
     ["drop keepdim", "b2 has shape (27,)"], [NOT_KEEPDIM]),
    ("06", "dh", "dh = dlogits @ W2.T\ndW2 = h.T @ dlogits\ndb2 = dlogits.sum(1)",
     ["needs the sum over dimension 0"], [NOT_KEEPDIM]),
    ("06", "dh", "dh = dlogits @ W2.T\ndW2 = h.T @ dlogits\ndb2 = dlogits.sum()",
     ["summed over every dimension"], [NOT_KEEPDIM]),
    ("06", "dh", "dh = dlogits @ W2.T\ndW2 = h.T @ dlogits\ndb2 = dlogits",
     [".sum(0) gives (27,)"], [NOT_KEEPDIM]),
    ("06", "dhpreact", "dhpreact = (1.0 - hpreact**2) * dh",
     ["tanh's derivative is taken at its input"], [PLUS_EQ]),
    ("06", "dhpreact", "dhpreact = (1.0 - h) ** 2 * dh",
     ["the values differ"], [PLUS_EQ, "factor"]),
    ("06", "dhpreact", "dhpreact = (1.0 - torch.tanh(h) ** 2) * dh",
     ["tanh is applied to h once more"], [PLUS_EQ, "factor"]),
    # the brackets of (1 - h**2) * dh left out (a learner-tester's: only located before)
    ("06", "dhpreact", "dhpreact = 1.0 - h**2 * dh",
     ["the brackets are missing"], [PLUS_EQ, "factor"]),
    ("06", "dhpreact", "dhpreact = dh * (1.0 - torch.tanh(h)**2)",
     ["tanh is applied to h once more"], [PLUS_EQ, "factor"]),
    ("06", "dbngain", "dbngain = (bnraw * dhpreact).sum(0)\ndbnraw = bngain * dhpreact\n"
                      "dbnbias = dhpreact.sum(0, keepdim=True)",
     ["keepdim=True would give (1, 64)"], ["drop keepdim"]),
    ("06", "dbngain", "dbngain = (bnraw * dhpreact).sum(0, keepdim=True)\ndbnraw = dhpreact\n"
                      "dbnbias = dhpreact.sum(0, keepdim=True)",
     ["each column of yours is the right one times its own factor", "(1, 64)"], [PLUS_EQ]),
    ("06", "dhpreact", "dhpreact = (1.0 - h**2) * dh * bngain",
     ["each column of yours is the right one times its own factor"], [PLUS_EQ, "tanh"]),
    ("06", "dbngain", "dbngain = (bnraw * dhpreact).mean(0, keepdim=True)\n"
                      "dbnraw = bngain * dhpreact\ndbnbias = dhpreact.sum(0, keepdim=True)",
     ["1/n = 1/32", "divided by n once too often"], [PLUS_EQ]),
    ("06", "dbndiff2", "dbndiff2 = torch.ones_like(bndiff2) * dbnvar",
     ["31 = n-1", "division by n-1 missing"], [PLUS_EQ]),
    ("06", "dcounts_sum_inv", "dcounts_sum_inv = (counts_sum_inv * dprobs).sum(1, keepdim=True)",
     ["uses counts_sum_inv itself where counts belongs"], [PLUS_EQ, "column 0 of 1"]),
    ("06", "dbngain", "dbngain = (bnraw * dhpreact).sum(0, keepdim=True)\n"
                      "dbnraw = bngain * dhpreact\ndbnbias = dhpreact.sum(1, keepdim=True)",
     ["a sum over dimension 1", "needs the sum over dimension 0"], [NOT_KEEPDIM]),
    ("06", "dbnvar_inv", "dbnvar_inv = (bndiff * dbnraw).sum(0)",
     ["keepdim=True would give (1, 64)"], []),
    ("06", "dbnvar", "dbnvar = -0.5 * bnvar ** -1.5 * dbnvar_inv",
     ["the values differ"], [PLUS_EQ, "factor"]),
    ("06", "dbnvar", "dbnvar = 0.5 * (bnvar + 1e-5) ** -1.5 * dbnvar_inv",
     ["sign is wrong"], [PLUS_EQ]),
    ("06", "dbnvar", "dbnvar = -0.5 * (bnvar + 1e-5) ** -0.5 * dbnvar_inv",
     ["the exponent not lowered"], [PLUS_EQ]),
    ("06", "dbndiff2", "dbndiff2 = 1 / n * torch.ones_like(bndiff2) * dbnvar",
     ["(n-1)/n = 31/32", "n versus n-1"], [PLUS_EQ]),
    ("06", "dbndiff2", "dbndiff2 = 1 / (n - 1) * dbnvar",
     ["spread yours over (32, 64)"], [NOT_KEEPDIM, "drop keepdim"]),
    ("06", "dbndiff", "dbndiff = bnvar_inv * dbnraw",
     ["the path through bndiff2 is missing", "+="], []),
    ("06", "dbndiff", "dbndiff = bnvar_inv * dbnraw + bndiff * dbndiff2",
     ["the path through bndiff2 is half"], []),
    ("06", "dbnmeani", "dbnmeani = dbndiff.sum(0, keepdim=True)\n"
                       "dhprebn = dbndiff + 1.0 / n * dbnmeani",
     ["bnmeani", "sign is wrong"], []),
    ("06", "dbnmeani", "dbnmeani = (-dbndiff).sum(0, keepdim=True)\ndhprebn = dbndiff.clone()",
     ["the path through bnmeani", "is missing", "+="], []),
    ("06", "dbnmeani", "dbnmeani = (-dbndiff).sum(0, keepdim=True)\ndhprebn = dbndiff + dbnmeani",
     ["the path through bnmeani", "an extra factor n = 32"], []),
    ("06", "dembcat", "dembcat = (W1 @ dhprebn.T).T\ndW1 = dhprebn.T @ embcat\n"
                      "db1 = dhprebn.sum(0)",
     ["(64, 30) does not match (30, 64)", "transposed"], []),
    ("06", "dembcat", "dembcat = dhprebn @ W1.T\ndW1 = embcat.T @ dhprebn\n"
                      "db1 = dhprebn.sum(0) + 1e-6",
     ["b1", "the values differ"], [PLUS_EQ, "factor"]),
    # right by value on every batch (the true gradient is 0), wrong on other numbers: the probe
    ("06", "dembcat", "dembcat = dhprebn @ W1.T\ndW1 = embcat.T @ dhprebn\n"
                      "db1 = 2 * dhprebn.sum(0)",
     [ZERO, "constant factor 2", "the sum of dhprebn over dimension 0"], [PLUS_EQ]),
    ("06", "dembcat", "dembcat = dhprebn @ W1.T\ndW1 = embcat.T @ dhprebn\ndb1 = dhprebn.mean(0)",
     [ZERO, "1/n = 1/32"], [PLUS_EQ]),
    ("06", "dlogit_maxes", "dlogit_maxes = dnorm_logits.sum(1, keepdim=True)",
     [ZERO, "sign is wrong", "minus the sum of dnorm_logits over dimension 1"], [PLUS_EQ]),
    ("06", "dlogit_maxes", "dlogit_maxes = -dnorm_logits.mean(1, keepdim=True)",
     [ZERO, "constant factor"], [PLUS_EQ, "n = 32"]),
    ("06", "dembcat", "dembcat = dhprebn @ W1.T\ndW1 = embcat.T @ dhprebn\ndb1 = dhprebn.sum(1)",
     ["needs the sum over dimension 0"], [NOT_KEEPDIM]),
    ("06", "dembcat", "dembcat = dhprebn @ W1.T\ndW1 = embcat.T @ dhprebn\n"
                      "db1 = dhprebn.sum(0, keepdim=True)",
     ["drop keepdim", "b1 has shape (64,)"], [NOT_KEEPDIM]),
    ("06", "demb", "demb = dembcat.view(32, 10, 3)",
     ["view it", "(32, 3, 10)"], ["transpose"]),
    ("06", "dC", "dC = torch.zeros_like(C)\ndC[Xb] += demb",
     ["more than once", "index_add_"], ["used 2 times"]),
    ("06", "dC", "dC = torch.zeros_like(C)\ndC[Xb] = demb",
     ["more than once", "index_add_"], []),
    ("06", "dC", "dC = torch.zeros_like(C)\nfor i in range(Xb.shape[0]):\n"
                 "    for k in range(Xb.shape[1]):\n        dC[Xb[i, k]] = demb[i, k]",
     ["more than once", "index_add_"], []),
    # the lookup's slips, derived from its indices (learner-testers': only located before)
    ("06", "dC", "dC = torch.zeros_like(C)\nfor i in range(Xb.shape[0]):\n"
                 "    for k in range(Xb.shape[1] - 1):\n        dC[Xb[i, k]] += demb[i, k]",
     ["the rows looked up at context position 2 are missing"], ["the values differ"]),
    ("06", "dC", "dC = torch.zeros_like(C)\nfor i in range(Xb.shape[0]):\n"
                 "    for k in range(1, Xb.shape[1]):\n        dC[Xb[i, k]] += demb[i, k]",
     ["the rows looked up at context position 0 are missing"], ["the values differ"]),
    ("06", "flat_idx", "dC_index_add = torch.zeros_like(C).index_add_(0, Xb.t().flatten(), "
                       "demb.reshape(-1, n_embd))\n"
                       "dC_onehot = F.one_hot(Xb.view(-1), 27).float().T @ demb.view(-1, n_embd)",
     ["paired in different orders"], ["the values differ"]),
    ("06", "flat_idx", "dC_index_add = torch.zeros_like(C).index_add_(0, Xb.view(-1), "
                       "demb.view(-1, n_embd))\n"
                       "dC_onehot = F.one_hot(Xb.view(-1), 27).float().T @ emb.view(-1, n_embd)",
     ["emb, the looked-up values of the forward pass, where demb"], ["the values differ"]),
    ("06", "demb", "demb = dembcat.view(n, n_embd, block_size).transpose(1, 2)",
     ["the right numbers in the wrong places"], ["the values differ"]),
    ("06", "dgain", "dgain = (bnraw * dhpreact).mean()",
     ["a mean where the sum belongs", "all 2048 entries"], []),
    ("06", "argmax_onehot",
     "argmax_onehot = F.one_hot(logits.max(1).values.long(), num_classes=vocab_size)\n"
     "dlogits = dnorm_logits + argmax_onehot * dlogit_maxes",
     ["the row maxima's values", ".indices"], []),
    # ---- exercise 2 (lecture 07): dlogits ----
    ("07", "logits", Z + "dlogits = (F.softmax(z, 0) - F.one_hot(Yb, 27)) / n",
     ["dimension 0", "dim=1"], [PLUS_EQ]),
    ("07", "logits", Z + "dlogits = F.softmax(z, 1) / n",
     ["lacks the one-hot of the targets"], [PLUS_EQ]),
    ("07", "logits", Z + "dlogits = F.softmax(z, 1) - F.one_hot(Yb, 27)",
     ["dlogits is not divided by n"], [PLUS_EQ]),
    ("07", "logits", Z + "dlogits = (F.one_hot(Yb, 27) - F.softmax(z, 1)) / n",
     ["sign is wrong"], [PLUS_EQ]),
    ("07", "logits", Z + "dlogits = (F.softmax(z, 1) + F.one_hot(Yb, 27)) / n",
     ["added instead of subtracted"], [PLUS_EQ]),
    ("07", "logits", Z + "dlogits = (F.log_softmax(z, 1) - F.one_hot(Yb, 27)) / n",
     ["log-probabilities instead of probabilities"], [PLUS_EQ]),
    ("07", "logits", Z + "dlogits = F.softmax(z, 1)\ndlogits[:, Yb] -= 1\n"
                     "dlogits /= n",
     ["every entry of the target's column"], [PLUS_EQ]),
    ("07", "logits", Z + "dlogits = (F.softmax(z, 1) - F.one_hot(Yb, 27)) / n / n",
     ["off by a constant factor", "1/n = 1/32"], [PLUS_EQ]),
    # ---- exercise 3 (lecture 07): dhprebn ----
    ("07", "dhpreact", BN +
                       "dhprebn = s / n * (n * g - g.sum(0) - n / (n - 1) * xh * (g * xh).sum(0))",
     ["lacks bngain"], [PLUS_EQ]),
    ("07", "dhpreact", BN + GAIN +
                       "dhprebn = gain * s / n * (n * g - g.sum(0) - xh * (g * xh).sum(0))",
     ["n/(n-1)", "Bessel"], [PLUS_EQ]),
    ("07", "dhpreact", BN + GAIN +
                       "dhprebn = gain * s / n * (n * g - g.sum(0)"
                       " - (n - 1) / n * xh * (g * xh).sum(0))",
     ["(n-1)/n instead of n/(n-1)"], [PLUS_EQ]),
    ("07", "dhpreact", BN + GAIN +
                       "dhprebn = gain * s / n * (n * g - n / (n - 1) * xh * (g * xh).sum(0))",
     ["the mean term is missing"], [PLUS_EQ]),
    ("07", "dhpreact", "g = acts['hpreact'].grad\ns = acts['bnvar_inv'].detach()\n"
                       "dhprebn = params['bngain'].detach() * s / n * (n * g - g.sum(0))",
     ["the variance term is missing"], [PLUS_EQ]),
    ("07", "dhpreact", BN + GAIN +
                       "dhprebn = gain / n * (n * g - g.sum(0)"
                       " - n / (n - 1) * xh * (g * xh).sum(0))",
     ["bnvar_inv is missing"], [PLUS_EQ]),
    ("07", "dhpreact", BN + GAIN +
                       "dhprebn = gain * s / n * (n * g - g.sum(1, keepdim=True)"
                       " - n / (n - 1) * xh * (g * xh).sum(0))",
     ["the mean term's sum runs over dimension 1"], [PLUS_EQ, "factor"]),
    ("07", "dhpreact", "g = acts['hpreact'].grad\ns = acts['bnvar_inv'].detach()\n"
                       "x = acts['hprebn'].detach()\ngain = params['bngain'].detach()\n"
                       "dhprebn = gain * s / n * (n * g - g.sum(0)"
                       " - n / (n - 1) * x * (g * x).sum(0))",
     ["the variance term takes hprebn, the input, where bnraw belongs"], [PLUS_EQ]),
    ("07", "dhpreact", BN + GAIN +
                       "dhprebn = gain * s / n * (n * g - g.sum(0)"
                       " - n / (n - 1) * xh * (g * xh).sum())",
     ["the values differ"], [PLUS_EQ]),
    # term by term: one term's sign, Bessel's factor on the wrong term, .mean for .sum
    ("07", "dhpreact", BN + GAIN +
                       "dhprebn = gain * s / n * (n * g + g.sum(0)"
                       " - n / (n - 1) * xh * (g * xh).sum(0))",
     ["the mean term (dhpreact.sum(0)) has the wrong sign"], [PLUS_EQ, "Bessel"]),
    ("07", "dhpreact", BN + GAIN +
                       "dhprebn = gain * s / n * (n * g - g.sum(0)"
                       " + n / (n - 1) * xh * (g * xh).sum(0))",
     ["the variance term (bnraw * (dhpreact * bnraw).sum(0)) has the wrong sign"], [PLUS_EQ]),
    ("07", "dhpreact", BN + GAIN +
                       "dhprebn = gain * s / n * (n * g - n / (n - 1) * g.sum(0)"
                       " - xh * (g * xh).sum(0))",
     ["n/(n-1) sits on the mean term"], [PLUS_EQ]),
    ("07", "dhpreact", BN + GAIN +
                       "dhprebn = gain * s / n * (n * g - g.mean(0, keepdim=True)"
                       " - n / (n - 1) * xh * (g * xh).sum(0, keepdim=True))",
     ["is 1/n = 1/32 of what it should be", "a .mean where the .sum belongs"], [PLUS_EQ]),
    ("07", "dhpreact", BN + GAIN +
                       "dhprebn = gain * s / n * (n * g - g.sum(0)"
                       " - n / (n - 1) * (g * xh).sum(0))",
     ["bnraw is missing in front of the variance term's sum"], [PLUS_EQ]),
    # ---- exercise D (lecture 07): LayerNorm's backward, statistics per row ----
    ("07", "x0", ROWS + "dx_ln = s / d * (d * gd - gd.sum(0, keepdim=True)"
                        " - xhat * (gd * xhat).sum(0, keepdim=True))",
     ["the sums run over dimension 0", "dim=1"], [PLUS_EQ, "Bessel"]),
    ("07", "x0", ROWS + "dx_ln = gamma_ln * s / d * (d * dy_ln - dy_ln.sum(1, keepdim=True)"
                        " - xhat * (dy_ln * xhat).sum(1, keepdim=True))",
     ["gamma_ln stands outside the sums"], [PLUS_EQ, "Bessel"]),
    ("07", "x0", ROWS + "dx_ln = s / d * (d * gd - gd.sum(1, keepdim=True)"
                        " - d / (d - 1) * xhat * (gd * xhat).sum(1, keepdim=True))",
     ["d/(d-1)", "does not belong here"], [PLUS_EQ]),
    ("07", "x0", ROWS + "dx_ln = s / d * (d * gd - xhat * (gd * xhat).sum(1, keepdim=True))",
     ["the mean term is missing"], [PLUS_EQ, "Bessel"]),
    ("07", "x0", "x0 = x_ln.detach()\nd = x0.shape[1]\n"
                 "s = (x0.var(1, keepdim=True) + 1e-5) ** -0.5\n"
                 "xhat = (x0 - x0.mean(1, keepdim=True)) * s\ngd = gamma_ln * dy_ln\n"
                 "dx_ln = s / d * (d * gd - gd.sum(1, keepdim=True)"
                 " - xhat * (gd * xhat).sum(1, keepdim=True))",
     ["torch's .var()", "unbiased=False"], [PLUS_EQ]),
    ("07", "x0", "x0 = x_ln.detach()\nm = x0.shape[0]\n"
                 "s = (x0.var(0, unbiased=False) + 1e-5) ** -0.5\nxhat = (x0 - x0.mean(0)) * s\n"
                 "dx_ln = gamma_ln * s / m * (m * dy_ln - dy_ln.sum(0)"
                 " - xhat * (dy_ln * xhat).sum(0))",
     ["this is BatchNorm's backward", "dimension 1"], [PLUS_EQ]),
    ("07", "x0", "x0 = x_ln.detach()\nd = x0.shape[0]\nmu = x0.mean(1, keepdim=True)\n"
                 "s = (((x0 - mu) ** 2).sum(1, keepdim=True) / d + 1e-5) ** -0.5\n"
                 "xhat = (x0 - mu) * s\ngd = gamma_ln * dy_ln\n"
                 "dx_ln = s / d * (d * gd - gd.sum(1, keepdim=True)"
                 " - xhat * (gd * xhat).sum(1, keepdim=True))",
     ["d is taken from the wrong dimension", "x_ln.shape[1] = 16"], [PLUS_EQ]),
    ("07", "x0", ROWS + "dx_ln = s / d * (d * gd - gd.sum(1, keepdim=True)"
                        " - xhat * (dy_ln * xhat).sum(1, keepdim=True))",
     ["the variance term's sum takes dy_ln without gamma_ln"], [PLUS_EQ]),
]

RIGHT = [
    ("06", "dlogprobs", "dlogprobs = -F.one_hot(Yb, vocab_size).float() / n"),
    ("06", "dprobs", "dprobs = dlogprobs / probs"),
    ("06", "dcounts_sum_inv", "dcounts_sum_inv = torch.sum(dprobs * counts, dim=1, keepdim=True)"),
    ("06", "dcounts_sum", "dcounts_sum = -dcounts_sum_inv / counts_sum**2"),
    ("06", "dcounts_sum", "dcounts_sum = -counts_sum_inv**2 * dcounts_sum_inv"),
    ("06", "dcounts", "dcounts = dprobs / counts_sum + dcounts_sum"),
    ("06", "dnorm_logits", "dnorm_logits = norm_logits.exp() * dcounts"),
    ("06", "dlogit_maxes", "dlogit_maxes = -dnorm_logits.sum(1, keepdim=True)"),
    ("06", "dlogit_maxes", "dlogit_maxes = -(dnorm_logits @ torch.ones(vocab_size, 1))"),
    ("06", "dlogit_maxes", "dlogit_maxes = torch.zeros(n, 1)   # the true gradient: 0"),
    ("06", "argmax_onehot",   # the task names argmax_onehot: its check reads it
     "argmax_onehot = F.one_hot(logits.argmax(1), 27)\n"
     "dlogits = dnorm_logits + argmax_onehot * dlogit_maxes"),
    ("06", "dh", "dh = torch.matmul(dlogits, W2.t())\ndW2 = torch.einsum('bi,bj->ij', h, dlogits)\n"
                 "db2 = dlogits.sum(dim=0)"),
    ("06", "dhpreact", "dhpreact = (1 - torch.tanh(hpreact) ** 2) * dh"),
    ("06", "dbngain", "dbngain = (bnraw * dhpreact).sum(0, keepdims=True)\n"
                      "dbnraw = dhpreact * bngain\ndbnbias = dhpreact.sum(0).unsqueeze(0)"),
    ("06", "dbnvar", "dbnvar = -0.5 * bnvar_inv**3 * dbnvar_inv"),
    ("06", "dbndiff2", "dbndiff2 = dbnvar.expand_as(bndiff2) / (n - 1)"),
    ("06", "dbnmeani",
     "dbnmeani = -dbndiff.sum(0, keepdim=True)\ndhprebn = dbndiff + dbnmeani / n"),
    ("06", "dembcat", "dembcat = dhprebn @ W1.T\ndW1 = embcat.T @ dhprebn\n"
                      "db1 = torch.ones(n) @ dhprebn"),
    ("06", "dembcat", "dembcat = dhprebn @ W1.T\ndW1 = embcat.T @ dhprebn\n"
                      "db1 = torch.zeros_like(b1)\ndb1.add_(dhprebn.sum(0))\nprint(db1.shape)"),
    ("06", "demb", "demb = dembcat.reshape(n, block_size, n_embd)"),
    ("06", "dC", "dC = torch.zeros_like(C).index_add_(0, Xb.flatten(), demb.reshape(-1, n_embd))"),
    ("06", "dC", "dC = F.one_hot(Xb.view(-1), vocab_size).float().T @ demb.view(-1, n_embd)"),
    ("07", "logits", Z + "dlogits = (F.softmax(z, 1) - F.one_hot(Yb, 27)) / n"),
    ("07", "logits", Z + "z = z\nzc = (z - z.max(1, keepdim=True).values).exp()\n"
                     "dlogits = zc / zc.sum(1, keepdim=True)\n"
                     "dlogits[range(n), Yb] -= 1\ndlogits = dlogits / n"),
    ("07", "logits", "dlogits = (F.log_softmax(acts['logits'], 1).exp() - F.one_hot(Yb, 27)) / n"),
    ("07", "dhpreact", BN + GAIN +
                       "dhprebn = gain * s * (g - g.mean(0) - xh * (g * xh).sum(0) / (n - 1))"),
    ("07", "dhpreact", BN +
                       "dhprebn = params['bngain'].detach() * s / n * ("
                       "n * g - g.sum(0, keepdim=True)"
                       " - n / (n - 1) * xh * (g * xh).sum(0, keepdim=True))"),
    ("07", "dhpreact", BN + GAIN +   # float64, from the float32 activations
                       "dhprebn = (gain * s / n * (n * g - g.sum(0)"
                       " - n / (n - 1) * xh * (g * xh).sum(0))).double()"),
    ("07", "x0", ROWS + "dx_ln = s * (gd - gd.mean(1, keepdim=True)"
                        " - xhat * (gd * xhat).mean(1, keepdim=True))"),
    ("07", "x0", "x0 = x_ln.detach()\nmu = x0.mean(-1, keepdim=True)\n"
                 "var = ((x0 - mu) ** 2).mean(-1, keepdim=True)\n"
                 "xh = (x0 - mu) * torch.rsqrt(var + 1e-5)\n"
                 "g = dy_ln * gamma_ln\n"
                 "dx_ln = torch.rsqrt(var + 1e-5) * (g - g.mean(-1, keepdim=True)"
                 " - xh * (g * xh).mean(-1, keepdim=True))"),
]

def _first_name(source):
    match = re.search(r"^(\w+)\s*=", source, flags=re.M)
    return match.group(1) if match else None


def _load(path):
    """{step: (state before the solution cell, the check cell's source)} for one lecture."""
    cells = nbformat.read(path, as_version=4).cells
    steps, state = {}, {"__name__": "__lecture__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for i, cell in enumerate(cells):
            if cell.cell_type != "code" or cell.source.startswith("# Set-up"):
                continue
            if "plt." in cell.source:
                continue
            if "solution" in cell.metadata.get("tags", []) and cells[i + 1].cell_type == "code":
                step = _first_name(cell.source)
                if step and step not in steps:
                    steps[step] = (dict(state), cells[i + 1].source)
            exec(cell.source, state)
    return steps


@pytest.fixture(scope="module")
def lectures():
    return {key: _load(path) for key, path in LECTURES.items()}


def run(lectures, lecture, step, answer):
    """(what the check printed and raised, the AssertionError or None)."""
    state, check = lectures[lecture][step]
    namespace = {k: v.clone() if isinstance(v, torch.Tensor) and k.startswith("d") else v
                 for k, v in state.items()}
    for k, v in namespace.items():   # the lecture's functions see this namespace, as in a kernel
        if isinstance(v, types.FunctionType) and v.__module__ == "__lecture__":
            namespace[k] = types.FunctionType(v.__code__, namespace, v.__name__, v.__defaults__,
                                              v.__closure__)
            namespace[k].__kwdefaults__ = v.__kwdefaults__
    namespace["In"] = ["", answer, check]   # IPython's input history (store_history=True)
    out = io.StringIO()
    error = None
    with contextlib.redirect_stdout(out):
        exec(answer, namespace)
        try:
            exec(check, namespace)
        except AssertionError as e:
            error = e
    return out.getvalue() + (str(error) if error else ""), error


def _id(case):
    return f"{case[0]}-{case[1]}-{re.sub(r'[^A-Za-z0-9]+', '_', case[2])[-40:]}"


@pytest.mark.parametrize("case", WRONG, ids=[_id(c) for c in WRONG])
def test_a_wrong_answer_is_refused_and_named(lectures, case):
    lecture, step, answer, must, must_not = case
    text, error = run(lectures, lecture, step, answer)
    assert error is not None, f"accepted a wrong answer:\n{text}"
    for needed in must:
        assert needed in text, f"{needed!r} missing from:\n{text}"
    for misleading in must_not:
        assert misleading not in text, f"misleading {misleading!r} in:\n{text}"


@pytest.mark.parametrize("case", RIGHT, ids=[_id(c) for c in RIGHT])
def test_a_right_answer_written_differently_passes(lectures, case):
    lecture, step, answer = case
    text, error = run(lectures, lecture, step, answer)
    assert error is None, f"refused a right answer:\n{text}"


def test_the_lectures_own_answers_pass(lectures):
    for lecture, path in LECTURES.items():
        cells = nbformat.read(path, as_version=4).cells
        for cell in cells:
            step = _first_name(cell.source)
            if "solution" in cell.metadata.get("tags", []) and step in lectures[lecture]:
                assert run(lectures, lecture, step, cell.source)[1] is None, (lecture, step)


def test_the_corpus_is_big_enough():
    assert len(WRONG) >= 30 and len(RIGHT) >= 12


def figures(lectures):
    """{refused, correctly diagnosed, misleading, accepted} over the corpus."""
    counts = {"wrong": len(WRONG), "refused": 0, "correctly diagnosed": 0, "misleading": 0,
              "right": len(RIGHT), "accepted": 0}
    for lecture, step, answer, must, must_not in WRONG:
        text, error = run(lectures, lecture, step, answer)
        counts["refused"] += error is not None
        counts["correctly diagnosed"] += error is not None and all(m in text for m in must)
        counts["misleading"] += any(m in text for m in must_not)
    for lecture, step, answer in RIGHT:
        counts["accepted"] += run(lectures, lecture, step, answer)[1] is None
    return counts


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    result = figures({key: _load(path) for key, path in LECTURES.items()})
    print(", ".join(f"{k}: {v}" for k, v in result.items()))


@pytest.mark.parametrize("lecture, step, answer, later", [
    ("07", "logits", "dlogits = (F.log_softmax(acts['logits'], 1).exp() - F.one_hot(Yb, 27)) / n",
     ["plot_heatmap(dlogits * n", "row_sums = dlogits.sum(1)"]),
    ("06", "argmax_onehot", "argmax_onehot = F.one_hot(logits.max(1).indices, 27)\n"
                            "dlogits = dnorm_logits + argmax_onehot * dlogit_maxes + 0 * logits",
     ["plot_heatmap(dlogits, ax=ax_right"]),
])
def test_the_cells_after_an_answer_take_a_tensor_that_still_requires_grad(
        lectures, lecture, step, answer, later):
    state, check = lectures[lecture][step]
    namespace = dict(state)
    cells = nbformat.read(LECTURES[lecture], as_version=4).cells
    with contextlib.redirect_stdout(io.StringIO()):
        exec(answer, namespace)
        assert namespace["dlogits"].requires_grad
        exec(check, namespace)
        for start in later:
            exec(next(c.source for c in cells if start in c.source), namespace)
    matplotlib.pyplot.close("all")
