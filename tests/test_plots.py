"""helpers.tools.plots: each figure draws what it should, returns (fig, ax) and prints nothing."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers.tools import plots  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures(capsys):
    yield
    plt.close("all")
    assert capsys.readouterr().out == ""  # plotting prints nothing


def test_plot_function_draws_the_tangent_with_the_given_slope():
    fig, ax = plots.plot_function(lambda x: x**2, np.linspace(-2, 2, 41), x0=1.0, slope=2.0)
    curve, tangent, point = ax.lines
    tx, ty = tangent.get_data()
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(2.0)
    assert np.interp(1.0, tx, ty) == pytest.approx(1.0)
    assert point.get_data()[1][0] == pytest.approx(1.0)
    assert fig is ax.figure


def test_plot_function_estimates_the_slope_when_not_given():
    _, ax = plots.plot_function(lambda x: x**3, np.linspace(0, 3, 31), x0=2.0)
    tx, ty = ax.lines[1].get_data()
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(12.0, rel=1e-6)


def test_plot_loss_raw_and_block_means_and_log_scale():
    losses = torch.arange(1.0, 21.0)
    _, ax = plots.plot_loss(losses, smooth=5, log=True)
    raw, smooth = ax.lines
    assert len(raw.get_ydata()) == 20
    assert smooth.get_ydata().tolist() == [3.0, 8.0, 13.0, 18.0]
    assert ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="smooth"):
        plots.plot_loss(losses, smooth=0.5)


def test_plot_histograms_one_per_array_with_stats_in_the_legend():
    rng = np.random.default_rng(0)
    _, ax = plots.plot_histograms({"layer 1": rng.normal(size=500), "layer 2": torch.ones(10)})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[1] == "layer 2: mean +1.00, std 0.00"
    assert len(ax.patches) == 2


def test_plot_heatmap_is_centred_on_zero_and_needs_2d():
    fig, ax = plots.plot_heatmap(torch.tensor([[1.0, -3.0], [0.5, 2.0]]))
    image = ax.images[0]
    assert image.get_clim() == (-3.0, 3.0)
    assert len(fig.axes) == 2  # the colour bar
    with pytest.raises(ValueError, match="2-D"):
        plots.plot_heatmap(np.ones(3))


def test_plot_decision_boundary_draws_into_given_axes():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    y = np.array([-1, 1, 1])
    fig, ax = plt.subplots()
    fig2, ax2 = plots.plot_decision_boundary(lambda pts: pts[:, 0] - 0.5, X, y, ax=ax, steps=20)
    assert (fig2, ax2) == (fig, ax)
    assert len(ax.collections) >= 2
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plots.plot_decision_boundary(lambda pts: pts[:, 0], np.ones((3, 3)), y)


def test_plot_decision_boundary_margins_and_legend():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([-1, 1, 1, -1])
    fig, ax = plots.plot_decision_boundary(lambda pts: 4 * (pts[:, 0] - 0.5), X, y, steps=30,
                                           margins=True)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["boundary (score 0)", "margins (score ±1)", "y = −1", "y = +1"]
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"
    plt.close(fig)
    fig, ax = plots.plot_decision_boundary(lambda pts: pts[:, 0], X, (y + 1) // 2, steps=10,
                                           legend=False)
    assert ax.get_legend() is None
    plt.close(fig)


def test_plot_network_draws_every_neuron_and_weight():
    fig, ax = plots.plot_network([3, 4, 4, 1])
    assert len(ax.lines) == 3 * 4 + 4 * 4 + 4 * 1        # one line per weight
    assert sum(len(c.get_offsets()) for c in ax.collections) == 3 + 4 + 4 + 1
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == "3 inputs" and "= 5 parameters" in texts[-1] and "1 bias\n" in texts[-1]
    plt.close(fig)
    with pytest.raises(ValueError, match="positive integers"):
        plots.plot_network([3, 0, 1])
