"""helpers.tools.data: the names dataset cache, vocabulary, splits, and make_moons."""

import hashlib
import io
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

from helpers.tools import data
from helpers.tools.data import (
    NAMES_SHA256,
    NAMES_URL,
    ChecksumError,
    DownloadError,
    build_dataset,
    build_vocab,
    load_words,
    make_moons,
    make_splits,
    split_words,
)


@pytest.fixture(scope="module")
def words():
    return load_words()


@pytest.fixture(scope="module")
def names_bytes(words):
    return data.cache_path().read_bytes()


def serve(monkeypatch, payload=None, error=None):
    """Make urlopen return ``payload`` (or raise ``error``), recording the URLs asked for."""
    asked = []

    def fake_urlopen(url, timeout=None):
        asked.append(url)
        if error is not None:
            raise error
        return io.BytesIO(payload)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    return asked


def test_the_dataset_has_32033_lowercase_names(words, names_bytes):
    assert hashlib.sha256(names_bytes).hexdigest() == NAMES_SHA256
    assert len(words) == 32033
    assert words[:3] == ["emma", "olivia", "ava"]
    assert all(w and set(w) <= set("abcdefghijklmnopqrstuvwxyz") for w in words)


def test_missing_cache_is_downloaded_verified_and_written_whole(monkeypatch, tmp_path, names_bytes):
    asked = serve(monkeypatch, names_bytes)
    target = tmp_path / "cache" / "names.txt"
    got = load_words(target)
    assert asked == [NAMES_URL]
    assert len(got) == 32033
    assert target.read_bytes() == names_bytes
    assert sorted(p.name for p in target.parent.iterdir()) == ["names.txt"]
    serve(monkeypatch, error=AssertionError("the cache must be used, not the network"))
    assert load_words(target) == got


def test_corrupt_cache_names_file_checksums_and_fix(tmp_path, names_bytes):
    target = tmp_path / "names.txt"
    target.write_bytes(names_bytes[:-10] + b"xxxxxxxxxx")
    found = hashlib.sha256(target.read_bytes()).hexdigest()
    with pytest.raises(ChecksumError) as err:
        load_words(target)
    message = str(err.value)
    assert str(target) in message and NAMES_SHA256 in message and found in message
    assert "delete" in message.lower()
    assert [p.name for p in tmp_path.iterdir()] == ["names.txt"]  # no partial file beside it


def test_corrupt_download_writes_nothing(monkeypatch, tmp_path, names_bytes):
    serve(monkeypatch, names_bytes[: len(names_bytes) // 2])  # a cut transfer
    target = tmp_path / "names.txt"
    with pytest.raises(ChecksumError, match=NAMES_SHA256):
        load_words(target)
    assert list(tmp_path.iterdir()) == []


def test_offline_without_cache_names_the_url_and_the_path(monkeypatch, tmp_path):
    serve(monkeypatch, error=urllib.error.URLError("no network"))
    target = tmp_path / "names.txt"
    with pytest.raises(DownloadError) as err:
        load_words(target)
    assert NAMES_URL in str(err.value) and str(target) in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_a_write_interrupted_before_the_rename_leaves_nothing(monkeypatch, tmp_path, names_bytes):
    serve(monkeypatch, names_bytes)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(data.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_words(tmp_path / "names.txt")
    assert list(tmp_path.iterdir()) == []


def test_cache_path_follows_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("BACKPROP_DATA_DIR", str(tmp_path))
    assert data.cache_path() == tmp_path / "names.txt"


def test_vocabulary_has_dot_at_zero_then_a_to_z(words):
    stoi, itos = build_vocab(words)
    assert stoi == data.stoi and itos == data.itos
    assert len(stoi) == 27 and stoi["."] == 0 and stoi["a"] == 1 and stoi["z"] == 26
    assert all(itos[i] == ch for ch, i in stoi.items())


def test_build_dataset_slides_a_window_over_each_word():
    X, Y = build_dataset(["emma", "al"], block_size=3)
    e, m, a, el = 5, 13, 1, 12  # positions in the alphabet
    assert X.tolist() == [[0, 0, 0], [0, 0, e], [0, e, m], [e, m, m], [m, m, a],
                          [0, 0, 0], [0, 0, a], [0, a, el]]
    assert Y.tolist() == [e, m, m, a, 0, a, el, 0]
    assert X.dtype == Y.dtype == torch.long


def test_build_dataset_rejects_unknown_characters_and_bad_arguments():
    with pytest.raises(ValueError, match=r"'Anna'.*'A'"):
        build_dataset(["anna", "Anna"])
    with pytest.raises(ValueError, match="block_size"):
        build_dataset(["anna"], block_size=0)
    with pytest.raises(TypeError, match="list of words"):
        build_dataset("anna")


def test_split_is_the_lectures_80_10_10_and_reproducible(words):
    train, dev, test = split_words(words)
    assert (len(train), len(dev), len(test)) == (25626, 3203, 3204)
    assert sorted(train + dev + test) == sorted(words)
    assert split_words(words) == (train, dev, test)
    assert split_words(words, seed=1)[0] != train
    assert words[:3] == ["emma", "olivia", "ava"]  # the caller's list is not shuffled


def test_make_splits_gives_the_lectures_example_counts(words):
    (Xtr, Ytr), (Xdev, Ydev), (Xte, Yte) = make_splits(words, block_size=3)
    assert Xtr.shape == (182625, 3) and Ytr.shape == (182625,)
    assert Xdev.shape == (22655, 3) and Xte.shape == (22866, 3)


def test_make_moons_shapes_labels_and_seed():
    X, y = make_moons(101, noise=0.1, seed=3)
    assert X.shape == (101, 2) and y.shape == (101,)
    assert set(y.tolist()) == {0, 1} and (y == 0).sum() == 50
    X2, y2 = make_moons(101, noise=0.1, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, make_moons(101, noise=0.1, seed=4)[0])


def test_make_moons_without_noise_lies_on_two_half_circles():
    X, y = make_moons(60, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert (upper[:, 1] >= -1e-12).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (lower[:, 1] <= 0.5 + 1e-12).all()


@pytest.mark.parametrize("n, noise", [(1, 0.1), (10.5, 0.1), (True, 0.1), (10, -0.1)])
def test_make_moons_rejects_bad_arguments(n, noise):
    with pytest.raises(ValueError, match="make_moons needs"):
        make_moons(n, noise=noise)
