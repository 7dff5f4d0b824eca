"""Interactive figures for the lectures: a slider (and buttons) over precomputed frames.

Each function returns an :class:`InteractiveFigure`. Ending a cell with the call shows it as
one output that holds the live widget (JupyterLab, Colab, VS Code), a PNG of the starting
frame and one line of text. Where no kernel runs the widget (GitHub, a stored notebook,
nbval) the PNG is shown; nbval compares only the text line, which names no number that
varies between runs. Frames are drawn on Agg figures outside pyplot, so none is left open.

- ``derivative_explorer(f, x, slope)``: lecture 01, a log slider for the step h.
- ``backward_stepper(root)``: lecture 03, ``backward()`` one operation at a time.
- ``training_explorer(X, y, losses, score)``: lecture 05, the decision boundary per step.
"""

import base64
import contextlib
import io
import math
import sys
import textwrap

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from helpers.tools.graph import draw_dot, trace
from helpers.tools.plots import COLORS, plot_decision_boundary, plot_loss
from helpers.tools.progress import progress

__all__ = ["InteractiveFigure", "derivative_explorer", "backward_stepper", "training_explorer"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CURRENT = "#ffbb78"   # the node whose _backward has just run
RECEIVED = "#aec7e8"  # its inputs, which have just received gradient


def _png(fig):
    """The figure as PNG bytes (no software stamp, so equal frames give equal bytes)."""
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _new_figure(width, height):
    """A figure outside pyplot: it is never registered, so it never needs closing."""
    return Figure(figsize=(width, height), dpi=100)


class InteractiveFigure:
    """A numbered sequence of frames (PNG pictures) and a slider that picks one.

    ``draw(i)`` returns frame ``i`` as PNG bytes; each frame is drawn once, then reused.
    ``control`` is the slider; ``index_of(value)`` and ``value_of(i)`` translate between
    its value and a frame number. ``widget`` is the whole interactive figure, ``image`` the
    picture in it, ``show(i)`` moves the slider (and so the picture) to frame ``i``.
    """

    def __init__(self, summary, count, draw, control, index_of, value_of, start=0,
                 buttons=False):
        if not 0 <= start < count:
            raise ValueError(f"start must be a frame number from 0 to {count - 1}; got {start!r}")
        self.summary, self.count = summary, count
        self._draw, self._cache = draw, {}
        self.control, self._index_of, self._value_of = control, index_of, value_of
        self.start = self.index = start
        control.value = value_of(start)
        self.image = widgets.Image(value=self.png(start), format="png",
                                   layout={"max_width": "100%", "height": "auto"})
        control.observe(self._changed, names="value")
        row = [control]
        if buttons:
            self.previous = widgets.Button(description="◀ previous", layout={"width": "110px"})
            self.next = widgets.Button(description="next ▶", layout={"width": "110px"})
            self.previous.on_click(lambda _: self.show(max(self.index - 1, 0)))
            self.next.on_click(lambda _: self.show(min(self.index + 1, count - 1)))
            row = [self.previous, control, self.next]
        self.widget = widgets.VBox([widgets.HBox(row), self.image])

    def png(self, i):
        """Frame ``i`` as PNG bytes."""
        if i not in self._cache:
            self._cache[i] = self._draw(i)
        return self._cache[i]

    def show(self, i):
        """Move the slider to frame ``i`` (the picture follows)."""
        if not 0 <= i < self.count:
            raise IndexError(f"frame {i} does not exist; frames are 0 to {self.count - 1}")
        self.control.value = self._value_of(i)

    def _changed(self, change):
        self.index = self._index_of(change["new"])
        self.image.value = self.png(self.index)

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": self.summary}
        if "google.colab" not in sys.modules:  # Colab might prefer the picture to the widget
            bundle["image/png"] = base64.b64encode(self.png(self.start)).decode("ascii")
        # What ipywidgets 8 displays for a widget (written out, so ipywidgets 7 works too).
        bundle[WIDGET_VIEW] = {"version_major": 2, "version_minor": 0,
                               "model_id": self.widget.model_id}
        return bundle

    def __repr__(self):
        return self.summary


# --- lecture 01: the derivative as a limit ----------------------------------------------


def derivative_explorer(f, x, slope, *, h_min=1e-15, h_max=1.0, start=0.1, label="f(x)"):
    """A log slider for the step ``h``: the secants of ``f`` at ``x`` turn into the tangent.

    ``slope`` is the exact derivative at ``x`` (a number, or a function called at ``x``).
    Left: ``f`` near ``x`` with the forward secant (through x and x + h), the central one
    (through x - h and x + h) and the tangent; both estimates and their errors are written
    on it. Right: both errors against h (log-log), the current h marked.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of one number; got {type(f).__name__}")
    x = float(x)
    exact = float(slope(x) if callable(slope) else slope)
    if not 0 < h_min < h_max:
        raise ValueError(f"need 0 < h_min < h_max; got h_min={h_min!r}, h_max={h_max!r}")
    lo, hi, step = math.log10(h_min), math.log10(h_max), 0.5
    count = round((hi - lo) / step) + 1  # half a decade per frame
    steps = [10 ** (hi - i * step) for i in range(count)]   # frame 0 is the largest h

    def forward(h):
        return (f(x + h) - f(x)) / h

    def central(h):
        return (f(x + h) - f(x - h)) / (2 * h)

    floor = 1e-17  # an error of exactly 0 is drawn at the bottom of the log axis
    forward_errors = [max(abs(forward(h) - exact), floor) for h in steps]
    central_errors = [max(abs(central(h) - exact), floor) for h in steps]
    ts = np.linspace(x - 1.2 * h_max, x + 1.2 * h_max, 200)
    fs = np.array([f(t) for t in ts], dtype=float)
    pad = 0.15 * (fs.max() - fs.min() + 1e-12)
    ylim = (fs.min() - pad, fs.max() + pad)

    def draw(i):
        h = steps[i]
        fx, sf, sc = f(x), forward(h), central(h)
        fig = _new_figure(10, 4)
        ax, ax_err = fig.subplots(1, 2)
        ax.plot(ts, fs, color=COLORS[0], lw=2, label=label)
        ax.plot(ts, fx + exact * (ts - x), "--", color="gray", lw=1,
                label=f"tangent, slope {exact:.4g}")
        ax.plot(ts, fx + sf * (ts - x), color=COLORS[1], lw=1.2, label="forward secant")
        ax.plot(ts, f(x - h) + sc * (ts - x + h), color=COLORS[2], lw=1.2,
                label="central secant")
        ax.plot([x, x + h], [fx, f(x + h)], "o", color=COLORS[1], ms=5)
        ax.plot([x - h], [f(x - h)], "o", color=COLORS[2], ms=5)
        ax.set_xlim(ts[0], ts[-1])
        ax.set_ylim(*ylim)
        ax.set_xlabel("x")
        ax.set_title(f"secants at x = {x:g} with h = {h:.1e}")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        ax.text(0.02, 0.97,
                f"forward {sf:.10f}  error {abs(sf - exact):.1e}\n"
                f"central {sc:.10f}  error {abs(sc - exact):.1e}",
                transform=ax.transAxes, va="top", family="monospace", fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "0.8"})
        ax_err.loglog(steps, forward_errors, "o-", ms=2, lw=1, color=COLORS[1], label="forward")
        ax_err.loglog(steps, central_errors, "s-", ms=2, lw=1, color=COLORS[2], label="central")
        ax_err.loglog([h, h], [forward_errors[i], central_errors[i]], "o", ms=9,
                      mfc="none", color="k")
        ax_err.axvline(h, color="k", lw=0.6, alpha=0.5)
        ax_err.set_ylim(floor / 2, max(max(forward_errors), max(central_errors)) * 10)
        ax_err.set_xlabel("step h")
        ax_err.set_title("|estimate − exact slope| (0 drawn at the bottom)")
        ax_err.legend(loc="upper center", fontsize=8, frameon=False)
        for a in (ax, ax_err):
            a.grid(True, alpha=0.3)
            a.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return _png(fig)

    start_index = min(range(count), key=lambda i: abs(math.log10(steps[i]) - math.log10(start)))
    control = widgets.FloatLogSlider(base=10, min=lo, max=hi, step=step, value=steps[0],
                                     description="h", readout_format=".1e",
                                     continuous_update=True, layout={"width": "500px"})

    def index_of(value):
        return min(max(round((hi - math.log10(value)) / step), 0), count - 1)

    summary = (f"Interactive figure: a log slider for h ({h_min:.0e} to {h_max:.0e}) turns the "
               f"secants of {label} at x = {x:g} into the tangent (run the cell to move it).")
    return InteractiveFigure(summary, count, draw, control, index_of, lambda i: steps[i],
                             start=start_index)


# --- lecture 03: backpropagation, one node at a time ------------------------------------


def _label(node):
    return str(getattr(node, "label", "") or "")


def backward_stepper(root, *, rankdir="auto", start=0):
    """Run ``backward()`` on ``root``'s graph one operation at a time and show every step.

    First every gradient in the graph is set to 0 and ``root.grad`` to 1 (frame 0). Then
    each node that has inputs, in reversed topological order, calls its ``_backward``
    (frame k: that node orange, its inputs, which have just received gradient, blue).
    Afterwards the gradients are what ``backward()`` leaves. All frames are drawn up front.
    """
    nodes, _ = trace(root)
    names = {id(node): f"v{i}" for i, node in enumerate(nodes)}  # draw_dot's node names
    for node in nodes:
        node.grad = 0.0
    root.grad = 1.0
    operations = [node for node in reversed(nodes) if node._prev]
    total = len(operations)
    with contextlib.redirect_stdout(io.StringIO()):   # one direction for every frame
        rankdir = draw_dot(root, rankdir=rankdir).digraph.graph_attr["rankdir"]

    def picture(caption, current=None):
        with contextlib.redirect_stdout(io.StringIO()):
            drawing = draw_dot(root, rankdir=rankdir)
        dot = drawing.digraph.copy()
        if current is not None:
            for child in current._prev:
                dot.node(names[id(child)], style="filled", fillcolor=RECEIVED)
            dot.node(names[id(current)], style="filled", fillcolor=CURRENT)
        # wrapped, so that a long caption does not widen (and so shrink) the drawing
        dot.attr(label="\n".join(textwrap.wrap(caption, 90)), labelloc="t", fontsize="13")
        return dot.pipe(format="png")

    root_name = _label(root) or "the output"
    frames = [picture(f"seed: {root_name}.grad = 1, every other gradient 0 "
                      f"({total} operations to go back through)")]
    for k, node in enumerate(operations, start=1):
        node._backward()
        # Unlabelled values have no name in the picture: the colours say which they are.
        received = ", ".join(f"{_label(c) or 'an input'} {c.grad:.4f}"
                             for c in dict.fromkeys(node._prev))
        who = f"{_label(node)} = {node._op}(...)" if _label(node) else f"a {node._op} result"
        frames.append(picture(f"step {k} of {total}: {who} (orange) ran its _backward; "
                              f"gradients of its inputs (blue): {received}", node))

    control = widgets.IntSlider(min=0, max=total, value=0, description="step",
                                continuous_update=True, layout={"width": "400px"})
    summary = (f"Interactive figure: backward() on the graph of {root_name}, one operation at a "
               f"time ({total} steps after the seed; run the cell to step through them).")
    return InteractiveFigure(summary, total + 1, frames.__getitem__, control, int, int,
                             start=start, buttons=True)


# --- lecture 05: training, step by step --------------------------------------------------


def training_explorer(X, y, losses, score, *, accuracies=None, steps=None, start=0, grid=100,
                      margin=0.5):
    """A slider over training steps: the decision boundary and the loss curve at each step.

    ``X`` (n, 2) points, ``y`` their labels, ``losses[k]`` the loss before step k and
    ``score(k, points)`` the model's scores of an (M, 2) array of points with the
    parameters before step k. ``steps`` (default: every step) are the frames; all score
    grids (``grid`` x ``grid`` points) are computed up front, pictures when first shown.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[1] != 2 or len(y) != len(X):
        raise ValueError(f"X must be (n, 2) points with n labels y; got X {X.shape}, "
                         f"y {y.shape}")
    losses = [float(v) for v in losses]
    steps = list(range(len(losses))) if steps is None else [int(k) for k in steps]
    if not steps or any(not 0 <= k < len(losses) for k in steps):
        raise ValueError(f"steps must be step numbers from 0 to {len(losses) - 1}")
    if accuracies is not None and len(accuracies) != len(losses):
        raise ValueError(f"accuracies needs one value per step ({len(losses)}); "
                         f"got {len(accuracies)}")
    (x_min, y_min), (x_max, y_max) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(x_min, x_max, grid), np.linspace(y_min, y_max, grid))
    points = np.column_stack([gx.ravel(), gy.ravel()])
    scores = []
    for k in progress(steps, desc="scoring each snapshot", unit="snapshot"):
        s = np.asarray(score(k, points), dtype=float).ravel()
        if s.shape != (len(points),):
            raise ValueError(f"score(k, points) must return one score per point "
                             f"({len(points)}); got shape {s.shape} at step {k}")
        scores.append(s)

    def draw(i):
        k = steps[i]
        fig = _new_figure(10, 4)
        ax, ax_loss = fig.subplots(1, 2)
        title = f"step {k}: loss {losses[k]:.4f}"
        if accuracies is not None:
            title += f", accuracy {accuracies[k]:.0%}"
        plot_decision_boundary(lambda _: scores[i], X, y, ax=ax, steps=grid, margin=margin,
                               margins=True, title=title)
        plot_loss(losses, log=True, ax=ax_loss)
        ax_loss.plot([k], [losses[k]], "o", ms=8, color=COLORS[1])
        ax_loss.set_title("loss (log scale)")
        ax_loss.grid(True, alpha=0.3)
        ax_loss.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        return _png(fig)

    position = {k: i for i, k in enumerate(steps)}
    if start not in position:
        raise ValueError(f"start must be one of the steps ({steps[0]} to {steps[-1]}); "
                         f"got {start!r}")
    control = widgets.SelectionSlider(options=steps, value=steps[0], description="step",
                                      continuous_update=True, layout={"width": "500px"})
    summary = (f"Interactive figure: the decision boundary and the loss at training steps "
               f"{steps[0]} to {steps[-1]} ({len(steps)} snapshots; run the cell to move "
               f"the slider).")
    return InteractiveFigure(summary, len(steps), draw, control, position.__getitem__,
                             steps.__getitem__, start=position[start], buttons=True)
