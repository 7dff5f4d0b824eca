"""Answers for the edition of lecture 08 (format: tests/edition_answers/__init__.py).

The last alternative of ``forward_backward`` trains the whole 200,000-step run, so it is a
float32 answer written differently from the lecture's that still ends in the asserted ranges.
"""

STEP = '''def forward_backward(params, Xb, Yb):
    """The batch's loss and every parameter's gradient, computed without autograd."""
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
    db1 = dpre.sum(0)
    dC = torch.zeros_like(C)
    dC.index_add_(0, Xb.flatten(), (dpre @ W1.T).reshape(-1, C.shape[1]))
    return float(loss), [dC, x.T @ dpre, db1, h.T @ g, g.sum(0), dgain, dbias]
'''

STEP_FUNCTIONAL = '''def forward_backward(params, Xb, Yb):
    C, W1, b1, W2, b2, bngain, bnbias = params.values()
    n = len(Xb)
    embcat = C[Xb].reshape(n, -1)
    hprebn = embcat @ W1 + b1
    mu = hprebn.mean(0, keepdim=True)
    var = ((hprebn - mu) ** 2).sum(0, keepdim=True) / (n - 1)
    istd = 1.0 / torch.sqrt(var + 1e-5)
    xhat = (hprebn - mu) * istd
    h = torch.tanh(bngain * xhat + bnbias)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Yb)
    dlogits = (F.softmax(logits, 1) - F.one_hot(Yb, 27)) / n
    dpre = (1 - h**2) * (dlogits @ W2.T)
    dxhat = dpre * bngain
    dhprebn = istd / n * (n * dxhat - dxhat.sum(0) - n / (n - 1) * xhat * (dxhat * xhat).sum(0))
    demb = (dhprebn @ W1.T).view(-1, C.shape[1])
    dC = F.one_hot(Xb.view(-1), C.shape[0]).float().T @ demb
    return loss, [dC, embcat.T @ dhprebn, dhprebn.sum(0), h.T @ dlogits, dlogits.sum(0),
                  (xhat * dpre).sum(0, keepdim=True), dpre.sum(0, keepdim=True)]
'''


def step_with(old, new):
    assert STEP_FUNCTIONAL.count(old) == 1, old
    return STEP_FUNCTIONAL.replace(old, new)


ANSWERS = {
    "forward_backward": {
        "alternatives": [STEP_FUNCTIONAL, STEP],
        "mistakes": [
            (step_with("- n / (n - 1) * xhat", "- xhat"), "n/(n-1)", ["lacks bngain"]),
            (step_with("dpre = (1 - h**2) * (dlogits @ W2.T)",
                       "dpre = (1 - (bngain * xhat + bnbias)**2) * (dlogits @ W2.T)"),
             "derivative is taken at its input", []),
            (step_with("    dC = F.one_hot(Xb.view(-1), C.shape[0]).float().T @ demb\n",
                       "    dC = torch.zeros_like(C)\n    dC[Xb.view(-1)] += demb\n"),
             "only once", []),
            (step_with("    return loss, [", "    for p, grad in zip(params.values(), [\n"
                       "            dC, embcat.T @ dhprebn, dhprebn.sum(0), h.T @ dlogits,\n"
                       "            dlogits.sum(0), (xhat * dpre).sum(0, keepdim=True),\n"
                       "            dpre.sum(0, keepdim=True)]):\n"
                       "        p -= 0.1 * grad\n    return loss, ["),
             "changed C, W1, b1, W2, b2, bngain, bnbias in place", []),
        ],
    },
    "W1_folded": {
        "alternatives": [
            '''std = torch.sqrt(bn_var + ninja.BN_EPS)
W1_folded = params["W1"] * (params["bngain"] / std)
b1_folded = (params["bngain"] * (params["b1"] - bn_mean) / std + params["bnbias"]).squeeze(0)
''',
        ],
        "mistakes": [
            ('''scale = params["bngain"] / torch.sqrt(bn_var + ninja.BN_EPS)
W1_folded = params["W1"] * scale
b1_folded = params["b1"] * scale + params["bnbias"]
''', "W1_folded is right, b1_folded is not", []),
            ('''W1_folded = params["W1"] * params["bngain"]
b1_folded = (params["b1"] - bn_mean) * params["bngain"] + params["bnbias"]
''', "lacks the division by sqrt(bn_var + eps)", []),
            # eps left out: within rounding on this run's bn_var, so the cell runs again
            ('''s = params["bngain"] / bn_var.sqrt()
W1_folded = params["W1"] * s
b1_folded = (params["b1"] - bn_mean) * s + params["bnbias"]
''', "the scale lacks eps", []),
            ('''s = params["bngain"] * (bn_var + ninja.BN_EPS).rsqrt()
W1_folded = params["W1"] * s
b1_folded = params["b1"] - bn_mean + params["bnbias"]
''', "(b1 - bn_mean) is not multiplied by the scale", []),
        ],
    },
    "b1_change": {
        "alternatives": [
            '''fresh = ninja.init_params(n_embd=n_embd, n_hidden=n_hidden, seed=2147483647)
b1_change = torch.max(torch.abs(params["b1"] - fresh["b1"])).item()
W1_change = float((params["W1"] - fresh["W1"]).abs().max())
''',
            # one-element tensors count as numbers
            '''fresh = ninja.init_params(n_embd=n_embd, n_hidden=n_hidden, seed=2147483647)
b1_change = (params["b1"] - fresh["b1"]).abs().max()
W1_change = (params["W1"] - fresh["W1"]).abs().max()
''',
        ],
        "mistakes": [
            ('''fresh = ninja.init_params(n_embd=n_embd, n_hidden=n_hidden, seed=2147483647)
b1_change = (params["b1"] - fresh["b1"]).abs().mean().item()
W1_change = (params["W1"] - fresh["W1"]).abs().mean().item()
''', "mean absolute change", []),
            ('''initial = {name: p.clone() for name, p in params.items()}
b1_change = (params["b1"] - initial["b1"]).abs().max().item()
W1_change = (params["W1"] - initial["W1"]).abs().max().item()
''', "draw fresh ones", []),
            # abs forgotten: right on this run by luck, so the cell runs again, changes negated
            ('''fresh = ninja.init_params(n_embd=n_embd, n_hidden=n_hidden, seed=2147483647)
b1_change = (params["b1"] - fresh["b1"]).max().item()
W1_change = (params["W1"] - fresh["W1"]).max().item()
''', "largest signed change", []),
        ],
    },
    "tv_distance": {
        "alternatives": [
            '''probs = logits_of(params, torch.zeros(1, 3, dtype=torch.long), bn_stats).softmax(1)
firsts = Ytr[(Xtr == 0).all(dim=1)]
counts = torch.bincount(firsts, minlength=27)
tv_distance = float((probs[0] - counts / counts.sum()).abs().sum() / 2)
''',
        ],
        "mistakes": [
            ('''probs = logits_of(params, torch.zeros(1, 3, dtype=torch.long), bn_stats).softmax(1)
firsts = Ytr[(Xtr == 0).all(dim=1)]
counts = torch.bincount(firsts, minlength=27)
tv_distance = float((probs[0] - counts / counts.sum()).abs().sum())
''', "the distance is half of it", []),
            ('''probs = logits_of(params, torch.zeros(1, 3, dtype=torch.long), bn_stats).softmax(1)
counts = torch.bincount(Ytr, minlength=27)
tv_distance = float((probs[0] - counts / counts.sum()).abs().sum() / 2)
''', "counts every target in Ytr", []),
            ('''probs = logits_of(params, torch.zeros(1, 3, dtype=torch.long), bn_stats).softmax(0)
firsts = Ytr[(Xtr == 0).all(dim=1)]
counts = torch.bincount(firsts, minlength=27)
tv_distance = float((probs[0] - counts / counts.sum()).abs().sum() / 2)
''', "over dimension 0", []),
        ],
    },
}
