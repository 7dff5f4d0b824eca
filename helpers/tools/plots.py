"""The figures the lectures use, in one consistent style.

Every function draws into ``ax`` when given one (so figures can be combined) or
into a new figure, returns ``(fig, ax)`` and prints nothing. In a notebook, end
the cell with ``plt.show()`` or assign the result (``fig, ax = ...``) so no object
repr is stored: nbval runs cells outside IPython's history, where a trailing ``;``
does not suppress the repr.
"""

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["STYLE", "COLORS", "new_axes", "plot_function", "plot_loss", "plot_histograms",
           "plot_heatmap", "plot_decision_boundary", "plot_network"]

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]
# The house style as rcParams, for readers who want it in their own figures. The helpers
# apply it per axes (``new_axes``) instead of through ``plt.rc_context``: a context that
# creates a notebook's first figure also resets the interactive mode that the inline
# backend switched on, and every later figure of the kernel is then never shown.
STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": plt.cycler(color=COLORS),
    "font.size": 10,
    "legend.frameon": False,
}


def new_axes(figsize=None):
    """A new figure with one axes in the house style; returns ``(fig, ax)``."""
    fig, ax = plt.subplots(figsize=figsize or STYLE["figure.figsize"], dpi=STYLE["figure.dpi"])
    ax.set_prop_cycle(color=COLORS)
    ax.grid(True, alpha=STYLE["grid.alpha"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _axes(ax, figsize=None):
    """The figure and axes to draw into: ``ax``'s own, or new ones in the house style."""
    if ax is not None:
        return ax.figure, ax
    return new_axes(figsize)


def _numpy(values):
    """A float numpy array from a list, numpy array or (possibly grad-tracking) tensor."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=float)


def plot_function(f, xs, x0=None, slope=None, ax=None, label="f(x)"):
    """Plot ``f`` over ``xs``; with ``x0``, mark it and draw the tangent line there.

    ``slope`` is the tangent's slope; left out, it is estimated by a central difference.
    """
    xs = _numpy(xs)
    fig, ax = _axes(ax)
    ax.plot(xs, [f(x) for x in xs], color=COLORS[0], label=label)
    if x0 is not None:
        y0 = f(x0)
        if slope is None:
            h = 1e-5
            slope = (f(x0 + h) - f(x0 - h)) / (2 * h)
        span = (xs.max() - xs.min()) / 4
        tx = np.array([x0 - span, x0 + span])
        ax.plot(tx, y0 + slope * (tx - x0), "--", color=COLORS[1],
                label=f"tangent at x={x0:g}, slope {slope:.3g}")
        ax.plot([x0], [y0], "o", color=COLORS[1])
    ax.set_xlabel("x")
    ax.legend(frameon=False)
    return fig, ax


def plot_loss(losses, smooth=None, log=False, ax=None, label="loss"):
    """The loss per step (faint) and, with ``smooth=k``, its mean over blocks of ``k`` steps.

    ``log=True`` puts the loss on a log scale (``log10`` of the loss is what the
    lectures plot for long training runs).
    """
    values = _numpy(losses).ravel()
    fig, ax = _axes(ax)
    steps = np.arange(len(values))
    ax.plot(steps, values, color=COLORS[0], alpha=0.3 if smooth else 1.0, lw=0.8,
            label=label if not smooth else f"{label} (each step)")
    if smooth:
        if not isinstance(smooth, int) or smooth < 1:
            raise ValueError(f"smooth must be a positive number of steps; got {smooth!r}")
        blocks = len(values) // smooth
        if blocks:
            means = values[: blocks * smooth].reshape(blocks, smooth).mean(axis=1)
            centres = np.arange(blocks) * smooth + (smooth - 1) / 2
            ax.plot(centres, means, color=COLORS[1], lw=2, label=f"mean of {smooth} steps")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(label)
    ax.legend(frameon=False)
    return fig, ax


def plot_histograms(named, bins=50, ax=None, title=None, xlabel="value"):
    """Overlaid density histograms of several arrays, e.g. activations per layer.

    ``named`` maps a legend label to an array or tensor; the legend shows each
    one's mean and standard deviation.
    """
    fig, ax = _axes(ax)
    for i, (name, values) in enumerate(named.items()):
        v = _numpy(values).ravel()
        ax.hist(v, bins=bins, density=True, histtype="step", lw=1.5, color=COLORS[i % len(COLORS)],
                label=f"{name}: mean {v.mean():+.2f}, std {v.std():.2f}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    return fig, ax


def plot_heatmap(matrix, ax=None, title=None, cmap="RdBu_r", center=True, colorbar=True,
                 xlabel=None, ylabel=None, xticklabels=None):
    """A matrix as an image, one cell per entry.

    With ``center=True`` the colour scale is symmetric around zero (red positive,
    blue negative), which suits gradients; ``cmap="gray"`` with ``center=False``
    suits masks and probabilities. ``xticklabels``: one label per column (e.g. the
    characters ``itos``), shown under every column.
    """
    m = _numpy(matrix)
    if m.ndim != 2:
        raise ValueError(f"plot_heatmap needs a 2-D matrix; got shape {m.shape}")
    figsize = (min(12, 2 + 0.25 * m.shape[1]), min(10, 1.5 + 0.25 * m.shape[0]))
    fig, ax = _axes(ax, figsize=figsize)
    limit = float(np.abs(m).max()) or 1.0
    kwargs = {"vmin": -limit, "vmax": limit} if center else {}
    image = ax.imshow(m, cmap=cmap, aspect="auto", interpolation="nearest", **kwargs)
    ax.grid(False)
    if colorbar:
        fig.colorbar(image, ax=ax)
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if xticklabels is not None:
        labels = [str(label) for label in xticklabels]
        if len(labels) != m.shape[1]:
            raise ValueError(f"plot_heatmap: {len(labels)} xticklabels for {m.shape[1]} columns")
        ax.set_xticks(range(len(labels)), labels)
    return fig, ax


def plot_decision_boundary(predict, X, y, ax=None, steps=200, margin=0.5, title=None,
                           margins=False, legend=True):
    """Colour the plane by the sign of ``predict`` and scatter the labelled points.

    ``predict`` takes an (M, 2) numpy array of points and returns M scores; the
    boundary is where the score changes sign. ``y`` holds two classes ({0, 1} or {-1, +1}).
    ``margins=True`` also draws the boundary (score 0) as a line and the margins (score
    -1 and +1) as dashed lines, the levels a hinge loss cares about.
    """
    X, y = _numpy(X), _numpy(y).ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs points of shape (n, 2); got {X.shape}")
    fig, ax = _axes(ax)
    x_min, y_min = X.min(axis=0) - margin
    x_max, y_max = X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(x_min, x_max, steps), np.linspace(y_min, y_max, steps))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    scores = _numpy(predict(grid)).reshape(gx.shape)
    ax.contourf(gx, gy, scores > 0, levels=[-0.5, 0.5, 1.5], colors=[COLORS[0], COLORS[1]],
                alpha=0.25)
    if margins:
        ax.contour(gx, gy, scores, levels=[-1, 0, 1], colors=["k", "k", "k"],
                   linestyles=["--", "-", "--"], linewidths=[0.8, 1.3, 0.8])
        ax.plot([], [], color="k", lw=1.3, label="boundary (score 0)")
        ax.plot([], [], color="k", ls="--", lw=0.8, label="margins (score ±1)")
    negative_label, positive_label = ("y = −1", "y = +1") if y.min() < 0 else ("y = 0", "y = 1")
    positive = y > (0 if y.min() < 0 else 0.5)
    ax.scatter(X[~positive, 0], X[~positive, 1], s=18, color=COLORS[0], edgecolor="k", lw=0.4,
               label=negative_label)
    ax.scatter(X[positive, 0], X[positive, 1], s=18, color=COLORS[1], edgecolor="k", lw=0.4,
               label=positive_label)
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.grid(False)
    if legend:
        ax.legend(loc="lower left", fontsize=8, frameon=True, framealpha=0.8)
    if title:
        ax.set_title(title)
    return fig, ax


def plot_network(sizes, ax=None, title=None, activation="tanh"):
    """A fully connected network as a diagram: ``sizes = [nin, n1, n2, ...]``.

    Inputs are squares, neurons circles (each with its own bias), and every line is one
    weight. Under each layer: how many neurons and how many parameters it adds.
    """
    if len(sizes) < 2 or any(not isinstance(n, int) or n < 1 for n in sizes):
        raise ValueError(f"sizes must be [nin, n1, ...] with positive integers; got {sizes!r}")
    fig, ax = _axes(ax, figsize=(2.3 * len(sizes) + 0.5, 0.7 * max(sizes) + 1.8))
    tallest = max(sizes)
    ys = [np.linspace(-(n - 1) / 2, (n - 1) / 2, n)[::-1] if n > 1 else np.zeros(1)
          for n in sizes]
    for i in range(len(sizes) - 1):
        for y0 in ys[i]:
            for y1 in ys[i + 1]:
                ax.plot([i, i + 1], [y0, y1], color="0.6", lw=0.7, zorder=1)
    for i, (n, y) in enumerate(zip(sizes, ys, strict=True)):
        if i == 0:
            ax.scatter(np.full(n, i), y, s=260, marker="s", color="white", edgecolor="k",
                       zorder=2)
            text = f"{n} inputs"
        else:
            color = COLORS[1] if i == len(sizes) - 1 else COLORS[0]
            ax.scatter(np.full(n, i), y, s=420, color=color, edgecolor="k", zorder=2)
            kind = "output" if i == len(sizes) - 1 else f"hidden layer {i}"
            biases = f"{n} bias" + ("es" if n > 1 else "")
            text = (f"{kind}: {n} {activation}\n{sizes[i - 1]}·{n} weights + {biases}\n"
                    f"= {sizes[i - 1] * n + n} parameters")
        ax.text(i, -(tallest - 1) / 2 - 0.45, text, ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.6, len(sizes) - 0.4)
    ax.set_ylim(-(tallest - 1) / 2 - 1.6, (tallest - 1) / 2 + 0.4)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig, ax
