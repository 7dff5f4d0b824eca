"""The checks of the backprop-ninja arc (lectures 07-08), and its mistakes, declared once.

The classic slips of the two one-line backward passes are declared here (``_CE_SLIPS``,
``_NORM_SLIPS``): lecture 07's checks get them from ``cross_entropy_mistakes`` and
``normalization_mistakes`` (BatchNorm, and LayerNorm for its transfer exercise), exercise
4's from ``MISTAKES``. ``check_forward_backward`` is exercise 4's check (lecture 08) of a
learner's training step; ``check_folded``, ``check_changes`` and ``check_first_letters``
check lecture 08's other exercises.
"""

import torch
import torch.nn.functional as F

from helpers.checks.compare import compare
from helpers.finished.backward import forward_backward
from helpers.tools.ninja import (
    BN_EPS,
    VOCAB_SIZE,
    _activations,
    _hprebn,
    _positive_int,
    forward,
    init_params,
)

__all__ = ["check_forward_backward", "check_folded", "check_changes", "check_first_letters",
           "cross_entropy_mistakes", "normalization_mistakes", "MISTAKES", "BACKWARD_ORDER"]


# ==== lecture 06: manual_backward, exercise 1 in one function ===============================
# (a block of its own: its imports are here, the rest of the module does not use them)

import ast as _ast  # noqa: E402
import contextlib as _contextlib  # noqa: E402
import inspect as _inspect  # noqa: E402
import io as _io  # noqa: E402
import re as _re  # noqa: E402
import textwrap as _textwrap  # noqa: E402

from helpers.checks import core as _core  # noqa: E402

__all__ += ["check_manual_backward", "MANUAL_BACKWARD_ORDER"]

# The 26 tensors of lecture 06's section 4, in the order their gradients are derived there:
# the first wrong one is the one to fix (those after it may only inherit its mistake).
MANUAL_BACKWARD_ORDER = (
    "logprobs", "probs", "counts_sum_inv", "counts_sum", "counts", "norm_logits",
    "logit_maxes", "logits", "h", "W2", "b2", "hpreact", "bngain", "bnraw", "bnbias",
    "bnvar_inv", "bnvar", "bndiff2", "bndiff", "bnmeani", "hprebn", "embcat", "W1", "b1",
    "emb", "C")

# Formulas no value can judge: on every real batch the gradient that reaches them is rounding
# noise, so noise times any factor passes. Each is run again with a random upstream gradient.
# {key: (the upstream gradient made random, those set to zero, why it is noise, what is right)}
_MB_RERUN = {
    "logit_maxes": ("norm_logits", (), "softmax ignores a shift of a whole row",
                    'minus the sum of d["norm_logits"] over dimension 1 (along which '
                    "logit_maxes was broadcast), keepdim=True: shape (n, 1)"),
    "logits": ("logit_maxes", ("norm_logits",),
               "its path 2 runs through the max, whose gradient d[\"logit_maxes\"] is "
               "rounding noise on every batch",
               'd["norm_logits"] (path 1) plus the one-hot of each row\'s maximum times '
               'd["logit_maxes"] (path 2)'),
    "b1": ("hprebn", (), "BatchNorm subtracts each column's mean, so b1 does not change the loss",
           'the sum of d["hprebn"] over dimension 0 (along which b1 was broadcast), '
           "of shape (n_hidden,)"),
}


def _mb_graph(forward, params, Xb, Yb, dtype, retain=True):
    """The lecture's forward pass on a copy of ``params`` in ``dtype``, differentiated by autograd
    (``retain``: every intermediate keeps its ``.grad``): ``(leaves, acts)``."""
    leaves = {k: p.detach().to(dtype).clone().requires_grad_() for k, p in params.items()}
    acts = forward(leaves, Xb, Yb)
    if retain:
        for t in acts.values():
            t.retain_grad()
        acts["loss"].backward(retain_graph=True)   # kept: compare splits a gradient by path
    return leaves, acts


def _mb_sizes(params, Xb, acts):
    """{size: its name in the lecture}, to say what a size in an error message is."""
    named = {}
    for size, name in ((Xb.shape[0], "n, the batch size"),
                       (acts["logits"].shape[1], "vocab_size"),
                       (params["W1"].shape[1], "n_hidden"), (params["C"].shape[1], "n_embd"),
                       (params["W1"].shape[0], "n_embd * block_size"),
                       (Xb.shape[1], "block_size")):
        named.setdefault(int(size), name)
    return named


def _mb_global_tensors(fn):
    """The names of the notebook's tensors that ``fn`` reads from its globals (W2, bnraw, ...)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    names, stack = [], [code]
    while stack:   # the function and the comprehensions or lambdas inside it
        c = stack.pop()
        names += [n for n in c.co_names if n not in names]
        stack += [k for k in c.co_consts if _inspect.iscode(k)]
    return [n for n in names if isinstance(fn.__globals__.get(n), torch.Tensor)]


def _mb_explainer(fn, sizes):
    """What an error in the learner's manual_backward means, where the error tells."""
    def explain(error):
        text = str(error)
        if "double" in text.lower() and "float" in text.lower():
            read = _mb_global_tensors(fn)
            if read:
                return (f". Your manual_backward reads a float32 tensor from the notebook's "
                        f"globals ({', '.join(read)}): take every tensor from its arguments, "
                        "t and params")
            return (". float64 met float32: a tensor in your manual_backward is float32 "
                    "whatever its inputs are, one made without a dtype (torch.ones(n), "
                    "torch.zeros(...)) or read from the notebook's globals: make new tensors "
                    "like the ones they meet (torch.ones_like, dtype=t[\"h\"].dtype) and take "
                    "every other tensor from the arguments, t and params")
        found = []
        for number in _re.findall(r"\d+", text):
            if int(number) in sizes and int(number) not in found:
                found.append(int(number))
        if len(found) >= 2 and ("size" in text or "shape" in text):
            said = " and ".join(f"{k} is {sizes[k]}" for k in found[:3])
            return (f". Here {said}: is a tensor built with one of these sizes where another "
                    "belongs (a num_classes=, a view, a sum over the wrong dimension)?")
        return ""
    return explain


def _mb_run_backward(fn, leaves, acts, Xb, Yb, precision):
    """The learner's ``{name: gradient}`` for the lecture's batch, its form checked."""
    t = {k: v.detach().clone() for k, v in acts.items()}
    p = {k: v.detach().clone() for k, v in leaves.items()}
    with torch.no_grad():
        grads = _core.call(fn, t, p, Xb, Yb,
                           what=f"your manual_backward(t, params, Xb, Yb), on section 3's batch "
                                f"in {precision},",
                           explain=_mb_explainer(fn, _mb_sizes(leaves, Xb, acts)))
    contract = ('return a dict {name: gradient}: d["W1"] for W1, one for each of the 26 tensors '
                "of section 4")
    if not isinstance(grads, dict):
        _core.refuse(f"your manual_backward returned {_core.kind(grads)}; {contract}")
    missing = [k for k in MANUAL_BACKWARD_ORDER if k not in grads]
    if missing:
        if any(f"d{k}" in grads for k in missing):
            _core.refuse(f'your manual_backward returns no gradient under "{missing[0]}": the '
                         f'keys are the tensors\' names, d["{missing[0]}"] for {missing[0]}, '
                         f'not "d{missing[0]}"')
        more = (f" (nor {', '.join(missing[1:])})" if len(missing) <= 4 else
                f" (nor {len(missing) - 1} others after it in section 4's order)")
        _core.refuse(f'your manual_backward returns no d["{missing[0]}"], the gradient of '
                     f"{missing[0]}{more if len(missing) > 1 else ''}; {contract}")
    for key in MANUAL_BACKWARD_ORDER:
        if not isinstance(grads[key], torch.Tensor):
            _core.refuse(f'd["{key}"] is {_core.kind(grads[key])}, not a tensor: the gradient '
                         f"of {key} has its shape {tuple(acts.get(key, leaves.get(key)).shape)}")
    return grads


def _mb_stores(statement, key, local):
    """Whether ``statement`` stores ``D[key]`` (for some dict D; its name is returned) or the
    name ``local``: (dict name or None, whether it does)."""
    for node in _ast.walk(statement):
        if isinstance(node, _ast.Subscript) and isinstance(node.ctx, _ast.Store) \
                and isinstance(node.value, _ast.Name) \
                and isinstance(node.slice, _ast.Constant) and node.slice.value == key:
            return node.value.id, True
        if local and isinstance(node, _ast.Name) and isinstance(node.ctx, _ast.Store) \
                and node.id == local:
            return None, True
    return None, False


def _mb_where_assigned(body, key):
    """``(first, last, dict name, local name)``: the statements of ``body`` that compute the
    gradient returned under ``key``, as ``d[key] = ...`` or as a name in a returned dict."""
    local = None
    for statement in body:   # return {"b1": db1, ...}: the name db1
        if isinstance(statement, _ast.Return) and isinstance(statement.value, _ast.Dict):
            for k, v in zip(statement.value.keys, statement.value.values, strict=True):
                if isinstance(k, _ast.Constant) and k.value == key and isinstance(v, _ast.Name):
                    local = v.id
    hits, dict_name = [], None
    for i, statement in enumerate(body):
        name, stores = _mb_stores(statement, key, local)
        if stores:
            hits.append(i)
            dict_name = dict_name or name
            # d[key] = db1: db1's own statements compute it
            if isinstance(statement, _ast.Assign) and isinstance(statement.value, _ast.Name) \
                    and name and not local:
                local = statement.value.id
                hits += [j for j, s in enumerate(body[:i]) if _mb_stores(s, None, local)[1]]
    if not hits:
        return None
    return min(hits), max(hits), dict_name, local


def _mb_rerun(fn, key, upstream, zeroed, leaves, acts, Xb, Yb, returned, random):
    """The learner's gradient for ``key``, from their function's own statements run again with
    ``d[upstream] = random`` (and ``d[z] = 0`` for ``z`` in ``zeroed``); None where this cannot
    be done (no source, a formula that does not read ``upstream``)."""
    try:
        tree = _ast.parse(_textwrap.dedent(_inspect.getsource(fn)))
        func = next(s for s in tree.body if isinstance(s, _ast.FunctionDef))
        bound = _inspect.signature(fn).bind(
            {k: v.detach().clone() for k, v in acts.items()},
            {k: v.detach().clone() for k, v in leaves.items()}, Xb, Yb).arguments
    except (OSError, TypeError, SyntaxError, StopIteration, ValueError):
        return None
    found = _mb_where_assigned(func.body, key)
    if found is None:
        return None
    first, last, dict_name, local = found
    namespace = dict(fn.__globals__)
    namespace.update(bound)
    replace = {upstream: random, **{z: torch.zeros_like(returned[z]) for z in zeroed}}

    def run(statements):
        exec(compile(_ast.Module(statements, []), "<manual_backward>", "exec"), namespace)

    try:
        with torch.no_grad(), _contextlib.redirect_stdout(_io.StringIO()):
            run(func.body[:first])
            for name, new in replace.items():   # every copy of d[name] the statements can read
                old = returned[name]
                for var, value in list(namespace.items()):
                    if isinstance(value, torch.Tensor) and value.shape == old.shape \
                            and torch.equal(value, old):
                        namespace[var] = new.clone()
                mine = namespace.get(dict_name)
                if isinstance(mine, dict) and mine is not fn.__globals__.get(dict_name):
                    mine[name] = new.clone()
            run(func.body[first:last + 1])
    except Exception:   # noqa: BLE001 (a re-run that cannot run has nothing to judge)
        return None
    yours = namespace[dict_name][key] if dict_name and isinstance(
        namespace.get(dict_name), dict) and key in namespace[dict_name] else namespace.get(local)
    if not isinstance(yours, torch.Tensor) or (
            yours.shape == returned[key].shape and torch.equal(yours, returned[key])):
        return None   # the formula does not read the upstream gradient: nothing to judge
    return yours.detach()


def _mb_formula_hint(fn, key, leaves, acts, graph64, Xb, Yb, returned, rng):
    """Why the learner's formula for ``key`` is wrong on a random upstream gradient, or ""."""
    upstream, zeroed, why, rule = _MB_RERUN[key]
    gen = torch.Generator().manual_seed(rng.randrange(2**31))
    random = torch.randn(returned[upstream].shape, generator=gen,
                         dtype=torch.float64).to(returned[upstream].dtype)
    yours = _mb_rerun(fn, key, upstream, zeroed, leaves, acts, Xb, Yb, returned, random)
    if yours is None:
        return ""
    leaves64, acts64 = graph64
    inputs = leaves64[key] if key in leaves64 else acts64[key]
    output = acts64["logit_maxes" if key == "logits" else upstream]
    right = torch.autograd.grad(output, inputs, random.to(torch.float64), retain_graph=True)[0]
    result = compare(key, yours, right, reference=right, scale=random, n=Xb.shape[0],
                     show_exact=False, quiet=True)
    if result.ok:
        return ""
    set_to = f'a random d["{upstream}"]' + "".join(f' and d["{z}"] set to 0' for z in zeroed)
    if key == "logits":
        gives = ("all zeros: path 2, through the max, is missing. It belongs in the formula: "
                 "the max's own derivative is not zero, only the gradient that reaches it"
                 if "all zeros" in result.diagnosis else f"something else: {result.hint}")
        return (f"path 1 is right, but {why}, so path 2 does not show in the numbers. Your "
                f"formula, run again with {set_to}, so that only path 2 counts, gives {gives}. "
                f'd["logits"] is {rule}')
    return (f"it passes the comparison only because the true gradient of {key} is zero "
            f"on every batch ({why}), so rounding noise times any factor passes too. Your "
            f"formula, run again with {set_to} of the same shape, gives something else: "
            f'{result.hint}. d["{key}"] is {rule}')


@_core.check()
def check_manual_backward(manual_backward, forward, params, Xb, Yb, *, rng):
    """Lecture 06, section 5.1: the learner's ``manual_backward(t, params, Xb, Yb)`` against
    autograd, every one of the 26 gradients of section 4, in float32 and in float64.

    ``forward(params, Xb, Yb)`` is the lecture's forward pass (its intermediates by name),
    ``params`` its parameters. The learner's function runs on copies of the float32
    intermediates; each gradient, in section 4's order, gets section 4's check
    (``compare``, with the graph, its intermediates and n): the first wrong one is refused
    with its diagnosis, a wrong shape before any value is compared. The formulas that no
    value can judge (``d["b1"]``, ``d["logit_maxes"]`` and the max's path of ``d["logits"]``,
    rounding noise on every batch) are read from the function's source and run again with a
    random upstream gradient. Last, the function runs on the float64 intermediates, where a
    float32 tensor read from the notebook's globals shows.
    """
    if not callable(manual_backward):
        _core.refuse(f"check_manual_backward needs your function manual_backward; got "
                     f"{_core.kind(manual_backward)}")
    n = Xb.shape[0]
    leaves32, acts32 = _mb_graph(forward, params, Xb, Yb, torch.float32)
    leaves64, acts64 = _mb_graph(forward, params, Xb, Yb, torch.float64)
    fresh64 = _mb_graph(forward, params, Xb, Yb, torch.float64, retain=False)

    def tensor(leaves, acts, key):
        return leaves[key] if key in leaves else acts[key]

    exact = {k: tensor(leaves64, acts64, k).grad for k in MANUAL_BACKWARD_ORDER}
    scale = {k: exact[_MB_RERUN[k][0]] for k in ("logit_maxes", "b1")}   # noise: by what it sums
    grads = _mb_run_backward(manual_backward, leaves32, acts32, Xb, Yb, "float32")
    for i, key in enumerate(MANUAL_BACKWARD_ORDER):
        result = compare(key, grads[key].detach(), tensor(leaves32, acts32, key),
                         reference=exact[key], graph=acts32["loss"], n=n, named=acts32,
                         scale=scale.get(key), show_exact=False, quiet=True)
        hint = result.hint if not result.ok else ""
        if not hint and key in _MB_RERUN:
            hint = _mb_formula_hint(manual_backward, key, leaves32, acts32, fresh64, Xb, Yb,
                                 grads, rng)
        if hint:
            later = [k for k in MANUAL_BACKWARD_ORDER[i + 1:]
                     if not _core.agree(grads[k].detach(), exact[k], scale.get(k))]
            after = (f" ({len(later)} of the {len(MANUAL_BACKWARD_ORDER) - i - 1} after it "
                     "differ too: they may only inherit its mistake)" if later else "")
            _core.refuse(f'd["{key}"] is the first wrong gradient, in section 4\'s '
                         f"order{after}: {hint}")
    try:
        grads64 = _mb_run_backward(manual_backward, leaves64, acts64, Xb, Yb, "float64")
    except _core.Refused as refused:   # float64 meets float32: say that first
        error = refused.__cause__
        read = _mb_global_tensors(manual_backward)
        if not (isinstance(error, RuntimeError) and read and "double" in str(error).lower()):
            raise
        raise _core.Refused(
            f"your manual_backward reads a float32 tensor from the notebook's globals "
            f"({', '.join(read)}): right in float32, where it equals what the arguments hold, "
            "it fails in float64 (float64 met float32). Take every tensor from its arguments, "
            f"t and params (in float64 it stopped with: {error})") from error
    for key in MANUAL_BACKWARD_ORDER:
        if not _core.agree(grads64[key].detach(), exact[key], scale.get(key)):
            read = _mb_global_tensors(manual_backward)
            which = f" ({', '.join(read)})" if read else ""
            _core.refuse(
                f'd["{key}"] is right in float32 but not in float64: did your manual_backward '
                f"read a float32 tensor from the notebook's globals{which}? Take every tensor "
                "from its arguments, t and params",
                f"(your float64 d[\"{key}\"] is off by up to "
                f"{float((grads64[key].detach().double() - exact[key]).abs().max()):.2g}; "
                f"float64 rounding allows "
                f"{_core.tolerance(exact[key], exact[key], scale.get(key)):.1g})")
    _core.passed("manual_backward", f"all {len(MANUAL_BACKWARD_ORDER)} gradients of section 4, "
                 "in float32 and in float64; the formulas of b1, logit_maxes and the max's "
                 "path of logits also on random upstream gradients")


# Section 4's operations and their likely slips, declared once: what each says, and the
# gradient it predicts from the operation's input x, output y and incoming gradient g (for the
# embedding lookup: the indices, the gradient g of the looked-up rows and their values y).
def _mb_lookup(index, rows, n_rows):
    """Each row of ``rows`` added to the row of an (n_rows, e) zero tensor that ``index`` names."""
    out = torch.zeros((n_rows, rows.shape[-1]), dtype=rows.dtype)
    return out.index_add_(0, index.reshape(-1), rows.reshape(-1, rows.shape[-1]))


def _mb_without(data, position):
    """The lookup's gradient with the rows of one context position left out."""
    index, g = data["index"], data["g"]
    keep = [k for k in range(index.shape[1]) if k != position]
    return _mb_lookup(index[:, keep], g[:, keep], data["n_rows"])


_MB_SLIPS = {
    "tanh": [
        _core.Mistake("the brackets are missing: 1 - h**2 * dh multiplies only h**2 by dh; the "
                      "local derivative 1 - h**2 as a whole multiplies dh: (1 - h**2) * dh",
                      lambda t: 1 - t.data["y"] ** 2 * t.data["g"]),
        _core.Mistake("tanh is applied to h once more: its derivative is 1 - tanh(x)**2 at the "
                      "input x, and tanh(x) is the output h itself: (1 - h**2) * dh",
                      lambda t: (1 - torch.tanh(t.data["y"]) ** 2) * t.data["g"]),
        _core.Mistake("only the local derivative 1 - h**2: the chain rule multiplies it by the "
                      "incoming gradient dh", lambda t: 1 - t.data["y"] ** 2),
        _core.Mistake("the incoming gradient dh alone: the chain rule multiplies it by tanh's "
                      "local derivative 1 - h**2", lambda t: t.data["g"]),
    ],
    "relu": [
        _core.Mistake("relu is applied to the incoming gradient: the gradient passes where the "
                      "unit fired, where its INPUT was positive, whatever the sign of the "
                      "gradient: (hpreact > 0) * dh", lambda t: torch.relu(t.data["g"])),
        _core.Mistake("the gate is open on the wrong side: relu's derivative is 1 where its "
                      "input is positive, 0 elsewhere",
                      lambda t: (t.data["x"] < 0).to(t.data["g"].dtype) * t.data["g"]),
        _core.Mistake("only relu's local derivative, 1 where the input is positive: the chain "
                      "rule multiplies it by the incoming gradient dh",
                      lambda t: (t.data["x"] > 0).to(t.data["g"].dtype)),
        _core.Mistake("the incoming gradient dh alone: relu's derivative, 0 where the input is "
                      "not positive, is missing", lambda t: t.data["g"]),
    ],
    "lookup": [
        *[_core.Mistake(f"the rows looked up at context position {k} are missing: each of the "
                        "n * block_size positions of the batch hands its row of demb back to "
                        "the row of C it was looked up from (a loop whose range stops short?)",
                        lambda t, k=k: _mb_without(t.data, k)) for k in range(8)],
        _core.Mistake("the indices and the rows of demb are paired in different orders: the "
                      "indices go position by position (column by column of Xb, as "
                      "Xb.T.reshape(-1) lists them), the rows of demb example by example; "
                      "flatten both the same way: Xb.view(-1) with demb.view(-1, n_embd)",
                      lambda t: _mb_lookup(t.data["index"].T, t.data["g"], t.data["n_rows"])),
        _core.Mistake("emb, the looked-up values of the forward pass, where demb, their "
                      "gradient, belongs",
                      lambda t: _mb_lookup(t.data["index"], t.data["y"], t.data["n_rows"])),
    ],
    "reshape": [
        _core.Mistake("the right numbers in the wrong places: a view to another order of the "
                      "dimensions, or a transpose, moves them; view the gradient straight to "
                      "the tensor's shape (the forward pass's view, undone)",
                      lambda t: t.got if _mb_same_numbers(t.got, t.want) else None),
    ],
    "broadcast": [
        _core.Mistake("a mean where the sum belongs: the tensor was broadcast to all "
                      "{size} entries of the product, and each one adds its contribution",
                      lambda t: t.want / t.data["size"]),
    ],
}


def _mb_same_numbers(got, want):
    """Whether ``got`` holds the numbers of ``want``, in other places."""
    if got.shape != want.shape:
        return False
    a, b = (x.detach().reshape(-1).sort().values for x in (got, want))   # dtypes kept
    return not _core.agree(got, want) and _core.agree(a, b)


def likely_mistake(operation, **data):
    """For lecture 06's cell checks: a function ``name(got, want)`` that says which slip of
    ``operation`` ("tanh", "relu", "lookup", "reshape", "broadcast") the wrong gradient
    ``got`` is (``want``: the right one), or None when none fits. ``data``: the operation's
    input ``x``, output ``y`` and incoming gradient ``g`` (for "lookup": ``index``, ``g`` =
    demb, ``y`` = emb and ``n_rows``, the rows of C; for "broadcast": ``size``, the number
    of entries a tensor was broadcast to)."""
    data = {k: v.detach() if isinstance(v, torch.Tensor) else v for k, v in data.items()}
    if operation == "lookup" and "n_rows" not in data:
        data["n_rows"] = int(data["index"].max()) + 1

    def name(got, want):
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            return None
        trial = _core.Trial("", got.detach(), want.detach(), data)
        said = _core.diagnose([trial], _MB_SLIPS[operation])
        return said.format(**data) if said else None
    return name


__all__ += ["likely_mistake"]


# ==== lectures 07-08 ==========================================================================

_finished_step = forward_backward   # check_forward_backward's argument shadows the name


def _backward(p, X, Y, acts, mistake=None):
    """:func:`manual_backward` again, with ``mistake`` (a key of ``MISTAKES``) planted in it.

    A copy, so that ``manual_backward`` stays the plain lines that lecture 07 writes out as
    ``compact_backward`` (07 asserts that the two agree); tests/test_ninja.py checks that
    the copy without a mistake gives the same gradients, bit for bit.
    """
    embcat, bnraw, bnvar_inv, h = acts["embcat"], acts["bnraw"], acts["bnvar_inv"], acts["h"]
    # cross-entropy: (softmax - one-hot) / n
    dlogits = _dlogits(acts["logits"], Y, mistake if mistake in _CE_SLIPS else None)
    # second linear layer and tanh
    dh = dlogits @ p["W2"].T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - (acts["hpreact"] if mistake == "tanh_at_input" else h) ** 2) * dh
    # BatchNorm, with Bessel's correction in the variance
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnbias = dhpreact.sum(0, keepdim=True)
    dhprebn = _normalization_backward(dhpreact, bnraw, bnvar_inv, p["bngain"], 0, True,
                                      mistake if mistake in _NORM_SLIPS else None)
    # first linear layer and the embedding lookup
    dembcat = dhprebn @ p["W1"].T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    dC = torch.zeros_like(p["C"])
    rows = dembcat.view(-1, p["C"].shape[1])
    if mistake == "indexed_add":
        dC[X.view(-1)] += rows
    else:
        dC.index_add_(0, X.view(-1), rows)
    return {"C": dC, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2,
            "bngain": dbngain, "bnbias": dbnbias}


# ---- the two one-line backward passes of lecture 07, and their classic slips -----------------

# {slip: what it says}. The cross-entropy's: lecture 07's exercise 2 and exercise 4.
_CE_SLIPS = {
    "not_mean": "dlogits is not divided by n: the loss is the mean over the batch, so "
                "dlogits = (softmax(logits) - onehot(Y)) / n",
    "no_onehot": "dlogits lacks the one-hot of the targets: subtract 1 at each row's correct "
                 "character, dlogits[rows, Yb] -= 1, before dividing by n",
    "softmax_dim0": "the softmax is taken over dimension 0 (down the batch); each row of "
                    "logits gets its own softmax: dim=1 (logprobs.exp() from log_softmax(1))",
    "onehot_added": "the one-hot is added instead of subtracted: d(-log p_y)/dlogit_y = p_y - 1",
    "log_probs": "log-probabilities instead of probabilities: the derivative of log-sum-exp "
                 "is the softmax itself, exp(log_softmax)",
    "whole_column": "the -1 went into every entry of the target's column, not only the target "
                    "rows: index with both the rows and Yb, dlogits[range(n), Yb]",
}


def _dlogits(logits, Y, slip=None):
    """(softmax(logits) - onehot(Y)) / n, with ``slip`` (a key of ``_CE_SLIPS``) planted."""
    n = logits.shape[0]
    if slip == "log_probs":
        dlogits = F.log_softmax(logits, 1)
    else:
        dlogits = F.softmax(logits, 0 if slip == "softmax_dim0" else 1)
    if slip == "whole_column":
        dlogits[:, Y] -= 1
    elif slip == "onehot_added":
        dlogits[torch.arange(n), Y] += 1
    elif slip != "no_onehot":
        dlogits[torch.arange(n), Y] -= 1
    if slip != "not_mean":
        dlogits /= n
    return dlogits


@torch.no_grad()
def cross_entropy_mistakes(logits, Y, slips=("softmax_dim0", "no_onehot", "onehot_added",
                                             "log_probs", "whole_column")):
    """{what the slip is: the dlogits it gives} for ``F.cross_entropy(logits, Y)``, in float64:
    the ``mistakes`` of lecture 07's exercise 2 check. A missing ``/ n`` is left out by
    default: ``compare`` names a constant factor n by itself."""
    logits = logits.detach().double()
    return {_CE_SLIPS[slip]: _dlogits(logits, Y, slip) for slip in slips}


# The slips of a normalisation's one-line backward, with its names filled in: {block}
# (BatchNorm, LayerNorm), {gain}, {s} (the inverse standard deviation), {xhat}, {g} (the
# incoming gradient), {m} (the count its statistics run over), {dim} (their dimension),
# {other}, {unit} (what is normalised on its own), {fn} (PyTorch's function).
_NORM_SLIPS = {
    "no_bngain": "the {block} backward lacks {gain}: the gradient reaches {xhat} through "
                 "y = {gain} * {xhat} + bias, so it is multiplied by {gain} on its way back",
    "no_bessel": "the {block} backward lacks the factor {m}/({m}-1) in front of the term "
                 "with {xhat}: the forward pass divides the variance by {m} - 1 (Bessel's "
                 "correction), and the backward pass keeps that factor (lecture 07, exercise 3)",
    "extra_bessel": "the factor {m}/({m}-1) of exercise 3 does not belong here: this forward "
                    "pass divides the variance by {m} ({fn} takes the biased variance), so "
                    "Bessel's correction leaves no factor in the backward pass",
    "bessel_inverted": "({m}-1)/{m} instead of {m}/({m}-1): the factor is {m} over {m} - 1",
    "no_mean": "the mean term is missing: the forward pass subtracts each {unit}'s mean, so "
               "the backward pass subtracts the mean of the gradient over dimension {dim}",
    "no_variance": "the variance term is missing: each {unit} is also divided by its own "
                   "standard deviation, which depends on every input of the {unit}",
    "no_s": "{s} is missing (or divided by): {xhat} = (x - mean) * {s}, so every term "
            "carries {s}",
    "wrong_dim": "the sums run over dimension {other}; {block}'s statistics are over "
                 "dimension {dim} (each {unit} on its own), so every sum of the backward pass "
                 "is over dim={dim}, keepdim=True",
    "gain_outside": "{gain} stands outside the sums, as BatchNorm allows; here the sums run "
                    "along the features, where {gain} changes: the gradient arriving at {xhat} "
                    "is {gain} * {g}, and the sums must take that",
    "unbiased_stats": "{s} and {xhat} use the variance divided by {m} - 1 (torch's .var() "
                      "divides by {m} - 1 unless told otherwise); {fn} divides by {m}: "
                      "var({dim}, keepdim=True, unbiased=False)",
    "unbiased_stats_bessel": "this is the backward of a {block} whose variance divides by "
                             "{m} - 1 (torch's .var() default, with the factor {m}/({m}-1)); "
                             "{fn} divides by {m}: var({dim}, keepdim=True, unbiased=False), "
                             "and no factor {m}/({m}-1)",
    "as_batchnorm": "this is BatchNorm's backward, with statistics and sums down each column "
                    "(dimension 0); {block}'s run along each row: mean, variance and every "
                    "sum over dimension {dim}, keepdim=True",
}

# The names in the messages: this model's BatchNorm (exercise 3, exercise 4), and otherwise
# those of lecture 07's exercises A (BatchNorm, biased) and D (LayerNorm).
_BN_NAMES = {"block": "BatchNorm", "gain": "bngain", "s": "bnvar_inv", "xhat": "bnraw",
             "g": "dhpreact", "m": "n", "unit": "column", "fn": "F.batch_norm"}
_NAMES = {0: {"block": "BatchNorm", "gain": "gamma", "s": "s", "xhat": "xhat", "g": "dy",
              "m": "n", "unit": "column", "fn": "F.batch_norm in training mode"},
          1: {"block": "LayerNorm", "gain": "gamma", "s": "s", "xhat": "xhat", "g": "dy",
              "m": "d", "unit": "row", "fn": "F.layer_norm"}}


def _normalization_backward(g, xhat, s, gain, dim, unbiased, slip=None):
    """The gradient for the input of ``y = gain * xhat + bias``, ``xhat = (x - mean) * s``,
    mean and variance over ``dim`` (the variance divided by m - 1 if ``unbiased``, else by m),
    from the incoming gradient ``g``; with ``slip`` (a key of ``_NORM_SLIPS``) planted.
    For a gain constant along ``dim`` (BatchNorm) it stands in front, as in manual_backward."""
    m = g.shape[dim]
    factor = m / (m - 1) if unbiased else 1.0
    factor = {"no_bessel": 1.0, "extra_bessel": m / (m - 1),
              "bessel_inverted": (m - 1) / m}.get(slip, factor)
    along = 1 - dim if slip == "wrong_dim" else dim
    gain = torch.as_tensor(gain, dtype=g.dtype)
    padded = (1,) * (g.dim() - gain.dim()) + tuple(gain.shape)
    if slip == "no_bngain":
        front, g_hat = 1.0, g
    elif padded[dim] == 1 or slip == "gain_outside":
        front, g_hat = gain, g
    else:
        front, g_hat = 1.0, gain * g
    if slip == "no_s":
        s = torch.ones_like(s)
    mean_term = 0 if slip == "no_mean" else g_hat.sum(along, keepdim=True)
    variance_term = 0 if slip == "no_variance" else \
        factor * xhat * (xhat * g_hat).sum(along, keepdim=True)
    return front * s / m * (m * g_hat - mean_term - variance_term)


def _statistics(x, dim, unbiased, eps=BN_EPS):
    """``(xhat, s)`` of a normalisation over ``dim``."""
    s = (x.var(dim, keepdim=True, correction=1 if unbiased else 0) + eps) ** -0.5
    return (x - x.mean(dim, keepdim=True)) * s, s


@torch.no_grad()
def normalization_mistakes(x, gain, dy, dim=0, unbiased=True, eps=BN_EPS, names=None):
    """{what the slip is: the gradient it gives} for the input ``x`` of a normalisation
    (statistics over ``dim``: 0 for BatchNorm, 1 for LayerNorm; the variance divided by
    m - 1 if ``unbiased``, else by m) with gain ``gain``, incoming gradient ``dy``: the
    ``mistakes`` of lecture 07's checks, computed in float64 from ``x``.

    ``names`` (a dict, merged over the defaults) names the tensors in the messages; the
    defaults are this model's for an unbiased BatchNorm (``bngain``, ``bnraw``, ...), else
    ``gamma``, ``s``, ``xhat``, ``dy``.
    """
    x, gain, dy = (torch.as_tensor(t).detach().double() for t in (x, gain, dy))
    said = dict(_BN_NAMES if dim == 0 and unbiased else _NAMES[dim], dim=dim, other=1 - dim)
    said.update(names or {})
    xhat, s = _statistics(x, dim, unbiased, eps)
    slips = ["no_bngain", "no_mean", "no_variance", "no_s", "wrong_dim"]
    slips += ["no_bessel", "bessel_inverted"] if unbiased else ["extra_bessel"]
    padded = (1,) * (x.dim() - gain.dim()) + tuple(gain.shape)
    if padded[dim] != 1:
        slips.append("gain_outside")
    found = {slip: _normalization_backward(dy, xhat, s, gain, dim, unbiased, slip)
             for slip in slips}
    if not unbiased:   # the learner computes the statistics: torch's .var() default
        found["unbiased_stats"] = _normalization_backward(
            dy, *_statistics(x, dim, True, eps), gain, dim, False)
        found["unbiased_stats_bessel"] = _normalization_backward(
            dy, *_statistics(x, dim, True, eps), gain, dim, True)
    if dim == 1:       # exercise A's or exercise 3's BatchNorm line, applied as it is
        found["as_batchnorm"] = _normalization_backward(dy, *_statistics(x, 0, False, eps),
                                                        gain, 0, False, "gain_outside")
    return {_NORM_SLIPS[slip].format(**said): grad for slip, grad in found.items()}


# ---- exercise 4 (lecture 08): a whole training step, checked --------------------------------

# The parameters in the order their gradients appear on the way back from the loss.
BACKWARD_ORDER = ("W2", "b2", "bngain", "bnbias", "W1", "b1", "C")

# Planted into _backward to recognise a learner's gradient; named only when one matches.
MISTAKES = {
    **{slip: _CE_SLIPS[slip] for slip in ("not_mean", "no_onehot", "softmax_dim0")},
    "tanh_at_input": "tanh's derivative is taken at its input hpreact; it is 1 - h**2 with "
                     "h = tanh(hpreact), the output: dhpreact = (1 - h**2) * dh",
    **{slip: _NORM_SLIPS[slip].format(**_BN_NAMES) for slip in ("no_bngain", "no_bessel")},
    "indexed_add": "dC[Xb] += ... writes a row that occurs several times in the batch only "
                   "once, instead of adding every occurrence; use dC.index_add_(0, "
                   "Xb.view(-1), dembcat.view(-1, n_embd)), which adds repeats up",
}

# Where to look when the nearest wrong gradient is `first` (and `also` is wrong too).
_STEPS = {
    ("W2", "b2"): "dlogits, the first step back from the loss (the cross-entropy: "
                  "softmax(logits) minus the one-hot targets, divided by n): dW2 and db2 both "
                  "come from it",
    ("W2",): "dW2 = h.T @ dlogits (the second linear layer): db2, from the same dlogits, is right",
    ("b2",): "db2 = dlogits.sum(0) (the second linear layer): dW2, from the same dlogits, is right",
    ("bnbias",): "dhpreact, the gradient through the second layer (dh = dlogits @ W2.T) and "
                 "tanh ((1 - h**2) * dh): dbnbias is its sum over the batch",
    ("bngain",): "dbngain = (bnraw * dhpreact).sum(0, keepdim=True): dbnbias, from the same "
                 "dhpreact, is right",
    ("W1", "C"): "dhprebn, the BatchNorm backward in one line (lecture 07, exercise 3): the "
                 "gradients of W1, b1 and C all come from it",
    ("W1",): "dW1 = embcat.T @ dhprebn (the first linear layer): dC, from the same dhprebn, "
             "is right",
    ("b1",): "db1 = dhprebn.sum(0), whose true value is about zero (BatchNorm subtracts "
             "each column's mean, so b1 does not change the loss)",
    ("C",): "the embedding step: dembcat = dhprebn @ W1.T, then each of its n * block_size "
            "rows goes back to the row of C it was looked up from (index_add_, repeats add up)",
}


def _where(wrong):
    """The backward step to look at, from the set of parameters whose gradient is wrong."""
    first = next(name for name in BACKWARD_ORDER if name in wrong)
    if first in ("bngain", "bnbias"):
        return _STEPS[("bnbias",) if "bnbias" in wrong else ("bngain",)]
    if first == "W2" and "b2" in wrong:
        return _STEPS[("W2", "b2")]
    if first == "W1" and "C" in wrong:
        return _STEPS[("W1", "C")]
    return _STEPS[(first,)]


def _nearest(wrong):
    """The wrong gradients of the backward step nearest the loss (W2/b2, bngain/bnbias, ...)."""
    for level in (("W2", "b2"), ("bngain", "bnbias"), ("W1", "b1"), ("C",)):
        found = [name for name in level if name in wrong]
        if found:
            return found
    raise ValueError("no wrong gradient")


def _unpack(result, params):
    """``(loss, grads)`` from what the learner's function returned, or a clear error."""
    order = ", ".join(f"d{name}" for name in params)
    contract = f"return loss, [{order}] (one gradient per parameter, in the order of params)"
    if isinstance(result, tuple | list) and all(isinstance(g, torch.Tensor) for g in result) \
            and len(result) == len(params):
        raise AssertionError(f"forward_backward returned {len(result)} tensors, the gradients "
                             f"alone it seems; {contract}, the loss first")
    if not isinstance(result, tuple | list) or len(result) != 2:
        got = f"a {type(result).__name__}" + (f" of length {len(result)}"
                                               if isinstance(result, tuple | list) else "")
        raise AssertionError(f"forward_backward returned {got}; {contract}")
    loss, grads = result
    if isinstance(grads, dict):
        raise AssertionError(
            f"forward_backward returned the gradients as a dict; the training loop zips them "
            f"with params.values(), so {contract}: a list, e.g. [grads[name] for name in params]")
    if not isinstance(grads, tuple | list) or len(grads) != len(params):
        got = f"{len(grads)} gradients" if isinstance(grads, tuple | list) \
            else f"a {type(grads).__name__}"
        raise AssertionError(f"forward_backward returned {got} for {len(params)} parameters; "
                             f"{contract}")
    for name, grad in zip(params, grads, strict=True):
        if not isinstance(grad, torch.Tensor):
            raise AssertionError(f"the gradient in the place of {name} is a "
                                 f"{type(grad).__name__}, not a tensor; {contract}")
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        loss = loss.item()
    if isinstance(loss, bool) or not isinstance(loss, int | float):
        what = f"a tensor of shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) \
            else f"a {type(loss).__name__}"
        raise AssertionError(f"the loss forward_backward returned is {what}; it must be the "
                             f"batch's mean cross-entropy, one number; {contract}")
    return float(loss), list(grads)


def _loss_message(loss, params64, Xb, Yb, reference):
    """Why the learner's loss differs from the model's, as far as it can be told."""
    said = f"the loss is {loss:.6f}, the model's forward pass gives {reference:.6f}"
    with torch.no_grad():
        hprebn = _hprebn(params64, Xb)
        biased = (hprebn.mean(0, keepdim=True), hprebn.var(0, keepdim=True, correction=0))
        biased_loss = F.cross_entropy(_activations(params64, Xb, biased)["logits"], Yb).item()
    if abs(loss - biased_loss) <= 1e-5 * abs(biased_loss):
        return (f"{said}: your forward pass divides BatchNorm's variance by n (the biased "
                "variance); this model uses n - 1, Bessel's correction (lecture 07): "
                "hprebn.var(0, keepdim=True)")
    if abs(loss - Xb.shape[0] * reference) <= 1e-5 * abs(loss):
        return f"{said}: yours is n times larger, the sum over the batch instead of the mean"
    return (f"{said}. Your forward pass computes something different from the model's "
            "(embedding, linear layer, BatchNorm with the n - 1 variance, tanh, linear layer, "
            "mean cross-entropy): compare it with forward() in helpers/tools/ninja.py, step by "
            "step")


def _diagnose(comparisons, grads, params64, Xb, Yb, acts):
    """The message for gradients that do not all agree: where to look, and what fits."""
    wrong = [name for name in BACKWARD_ORDER if not comparisons[name]]
    right = [name for name in BACKWARD_ORDER if comparisons[name]]
    said = (f"the loss agrees; {_listed(wrong)} differ{'s' if len(wrong) == 1 else ''} from "
            f"autograd's" + (f" ({_listed(right)} agree{'s' if len(right) == 1 else ''})"
                             if right else ""))
    references = {name: p.grad for name, p in params64.items()}
    # every value right, the order wrong
    shapes_match = {name: [other for other, ref in references.items()
                           if grads[name].shape == ref.shape
                           and torch.allclose(grads[name].double(), ref, rtol=1e-4, atol=1e-7)]
                    for name in wrong}
    if all(shapes_match[name] and name not in shapes_match[name] for name in wrong):
        placed = ", ".join(f"{name} holds d{shapes_match[name][0]}" for name in wrong)
        return (f"{said}. They are right but in the wrong places ({placed}): return them in "
                f"the order of params, [{', '.join('d' + n for n in params64)}]")
    nearest = _nearest(wrong)
    shapes = [f"d{name} has shape {tuple(grads[name].shape)}, {name} "
              f"{tuple(references[name].shape)}" for name in nearest
              if grads[name].shape != references[name].shape]
    message = (f"{said}. Nearest the loss: {' and '.join('d' + name for name in nearest)}"
               + (f" ({'; '.join(shapes)})" if shapes else "")
               + f"; look at {_where(set(wrong))}.")
    with torch.no_grad():
        for mistake, explanation in MISTAKES.items():
            planted = _backward(params64, Xb, Yb, acts, mistake)
            if all(_matches(grads[name], planted[name], references[name]) for name in nearest):
                return f"{message} It looks like this mistake: {explanation}."
    return message


def _listed(names):
    """``dW1``, ``dW1 and dC``, ``dW2, db2 and dC``."""
    names = [f"d{name}" for name in names]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _matches(grad, planted, reference):
    """Whether ``grad`` is the planted mistake's gradient (and that differs from the right one)."""
    if planted.shape != grad.shape or torch.allclose(planted, reference, rtol=1e-4, atol=1e-9):
        return False
    return torch.allclose(grad.double(), planted, rtol=1e-3, atol=1e-4 * float(planted.abs().max()))


def check_forward_backward(forward_backward, X, Y, *, steps=5, n_hidden=200, batch_size=32,
                           lr=0.1, seed=0, run_steps=300):
    """Exercise 4's check: a learner's ``forward_backward`` against autograd along a short run,
    then the first ``run_steps`` steps of lecture 08's training run against the finished one.

    ``forward_backward(params, Xb, Yb)`` must return ``(loss, grads)``: the batch's mean
    cross-entropy and a list with one gradient per parameter, in the order of ``params``.
    For ``steps`` random batches of ``X``, ``Y`` (seeded by ``seed``) it compares the loss
    and every gradient with a float64 autograd reference at the same point, then updates
    the parameters with the learner's gradients, as training would. On the first
    disagreement it prints ``compare``'s line for every parameter (nearest the loss first)
    and raises ``AssertionError`` saying which step of the backward pass to look at, and
    the likely mistake where a known one fits. Then :func:`_check_training_start`. On
    success it prints one line for each part.
    """
    if not callable(forward_backward):
        raise TypeError(f"check_forward_backward needs your function forward_backward; got "
                        f"{type(forward_backward).__name__}")
    _positive_int("steps", steps)
    params = init_params(n_hidden=n_hidden, block_size=X.shape[1])
    gen = torch.Generator().manual_seed(seed)
    for step in range(steps):
        ix = torch.randint(0, X.shape[0], (batch_size,), generator=gen)
        Xb, Yb = X[ix], Y[ix]
        params64 = {name: p.detach().double().requires_grad_() for name, p in params.items()}
        reference, acts = forward(params64, Xb, Yb)
        acts["hprebn"].retain_grad()
        reference.backward()
        # db1 is a sum that cancels to about zero: judge it against the size of its terms
        scales = {"b1": float(acts["hprebn"].grad.abs().max())}
        acts = {name: a.detach() for name, a in acts.items()}
        where = f"step {step} of {steps}" + (" (after updates with your gradients)" if step
                                              else "")
        loss, grads = _call(forward_backward, params, Xb, Yb, where)
        if abs(loss - reference.item()) > 1e-5 * max(1.0, abs(reference.item())):
            why = _loss_message(loss, params64, Xb, Yb, reference.item())
            raise AssertionError(f"{where}: {why}")
        grads = dict(zip(params, grads, strict=True))
        comparisons = {name: compare(name, grads[name], params64[name], scale=scales.get(name),
                                     n=batch_size, show_exact=False, quiet=True)
                       for name in BACKWARD_ORDER}
        if not all(comparisons.values()):
            print(f"{where}: your gradients against autograd's, from the loss backwards")
            for name in BACKWARD_ORDER:
                print(comparisons[name].line)
            why = _diagnose(comparisons, grads, params64, Xb, Yb, acts)
            raise AssertionError(f"{where}: {why}")
        with torch.no_grad():
            for name, p in params.items():
                p -= lr * grads[name]
    print(f"{steps} steps x {len(params)} parameters: the loss and every gradient agree with "
          "autograd")
    if run_steps:
        _check_training_start(forward_backward, X, Y, run_steps, n_hidden, batch_size, lr)


# Lecture 08's training run: its parameters' seed and its batches' seed.
RUN_SEED, BATCH_SEED = 2147483647, 42


def _call(forward_backward, params, Xb, Yb, where):
    """The learner's ``(loss, grads)``, refused if the call changed the parameters."""
    before = {name: p.detach().clone() for name, p in params.items()}
    with torch.no_grad():
        loss, grads = _unpack(forward_backward(params, Xb, Yb), params)
    changed = [name for name, p in params.items() if not torch.equal(p, before[name])]
    if changed:
        raise AssertionError(
            f"{where}: your forward_backward changed {', '.join(changed)} in place. It must only "
            "compute the loss and the gradients: the training loop makes the update "
            "(p.add_(grad, alpha=-lr)), so an update inside it would be applied twice")
    return loss, grads


def _check_training_start(forward_backward, X, Y, steps, n_hidden, batch_size, lr):
    """The first ``steps`` steps of lecture 08's run (its seeds, batches and learning rate),
    the learner's ``forward_backward`` side by side with :func:`forward_backward`.

    At every step both compute the loss and the gradients at the learner's parameters, and
    the learner's update is applied, so rounding cannot make the two drift apart; the first
    step where the loss or a parameter's update differs by more than float32 rounding is
    refused, naming the parameter nearest the loss.
    """
    params = init_params(n_hidden=n_hidden, block_size=X.shape[1], seed=RUN_SEED)
    gen = torch.Generator().manual_seed(BATCH_SEED)
    for step in range(steps):
        ix = torch.randint(0, X.shape[0], (batch_size,), generator=gen)
        Xb, Yb = X[ix], Y[ix]
        ref_loss, ref_grads = _finished_step(params, Xb, Yb)
        where = f"step {step} of the training run (section 3's batches, lr = {lr})"
        loss, grads = _call(forward_backward, params, Xb, Yb, where)
        ref_loss = ref_loss.item()
        if abs(loss - ref_loss) > 1e-4 * max(1.0, abs(ref_loss)):
            raise AssertionError(f"{where}: your loss is {loss:.6f}, the finished "
                                 f"forward_backward's {ref_loss:.6f}")
        refs = dict(zip(params, ref_grads, strict=True))
        scales = {name: float(ref.abs().max()) for name, ref in refs.items()}
        scales["b1"] = scales["W1"]    # db1 is about zero: judge it by dW1's size
        for name in BACKWARD_ORDER:
            grad, ref = grads[list(params).index(name)], refs[name]
            if grad.shape != ref.shape:
                raise AssertionError(f"{where}: d{name} has shape {tuple(grad.shape)}, {name} "
                                     f"{tuple(ref.shape)}")
            off = float((grad.double() - ref.double()).abs().max())
            if off > 1e-4 * scales[name]:
                raise AssertionError(
                    f"{where}: the update of {name}, -lr * d{name}, differs from the finished "
                    f"forward_backward's by up to {lr * off:.3g} (its largest entry is "
                    f"{lr * scales[name]:.3g}); the {step} steps before agreed, so d{name} is "
                    "right on some batches and parameters but not on these")
        with torch.no_grad():
            for p, grad in zip(params.values(), grads, strict=True):
                p.add_(grad, alpha=-lr)
    print(f"the first {steps} steps of the training run: every update agrees with the finished "
          "forward_backward's")


# ---- lecture 08's practice problems: checks that do not give the answer away -----------------

def _number(name, value):
    """``value`` as a float, or a clear error naming ``name``."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AssertionError(f"{name} must be one number (a float or a one-element tensor); "
                             f"got {type(value).__name__}")
    return float(value)


@torch.no_grad()
def check_folded(W1_folded, b1_folded, params, bn_stats, X, Y):
    """Exercise A: the folded first layer gives the pre-activations of the model with
    BatchNorm's calibrated statistics on ``X`` (the validation split), and so its loss."""
    n_hidden = params["W1"].shape[1]
    for name, value, shapes in (("W1_folded", W1_folded, [tuple(params["W1"].shape)]),
                                ("b1_folded", b1_folded, [(n_hidden,), (1, n_hidden)])):
        if not isinstance(value, torch.Tensor) or tuple(value.shape) not in shapes:
            got = f"shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) \
                else f"a {type(value).__name__}"
            raise AssertionError(f"{name} must be a tensor of shape {shapes[0]}; got {got}")
    loss, acts = forward(params, X, Y, bn_stats)
    embcat, hpreact = acts["embcat"], acts["hpreact"]
    linear = embcat @ W1_folded.float()
    scale = float(hpreact.abs().max())
    if not torch.allclose(linear + b1_folded.float(), hpreact, rtol=0, atol=1e-4 * scale):
        bias_off = (hpreact - linear) - b1_folded.float()
        if torch.allclose(bias_off, bias_off.mean(0, keepdim=True), rtol=0, atol=1e-4 * scale):
            raise AssertionError("W1_folded is right, b1_folded is not: x @ W1_folded + "
                                 "b1_folded must equal bngain * (x @ W1 + b1 - bn_mean) / "
                                 "sqrt(bn_var + eps) + bnbias")
        raise AssertionError("x @ W1_folded + b1_folded differs from BatchNorm's output "
                             "bngain * (x @ W1 + b1 - bn_mean) / sqrt(bn_var + eps) + bnbias: "
                             "each column of W1 is scaled by its bngain / sqrt(bn_var + eps)")
    h = torch.tanh(linear + b1_folded.float())
    folded_loss = F.cross_entropy(h @ params["W2"] + params["b2"], Y).item()
    assert abs(folded_loss - loss.item()) < 1e-4, (folded_loss, loss.item())
    print("the folded layer reproduces BatchNorm's output; the folded network's loss is the "
          "model's:", f"{folded_loss:.2f}")


@torch.no_grad()
def check_changes(b1_change, W1_change, params, seed=2147483647):
    """Exercise B: the largest absolute change of ``b1`` and of ``W1`` since initialisation."""
    n_embd = params["C"].shape[1]
    initial = init_params(n_embd=n_embd, n_hidden=params["W1"].shape[1],
                          block_size=params["W1"].shape[0] // n_embd, seed=seed)
    for name, answer in (("W1_change", W1_change), ("b1_change", b1_change)):
        answer = _number(name, answer)
        diff = params[name[:2]] - initial[name[:2]]
        expected = float(diff.abs().max())
        if abs(answer - expected) <= 1e-3 * expected:
            continue
        said = f"{name} is {answer:.3g}, the largest absolute change is {expected:.3g}"
        if answer == 0:
            said += (": your 'initial' values are the trained ones (training changed params in "
                     "place); draw fresh ones with ninja.init_params(...)")
        elif abs(answer - float(diff.abs().mean())) <= 1e-3 * abs(answer):
            said += ": yours is the mean absolute change; take the largest, .abs().max()"
        elif abs(answer - float(diff.max())) <= 1e-3 * abs(answer) or \
                abs(answer - float(diff.min())) <= 1e-3 * abs(answer):
            said += ": yours is the largest signed change; take the absolute value first"
        raise AssertionError(said)
    print("both changes are right; b1 moved less than W1 by a factor of more than 1,000:",
          float(b1_change) * 1000 < float(W1_change))


@torch.no_grad()
def check_first_letters(tv_distance, params, bn_stats, X, Y):
    """Exercise C: the total variation distance between the model's first-letter
    distribution (context ``...``) and the first letters of the names in ``X``, ``Y``."""
    answer = _number("tv_distance", tv_distance)
    start = torch.zeros((1, X.shape[1]), dtype=torch.long)
    model = F.softmax(_activations(params, start, bn_stats)["logits"], dim=1)[0].double()
    firsts = Y[(X == 0).all(1)]
    data = torch.bincount(firsts, minlength=VOCAB_SIZE).double() / firsts.numel()
    expected = 0.5 * float((model - data).abs().sum())
    if abs(answer - expected) <= 1e-3 * expected:
        print("tv_distance is right; below 0.05:", answer < 0.05)
        return
    said = f"tv_distance is {answer:.4f}, the check measures {expected:.4f}"
    if abs(answer - 2 * expected) <= 2e-3 * expected:
        said += ": yours is the whole sum of absolute differences; the distance is half of it"
    else:
        said += (" (the model's softmax for the context [0, 0, 0] with bn_stats, against the "
                 "share of each letter among the training targets, Ytr, whose context in Xtr "
                 "is [0, 0, 0])")
    raise AssertionError(said)
