"""Answers for the four-way edition tests in ``tests/test_editions.py``.

For each lecture whose edition the learner builds code in (02-05), its owner writes a module
named like the lecture, ``tests/edition_answers/03_autograd_engine.py``, holding::

    ANSWERS = {
        "add": {                       # which TODO cell (see "Keys" below)
            "alternatives": [          # at least one: correct, but written differently
                "def add(self, other):\\n    ...\\n\\n\\nValue.__add__ = add\\n",
            ],
            "mistakes": [              # may be empty; each makes the check cell fail
                # (the whole TODO cell, text the check's output must contain,
                #  [texts it must NOT contain: diagnoses that do not fit])
                ("def add(self, other):\\n    ...\\n\\n\\nValue.__add__ = add\\n",
                 "+=", ["out.grad"]),
            ],
        },
    }

Keys. A TODO cell's key is the first name it defines: its first ``def`` or ``class``, or,
in a cell of values only, its first ``name = None``. When several TODO cells start with the
same name, the second is ``"add#2"``, the third ``"add#3"`` (in the order of the notebook).
Every TODO cell of the edition needs a key with at least one alternative, and every key
must name a TODO cell: the test says which are missing or unknown.

Sources. Each alternative and each mistake is the whole TODO cell as a learner would write
it, with the lines that attach functions to a class (``Value.__add__ = add``). The lecture's
own answer comes from the lecture and is not repeated here.

What the test does with them, in one kernel per walk (no notebook runs once per mistake):

- filled with the lecture's answers: at each TODO cell each mistake runs, then the check
  cell right after the TODO (it must exist when there are mistakes); the check must fail
  (an error in its output) and its output (printed text and the error message) must
  contain the expected text and none of the texts it must not contain. Then the lecture's
  answer runs in the TODO cell and the walk goes on: every other cell runs without an
  error, no check says "not implemented yet", and no finished version stands in;
- filled with the alternatives: at each TODO cell every alternative but the last runs with
  the check cell (which must pass); the last one stays, and the whole notebook runs as
  above.

``example_synthetic.py`` is the example, for the small synthetic lecture of the tests.
"""
