"""The interactive figures of helpers.tools.widgets, driven over every frame as a slider would."""

import base64
import math
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers.tools.engine import Value
from helpers.tools.widgets import (
    WIDGET_VIEW,
    backward_stepper,
    derivative_explorer,
    training_explorer,
)

PNG = b"\x89PNG\r\n\x1a\n"


def drive(figure):
    """Move the slider to every frame, last to first, then with the buttons; return the PNGs."""
    assert bytes(figure.image.value) == figure.png(figure.start)
    shown = {}
    for i in reversed(range(figure.count)):
        figure.show(i)
        assert figure.index == i
        assert bytes(figure.image.value).startswith(PNG)
        shown[i] = bytes(figure.image.value)
    assert len(shown) == figure.count
    if hasattr(figure, "next"):
        for i in range(1, figure.count):
            figure.next.click()
            assert figure.index == i and bytes(figure.image.value) == shown[i]
        figure.next.click()  # stays on the last frame
        assert figure.index == figure.count - 1
        figure.previous.click()
        assert figure.index == figure.count - 2
    assert plt.get_fignums() == []
    return shown


def check_bundle(figure):
    bundle = figure._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == figure.png(figure.start)
    assert WIDGET_VIEW in bundle
    assert bundle["text/plain"].startswith("Interactive figure: ")
    assert "\n" not in bundle["text/plain"] and "0x" not in bundle["text/plain"]


def test_on_colab_the_bundle_leaves_the_picture_out(monkeypatch):
    figure = derivative_explorer(lambda x: x * x, 1.0, 2.0)
    monkeypatch.setitem(sys.modules, "google.colab", object())
    bundle = figure._repr_mimebundle_()
    assert set(bundle) == {"text/plain", WIDGET_VIEW}


def neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def test_derivative_explorer_every_h():
    figure = derivative_explorer(lambda x: x * x * x, 1.5, 6.75, start=0.01)
    assert figure.count == 31  # 1e0 down to 1e-15, half a decade apart
    assert math.isclose(figure.control.value, 0.01)
    shown = drive(figure)
    assert len(set(shown.values())) == figure.count  # each h draws its own picture
    check_bundle(figure)
    assert "x = 1.5" in figure.summary


def test_derivative_explorer_takes_the_derivative_as_a_function():
    figure = derivative_explorer(lambda x: 3 * x**2 - 4 * x + 5, 3.0, lambda x: 6 * x - 4)
    figure.show(figure.count - 1)
    assert plt.get_fignums() == []


def test_derivative_explorer_refuses_bad_input():
    with pytest.raises(TypeError, match="f must be a function"):
        derivative_explorer(3.0, 1.5, 6.75)
    with pytest.raises(ValueError, match="h_min < h_max"):
        derivative_explorer(abs, 1.5, 1.0, h_min=1.0, h_max=1e-3)


def test_backward_stepper_fills_gradients_one_operation_at_a_time():
    o, leaves = neuron()
    for leaf in leaves.values():
        leaf.grad = 5.0  # stale gradients are reset first
    figure = backward_stepper(o)
    # o = tanh(n), n = s + b, s = x1w1 + x2w2, and the two products: 5 operations.
    assert figure.count == 6
    expected = {"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5}
    for name, grad in expected.items():
        assert math.isclose(leaves[name].grad, grad, abs_tol=1e-9), name
    shown = drive(figure)
    assert len(set(shown.values())) == figure.count
    check_bundle(figure)
    assert "graph of o" in figure.summary and "5 steps" in figure.summary


def test_backward_stepper_highlights_the_node_being_processed():
    from helpers.tools import widgets

    o, _ = neuron()
    sources = []
    original = widgets.draw_dot

    def recording(root, rankdir="LR"):
        drawing = original(root, rankdir=rankdir)
        real_copy = drawing.digraph.copy

        def copy():
            dot = real_copy()
            sources.append(dot)
            return dot

        drawing.digraph.copy = copy
        return drawing

    widgets.draw_dot = recording
    try:
        backward_stepper(o, start=2)
    finally:
        widgets.draw_dot = original
    assert len(sources) == 6
    assert widgets.CURRENT not in sources[0].source  # the seed: nothing processed yet
    # o (the last node of the trace) ran its _backward; the caption is wrapped: unwrap it
    first = sources[1].source.replace("\n", " ")
    assert f"fillcolor=\"{widgets.CURRENT}\"" in first
    assert first.count(widgets.RECEIVED) == 1  # its one input, n
    assert "step 1 of 5: o = tanh(...) (orange)" in first
    assert "inputs (blue): an input 0.5000" in first  # n has no label in this graph


def test_backward_stepper_start_is_checked():
    o, _ = neuron()
    with pytest.raises(ValueError, match="start must be a frame number from 0 to 5"):
        backward_stepper(o, start=6)


def test_training_explorer_every_step():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = np.where(X[:, 0] > 0, 1, -1)
    losses = [1.0 / (k + 1) for k in range(12)]
    calls = []

    def score(k, points):
        calls.append(k)
        return points[:, 0] - 1.0 + k / 6

    figure = training_explorer(X, y, losses, score, accuracies=[0.5] * 12, start=3, grid=30)
    assert calls == list(range(12))  # every grid computed up front, once
    assert figure.index == 3 and figure.control.value == 3
    shown = drive(figure)
    assert calls == list(range(12))  # moving the slider computes no scores
    assert len(set(shown.values())) == figure.count
    check_bundle(figure)

    part = training_explorer(X, y, losses, score, steps=[0, 5, 11], start=11, grid=20)
    assert part.count == 3 and part.index == 2
    drive(part)


def test_training_explorer_refuses_bad_input():
    X, y, losses = np.zeros((4, 2)), np.array([1, -1, 1, -1]), [1.0, 0.5]

    def score(k, points):
        return np.zeros(len(points))

    with pytest.raises(ValueError, match=r"X must be \(n, 2\)"):
        training_explorer(np.zeros((4, 3)), y, losses, score)
    with pytest.raises(ValueError, match="one score per point"):
        training_explorer(X, y, losses, lambda k, p: np.zeros(3))
    with pytest.raises(ValueError, match="steps must be step numbers from 0 to 1"):
        training_explorer(X, y, losses, score, steps=[0, 2])
    with pytest.raises(ValueError, match="start must be one of the steps"):
        training_explorer(X, y, losses, score, start=5)
    with pytest.raises(ValueError, match="accuracies needs one value per step"):
        training_explorer(X, y, losses, score, accuracies=[1.0])
