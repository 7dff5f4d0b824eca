"""Shared code for the backprop-from-scratch lectures, in three parts.

- ``helpers.tools``: what the lectures use, so a notebook shows the idea and not the
  plumbing: the fast scalar engine (``engine``), the neural-net library on it (``nn``),
  graph drawing (``graph``), figures (``plots``), datasets (``data``), interactive figures
  (``widgets``), progress bars (``progress``) and the BatchNorm MLP of lectures 06-08
  (``ninja``).
- ``helpers.finished``: what the learner builds, finished, to compare with or to stand in
  while a TODO is open: the engine's pieces (``value``), and ``learners_engine``, which
  reads back the learner's own engine from edition 03 for editions 04 and 05.
- ``helpers.checks``: what checks answers: one core (``core``) that runs the learner's code
  and judges it, the tables of each arc (``derivatives``, ``engine``, ``nn``, ``ninja``),
  tensor comparisons (``compare``, ``paths``), the guard for unwritten answers (``guard``),
  how a refusal reads in a notebook (``feedback``, installed below) and progress reports
  (``report``).
"""

from helpers.checks import feedback as _feedback

__version__ = "0.1.0"

_feedback.install()   # inside IPython: a check's diagnosis first, no frames of helpers' code
