"""The names dataset (download, verify, cache), its vocabulary and splits; a moons toy set.

The names file is never committed. ``load_words()`` reads the cache
``data/names.txt`` in this repository (or ``$BACKPROP_DATA_DIR/names.txt``, or
``~/.cache/backprop-from-scratch/names.txt`` when the package is installed on its
own, as on Colab). When the cache is absent it downloads the file, checks its
SHA-256, and only then moves it into place, so an interrupted or corrupted download
never leaves a half-written cache behind.
"""

import hashlib
import os
import random
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "NAMES_URL", "NAMES_SHA256", "VOCAB", "stoi", "itos",
    "DataError", "ChecksumError", "DownloadError",
    "cache_path", "load_words", "build_vocab", "build_dataset", "split_words",
    "make_splits", "make_moons",
]

NAMES_URL = "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt"
NAMES_SHA256 = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"

VOCAB = "." + "abcdefghijklmnopqrstuvwxyz"
"""The 27 tokens: ``.`` (start and end of a name, index 0) then a to z."""
stoi = {ch: i for i, ch in enumerate(VOCAB)}
itos = dict(enumerate(VOCAB))


class DataError(RuntimeError):
    """The names dataset could not be loaded."""


class ChecksumError(DataError):
    """A file's SHA-256 is not the one the dataset should have."""


class DownloadError(DataError):
    """The dataset is not cached and could not be downloaded."""


def cache_path():
    """Where ``names.txt`` is cached: see the module docstring for the order."""
    if os.environ.get("BACKPROP_DATA_DIR"):
        return Path(os.environ["BACKPROP_DATA_DIR"]) / "names.txt"
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "data").is_dir():  # a checkout
        return root / "data" / "names.txt"
    return Path.home() / ".cache" / "backprop-from-scratch" / "names.txt"


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _download(url, path, sha256, timeout):
    """Fetch ``url`` into ``path`` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read()
    except (urllib.error.URLError, OSError) as err:
        raise DownloadError(
            f"{path} does not exist and downloading it from {url} failed ({err}).\n"
            f"Fix: connect to the internet and run again, or download {url} yourself "
            f"and save it as {path}."
        ) from None
    found = _sha256(data)
    if found != sha256:
        raise ChecksumError(
            f"the download from {url} has SHA-256 {found}, expected {sha256}; nothing was "
            f"written to {path}. Fix: run again (the transfer may have been cut), or "
            f"download the file by hand and save it as {path}."
        )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_words(path=None, *, url=NAMES_URL, sha256=NAMES_SHA256, timeout=30):
    """The 32,033 lowercase names of the makemore dataset, in file order.

    Reads the cache (``path`` or :func:`cache_path`), downloading it first when absent.
    Raises :class:`ChecksumError` for a corrupt cache and :class:`DownloadError`
    when there is no cache and no network.
    """
    path = Path(path) if path is not None else cache_path()
    if not path.exists():
        _download(url, path, sha256, timeout)
    data = path.read_bytes()
    found = _sha256(data)
    if found != sha256:
        raise ChecksumError(
            f"{path} is corrupt: its SHA-256 is {found}, expected {sha256}.\n"
            f"Fix: delete {path} and run again to download a fresh copy from {url}."
        )
    return data.decode("utf-8").splitlines()


def build_vocab(words):
    """``(stoi, itos)`` for the characters in ``words``, with ``.`` as index 0."""
    chars = sorted(set("".join(words)) - {"."})
    table = {ch: i + 1 for i, ch in enumerate(chars)}
    table["."] = 0
    return table, {i: ch for ch, i in table.items()}


def build_dataset(words, block_size=3, vocab=None):
    """Inputs ``X`` (N, block_size) and targets ``Y`` (N,) for next-character prediction.

    Each name contributes one example per character plus one for the closing ``.``;
    the context starts as ``block_size`` dots. ``vocab`` maps characters to indices
    (default: the module's ``stoi``).
    """
    if isinstance(words, str):
        raise TypeError("build_dataset expects a list of words, not a single string; "
                        "wrap it in a list: build_dataset([word])")
    if not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"block_size must be a positive integer; got {block_size!r}")
    vocab = stoi if vocab is None else vocab
    xs, ys = [], []
    for word in words:
        context = [0] * block_size
        for ch in word + ".":
            if ch not in vocab:
                raise ValueError(
                    f"the word {word!r} has the character {ch!r}, which is not in the "
                    f"vocabulary ({''.join(sorted(vocab))!r}); lowercase or clean the words, "
                    "or pass a vocab that includes it"
                )
            xs.append(context)
            ys.append(vocab[ch])
            context = context[1:] + [vocab[ch]]
    X = torch.tensor(xs, dtype=torch.long).reshape(-1, block_size)
    Y = torch.tensor(ys, dtype=torch.long)
    return X, Y


def split_words(words, seed=42):
    """The lecture's split: shuffle a copy with ``random.seed(seed)``, then 80% / 10% / 10%."""
    shuffled = list(words)
    random.Random(seed).shuffle(shuffled)
    n1, n2 = int(0.8 * len(shuffled)), int(0.9 * len(shuffled))
    return shuffled[:n1], shuffled[n1:n2], shuffled[n2:]


def make_splits(words, block_size=3, seed=42):
    """``(Xtr, Ytr), (Xdev, Ydev), (Xte, Yte)``: :func:`split_words`, then :func:`build_dataset`."""
    return tuple(build_dataset(part, block_size) for part in split_words(words, seed))


def make_moons(n=100, noise=0.1, seed=0):
    """Two interleaving half circles in 2-D: ``X`` (n, 2) float64 and labels ``y`` in {0, 1}.

    The upper moon (label 0) is centred at the origin, the lower one (label 1) is
    shifted right and down; Gaussian noise of standard deviation ``noise`` is added
    and the points are shuffled, all from ``numpy.random.default_rng(seed)``.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"make_moons needs an integer n >= 2 (points in all); got {n!r}")
    if not noise >= 0:
        raise ValueError(f"make_moons needs noise >= 0 (a standard deviation); got {noise!r}")
    rng = np.random.default_rng(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X = np.vstack([upper, lower])
    y = np.concatenate([np.zeros(n_upper, dtype=np.int64), np.ones(n_lower, dtype=np.int64)])
    X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(n)
    return X[order], y[order]
