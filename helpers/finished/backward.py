"""The hand-written backward pass of lectures 06-08, finished: what the learner builds.

``manual_backward`` is the compact backward pass derived in lecture 07: one expression for
the cross-entropy, one for BatchNorm, and an ``index_add_`` for the embedding table.
``forward_backward`` is exercise 4 of lecture 08 done: a training step's arithmetic with no
autograd; its exercise edition trains with it while the learner's is still a TODO.
"""

import torch
import torch.nn.functional as F

from helpers.tools.ninja import _check_batch, forward

__all__ = ["manual_backward", "forward_backward"]


def manual_backward(params, X, Y, acts):
    """The gradient of the mean cross-entropy for every parameter, by hand: ``{name: grad}``.

    ``acts`` comes from :func:`forward` on the same batch in training mode. No
    autograd is used (call it under ``torch.no_grad()`` or on detached tensors).
    """
    _check_batch(params, X, Y)
    missing = [k for k in ("embcat", "bnraw", "bnvar_inv", "h", "logits") if k not in acts]
    if missing:
        raise KeyError(f"acts lacks {missing}; pass the acts returned by forward()")
    p = params
    n = X.shape[0]
    embcat, bnraw, bnvar_inv, h = acts["embcat"], acts["bnraw"], acts["bnvar_inv"], acts["h"]
    # cross-entropy: (softmax - one-hot) / n
    dlogits = F.softmax(acts["logits"], 1)
    dlogits[torch.arange(n), Y] -= 1
    dlogits /= n
    # second linear layer and tanh
    dh = dlogits @ p["W2"].T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - h**2) * dh
    # BatchNorm, with Bessel's correction in the variance
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnbias = dhpreact.sum(0, keepdim=True)
    dhprebn = p["bngain"] * bnvar_inv / n * (
        n * dhpreact - dbnbias - n / (n - 1) * bnraw * dbngain)
    # first linear layer and the embedding lookup
    dembcat = dhprebn @ p["W1"].T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    dC = torch.zeros_like(p["C"])
    dC.index_add_(0, X.view(-1), dembcat.view(-1, p["C"].shape[1]))
    return {"C": dC, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2,
            "bngain": dbngain, "bnbias": dbnbias}


def forward_backward(params, Xb, Yb):
    """One training step's arithmetic, finished: ``(loss, grads)`` for the batch ``Xb``, ``Yb``.

    ``loss`` is the batch's mean cross-entropy and ``grads`` the list of gradients in the
    order of ``params``: :func:`forward`, then :func:`manual_backward`, with no autograd.
    This is exercise 4 of lecture 08 done; its exercise edition trains with it while the
    learner's ``forward_backward`` is still a TODO.
    """
    with torch.no_grad():
        loss, acts = forward(params, Xb, Yb)
        grads = manual_backward(params, Xb, Yb, acts)
    return loss, [grads[name] for name in params]
