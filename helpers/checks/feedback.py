"""How a refused answer reads in a notebook: the check's diagnosis first, no helpers' frames.

``import helpers`` inside IPython (JupyterLab, Colab, VS Code) calls :func:`install`, which
registers one exception handler with IPython:

- a check that refuses an answer (an ``AssertionError``, raised by a helper or by an
  ``assert`` in a notebook's check cell) shows its message first, then only the line of the
  cell that ran it;
- an exception raised in the learner's own code while a check ran it shows what the check
  was doing, then the learner's frames (and none of the check's);
- any other exception raised inside ``helpers`` (bad input, for instance) shows its message
  and the line of the cell that called it.

Everything else keeps IPython's usual traceback. :func:`render` builds the lines and is what
the tests call.

In an exercise edition every check cell starts with ``if filled_in(...):``. After such a cell
runs, :func:`install`'s second hook adds an invisible output of MIME type :data:`OUTCOME`:
``{"answers": [...], "status": "passed" | "not yet" | "refused", "missing": [...],
"diagnosis": "..."}`` (``missing``: the answers still open, for "not yet"). A saved
notebook carries its results; ``helpers.checks.report`` reads them.
"""

import inspect
import re
import reprlib
import traceback
from pathlib import Path

HELPERS = str(Path(__file__).resolve().parent.parent)
# ipykernel compiles each cell to a file of its own; plain IPython names it <ipython-input-…>.
CELL_FILE = re.compile(r"(^<ipython-input-)|([\\/]ipykernel_\d+[\\/]\d+\.py$)")
_short = reprlib.Repr()   # Python 3.11 takes no keyword arguments here
_short.maxstring = _short.maxother = 40
OUTCOME = "application/vnd.backprop-from-scratch.outcome+json"
GUARD = re.compile(r"^if filled_in\((?P<args>[^)]*)\):")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
RED, BOLD, RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"


def _kind(filename, cells=()):
    if filename in cells or CELL_FILE.search(filename):
        return "cell"
    if filename.startswith(HELPERS):
        return "helpers"
    return "other"


def _where(frame):
    where = "your cell" if frame.name == "<module>" else f"`{frame.name}`"
    return f"  line {frame.lineno} of {where}: {(frame.line or '').strip()}"


def _frames(frames):
    """``_where`` lines for ``frames``; a run of more than three frames of the same line of
    the same function (one that calls itself over and over) is shown once, with its count."""
    lines, run = [], []
    for frame in frames + [None]:
        key = None if frame is None else (frame.filename, frame.lineno, frame.name)
        if run and key == (run[0].filename, run[0].lineno, run[0].name):
            run.append(frame)
            continue
        if len(run) > 3:
            lines += [_where(run[0]), f"  ... the line above again, {len(run) - 1} more times: "
                      f"`{run[0].name}` calls itself over and over"]
        else:
            lines += [_where(f) for f in run]
        run = [] if frame is None else [frame]
    return lines


def _called_with(frame):
    """`` on your `name`(x=1.0)`` for the learner's function that ``frame`` runs."""
    if frame.f_code.co_name == "<module>":
        return ""
    args = inspect.getargvalues(frame)
    names = args.args + [a for a in (args.varargs, args.keywords) if a]
    shown = ", ".join(f"{name}={_short.repr(args.locals.get(name))}" for name in names)
    return f" on your `{frame.f_code.co_name}({shown})`"


def render(etype, value, tb, cells=()):
    """The lines to show for an exception, or None for IPython's usual traceback.

    ``cells``: file names that hold notebook cells (besides those :data:`CELL_FILE` knows)."""
    frames = traceback.extract_tb(tb)
    kinds = [_kind(f.filename, cells) for f in frames]
    if "helpers" not in kinds and not issubclass(etype, AssertionError):
        return None
    if "helpers" in kinds:
        first = kinds.index("helpers")
        callers = [f for f, k in zip(frames[:first], kinds[:first], strict=True) if k == "cell"]
        inner = [(f, k) for f, k in zip(frames[first:], kinds[first:], strict=True) if k != "other"]
        # the learner's code raised under a check (itself, or in what the check handed it)
        if any(k == "cell" for _, k in inner) and not issubclass(etype, AssertionError):
            ran = frames[first].name
            theirs = next(i for i, k in enumerate(kinds) if i > first and k == "cell")
            frame = [f for f, _ in traceback.walk_tb(tb)][theirs]
            lines = [f"{RED}{BOLD}Your code raised {etype.__name__}: {value}{RESET}",
                     f"while `{ran}` was checking it{_called_with(frame)}. Where, in your code:"]
            lines += _frames([f for f, k in inner if k == "cell"])
            return lines + ([f"(the check ran from {_where(callers[0])[2:]})"] if callers else [])
    else:
        callers = [f for f, k in zip(frames, kinds, strict=True) if k == "cell"]
    message = str(value) if issubclass(etype, AssertionError) else f"{etype.__name__}: {value}"
    if not message and callers:   # a bare `assert`: the failing line is the message
        message = f"this check failed: {(callers[-1].line or '').strip()}"
        callers = callers[:-1]
    message = message or "this check failed"
    lines = [f"{RED}{BOLD}{line}{RESET}" if i == 0 else line
             for i, line in enumerate(message.splitlines() or [message])]
    cause = value.__cause__
    if cause is not None:   # a check that wrapped the learner's exception: show where it was
        theirs = [f for f in traceback.extract_tb(cause.__traceback__)
                  if _kind(f.filename, cells) == "cell"]
        if theirs:
            lines += [f"{type(cause).__name__} raised here, in your code:"]
            lines += _frames(theirs)
    if callers:
        lines.append(f"(checked by {_where(callers[0])[2:]})")
    return lines


def _handler(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler: :func:`render`'s lines, else the usual traceback."""
    try:
        cells = getattr(shell.compile, "_filename_map", {})
        lines = render(etype, value, tb, cells)
    except Exception:  # noqa: BLE001 (never hide the learner's error behind ours)
        lines = None
    if lines is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    else:
        shell._showtraceback(etype, value, lines)
    return None


def outcome(source, error, guard):
    """The outcome of a check cell: ``source`` its code, ``error`` the exception it raised
    (or None), ``guard`` what its ``filled_in`` saw; None for a cell that is no check."""
    match = GUARD.match(source)
    if match is None:
        return None
    answers = [a.split("=")[0].strip() for a in match["args"].split(",")]
    if guard.get("answers") == answers and guard.get("missing"):
        return {"answers": answers, "status": "not yet", "missing": list(guard["missing"]),
                "diagnosis": f"not implemented yet: {', '.join(guard['missing'])}"}
    if error is None:
        return {"answers": answers, "status": "passed", "missing": [], "diagnosis": ""}
    lines = render(type(error), error, error.__traceback__) or [f"{type(error).__name__}: {error}"]
    return {"answers": answers, "status": "refused", "missing": [],
            "diagnosis": ANSI.sub("", lines[0])}


def _report_outcome(result):
    """IPython's post_run_cell hook: the outcome of a check cell, as an invisible output."""
    try:
        from IPython.display import display

        from helpers.checks.guard import last_guard

        found = outcome(result.info.raw_cell or "", result.error_in_exec, last_guard)
        last_guard.clear()
        if found is not None:
            display({OUTCOME: found, "text/plain": ""}, raw=True)
    except Exception:  # noqa: BLE001 (a report must never break the learner's cell)
        pass


def install():
    """Register the handler in the running IPython, if any; a no-op outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    shell.set_custom_exc((Exception,), _handler)
    if _report_outcome not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", _report_outcome)
    return True
