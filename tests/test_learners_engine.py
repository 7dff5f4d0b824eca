"""helpers.finished.learners_engine: the learner's edition-03 Value, completed, for 04 and 05."""

import math
import random
import re
from pathlib import Path

import nbformat
import pytest

from helpers.finished import value as finished
from helpers.finished.learners_engine import PIECES, learners_engine

ROOT = Path(__file__).resolve().parent.parent
EDITION = ROOT / "exercises" / "03_autograd_engine.ipynb"
LECTURE = ROOT / "lectures" / "03_autograd_engine.ipynb"
ALL_PIECES = [name for _, name, _ in PIECES] + ["topological_order"]


def read(path):
    return nbformat.read(path, as_version=4)


def tags(cell):
    return cell.metadata.get("tags", [])


def filled_edition():
    """Edition 03 with each TODO cell holding the lecture's answer (matched by cell id)."""
    nb = read(EDITION)
    solutions = {c.id: c.source for c in read(LECTURE).cells if "solution" in tags(c)}
    for cell in nb.cells:
        if "todo" in tags(cell):
            assert cell.id in solutions, f"edition 03 is out of date: no solution {cell.id}"
            cell.source = solutions[cell.id]
    return nb


def todo_cell(nb, name):
    """The last TODO cell that defines ``name`` (add, mul and tanh are written twice)."""
    return [c for c in nb.cells if "todo" in tags(c) and f"def {name}(" in c.source][-1]


def save(nb, tmp_path):
    folder = tmp_path / "exercises"
    folder.mkdir(exist_ok=True)
    path = folder / "03_autograd_engine.ipynb"
    nbformat.write(nb, path)
    return path


def said(capsys):
    """The one line learners_engine printed."""
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# --- what lecture 04 builds on it and lecture 05 trains (the lecture's own code) -------------


class Neuron:
    def __init__(self, Value, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))

    def __call__(self, x):
        total = self.b
        for wi, xi in zip(self.w, x, strict=True):
            total = total + wi * xi
        return total.tanh()


class MLP:
    def __init__(self, Value, nin, nouts):
        sizes = [nin] + nouts
        self.layers = [[Neuron(Value, sizes[i]) for _ in range(sizes[i + 1])]
                       for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = [n(x) for n in layer]
        return x[0]

    def parameters(self):
        return [p for layer in self.layers for n in layer for p in n.w + [n.b]]


def train(Value, steps=20):
    """Lecture 04's four examples, MLP(3, [4, 4, 1]), squared error; the loss before each
    step. Every operation lectures 04 and 05 use appears (+ - * / ** tanh relu, plain
    numbers on either side, sum from 0)."""
    random.seed(0)
    model = MLP(Value, 3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(steps):
        predictions = [model(x) for x in xs]
        loss = sum((p - y) ** 2 for p, y in zip(predictions, ys, strict=True)) / len(ys)
        loss = loss + 1e-4 * sum(p * p for p in model.parameters())
        loss = loss + 0 * sum((1 - y * p).relu() for p, y in zip(predictions, ys, strict=True))
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
        losses.append(loss.data)
    return losses


FINISHED_LOSSES = train(finished.Value)


def assert_trains(Value):
    losses = train(Value)
    assert losses[-1] < 0.1 * losses[0]
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(losses, FINISHED_LOSSES,
                                                                  strict=True))


def test_the_finished_engine_trains_on_the_lecture_code():
    assert FINISHED_LOSSES[0] > 1 and FINISHED_LOSSES[-1] < 0.1 * FINISHED_LOSSES[0]


# --- the four cases --------------------------------------------------------------------------


def test_an_unfilled_edition_gives_the_learners_class_with_every_piece_finished(
        tmp_path, capsys):
    path = save(read(EDITION), tmp_path)
    Value = learners_engine(path)
    assert said(capsys) == (
        "exercises/03_autograd_engine.ipynb has none of its pieces written yet: the finished "
        "Value from helpers.finished.value stands in (fill them in there, save it, and run this "
        "cell again)")
    assert Value is not finished.Value and Value.__module__ == "learners_engine"
    assert Value.tanh is finished.tanh and Value.backward is finished.backward
    assert_trains(Value)


def test_the_lectures_answers_are_used_and_nothing_stands_in(tmp_path, capsys):
    path = save(filled_edition(), tmp_path)
    Value = learners_engine(path)
    assert said(capsys) == "using your Value from exercises/03_autograd_engine.ipynb"
    for attr, name, _ in PIECES:
        assert getattr(Value, attr) is not getattr(finished, name), name
    assert Value.tanh.__module__ == "learners_engine"
    assert_trains(Value)


def test_it_is_found_in_the_folder_the_notebook_runs_in(tmp_path, capsys, monkeypatch):
    path = save(filled_edition(), tmp_path)
    monkeypatch.chdir(path.parent)
    Value = learners_engine()
    assert said(capsys) == "using your Value from exercises/03_autograd_engine.ipynb"
    assert Value.exp.__module__ == "learners_engine"


def test_a_missing_piece_and_one_its_check_refuses_are_finished_and_named(tmp_path, capsys):
    nb = filled_edition()
    todo_cell(nb, "exp").source = (
        "def exp(self):\n    raise NotImplementedError  # TODO\n\n\nValue.exp = exp\n")
    todo_cell(nb, "log").source = todo_cell(nb, "log").source.replace(
        "(1 / self.data)", "self.data")                 # a wrong local derivative
    relu = todo_cell(nb, "relu")                         # relu's cells gone altogether
    nb.cells = [c for c in nb.cells if c.id not in (relu.id, f"{relu.id}-fallback")]
    Value = learners_engine(save(nb, tmp_path))
    assert said(capsys) == (
        "using your Value from exercises/03_autograd_engine.ipynb, with finished stand-ins from "
        "helpers.finished.value for: exp, relu (not written yet); log (refused by its check)")
    assert Value.exp is finished.exp and Value.log is finished.log
    assert Value.relu is finished.relu and Value.tanh is not finished.tanh
    assert_trains(Value)


@pytest.mark.parametrize(("cell_source", "why"), [
    ("def exp(self):\n    return Value(math.exp(self.data), (self,), 'exp')\n\n\n"
     "Value.exp = expo\n",
     "the cell that defines `exp` raised NameError: name 'expo' is not defined at its line 5"),
    ("def exp(self):\n    return Value(math.exp(self.data), (self,), 'exp'\n\n\nValue.exp = exp\n",
     "the cell that defines `exp` has a SyntaxError at its line 2: '(' was never closed"),
])
def test_an_engine_that_raises_when_built_falls_back_and_says_where(
        tmp_path, capsys, cell_source, why):
    nb = filled_edition()
    todo_cell(nb, "exp").source = cell_source
    Value = learners_engine(save(nb, tmp_path))
    assert said(capsys) == f"using the finished Value from helpers.finished.value ({why})"
    assert Value is finished.Value


def test_a_missing_or_unreadable_edition_falls_back_and_says_why(tmp_path, capsys,
                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert learners_engine("99_no_such_edition.ipynb") is finished.Value
    assert said(capsys) == (
        "using the finished Value from helpers.finished.value (exercises/99_no_such_edition.ipynb "
        "not found next to this notebook nor in the repository's exercises/)")
    (tmp_path / "exercises").mkdir()
    broken = tmp_path / "exercises" / "03_autograd_engine.ipynb"
    broken.write_text('{"cells": [')
    assert learners_engine(broken) is finished.Value
    line = said(capsys)
    assert re.fullmatch(r"using the finished Value from helpers\.finished\.value \(exercises/"
                        r"03_autograd_engine\.ipynb could not be read: \w+Error: .+\)", line)


def test_only_what_builds_the_engine_runs(tmp_path, capsys):
    """A helper in a cell of the learner's own and a constant in a TODO cell are kept; the
    checks, prints and experiments around them are not run (they would raise)."""
    nb = filled_edition()
    tanh = todo_cell(nb, "tanh")
    tanh.source = tanh.source.replace("(1 - t**2)", "one_minus_power(t, POWER)") + (
        "\nPOWER = 2\nprint(Value(0.5).exp())  # exp is not written yet: this would raise\n")
    helper = nbformat.v4.new_code_cell(
        "def one_minus_power(t, k):\n    return 1 - t**k\n\n\nassert False, 'not run'\n")
    nb.cells.insert(nb.cells.index(tanh), helper)
    Value = learners_engine(save(nb, tmp_path))
    assert said(capsys) == "using your Value from exercises/03_autograd_engine.ipynb"
    backward_code = next(c for c in Value.tanh.__code__.co_consts if hasattr(c, "co_names"))
    assert "one_minus_power" in backward_code.co_names     # the learner's tanh is used
    assert_trains(Value)
