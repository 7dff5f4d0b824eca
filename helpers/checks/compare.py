"""Check gradients: a hand-derived one against PyTorch's, or against central differences.

``compare`` prints one aligned line per tensor, in the spirit of the lecture's ``cmp``.
What it promises a learner:

- **every right answer passes**: values are judged against float rounding, relative to the
  size of the gradient (or to ``scale``, the size of the numbers it is computed from), so an
  answer written differently from PyTorch's passes; whether it matches PyTorch bit for bit
  is shown (``exact``) but never decides;
- **every wrong answer fails**: the tolerance is ``helpers.checks.core``'s one rule, the
  rounding of the least precise of the answer, the reference and the tensor it is about
  (float32: 3.8e-6 of the scale; float64: 1e-9), so a relative error of 1e-5 is caught in
  float32. Pass the exact float64 gradient as ``reference`` where you have one;
- **a diagnosis only where it fits**, derived from the answer's structure: shapes (a
  missing or an extra dimension, a sum over the wrong dimension, a transpose), a wrong sign,
  a constant factor (named when it is n, n-1, n/(n-1), 2, 1/2, a size of the gradient or of
  a tensor it meets, or a number the caller names; Bessel's correction only where a
  variance lies between the tensor and the loss), a factor per row or per column (named
  when a named tensor is it), a transpose, a broadcast that matched only by luck, a missed
  use of a tensor used more than once, a local derivative taken at the input instead of the
  output, an indexed ``+=`` that drops repeated rows, the chain-rule paths or the terms of
  a formula fitted with nameable coefficients (a path or term missing, with the wrong sign,
  with n/(n-1) on the wrong one), one named intermediate in place of another, or a mistake
  the caller declares in ``mistakes``. Otherwise it says where the values differ most.
- the printed line is portable: it shows no digits that change with the BLAS library,
  the thread count or the torch version when the check passes.

``probe`` goes further for a gradient that is zero on every batch (a bias before BatchNorm,
the maximum subtracted before a softmax), where any multiple of rounding noise "matches":
it re-runs the learner's own formula on other numbers.
"""

import ast
import functools
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from helpers.checks import core
from helpers.checks.paths import contributions, diagnose, fit, grads_kept, local_derivatives

__all__ = ["Comparison", "compare", "numerical_grad", "probe"]



@dataclass(frozen=True)
class Comparison:
    """What ``compare`` found; ``ok`` is true when the shapes match and the values are close."""

    name: str
    exact: bool
    approximate: bool
    maxdiff: float
    shape_ok: bool
    line: str
    tolerance: float = 0.0
    hint: str = ""        # the diagnosis and where the values differ, on a failure
    diagnosis: str = ""   # the likely mistake alone, without numbers ("" if none fits)

    @property
    def ok(self):
        return self.shape_ok and self.approximate

    def __bool__(self):
        return self.ok


def _as_tensor(value, what):
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    raise TypeError(f"compare: {what} must be a torch.Tensor (or a numpy array); "
                    f"got {type(value).__name__}")


def compare(name, manual, tensor, *, reference=None, scale=None, n=None, graph=None,
            index=None, mistakes=None, atol=None, rtol=None, show_exact=True, quiet=False,
            named=None, terms=None, scale_names=None, variance=None):
    """Compare a hand-computed gradient ``manual`` with ``tensor.grad``; print one line.

    ``exact``: every element equals ``tensor.grad`` bit for bit (information only).
    ``approximate``: the shapes are identical and every element agrees with ``reference``
    (default ``tensor.grad``) under the one rule of ``helpers.checks.core``: the rounding of
    the least precise of the answer, the reference and the tensors the gradient is about
    (``tensor``, ``tensor.grad``: a float64 answer computed from float32 activations carries
    float32's rounding), relative to the reference's largest |entry|. Give ``scale`` (a
    number or a tensor) for a gradient that cancels to about zero, such as a bias before
    BatchNorm: the size of the terms it sums. ``atol``/``rtol`` instead: ``torch.allclose``
    with them.

    Diagnoses, for a wrong answer: ``n``, the batch size, names factors n, n-1, n/(n-1);
    ``scale_names`` ({name: number}, e.g. ``{"T": 0.4}``) names factors T, 1/T, T², 1/T²;
    the sizes of the gradient's and its neighbours' dimensions are named by themselves.
    ``graph``: the loss (or any result computed from ``tensor``), to count how often
    ``tensor`` is used, to find an indexing's indices and whether a variance lies between
    ``tensor`` and the loss (only then is n versus n-1 called Bessel's correction; or say so
    with ``variance=True``/``False``); ``index``: the indices directly. ``named``: {name:
    tensor} of the forward pass's intermediates in ``graph``: a wrong gradient is then fitted
    to its chain-rule paths (``helpers.checks.paths``), and tried with one intermediate in
    place of another. ``terms``: {label: tensor}, the terms of a multi-term formula whose sum
    is the right gradient (the reference when ``reference`` is not given): a wrong answer is
    fitted as a combination of them, to name a term that is missing, has the wrong sign or
    an extra factor. ``mistakes``: a table of ``core.Mistake`` (``predicts(trial)`` reads
    ``trial.data``: ``tensor``, ``reference``, ``n``, ``named``, ``terms``, ``graph``) or
    {what the mistake is: the gradient it would give}. ``show_exact=False`` leaves ``exact``
    out of the line. ``manual=None`` (an exercise not done yet) prints "not implemented yet".
    Returns a :class:`Comparison` (truthy when the check passed).
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"compare: the third argument must be the torch.Tensor whose .grad "
                        f"is the reference; got {type(tensor).__name__}")
    if tensor.grad is None and reference is None and not terms:
        raise ValueError(
            f"compare({name!r}): the tensor has no .grad. Call .retain_grad() on it "
            "before loss.backward() (leaf tensors need requires_grad=True)."
        )
    if manual is None:
        result = Comparison(name, False, False, float("inf"), False,
                            f"{name:<15s} | not implemented yet")
        if not quiet:
            print(result.line)
        return result
    manual = _as_tensor(manual, f"the manual gradient for {name!r}")
    pytorch = tensor.grad.detach() if tensor.grad is not None else None
    parts = _terms(terms, tensor)
    if reference is not None:
        truth = _as_tensor(reference, "reference")
    elif parts:
        truth = sum((g for _, g in parts[1:]), parts[0][1])
    else:
        truth = pytorch
    if manual.shape != truth.shape:
        hint = _shape_hint(manual, truth, name)
        line = (f"{name:<15s} | FAIL: shape {tuple(manual.shape)} does not match "
                f"{tuple(truth.shape)}{': ' + hint if hint else ''}")
        result = Comparison(name, False, False, float("inf"), False, line, hint=hint,
                            diagnosis=hint)
        if not quiet:
            print(result.line)
        return result
    if not (manual.is_floating_point() or manual.is_complex()):
        manual = manual.to(truth.dtype)
    exact = pytorch is not None and bool(
        torch.equal(manual.to(device=pytorch.device, dtype=pytorch.dtype), pytorch))
    m = manual.to(device=truth.device, dtype=torch.float64)
    r = truth.to(torch.float64)
    diff = (m - r).abs()
    maxdiff = float(diff.max()) if diff.numel() else 0.0
    if not torch.isfinite(m).all():
        maxdiff = float("inf")
    inputs = tuple(t for t in (tensor, pytorch) if t is not None)
    if reference is None and terms:   # the terms are the reference: their rounding counts
        inputs += tuple(t for t in dict(terms).values() if isinstance(t, torch.Tensor))
    if atol is not None or rtol is not None:
        atol = 1e-8 if atol is None else atol
        rtol = 1e-5 if rtol is None else rtol
        tol = atol + rtol * r.abs()
        shown_ok = f"< {atol:.0e}" if maxdiff < atol else f"within rtol {rtol:.0e}"
    else:
        allowed = core.tolerance(manual, truth, scale, inputs=inputs)
        tol = torch.full_like(r, allowed)
        shown_ok = f"{core.precision(manual, truth, *inputs)} rounding"
    approx = bool(torch.isfinite(m).all() and (diff <= tol).all())
    tolerance = float(tol.max()) if tol.numel() else 0.0
    exact_part = f"exact: {exact!s:<5} | " if show_exact else ""
    if approx:
        # "0" only where the exact column is shown: elsewhere a zero could be luck of the BLAS
        shown = "0" if maxdiff == 0 and show_exact else shown_ok
        hint = diagnosis = ""
    else:
        case = _Case(name, m, r, tol, n, graph, tensor, named or {}, index, parts,
                     dict(scale_names or {}), variance, scale,
                     got=manual.to(torch.float32) if manual.dtype == torch.float64 and
                     core.precision(manual, truth, *inputs) == "float32" else manual)
        try:
            diagnosis, where = _value_hint(case, _as_mistakes(mistakes))
        except Exception:  # noqa: BLE001 (a diagnosis is a bonus: never a crash instead)
            diagnosis, where = "", f"the values differ: {_where(m, r, tol)}"
        hint = f"{diagnosis}. {where}" if diagnosis and where else diagnosis or where
        allows = f"{tolerance:.1e}"
        shown = f"{maxdiff:.2e} (rounding allows {allows})  <-- FAIL: {hint}"
    line = f"{name:<15s} | {exact_part}approximate: {approx!s:<5} | maxdiff: {shown}"
    result = Comparison(name, exact, approx, maxdiff, True, line, tolerance, hint, diagnosis)
    if not quiet:
        print(result.line)
    return result


def _terms(terms, tensor):
    """[(label, term as float64, expanded to the gradient's shape)] of ``terms``, or []."""
    if not terms:
        return []
    shape = tuple(tensor.shape)
    found = []
    for label, term in dict(terms).items():
        term = _as_tensor(torch.as_tensor(term) if not isinstance(term, torch.Tensor | np.ndarray)
                          else term, f"the term {label!r}").to(torch.float64)
        try:
            found.append((label, term.expand(shape).clone()))
        except RuntimeError:
            raise ValueError(f"compare: the term {label!r} has the shape {tuple(term.shape)}, "
                             f"which does not broadcast to the gradient's {shape}") from None
    return found


def _as_mistakes(mistakes):
    """A table of ``core.Mistake`` from ``mistakes`` (a table already, or {says: gradient})."""
    if not mistakes:
        return []
    if isinstance(mistakes, dict):
        return [core.Mistake(says, lambda trial, w=wrong: w) for says, wrong in mistakes.items()]
    return list(mistakes)


@dataclass
class _Case:
    """What a wrong answer's diagnosis may look at."""

    name: str
    m: torch.Tensor       # the answer, float64
    r: torch.Tensor       # the right answer, float64
    tol: torch.Tensor     # per entry
    n: int | None
    graph: object
    tensor: torch.Tensor
    named: dict
    index: object
    terms: list
    scale_names: dict
    variance: bool | None
    scale: object = None
    got: object = None    # the answer at the precision it is judged in
    cache: dict = field(default_factory=dict)


def _cached(fn):
    """``fn(case)`` computed once per case."""
    @functools.wraps(fn)
    def once(case):
        if fn.__name__ not in case.cache:
            case.cache[fn.__name__] = fn(case)
        return case.cache[fn.__name__]
    return once


# ---- shapes ---------------------------------------------------------------------------------

def _shape_hint(manual, reference, name):
    """Why the shapes may differ, judged from the shapes alone."""
    mine, want = tuple(manual.shape), tuple(reference.shape)
    squeeze = tuple(s for s in want if s != 1)
    if manual.numel() == reference.numel():
        if len(mine) == 2 and mine == want[::-1] and 1 not in mine:
            return "a transposed matrix?"
        if len(mine) < len(want) and tuple(s for s in mine if s != 1) == squeeze:
            return f"keepdim=True would give {want}"
        if len(mine) > len(want) and tuple(s for s in mine if s != 1) == squeeze:
            return f"drop keepdim (or the extra dimension): {name} has shape {want}"
        if len(mine) == len(want) == 2 and sorted(mine) == sorted(want):
            return f"the dimensions are in the wrong order: {name} has shape {want} (a transpose?)"
        return f"the same numbers in another shape: reshape or view it to {want}"
    if len(mine) == 2 and mine[0] == mine[1] and want in ((mine[0], 1), (1, mine[0])):
        return (f"{mine} is what a ({mine[0]}, 1) tensor times a ({mine[0]},) one broadcasts "
                "to: look for a keepdim=True missing in this step or an earlier one")
    try:
        broadcast = torch.broadcast_shapes(mine, want)
    except RuntimeError:
        broadcast = None
    if broadcast == mine and manual.numel() > reference.numel():
        # ``want`` is ``mine`` summed over some dimensions
        extra = len(mine) - len(want)   # leading dimensions ``want`` lacks: summed away too
        padded = (1,) * extra + want
        dims = tuple(d for d, (a, b) in enumerate(zip(mine, padded, strict=True))
                     if a != b or d < extra)
        keep = len(want) == len(mine)
        dims_text = "" if len(dims) == len(mine) and not keep else (
            dims[0] if len(dims) == 1 else dims)
        how = f".sum({dims_text}{', keepdim=True' if keep else ''})"
        summed = torch.empty(mine, device="meta")   # the suggestion, tried on the shapes
        summed = summed.sum(dims, keepdim=keep) if dims_text != "" else summed.sum()
        if tuple(summed.shape) != want:
            how += f".reshape({', '.join(map(str, want))}{',' if len(want) == 1 else ''})"
        return (f"a dimension that was broadcast in the forward pass is summed in the backward "
                f"pass: {how} gives {want}")
    if manual.dim() == 0 and reference.numel() > 1:
        return (f"summed over every dimension; {name} keeps the shape {want}: sum only "
                "over the dimension it was broadcast along")
    if broadcast == want and manual.numel() < reference.numel():
        return (f"a sum (or mean) in the forward pass hands its gradient to every entry it "
                f"summed: spread yours over {want}, e.g. with .expand({', '.join(map(str, want))}) "
                "or by multiplying with a tensor of ones of that shape")
    reduced = [len(s) < 2 or 1 in s for s in (mine, want)]   # shapes a sum could leave
    if manual.numel() < reference.numel() and len(mine) <= 2 and len(want) <= 2 and all(reduced):
        # both are reductions of a bigger tensor, over different dimensions
        summed_mine = [d for d, s in enumerate(mine) if s == 1] if len(mine) == 2 else None
        summed_want = [d for d, s in enumerate(want) if s == 1] or [0]
        if summed_mine is not None and summed_mine and summed_mine != summed_want:
            return (f"a sum over dimension {summed_mine[0]}; {name} needs the sum over "
                    f"dimension {summed_want[0]}{', keepdim=True' if len(want) == 2 else ''}")
        return (f"a sum over the wrong dimension? {name} needs the sum over dimension "
                f"{summed_want[0]}{', keepdim=True' if len(want) == 2 else ''}, giving {want}")
    if len(mine) == len(want) == 1:
        # a 1-D tensor broadcasts along the leading dimension: its gradient sums over dim 0
        return (f"a sum over the wrong dimension? {name} has shape {want}: a vector added to "
                "every row needs the sum over dimension 0 (the rows)")
    return f"{name} has the shape {want}, as every gradient has its tensor's shape"


# ---- values ---------------------------------------------------------------------------------

VARIANCE_OPS = {"VarBackward0", "StdBackward0", "VarMeanBackward0", "StdMeanBackward0",
                "NativeBatchNormBackward0", "CudnnBatchNormBackward0",
                "NativeLayerNormBackward0"}


def _bessel_n(ratio):
    """The n for which ``ratio`` is n/(n-1) or (n-1)/n, when there is such a whole n."""
    if ratio <= 0 or abs(ratio - 1) < 1e-9:
        return None
    n = ratio / (ratio - 1) if ratio > 1 else 1 / (1 - ratio)
    return round(n) if 3 <= n <= 1e6 and abs(n - round(n)) < 1e-3 * n else None


def _n_versus(text, variance):
    """Why a factor n/(n-1) or (n-1)/n: Bessel's correction only where a variance is."""
    if variance:
        return " (n versus n-1: Bessel's correction?)"
    return (" (n versus n-1: divided by n-1 where n belongs?)" if text == "n/(n-1)" else
            " (n versus n-1: divided by n where n-1 belongs?)")


def _factor_name(c, n, shape=(), variance=False, sizes=(), scale_names=None):
    """A name for the constant factor ``c`` (yours = c * right), or ``""``. ``sizes``:
    [(size, what it is the size of)] beyond the gradient's own; ``scale_names``: {name:
    number}."""
    named = []
    if n:
        named = [(n, "n"), (n - 1, "n-1"), (1 / n, "1/n"), (1 / (n - 1), "1/(n-1)"),
                 (n / (n - 1), "n/(n-1)"), ((n - 1) / n, "(n-1)/n"),
                 (n * n, "n²"), (1 / (n * n), "1/n²")]
    for value, text in named:
        if abs(c - value) <= 1e-4 * abs(value):
            fractions = {"n/(n-1)": (n, n - 1), "(n-1)/n": (n - 1, n), "1/n": (1, n),
                         "1/(n-1)": (1, n - 1)}
            shown = text
            if text in fractions:
                shown = f"{text} = {fractions[text][0]}/{fractions[text][1]}"
            if text in ("n/(n-1)", "(n-1)/n"):
                extra = _n_versus(text, variance)
            elif text in ("n", "n-1", "n²"):
                extra = f" (n = {n}, the batch size: a division by {text} missing?)"
            else:
                extra = f" (n = {n}, the batch size: divided by {text[2:]} once too often?)"
            return f" = {shown}{extra}"
    k = _bessel_n(c)
    if k:
        return (f" = {k}/{k - 1}" if c > 1 else f" = {k - 1}/{k}") + \
            _n_versus("n/(n-1)" if c > 1 else "(n-1)/n", variance)
    if abs(c - 2) <= 2e-4:
        return " (twice the right value: a contribution added twice, or a 2 too many?)"
    if abs(c - 0.5) <= 1e-4:
        return " = 1/2 (half the right value: a factor 2 missing, such as the 2 of " \
               "d(x**2)/dx = 2x?)"
    for key, value in (scale_names or {}).items():
        value = abs(float(value))
        if value in (0.0, 1.0, 2.0, 0.5):
            continue
        for power, text, why in ((1, key, f"a factor {key} too many"),
                                 (-1, f"1/{key}", f"divided by {key} once too often"),
                                 (2, f"{key}²", f"multiplied by {key} where the chain rule "
                                                f"divides by it?"),
                                 (-2, f"1/{key}²", f"divided by {key} where the chain rule "
                                                   f"multiplies by it?")):
            if abs(c - value**power) <= 1e-4 * value**power:
                return f" = {text} ({key} = {value:g}: {why})"
    return _size_name(c, shape, n, sizes)


def _size_name(c, shape, n, sizes=()):
    """A name for ``c`` as a size of the gradient's shape or of ``sizes`` (or its inverse)."""
    found = [(d, f"the size of dimension {k}") for k, d in enumerate(shape) if d > 2 and d != n]
    total = int(np.prod(shape)) if shape else 1
    if total > 2 and total not in (d for d, _ in found) and total != n:
        found.append((total, "the number of entries"))
    for d, what in sizes:
        if d > 2 and d != n and d not in (e for e, _ in found):
            found.append((d, what))
    for d, what in found:
        if abs(c - d) <= 1e-4 * d:
            return f" = {d}, {what} (a sum where a mean belongs, or a division by {d} missing?)"
        if abs(c - 1 / d) <= 1e-4 / d:
            return f" = 1/{d}: divided by {d}, {what} (a mean where a sum belongs?)"
    return ""


def _fits(candidate, m, tol):
    return bool(((m - candidate).abs() <= tol).all())


def _paths(case):
    """Which chain-rule paths the answer got wrong (helpers.checks.paths), or ``""``."""
    graph, tensor, named = case.graph, case.tensor, case.named
    if graph is None or not named or not isinstance(graph, torch.Tensor) \
            or graph.grad_fn is None:
        return ""
    try:
        return diagnose(case.m, contributions(graph, tensor, named), case.tol, case.n,
                        local=local_derivatives(graph, tensor, named),
                        bessel=_variance(case), numbers=_numbers(case))
    except RuntimeError:   # the graph was freed (backward without retain_graph)
        return ""


def _term_hint(case):
    """Which terms of a multi-term formula the answer got wrong, or ``""``."""
    if len(case.terms) < 2:
        return ""
    found = fit(case.m, [g for _, g in case.terms], case.tol, case.n, _variance(case),
                _numbers(case))
    if not found:
        return ""
    labels = [label for label, _ in case.terms]
    start = f"{case.name} is the sum of {len(labels)} terms, and "
    n = case.n
    if n and len(found) == 2:   # n/(n-1) moved from one term to another
        (j, a, _), (k, b, _) = found
        for (x, u), (y, v) in (((j, a), (k, b)), ((k, b), (j, a))):
            if abs(u - n / (n - 1)) < 1e-12 and abs(v - (n - 1) / n) < 1e-12:
                return (f"{start}the factor n/(n-1) = {n}/{n - 1} sits on the term "
                        f"{labels[x]}; it belongs on the term {labels[y]}")
    said = []
    for k, _, text in found:
        if text == "missing" or text.startswith("the wrong sign"):
            said.append(f"the term {labels[k]} {'is' if text == 'missing' else 'has'} {text}")
        elif text in ("twice", "half"):
            said.append(f"the term {labels[k]} is "
                        + ("counted twice" if text == "twice" else "halved"))
        else:
            said.append(f"the term {labels[k]} carries {text}")
    return start + "; ".join(said)


@_cached
def _numbers(case):
    """[(value, text)]: the factors a part of a gradient (a path, a term) may wrongly carry,
    beyond n's and 2's: the caller's ``scale_names`` and the sizes around the gradient."""
    found, seen = [], {0.0, 1.0, 2.0, 0.5, float(case.n or 0)}
    for key, value in case.scale_names.items():
        value = abs(float(value))
        for v, text in ((value, f"{key} = {value:g}"), (1 / value if value else 0.0, f"1/{key}"),
                        (value**2, f"{key}²"), (1 / value**2 if value else 0.0, f"1/{key}²")):
            if v not in seen:
                seen.add(v)
                found.append((v, text))
    sizes = [(d, f"the size of dimension {k}") for k, d in enumerate(case.m.shape)]
    for d, what in sizes + _neighbour_sizes(case):
        if d > 2 and d not in seen and d != case.n:
            seen.add(d)
            found += [(d, f"{d} ({what}: a sum where a mean belongs?)"),
                      (1 / d, f"1/{d} ({what}: a mean where a sum belongs?)")]
    return found


@_cached
def _variance(case):
    """Whether a variance lies between the tensor and the loss: ``case.variance`` if given,
    else a var/std (or batch/layer norm) operation, or a named tensor called *var* or *std*,
    in the graph between them (False without a graph)."""
    if case.variance is not None:
        return bool(case.variance)
    if not isinstance(case.graph, torch.Tensor) or case.graph.grad_fn is None:
        return False
    between = _between(case.graph, case.tensor)
    if any(type(node).__name__ in VARIANCE_OPS for node in between.values()):
        return True
    return any(("var" in key.lower() or "std" in key.lower()) and t.grad_fn is not None
               and id(t.grad_fn) in between for key, t in case.named.items()
               if isinstance(t, torch.Tensor))


def _between(graph, tensor):
    """{id: node} of the nodes of ``graph`` from which ``tensor`` is reached."""
    parents, nodes = {}, list(_graph_nodes(graph))   # the list keeps the nodes alive
    for node in nodes:
        for child, _ in node.next_functions:
            if child is not None:
                parents.setdefault(id(child), []).append(node)
    reaches, todo = {}, list(_consumers(graph, tensor) or [])
    while todo:
        node = todo.pop()
        if id(node) not in reaches:
            reaches[id(node)] = node
            todo += parents.get(id(node), [])
    return reaches


def _is_tensor_node(child, slot, tensor):
    """Whether the autograd node ``child`` (output ``slot``) stands for ``tensor``."""
    if tensor.grad_fn is not None:
        return child is tensor.grad_fn and slot == tensor.output_nr
    return type(child).__name__ == "AccumulateGrad" and child.variable is tensor


@_cached
def _neighbour_sizes(case):
    """[(size, what it is the size of)]: the dimensions of the tensors ``tensor`` meets in
    the operations that take it (a sum over a dimension of those is a mean's 1/size)."""
    found = []
    for node in _consumers(case.graph, case.tensor) or []:
        for attr in dir(node):
            if not attr.startswith("_saved_"):
                continue
            try:
                value = getattr(node, attr)
            except RuntimeError:   # freed by backward()
                continue
            if isinstance(value, torch.Tensor) and value.dim():
                who = next((k for k, t in case.named.items() if isinstance(t, torch.Tensor)
                            and t.shape == value.shape and torch.equal(t.detach(), value)),
                           None)
                of = f"of {who}" if who else f"of the {tuple(value.shape)} tensor it meets " \
                                             f"in the forward pass"
                shape = tuple(value.shape)
            elif isinstance(value, tuple) and value and all(isinstance(v, int) for v in value) \
                    and attr.endswith("sizes"):
                shape, of = tuple(value), f"of the {tuple(value)} tensor it meets in the " \
                                          "forward pass"
            else:
                continue
            found += [(d, f"the size of dimension {k} {of}") for k, d in enumerate(shape)]
            total = int(np.prod(shape))
            found.append((total, f"the number of entries {of}"))
    return found


def _value_hint(case, mistakes=()):
    """(the likely mistake or "", where the values differ or "") for a gradient of the right
    shape and the wrong values."""
    name, m, r, tol, n = case.name, case.m, case.r, case.tol, case.n
    if not torch.isfinite(m).all():
        which = _name_factor(case, tol, tuple(m.shape))
        if which:
            return (f"yours is, entry by entry, the right gradient times {which}; it is nan "
                    "or inf where that factor is infinite"), ""
        return "your gradient contains nan or inf", ""
    if (m == 0).all():
        return "your gradient is all zeros", ""
    said = _named_mistake(case, mistakes)
    if said:
        return said, ""
    rr = float((r * r).sum())
    # a factor is only meaningful where the reference stands clear of rounding
    if rr > 0 and float(r.abs().max()) > 100 * float(tol.max()):
        c = float((m * r).sum()) / rr
        if c != 0 and _fits(c * r, m, tol * max(1.0, abs(c))):
            if abs(c + 1) < 1e-4:
                return "the sign is wrong", ""
            sign = "the sign is wrong and it is " if c < 0 else ""
            factor = _factor_name(abs(c), n, tuple(m.shape), _variance(case),
                                  _neighbour_sizes(case), case.scale_names)
            return f"{sign}off by a constant factor {abs(c):.4g}{factor}", ""
    if m.dim() == 2 and m.shape[0] == m.shape[1] and _fits(r.T, m, tol):
        return "this is the transpose of the right matrix", ""
    offset = _offset(case)
    if offset:
        return offset, ""
    per = _factor_per_line(case)
    if per:
        return per, ""
    at_input = _derivative_at_input(case.graph, case.tensor, m, r, tol) or _power_rule(case)
    if at_input:
        return at_input, ""
    picked = _index_pair(case)
    if picked:
        return picked, ""
    lookup = _lookup(case.graph, case.tensor, case.index)
    if lookup is not None:
        message = _repeated_rows(name, m, r, tol, lookup)
        if message:
            return message, ""
    terms = _term_hint(case)
    if terms:
        return terms, ""
    paths = _paths(case)
    if paths:
        fix = ": add each path's contribution (+=, not =)" if "missing" in paths else ""
        return f"{name}'s gradient is the sum of its chain-rule paths, and {paths}{fix}", ""
    swapped = _substitution(case)
    if swapped:
        return swapped, ""
    which = _name_factor(case, tol, tuple(m.shape)) \
        if float(r.abs().max()) > 100 * float(tol.max()) else ""
    if which:
        return f"yours is, entry by entry, the right gradient times {which}", \
            f"the values differ: {_where(m, r, tol)}"
    where = _where(m, r, tol)
    uses = _uses(case.graph, case.tensor)
    if uses and uses[0] >= 2:
        count, ops = uses
        return (f"{name} is used {count} times in the forward pass ({ops}), so its gradient "
                f"is the sum of {count} contributions: check that each one is there (+=, "
                "not =) and that each is right"), where
    broadcast, same = _broadcast(case)
    if broadcast:
        return broadcast, ""
    return "", f"the values differ: {where}{same}"


def _offset(case):
    """The diagnosis of an answer that is ``b * right + a`` in every entry, with a constant
    ``a`` that is not 0: ``b`` and ``a`` are measured; their likely cause, a number added or
    subtracted where the formula multiplies (``1 / n - 1 * x`` is ``1/n - x``), is asked (a
    centred ``g - g.mean()`` fits too). Only where the right gradient takes at least three
    values clear of rounding, so that two numbers fitting it says something."""
    m, r, tol, n = case.m, case.r, case.tol, case.n
    size = float(r.abs().max())
    if size <= 100 * float(tol.max()) or m.numel() < 3:
        return ""
    design = torch.stack([torch.ones_like(r).reshape(-1), r.reshape(-1)], 1)
    a, b = torch.linalg.lstsq(design, m.reshape(-1, 1)).solution.reshape(-1).tolist()
    # yours is rounded at its own size: that of a as much as that of b * right
    allowed = 2 * tol * (max(1.0, abs(b)) + abs(a) / size)
    levels = torch.unique((b * r / (10 * float(allowed.max()))).round())
    if abs(a) <= float(allowed.max()) or abs(b) < 1e-6 or levels.numel() < 3 \
            or not _fits(a + b * r, m, allowed):
        return ""
    times = "" if abs(b - 1) <= 1e-4 else f"{_factor_words(b, n)} times "
    return (f"yours is {times}the right gradient {'+' if a > 0 else '-'} "
            f"{_factor_words(abs(a), n)}, in every entry: a number added or subtracted where the "
            "formula multiplies or divides? If so, check the brackets: e.g. 1 / n - 1 * x is "
            "(1/n) - x, not x / (n - 1)")


def _factor_words(v, n):
    """``v`` in words: n, n-1, their inverses or ratios (or minus one) where it is one."""
    for value, text in ((n, "n"), (n - 1, "n-1"), (1 / n, "1/n"), (1 / (n - 1), "1/(n-1)"),
                        (n / (n - 1), "n/(n-1)"), ((n - 1) / n, "(n-1)/n")) if n and n > 1 else ():
        for sign, shown in ((1, text), (-1, f"-({text})" if "-" in text else f"-{text}")):
            if abs(v - sign * value) <= 1e-4 * value:
                return f"{shown} = {sign * value:.4g}"
    return f"{v:.4g}"


def _broadcast(case):
    """(a diagnosis, a remark): an answer that is the right gradient summed (or averaged)
    over a dimension and broadcast back is diagnosed; one that is merely the same all along
    a dimension where the right gradient is not gets a remark for where the values differ
    (its shape matched only by broadcasting)."""
    m, r, tol = case.m, case.r, case.tol
    if m.numel() > 1 and _fits(m.reshape(-1)[:1].expand_as(m), m, tol):
        return "", "; every entry of yours is the same number"
    for dim in range(m.dim()):
        if m.shape[dim] < 2:
            continue
        first, right_first = m.narrow(dim, 0, 1), r.narrow(dim, 0, 1)
        if not _fits(first.expand_as(m), m, tol) or _fits(right_first.expand_as(r), r, tol):
            continue
        small = tuple(1 if d == dim else s for d, s in enumerate(m.shape))
        lines = {0: "row", 1: "column"}[dim] if m.dim() == 2 else f"slice along dimension {dim}"
        for how, value in (("summed", r.sum(dim, keepdim=True)),
                           ("averaged", r.mean(dim, keepdim=True))):
            if _fits(value.expand_as(m), m, tol):
                return (f"yours is the right gradient {how} over dimension {dim} and broadcast "
                        f"back to {tuple(m.shape)}: every {lines} is the same, but {case.name}'s "
                        f"gradient has one value per entry; the sum over dimension {dim} "
                        "belongs to a tensor that was broadcast, not to this one"), ""
        return "", (f"; every {lines} of yours is the same (a {small} tensor broadcast to "
                    f"{tuple(m.shape)}), the right gradient's {lines}s differ")
    return "", ""


def _named_mistake(case, mistakes):
    """The ``says`` of the caller's mistake that the answer matches (core.diagnose)."""
    if not mistakes:
        return None
    trial = core.Trial(f"for {case.name}", got=case.got, want=case.r,
                       data={"tensor": case.tensor, "reference": case.r, "n": case.n,
                             "named": case.named, "terms": dict(case.terms),
                             "graph": case.graph},
                       scale=case.scale)

    def guarded(mistake):
        def predicts(t):
            try:
                wrong = mistake.predicts(t)
            except RuntimeError:   # torch's shape errors: the mistake cannot happen here
                return None
            return None if wrong is None else torch.as_tensor(wrong).detach()
        return core.Mistake(mistake.says, predicts)

    return core.diagnose([trial], [guarded(mistake) for mistake in mistakes])


def _factor_per_line(case):
    """The diagnosis of a factor that differs from column to column (or row to row), with
    the factor named when it is a named tensor of that shape (or a power of one). Not where
    the right gradient is itself the same all along the lines: a factor per line then fits
    any answer that is too, and says nothing."""
    m, r, tol = case.m, case.r, case.tol
    if m.dim() != 2 or min(m.shape) < 2 or float(r.abs().max()) <= 100 * float(tol.max()):
        return ""
    for dim, line, shape in ((0, "column", (1, m.shape[1])), (1, "row", (m.shape[0], 1))):
        rr = (r * r).sum(dim, keepdim=True)
        significant = (r.abs() > 100 * tol).sum(dim)
        if (rr == 0).any() or (significant < 2).any() \
                or _fits(r.narrow(dim, 0, 1).expand_as(r), r, tol):
            continue   # one entry per line, or one value per line: fits any factor
        c = (m * r).sum(dim, keepdim=True) / rr
        size = float(c.abs().max())
        if float(c.max() - c.min()) > 1e-3 * size and _fits(c * r, m, tol * max(1.0, size)):
            which = _name_factor(case, tol, shape)
            if which:
                return f"each {line} of yours is the right one times {which}"
            return (f"each {line} of yours is the right one times its own factor (from "
                    f"{float(c.min()):.3g} to {float(c.max()):.3g}): a factor of shape "
                    f"{shape} that varies per {line} is missing, extra or wrong")
    return ""


def _power_words(key, k):
    """``key**k`` as a factor of yours over the right gradient, in words that follow the
    sign of ``k``: yours has ``key`` to a power ``k`` higher (or ``-k`` lower)."""
    shown = (key if k == 1 else f"1/{key}" if k == -1 else f"{key}**{k}" if k > 0
             else f"1/{key}**{-k}")
    if abs(k) == 1:
        return shown + (f" (an extra {key}, or a power of {key} off by one?)" if k > 0 else
                        f" (a {key} missing, or a power of {key} off by one?)")
    more = ("higher", "multiplied by", "divides by") if k > 0 else \
        ("lower", "divided by", "multiplies by")
    return (f"{shown} (a power of {key} off by {abs(k)}: yours has {key} to a power {abs(k)} "
            f"{more[0]} than the right gradient, as when {more[1]} {key} where the chain rule "
            f"{more[2]} it{' (brackets that move it into a denominator)' if k < 0 else ''}?)")


def _name_factor(case, tol, shape):
    """What the per-line or per-entry factor (yours = factor * right) is, in words, when a
    named tensor of its ``shape`` or the gradient of one (``dX``) raised to the power 1, -1,
    2 or -2 is it; else ``""``. Where a negative power of it is infinite (it is 0 there),
    yours must be nan or inf and is not compared. A plain tensor is preferred to an inverse,
    that to a square."""
    m, r = case.m, case.r
    candidates = [(k, t.detach().to(torch.float64)) for k, t in case.named.items()
                  if isinstance(t, torch.Tensor)]
    flow = _flow(case) if case.named else None
    candidates += [(f"d{k}", g) for k, g in (flow[0] if flow else ())]
    finite = torch.isfinite(m)
    found = []
    for key, t in candidates:
        if tuple(t.shape) != tuple(shape):
            continue
        for k in (1, -1, 2, -2):
            value = (t**k).expand_as(m)
            defined = torch.isfinite(value)
            if not torch.equal(defined, finite) or not (r.abs() > tol)[defined].any():
                continue
            allowed = (tol * value.abs().clamp(min=1))[defined]   # rounding grows with it
            if _fits((value * r)[defined], m[defined], allowed):
                found.append(((abs(k), k < 0), _power_words(key, k)))
                break
    best = [text for rank, text in found if rank == min(found)[0]] if found else []
    return best[0] if len(best) == 1 else ""


def _power_rule(case):
    """The power rule with its exponent not lowered (p * x**p for p * x**(p - 1)) or lowered
    twice: yours = right * x (or right / x), x the base of a power ``x ** p`` of the graph."""
    graph, m, r, tol = case.graph, case.m, case.r, case.tol
    if not isinstance(graph, torch.Tensor) or graph.grad_fn is None \
            or float(r.abs().max()) <= 100 * float(tol.max()):
        return ""
    named = {id(t): k for k, t in case.named.items() if isinstance(t, torch.Tensor)}
    for node in _graph_nodes(graph):
        try:
            base, p = node._saved_self, float(node._saved_exponent)
        except (AttributeError, RuntimeError, TypeError):
            continue   # not a power with a number for exponent (or its graph was freed)
        try:
            x = base.detach().to(torch.float64).expand_as(m)
        except RuntimeError:
            continue
        what = named.get(id(base), "x")
        for k, done, power in ((1, "not lowered", p), (-1, "lowered twice", p - 2)):
            value = x ** k
            if torch.isfinite(value).all() and not _fits(value * r, r, tol) \
                    and _fits(value * r, m, tol * value.abs().clamp(min=1)):
                return (f"yours is the right gradient times {'' if k == 1 else '1/'}{what}, "
                        f"the base of the power {what}**{p:g} in the forward pass: the power "
                        f"rule lowers the exponent by one, d/dx x**{p:g} = {p:g} * x**"
                        f"{p - 1:g}; yours has x**{power:g}, the exponent {done}")
    return ""


def _where(m, r, tol):
    """Which entries, rows or columns hold the difference, in words."""
    bad = (m - r).abs() > tol
    count, total = int(bad.sum()), bad.numel()
    excess = ((m - r).abs() - tol).clamp(min=0)
    flat = int(excess.argmax())
    position = np.unravel_index(flat, tuple(m.shape)) if m.dim() else ()
    at = "[" + ", ".join(str(int(i)) for i in position) + "]"
    text = (f"{count} of {total} entries differ; the largest difference is at {at} "
            f"(yours {float(m.reshape(-1)[flat]):.4g}, expected {float(r.reshape(-1)[flat]):.4g})")
    if m.dim() == 2 and count:
        for dim, label in ((1, "row"), (0, "column")):
            share = excess.sum(dim)
            order = torch.argsort(share, descending=True)
            k = int((share > 0).sum())
            cutoff = share.shape[0] // 4
            if 0 < k <= cutoff:
                names = ", ".join(str(int(i)) for i in order[:min(k, 5)])
                more = ", ..." if k > 5 else ""
                text += f"; only in {label}{'s' if k > 1 else ''} {names}{more} of {share.shape[0]}"
    return text


# ---- one intermediate in place of another -------------------------------------------------------

# The local rules of the operations whose inputs are cheap to swap: for the input in ``slot``,
# {op: {slot: (the saved operand or None, the gradient from the upstream g, that operand and
# the node)}}.
_LOCAL = {
    "MulBackward0": {0: ("_saved_other", lambda g, s, node: g * s),
                     1: ("_saved_self", lambda g, s, node: g * s)},
    "DivBackward0": {0: ("_saved_other", lambda g, s, node: g / s)},
    "ExpBackward0": {0: ("_saved_result", lambda g, s, node: g * s)},
    "TanhBackward0": {0: ("_saved_result", lambda g, s, node: g * (1 - s * s))},
    "LogBackward0": {0: ("_saved_self", lambda g, s, node: g / s)},
    "PowBackward0": {0: ("_saved_self", lambda g, s, node:
                         g * node._saved_exponent * s ** (node._saved_exponent - 1))},
    "MmBackward0": {0: ("_saved_mat2", lambda g, s, node: g @ s.T),
                    1: ("_saved_self", lambda g, s, node: s.T @ g)},
    "SumBackward0": {0: (None, lambda g, s, node: _spread(g, node))},
    "SumBackward1": {0: (None, lambda g, s, node: _spread(g, node))},
}
_WHAT = {"MulBackward0": "the product", "DivBackward0": "the division",
         "ExpBackward0": "exp", "TanhBackward0": "tanh", "LogBackward0": "log",
         "PowBackward0": "the power", "MmBackward0": "the matrix product",
         "SumBackward0": "the sum", "SumBackward1": "the sum"}


def _spread(g, node):
    """A sum's gradient ``g`` handed back to every entry it summed."""
    sizes = tuple(node._saved_self_sym_sizes)
    dims = getattr(node, "_saved_dim", ())
    if dims and not node._saved_keepdim:
        for d in sorted(d % len(sizes) for d in dims):
            g = g.unsqueeze(d)
    return g.expand(sizes)


@_cached
def _flow(case):
    """(the gradients of the named tensors as [(name, float64 gradient)], {id(node): the
    gradient arriving at each operation that takes the tensor}, those operations), from one
    autograd pass over ``graph``; None without a graph (or where it was freed)."""
    graph, tensor = case.graph, case.tensor
    named = {k: t for k, t in case.named.items() if isinstance(t, torch.Tensor)}
    if not isinstance(graph, torch.Tensor) or graph.grad_fn is None:
        return None
    nodes = _consumers(graph, tensor) or []
    arriving, handles = {}, []
    for node in nodes:
        handles.append(node.register_hook(
            lambda grad_in, grad_out, node=node: arriving.update({id(node): grad_out[0]})))
    wanted = [(k, t) for k, t in named.items() if t.requires_grad]
    try:
        with grads_kept([tensor, graph, *named.values()]):
            grads = torch.autograd.grad(graph, [tensor, *(t for _, t in wanted)],
                                        retain_graph=True, allow_unused=True)[1:]
    except RuntimeError:   # the graph was freed
        return None
    finally:
        for handle in handles:
            handle.remove()
    grad_of = [(k, g.detach().to(torch.float64)) for (k, _), g in zip(wanted, grads, strict=True)
               if g is not None]
    return grad_of, arriving, nodes


def _to_shape(x, shape):
    """``x`` summed (a broadcast undone) or spread to ``shape``; None when neither fits."""
    try:
        return x.sum_to_size(shape) if x.dim() >= len(shape) and x.numel() >= int(
            np.prod(shape)) else x.expand(shape)
    except RuntimeError:
        return None


def _substitution(case):
    """The diagnosis of an answer that is the right gradient with one thing changed in one
    operation that takes the tensor: a named intermediate in place of the operand that
    belongs there (its value: the product's output where its other factor belongs), the
    incoming gradient of another named tensor, the incoming gradient summed over a
    dimension, or the operation's part summed over a dimension and spread back. One change
    that fits is named, two as "either A, or B"; more, none ("")."""
    flow = _flow(case) if case.named else None
    if not flow:
        return ""
    grad_of, arriving, nodes = flow
    values = [(k, t.detach().to(torch.float64)) for k, t in case.named.items()
              if isinstance(t, torch.Tensor)]
    m, r, tol, name = case.m, case.r, case.tol, case.name
    shape = tuple(case.tensor.shape)
    found = {}   # what it says: (the part it predicts, whether it is a sum over a dimension)
    for node in nodes:
        kind, g = type(node).__name__, arriving.get(id(node))
        if kind not in _LOCAL or g is None:
            continue
        g = g.detach().to(torch.float64)
        for slot, (child, number) in enumerate(node.next_functions):
            if not _is_tensor_node(child, number, case.tensor) or slot not in _LOCAL[kind]:
                continue
            attr, rule = _LOCAL[kind][slot]
            try:
                saved = getattr(node, attr) if attr else None
            except RuntimeError:
                continue
            if attr and (not isinstance(saved, torch.Tensor) or not saved.dim()):
                continue
            saved = saved.detach().to(torch.float64) if attr else None
            before = _to_shape(rule(g, saved, node), shape)
            if before is None:
                continue
            what, own, g_own = _WHAT[kind], attr and _name_of(saved, values), _name_of(g, grad_of)
            incoming = f"d{g_own}" if g_own else "the gradient arriving there"
            tries = []   # (the incoming gradient and operand, or the dimension its part is
            #               summed over; what it says; how many roundings add up in it;
            #               whether it is a sum over a dimension)
            for key, value in values if attr else ():
                if key != own:
                    where = f" where {own} belongs" if own else " where another operand belongs"
                    who = f"{key} itself" if key == name else key
                    tries.append(((g, value), f"your gradient of {name} uses {who}{where}, in "
                                  f"{what} that takes {name}", 1, False))
            for key, grad in grad_of:
                if key != g_own:
                    where = f" where d{g_own} belongs" if g_own else ""
                    tries.append(((grad, saved), f"your gradient of {name} is computed from "
                                  f"d{key} (the gradient of {key}){where}, in {what} that takes "
                                  f"{name}", 1, False))
            if not _fits(before, r, tol):   # else it is the whole gradient: _broadcast's case
                tries += [(d, f"your gradient of {name} sums its part from {what} over "
                              f"dimension {d} and broadcasts it back: {name} was not broadcast "
                              f"along dimension {d} there, so that part keeps one value per "
                              "entry", shape[d], True) for d in range(len(shape)) if shape[d] > 1]
            tries += [((g.sum(d, keepdim=True), saved), f"your gradient of {name} sums "
                       f"{incoming} over dimension {d} (and broadcasts it back) before {what} "
                       f"that takes {name}: {incoming} keeps one value per entry; a sum belongs "
                       "only where the forward pass broadcast", g.shape[d], True)
                      for d in range(g.dim()) if g.shape[d] > 1]
            for change, says, count, summed in tries:
                try:
                    after = _to_shape(before.sum(change, keepdim=True) if isinstance(change, int)
                                      else rule(*change, node), shape)
                except RuntimeError:
                    continue
                if after is None:
                    continue
                # the rounding of yours grows with the numbers it adds up
                size = max(float(after.abs().max()), float(before.abs().max()))
                allowed = tol * count * max(1.0, size / max(float(r.abs().max()), 1e-300))
                # a sum before or after an operation that broadcasts nothing along it: one
                # mistake, said once; other changes that give the same are told apart
                if _fits(r - before + after, m, allowed) and not _fits(before, after, allowed) \
                        and not (summed and any(was and _fits(after, same, allowed)
                                                for same, was in found.values())):
                    found[says] = (after, summed)
    says = list(found)
    return says[0] if len(says) == 1 else f"either {says[0]}, or {says[1]}" \
        if len(says) == 2 else ""


def _name_of(value, candidates):
    """The key of the one (key, tensor) in ``candidates`` equal to ``value``, or None."""
    same = [k for k, t in candidates if t.shape == value.shape and torch.equal(t, value)]
    return same[0] if len(same) == 1 else None


# ---- what the autograd graph knows ----------------------------------------------------------

def _consumers(graph, tensor):
    """The nodes of ``graph`` (a result's autograd graph) that take ``tensor`` as an input."""
    if not isinstance(graph, torch.Tensor) or graph.grad_fn is None:
        return None
    return [node for node in _graph_nodes(graph)
            if any(child is not None and _is_tensor_node(child, slot, tensor)
                   for child, slot in node.next_functions)]


def _graph_nodes(graph):
    """Every node of ``graph``'s autograd graph, once, from the output down (``seen`` keeps
    the nodes alive while they are walked, so their ids stay unique)."""
    seen, stack = {}, [graph.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen[id(node)] = node
        yield node
        stack += [child for child, _ in node.next_functions]


def _op(node):
    return type(node).__name__.removesuffix("Backward0").removesuffix("Backward1").lower()


def _uses(graph, tensor):
    """(how many times ``tensor`` is used, the operations) or None if unknown."""
    nodes = _consumers(graph, tensor)
    if not nodes:
        return None
    ops = sorted({_op(node) for node in nodes})
    return len(nodes), " and ".join(ops)


def _lookup(graph, tensor, index):
    """The indices with which rows of ``tensor`` were looked up, or None."""
    if index is not None:
        return torch.as_tensor(index)
    for node in _consumers(graph, tensor) or []:
        if type(node).__name__ in ("IndexBackward0", "EmbeddingBackward0"):
            try:   # saved tensors are freed by backward() unless retain_graph=True
                saved = node._saved_indices
            except RuntimeError:
                return None
            if isinstance(saved, list | tuple):
                saved = saved[0] if len(saved) == 1 else None
            if isinstance(saved, torch.Tensor) and not saved.is_floating_point():
                return saved
    return None


def _index_pair(case):
    """The diagnosis of ``d[:, cols] = ...`` where the forward pass picked one entry per row,
    ``x[rows, cols]``: yours fills every row at each column that some row picks."""
    m, r, tol = case.m, case.r, case.tol
    for node in _consumers(case.graph, case.tensor) or []:
        try:
            saved = node._saved_indices if type(node).__name__ == "IndexBackward0" else None
        except RuntimeError:   # freed by backward()
            continue
        if m.dim() != 2 or not isinstance(saved, list | tuple) or len(saved) != 2 or not all(
                isinstance(i, torch.Tensor) and i.dim() == 1 and not i.is_floating_point()
                for i in saved) or saved[0].shape != saved[1].shape:
            continue
        rows, cols = saved
        values = r[rows, cols]
        if not _fits(values[:1].expand_as(values), values, tol.max()):
            continue   # which copy of a repeated column wins would be a guess
        wrong = r.clone()
        wrong[:, cols] = values[0]
        if _fits(wrong, m, tol) and not _fits(wrong, r, tol):
            return (f"yours has an entry in every row at each column that some row picks: "
                    f"d{case.name}[:, cols] indexes whole columns, where the forward pass "
                    f"picked one entry per row, {case.name}[rows, cols]: index the rows too, "
                    f"d{case.name}[range(n), cols]")
    return ""


def _repeated_rows(name, m, r, tol, index):
    """The diagnosis of ``d[index] += rows``, which adds a repeated row only once."""
    if m.dim() < 1 or index.numel() == 0 or int(index.max()) >= m.shape[0]:
        return ""
    counts = torch.bincount(index.reshape(-1), minlength=m.shape[0])
    rows_bad = ((m - r).abs() > tol).reshape(m.shape[0], -1).any(1)
    repeated = counts >= 2
    if rows_bad.any() and not (rows_bad & ~repeated).any() and rows_bad.sum() >= repeated.sum() / 2:
        return (f"only the rows of {name} that the batch looks up more than once are wrong. "
                f"An indexed += such as d{name}[Xb] += demb writes each repeated row once "
                "(the last copy wins) instead of adding every copy; add them all with "
                f"index_add_(0, Xb.view(-1), demb.view(-1, {m.shape[-1]})) or a loop over "
                "the positions")
    return ""


def _derivative_at_input(graph, tensor, m, r, tol):
    """The diagnosis of tanh's or exp's derivative evaluated at its input, not its output."""
    for node in _consumers(graph, tensor) or []:
        kind = type(node).__name__
        if kind not in ("TanhBackward0", "ExpBackward0"):
            continue
        x = tensor.detach().to(torch.float64)
        out = torch.tanh(x) if kind == "TanhBackward0" else torch.exp(x)
        if kind == "TanhBackward0":
            local, wrong = 1 - out**2, 1 - x**2
            text = ("tanh's derivative is taken at its input; it is 1 - tanh(x)**2, "
                    "with tanh(x) the output h: (1 - h**2)")
        else:
            local, wrong = out, x
            text = "exp's derivative is exp(x), the output (counts), not the input x"
        # yours = wrong * upstream and right = local * upstream, so yours * local equals
        # right * wrong up to the rounding of each, without dividing by a tiny local
        if ((m * local - r * wrong).abs() <= 2 * tol * (wrong.abs() + local.abs())).all():
            return text
    return None


def _scalar(value):
    """Turn what ``f`` returned into a Python float, or explain why it cannot be one."""
    if isinstance(value, torch.Tensor | np.ndarray):
        size = value.size if isinstance(value, np.ndarray) else value.numel()
        if size == 1:
            return float(value.item())
        raise ValueError(
            f"numerical_grad: f must return a scalar, got an array of shape {tuple(value.shape)}; "
            "reduce it first (e.g. return f(x).sum())"
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"numerical_grad: f must return a number; got {type(value).__name__}"
        ) from None


def numerical_grad(f, x, h=1e-5):
    """The derivative of a scalar function ``f`` at ``x`` by central differences.

    ``(f(x + h) - f(x - h)) / (2h)`` has an error of order ``h**2``. For a number
    ``x`` this returns a float. For a tensor or array ``x`` each element is nudged
    in turn (on a float64 copy) and the result is the gradient, same shape as ``x``.
    """
    if not h > 0:
        raise ValueError(f"numerical_grad: the step h must be positive; got {h!r}")
    if isinstance(x, bool) or not isinstance(x, int | float | torch.Tensor | np.ndarray):
        raise TypeError(f"numerical_grad: x must be a number, a torch.Tensor or a numpy array; "
                        f"got {type(x).__name__}")
    if isinstance(x, int | float):
        return (_scalar(f(x + h)) - _scalar(f(x - h))) / (2 * h)
    is_torch = isinstance(x, torch.Tensor)
    point = x.detach().to(torch.float64).clone() if is_torch else np.array(x, dtype=np.float64)
    grad = torch.zeros_like(point) if is_torch else np.zeros_like(point)
    flat_point, flat_grad = point.reshape(-1), grad.reshape(-1)
    for i in range(flat_point.shape[0]):
        original = float(flat_point[i])
        flat_point[i] = original + h
        up = _scalar(f(point))
        flat_point[i] = original - h
        down = _scalar(f(point))
        flat_point[i] = original
        flat_grad[i] = (up - down) / (2 * h)
    return grad


# ---- a formula on other numbers -------------------------------------------------------------


def probe(name, target, upstream, output, tensor, namespace=None, *, n=None, why="", seed=0):
    """Re-run the learner's formula for ``target`` with a random ``upstream``; judge the result.

    For a gradient that is zero on every batch (``b1`` before BatchNorm, the maximum that is
    subtracted before a softmax), no value check can tell ``db1 = dhprebn.sum(0)`` from
    ``2 * dhprebn.sum(0)``: both are rounding noise. So this runs again the statements of the
    learner's latest cell that ``target`` needs (``core.cell_statements``, from the history
    ``In`` of ``namespace``, default the notebook's) in a copy of it (``core.isolated``) where
    the gradient named ``upstream`` (that of the tensor ``output``) is a random tensor R of
    the same shape, put back after each statement that changes it, and compares the result
    with the right one: what the operation that made ``output`` from ``tensor`` sends back
    for R (its autograd node, called directly: ``torch.autograd.grad`` would overwrite the
    ``.grad`` of tensors that retain it). ``why``: why the true gradient is zero.

    Returns None when there is nothing to judge: no history (nbval runs cells without it), no
    such cell, a re-run that raises, a formula that does not read ``upstream``, or an
    ``output`` not made from ``tensor`` in one operation. Otherwise a
    quiet :class:`Comparison` whose ``hint`` explains a failure.
    """
    found = core.cell_statements(target, namespace=namespace)
    if found is None:
        return None
    statements, namespace = found
    original, current = namespace.get(target), namespace.get(upstream)
    if not all(isinstance(t, torch.Tensor) for t in (original, current)):
        return None
    gen = torch.Generator().manual_seed(seed)
    random = torch.randn(current.shape, generator=gen).to(current.dtype)
    space = core.isolated(namespace, **{upstream: random.clone()})
    used = random
    try:
        with core.rerunning():
            for statement in statements:
                changes = core._changes(statement)
                if target in changes and isinstance(space.get(upstream), torch.Tensor):
                    used = space[upstream].detach().clone()
                exec(compile(ast.Module([statement], []), "<your cell, again>", "exec"),
                     space)   # noqa: S102 (the learner's own statements)
                if upstream in changes:
                    space[upstream] = random.clone()
        yours = space.get(target)
        right = _through(output, tensor, used.to(output.dtype))
    except Exception:  # noqa: BLE001 (the re-run is a bonus: where it cannot run, nothing to judge)
        return None
    if right is None or not isinstance(yours, torch.Tensor) or (
            yours.shape == original.shape and torch.equal(yours.detach(), original.detach())):
        return None   # the formula does not read `upstream`
    result = compare(name, yours.detach(), right, reference=right, scale=used, n=n,
                     show_exact=False, quiet=True)
    if result.ok:
        return result
    because = f" ({why})" if why else ""
    rule = _sum_rule(right, used, tensor)
    hint = (f"{target} passes the comparison only because the true gradient of {name} is zero "
            f"on every batch{because}, so rounding noise times any factor passes too. Your cell, "
            f"run again with a random {upstream} of the same shape, gives something else: "
            f"{result.hint}. "
            + (f"{target} should be {rule.format(upstream=upstream, name=name)}." if rule else
               f"Which operations of the forward pass does {name} pass through?"))
    return replace(result, hint=hint)


def _through(output, tensor, upstream):
    """The gradient of ``tensor`` when ``output``, made from it in one operation, has the
    gradient ``upstream``; None if ``output`` was not made from ``tensor`` that way."""
    node, total = output.grad_fn, None
    for slot, (child, number) in enumerate(node.next_functions if node is not None else ()):
        if _is_tensor_node(child, number, tensor):
            grad = node(upstream)
            grad = grad[slot] if isinstance(grad, tuple) else grad
            if grad is not None:   # the engine sums a broadcast dimension: so do we
                grad = grad.sum_to_size(tensor.shape)
                total = grad if total is None else total + grad
    return total


def _sum_rule(right, used, tensor):
    """The right formula in words when it is (minus) ``upstream`` summed to the tensor's
    shape, with ``{upstream}`` and ``{name}`` left to fill in; otherwise ""."""
    shape = tuple(tensor.shape)
    try:
        summed = used.to(torch.float64).sum_to_size(shape)
    except RuntimeError:
        return ""
    padded = (1,) * (used.dim() - len(shape)) + shape
    dims = [d for d, (a, b) in enumerate(zip(used.shape, padded, strict=True)) if a != b]
    if not dims:
        return ""
    tol = 64 * torch.finfo(used.dtype).eps * float(used.abs().max()) * used.numel()
    for sign, words in ((1, ""), (-1, "minus ")):
        if ((right.to(torch.float64) - sign * summed).abs() <= tol).all():
            where = (f"dimension {dims[0]}" if len(dims) == 1 else
                     "dimensions " + ", ".join(map(str, dims)))
            return (f"{words}the sum of {{upstream}} over {where} (along which {{name}} was "
                    f"broadcast in the forward pass), of shape {shape}")
    return ""
