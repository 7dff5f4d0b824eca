"""Small shared helpers for the backprop-from-scratch lectures.

Each module does one job, so a notebook can show the idea and not the plumbing:

- ``helpers.graph``: trace an expression graph and draw it with Graphviz.
- ``helpers.plots``: the figures the lectures use, in one style.
- ``helpers.check``: compare hand-written gradients with PyTorch, and numerical gradients.
- ``helpers.data``: the names dataset, its vocabulary and splits, and a moons toy dataset.
- ``helpers.engine``: the finished scalar autograd engine (``Value``) of lectures 02-03.
- ``helpers.nn``: ``Neuron``, ``Layer`` and ``MLP`` on top of it (lectures 04-05).
- ``helpers.ninja``: the BatchNorm MLP of lectures 06-08 and its hand-written backward pass.
- ``helpers.progress``: a progress bar for long loops that leaves no output behind.
- ``helpers.widgets``: the interactive figures (a slider over precomputed frames).
- ``helpers.feedback``: a refused answer shows the check's diagnosis first (installed below).

For the exercise editions (``exercises/``), where the learner writes each piece:

- ``helpers.exercises``: the guard for unwritten answers, and the finished stand-in.
- ``helpers.micrograd``: the finished pieces of lectures 02-03, on the lecture's own ``Value``.
- ``helpers.learners_engine``: the ``Value`` the learner completed in edition 03, for 04-05.
- ``helpers.derivative_check``, ``helpers.engine_check``, ``helpers.nn_check``: the checks of
  lectures 01-02, 02-03 and 04-05 (every right answer passes; a wrong one is told what differs).
- ``helpers.paths``: a tensor gradient split into its chain-rule paths, to name the one an
  answer got wrong (``helpers.check.compare(named=...)``).
"""

from helpers import feedback as _feedback

__version__ = "0.1.0"

_feedback.install()   # inside IPython: a check's diagnosis first, no frames of helpers' code
