"""The one core every check is built on: run the learner's code, judge it, say what is wrong.

A check in ``helpers.checks`` does four things, each with one tool from here:

1. **Run the learner's code** with :func:`call`. A function still left as its stub (it raises
   ``NotImplementedError``) raises :class:`NotYet`, which :func:`check` turns into one line,
   "not implemented yet: name". Any other exception is the learner's: :func:`call` refuses
   with "your f(x=2.0) raised ValueError: ...", the input that caused it included, and
   ``helpers.checks.feedback`` shows the learner's own lines of code under it.
2. **Compare** with :func:`close` and :func:`tolerance`, one rule for every number: a right
   answer may differ from the expected one by the rounding of the less precise of the two
   (float32: 32 units of rounding, 3.8e-6; float64: 1e-9, far above float64's rounding, so an
   answer that takes another route through many operations passes, and far below any
   mistake), relative to ``scale``: the size of the numbers the answer is computed from
   (by default the expected value itself).
3. **Diagnose** with :func:`diagnose`: each arc declares its likely mistakes once, as
   :class:`Mistake` (what it says, what it predicts on a trial's inputs). A mistake is named
   only when its prediction fits the answer on every trial (and the right answer differs
   from it on at least one); two that both fit are named as "either ... or ...". When none
   fits, :func:`differs` says plainly what differs: the input, the expected and the actual
   value.
4. **Speak** through one channel: a refusal raises :class:`Refused` (an ``AssertionError``;
   its first line is the diagnosis), a pass prints one line made by :func:`passed`,
   ``name: correct (what was checked)``.

:func:`check` wraps a check function: its randomness is seeded by the check's name (so a
message never changes between runs or Python versions), the notebook's own random state is
put back afterwards, and a :class:`NotYet` becomes the "not implemented yet" line.
"""

import contextlib
import functools
import inspect
import math
import numbers
import random
import reprlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Refused", "NotYet", "Mistake", "Trial", "check", "seeded", "call", "tolerance",
           "close", "diagnose", "differs", "refuse", "passed", "fmt", "fmt_pair", "kind",
           "describe_call", "source_of", "precision", "agree", "copies", "changed", "untouched",
           "rebracketed", "renamed", "cell_statements", "isolated", "rerunning", "run_again"]

UNITS_FLOAT32 = 32                  # a right float32 answer: 32 units of rounding (3.8e-6)
RELATIVE = {"float32": UNITS_FLOAT32 * 2.0**-23, "float64": 1e-9}

_short = reprlib.Repr()   # Python 3.11 takes no keyword arguments here
_short.maxstring = _short.maxother = 40


# --- the failure channel ----------------------------------------------------------------


class Refused(AssertionError):
    """A check refused an answer. The first line of the message is the diagnosis."""


class NotYet(Exception):  # noqa: N818 (a state, not an error)
    """The learner's code raised ``NotImplementedError``: a TODO still open.

    ``args[0]``: the name of the function that raised it."""


def refuse(*lines):
    """Raise :class:`Refused` with ``lines`` (the first is the diagnosis); empty ones dropped."""
    raise Refused("\n".join(line for line in lines if line))


def passed(name, detail):
    """Print the success line of every check: ``name: correct (detail)``."""
    print(f"{name}: correct ({detail})" if detail else f"{name}: correct")


# --- randomness seeded per check -------------------------------------------------------------


def _seed(name):
    """A seed that depends on ``name`` alone: the same in every run and Python version
    (``hash`` of a string changes from run to run)."""
    return zlib.crc32(name.encode())


@contextlib.contextmanager
def seeded(name):
    """A ``random.Random`` seeded by ``name``; Python's and torch's global generators are
    seeded by it too for the block (the learner's classes draw from them) and put back
    afterwards, so the notebook's own seeded draws do not move."""
    state = random.getstate()
    torch = _torch()
    torch_state = torch.random.get_rng_state() if torch else None
    random.seed(_seed(name))
    if torch:
        torch.manual_seed(_seed(name))
    try:
        yield random.Random(_seed(name))
    finally:
        random.setstate(state)
        if torch:
            torch.random.set_rng_state(torch_state)


def _torch():
    """torch if it is imported already (the micrograd arc's checks run without it), else None."""
    import sys
    return sys.modules.get("torch")


def check(name=None):
    """Decorate a check function: run it :func:`seeded` by its name, and turn a :class:`NotYet`
    into the line ``not implemented yet: <name>`` (the check then returns None).

    ``name``: the name the line uses (default: the function's name without ``check_``), or a
    function of the check's arguments that gives it (``lambda Value, op: op``); the seed is
    the function's name plus its string arguments (``check_operation:add``)."""
    def wrap(fn):
        default = fn.__name__.removeprefix("check_")

        @functools.wraps(fn)
        def run(*args, **kwargs):
            shown = (name(*args, **kwargs) if callable(name) else name) or default
            label = ":".join([fn.__name__] + [a for a in args if isinstance(a, str)])
            try:
                with seeded(label) as rng:
                    if "rng" in inspect.signature(fn).parameters:
                        kwargs["rng"] = rng
                    return fn(*args, **kwargs)
            except NotYet as stub:
                who = stub.args[0] if stub.args else shown
                also = "" if who in {shown, "_backward"} or who.startswith("<") else (
                    f" (it uses `{who}`, which is not written yet)")
                print(f"not implemented yet: {shown}{also}")
                return None
        return run
    return wrap


# --- running the learner's code --------------------------------------------------------------


def _innermost(error):
    tb = error.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_name


def describe_call(fn, args=(), kwargs=None):
    """``your grad_f(a=2.0, b=3.0, c=4.0)``: the call, with the learner's parameter names."""
    name = getattr(fn, "__name__", type(fn).__name__)
    try:
        bound = inspect.signature(fn).bind(*args, **(kwargs or {}))
        shown = ", ".join(f"{k}={_short.repr(v)}" for k, v in bound.arguments.items())
    except (TypeError, ValueError):
        shown = ", ".join([_short.repr(a) for a in args]
                          + [f"{k}={_short.repr(v)}" for k, v in (kwargs or {}).items()])
    return f"your {name}({shown})"


def source_of(fn):
    """The source of the learner's function ``fn``, dedented; None where Python has none."""
    import textwrap
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None


def call(fn, *args, what=None, explain=None, **kwargs):
    """``fn(*args, **kwargs)``, the learner's code, run for a check.

    A stub raises :class:`NotYet`; a :class:`Refused` from a check inside passes through; any
    other exception is refused as the learner's: "{what} raised TypeError: ...", ``what``
    defaulting to the call with its inputs (:func:`describe_call`). ``explain(error)`` may
    add what the error means (or ""). The learner's exception stays the cause, so
    ``helpers.checks.feedback`` shows where in their code it was raised."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as error:
        raise NotYet(_innermost(error)) from None
    except (NotYet, Refused):
        raise
    except Exception as error:  # noqa: BLE001 (the learner's code may raise anything)
        what = what or describe_call(fn, args, kwargs)
        extra = explain(error) if explain else ""
        raise Refused(f"{what} raised {type(error).__name__}: {error}{extra}") from error


# --- one tolerance rule ----------------------------------------------------------------------


def precision(*values):
    """"float32" when any of ``values`` is a float32 (or less precise) tensor or array, else
    "float64" (Python floats are float64)."""
    for v in values:
        dtype = getattr(v, "dtype", None)
        if dtype is not None and getattr(dtype, "is_floating_point", True) \
                and getattr(dtype, "itemsize", 8) < 8:
            return "float32"
    return "float64"


def _size(value):
    """The largest |entry| of a number, tensor or array, as a float."""
    if hasattr(value, "abs") and hasattr(value, "numel"):   # a torch tensor
        return float(value.detach().abs().max()) if value.numel() else 0.0
    if hasattr(value, "dtype") and hasattr(value, "size"):  # a numpy array
        import numpy as np
        return float(np.abs(value).max()) if value.size else 0.0
    return abs(float(value))


def tolerance(got, want, scale=None, inputs=()):
    """How far a right answer ``got`` may be from ``want``: ``RELATIVE[precision]`` times the
    scale (``want``'s largest |entry|, or ``scale``'s when that is bigger). The precision is
    that of the least precise of ``got``, ``want`` and ``inputs`` (the tensors the answer is
    computed from: a float64 answer from float32 activations carries float32's rounding)."""
    size = _size(want) if scale is None else max(_size(want), _size(scale))
    return RELATIVE[precision(got, want, *inputs)] * size


def close(got, want, scale=None):
    """Whether the number ``got`` is ``want`` within :func:`tolerance` (nan and inf never are,
    unless ``want`` is the same infinity)."""
    allowed = tolerance(got, want, scale)
    got, want = float(got), float(want)
    if math.isinf(want):
        return got == want
    return math.isfinite(got) and abs(got - want) <= allowed


# --- declaring and naming mistakes ---------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    """A likely mistake: what it ``says`` to the learner, and the answer it ``predicts`` on a
    trial (``predicts(trial)``, from ``trial.data``; None where it predicts nothing).
    ``observed``: it says what the answer does rather than why ("x.grad is never changed"), so
    it speaks for the other fitting mistakes where they predict the same on every trial."""

    says: str
    predicts: Callable[["Trial"], Any]
    observed: bool = False


@dataclass
class Trial:
    """One input a check tried: ``shown`` (the input, in words), the learner's answer
    ``got``, the right answer ``want``, and ``data`` for the mistakes' predictions."""

    shown: str
    got: Any
    want: Any
    data: dict = field(default_factory=dict)
    scale: Any = None

    @property
    def right(self):
        return agree(self.got, self.want, self.scale)


def agree(got, want, scale=None):
    """Whether the answer ``got`` is ``want`` under the one rule: numbers by :func:`close`,
    lists and tuples entry by entry, tensors and arrays of the same shape entry by entry,
    with one tolerance from their largest |entry| (or ``scale``)."""
    if hasattr(want, "shape") and hasattr(want, "dtype"):
        if not (hasattr(got, "shape") and hasattr(got, "dtype")) \
                or tuple(got.shape) != tuple(want.shape):
            return False
        import torch
        g = torch.as_tensor(got).detach().to(torch.float64)
        w = torch.as_tensor(want).detach().to(torch.float64).to(g.device)
        allowed = tolerance(got, want, scale)
        return bool(torch.isfinite(g).all() and ((g - w).abs() <= allowed).all())
    if isinstance(want, list | tuple):
        return (isinstance(got, list | tuple) and len(got) == len(want)
                and all(agree(g, w, scale) for g, w in zip(got, want, strict=True)))
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        return False
    return close(got, want, scale)


def diagnose(trials, mistakes):
    """The ``says`` of the mistake whose prediction fits the answer on every trial, when the
    right answer differs from that prediction on at least one; "either A, or B" when two fit;
    None when none does (or more than two: the trials cannot tell them apart), except that an
    ``observed`` mistake speaks for those that predict what it predicts on every trial."""
    fitting = {}
    for mistake in mistakes:
        try:
            predicted = [mistake.predicts(t) for t in trials]
        except (ArithmeticError, ValueError, TypeError, IndexError, KeyError):
            continue   # the mistake cannot happen on these inputs
        if any(p is None for p in predicted):
            continue
        fits = all(agree(t.got, p, t.scale) for t, p in zip(trials, predicted, strict=True))
        telling = any(not agree(t.want, p, t.scale) for t, p in zip(trials, predicted,
                                                                     strict=True))
        if fits and telling and mistake.says not in fitting:
            fitting[mistake.says] = (mistake, predicted)
    for mistake, predicted in fitting.values():
        if mistake.observed and all(
                all(agree(p, q, t.scale) for t, p, q in zip(trials, predicted, others,
                                                             strict=True))
                for _, others in fitting.values()):
            return mistake.says
    says = list(fitting)
    if len(says) == 1:
        return says[0]
    if len(says) == 2:
        return f"either {says[0]}, or {says[1]}"
    return None


def differs(trials, what="your answer"):
    """What differs, plainly: the first wrong trial's input, expected and actual value."""
    wrong = next((t for t in trials if not t.right), None)
    if wrong is None:
        return ""
    return f"{what} {wrong.shown}: expected {fmt_pair(wrong.want, wrong.got)[0]}, " \
           f"got {fmt_pair(wrong.want, wrong.got)[1]}"


# --- inputs changed in place -------------------------------------------------------------------


def _tensors(name, value):
    """``[(label, tensor)]`` in ``value``: a tensor, or a dict, list or tuple of them, labelled
    ``acts["logits"]``, ``grads[0]``."""
    if hasattr(value, "shape") and hasattr(value, "dtype") and hasattr(value, "clone"):
        return [(name, value)]
    if isinstance(value, dict):
        items = [(f"{name}[{k!r}]".replace("'", '"'), v) for k, v in value.items()]
    elif isinstance(value, list | tuple):
        items = [(f"{name}[{i}]", v) for i, v in enumerate(value)]
    else:
        return []
    return [found for label, v in items for found in _tensors(label, v)]


def copies(inputs):
    """``{label: copy}`` of every tensor in ``inputs`` ({name: a tensor, or a dict, list or
    tuple of them}), for :func:`changed` to compare with after the learner's code ran."""
    return {label: t.detach().clone() for name, value in inputs.items()
            for label, t in _tensors(name, value)}


def changed(inputs, before):
    """The labels of the tensors in ``inputs`` that no longer hold ``before`` (from
    :func:`copies`, or the values they must hold, such as a float64 referee of the same
    tensors: then they must :func:`agree`)."""
    found = []
    for name, value in inputs.items():
        for label, now in _tensors(name, value):
            was = before.get(label)
            if was is None:
                continue
            if tuple(now.shape) != tuple(was.shape):
                found.append(label)
                continue
            if not (now.is_floating_point() and was.is_floating_point()):
                if not _torch().equal(now.detach(), was.detach().to(now.device)):
                    found.append(label)     # a mask or an index: only an exact copy is unchanged
                continue
            a, b = now.detach().double(), was.detach().double().to(now.device)
            same = (a == b) | (a.isnan() & b.isnan()) | ((a - b).abs() <= tolerance(now, was))
            if not bool(same.all()):
                found.append(label)
    return found


_ALIASING = {"detach": ".detach() shares its storage", "data": ".data shares its storage",
             "view": ".view() shares its storage", "T": ".T shares its storage",
             "t": ".t() shares its storage", "transpose": ".transpose() shares its storage",
             "squeeze": ".squeeze() shares its storage",
             "unsqueeze": ".unsqueeze() shares its storage",
             "view_as": ".view_as() shares its storage", "expand": ".expand() shares its storage",
             "requires_grad_": "it is the same tensor", "detach_": "it is the same tensor"}
_NOT_IN_PLACE = {"requires_grad_", "retain_grad", "detach_"}


def _shares(node, names):
    """Why ``node`` (an expression) shares the storage of one of ``names`` (source texts), or
    None: a name for it, or a chain of .detach(), .data, views and slices ending at it."""
    import ast
    how = None
    while True:
        if ast.unparse(node) in names:
            return how or "it is the same tensor"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _ALIASING:
            how, node = how or _ALIASING[node.func.attr], node.func.value
        elif isinstance(node, ast.Attribute) and node.attr in _ALIASING:
            how, node = how or _ALIASING[node.attr], node.value
        elif isinstance(node, ast.Subscript) and ast.unparse(node) not in names \
                and isinstance(node.slice, ast.Slice | ast.Tuple):
            how, node = how or "a slice shares its storage", node.value
        else:
            return None


def _in_place(source, label):
    """``(sharing, statement)``: in ``source``, the assignment whose name shares the storage of
    ``label`` (None when the statement names ``label`` itself) and the first statement that
    changes it in place; None where the source shows none."""
    import ast
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, TypeError):
        return None
    try:
        own = ast.unparse(ast.parse(label, mode="eval").body)
    except SyntaxError:
        return None
    names, sharing = {own}, {}
    for node in sorted((n for n in ast.walk(tree) if hasattr(n, "lineno")),
                       key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            name, how = node.targets[0].id, _shares(node.value, names)
            if how:
                names.add(name)
                sharing[name] = (ast.get_source_segment(source, node), how)
            elif name != own:            # rebound to a copy: it shares no more
                names.discard(name)
                sharing.pop(name, None)
        target = None
        if isinstance(node, ast.AugAssign):
            target = node.target
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            target = node.targets[0]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr.endswith("_") and not node.func.attr.startswith("_") \
                and node.func.attr not in _NOT_IN_PLACE:
            target = node.func.value
        while isinstance(target, ast.Subscript | ast.Attribute) and \
                ast.unparse(target) not in names:
            target = target.value
        if target is not None and ast.unparse(target) in names:
            statement = next(s for s in ast.walk(tree) if isinstance(s, ast.stmt)
                             and s.lineno <= node.lineno <= s.end_lineno
                             and not isinstance(s, ast.For | ast.AsyncFor | ast.While
                                                | ast.If | ast.With | ast.Try
                                                | ast.FunctionDef | ast.ClassDef | ast.Match))
            return sharing.get(ast.unparse(target)), ast.get_source_segment(source, statement)
    return None


def untouched(what, inputs, before, source=None, *, lasting=False):
    """Refuse when the learner's code (``what``: "your cell", "your manual_backward") changed a
    tensor of ``inputs`` in place (:func:`changed` against ``before``); ``source``: their code,
    to quote the statement that did it and the one that made a name share its storage.
    ``lasting``: the inputs are the notebook's own (not copies), so the change stays."""
    found = changed(inputs, before)
    if not found:
        return
    label = found[0]
    also = f" (and {', '.join(found[1:])})" if len(found) > 1 else ""
    where = _in_place(source, label) if source else None
    if where and where[0]:
        (assigned, how), statement = where
        said = (f"`{assigned}` makes no copy ({how}), so `{statement}` changes {label} too")
    elif where:
        said = f"`{where[1]}` changes it"
    else:
        said = ("an in-place operation (exp_(), /=, x[i] -= 1, ...) on it, or on a tensor "
                "that shares its storage (.detach(), .data, a view or a slice), changes it")
        if source and lasting:
            said += (" (no line of yours does so visibly: look inside the functions it calls, "
                     "or at an earlier run that changed it)")
    stays = (f". {label} stays changed: run the cell that made it again, then yours"
             if lasting else "")
    refuse(f"{what} changed {label} in place{also}: {said}. Use .clone() to make a copy you "
           f"may change, or out-of-place operations (x = x.exp(), x = x / s){stays}")


# --- the learner's cell, run again ---------------------------------------------------------------

_rerunning = []   # non-empty while a learner's cell runs again: no check inside re-runs one


def cell_statements(target, *, running=True, namespace=None):
    """``(statements, namespace)``: the statements of the learner's latest cell that assigns
    ``target`` which ``target`` needs (in order; a check's call is not among them), from
    IPython's input history (magics transformed; ``running``: the running cell too, where
    answer and check share one), and the notebook's namespace. None outside IPython, while a
    cell runs again, where no cell assigns ``target``, or where a statement it needs changes
    an attribute of a notebook object that :func:`isolated` does not copy (a Value's .grad).
    ``namespace``: the notebook's namespace, its ``In`` read, where it is not the running
    shell's (a copy of it with a name replaced; a test's dict with an ``In``)."""
    import ast
    if _rerunning:
        return None
    try:
        from IPython import get_ipython
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return None
    shell = get_ipython()
    if namespace is None:
        namespace = shell.user_ns if shell is not None else {}
    history = namespace.get("In")
    if not isinstance(history, list):
        return None
    transform = (shell or TransformerManager()).transform_cell
    for source in reversed(history if running else history[:-1]):
        try:
            code = transform(source)
            body = ast.parse(code).body
        except (SyntaxError, ValueError, TypeError):
            continue
        last = max((i for i, s in enumerate(body) if target in _changes(s)), default=None)
        if last is None or not any(target in _stores(s) for s in body[:last + 1]):
            continue
        needed, keep = {target}, []
        for statement in reversed(body[:last + 1]):
            if _changes(statement) & needed:
                keep.append(statement)
                needed |= {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)}
        keep.reverse()
        for statement in keep:   # as the learner wrote it, for a message to quote
            statement.text = ast.get_source_segment(code, statement)
        bound = set()
        for statement in keep:
            for name in _changes(statement) - _bound(statement) - bound:
                if name in namespace and not _copied(namespace[name]):
                    return None   # running it again would change the notebook's object
            bound |= _bound(statement)
        return keep, namespace
    return None


def _changes(statement):
    """The names a statement binds or changes: :func:`_stores`, and ``x`` for an in-place call
    ``x.add_(...)`` (PyTorch's trailing underscore)."""
    import ast
    value = statement.value if isinstance(statement, ast.Expr) else None
    if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and isinstance(value.func.value, ast.Name) and value.func.attr.endswith("_")):
        return {value.func.value.id}
    return _stores(statement)


def _stores(statement):
    """The names a statement binds or changes (``x = ``, ``x += ``, ``x[i] = ``, ``def x``)."""
    import ast
    names, stack = set(), [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            continue
        if isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp |
                      ast.GeneratorExp):
            continue   # their own scope
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.Subscript | ast.Attribute) and isinstance(node.ctx, ast.Store):
            base = node
            while isinstance(base, ast.Subscript | ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name):
                names.add(base.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        stack.extend(ast.iter_child_nodes(node))
    return names


def _bound(statement):
    """The names a statement binds anew (``x = ...``, ``a, b = ...``, ``def x``), as opposed to
    the ones it changes (``x += ...``, ``x[i] = ...``, ``x.grad = ...``)."""
    import ast
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                  | ast.Import | ast.ImportFrom):
        return _stores(statement)
    if not isinstance(statement, ast.Assign | ast.AnnAssign):
        return set()
    names = set()
    stack = list(statement.targets if isinstance(statement, ast.Assign) else [statement.target])
    while stack:
        target = stack.pop()
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            stack += target.elts
        elif isinstance(target, ast.Starred):
            stack.append(target.value)
    return names


def _copied(value):
    """Whether :func:`isolated` copies ``value`` (so a re-run may change the copy)."""
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor):
        return True
    if isinstance(value, dict):
        return all(_copied(v) or isinstance(v, numbers.Number | str) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_copied(v) or isinstance(v, numbers.Number | str) for v in value)
    return isinstance(value, numbers.Number | str)


def isolated(namespace, **replaced):
    """A copy of ``namespace`` for a re-run: tensors cloned (detached), also inside dicts,
    lists and tuples; other objects shared; ``replaced`` put in."""
    torch = _torch()

    def copy(value):
        if torch is not None and isinstance(value, torch.Tensor):
            return value.detach().clone()
        if isinstance(value, dict):
            return {k: copy(v) for k, v in value.items()}
        if isinstance(value, list | tuple) and _copied(value):
            return type(value)(copy(v) for v in value)
        return value
    space = {k: copy(v) for k, v in namespace.items() if not k.startswith("_")}
    space.update(replaced)
    return space


@contextlib.contextmanager
def rerunning():
    """While the learner's statements run again: no output, no warnings, the random state put
    back afterwards, and no check inside starts another re-run."""
    import io
    import warnings
    torch = _torch()
    _rerunning.append(True)
    try:
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings(), \
                (torch.random.fork_rng(devices=[]) if torch is not None
                 else contextlib.nullcontext()):
            warnings.simplefilter("ignore")
            state = random.getstate()
            try:
                yield
            finally:
                random.setstate(state)
    finally:
        _rerunning.pop()


def run_again(statements, space):
    """Run ``statements`` (from :func:`cell_statements`) in ``space`` (from :func:`isolated`)
    under :func:`rerunning`; ``space``, or None where they raise."""
    import ast
    try:
        with rerunning():
            exec(compile(ast.Module(list(statements), []), "<your cell, again>", "exec"),
                 space)   # noqa: S102 (the learner's own statements)
    except Exception:  # noqa: BLE001 (their cell may not run on other numbers)
        return None
    return space


# --- showing numbers ---------------------------------------------------------------------------


def fmt(x, digits=6):
    """A number in ``digits`` significant digits (ints as they are)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return kind(x)
    if isinstance(x, numbers.Integral):
        return str(x)
    return f"{float(x):.{digits}g}"


def fmt_pair(want, got, digits=6):
    """``(want, got)`` as text, with enough digits that two different numbers never read the
    same ("expected -1.517, got -1.517" never happens)."""
    if isinstance(want, list | tuple) or isinstance(got, list | tuple):
        if isinstance(want, list | tuple) and isinstance(got, list | tuple) \
                and len(want) == len(got):
            pairs = [fmt_pair(w, g, digits) for w, g in zip(want, got, strict=True)]
            return ("[" + ", ".join(p[0] for p in pairs) + "]",
                    "[" + ", ".join(p[1] for p in pairs) + "]")
        return (str(want), kind(got) if not isinstance(got, list | tuple) else str(got))
    a, b = fmt(want, digits), fmt(got, digits)
    while a == b and digits < 17 and isinstance(got, numbers.Real) \
            and not isinstance(got, bool) and float(got) != float(want):
        digits += 2
        a, b = fmt(want, digits), fmt(got, digits)
    return a, b


def kind(x):
    """What ``x`` is, in words: ``None``, ``a float (0.25)``, ``a Value (1.5)``, ``a list``."""
    if x is None:
        return "None"
    if isinstance(x, bool):
        return f"a bool ({x})"
    if isinstance(x, numbers.Real):
        return f"{'an' if type(x).__name__[0] in 'aeiou' else 'a'} {type(x).__name__} " \
               f"({float(x):.6g})"
    if hasattr(x, "shape") and hasattr(x, "dtype"):   # first: a tensor's .grad may warn
        return f"a {type(x).__name__} of shape {tuple(x.shape)}"
    if hasattr(x, "data") and hasattr(x, "grad") and hasattr(x, "_prev"):
        data = getattr(x, "data", None)
        shown = f" ({data:.6g})" if isinstance(data, numbers.Real) else ""
        return f"a Value{shown}"
    return f"a {type(x).__name__}"


# --- slips of a formula, derived from its text -------------------------------------------------


def rebracketed(expression):
    """Every way of bracketing one chain of binary operations of ``expression`` (Python text)
    other than its own: the precedence slips (``(1 - o)**2`` for ``1 - o**2``, ``1 / x * g``
    for ``(1 / x) * g``, ``a ** -1 / 2`` for ``a ** (-1 / 2)``), as text. A chain is a run of
    binary operations read with their parentheses taken away; one chain is re-bracketed at a
    time (the chain at the top, or one inside a call or a sign). A bracketing that computes
    the same (``a * (b * c)``) is no slip; of several that compute the same, the one written
    with the fewest parentheses is given."""
    import ast

    def chain(node):   # the operands and operators of node's chain, parentheses taken away
        if isinstance(node, ast.BinOp):
            left, lops = chain(node.left)
            right, rops = chain(node.right)
            return left + right, lops + [node.op] + rops
        return [node], []

    def trees(atoms, ops):   # every bracketing of atoms joined by ops
        if not ops:
            yield atoms[0]
            return
        for k in range(len(ops)):
            for left in trees(atoms[:k + 1], ops[:k]):
                for right in trees(atoms[k + 1:], ops[k + 1:]):
                    yield ast.BinOp(left, ops[k], right)

    def put(node, atom, other):   # node's chain as it is, with atom replaced by other
        if node is atom:
            return other
        if isinstance(node, ast.BinOp):
            return ast.BinOp(put(node.left, atom, other), node.op, put(node.right, atom, other))
        return node

    def variants(node):   # node with one of its chains re-bracketed
        if isinstance(node, ast.BinOp):
            atoms, ops = chain(node)
            yield from trees(atoms, ops)
            for atom in atoms:
                for other in variants(atom):
                    yield put(node, atom, other)
        elif isinstance(node, ast.UnaryOp):
            for other in variants(node.operand):
                yield ast.UnaryOp(node.op, other)
        elif isinstance(node, ast.Call):
            for i, arg in enumerate(node.args):
                for other in variants(arg):
                    yield ast.Call(node.func, node.args[:i] + [other] + node.args[i + 1:], [])

    def reads(node):   # its value at three fixed points (None where it cannot be computed)
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - {"math"}
        points = [{name: 0.37 + 0.71 * k + 0.13 * i for i, name in enumerate(sorted(names))}
                  for k in range(3)]
        try:
            code = compile(ast.Expression(ast.fix_missing_locations(node)), "<slip>", "eval")
            return tuple(round(complex(eval(code, {"math": math}, p)).real, 9) for p in points)
        except Exception:  # noqa: BLE001 (any formula: it is only compared)
            return None

    tree = ast.parse(expression, mode="eval").body
    seen, values = {ast.dump(tree)}, {reads(tree)} - {None}
    # of the bracketings that read the same, the one written with the fewest parentheses
    for variant in sorted(variants(tree), key=lambda v: ast.unparse(v).count("(")):
        value = reads(variant)
        if ast.dump(variant) not in seen and (value is None or value not in values):
            seen.add(ast.dump(variant))
            values.add(value)
            yield ast.unparse(variant)


def renamed(expression, names):
    """Every way of writing one variable of ``expression`` (Python text) as another of
    ``names`` (the wrong variable: ``cos(3 * a)`` for ``cos(3 * b)``): (the variable, the one
    in its place, the text), each use of a variable at a time."""
    import ast
    names = list(dict.fromkeys(names))   # "abc" is a, b and c, not a substring test
    tree = ast.parse(expression, mode="eval")
    uses = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in names]
    for k, use in enumerate(uses):
        for name in names:
            if name != use.id:
                copy = ast.parse(expression, mode="eval")
                target = [n for n in ast.walk(copy) if isinstance(n, ast.Name)
                          and n.id in names][k]
                was, target.id = target.id, name
                yield was, name, ast.unparse(copy)
