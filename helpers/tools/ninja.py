"""The backprop-ninja model of lectures 06-08: a character MLP with BatchNorm.

Three characters of context are embedded (``C``), concatenated, passed through a
linear layer (``W1``, ``b1``), BatchNorm (``bngain``, ``bnbias``; the batch variance
uses Bessel's correction, ``n - 1``), ``tanh``, and a linear layer to 27 logits
(``W2``, ``b2``). Parameters live in a plain dict, so ``params.values()`` is the list an
optimiser step loops over. Its hand-written backward pass, finished, is in
``helpers.finished.backward``; the checks of lectures 07-08 are in ``helpers.checks.ninja``.
"""

import torch
import torch.nn.functional as F

from helpers.tools.data import itos

__all__ = ["PARAM_NAMES", "BN_EPS", "VOCAB_SIZE", "init_params", "forward",
           "calibrate_batchnorm", "split_loss", "sample_names"]

PARAM_NAMES = ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")
BN_EPS = 1e-5
VOCAB_SIZE = 27


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")


def init_params(n_embd=10, n_hidden=64, block_size=3, seed=2147483647, dtype=torch.float32):
    """The parameters as a dict ``{name: tensor}`` with ``requires_grad=True``.

    Drawn in float32 from ``torch.Generator().manual_seed(seed)`` in the order of
    ``PARAM_NAMES`` and then converted to ``dtype``, so a float64 model holds exactly
    the same values as the float32 one. The biases, ``W2`` and BatchNorm's shift get
    small random values (``0.1 * randn``) and the gain ``1 + 0.1 * randn``, instead of
    zeros and ones: a gradient that is wrong cannot hide behind a zero.
    """
    for name, value in (("n_embd", n_embd), ("n_hidden", n_hidden), ("block_size", block_size)):
        _positive_int(name, value)
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise ValueError(f"dtype must be a floating-point torch.dtype; got {dtype!r}")
    g = torch.Generator().manual_seed(seed)
    fan_in = n_embd * block_size
    params = {
        "C": torch.randn((VOCAB_SIZE, n_embd), generator=g),
        "W1": torch.randn((fan_in, n_hidden), generator=g) * (5 / 3) / fan_in**0.5,
        "b1": torch.randn(n_hidden, generator=g) * 0.1,
        "W2": torch.randn((n_hidden, VOCAB_SIZE), generator=g) * 0.1,
        "b2": torch.randn(VOCAB_SIZE, generator=g) * 0.1,
        "bngain": torch.randn((1, n_hidden), generator=g) * 0.1 + 1.0,
        "bnbias": torch.randn((1, n_hidden), generator=g) * 0.1,
    }
    return {name: p.to(dtype).requires_grad_() for name, p in params.items()}


def _check_batch(params, X, Y=None):
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise KeyError(f"params lacks {missing}; build it with init_params()")
    block_size = params["W1"].shape[0] // params["C"].shape[1]
    if not isinstance(X, torch.Tensor) or X.dtype != torch.long or X.ndim != 2 \
            or X.shape[1] != block_size:
        got = f"{X.dtype} tensor of shape {tuple(X.shape)}" if isinstance(X, torch.Tensor) \
            else type(X).__name__
        raise ValueError(f"X must be a long tensor of shape (batch, {block_size}); got {got}")
    if Y is not None and (not isinstance(Y, torch.Tensor) or Y.shape != (X.shape[0],)):
        got = tuple(Y.shape) if isinstance(Y, torch.Tensor) else type(Y).__name__
        raise ValueError(f"Y must be a tensor of shape ({X.shape[0]},) like X's batch; got {got}")


def _hprebn(params, X):
    """The embedding lookup and the first linear layer: BatchNorm's input."""
    return params["C"][X].view(X.shape[0], -1) @ params["W1"] + params["b1"]


def _activations(params, X, bn_stats=None):
    """Every activation of the forward pass up to the logits (see :func:`forward`)."""
    p = params
    embcat = p["C"][X].view(X.shape[0], -1)
    hprebn = embcat @ p["W1"] + p["b1"]
    if bn_stats is None:
        if X.shape[0] < 2:
            raise ValueError("a training batch needs at least 2 examples for its variance")
        bnmean = hprebn.mean(0, keepdim=True)
        bnvar = hprebn.var(0, keepdim=True, correction=1)
    else:
        bnmean, bnvar = bn_stats
    bnvar_inv = (bnvar + BN_EPS) ** -0.5
    bnraw = (hprebn - bnmean) * bnvar_inv
    hpreact = p["bngain"] * bnraw + p["bnbias"]
    h = torch.tanh(hpreact)
    logits = h @ p["W2"] + p["b2"]
    return {"embcat": embcat, "hprebn": hprebn, "bnraw": bnraw, "bnvar_inv": bnvar_inv,
            "hpreact": hpreact, "h": h, "logits": logits}


def forward(params, X, Y, bn_stats=None):
    """The loss and the activations ``manual_backward`` needs, as ``(loss, acts)``.

    Without ``bn_stats`` BatchNorm normalises with the batch's own mean and
    (Bessel-corrected) variance, as in training; with ``bn_stats=(mean, var)`` it
    uses those, as at inference. ``acts`` holds ``embcat``, ``hprebn``, ``bnraw``,
    ``bnvar_inv``, ``hpreact``, ``h`` and ``logits`` (names as in lecture 06).
    """
    _check_batch(params, X, Y)
    acts = _activations(params, X, bn_stats)
    return F.cross_entropy(acts["logits"], Y), acts


@torch.no_grad()
def calibrate_batchnorm(params, X):
    """BatchNorm's mean and (Bessel-corrected) variance over all of ``X``, for inference."""
    _check_batch(params, X)
    hprebn = _hprebn(params, X)
    return hprebn.mean(0, keepdim=True), hprebn.var(0, keepdim=True, correction=1)


@torch.no_grad()
def split_loss(params, X, Y, bn_stats):
    """The mean cross-entropy over a whole split, BatchNorm using ``bn_stats``; a float."""
    loss, _ = forward(params, X, Y, bn_stats)
    return loss.item()


@torch.no_grad()
def sample_names(params, bn_stats, count, generator, block_size=3):
    """``count`` names drawn one character at a time until the model emits ``.``."""
    _positive_int("count", count)
    names = []
    for _ in range(count):
        context, out = [0] * block_size, []
        while True:
            logits = _activations(params, torch.tensor([context]), bn_stats)["logits"]
            probs = F.softmax(logits, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=generator).item()
            if ix == 0:
                break
            out.append(itos[ix])
            context = context[1:] + [ix]
        names.append("".join(out))
    return names
