"""The learner's own ``Value``, read back from their edition 03, for editions 04 and 05.

``learners_engine()`` finds the saved ``03_autograd_engine.ipynb`` (in the folder the
notebook runs in, then in the repository's ``exercises/``), runs the code that builds the
engine in a fresh module, and returns its ``Value`` class. It prints one line that says
what is used. Every piece still a stub, and every piece its check in edition 03 refuses,
is replaced by the finished one from ``helpers.finished.value`` and named in that line. When the
notebook is missing (on Colab each notebook opens alone) or its engine code raises, the
finished ``helpers.finished.value.Value`` is returned instead, and the line says why.

Which code runs, in the notebook's order: from the cells tagged ``todo`` or ``fallback`` and
any cell that defines ``class Value`` or attaches to it (``Value.__add__ = ...``), the
imports, ``def``/``class`` statements, ``Value.attr = ...``, ``name = fall_back(...)`` and
``name = <a constant>``; from every other cell its ``def``/``class`` statements and the
imports the engine needs. Checks, plots and prints do not run.
"""

import ast
import contextlib
import io
import re
import traceback
import types
from pathlib import Path

import nbformat

from helpers.checks import guard
from helpers.finished import value as finished_value

__all__ = ["learners_engine"]

FINISHED = "helpers.finished.value"
ROOT = Path(__file__).resolve().parents[2]

# (attribute on Value, the lecture's function name, the check's name), primitives first so
# that a composite (sub = self + (-other)) is checked on primitives that are right.
PIECES = [("__add__", "add", "add"), ("__mul__", "mul", "mul"), ("tanh", "tanh", "tanh"),
          ("exp", "exp", "exp"), ("log", "log", "log"), ("__pow__", "power", "pow"),
          ("relu", "relu", "relu"), ("__radd__", "radd", "radd"), ("__rmul__", "rmul", "rmul"),
          ("__neg__", "neg", "neg"), ("__sub__", "sub", "sub"),
          ("__truediv__", "truediv", "truediv"), ("__rsub__", "rsub", "rsub"),
          ("__rtruediv__", "rtruediv", "rtruediv"), ("backward", "backward", None)]
ENGINE_NAMES = {name for _, name, _ in PIECES} | {"topological_order"}


class _Refused(Exception):
    """The learner's engine code could not run; the message says where and why."""


def _find(edition):
    """The edition's path: ``edition`` itself if it names a folder, else in the current
    folder, else in the repository's exercises/; None when none exists."""
    given = Path(edition)
    if given.parent != Path("."):
        return given if given.is_file() else None
    for folder in (Path.cwd(), ROOT / "exercises"):
        if (folder / given).is_file():
            return folder / given
    return None


def _python(source):
    """The cell as plain Python (``%pip`` and other magics become calls), as Jupyter runs it."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    return TransformerManager().transform_cell(source)


def _is_import(stmt):
    return isinstance(stmt, ast.Import | ast.ImportFrom)


def _defines(stmt):
    """An import, a ``def`` or a ``class``: what every cell may contribute."""
    return _is_import(stmt) or isinstance(stmt, ast.FunctionDef | ast.ClassDef)


def _builds_engine(stmt):
    """What runs from an engine cell: an import, a def or class, ``Value.attr = ...``,
    ``name = fall_back(...)``, or a name set to an expression without calls (a constant)."""
    if _defines(stmt) or _touches_value(stmt):
        return True
    if not isinstance(stmt, ast.Assign):
        return False
    call = stmt.value
    if isinstance(call, ast.Call):
        return isinstance(call.func, ast.Name) and call.func.id == "fall_back"
    return (all(isinstance(t, ast.Name) for t in stmt.targets)
            and not any(isinstance(node, ast.Call) for node in ast.walk(call)))


def _touches_value(stmt):
    """``class Value`` or ``Value.attr = ...``."""
    if isinstance(stmt, ast.ClassDef):
        return stmt.name == "Value"
    return isinstance(stmt, ast.Assign) and all(
        isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "Value"
        for t in stmt.targets)


def _which(cell):
    """The cell, as the learner knows it: by the names it defines, else its first line."""
    names = re.findall(r"^(?:def|class)\s+(\w+)", cell.source, re.MULTILINE)
    if names:
        return "the cell that defines " + ", ".join(f"`{n}`" for n in names)
    first = next((line for line in cell.source.splitlines()
                  if line.strip() and not line.lstrip().startswith("#")), "")
    return f"the cell `{first.strip()[:60]}`"


def _bound(stmt):
    """The names an import statement binds (``*`` for a star import)."""
    return {(a.asname or a.name).split(".")[0] for a in stmt.names}


def _statements(nb):
    """``[(cell index, cell, statements to run, is an engine cell)]``: every statement that
    builds the engine; from other cells their defs and classes, and their imports that
    bind a name the engine uses."""
    cells = []
    for n, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tagged = {"todo", "fallback"} & set(cell.metadata.get("tags", []))
        try:
            tree = ast.parse(_python(cell.source))
        except SyntaxError as err:
            if tagged:
                raise _Refused(f"{_which(cell)} has a SyntaxError at its line {err.lineno}: "
                               f"{err.msg}") from None
            continue
        engine = bool(tagged) or any(_touches_value(s) for s in tree.body)
        cells.append((n, cell, tree.body, engine))
    used = {node.id for _, _, body, engine in cells if engine
            for stmt in body if _builds_engine(stmt)
            for node in ast.walk(stmt) if isinstance(node, ast.Name)} | {"*"}
    return [(n, cell, [s for s in body if _builds_engine(s)] if engine
             else [s for s in body if _defines(s) and (not _is_import(s) or _bound(s) & used)],
             engine)
            for n, cell, body, engine in cells]


def _run_cells(nb, namespace, label, fall_back):
    """Run the engine's statements of every cell in order (see the module's docstring),
    with ``fall_back`` as the cells' ``fall_back`` (their own import of it notwithstanding)."""
    for n, cell, keep, engine in _statements(nb):
        filename = f"<{label} cell {n}>"
        code = compile(ast.Module(body=keep, type_ignores=[]), filename, "exec")
        namespace["fall_back"] = fall_back
        try:
            exec(code, namespace)
        except Exception as err:  # noqa: BLE001 (the learner's code may raise anything)
            if not engine:
                continue   # not the engine's: the notebook's own cell will say
            lines = [f.lineno for f in traceback.extract_tb(err.__traceback__)
                     if f.filename == filename]
            at = f" at its line {lines[-1]}" if lines else ""
            raise _Refused(f"{_which(cell)} raised {_short(err)}{at}") from None


def _short(err):
    """``NameError: name 'x' is not defined``: the error's kind and its first line."""
    text = str(err).strip().splitlines()[0][:100] if str(err).strip() else ""
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _passes(check, *args):
    """True when the check of edition 03 accepts (its printed line is swallowed)."""
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said):
            check(*args)
    except Exception:  # noqa: BLE001 (a refusal, or the learner's code raising in it)
        return False
    return "not implemented yet" not in said.getvalue()


def _complete(Value, stood_in):
    """Put the finished piece in place of each one that is missing, a stub, or refused by
    its check; return ``{name: why}`` for each piece replaced."""
    replaced = {name: NOT_WRITTEN for name in stood_in}
    for attr, name, _ in PIECES:
        fn = getattr(Value, attr, None)
        if fn is None or guard.is_todo(fn):
            setattr(Value, attr, getattr(finished_value, name))
            replaced[name] = NOT_WRITTEN
    for attr, name, check in PIECES:
        if name in replaced:
            continue
        from helpers.checks import (
            engine as engine_check,  # imports torch: only when there is a piece to check
        )

        ok = (_passes(engine_check.check_operation, Value, check) if check
              else _passes(engine_check.check_backward, Value))
        if not ok:
            setattr(Value, attr, getattr(finished_value, name))
            replaced[name] = "refused by its check"
    return replaced


NOT_WRITTEN = "not written yet"


def _said(replaced):
    """``exp, log (not written yet); mul (refused by its check)``."""
    groups = {}
    order = [name for _, name, _ in PIECES] + ["topological_order"]
    for name in sorted(replaced, key=order.index):
        groups.setdefault(replaced[name], []).append(name)
    return "; ".join(f"{', '.join(names)} ({why})" for why, names in groups.items())


def learners_engine(edition="03_autograd_engine.ipynb"):
    """The ``Value`` class the learner wrote in ``edition``, completed with the finished
    pieces of ``helpers.finished.value``; or ``helpers.finished.value.Value`` when it cannot
    be used.

    Prints one line saying which, and which pieces are stand-ins. ``edition`` is a file
    name looked up in the current folder and then in the repository's exercises/, or a path.
    """
    path = _find(edition)
    label = f"{path.parent.name}/{path.name}" if path else f"exercises/{Path(edition).name}"
    try:
        if path is None:
            raise _Refused(f"{label} not found next to this notebook nor in the "
                           "repository's exercises/")
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as err:  # noqa: BLE001 (not JSON, not a notebook, unreadable, ...)
            raise _Refused(f"{label} could not be read: {_short(err)}") from None
        module = types.ModuleType("learners_engine", f"The engine of {label}.")
        stood_in = {}

        def recording_fall_back(name, value, finished):
            result = guard.fall_back(name, value, finished)
            if name in ENGINE_NAMES:
                stood_in[name] = result is not value
            return result

        module.filled_in = guard.filled_in
        with contextlib.redirect_stdout(io.StringIO()):
            _run_cells(nb, module.__dict__, label, recording_fall_back)
        Value = module.__dict__.get("Value")
        if not isinstance(Value, type):
            raise _Refused(f"{label} defines no class Value")
        replaced = _complete(Value, [name for name, yes in stood_in.items() if yes])
    except _Refused as refused:
        why = str(refused)
    except Exception as err:  # noqa: BLE001 (whatever went wrong: one line, no traceback)
        why = f"reading {label} raised {_short(err)}"
    else:
        every = {name for _, name, _ in PIECES} | {"topological_order"}
        if set(replaced) >= every and set(replaced.values()) == {NOT_WRITTEN}:
            print(f"{label} has none of its pieces written yet: the finished Value from "
                  f"{FINISHED} stands in (fill them in there, save it, and run this cell again)")
        elif replaced:
            print(f"using your Value from {label}, with finished stand-ins from {FINISHED} "
                  f"for: {_said(replaced)}")
        else:
            print(f"using your Value from {label}")
        return Value
    print(f"using the finished Value from {FINISHED} ({why})")
    return finished_value.Value
