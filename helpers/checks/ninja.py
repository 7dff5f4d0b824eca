"""The checks of the backprop-ninja arc (lectures 07-08), on ``helpers.checks.core``, and the
arc's mistakes, declared once.

The tables, each a dict ``{slip: core.Mistake}``, come first: ``CROSS_ENTROPY`` (the slips of
the cross-entropy's one-line backward, lecture 07's exercises 2 and C), ``NORMALIZATION``
(those of a normalisation's one-line backward: BatchNorm in exercises 3 and A, LayerNorm in
D; its ``says`` name the tensors through ``{placeholders}``), ``FOLDING`` (lecture 08's
exercise A) and ``MISTAKES`` (exercise 4's whole training step, made of the first two).
Beyond the tables, an answer is fitted term by term (``helpers.checks.paths.fit``): a
normalisation's three terms (the gradient, its mean, its component along x-hat), also with
one part written another way (x for x-hat, a sum over the other dimension, the gain on some
terms only), and the cross-entropy's two (softmax, one-hot), so a sign flipped in one term,
a factor n/(n-1) or 1/T on the wrong one or a ``.mean`` where a ``.sum`` belongs are named
for any formula, listed or not.

Lecture 07: :func:`check_cross_entropy` (exercises 2 and C), :func:`check_normalization`
(exercises 3, A and D); both, and every check that runs the learner's code, refuse code that
changed what it reads in place (``core.untouched``). Lecture 08: :func:`check_forward_backward`
(exercise 4, before the long run), :func:`check_run` and :func:`check_curve` (the long run),
:func:`check_split_losses`, :func:`check_batch_statistics`, and the practice problems
:func:`check_folded`, :func:`check_changes`, :func:`check_first_letters`.
"""

import ast
import inspect
import re
from dataclasses import replace

import torch
import torch.nn.functional as F

from helpers.checks import core
from helpers.checks.compare import compare
from helpers.checks.paths import fit
from helpers.tools.ninja import (
    BN_EPS,
    VOCAB_SIZE,
    _activations,
    _hprebn,
    _positive_int,
    forward,
    init_params,
)

__all__ = ["check_manual_backward", "MANUAL_BACKWARD_ORDER", "likely_mistake",
           "check_argmax_onehot", "check_cross_entropy", "check_normalization",
           "check_forward_backward", "check_run", "check_curve", "check_split_losses",
           "check_batch_statistics", "check_folded", "check_changes", "check_first_letters",
           "CROSS_ENTROPY", "NORMALIZATION", "FOLDING", "MISTAKES", "BACKWARD_ORDER"]


# ==== lecture 06: manual_backward, exercise 1 in one function ===============================

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
        stack += [k for k in c.co_consts if inspect.iscode(k)]
    return [n for n in names if isinstance(fn.__globals__.get(n), torch.Tensor)
            and fn.__globals__[n].is_floating_point()]


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
        for number in re.findall(r"\d+", text):
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
    try:   # the learner's names for the inputs, to say which one it changed in place
        names = list(inspect.signature(fn).bind(t, p, Xb, Yb).arguments)
    except (TypeError, ValueError):
        names = []
    if len(names) != 4:   # *batch takes several: the lecture's names
        names = ["t", "params", "Xb", "Yb"]
    source = core.source_of(fn)
    inputs = dict(zip(names, (t, p, Xb, Yb), strict=True))
    before = core.copies(inputs)
    with torch.no_grad():
        grads = core.call(fn, t, p, Xb, Yb,
                           what=f"your manual_backward(t, params, Xb, Yb), on section 3's batch "
                                f"in {precision},",
                           explain=_mb_explainer(fn, _mb_sizes(leaves, Xb, acts)))
    core.untouched("your manual_backward", inputs, before, source)
    contract = ('return a dict {name: gradient}: d["W1"] for W1, one for each of the 26 tensors '
                "of section 4")
    if not isinstance(grads, dict):
        core.refuse(f"your manual_backward returned {core.kind(grads)}; {contract}")
    missing = [k for k in MANUAL_BACKWARD_ORDER if k not in grads]
    if missing:
        if any(f"d{k}" in grads for k in missing):
            core.refuse(f'your manual_backward returns no gradient under "{missing[0]}": the '
                         f'keys are the tensors\' names, d["{missing[0]}"] for {missing[0]}, '
                         f'not "d{missing[0]}"')
        more = (f" (nor {', '.join(missing[1:])})" if len(missing) <= 4 else
                f" (nor {len(missing) - 1} others after it in section 4's order)")
        core.refuse(f'your manual_backward returns no d["{missing[0]}"], the gradient of '
                     f"{missing[0]}{more if len(missing) > 1 else ''}; {contract}")
    for key in MANUAL_BACKWARD_ORDER:
        if not isinstance(grads[key], torch.Tensor):
            core.refuse(f'd["{key}"] is {core.kind(grads[key])}, not a tensor: the gradient '
                         f"of {key} has its shape {tuple(acts.get(key, leaves.get(key)).shape)}")
    return grads


def _mb_stores(statement, key, local):
    """Whether ``statement`` stores ``D[key]`` (for some dict D; its name is returned) or the
    name ``local``: (dict name or None, whether it does)."""
    for node in ast.walk(statement):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) \
                and isinstance(node.value, ast.Name) \
                and isinstance(node.slice, ast.Constant) and node.slice.value == key:
            return node.value.id, True
        if local and isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) \
                and node.id == local:
            return None, True
    return None, False


def _mb_where_assigned(body, key):
    """``(first, last, dict name, local name)``: the statements of ``body`` that compute the
    gradient returned under ``key``, as ``d[key] = ...`` or as a name in a returned dict."""
    local = None
    for statement in body:   # return {"b1": db1, ...}: the name db1
        if isinstance(statement, ast.Return) and isinstance(statement.value, ast.Dict):
            for k, v in zip(statement.value.keys, statement.value.values, strict=True):
                if isinstance(k, ast.Constant) and k.value == key and isinstance(v, ast.Name):
                    local = v.id
    hits, dict_name = [], None
    for i, statement in enumerate(body):
        name, stores = _mb_stores(statement, key, local)
        if stores:
            hits.append(i)
            dict_name = dict_name or name
            # d[key] = db1: db1's own statements compute it
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Name) \
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
        tree = ast.parse(core.source_of(fn))
        func = next(s for s in tree.body if isinstance(s, ast.FunctionDef))
        bound = inspect.signature(fn).bind(acts, leaves, Xb, Yb)
        bound.apply_defaults()
    except (TypeError, SyntaxError, StopIteration, ValueError):
        return None
    found = _mb_where_assigned(func.body, key)
    if found is None:
        return None
    first, last, dict_name, local = found
    # its globals and arguments copied (core.isolated), so the statements change no original
    namespace = core.isolated({**fn.__globals__, **bound.arguments})
    replace = {upstream: random, **{z: torch.zeros_like(returned[z]) for z in zeroed}}

    with torch.no_grad():
        if core.run_again(func.body[:first], namespace) is None:
            return None
    for name, new in replace.items():   # every copy of d[name] the statements can read
        old = returned[name]
        for var, value in list(namespace.items()):
            if isinstance(value, torch.Tensor) and value.shape == old.shape \
                    and torch.equal(value, old):
                namespace[var] = new.clone()
        if isinstance(namespace.get(dict_name), dict):
            namespace[dict_name][name] = new.clone()
    with torch.no_grad():
        if core.run_again(func.body[first:last + 1], namespace) is None:
            return None
    yours = namespace[dict_name][key] if dict_name and isinstance(
        namespace.get(dict_name), dict) and key in namespace[dict_name] else namespace.get(local)
    if not isinstance(yours, torch.Tensor) or (
            yours.shape == returned[key].shape and torch.equal(yours, returned[key])):
        return None   # the formula does not read the upstream gradient: nothing to judge
    return yours.detach()


def _mb_formula_hint(fn, key, leaves, acts, graph64, Xb, Yb, returned, rng):
    """Why the learner's formula for ``key`` is wrong on a random upstream gradient, "" when it
    is right there, None when it could not be run again."""
    upstream, zeroed, why, rule = _MB_RERUN[key]
    gen = torch.Generator().manual_seed(rng.randrange(2**31))
    random = torch.randn(returned[upstream].shape, generator=gen,
                         dtype=torch.float64).to(returned[upstream].dtype)
    yours = _mb_rerun(fn, key, upstream, zeroed, leaves, acts, Xb, Yb, returned, random)
    if yours is None:
        return None
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


@core.check()
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
        core.refuse(f"check_manual_backward needs your function manual_backward; got "
                     f"{core.kind(manual_backward)}")
    n = Xb.shape[0]
    leaves32, acts32 = _mb_graph(forward, params, Xb, Yb, torch.float32)
    leaves64, acts64 = _mb_graph(forward, params, Xb, Yb, torch.float64)
    fresh64 = _mb_graph(forward, params, Xb, Yb, torch.float64, retain=False)

    def tensor(leaves, acts, key):
        return leaves[key] if key in leaves else acts[key]

    exact = {k: tensor(leaves64, acts64, k).grad for k in MANUAL_BACKWARD_ORDER}
    scale = {k: exact[_MB_RERUN[k][0]] for k in ("logit_maxes", "b1")}   # noise: by what it sums
    grads = _mb_run_backward(manual_backward, leaves32, acts32, Xb, Yb, "float32")
    rerun = []   # the formulas run again with a random upstream gradient
    for i, key in enumerate(MANUAL_BACKWARD_ORDER):
        result = compare(key, grads[key].detach(), tensor(leaves32, acts32, key),
                         reference=exact[key], graph=acts32["loss"], n=n, named=acts32,
                         scale=scale.get(key), show_exact=False, quiet=True)
        hint = result.hint if not result.ok else ""
        if not hint and key in _MB_RERUN:
            hint = _mb_formula_hint(manual_backward, key, leaves32, acts32, fresh64, Xb, Yb,
                                    grads, rng)
            if hint is not None:
                rerun.append("the max's path of logits" if key == "logits" else key)
        if hint:
            later = [k for k in MANUAL_BACKWARD_ORDER[i + 1:]
                     if not core.agree(grads[k].detach(), exact[k], scale.get(k))]
            after = (f" ({len(later)} of the {len(MANUAL_BACKWARD_ORDER) - i - 1} after it "
                     "differ too: they may only inherit its mistake)" if later else "")
            core.refuse(f'd["{key}"] is the first wrong gradient, in section 4\'s '
                         f"order{after}: {hint}")
    try:
        grads64 = _mb_run_backward(manual_backward, leaves64, acts64, Xb, Yb, "float64")
    except core.Refused as refused:   # float64 meets float32: say that first
        error = refused.__cause__
        read = _mb_global_tensors(manual_backward)
        if not (isinstance(error, RuntimeError) and read and "double" in str(error).lower()):
            raise
        raise core.Refused(
            f"your manual_backward reads a float32 tensor from the notebook's globals "
            f"({', '.join(read)}): right in float32, where it equals what the arguments hold, "
            "it fails in float64 (float64 met float32). Take every tensor from its arguments, "
            f"t and params (in float64 it stopped with: {error})") from error
    for key in MANUAL_BACKWARD_ORDER:
        if not core.agree(grads64[key].detach(), exact[key], scale.get(key)):
            read = _mb_global_tensors(manual_backward)
            which = f" ({', '.join(read)})" if read else ""
            core.refuse(
                f'd["{key}"] is right in float32 but not in float64: did your manual_backward '
                f"read a float32 tensor from the notebook's globals{which}? Take every tensor "
                "from its arguments, t and params",
                f"(your float64 d[\"{key}\"] is off by up to "
                f"{float((grads64[key].detach().double() - exact[key]).abs().max()):.2g}; "
                f"float64 rounding allows "
                f"{core.tolerance(exact[key], exact[key], scale.get(key)):.1g})")
    rerun.sort(key=lambda k: k != "b1")   # b1 first, as lecture 06's prose has them
    again = (f"; the formula{'s' if len(rerun) > 1 else ''} of "
             f"{', '.join(rerun[:-1]) + ' and ' if len(rerun) > 1 else ''}{rerun[-1]} also on "
             "random upstream gradients" if rerun else "")
    core.passed("manual_backward", f"all {len(MANUAL_BACKWARD_ORDER)} gradients of section 4, "
                                   f"in float32 and in float64{again}")


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
        core.Mistake("the brackets are missing: 1 - h**2 * dh multiplies only h**2 by dh; the "
                      "local derivative 1 - h**2 as a whole multiplies dh: (1 - h**2) * dh",
                      lambda t: 1 - t.data["y"] ** 2 * t.data["g"]),
        core.Mistake("tanh is applied to h once more: its derivative is 1 - tanh(x)**2 at the "
                      "input x, and tanh(x) is the output h itself: (1 - h**2) * dh",
                      lambda t: (1 - torch.tanh(t.data["y"]) ** 2) * t.data["g"]),
        core.Mistake("only the local derivative 1 - h**2: the chain rule multiplies it by the "
                      "incoming gradient dh", lambda t: 1 - t.data["y"] ** 2),
        core.Mistake("the incoming gradient dh alone: the chain rule multiplies it by tanh's "
                      "local derivative 1 - h**2", lambda t: t.data["g"]),
    ],
    "relu": [
        core.Mistake("relu is applied to the incoming gradient: the gradient passes where the "
                      "unit fired, where its INPUT was positive, whatever the sign of the "
                      "gradient: (hpreact > 0) * dh", lambda t: torch.relu(t.data["g"])),
        core.Mistake("the gate is open on the wrong side: relu's derivative is 1 where its "
                      "input is positive, 0 elsewhere",
                      lambda t: (t.data["x"] < 0).to(t.data["g"].dtype) * t.data["g"]),
        core.Mistake("only relu's local derivative, 1 where the input is positive: the chain "
                      "rule multiplies it by the incoming gradient dh",
                      lambda t: (t.data["x"] > 0).to(t.data["g"].dtype)),
        core.Mistake("the incoming gradient dh alone: relu's derivative, 0 where the input is "
                      "not positive, is missing", lambda t: t.data["g"]),
    ],
    "lookup": [
        *[core.Mistake(f"the rows looked up at context position {k} are missing: each of the "
                        "n * block_size positions of the batch hands its row of demb back to "
                        "the row of C it was looked up from (a loop whose range stops short?)",
                        lambda t, k=k: _mb_without(t.data, k)) for k in range(8)],
        core.Mistake("the indices and the rows of demb are paired in different orders: the "
                      "indices go position by position (column by column of Xb, as "
                      "Xb.T.reshape(-1) lists them), the rows of demb example by example; "
                      "flatten both the same way: Xb.view(-1) with demb.view(-1, n_embd)",
                      lambda t: _mb_lookup(t.data["index"].T, t.data["g"], t.data["n_rows"])),
        core.Mistake("emb, the looked-up values of the forward pass, where demb, their "
                      "gradient, belongs",
                      lambda t: _mb_lookup(t.data["index"], t.data["y"], t.data["n_rows"])),
    ],
    "reshape": [
        core.Mistake("the right numbers in the wrong places: a view to another order of the "
                      "dimensions, or a transpose, moves them; view the gradient straight to "
                      "the tensor's shape (the forward pass's view, undone)",
                      lambda t: t.got if _mb_same_numbers(t.got, t.want) else None),
    ],
    "broadcast": [
        core.Mistake("a mean where the sum belongs: the tensor was broadcast to all "
                      "{size} entries of the product, and each one adds its contribution",
                      lambda t: t.want / t.data["size"]),
    ],
}


def _mb_same_numbers(got, want):
    """Whether ``got`` holds the numbers of ``want``, in other places."""
    if got.shape != want.shape:
        return False
    a, b = (x.detach().reshape(-1).sort().values for x in (got, want))   # dtypes kept
    return not core.agree(got, want) and core.agree(a, b)


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
        trial = core.Trial("", got.detach(), want.detach(), data)
        said = core.diagnose([trial], _MB_SLIPS[operation])
        return said.format(**data) if said else None
    return name



@core.check()
def check_argmax_onehot(local, logits, logit_maxes, Yb):
    """Lecture 06, 4.8: ``local``, the (n, vocab) matrix of d logit_maxes[i] / d logits[i, j],
    against what the node that made ``logit_maxes`` (the max of each row of ``logits``) sends
    back for a gradient of 1 per row; says what differs (spread over the row, not one-hot, the
    1 in the wrong column and which column it took: Yb, the minimum, the maxima's values)."""
    if not isinstance(local, torch.Tensor):
        core.refuse(f"argmax_onehot is {core.kind(local)}: it holds one local derivative "
                     "d logit_maxes[i] / d logits[i, j] per entry of logits, a tensor")
    if local.shape != logits.shape:
        core.refuse(f"argmax_onehot has the shape {tuple(local.shape)}: it holds one local "
                     "derivative d logit_maxes[i] / d logits[i, j] per entry of logits, so it has "
                     f"their shape {tuple(logits.shape)}")
    right = logit_maxes.grad_fn(torch.ones_like(logit_maxes)).double()
    mine = local.detach().double()
    if torch.equal(mine, right):
        core.passed("argmax_onehot", "one 1 per row, where the row's maximum is")
        return
    n = logits.shape[0]
    i = next(i for i in range(n) if not torch.equal(mine[i], right[i]))
    if (mine == mine[:, :1]).all():
        why = (f"spread evenly over each row (row {i}: every entry is {mine[i, 0].item():.3g}), "
               "but nudging an entry that is not its row's maximum does not move the maximum")
    elif not ((mine == 0) | (mine == 1)).all():
        i, j = ((mine != 0) & (mine != 1)).nonzero()[0].tolist()
        why = (f"not one-hot: entry [{i}, {j}] is {mine[i, j].item():.3g}, but a row's maximum "
               "moves by as much as the entry you nudge, or not at all: each entry is 1 or 0")
    elif not (mine.sum(1) == 1).all():
        i = int((mine.sum(1) != 1).nonzero()[0])
        why = f"not one-hot: row {i} has {int(mine[i].sum())} ones, but a row has one maximum"
    else:
        yours, theirs = mine.argmax(1), right.argmax(1)
        took = {", at the correct characters Yb": Yb, ", at each row's minimum":
                logits.argmin(1), ", at the row maxima's values cast to whole numbers (.values):"
                " the one-hot needs where each maximum is, .indices (or argmax)":
                logits.max(1).values.long()}
        where = next((w for w, index in took.items() if torch.equal(yours, index)), "")
        why = (f"one-hot, with its 1 in the wrong column in {int((yours != theirs).sum())} of "
               f"{n} rows{where} (row {i}: yours in column {int(yours[i])}, the row's maximum "
               f"is in column {int(theirs[i])})")
    core.refuse(f"argmax_onehot is {why}.")



# ==== the arc's tables ===========================================================================

# ---- the cross-entropy's one-line backward (lecture 07, exercises 2 and C; exercise 4) ------

def _dlogits(logits, Y, slip=None, T=1.0):
    """(softmax(logits / T) - onehot(Y)) / (n * T), with ``slip`` (a key of CROSS_ENTROPY)."""
    n = logits.shape[0]
    z = logits if slip == "softmax_unscaled" else logits / T
    if slip == "log_probs":
        dlogits = F.log_softmax(z, 1)
    else:
        dlogits = F.softmax(z, 0 if slip == "softmax_dim0" else 1)
    if slip == "whole_column":
        dlogits[:, Y] -= 1
    elif slip == "onehot_added":
        dlogits[torch.arange(n), Y] += 1
    elif slip != "no_onehot":
        dlogits[torch.arange(n), Y] -= 1
    if slip != "not_mean":
        dlogits /= n
    return dlogits * {"T_missing": 1.0, "T_multiplied": T}.get(slip, 1 / T)


def _ce(slip, T_only=False):
    def predicts(trial):
        T = trial.data.get("T", 1.0)
        if T_only and T == 1.0:
            return None
        return _dlogits(trial.data["logits"], trial.data["Y"], slip, T)
    return predicts


CROSS_ENTROPY = {
    "not_mean": core.Mistake(
        "dlogits is not divided by n: the loss is the mean over the batch, so dlogits = "
        "(softmax(logits) - onehot(Y)) / n", _ce("not_mean")),
    "no_onehot": core.Mistake(
        "dlogits lacks the one-hot of the targets: subtract 1 at each row's correct character, "
        "dlogits[rows, Yb] -= 1, before dividing by n", _ce("no_onehot")),
    "softmax_dim0": core.Mistake(
        "the softmax is taken over dimension 0 (down the batch); each row of logits gets its "
        "own softmax: dim=1 (logprobs.exp() from log_softmax(1))", _ce("softmax_dim0")),
    "onehot_added": core.Mistake(
        "the one-hot is added instead of subtracted: d(-log p_y)/dlogit_y = p_y - 1",
        _ce("onehot_added")),
    "log_probs": core.Mistake(
        "log-probabilities instead of probabilities: the derivative of log-sum-exp is the "
        "softmax itself, exp(log_softmax)", _ce("log_probs")),
    "whole_column": core.Mistake(
        "the -1 went into every entry of the target's column, not only the target rows: index "
        "with both the rows and Yb, dlogits[range(n), Yb]", _ce("whole_column")),
    "T_missing": core.Mistake(
        "off by a constant factor {T} = T: the chain rule's last link is missing; the loss "
        "sees z = logits / T, so dlogits = dz / T", _ce("T_missing", True)),
    "T_multiplied": core.Mistake(
        "off by a constant factor {T2} = T²: multiplied by T where the chain rule divides by "
        "it (dz/dlogits = 1/T)", _ce("T_multiplied", True)),
    "softmax_unscaled": core.Mistake(
        "the softmax is taken of the logits; the loss sees z = logits / T, so it is "
        "softmax(logits / T)", _ce("softmax_unscaled", True)),
}


def _ce_terms(trial, answer):
    """The answer fitted as the formula's two terms, softmax(logits / T) / (n * T) and
    -onehot(Y) / (n * T), with a nameable factor (n, T, T², -1, 0, ...) on one or both
    (``helpers.checks.paths.fit``): what differs, term by term, or None."""
    d = trial.data
    T, n = d["T"], d["logits"].shape[0]
    p = F.softmax(d["logits"] / T, 1) / (n * T)
    onehot = -F.one_hot(d["Y"], p.shape[1]).to(p.dtype) / (n * T)
    numbers = [(T, f"T = {T:g}"), (1 / T, f"1/T = 1/{T:g}"), (T * T, f"T² = {T * T:g}"),
               (1 / (T * T), f"1/T² = 1/{T * T:g}")] if T != 1.0 else ()
    found = fit(torch.as_tensor(trial.got), [p, onehot], core.tolerance(trial.got, trial.want),
                n=n, bessel=False, numbers=numbers, least=1)
    if not found:
        return None
    if len(found) == 2 and found[0][1:] == found[1][1:]:   # one factor on both: on the whole
        return ("the sign is wrong" if found[0][2] == "the wrong sign" else
                f"{answer} is off by a constant factor: it has {found[0][2]} (on both terms)")
    labels = ("the softmax term, softmax(logits / T) / (n * T)" if T != 1.0 else
              "the softmax term, softmax(logits) / n",
              "the one-hot term, onehot(Y) / (n * T)" if T != 1.0 else
              "the one-hot term, onehot(Y) / n")
    said = "; ".join(f"{labels[k]} {'is' if text == 'missing' else 'has'} {text}"
                     for k, _, text in found)
    return f"{answer} is two terms, and {said}"


def _text(statements):
    """The learner's statements as they wrote them (core.cell_statements keeps each one's
    ``text``), for core.untouched to quote."""
    return "\n".join(getattr(s, "text", None) or ast.unparse(s)
                     for s in statements) if statements else None


def _untouched(answer, reads):
    """Refuse when the learner's cell changed a tensor it reads: ``reads`` {name: (the tensor,
    or a dict of them, as the notebook holds it; what it must still hold)}."""
    if reads:
        found = core.cell_statements(answer)
        core.untouched("your cell", {k: v for k, (v, _) in reads.items()},
                       core.copies({k: was for k, (_, was) in reads.items()}),
                       _text(found and found[0]), lasting=True)


@core.check(lambda answer, *args, **kwargs: answer)
def check_cross_entropy(answer, dlogits, logits, Y, *, T=1.0, exact=None, reads=None):
    """Lecture 07's exercises 2 (``T`` = 1) and C: ``dlogits`` (named ``answer``), the gradient
    of ``F.cross_entropy(logits / T, Y)`` for ``logits``, against the exact one (from
    ``exact``, the float64 logits; default ``logits`` in float64) at the precision of what it
    is computed from. ``reads``: {name: (what the cell reads, what it must still hold)},
    refused first when the cell changed it in place. A wrong answer is refused with the
    mistake of CROSS_ENTROPY that fits, else the term that differs (:func:`_ce_terms`), else
    ``compare``'s diagnosis (its line printed) where neither names it."""
    _untouched(answer, reads)
    exact = (logits if exact is None else exact).detach().double()
    want = _dlogits(exact, Y, T=T)
    if not isinstance(dlogits, torch.Tensor):
        core.refuse(f"{answer} must be a tensor of shape {tuple(want.shape)}; got "
                    f"{core.kind(dlogits)}")
    trial = core.Trial("on this batch", _at_precision(dlogits.detach(), dlogits, logits),
                       _at_precision(want, dlogits, logits), {"logits": exact, "Y": Y, "T": T})
    if dlogits.shape == want.shape and trial.right:
        core.passed(answer, f"{core.precision(trial.got)} rounding of the exact gradient")
        return
    said = {"T": f"{T:g}", "T2": f"{T * T:g}"}
    table = [replace(m, says=m.says.format(**said)) for m in CROSS_ENTROPY.values()]
    diagnosis = dlogits.shape == want.shape and (core.diagnose([trial], table)
                                                 or _ce_terms(trial, answer))
    if diagnosis:
        core.refuse(diagnosis, _where(trial.got, trial.want))
    result = compare(answer, dlogits, logits, reference=want, n=want.shape[0], quiet=True,
                     show_exact=False, scale_names={"T": T} if T != 1.0 else None)
    print(result.line)     # compare's own line, where the table and the term fit named nothing
    core.refuse(result.hint or f"the values differ: {_where(trial.got, trial.want)}")



# ---- a normalisation's one-line backward (lecture 07, exercises 3, A, D; exercise 4) --------
# Names in the messages: {block} (BatchNorm, LayerNorm), {gain}, {s} (the inverse standard
# deviation), {xhat}, {g} (the incoming gradient), {m} (the count its statistics run over),
# {dim} (their dimension), {other}, {unit} (what is normalised on its own), {fn} (PyTorch's
# function), {x} (the input).

def _normalization_backward(g, xhat, s, gain, dim, unbiased, slip=None):
    """The gradient for the input of ``y = gain * xhat + bias``, ``xhat = (x - mean) * s``,
    mean and variance over ``dim`` (the variance divided by m - 1 if ``unbiased``, else by m),
    from the incoming gradient ``g``; with ``slip`` (a key of NORMALIZATION) planted.
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


def _statistics(x, dim, unbiased, eps=BN_EPS, count=None):
    """``(xhat, s)`` of a normalisation over ``dim`` (the variance divided by ``count`` - 1
    or ``count``, by default the size of ``dim``)."""
    m = count or x.shape[dim]
    centred = x - x.mean(dim, keepdim=True)
    var = (centred**2).sum(dim, keepdim=True) / (m - 1 if unbiased else m)
    s = (var + eps) ** -0.5
    return centred * s, s


def _norm(slip, applies=lambda d: True):
    """The prediction of ``slip`` on a trial: the statistics as the learner computes them
    (with the slip, if it is in them), then the one-line backward pass (with the slip, if it
    is in that). Statistics slips do not apply where the statistics were given (exercise 3)."""
    def predicts(trial):
        d = trial.data
        if not applies(d) or (slip in STATISTICS_SLIPS and d["given"]):
            return None
        x, dim, unbiased, eps, gain, dy = (d[k] for k in ("x", "dim", "unbiased", "eps",
                                                          "gain", "dy"))
        if slip == "count_other_dim":
            k = x.shape[1 - dim]
            return _count_backward(d, *_statistics(x, dim, unbiased, eps, count=k), k)
        if slip == "as_batchnorm":
            return _normalization_backward(dy, *_statistics(x, 0, False, eps), gain, 0, False,
                                           "gain_outside")
        if slip in ("unbiased_stats", "unbiased_stats_bessel"):
            return _normalization_backward(dy, *_statistics(x, dim, True, eps), gain, dim,
                                           slip == "unbiased_stats_bessel")
        if slip == "no_eps":
            return _normalization_backward(dy, *_statistics(x, dim, unbiased, 0.0), gain, dim,
                                           unbiased)
        return _normalization_backward(dy, *_statistics(x, dim, unbiased, eps), gain, dim,
                                       unbiased, slip)
    return predicts


def _count_backward(d, xhat, s, k):
    """The right formula with the count m replaced by ``k`` everywhere it is written."""
    g, dim = d["dy"], d["dim"]
    gain = torch.as_tensor(d["gain"], dtype=g.dtype)
    padded = (1,) * (g.dim() - gain.dim()) + tuple(gain.shape)
    front, g_hat = (gain, g) if padded[dim] == 1 else (1.0, gain * g)
    factor = k / (k - 1) if d["unbiased"] else 1.0
    return front * s / k * (k * g_hat - g_hat.sum(dim, keepdim=True)
                            - factor * xhat * (xhat * g_hat).sum(dim, keepdim=True))


# the slips that are in the statistics, not in the backward line
STATISTICS_SLIPS = {"unbiased_stats", "unbiased_stats_bessel", "as_batchnorm", "no_eps",
                    "count_other_dim"}


def _gain_varies(d):
    padded = (1,) * (d["x"].dim() - torch.as_tensor(d["gain"]).dim()) + tuple(
        torch.as_tensor(d["gain"]).shape)
    return padded[d["dim"]] != 1


NORMALIZATION = {
    "no_bngain": core.Mistake(
        "the {block} backward lacks {gain}: the gradient reaches {xhat} through y = {gain} * "
        "{xhat} + bias, so it is multiplied by {gain} on its way back", _norm("no_bngain")),
    "no_bessel": core.Mistake(
        "the {block} backward lacks the factor {m}/({m}-1) in front of the term with {xhat}: "
        "the forward pass divides the variance by {m} - 1 (Bessel's correction), and the "
        "backward pass keeps that factor (lecture 07, exercise 3)",
        _norm("no_bessel", lambda d: d["unbiased"])),
    "extra_bessel": core.Mistake(
        "the factor {m}/({m}-1) of exercise 3 does not belong here: this forward pass divides "
        "the variance by {m} ({fn} takes the biased variance), so Bessel's correction leaves "
        "no factor in the backward pass", _norm("extra_bessel", lambda d: not d["unbiased"])),
    "bessel_inverted": core.Mistake(
        "({m}-1)/{m} instead of {m}/({m}-1): the factor is {m} over {m} - 1",
        _norm("bessel_inverted", lambda d: d["unbiased"])),
    "no_mean": core.Mistake(
        "the mean term is missing: the forward pass subtracts each {unit}'s mean, so the "
        "backward pass subtracts the mean of the gradient over dimension {dim}", _norm("no_mean")),
    "no_variance": core.Mistake(
        "the variance term is missing: each {unit} is also divided by its own standard "
        "deviation, which depends on every input of the {unit}", _norm("no_variance")),
    "no_s": core.Mistake(
        "{s} is missing (or divided by): {xhat} = (x - mean) * {s}, so every term carries {s}",
        _norm("no_s")),
    "wrong_dim": core.Mistake(
        "the sums run over dimension {other}; {block}'s statistics are over dimension {dim} "
        "(each {unit} on its own), so every sum of the backward pass is over dim={dim}, "
        "keepdim=True", _norm("wrong_dim")),
    "gain_outside": core.Mistake(
        "{gain} stands outside the sums, as BatchNorm allows; here the sums run along the "
        "features, where {gain} changes: the gradient arriving at {xhat} is {gain} * {g}, and "
        "the sums must take that", _norm("gain_outside", _gain_varies)),
    "unbiased_stats": core.Mistake(
        "{s} and {xhat} use the variance divided by {m} - 1 (torch's .var() divides by {m} - 1 "
        "unless told otherwise); {fn} divides by {m}: var({dim}, keepdim=True, unbiased=False)",
        _norm("unbiased_stats", lambda d: not d["unbiased"])),
    "unbiased_stats_bessel": core.Mistake(
        "this is the backward of a {block} whose variance divides by {m} - 1 (torch's .var() "
        "default, with the factor {m}/({m}-1)); {fn} divides by {m}: var({dim}, keepdim=True, "
        "unbiased=False), and no factor {m}/({m}-1)",
        _norm("unbiased_stats_bessel", lambda d: not d["unbiased"])),
    "as_batchnorm": core.Mistake(
        "this is BatchNorm's backward, with statistics and sums down each column (dimension "
        "0); {block}'s run along each row: mean, variance and every sum over dimension {dim}, "
        "keepdim=True", _norm("as_batchnorm", lambda d: d["dim"] == 1)),
    "no_eps": core.Mistake(
        "{s} lacks eps: (var + 1e-5) ** -0.5, as in the forward pass ({fn} adds eps = 1e-5 "
        "to the variance before the square root)", _norm("no_eps")),
    "count_other_dim": core.Mistake(
        "{m} is taken from the wrong dimension: the statistics run over dimension {dim}, whose "
        "size is {x}.shape[{dim}] = {size}, not {x}.shape[{other}] = {other_size}",
        _norm("count_other_dim", lambda d: d["x"].shape[0] != d["x"].shape[1])),
}

# The names in the messages: this model's BatchNorm (exercise 3, exercise 4), and otherwise
# those of lecture 07's exercises A (BatchNorm, biased) and D (LayerNorm).
_BN_NAMES = {"block": "BatchNorm", "gain": "bngain", "s": "bnvar_inv", "xhat": "bnraw",
             "g": "dhpreact", "m": "n", "unit": "column", "fn": "F.batch_norm", "x": "hprebn"}
_NAMES = {0: {"block": "BatchNorm", "gain": "gamma", "s": "s", "xhat": "xhat", "g": "dy",
              "m": "n", "unit": "column", "fn": "F.batch_norm in training mode", "x": "x"},
          1: {"block": "LayerNorm", "gain": "gamma", "s": "s", "xhat": "xhat", "g": "dy",
              "m": "d", "unit": "row", "fn": "F.layer_norm", "x": "x"}}


def _said(dim, unbiased, x, names=None):
    """The names a NORMALIZATION message is written with."""
    said = dict(_BN_NAMES if dim == 0 and unbiased else _NAMES[dim], dim=dim, other=1 - dim,
                size=x.shape[dim], size_1=x.shape[dim] - 1, other_size=x.shape[1 - dim])
    said.update(names or {})
    return said


# ---- fitting a normalisation's answer term by term ----------------------------------------------

_TERMS = ("the first term ({m} * {g})", "the mean term ({g}.sum({dim}))",
          "the variance term ({xhat} * ({g} * {xhat}).sum({dim}))")
_SUMS = "every sum of the backward pass is over dim={dim}, keepdim=True"


def _term_bases(d):
    """``[(terms, what the variant says or None)]``: the three terms of the right formula (they
    add up to it), then the same with one part written in a likely wrong way: {xhat} left out
    or replaced by the un-normalised input, one sum over the other dimension, {gain} on some
    terms only."""
    x, dim, unbiased, eps, gain, g = (d[k] for k in ("x", "dim", "unbiased", "eps", "gain", "dy"))
    xhat, s = _statistics(x, dim, unbiased, eps)
    m, other = x.shape[dim], 1 - dim
    factor = m / (m - 1) if unbiased else 1.0
    padded = (1,) * (x.dim() - gain.dim()) + tuple(gain.shape)
    inside = padded[dim] != 1   # the gain changes along the sums (LayerNorm's)
    front, g_hat = (1.0, gain * g) if inside else (gain, g)
    ones = torch.ones_like(x)

    def terms(mean_gain=True, variance_gain=True, mean_dim=dim, variance_dim=dim,
              in_front=xhat, inner=xhat):
        def carried(gained):   # (what stands in front, what the sum takes)
            return (front, g_hat) if gained else (1.0, g)
        f, t = carried(mean_gain)
        mean = -f * s / m * t.sum(mean_dim, keepdim=True) * ones
        f, t = carried(variance_gain)
        variance = -f * s / m * factor * in_front * (inner * t).sum(variance_dim,
                                                                     keepdim=True) * ones
        return [front * s * g_hat, mean, variance]

    def lacks(term):
        return ("the {term} term's sum takes {{g}} without {{gain}}: the gradient arriving at "
                "{{xhat}} is {{gain}} * {{g}}, and every sum takes that" if inside else
                "the {term} term lacks {{gain}}: the gradient arriving at {{xhat}} is {{gain}} * "
                "{{g}}, so every term carries {{gain}}").format(term=term)

    centred = x - x.mean(dim, keepdim=True)
    return [
        (terms(), None),
        (terms(in_front=1.0), "{xhat} is missing in front of the variance term's sum: that "
                              "term is {xhat} * ({g} * {xhat}).sum({dim}), the sum times each "
                              "entry's own {xhat}"),
        (terms(mean_gain=False), lacks("mean")),
        (terms(variance_gain=False), lacks("variance")),
        (terms(mean_gain=False, variance_gain=False),
         "{gain} multiplies only the first term: the gradient arriving at {xhat} is {gain} * "
         "{g}, so " + ("every sum takes that" if inside else "{gain} multiplies every term")),
        (terms(mean_dim=other), "the mean term's sum runs over dimension {other}; {block}'s "
                                "statistics are over dimension {dim}, so " + _SUMS),
        (terms(variance_dim=other), "the variance term's sum runs over dimension {other}; "
                                    "{block}'s statistics are over dimension {dim}, so " + _SUMS),
        (terms(in_front=x, inner=x),
         "the variance term takes {x}, the input, where {xhat} belongs: {xhat} = ({x} - mean) "
         "* {s}, the input normalised"),
        (terms(in_front=centred, inner=centred),
         "the variance term takes {x} - mean, not yet multiplied by {s}, where {xhat} belongs: "
         "{xhat} = ({x} - mean) * {s}"),
        (terms(in_front=(x - x.mean(other, keepdim=True)) * s,
               inner=(x - x.mean(other, keepdim=True)) * s),
         "{xhat} is centred with the mean over dimension {other}; {block}'s statistics are "
         "over dimension {dim} (each {unit} on its own): {x} - {x}.mean({dim}, keepdim=True)"),
    ]


def _factors(m):
    """``[(coefficient, what a term carrying it says)]`` for a count ``m``."""
    return [(0.0, "is missing"), (-1.0, "has the wrong sign"),
            (m / (m - 1), "carries an extra {m}/({m}-1) = {size}/{size_1}"),
            ((m - 1) / m, "carries ({m}-1)/{m} = {size_1}/{size}: {m}/({m}-1) is missing"),
            (1 / m, "is 1/{m} = 1/{size} of what it should be: a .mean where the .sum belongs?"),
            (m, "is {m} = {size} times too large: a .sum where the .mean belongs, or a "
                "division by {m} missing?"), (2.0, "is counted twice"), (0.5, "is halved")]


def _terms(trial, said):
    """The answer fitted as the formula's three terms (or a variant's) with a nameable factor
    on one or two of them (``helpers.checks.paths.fit``): what differs, term by term, or None
    when nothing fits."""
    d = trial.data
    m, k = d["x"].shape[d["dim"]], d["x"].shape[1 - d["dim"]]
    words = dict(_factors(m))
    for value, says in words.items():   # every term alike: a constant factor
        if value not in (0.0, 1.0) and core.agree(trial.got, value * trial.want, trial.want):
            return f"off by a constant factor {value:.4g}: every term {says}".format(**said)
    tol = core.tolerance(trial.got, trial.want)
    for terms, variant in _term_bases(d):
        found = fit(torch.as_tensor(trial.got), terms, tol, n=m, bessel=d["unbiased"],
                    numbers=[(m / k, f"{m}/{k}")] if m != k else (), least=1)
        if found is None or (variant is None and not found):
            continue
        c = dict((i, v) for i, v, _ in found)
        if variant is None and m != k and c == {1: m / k, 2: m / k}:
            return NORMALIZATION["count_other_dim"].says.format(**said) + (
                f" (in the formula: its mean and variance terms are each {m}/{k} of the right "
                "size)")
        if variant is None and d["unbiased"] and len(c) == 2 and c.get(2) == (m - 1) / m \
                and m / (m - 1) in c.values():
            moved = next(i for i, v in c.items() if v == m / (m - 1))
            return (f"{{m}}/({{m}}-1) sits on {_TERMS[moved]} instead of the variance term: "
                    "Bessel's correction enters through the variance only, so only the term "
                    "with {xhat} carries it").format(**said)
        parts = ([variant] if variant else []) + [
            f"{_TERMS[i]} {words.get(v, text.replace('an extra', 'carries an extra'))}"
            for i, v, text in found]
        if variant and not found:
            return variant.format(**said)
        return ("term by term, yours is the right formula except that "
                + "; ".join(parts)).format(**said)
    return None


def _where(got, want):
    """Where the values differ most, in words, the two numbers told apart."""
    g = torch.as_tensor(got).detach().double()
    w = torch.as_tensor(want).detach().double()
    diff = (g - w).abs()
    bad = int((diff > core.tolerance(got, want)).sum())
    flat = int(torch.nan_to_num(diff, nan=float("inf")).argmax())
    index = [int(i) for i in torch.unravel_index(torch.tensor(flat), tuple(g.shape))]
    expected, yours = core.fmt_pair(float(w.reshape(-1)[flat]), float(g.reshape(-1)[flat]))
    return (f"{bad} of {g.numel()} entries differ; the largest difference is at {index}: "
            f"expected {expected}, got {yours}")


def _at_precision(value, *inputs):
    """``value`` as precise as the least precise of ``inputs`` (an answer computed from
    float32 tensors carries float32's rounding, whatever its own dtype)."""
    if isinstance(value, torch.Tensor) and value.is_floating_point() \
            and core.precision(*inputs) == "float32":
        return value.float()
    return value


@core.check()
def check_normalization(answer, dx, x, gain, dy, *, dim=0, unbiased=True, given=False,
                        names=None, eps=BN_EPS, reads=None):
    """Lecture 07's check of a normalisation's one-line backward: exercise 3 (BatchNorm with
    the n - 1 variance; ``given``: the statistics ``bnraw``, ``bnvar_inv`` were handed to the
    learner), A (BatchNorm with the biased variance, ``unbiased=False``) and D (LayerNorm,
    ``dim=1, unbiased=False``).

    ``dx`` (named ``answer``) is judged against the exact gradient for the input ``x`` of
    ``y = gain * xhat + bias`` with incoming gradient ``dy`` (statistics over ``dim``), in
    float64, at the precision of what it is computed from. A cell that changed what it reads
    in place is refused first: ``reads`` {name: (what it reads, what that must still hold)},
    and ``x.grad``, where autograd left one, must still be the gradient of ``x``, ``gain``
    and ``dy`` where one of them was changed in place (its ``_version`` moved: an x.grad of
    two backward passes, the learner's check against autograd run twice, is no mistake). A
    wrong answer is refused with the mistake of the table NORMALIZATION that fits, else with
    the terms that differ (:func:`_terms`), else with where they differ.
    """
    _untouched(answer, reads)
    x64, gain64, dy64 = (torch.as_tensor(t).detach().double() for t in (x, gain, dy))
    said = _said(dim, unbiased, x64, names)
    data = {"x": x64, "gain": gain64, "dy": dy64, "dim": dim, "unbiased": unbiased,
            "eps": eps, "given": given}
    want = _normalization_backward(dy64, *_statistics(x64, dim, unbiased, eps), gain64, dim,
                                   unbiased)
    if not isinstance(dx, torch.Tensor):
        core.refuse(f"{answer} must be a tensor of shape {tuple(want.shape)}; got "
                    f"{core.kind(dx)}")
    if dx.shape != want.shape:
        hint = compare(answer, dx, torch.empty(want.shape), reference=want, quiet=True).hint
        core.refuse(f"{answer} has shape {tuple(dx.shape)}, {said['x']} "
                    f"{tuple(want.shape)}" + (f": {hint}" if hint else ""))
    touched = [n for n, t in ((said["x"], x), (said["gain"], gain), (said["g"], dy))
               if isinstance(t, torch.Tensor) and t._version]
    if touched and isinstance(x, torch.Tensor) and x.grad is not None \
            and x.grad.shape == want.shape \
            and not core.agree(_at_precision(want, dy, gain), x.grad):
        core.refuse(f"your cell changed {' and '.join(touched)} in place: "
                    f"{said['x']}.grad, autograd's from the cell above, is no longer the "
                    f"gradient of what {said['x']}, {said['gain']} and {said['g']} hold now. An "
                    "in-place operation (*=, -=, exp_(), ...) on them or on a tensor that shares "
                    "their storage (.detach(), .data, a view) changes them: use .clone() or "
                    "out-of-place operations")
    trial = core.Trial("on this batch", _at_precision(dx.detach(), dx, dy, gain),
                       _at_precision(want, dx, dy, gain), data)
    if trial.right:
        core.passed(answer, f"{core.precision(trial.got)} rounding of the exact gradient")
        return
    table = [replace(m, says=m.says.format(**said)) for m in NORMALIZATION.values()]
    diagnosis = core.diagnose([trial], table) or _terms(trial, said)
    where = _where(trial.got, trial.want)
    if diagnosis:
        core.refuse(diagnosis, where)
    core.refuse(f"the values differ: {where}")


# ==== exercise 4 (lecture 08): a whole training step =============================================

# The parameters in the order their gradients appear on the way back from the loss.
BACKWARD_ORDER = ("W2", "b2", "bngain", "bnbias", "W1", "b1", "C")


def _backward(p, X, Y, acts, mistake=None):
    """:func:`manual_backward` again, with ``mistake`` (a key of ``MISTAKES``) planted in it.

    A copy, so that ``manual_backward`` stays the plain lines that lecture 07 writes out as
    ``compact_backward`` (07 asserts that the two agree); tests/test_ninja.py checks that
    the copy without a mistake gives the same gradients, bit for bit.
    """
    embcat, bnraw, bnvar_inv, h = acts["embcat"], acts["bnraw"], acts["bnvar_inv"], acts["h"]
    # cross-entropy: (softmax - one-hot) / n
    dlogits = _dlogits(acts["logits"], Y, mistake if mistake in CROSS_ENTROPY else None)
    # second linear layer and tanh
    dh = dlogits @ p["W2"].T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - (acts["hpreact"] if mistake == "tanh_at_input" else h) ** 2) * dh
    # BatchNorm, with Bessel's correction in the variance
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnbias = dhpreact.sum(0, keepdim=True)
    dhprebn = _normalization_backward(dhpreact, bnraw, bnvar_inv, p["bngain"], 0, True,
                                      mistake if mistake in NORMALIZATION else None)
    # first linear layer and the embedding lookup
    dembcat = dhprebn @ p["W1"].T
    dW1 = embcat.T @ (dhpreact if mistake == "dW1_from_dhpreact" else dhprebn)
    db1 = dhprebn.sum(0)
    dC = torch.zeros_like(p["C"])
    rows = dembcat.view(-1, p["C"].shape[1])
    if mistake == "indexed_add":
        dC[X.view(-1)] += rows
    else:
        dC.index_add_(0, X.view(-1), rows)
    return {"C": dC, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2,
            "bngain": dbngain, "bnbias": dbnbias}


def _planted(mistake):
    """The prediction of ``mistake`` for the gradient of ``trial.data["name"]``."""
    def predicts(trial):
        d = trial.data
        if mistake not in d["planted"]:
            d["planted"][mistake] = _backward(d["params"], d["X"], d["Y"], d["acts"], mistake)
        return d["planted"][mistake][d["name"]]
    return predicts


# The table of exercise 4, planted into _backward to recognise a learner's gradient.
MISTAKES = {
    **{slip: replace(CROSS_ENTROPY[slip], predicts=_planted(slip))
       for slip in ("not_mean", "no_onehot", "softmax_dim0")},
    "tanh_at_input": core.Mistake(
        "tanh's derivative is taken at its input hpreact; it is 1 - h**2 with h = "
        "tanh(hpreact), the output: dhpreact = (1 - h**2) * dh", _planted("tanh_at_input")),
    **{slip: core.Mistake(NORMALIZATION[slip].says.format(**_BN_NAMES, dim=0),
                          _planted(slip))
       for slip in ("no_bngain", "no_bessel", "no_mean")},
    "dW1_from_dhpreact": core.Mistake(
        "dW1 is built from dhpreact, the gradient after BatchNorm; W1 makes hprebn, so dW1 = "
        "embcat.T @ dhprebn", _planted("dW1_from_dhpreact")),
    "indexed_add": core.Mistake(
        "dC[Xb] += ... writes a row that occurs several times in the batch only once, "
        "instead of adding every occurrence; use dC.index_add_(0, Xb.view(-1), "
        "dembcat.view(-1, n_embd)), which adds repeats up", _planted("indexed_add")),
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


def _look_at(wrong):
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


def _listed(names):
    """``dW1``, ``dW1 and dC``, ``dW2, db2 and dC``."""
    names = [f"d{name}" for name in names]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _unpack(result, params):
    """``(loss, grads)`` from what the learner's function returned, or a refusal."""
    order = ", ".join(f"d{name}" for name in params)
    contract = f"return loss, [{order}] (one gradient per parameter, in the order of params)"
    if isinstance(result, tuple | list) and all(isinstance(g, torch.Tensor) for g in result) \
            and len(result) == len(params):
        core.refuse(f"forward_backward returned {len(result)} tensors, the gradients alone it "
                    f"seems; {contract}, the loss first")
    if not isinstance(result, tuple | list) or len(result) != 2:
        got = core.kind(result) + (f" of length {len(result)}"
                                   if isinstance(result, tuple | list) else "")
        core.refuse(f"forward_backward returned {got}; {contract}")
    loss, grads = result
    if isinstance(grads, dict):
        core.refuse(f"forward_backward returned the gradients as a dict; the training loop zips "
                    f"them with params.values(), so {contract}: a list, e.g. [grads[name] for "
                    "name in params]")
    if not isinstance(grads, tuple | list) or len(grads) != len(params):
        got = f"{len(grads)} gradients" if isinstance(grads, tuple | list) else core.kind(grads)
        core.refuse(f"forward_backward returned {got} for {len(params)} parameters; {contract}")
    for name, grad in zip(params, grads, strict=True):
        if not isinstance(grad, torch.Tensor):
            core.refuse(f"the gradient in the place of {name} is {core.kind(grad)}, not a "
                        f"tensor; {contract}")
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        loss = loss.item()
    if isinstance(loss, bool) or not isinstance(loss, int | float):
        core.refuse(f"the loss forward_backward returned is {core.kind(loss)}; it must be the "
                    f"batch's mean cross-entropy, one number; {contract}")
    return float(loss), dict(zip(params, grads, strict=True))


def _run_step(forward_backward, params, Xb, Yb, where):
    """The learner's ``(loss, {name: grad})`` at ``params``, refused if the call raised or
    changed the parameters."""
    before = {name: p.detach().clone() for name, p in params.items()}
    batch = core.copies({"Xb": Xb, "Yb": Yb})
    with torch.no_grad():
        result = core.call(forward_backward, params, Xb, Yb,
                           what=f"{where}: your forward_backward(params, Xb, Yb) on a batch of "
                                f"{Xb.shape[0]}")
    core.untouched(f"{where}: your forward_backward", {"Xb": Xb, "Yb": Yb}, batch)
    changed = [name for name, p in params.items() if not torch.equal(p, before[name])]
    if changed:   # an update, even one of rounding size (db1), is applied twice
        core.refuse(f"{where}: your forward_backward changed {', '.join(changed)} in place. It "
                    "must only compute the loss and the gradients: the training loop makes the "
                    "update (p.add_(grad, alpha=-lr)), so an update inside it would be applied "
                    "twice")
    return _unpack(result, params)


def _reference(params, Xb, Yb):
    """The right loss and gradients at ``params`` (float64 autograd), the activations, and
    the scale of each gradient: db1 is a sum that cancels to about zero, so it is judged
    against the size of its terms, dhprebn."""
    params64 = {name: p.detach().double().requires_grad_() for name, p in params.items()}
    with torch.enable_grad():
        loss, acts = forward(params64, Xb, Yb)
        acts["hprebn"].retain_grad()
        loss.backward()
    scales = {"b1": acts["hprebn"].grad.abs().max()}
    acts = {name: a.detach() for name, a in acts.items()}
    return loss.item(), params64, acts, scales


def _loss_message(loss, params64, Xb, Yb, reference):
    """Why the learner's loss differs from the model's, as far as it can be told."""
    expected, yours = core.fmt_pair(reference, loss)
    said = f"the loss is {yours}, the model's forward pass gives {expected}"
    with torch.no_grad():
        hprebn = _hprebn(params64, Xb)
        biased = (hprebn.mean(0, keepdim=True), hprebn.var(0, keepdim=True, correction=0))
        biased_loss = F.cross_entropy(_activations(params64, Xb, biased)["logits"], Yb).item()
    if core.close(loss, torch.tensor(biased_loss, dtype=torch.float32)):
        return (f"{said}: your forward pass divides BatchNorm's variance by n (the biased "
                "variance); this model uses n - 1, Bessel's correction (lecture 07): "
                "hprebn.var(0, keepdim=True)")
    if core.close(loss, torch.tensor(Xb.shape[0] * reference, dtype=torch.float32)):
        return f"{said}: yours is n times larger, the sum over the batch instead of the mean"
    return (f"{said}. Your forward pass computes something different from the model's "
            "(embedding, linear layer, BatchNorm with the n - 1 variance, tanh, linear layer, "
            "mean cross-entropy): compare it with forward() in helpers/tools/ninja.py, step by "
            "step")


def _judge_step(forward_backward, params, Xb, Yb, where):
    """One step judged: ``(grads, wrong, trials)`` with ``wrong`` the parameters whose
    gradient differs from the right one (in BACKWARD_ORDER) and a Trial per parameter; the
    loss is refused at once when it differs."""
    loss, grads = _run_step(forward_backward, params, Xb, Yb, where)
    reference, params64, acts, scales = _reference(params, Xb, Yb)
    if not core.close(loss, torch.tensor(reference, dtype=torch.float32),
                      scale=acts["logits"].abs().max()):
        core.refuse(f"{where}: {_loss_message(loss, params64, Xb, Yb, reference)}")
    data = {"params": params64, "X": Xb, "Y": Yb, "acts": acts, "planted": {}}
    trials = {name: core.Trial(f"d{name}", grads[name].detach(),
                               _at_precision(params64[name].grad, grads[name], params[name]),
                               dict(data, name=name), scales.get(name))
              for name in BACKWARD_ORDER}
    wrong = [name for name in BACKWARD_ORDER if not trials[name].right]
    return grads, wrong, trials


def _explain(wrong, trials, grads, params):
    """The message for gradients that do not all agree: where to look, and what fits."""
    right = [name for name in BACKWARD_ORDER if name not in wrong]
    said = (f"the loss agrees; {_listed(wrong)} differ{'s' if len(wrong) == 1 else ''} from "
            f"the right one{'s' if len(wrong) > 1 else ''}"
            + (f" ({_listed(right)} agree{'s' if len(right) == 1 else ''})" if right else ""))
    # every value right, the order wrong
    placed = {name: [other for other in params if core.agree(grads[name].detach(),
                                                             trials[other].want)]
              for name in wrong}
    if all(placed[name] and name not in placed[name] for name in wrong):
        where = ", ".join(f"{name} holds d{placed[name][0]}" for name in wrong)
        return (f"{said}. They are right but in the wrong places ({where}): return them in "
                f"the order of params, [{', '.join('d' + n for n in params)}]")
    nearest = _nearest(wrong)
    shapes = [f"d{name} has shape {tuple(grads[name].shape)}, {name} "
              f"{tuple(params[name].shape)}" for name in nearest
              if grads[name].shape != params[name].shape]
    message = (f"{said}. Nearest the loss: {' and '.join('d' + name for name in nearest)}"
               + (f" ({'; '.join(shapes)})" if shapes else "")
               + f"; look at {_look_at(set(wrong))}.")
    if not shapes:
        with torch.no_grad():
            fits = core.diagnose([trials[name] for name in nearest], MISTAKES.values())
        if fits:
            return f"{message} It looks like this mistake: {fits}."
    return message


@core.check()
def check_forward_backward(forward_backward, X, Y, *, steps=5, n_hidden=200, batch_size=32,
                           lr=0.1, seed=0, run_steps=300):
    """Exercise 4's check: a learner's ``forward_backward`` against autograd along a short run,
    then the first ``run_steps`` steps of lecture 08's training run, before the long run.

    ``forward_backward(params, Xb, Yb)`` must return ``(loss, grads)``: the batch's mean
    cross-entropy and a list with one gradient per parameter, in the order of ``params``.
    For ``steps`` random batches of ``X``, ``Y`` (seeded by ``seed``) it compares the loss
    and every gradient with a float64 autograd reference at the same point, then updates
    the parameters with the learner's gradients, as training would. On the first
    disagreement it prints ``compare``'s line for every parameter (nearest the loss first)
    and refuses, saying which step of the backward pass to look at, and the likely mistake
    where one of MISTAKES fits. Then :func:`_check_training_start`.
    """
    if not callable(forward_backward):
        core.refuse(f"check_forward_backward needs your function forward_backward; got "
                    f"{core.kind(forward_backward)}")
    _positive_int("steps", steps)
    params = init_params(n_hidden=n_hidden, block_size=X.shape[1])
    gen = torch.Generator().manual_seed(seed)
    for step in range(steps):
        ix = torch.randint(0, X.shape[0], (batch_size,), generator=gen)
        Xb, Yb = X[ix], Y[ix]
        where = f"step {step} of {steps}" + (" (after updates with your gradients)" if step
                                              else "")
        grads, wrong, trials = _judge_step(forward_backward, params, Xb, Yb, where)
        if wrong:
            print(f"{where}: your gradients against autograd's, from the loss backwards")
            for name in BACKWARD_ORDER:
                print(compare(name, grads[name], params[name], reference=trials[name].want,
                              scale=trials[name].scale, n=batch_size, show_exact=False,
                              quiet=True).line)
            core.refuse(f"{where}: {_explain(wrong, trials, grads, params)}")
        with torch.no_grad():
            for name, p in params.items():
                p -= lr * grads[name]
    done = f"the loss and every gradient agree with autograd on {steps} steps"
    if run_steps:
        _check_training_start(forward_backward, X, Y, run_steps, n_hidden, batch_size, lr)
        done += (f", and so do the first {run_steps} steps of the training run, every "
                 "update")
    core.passed("forward_backward", done)


# Lecture 08's training run: its parameters' seed and its batches' seed.
RUN_SEED, BATCH_SEED = 2147483647, 42


def _check_training_start(forward_backward, X, Y, steps, n_hidden, batch_size, lr):
    """The first ``steps`` steps of lecture 08's run (its seeds, batches and learning rate).

    At every step the learner's loss and gradients are compared with the right ones at the
    parameters the learner's own updates reached (so rounding cannot make the two drift
    apart); the first step where the loss or an update differs is refused, naming the
    parameter nearest the loss and, where one fits, the mistake.
    """
    params = init_params(n_hidden=n_hidden, block_size=X.shape[1], seed=RUN_SEED)
    gen = torch.Generator().manual_seed(BATCH_SEED)
    for step in range(steps):
        ix = torch.randint(0, X.shape[0], (batch_size,), generator=gen)
        Xb, Yb = X[ix], Y[ix]
        where = f"step {step} of the training run (section 3's batches, lr = {lr})"
        grads, wrong, trials = _judge_step(forward_backward, params, Xb, Yb, where)
        if wrong:
            name = _nearest(wrong)[0]
            if grads[name].shape != params[name].shape:
                core.refuse(f"{where}: d{name} has shape {tuple(grads[name].shape)}, {name} "
                            f"{tuple(params[name].shape)}")
            off = float((grads[name].double() - trials[name].want.double()).abs().max())
            size = float(trials[name].want.abs().max())
            core.refuse(f"{where}: the update of {name}, -lr * d{name}, differs from the right "
                        f"one by up to {lr * off:.3g} (its largest entry is {lr * size:.3g}); "
                        f"the {step} steps before agreed, so d{name} is right on some batches "
                        f"and parameters but not on these.",
                        _explain(wrong, trials, grads, params))
        with torch.no_grad():
            for name, p in params.items():
                p.add_(grads[name], alpha=-lr)


# ==== lecture 08: the long run, judged with messages ========================================

_AFTER = ("check_forward_backward, before the run, compares every update of its first 300 "
          "steps with the right one: run it and fix what it says first")


@core.check("training run")
def check_run(losses, params):
    """Section 3: the run's losses are numbers and no ``backward()`` reached the parameters."""
    bad = (~torch.isfinite(losses)).nonzero()
    if len(bad):
        step = int(bad[0])
        core.refuse(f"the loss became {float(losses[step])} at step {step:,}: the parameters "
                    "grew without bound, which a wrong gradient (a sign, a missing 1/n) or an "
                    f"update in the wrong direction does; {_AFTER}")
    graded = [name for name, p in params.items() if p.grad is not None]
    if graded:
        core.refuse(f"{', '.join(graded)} ha{'s' if len(graded) == 1 else 've'} a .grad: a "
                    "backward() call reached the parameters, so autograd did the work somewhere "
                    "(in forward_backward?); this run computes every gradient by hand, under "
                    "torch.no_grad()")
    core.passed("training run", f"{len(losses):,} steps, every loss finite, no .grad on the "
                                "parameters")


@core.check("training curve")
def check_curve(losses, decay_step=100_000):
    """Section 4: the loss fell from its start to the original lecture's range, and the
    learning-rate decay at ``decay_step`` lowered it at once."""
    early, late = losses[:1000].mean().item(), losses[-10_000:].mean().item()
    if not early > 2.5:
        core.refuse(f"the mean loss of the first 1,000 steps is {early:.2f}, not above 2.5: a "
                    "fresh network guesses about evenly over 27 characters (-log(1/27) = 3.30), "
                    "so the run did not start from ninja.init_params(...)'s parameters")
    if not 2.07 < late < 2.2:
        said = "above 2.2: the run trained, but less than the original lecture's" if late >= 2.2 \
            else "not above 2.07, lower than batch statistics allow (section 4)"
        if late > early - 0.1:
            said = "hardly lower than at the start: the parameters did not learn"
        core.refuse(f"the mean loss of the last 10,000 steps is {late:.2f}, {said}. A gradient "
                    f"that is slightly wrong still trains, only worse; an update that does not "
                    f"reach the tensors in params (p = p - lr * grad) trains nothing. {_AFTER}")
    drop = (losses[decay_step - 5000:decay_step].mean()
            - losses[decay_step:decay_step + 5000].mean()).item()
    if not drop > 0.02:
        core.refuse(f"the learning-rate decay at step {decay_step:,} lowered the mean loss by "
                    f"{drop:.3f}, not by more than 0.02: is lr 0.01 from step {decay_step:,} on?")
    core.passed("training curve", "above 2.5 at the start, between 2.07 and 2.2 at the end; "
                                  f"the decay at step {decay_step:,} lowers it")


@core.check("split losses")
def check_split_losses(train_loss, val_loss):
    """Section 6: the calibrated model's losses are the original lecture's, to two decimals."""
    for name, loss, target in (("train_loss", train_loss, 2.07), ("val_loss", val_loss, 2.11)):
        if not abs(loss - target) < 0.005:
            core.refuse(f"{name} is {loss:.4f}; the original lecture reached about {target} (to "
                        f"two decimals: from {target - 0.005:.3f} to {target + 0.005:.3f}). A "
                        f"gradient that is slightly wrong still trains, only worse; {_AFTER}")
    if not 0 < val_loss - train_loss < 0.1:
        core.refuse(f"validation minus training loss is {val_loss - train_loss:.3f}, not between "
                    "0 and 0.1: the validation split should be a little harder than the one "
                    "the network trained on, not much harder and not easier")
    core.passed("split losses", f"train {train_loss:.2f}, validation {val_loss:.2f}, as in the "
                                "original lecture")


@core.check("batch statistics")
def check_batch_statistics(own, calibrated, train_loss):
    """Section 6: normalising each batch with its own statistics costs some loss."""
    if not 0.02 < own - calibrated < 0.05:
        core.refuse(f"each batch's own statistics cost {own - calibrated:.3f} of loss, not "
                    "between 0.02 and 0.05: the same 2,000 batches, with bn_stats and without")
    if not abs(calibrated - train_loss) < 0.02:
        core.refuse(f"the 2,000 batches' mean loss with bn_stats is {calibrated:.3f}, "
                    f"{abs(calibrated - train_loss):.3f} from the training loss {train_loss:.3f}: "
                    "they are a sample of the training split, so the two should be within 0.02")
    core.passed("batch statistics", f"they cost {own - calibrated:.2f} of loss")


# ==== lecture 08's practice problems =============================================================

# ---- re-running the learner's cell on other numbers ---------------------------------------------

def _run_cell_again(targets, replaced):
    """``{target: value}``: each of ``targets`` from the statements of the learner's latest cell
    that it needs (``core.cell_statements``), run again on copies of the notebook's tensors
    with ``replaced`` ({name: another value}) put in; a value is None where that cannot be
    done. A cell that changes in place what it reads is refused: one of ``replaced``, or one of
    the notebook's tensors (its copy no longer holds what the notebook does)."""
    again = {}
    for target in targets:
        found = core.cell_statements(target)
        if found is None:
            again[target] = None
            continue
        statements, namespace = found
        nodes = [n for s in statements for n in ast.walk(s) if isinstance(n, ast.Name)]
        bound = {n.id for n in nodes if isinstance(n.ctx, ast.Store)}
        own = {n.id: namespace[n.id] for n in nodes if n.id in namespace
               and n.id not in bound | set(replaced)}   # the notebook's, read as they are
        before, kept = core.copies(replaced), core.copies(own)
        space = core.run_again(statements, core.isolated(namespace, **replaced))
        if space is None:
            again[target] = None
            continue
        core.untouched("your cell", {k: space.get(k) for k in replaced}, before,
                       _text(statements))
        core.untouched("your cell", {k: space.get(k) for k in own}, kept, _text(statements),
                       lasting=True)
        again[target] = space.get(target)
    return again


# ---- exercise A: BatchNorm folded into the first layer ------------------------------------------

def _fold(params, mean, var, slip=None):
    """``(W1_folded, b1_folded)`` in float64, with ``slip`` (a key of FOLDING) planted."""
    p = {name: t.detach().double() for name, t in params.items()}
    mean, var = mean.detach().double(), var.detach().double()
    eps = 0.0 if slip == "no_eps" else BN_EPS
    std = 1.0 if slip == "no_std" else (var + eps) ** (1.0 if slip == "no_sqrt" else 0.5)
    scale = (1.0 if slip == "no_gain" else p["bngain"]) / std
    W1 = p["W1"] * scale
    shift = {"bias_not_scaled": p["b1"] - mean, "no_mean": p["b1"] * scale,
             "mean_added": (p["b1"] + mean) * scale}.get(slip, (p["b1"] - mean) * scale)
    b1 = shift + (0.0 if slip == "no_bnbias" else p["bnbias"])
    return W1, b1.reshape(-1)


def _folded(slip, which):
    def predicts(trial):
        d = trial.data
        return _fold(d["params"], d["mean"], d["var"], slip)[which]
    return predicts


_FOLD_SLIPS = {
    "no_eps": "the scale lacks eps: bngain / sqrt(bn_var + ninja.BN_EPS), as in BatchNorm's "
              "forward pass",
    "no_sqrt": "the scale divides by bn_var + eps, a variance; BatchNorm divides by the "
               "standard deviation, sqrt(bn_var + eps)",
    "no_std": "the scale lacks the division by sqrt(bn_var + eps): BatchNorm divides by "
              "each column's standard deviation before bngain multiplies",
    "no_gain": "the scale lacks bngain: BatchNorm's output is bngain * (z - bn_mean) / "
               "sqrt(bn_var + eps) + bnbias",
    "bias_not_scaled": "(b1 - bn_mean) is not multiplied by the scale: everything that "
                       "passes through BatchNorm is scaled by bngain / sqrt(bn_var + eps), "
                       "b1 and the mean too",
    "no_mean": "bn_mean is not subtracted: b1_folded = (b1 - bn_mean) * scale + bnbias",
    "mean_added": "bn_mean is added where BatchNorm subtracts it: (b1 - bn_mean) * scale",
    "no_bnbias": "bnbias is missing: it is added after the scaling, b1_folded = (b1 - "
                 "bn_mean) * scale + bnbias",
}
FOLDING = {(slip, which): core.Mistake(says, _folded(slip, which))
           for slip, says in _FOLD_SLIPS.items() for which in (0, 1)}


@core.check("folded layer")
def check_folded(W1_folded, b1_folded, params, bn_stats, X, Y):
    """Exercise A: the folded first layer equals BatchNorm with the calibrated statistics
    ``bn_stats`` (judged weight by weight against the exact fold, then by the folded
    network's loss on ``X``, ``Y``, the validation split)."""
    n_hidden = params["W1"].shape[1]
    answers = {"W1_folded": W1_folded, "b1_folded": b1_folded}
    for name, shapes in (("W1_folded", [tuple(params["W1"].shape)]),
                         ("b1_folded", [(n_hidden,), (1, n_hidden)])):
        value = answers[name]
        if not isinstance(value, torch.Tensor) or tuple(value.shape) not in shapes:
            got = f"shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) \
                else core.kind(value)
            core.refuse(f"{name} must be a tensor of shape {shapes[0]}; got {got}")
    mean, var = bn_stats
    # eps hides behind large variances: the cell again, where eps matters (if it reads bn_var);
    # first, as it refuses a cell that changed what it reads in place
    small = var.detach() * 1e-4
    again = _run_cell_again(["W1_folded", "b1_folded"],
                            {"bn_var": small, "bn_stats": (mean.detach().clone(), small)})
    said = _judge_fold(W1_folded, b1_folded.reshape(-1), params, mean, var, "")
    if said:
        core.refuse(*said)
    if all(isinstance(v, torch.Tensor) for v in again.values()) \
            and again["b1_folded"].numel() == n_hidden \
            and again["W1_folded"].shape == W1_folded.shape \
            and not torch.equal(again["W1_folded"], W1_folded):
        said = _judge_fold(again["W1_folded"], again["b1_folded"].reshape(-1), params, mean,
                           small, " with bn_var 10,000 times smaller (where eps matters)")
        if said:
            core.refuse(said[0], "It is right on this run's bn_var only because eps is tiny "
                                 "next to it. " + said[1])
    _, acts = forward(params, X, Y, bn_stats)
    h = torch.tanh(acts["embcat"] @ W1_folded.to(acts["embcat"].dtype)
                   + b1_folded.reshape(-1).to(acts["embcat"].dtype))
    folded_loss = F.cross_entropy(h @ params["W2"] + params["b2"], Y).item()
    core.passed("folded layer", f"W1_folded and b1_folded are BatchNorm folded in; the "
                                f"folded network's loss is the model's: {folded_loss:.2f}")


@torch.no_grad()
def _judge_fold(W1f, b1f, params, mean, var, run):
    """``(diagnosis, where)`` for a wrong fold, or None when both are right."""
    want = _fold(params, mean, var)
    trials = [core.Trial(name, _at_precision(got.detach(), got, params["W1"]),
                         _at_precision(w, got, params["W1"]),
                         {"params": params, "mean": mean, "var": var})
              for name, got, w in (("W1_folded", W1f, want[0]), ("b1_folded", b1f, want[1]))]
    wrong = [t for t in trials if not t.right]
    if not wrong:
        return None
    for t in wrong:
        which = 0 if t.shown == "W1_folded" else 1
        fits = core.diagnose([t], [m for (slip, w), m in FOLDING.items() if w == which])
        if fits:
            first = "W1_folded is right, b1_folded is not" if len(wrong) == 1 and which else \
                t.shown
            return f"{first}{run}: {fits}", _where(t.got, t.want)
    if len(wrong) == 1 and wrong[0].shown == "b1_folded":
        return (f"W1_folded is right, b1_folded is not{run}: x @ W1_folded + b1_folded must "
                "equal bngain * (x @ W1 + b1 - bn_mean) / sqrt(bn_var + eps) + bnbias",
                _where(wrong[0].got, wrong[0].want))
    return (f"W1_folded differs{run}: each column of W1 is scaled by its bngain / "
            "sqrt(bn_var + eps)", _where(trials[0].got, trials[0].want))


# ---- exercise B: how far training moved b1 and W1 -----------------------------------------------

def _number(name, value):
    """``value`` as a float (a one-element tensor counts), or a refusal naming ``name``."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float):
        core.refuse(f"{name} must be one number (a float, or a tensor with one element); got "
                    f"{core.kind(value)}")
    return float(value)


def _change_mistakes(name):
    diff = lambda t: t.data["diff"]   # noqa: E731
    return [core.Mistake("yours is the mean absolute change; take the largest, .abs().max()",
                         lambda t: _f32(diff(t).abs().mean())),
            core.Mistake("your 'initial' values are the trained ones (training changed params "
                         "in place); draw fresh ones with ninja.init_params(...)",
                         lambda t: _f32(0.0)),
            core.Mistake("yours is the largest signed change; take the absolute value first, "
                         ".abs().max()", lambda t: _f32(diff(t).max())),
            core.Mistake("yours is the most negative change; take the absolute value first, "
                         ".abs().max()", lambda t: _f32(diff(t).min())),
            core.Mistake("yours is the largest absolute value of the trained parameter, not of "
                         "its change: subtract the initial values first",
                         lambda t: _f32(t.data["trained"].abs().max()))]


def _f32(value):
    """A number the learner computes from float32 tensors: judged at float32's precision."""
    return torch.as_tensor(float(value), dtype=torch.float32)


@core.check("changes")
def check_changes(b1_change, W1_change, params, seed=2147483647):
    """Exercise B: the largest absolute change of ``b1`` and of ``W1`` since initialisation.
    Where the learner's cell can be run again, it is, with every change negated: the largest
    signed change then differs from the largest absolute one."""
    n_embd = params["C"].shape[1]
    initial = init_params(n_embd=n_embd, n_hidden=params["W1"].shape[1],
                          block_size=params["W1"].shape[0] // n_embd, seed=seed)
    answers = {"b1_change": b1_change, "W1_change": W1_change}
    mirrored = {name: (2 * initial[name].detach() - p.detach()) for name, p in params.items()}
    again = _run_cell_again(["b1_change", "W1_change"], {"params": mirrored})   # refuses a cell
    _judge_changes(answers, params, initial, "")   # that changed params in place, first
    if all(v is not None for v in again.values()):
        _judge_changes(again, mirrored, initial,
                       ": right on this run by luck; your cell, run again with every change "
                       "negated (each parameter moved the other way from its initial value)")
    b1, W1 = _number("b1_change", b1_change), _number("W1_change", W1_change)
    core.passed("changes", "both largest absolute changes; b1 moved "
                           f"{'more' if b1 * 1000 < W1 else 'less'} than 1,000 times less than W1")


def _judge_changes(answers, params, initial, run):
    for name in ("W1_change", "b1_change"):
        answer = _number(name, answers[name])
        diff = (params[name[:2]] - initial[name[:2]]).detach()
        trial = core.Trial(name, torch.tensor(answer, dtype=torch.float64),
                           _f32(diff.abs().max()),
                           {"diff": diff.double(), "trained": params[name[:2]].detach().double()},
                           scale=params[name[:2]].detach().abs().max())
        if trial.right:
            continue
        expected, yours = core.fmt_pair(float(trial.want), answer)
        said = f"{name}{run} is {yours}; the largest absolute change is {expected}"
        fits = core.diagnose([trial], _change_mistakes(name))
        core.refuse(f"{said}: {fits}" if fits else said)


# ---- exercise C: the first letters ----------------------------------------------------------

def _tv(model, data):
    return 0.5 * (model - data).abs().sum()


_FIRST_LETTERS = [
    core.Mistake("yours is the whole sum of absolute differences; the distance is half of it",
                 lambda t: _f32(2 * _tv(t.data["model"], t.data["data"]))),
    core.Mistake("your data distribution counts every target in Ytr; the first letters are "
                 "the targets whose context is [0, 0, 0]: Ytr[(Xtr == 0).all(1)]",
                 lambda t: _f32(_tv(t.data["model"], t.data["all_targets"]))),
    core.Mistake("the model's softmax is taken over dimension 0 of its (1, 27) logits, so "
                 "every 'probability' is 1; the 27 characters are along dimension 1: "
                 "softmax(..., dim=1)",
                 lambda t: _f32(_tv(torch.ones_like(t.data["model"]), t.data["data"]))),
    core.Mistake("the data side is counts, not shares: divide the bincount by the number of "
                 "first letters", lambda t: _f32(_tv(t.data["model"], t.data["counts"]))),
    core.Mistake("the model side is logits, not probabilities: the softmax over dimension 1 "
                 "turns them into a distribution",
                 lambda t: _f32(_tv(t.data["logits"], t.data["data"]))),
]


@core.check("first letters")
def check_first_letters(tv_distance, params, bn_stats, X, Y):
    """Exercise C: the total variation distance between the model's first-letter
    distribution (context ``...``) and the first letters of the names in ``X``, ``Y``."""
    answer = _number("tv_distance", tv_distance)
    start = torch.zeros((1, X.shape[1]), dtype=torch.long)
    with torch.no_grad():
        logits = _activations(params, start, bn_stats)["logits"][0].double()
    model = F.softmax(logits, dim=0)
    firsts = Y[(X == 0).all(1)]
    counts = torch.bincount(firsts, minlength=VOCAB_SIZE).double()
    data = {"model": model, "data": counts / firsts.numel(), "counts": counts, "logits": logits,
            "all_targets": torch.bincount(Y, minlength=VOCAB_SIZE).double() / Y.numel()}
    trial = core.Trial("tv_distance", torch.tensor(answer, dtype=torch.float64),
                       _f32(_tv(model, data["data"])), data, scale=2.0)
    if trial.right:
        core.passed("first letters", "the total variation distance; below 0.05: "
                                     f"{answer < 0.05}")
        return
    expected, yours = core.fmt_pair(float(trial.want), answer)
    said = f"tv_distance is {yours}, the check measures {expected}"
    fits = core.diagnose([trial], _FIRST_LETTERS)
    core.refuse(f"{said}: {fits}" if fits else
                f"{said} (the model's softmax for the context [0, 0, 0] with bn_stats, against "
                "the share of each letter among the training targets, Ytr, whose context in Xtr "
                "is [0, 0, 0])")
