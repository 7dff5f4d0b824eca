"""Small shared helpers for the backprop-from-scratch lectures.

Each module does one job, so a notebook can show the idea and not the plumbing:

- ``helpers.graph``: trace an expression graph and draw it with Graphviz.
- ``helpers.plots``: the figures the lectures use, in one style.
- ``helpers.check``: compare hand-written gradients with PyTorch, and numerical gradients.
- ``helpers.data``: the names dataset, its vocabulary and splits, and a moons toy dataset.
"""

__version__ = "0.1.0"
