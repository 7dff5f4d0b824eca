"""Where a learner stands across the course, and what a class got wrong: the checks' outcomes.

    python -m helpers.checks.report                # run every exercises/*.ipynb, print a table
    python -m helpers.checks.report exercises/06_manual_backprop.ipynb --timeout 120
    python -m helpers.checks.report --saved               # read the outcomes saved in the notebooks
    python -m helpers.checks.report class SUBMISSIONS --out OUT [--workers N] [--timeout S]

This runs the learners' code, as nbgrader and otter-grader do: run it on a machine (or in a
container) where that is acceptable (see the README, "Progress and class reports").

**Learner mode** runs each edition on a copy (a fresh kernel each, in a temporary folder,
nothing written back), or with ``--saved`` reads the outcomes the notebook already holds, and
prints per lecture a table of blanks (status and diagnosis) and the totals.

**Class mode**: ``SUBMISSIONS`` holds one folder per learner, each with any of the editions
(``*.ipynb`` anywhere below it). Every notebook is copied and run, ``--workers`` at a time
(default: one per core), then ``OUT/report.csv`` gets one row per learner, lecture and blank
(``learner, lecture, blank, status, diagnosis, file``) and ``OUT/summary.md`` one page for the
class: each blank's completion rate and most common diagnoses, with ``OUT/completion.png``.
``--executed`` also keeps the executed copies under ``OUT/executed/LEARNER/``.

**A blank** is a TODO cell of the current edition (written by ``scripts/editions.py`` from
the lecture), keyed as in ``tests/edition_answers`` (its first ``def`` or ``class`` name, else
its first ``name = None``; ``"add#2"`` for a repeat). It is found in a learner's notebook by
its cell id (JupyterLab keeps ids), else by the order of the cells tagged ``todo``. Its check
is the first later code cell ``if filled_in(...)`` that waits for one of its answers, before
the next TODO cell (``scripts/editions.check_index``). Its status:

- ``passed``: its check ran and accepted the answer (the only status counted as *done*);
- ``refused``: its check ran and refused it; the diagnosis is the check's first line (an
  error in the TODO cell itself is named first: ``your cell raised ...``);
- ``not yet``: one of its own answers is still the ``None`` or the stub of its TODO cell;
- ``waiting``: written, but its check waits for an earlier blank that is still open;
- ``timed out`` / ``crashed``: its TODO cell or its check ran past the per-cell timeout,
  or the kernel died there (``os._exit``, a segfault, memory); nothing after it ran;
- ``not run``: the run stopped before its check (a timeout or a dead kernel earlier on);
  with ``--saved``, a written blank whose check was never run (``not yet`` if unwritten);
- ``missing``: the notebook has no such TODO cell (an older edition);
- ``written`` / ``not yet`` for a blank without a check cell (no current edition has one):
  whether its TODO cell differs from the edition's stub and ran without an error.

A file that cannot be run gets one row with an empty blank and one of these statuses:
``not json``, ``not a notebook``, ``wrong lecture`` (it holds another lecture's edition),
``not an edition`` (a lecture with its answers, or a notebook of no lecture), ``error`` (the
report itself failed on it). An older edition is run; its file row says ``old edition`` and
its unknown blanks are ``missing``.

What a kernel prints is cut at :data:`OUTPUT_LIMIT` characters per cell (a first cell, not
reported, wraps ``sys.stdout`` and ``sys.stderr``), a cell keeps at most :data:`MAX_OUTPUTS`
outputs (displays; its error and its check's outcome always), and what the kernel writes to
its own file descriptors is discarded, so a flood costs neither memory nor a terminal.
"""

import argparse
import csv
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

# jsonschema (under nbformat) imports rfc3987_syntax where it is installed (jupyter-events pulls
# it in), only for the "iri" format, which no notebook uses; building its grammar takes ~4 s
# of every report process (the command and each worker). Skipped here: ImportError, as if absent.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402

from helpers.checks.feedback import OUTCOME

ROOT = Path(__file__).resolve().parents[2]
LECTURES = ROOT / "lectures"
EXERCISES = ROOT / "exercises"
TODO_TAG, SOLUTION_TAG = "todo", "solution"
DEFAULT_TIMEOUT = 300      # seconds per cell: lecture 08's training cell takes 1-2 minutes
OUTPUT_LIMIT = 100_000     # characters a cell may print (stdout and stderr each)
MAX_OUTPUTS = 100          # outputs a cell may add (displays); errors and outcomes always kept
NOT_YET = "not implemented yet: "
DONE = "passed"
FIELDS = ["learner", "lecture", "blank", "status", "diagnosis", "file"]

# The first cell of every run (not reported): caps what each cell prints.
CAP_CELL = f"""\
def _report_cap(limit):
    import sys

    class Capped:
        def __init__(self, stream):
            self._stream, self.written = stream, 0

        def write(self, text):
            if self.written >= limit:
                return len(text)
            self.written += len(text)
            if self.written >= limit:
                text = text[:len(text) - (self.written - limit)]
                text += f"\\n[helpers.checks.report: output cut after {{limit:,}} characters]\\n"
            return self._stream.write(text)

        def __getattr__(self, name):
            return getattr(self._stream, name)

    out, err = Capped(sys.stdout), Capped(sys.stderr)
    sys.stdout, sys.stderr = out, err

    def reset(*_):
        out.written = err.written = 0

    get_ipython().events.register("pre_run_cell", reset)


_report_cap({OUTPUT_LIMIT})
del _report_cap
"""


# --- the current editions: their blanks ------------------------------------------------------


@cache
def _editions():
    path = ROOT / "scripts" / "editions.py"
    if not path.exists() or not LECTURES.is_dir():
        raise SystemExit("helpers.checks.report needs the course repository (lectures/ and "
                         "scripts/editions.py): run it from a clone, with helpers installed "
                         "from it (pip install -e .)")
    spec = importlib.util.spec_from_file_location("editions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


@dataclass
class Blank:
    key: str            # as in tests/edition_answers: first def/class, else first name = None
    cell_id: str        # the TODO cell's id (the lecture's solution cell's id)
    answers: list       # the names the TODO cell defines
    stub: str           # the TODO cell as the edition has it
    check_id: str | None   # the id of its check cell, None when it has none


@dataclass
class Reference:
    lecture: str        # "01_derivatives"
    blanks: list = field(default_factory=list)


def blank_key(source, seen):
    """The key of the TODO cell ``source`` (``seen`` counts the names keyed so far)."""
    import ast

    tree = ast.parse(source)
    defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    names = defined or _editions()._assigned_in_order(tree)
    name = names[0] if names else "?"
    seen[name] = seen.get(name, 0) + 1
    return name if seen[name] == 1 else f"{name}#{seen[name]}"


def blanks_of(nb):
    """The blanks of the edition ``nb`` (a notebook node), in order."""
    import ast

    editions = _editions()
    blanks, seen = [], {}
    for i, cell in enumerate(nb.cells):
        if TODO_TAG not in _tags(cell):
            continue
        answers = editions._assigned_in_order(ast.parse(cell.source))
        check = editions.check_index(nb.cells, i, answers)
        blanks.append(Blank(blank_key(cell.source, seen), cell.get("id"), answers, cell.source,
                            None if check is None else nb.cells[check].get("id")))
    return blanks


def lecture_names():
    return [p.stem for p in _editions().notebooks.lecture_paths()]


@cache
def reference(lecture):
    """The blanks of the current edition of ``lecture`` ("01_derivatives")."""
    text = _editions().edition(LECTURES / f"{lecture}.ipynb")
    return Reference(lecture, blanks_of(nbformat.reads(text, as_version=4)))


@cache
def expected_seconds(lecture):
    """How long the lecture says it runs (its metadata ``lecture.runs``: "5 s", "1–2 min"):
    the upper figure in seconds, 60 when it says nothing readable."""
    if lecture not in lecture_names():
        return 0
    runs = nbformat.read(LECTURES / f"{lecture}.ipynb", as_version=4).metadata.get(
        "lecture", {}).get("runs", "")
    match = re.search(r"(\d+(?:\.\d+)?)\s*(s|min)\b", str(runs))
    return float(match[1]) * (60 if match[2] == "min" else 1) if match else 60


@cache
def solution_ids():
    """``{lecture: the ids of its solution cells}``: the ids of its edition's TODO cells."""
    ids = {}
    for lecture in lecture_names():
        nb = nbformat.read(LECTURES / f"{lecture}.ipynb", as_version=4)
        ids[lecture] = {c.get("id") for c in nb.cells if SOLUTION_TAG in _tags(c)}
    return ids


# --- reading a submitted file ----------------------------------------------------------------


class BadFile(Exception):
    """A file the report cannot run: ``status`` (see the module docstring) and its line."""

    def __init__(self, status, line):
        super().__init__(line)
        self.status, self.line = status, line


def read_notebook(path):
    """The notebook at ``path``, or BadFile saying why it is none."""
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise BadFile("error", f"cannot read the file: {err.strerror}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadFile("not json", "not a notebook: the file is not text (not JSON)") from None
    except json.JSONDecodeError as err:
        raise BadFile("not json", f"not a notebook: not JSON ({err.msg} at line {err.lineno}, "
                                  f"column {err.colno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) \
            or not isinstance(data.get("nbformat"), int):
        raise BadFile("not a notebook", "JSON, but not a Jupyter notebook (no cells or "
                                        "nbformat version)")
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as err:  # noqa: BLE001 (any reason nbformat gives)
        raise BadFile("not a notebook", f"not a notebook nbformat can read: "
                                        f"{str(err).splitlines()[0][:120]}") from None
    for cell in nb.cells:   # a notebook too damaged to run is no notebook
        if not isinstance(cell.get("source"), str) or cell.get("cell_type") not in (
                "code", "markdown", "raw"):
            raise BadFile("not a notebook", "a notebook with malformed cells")
    return nb


def lecture_of(nb):
    """The lecture whose edition ``nb`` is, by its TODO cells' ids; None if none fits."""
    ids = {c.get("id") for c in nb.cells} - {None}   # tags may be lost; the ids are unique
    best = max(solution_ids().items(), key=lambda item: len(item[1] & ids), default=None)
    return best[0] if best and best[1] & ids else None


def match_blanks(ref, nb):
    """``{blank key: index of its TODO cell in nb}``, and the TODO cells of nb no blank has."""
    index = {c.get("id"): i for i, c in enumerate(nb.cells) if c.get("id")}
    found = {b.key: index[b.cell_id] for b in ref.blanks if b.cell_id in index}
    tagged = [i for i, c in enumerate(nb.cells) if TODO_TAG in _tags(c)]
    if not found and len(tagged) == len(ref.blanks):   # no ids (an old nbformat): by order
        found = {b.key: i for b, i in zip(ref.blanks, tagged, strict=True)}
    extra = [i for i in tagged if i not in found.values()]
    return found, extra


def verdict(path, nb, expected=None):
    """(lecture, note) for a notebook to run, or BadFile. ``expected``: the lecture its name
    says (None when the name is no lecture's). ``note`` is "" or the old-edition line."""
    if any(SOLUTION_TAG in _tags(c) for c in nb.cells) and not any(
            TODO_TAG in _tags(c) for c in nb.cells):
        raise BadFile("not an edition", "this is a lecture with its answers, not an exercise "
                                        "edition")
    holds = lecture_of(nb)
    if expected is not None and holds is not None and holds != expected:
        raise BadFile("wrong lecture", f"named {Path(path).name} but it holds the edition of "
                                       f"lecture {holds}")
    lecture = expected or holds
    if lecture is None:
        raise BadFile("not an edition", "no blank of any lecture's edition in it (no TODO "
                                        "cell with a known id)")
    ref = reference(lecture)
    found, extra = match_blanks(ref, nb)
    if not found:
        raise BadFile("not an edition", f"none of the {len(ref.blanks)} blanks of {lecture} "
                                        f"is in it")
    missing = [b.key for b in ref.blanks if b.key not in found]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks {len(missing)} blank(s) of the current edition "
                         f"({', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''})")
        if extra:
            parts.append(f"has {len(extra)} TODO cell(s) the current edition no longer has")
        return lecture, "an older edition: it " + " and ".join(parts)
    return lecture, ""


# --- running a notebook and reading its outcomes ---------------------------------------------


def outcome_of(cell):
    """The outcome the check cell saved (helpers.checks.feedback), or None."""
    found = [o["data"][OUTCOME] for o in cell.get("outputs", [])
             if OUTCOME in o.get("data", {})]
    return found[-1] if found else None


def _error_of(cell):
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return f"{errors[-1].get('ename')}: {errors[-1].get('evalue', '')}" if errors else None


def _printed(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if "text" in o)


def _first_line(text, width=300):
    line = (str(text).strip().splitlines() or [""])[0].strip()
    return line if len(line) <= width else line[:width - 3] + "..."


def _same(a, b):
    return [line.rstrip() for line in a.strip().splitlines()] == \
        [line.rstrip() for line in b.strip().splitlines()]


def _cell_line(nb, i):
    code = next((line.strip() for line in nb.cells[i].source.splitlines()
                 if line.strip() and not line.strip().startswith("#")), "")
    return f"cell {i + 1} (`{_first_line(code, 60)}`)"


@cache
def _capped_client():
    """nbclient's client, keeping at most MAX_OUTPUTS outputs of a cell (and a line saying
    so), besides its errors and the checks' outcomes."""
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        def output(self, outs, msg, display_id, cell_index):
            kept = msg["msg_type"] == "error" or OUTCOME in msg["content"].get("data", {})
            if len(outs) >= MAX_OUTPUTS and not kept:
                note = f"[helpers.checks.report: outputs cut after {MAX_OUTPUTS}]\n"
                if not any(o.get("text") == note for o in outs):
                    outs.append(nbformat.v4.new_output("stream", name="stderr", text=note))
                return None
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


def run_notebook(nb, workdir, timeout, on_cell=None):
    """Execute a copy of ``nb`` in a fresh kernel in ``workdir``. Returns (the executed copy,
    {cell index: "timed out" | "crashed"} for the cell where the run stopped)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    copy = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    cap = nbformat.v4.new_code_cell(CAP_CELL)
    copy.cells.insert(0, cap)
    client = _capped_client()(copy, kernel_name="python3", timeout=timeout, allow_errors=True,
                            shutdown_kernel="immediate", record_timing=False,
                            resources={"metadata": {"path": str(workdir)}})
    stopped = {}
    with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             cwd=str(workdir)):
        for index, cell in enumerate(copy.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                stopped[index - 1] = "timed out"
            except DeadKernelError:
                stopped[index - 1] = "crashed"
            if on_cell is not None and index:
                on_cell()
            if stopped:
                break
    copy.cells.pop(0)
    return copy, stopped


def blank_rows(lecture, nb, stopped=None, saved=False, timeout=DEFAULT_TIMEOUT):
    """``[(blank, status, diagnosis)]`` for the edition ``nb`` of ``lecture``, run
    (``stopped`` as :func:`run_notebook` gives it) or as saved (``saved=True``)."""
    editions = _editions()
    stopped = stopped or {}
    stop_at = min(stopped, default=None)
    ref = reference(lecture)
    found, _ = match_blanks(ref, nb)
    index = {c.get("id"): i for i, c in enumerate(nb.cells) if c.get("id")}
    rows = []
    for blank in ref.blanks:
        if blank.key not in found:
            rows.append((blank.key, "missing", "this blank is not in the notebook (an older "
                                               "edition?)"))
            continue
        todo = found[blank.key]
        if blank.check_id in index and index[blank.check_id] > todo:
            check = index[blank.check_id]
        else:
            check = editions.check_index(nb.cells, todo, blank.answers)
        rows.append((blank.key, *_status(nb, blank, todo, check, stop_at,
                                          stopped.get(stop_at), saved, timeout)))
    return rows


def _status(nb, blank, todo, check, stop_at, why, saved, timeout):
    todo_cell = nb.cells[todo]
    own_error = _error_of(todo_cell)
    if stop_at is not None and stop_at in (todo, check):
        where = "your TODO cell" if stop_at == todo else "its check"
        if why == "timed out":
            return why, f"{where} ran past the {timeout:g} s timeout (an endless loop?)"
        return why, f"the kernel died in {where} (os._exit, a crash, or out of memory)"
    if stop_at is not None and stop_at < (todo if check is None else check):
        what = "ran past the timeout" if why == "timed out" else "killed the kernel"
        return "not run", f"not run: {_cell_line(nb, stop_at)} {what}"
    if check is None:   # no check cell: judged by the TODO cell alone
        if _same(todo_cell.source, blank.stub):
            return "not yet", "not written yet (this blank has no check)"
        if own_error:
            return "refused", f"your cell raised {_first_line(own_error)}"
        return "written", "written (this blank has no check)"
    check_cell = nb.cells[check]
    found = outcome_of(check_cell)
    if found is None:   # no outcome saved: the check never ran, or ran without feedback
        error = _error_of(check_cell)
        if error is not None:
            found = {"status": "refused", "diagnosis": error}
        elif NOT_YET in _printed(check_cell):
            line = next(x for x in _printed(check_cell).splitlines() if NOT_YET in x)
            found = {"status": "not yet", "diagnosis": line.split(" (")[0]}
        elif check_cell.get("execution_count") is None:
            if _same(todo_cell.source, blank.stub):
                return "not yet", "not written yet (its check has not run)"
            return "not run", "written, but its check has not run" + (
                " in the saved notebook" if saved else "")
        else:
            found = {"status": "passed", "diagnosis": ""}
    status, diagnosis = found.get("status"), found.get("diagnosis", "")
    if status == "not yet":
        missing = found.get("missing") or [
            n.strip() for n in diagnosis.removeprefix(NOT_YET).split(",")]
        if not set(missing) & set(blank.answers):
            return "waiting", f"its check waits for an earlier blank: {', '.join(missing)}"
        return "not yet", diagnosis
    if status == "refused" and own_error:
        return "refused", f"your cell raised {_first_line(own_error)}"
    if saved and (todo_cell.get("execution_count") or 0) > (check_cell.get("execution_count")
                                                           or 0):
        diagnosis = (diagnosis + " " if diagnosis else "") + \
            "(the TODO cell ran after its check: run the check again)"
    return status if status in ("passed", "refused") else "refused", _first_line(diagnosis)


def report_file(path, timeout=DEFAULT_TIMEOUT, saved=False, name=None, on_cell=None,
                keep=None):
    """The rows ``[(lecture, blank, status, diagnosis)]`` for one submitted file. Never
    raises for a bad file: it gets one row with an empty blank. ``name``: the name its
    lecture is judged by (default: the file's); ``keep``: where to write the executed copy."""
    path = Path(path)
    name = name or path.name
    stem = Path(name).stem
    expected = stem if stem in lecture_names() else None
    try:
        nb = read_notebook(path)
        lecture, note = verdict(name, nb, expected)
    except BadFile as bad:
        return [(expected or stem, "", bad.status, bad.line)]
    except Exception as err:  # noqa: BLE001 (the course's own edition could not be made)
        return [(expected or stem, "", "error", f"the report could not read it: "
                                                f"{type(err).__name__}: {_first_line(err, 200)}")]
    rows = [(lecture, "", "old edition", note)] if note else []
    try:
        if saved:
            rows += [(lecture, *row) for row in blank_rows(lecture, nb, saved=True)]
            return rows
        with tempfile.TemporaryDirectory(prefix="report-") as workdir:
            shutil.copy(path, Path(workdir) / name)   # the copy is what the learner's code sees
            executed, stopped = run_notebook(nb, workdir, timeout, on_cell)
        if keep is not None:
            Path(keep).parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(executed, keep)
        rows += [(lecture, *row) for row in blank_rows(lecture, executed, stopped,
                                                       timeout=timeout)]
    except Exception as err:  # noqa: BLE001 (one bad file never stops the report)
        rows.append((lecture, "", "error", f"the report could not run it: "
                                           f"{type(err).__name__}: {_first_line(err, 200)}"))
    return rows


# --- learner mode ----------------------------------------------------------------------------


def _code_cells(path):
    try:
        return sum(c.get("cell_type") == "code" for c in json.loads(Path(path).read_text())
                   ["cells"])
    except Exception:  # noqa: BLE001 (a bad file: its row says why)
        return 0


def table(lecture, rows, path=None):
    """The lines of one lecture's table."""
    lines = [f"{lecture}" + (f"  ({path})" if path else "")]
    width = max([len(r[1]) for r in rows] + [5])
    for _, blank, status, diagnosis in rows:
        shown = blank or "(file)"
        lines.append(f"  {shown:<{width}}  {status:<11}  {_first_line(diagnosis, 100)}"
                     .rstrip())
    blanks = [r for r in rows if r[1]]
    if blanks:
        done = sum(r[2] == DONE for r in blanks)
        lines.append(f"  {done} of {len(blanks)} blanks done")
    return lines


def _blank_count(rows):
    """The blanks a file's rows stand for: its blank rows, or for a file that could not be
    run, the blanks of the lecture its name says (none if it names no lecture)."""
    blanks = sum(bool(r[1]) for r in rows)
    if blanks or rows[0][0] not in lecture_names():
        return blanks
    return len(reference(rows[0][0]).blanks)


def learner(paths, timeout=DEFAULT_TIMEOUT, saved=False, out=None):
    """Print a table per notebook and the totals (to ``out``, default stdout); returns all rows."""
    from tqdm import tqdm

    out = out or sys.stdout

    paths = [Path(p) for p in paths] or sorted(EXERCISES.glob("*.ipynb"))
    total = 0 if saved else sum(_code_cells(p) for p in paths)
    everything, blanks = [], 0
    with tqdm(total=total, desc="running the editions", unit="cell", file=sys.stderr,
              leave=False, disable=saved or None) as bar:
        for path in paths:
            before = bar.n
            bar.set_postfix_str(path.name)
            rows = report_file(path, timeout=timeout, saved=saved, on_cell=bar.update)
            bar.update(before + _code_cells(path) - bar.n)   # what a stopped run skipped
            everything += rows
            blanks += _blank_count(rows)
            bar.clear()
            shown = os.path.relpath(path) if path.is_absolute() and path.is_relative_to(
                Path.cwd()) else path
            print("\n".join(table(rows[0][0], rows, shown)) + "\n", file=out, flush=True)
    done = sum(r[2] == DONE for r in everything if r[1])
    problems = sum(not r[1] for r in everything)
    print(f"Total: {done} of {blanks} blanks done"
          + (f"; {problems} file(s) with a problem (see above)" if problems else ""), file=out)
    return everything


# --- class mode ------------------------------------------------------------------------------


def _one(job):
    learner_name, path, relative, timeout, keep = job
    os.environ.setdefault("OMP_NUM_THREADS", "1")   # many kernels at once: one thread each
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    try:
        rows = report_file(path, timeout=timeout, keep=keep)
    except BaseException as err:  # noqa: BLE001 (a worker must always answer)
        rows = [(Path(path).stem, "", "error", f"the report failed: {type(err).__name__}")]
    return [(learner_name, *row, relative) for row in rows]


def cores():
    """The cores this process may use (a container's cpuset, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def submissions(folder):
    """``[(learner, path, path relative to the learner's folder)]``: every notebook below
    each learner's folder (checkpoints skipped)."""
    found = []
    for person in sorted(p for p in Path(folder).iterdir() if p.is_dir()):
        for path in sorted(person.rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in path.parts and path.is_file():
                found.append((person.name, path, path.relative_to(person).as_posix()))
    return found


def run_class(folder, out, workers=None, timeout=DEFAULT_TIMEOUT, executed=False):
    """Run every submission in ``folder``; write report.csv, summary.md and completion.png
    under ``out``. Returns the rows."""
    from tqdm import tqdm

    folder, out = Path(folder), Path(out)
    if not folder.is_dir():
        raise SystemExit(f"no such folder: {folder}")
    if out.resolve().is_relative_to(folder.resolve()):
        raise SystemExit(f"write the report outside the submissions: {out} is inside {folder}")
    out.mkdir(parents=True, exist_ok=True)
    found = submissions(folder)
    learners = sorted(p.name for p in folder.iterdir() if p.is_dir())
    workers = max(1, workers or cores())
    with tempfile.TemporaryDirectory(prefix="report-class-") as scratch:
        jobs = []
        for k, (person, path, relative) in enumerate(found):
            copy = Path(scratch) / str(k) / path.name   # never read twice, never written back
            copy.parent.mkdir()
            shutil.copy(path, copy)
            keep = out / "executed" / person / relative if executed else None
            jobs.append((person, str(copy), relative, timeout, keep))
        # the longest first (by the lectures' own "runs"), so that no long one starts last
        jobs.sort(key=lambda job: -expected_seconds(Path(job[2]).stem))
        rows = []
        import multiprocessing

        context = multiprocessing.get_context("spawn")   # no inherited threads or sockets
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool, \
                tqdm(total=len(jobs), desc="running the class", unit="notebook",
                     file=sys.stderr, leave=False, disable=None) as bar:
            futures = [pool.submit(_one, job) for job in jobs]
            for _ in as_completed(futures):
                bar.update()
            for job, future in zip(jobs, futures, strict=True):
                try:
                    rows += future.result()
                except Exception as err:  # noqa: BLE001 (a worker process that died)
                    rows.append((job[0], Path(job[2]).stem, "", "error",
                                 f"the report's worker died: {type(err).__name__}", job[2]))
    write_csv(rows, out / "report.csv")
    summary(rows, learners, out)
    return rows


def write_csv(rows, path):
    """UTF-8 with a byte-order mark, so that Excel reads the diagnoses' ∂ and ² as written."""
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(FIELDS)
        writer.writerows(rows)


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def completion(rows):
    """``{(lecture, blank): (done, submitted, Counter of diagnoses)}``, in the order of the
    course. *submitted*: the learners who handed in that lecture, even as a bad file."""
    handed_in = {}
    for person, lecture, *_ in rows:
        handed_in.setdefault(lecture, set()).add(person)
    stats = {}
    for lecture in sorted(handed_in):
        if lecture not in lecture_names():
            continue
        for blank in reference(lecture).blanks:
            mine = [r for r in rows if r[1] == lecture and r[2] == blank.key]
            done = len({r[0] for r in mine if r[3] == DONE})
            said = Counter(gist(r[4]) for r in mine if r[3] not in (
                DONE, "not yet", "waiting", "not run", "missing") and r[4])
            stats[(lecture, blank.key)] = (done, len(handed_in[lecture]), said)
    return stats


NUMBER = re.compile(r"(?<![\w.])[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(?![\w.])")


def gist(diagnosis):
    """What two learners' diagnoses share: from "Likely mistake" on where the check names
    one, else the line with its numbers masked (``grad_f gives -0.0625`` -> ``gives #``)."""
    at = diagnosis.find("Likely mistake")
    return diagnosis[at:] if at >= 0 else NUMBER.sub("#", diagnosis)


def summary(rows, learners, out):
    """Write ``out/summary.md`` and ``out/completion.png``."""
    stats = completion(rows)
    figure(stats, out / "completion.png")
    statuses = Counter(r[3] for r in rows if r[2])
    blanks = sum(statuses.values())
    lines = ["# Class report", "",
             f"{len(learners)} learners, {len({(r[0], r[5]) for r in rows})} notebooks, "
             f"{blanks} blanks: " + ", ".join(f"{n} {s}" for s, n in statuses.most_common())
             + ".", "",
             "Done means the blank's check passed. The rate is over the learners who handed "
             "in that lecture (a file that could not be run counts as not done). Diagnoses "
             "are grouped by the likely mistake they name, else with their numbers masked "
             "(#); report.csv has each in full.", "",
             "![Completion rate per blank](completion.png)", ""]
    for lecture in dict.fromkeys(k[0] for k in stats):
        lines += [f"## {lecture}", "", "| blank | done | rate | most common diagnoses |",
                  "|---|---:|---:|---|"]
        for (name, blank), (done, submitted, said) in stats.items():
            if name != lecture:
                continue
            common = "; ".join(f"{_md(d)} ({n})" for d, n in said.most_common(3))
            lines.append(f"| {blank} | {done} of {submitted} | {done / submitted:.0%} | "
                         f"{common} |")
        lines.append("")
    bad = [r for r in rows if not r[2]]
    if bad:
        lines += ["## Files with a problem", "", "| learner | file | status | problem |",
                  "|---|---|---|---|"]
        lines += [f"| {r[0]} | {r[5]} | {r[3]} | {_md(r[4])} |" for r in bad]
        lines.append("")
    (out / "summary.md").write_text("\n".join(lines), encoding="utf-8")


def _md(text):
    return _first_line(text, 120).replace("|", "\\|")


def figure(stats, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{lecture[:2]} {blank}" for lecture, blank in stats]
    rates = [done / submitted for done, submitted, _ in stats.values()]
    fig, ax = plt.subplots(figsize=(7, 1 + 0.25 * max(1, len(labels))))
    ax.barh(range(len(labels)), rates, color="tab:blue")
    for k, (done, submitted, _) in enumerate(stats.values()):
        ax.text(min(done / submitted, 0.9) + 0.01, k, f"{done}/{submitted}", va="center",
                fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the learners who handed in the lecture whose check passed")
    ax.set_title("Completion per blank")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --- the command line ------------------------------------------------------------------------


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["class"]:
        parser = argparse.ArgumentParser(
            prog="python -m helpers.checks.report class",
            description="Run every learner's editions and write report.csv, summary.md and "
                        "completion.png. This runs the learners' code: see the README.")
        parser.add_argument("submissions", help="one folder per learner, holding notebooks")
        parser.add_argument("--out", required=True, help="where the report goes")
        parser.add_argument("--workers", type=int, default=cores(),
                            help="notebooks run at once (default: one per core)")
        parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                            help=f"seconds a cell may run (default {DEFAULT_TIMEOUT})")
        parser.add_argument("--executed", action="store_true",
                            help="also keep the executed copies under OUT/executed/")
        args = parser.parse_args(argv[1:])
        rows = run_class(args.submissions, args.out, args.workers, args.timeout, args.executed)
        blanks = [r for r in rows if r[2]]
        print(f"{sum(r[3] == DONE for r in blanks)} of {len(blanks)} blanks done across the "
              f"class; wrote {Path(args.out) / 'report.csv'} and "
              f"{Path(args.out) / 'summary.md'}")
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m helpers.checks.report",
        description="Run your exercise editions (a copy of each, in a fresh kernel) and print "
                    "each blank's status. Class reports: python -m helpers.checks.report class -h")
    parser.add_argument("notebooks", nargs="*", help="default: every exercises/*.ipynb")
    parser.add_argument("--saved", action="store_true",
                        help="read the outcomes saved in the notebooks; run nothing")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds a cell may run (default {DEFAULT_TIMEOUT})")
    args = parser.parse_args(argv)
    learner(args.notebooks, timeout=args.timeout, saved=args.saved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
