"""helpers.checks.feedback: what Jupyter shows when a check refuses an answer.

Each test runs cells in a real kernel (nbclient) and reads the error output as JupyterLab
receives it: the diagnosis comes first, no frame of helpers' code is shown, and at most the
line of the learner's cell that ran the check.
"""

import re

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.checks import feedback

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def shown():
    """The plain lines each cell's error output shows, one list per cell (None: no error)."""
    cells = {
        "derivative": ("from helpers.checks.derivatives import check_grad_f\n\n"
                       "check_grad_f(lambda a, b, c: [1.0, 2.0, 3.0])"),
        "engine": ("from helpers.finished.value import Value\n"
                   "from helpers.checks.engine import check_forward\n\n\n"
                   "def add(self, other):\n"
                   "    return Value(self.data * other.data, (self, other), '+')\n\n\n"
                   "Value.__add__ = add\n"
                   "check_forward(Value, 'add')"),
        "nn": ("from helpers.tools.engine import Value\n"
               "from helpers.checks.nn import check_squared_error\n"
               "\n\ndef squared_error(predictions, targets):\n"
               "    return sum((p - y) for p, y in zip(predictions, targets))\n\n\n"
               "check_squared_error(squared_error)"),
        "check": ("import torch\nfrom helpers.checks.compare import compare\n\n"
                  "x = torch.randn(4, 3, requires_grad=True)\n(2 * x).sum().backward()\n"
                  "result = compare('x', torch.ones(4, 3), x)\n"
                  "assert result.ok, result.hint or result.line"),
        "ninja": ("import torch\nfrom helpers.checks.ninja import check_forward_backward\n\n"
                  "X = torch.randint(0, 27, (64, 3))\nY = torch.randint(0, 27, (64,))\n"
                  "check_forward_backward(lambda params, Xb, Yb: list(params.values()), X, Y)"),
        "raises": ("from helpers.checks.derivatives import check_grad_f\n\n\n"
                   "def grad_f(a, b, c):\n    return [1 / (a - a), 0.0, 0.0]\n\n\n"
                   "check_grad_f(grad_f)"),
        "handed": ("from helpers.checks.derivatives import check_difference_quotients\n\n\n"
                   "def forward_grad(fn, point, h):\n"
                   "    return [(fn(list(point)) - fn(*point)) / h for _ in point]\n\n\n"
                   "check_difference_quotients(forward_grad, forward_grad)"),
        "bare": "x = 3\nassert x == 2",
        "plain": "1 / 0",
    }
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import helpers")] + [
        nbformat.v4.new_code_cell(source) for source in cells.values()])
    NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=120).execute()
    result = {}
    for name, cell in zip(cells, nb.cells[1:], strict=True):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        result[name] = ANSI.sub("", "\n".join(errors[0].traceback)).split("\n") if errors \
            else None
    return result


@pytest.mark.parametrize("name, first", [
    ("derivative", "∂f/∂a differs at (a, b, c) = (2, 3, 4)"),
    ("engine", "add"),
    ("nn", "squared_error"),
    ("check", "off by a constant factor 0.5"),
    ("ninja", "forward_backward returned"),
])
def test_a_refused_answer_shows_the_diagnosis_first_and_no_helpers_frames(shown, name, first):
    lines = shown[name]
    assert lines is not None, f"the {name} check accepted a wrong answer"
    assert lines[0].startswith(first), lines
    assert not any("helpers/" in line or "Traceback" in line or "File " in line
                   for line in lines), lines
    assert len([line for line in lines if line.startswith("(checked by line")]) <= 1, lines
    assert lines[-1].startswith("(checked by line"), lines


def test_the_learners_own_exception_shows_their_frame_and_the_input_that_caused_it(shown):
    lines = shown["raises"]
    assert lines[0] == ("your grad_f(a=2.0, b=3.0, c=4.0) raised ZeroDivisionError: "
                        "float division by zero"), lines
    assert lines[1] == "ZeroDivisionError raised here, in your code:", lines
    assert any("of `grad_f`: return [1 / (a - a), 0.0, 0.0]" in line for line in lines), lines
    assert not any("helpers/" in line for line in lines), lines
    assert lines[-1].startswith("(checked by line 8 of your cell: check_grad_f(grad_f))"), lines


def test_a_bare_assert_shows_its_line_and_other_errors_keep_ipythons_traceback(shown):
    assert shown["bare"] == ["this check failed: assert x == 2"]
    assert any("Traceback" in line for line in shown["plain"])
    assert shown["plain"][-1].startswith("ZeroDivisionError")


def test_outside_ipython_nothing_is_installed():
    assert feedback.install() is False


def test_a_check_cell_saves_its_outcome_in_an_invisible_output():
    cells = ["import helpers\nfrom helpers.checks.guard import filled_in\n\nx = None",
             "if filled_in(x=x):\n    assert x == 2, 'x is off by one: count again'",
             "x = 3",
             "if filled_in(x=x):\n    assert x == 2, 'x is off by one: count again'",
             "x = 2",
             "if filled_in(x=x):\n    assert x == 2, 'x is off by one: count again'",
             "print('no check here')"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=60).execute()
    found = [[o.data[feedback.OUTCOME] for o in c.outputs
              if feedback.OUTCOME in o.get("data", {})] for c in nb.cells]
    assert found[1] == [{"answers": ["x"], "status": "not yet", "missing": ["x"],
                         "diagnosis": "not implemented yet: x"}]
    assert found[3] == [{"answers": ["x"], "status": "refused", "missing": [],
                         "diagnosis": "x is off by one: count again"}]
    assert found[5] == [{"answers": ["x"], "status": "passed", "missing": [], "diagnosis": ""}]
    assert found[0] == found[2] == found[4] == found[6] == []
    shown = [o for o in nb.cells[5].outputs if feedback.OUTCOME in o.get("data", {})]
    assert shown[0].data["text/plain"] == ""   # JupyterLab and Colab show nothing for it


def test_a_function_that_calls_itself_without_end_is_shown_once_with_its_count():
    frame = feedback.traceback.FrameSummary

    def at(line, name, where="/tmp/ipykernel_1/2.py"):
        return frame(where, line, name, line=f"line {line} of {name}")

    lines = feedback._frames([at(3, "radd")] * 500)
    assert lines == ["  line 3 of `radd`: line 3 of radd",
                     "  ... the line above again, 499 more times: `radd` calls itself over "
                     "and over"]
    # three different __call__s at the same line number are no recursion, nor is a short run
    calls = [at(5, "__call__", f"/tmp/ipykernel_1/{k}.py") for k in range(3)] + [at(7, "f")] * 2
    assert feedback._frames(calls) == [feedback._where(f) for f in calls]
