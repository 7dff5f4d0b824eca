"""A gradient as the sum of its chain-rule paths, and which path an answer got wrong.

When a tensor feeds several others, its gradient is the sum of one contribution per path
from it to the loss (the multivariable chain rule). :func:`contributions` splits PyTorch's
gradient that way, naming each path by the named tensors it passes through; :func:`diagnose`
fits a learner's answer as a combination ``sum(c_p * path_p)`` of them and, when that fits
every entry, says which paths are missing, have the wrong sign or carry an extra factor:

>>> diagnose(answer, contributions(loss, hprebn, acts), tol, n=32)
'the path through bnmeani is missing'

It knows nothing about any exercise: the paths come from the autograd graph.
"""

import contextlib
import itertools

import torch

__all__ = ["contributions", "diagnose", "fit", "grads_kept", "local_derivatives"]

MAX_PATHS = 12


def _is_node_of(next_node, tensor):
    """Whether the autograd node ``next_node`` stands for ``tensor`` (its grad_fn, or the
    AccumulateGrad node of a leaf)."""
    if next_node is None:
        return False
    if tensor.grad_fn is not None:
        return next_node is tensor.grad_fn
    return getattr(next_node, "variable", None) is tensor


def _direct_nodes(output, tensor, stops):
    """The autograd nodes between ``output`` and ``tensor`` that take ``tensor`` as an input,
    reached from ``output`` without passing through another named tensor (``stops``)."""
    found, seen, todo = [], set(), [output.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        nexts = [n for n, _ in getattr(node, "next_functions", ())]
        if any(_is_node_of(n, tensor) for n in nexts):
            found.append(node)
        todo += [n for n in nexts if n is not None and id(n) not in stops
                 and not _is_node_of(n, tensor)]
    return found


def _consumers(tensor, named, loss):
    """``[(name, consumer, nodes)]``: the named tensors (and the loss) computed from
    ``tensor`` without another named tensor in between, with the nodes that take it."""
    stops = {id(t.grad_fn) for t in named.values() if t.grad_fn is not None}
    found = []
    candidates = [(name, t) for name, t in named.items() if t is not loss] + [("loss", loss)]
    for name, t in candidates:
        if t is tensor or t.grad_fn is None:
            continue
        nodes = _direct_nodes(t, tensor, stops - {id(t.grad_fn)})
        if nodes:
            found.append((name, t, nodes))
    return found


def _vjp(output, tensor, upstream, nodes):
    """``upstream`` at ``output`` carried back to ``tensor`` through ``nodes`` only (those of
    :func:`_direct_nodes`: not through another named tensor)."""
    captured, handles = [], []
    for node in nodes:
        slots = [j for j, (n, _) in enumerate(node.next_functions) if _is_node_of(n, tensor)]
        handles.append(node.register_hook(
            lambda grad_inputs, _, slots=slots: captured.extend(grad_inputs[j] for j in slots)))
    try:
        torch.autograd.grad(output, tensor, upstream, retain_graph=True, allow_unused=True)
    finally:
        for handle in handles:
            handle.remove()
    grads = [g for g in captured if g is not None]
    return sum(grads[1:], grads[0]) if grads else torch.zeros_like(tensor)


def contributions(loss, tensor, named, depth=3):
    """``[(path, gradient)]``: ``tensor``'s gradient split by the paths it takes to ``loss``.

    ``named``: {name: tensor} of the forward pass's intermediate tensors (the loss's graph
    must still be there). Each path is the tuple of names it passes through, nearest
    ``tensor`` first; the paths are split at forks up to ``depth`` names deep (at most
    :data:`MAX_PATHS` paths) and their gradients add up to ``tensor``'s gradient.
    """
    def split(current, level):
        result = []
        for name, consumer, nodes in _consumers(current, named, loss):
            if name == "loss":
                result.append(((), _vjp(loss, current, torch.ones_like(loss), nodes)))
                continue
            deeper = split(consumer, level + 1) if level < depth else []
            if len(deeper) <= 1 or len(result) + len(deeper) > MAX_PATHS:
                (total,) = torch.autograd.grad(loss, consumer, retain_graph=True)
                result.append(((name,), _vjp(consumer, current, total, nodes)))
            else:
                for path, grad in deeper:
                    result.append(((name,) + path, _vjp(consumer, current, grad, nodes)))
        return result

    with grads_kept([tensor, loss, *named.values()]):
        return split(tensor, 1)


@contextlib.contextmanager
def grads_kept(tensors):
    """torch.autograd.grad adds into the .grad of every tensor that retains it: put them
    back as they were."""
    kept = [(t, None if t.grad is None else t.grad.clone())
            for t in tensors if t.is_leaf or t.retains_grad]
    try:
        yield
    finally:
        for t, grad in kept:
            t.grad = grad


NAMED = ((1.0, "right"), (0.0, "missing"), (-1.0, "the wrong sign"), (2.0, "twice"),
         (0.5, "half"))


def _factor_names(n, bessel=True, numbers=()):
    """[(coefficient, what it says)]: the coefficients a part may wrongly carry. ``numbers``:
    more named factors, [(value, text)] (e.g. a temperature ``T``); ``bessel``: whether n
    versus n-1 may be Bessel's correction (a variance is involved)."""
    names = list(NAMED)
    if n:
        why = " (Bessel's correction)" if bessel else ""
        names += [(n, f"an extra factor n = {n}"), (1 / n, f"an extra 1/n = 1/{n}"),
                  (n / (n - 1), f"a factor n/(n-1) = {n}/{n - 1}{why}"),
                  ((n - 1) / n, f"a factor (n-1)/n = {n - 1}/{n}{why}")]
    names += [(v, f"an extra factor {text}") for v, text in numbers]
    names += [(-v, f"the wrong sign and {text}") for v, text in names[5:]]
    return names


def fit(answer, parts, tol, n=None, bessel=True, numbers=(), least=2):
    """The fewest wrong parts that explain ``answer``: ``[(k, coefficient, what it says)]``
    for the parts ``k`` (indices into ``parts``, a list of tensors that add up to the right
    answer) that carry a nameable coefficient other than 1 (0, -1, 2, 1/2, n, 1/n, n/(n-1),
    ..., ``numbers``), at most two of them, the others right; ``[]`` for a right answer,
    None when no such combination fits every entry within ``tol``. A part below ``tol``
    everywhere cannot be told apart: it is left out; with fewer than ``least`` parts left,
    None (one part alone is a constant factor, which the caller names)."""
    m = answer.detach().to(torch.float64).reshape(-1)
    tol = torch.as_tensor(tol, dtype=torch.float64).expand_as(answer).reshape(-1)

    def fits(fitted):
        return bool(((fitted - m).abs() <= tol).all())

    flat = [g.detach().to(torch.float64).reshape(-1) for g in parts]
    if any(g.numel() != m.numel() for g in flat):
        return None
    right = sum(flat, torch.zeros_like(m))
    if fits(right):
        return []
    kept = [k for k, g in enumerate(flat) if bool((g.abs() > tol).any())]
    if len(kept) < least:
        return None
    names = _factor_names(n, bessel, numbers)[1:]
    for count in (1, 2):
        for which in itertools.combinations(kept, count):
            for values in itertools.product(names, repeat=count):
                fitted = right + sum((v - 1) * flat[k]
                                     for k, (v, _) in zip(which, values, strict=True))
                if fits(fitted):
                    return [(k, v, text) for k, (v, text) in zip(which, values, strict=True)]
    return None


def local_derivatives(loss, tensor, named):
    """``[(name, local)]``: for each tensor computed from ``tensor`` (as in
    :func:`contributions`), what reaches ``tensor`` from it when the gradient arriving there
    is taken as all ones: the local derivative alone, without the chain rule's upstream."""
    found = []
    with grads_kept([tensor, loss, *named.values()]):
        for name, consumer, nodes in _consumers(tensor, named, loss):
            found.append((name, _vjp(consumer, tensor, torch.ones_like(consumer), nodes)))
    return found


def diagnose(answer, paths, tol, n=None, local=(), bessel=True, numbers=()):
    """Which paths ``answer`` got wrong, in words, or ``""`` when no combination of the
    paths fits every entry of ``answer`` within ``tol`` (a number or a tensor of its shape)
    with all coefficients 1 but one or two nameable ones (0, -1, 2, 1/2, n, 1/n, n/(n-1),
    ...). A path whose gradient is below ``tol`` everywhere cannot be told apart: it is left
    out. The fewest wrong paths win. ``local`` (from :func:`local_derivatives`): also try
    each first step's local derivative without the gradient arriving there. ``bessel``:
    whether a factor n/(n-1) may be called Bessel's correction (a variance is involved);
    ``numbers``: more nameable factors, [(value, text)]."""
    m = answer.detach().to(torch.float64).reshape(-1)
    tol = torch.as_tensor(tol, dtype=torch.float64).expand_as(answer).reshape(-1)

    def fits(fitted):
        return bool(((fitted - m).abs() <= tol).all())

    flat = [(path, g.detach().to(torch.float64).reshape(-1)) for path, g in paths
            if g.numel() == m.numel()]
    right = sum((g for _, g in flat), torch.zeros_like(m))
    for name, alone in local:   # the upstream gradient left out of one first step
        alone = alone.detach().to(torch.float64).reshape(-1)
        through = sum((g for path, g in flat if path[:1] == (name,)), torch.zeros_like(m))
        if alone.numel() == m.numel() and not fits(through) and fits(right - through + alone):
            return (f"the local derivative through {name} is there, but not multiplied by the "
                    f"gradient that arrives at {name} (d{name}): the chain rule multiplies them")
    found = fit(answer, [g for _, g in flat], tol.reshape(answer.shape), n, bessel, numbers)
    if not found:
        return ""
    kept = [k for k, (_, g) in enumerate(flat) if bool((g.abs() > tol).any())]
    labels = dict(zip(kept, _shortest_names([flat[k][0] for k in kept]), strict=True))
    return "; ".join(_says(labels[k], text) for k, _, text in found)


def _shortest_names(paths):
    """Each path cut to the shortest start that no other path shares."""
    names = []
    for path in paths:
        others = [p for p in paths if p is not path]
        k = next((k for k in range(1, len(path) + 1)
                  if all(p[:k] != path[:k] for p in others)), len(path))
        names.append(path[:k])
    return names


def _says(path, text):
    where = " → ".join(path) if path else "the loss directly"
    if text in ("missing", "twice", "half"):
        return f"the path through {where} is {text}"
    return f"the path through {where} has {text}"
