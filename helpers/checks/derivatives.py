"""Checks for the derivatives the learner works out: lecture 01's slopes, partial derivatives,
step errors and gradient exercise, and lecture 02's backpropagation by hand.

Every check runs on :mod:`helpers.checks.core`: the learner's functions are called through
``core.call`` (their own exception is refused with the input that raised it), numbers are
compared with ``core.close``/``core.agree`` (a numerical estimate with the scale of what it is
computed from), and a mistake is named only through ``core.diagnose``, when its prediction is
the single fit; two that fit are both named, more and the message says only what differs.

The likely mistakes are not listed per exercise: the table below derives them from the
structure of the answer.

1. A gradient by hand is one step of the chain rule in an expression graph: a value ``v``
   feeds an operation whose output ``u`` has received a gradient, and ``v``'s gradient is the
   local derivative times that gradient (:class:`Step`). Its mistakes are that step done
   wrong (:data:`HAND_MISTAKES`): a factor of the chain left out, a value or another node's
   gradient where the incoming one belongs, the local derivative of ``u``'s operation (or of a
   tanh or σ further up) taken at the wrong place, without a factor or twice. The short
   exercises build their own little graph (:class:`_Node`) and go through the same table,
   with + and · swapped for a whole answer.
2. A derivative written as a formula has one candidate per term and per slip of the power
   or chain rule (:data:`F_TERMS`, :data:`Q_TERMS`): the sign, the exponent not lowered, the
   power not brought down, the inner factor, the term left out or not differentiated.
3. The difference quotients have one candidate per way of nudging wrong
   (:data:`QUOTIENT_MISTAKES`), tried on every random quadratic.

Accidents of the lectures' inputs (a + b = 1, x2 = 0, 1 - o² = 1/2) make some mistakes give
the same number; then both are named, or none, never one that was not made.
"""

import ast
import itertools
import math
import numbers
import re
from dataclasses import dataclass, field

import numpy as np

from helpers.checks import core
from helpers.checks.compare import numerical_grad
from helpers.tools.engine import topological_order

__all__ = ["f_abc", "check_grad_f", "check_difference_quotients", "check_by_nudging",
           "check_flat_points", "check_partials_e", "check_step_errors",
           "check_prediction_c", "check_q_gradient", "check_sigmoid_w1"]


# === the arc's table: each likely mistake, derived from the structure of the answer ========
#
# 1. A gradient by hand: one step of the chain rule, v -> u (see `Step`). Each entry gives,
#    for a step, the mistakes it can make there: (what it says, the number it predicts).

def _seed_slips(s):
    """At the output itself: the seed."""
    yield ("0 is where every grad starts; the seed is how much the output moves per unit "
           "when the output itself is nudged", 0.0)
    yield (f"{s.V}'s value ({core.fmt(s.v.data, 4)}) where its gradient belongs: the seed is "
           f"how much {s.V} moves per unit when {s.V} itself is nudged", s.v.data)


def _unread_grad(s):
    """A `.grad` read inside the cell, before the check stored it: still 0."""
    yield ("0, as if the gradient from above were 0: a .grad is filled in only by the check, "
           "after your cell has run; inside your cell use your own names for the gradients "
           "found there", 0.0)


def _chain_cut(s):
    """One factor of the chain rule left out."""
    shown = core.fmt(s.local, 4)
    local = f"{s.local_name} ({shown})" if s.local_name != shown else shown
    yield (f"the local derivative {_d(s.u, s.v)} = {local} alone: multiply it by the gradient "
           f"that arrived at {s.U}, {_d(s.root, s.u)} = {core.fmt(s.up, 4)}", s.local)
    if s.u._op == "*":
        other = _label(s.others[0]) if s.others else s.V
        yield (f"the gradient passed on unchanged, as a + would: a product multiplies the "
               f"gradient that arrived at {s.U} ({core.fmt(s.up, 4)}) by the other input's "
               f"data, {other} ({core.fmt(s.local, 4)})", s.up)
    else:
        yield (f"the gradient that arrived at {s.U} ({core.fmt(s.up, 4)}) alone: times the "
               f"local derivative ∂{s.U}/∂{s.V} = {s.local_name} ({core.fmt(s.local, 4)})",
               s.up)
    if s.u._op == "+" and s.others and s.others[0].data:   # (when 0, the one below says it)
        yield (f"the other input's data ({_label(s.others[0])}) alone, a product's local "
               f"derivative: a + has local derivative 1, times the gradient that arrived at "
               f"{s.U}", s.others[0].data)


def _op_slips(u, k):
    """(what it says, the local derivative ∂u/∂k worked out wrong) for u's operation."""
    o, others = u.data, [c for c in u._prev if c is not k]
    if u._op == "*" and others:
        other = others[0]
        yield (f"its own data: a product gives each input the *other* input's data "
               f"({_label(other)}), times the gradient that arrived at {_label(u)}", k.data)
        for part in other._prev:   # one piece of the other factor where the whole belongs
            yield (f"{_label(part)} ({core.fmt(part.data, 4)}) where the whole other factor "
                   f"{_label(other)} ({core.fmt(other.data, 4)}) belongs", part.data)
    elif u._op == "+" and others:
        yield ("multiplied by the other input's data, as a product would: a + passes the "
               "gradient on unchanged", others[0].data)
        if k.data:   # (when 0, "its value where its gradient belongs" says it)
            yield ("multiplied by its own data: a + passes the gradient on unchanged", k.data)
        yield (f"the gradient split between the {len(u._prev)} inputs: a + passes the whole "
               f"gradient that arrived at {_label(u)} to each input", 1 / len(u._prev))
    elif u._op == "tanh":
        n = k.data
        yield (f"1 - n² with n the input ({core.fmt(n, 4)}): tanh's slope is 1 - o², with "
               "o = tanh(n) the output", 1 - n * n)
        yield "1 - o: tanh's slope is 1 - o², the output squared", 1 - o
        yield "o·(1 - o), the sigmoid's slope: tanh's is 1 - o²", o * (1 - o)
        yield ("1 - tanh(o)², tanh applied again to its own output: o is tanh(n) already, "
               "so the slope is 1 - o²", 1 - math.tanh(o) ** 2)
        yield (f"tanh's local derivative 1 - o² ({core.fmt(1 - o * o, 4)}) applied twice: "
               "once is enough", (1 - o * o) ** 2)
        for part in k._prev:   # the slope at a part of n
            yield (f"tanh's slope at {_label(part)}, not at n = {_expr(k)}",
                   1 - math.tanh(part.data) ** 2)
        yield from _bracketed("1 - o**2", "tanh's slope", o=o)
    elif u._op == "sigmoid":
        yield (f"tanh's slope 1 - o² ({core.fmt(1 - o * o, 4)}) where σ's is asked: "
               f"σ'(n) = σ(n)·(1 - σ(n)) ({core.fmt(o * (1 - o), 4)})", 1 - o * o)
        yield "σ(n) itself where its slope σ'(n) belongs", o
        yield ("1 - σ(n) alone, e^-n/(1 + e^-n): σ'(n) = e^-n/(1 + e^-n)² = σ(n)·(1 - σ(n))",
               1 - o)
        yield ("e^-n without the denominator: σ'(n) = e^-n / (1 + e^-n)²", math.exp(-k.data))
        so = 1 / (1 + math.exp(-o))
        yield ("σ taken again at its own output o: σ'(n) = σ(n)·(1 - σ(n)) is taken at n, "
               "and σ(n) is o", so * (1 - so))
        yield (f"σ's local derivative σ'(n) ({core.fmt(o * (1 - o), 4)}) applied twice: once "
               "is enough", (o * (1 - o)) ** 2)
        for part in k._prev:   # the slope at a part of n
            sp = 1 / (1 + math.exp(-part.data))
            yield f"σ's slope at {_label(part)}, not at n = {_expr(k)}", sp * (1 - sp)
        yield from _bracketed("o * (1 - o)", "σ's slope", o=o)
        for slip in core.rebracketed("1 / (1 + math.exp(-n))"):   # σ itself, then its slope
            sig = formula_value(slip, n=k.data)
            if sig is not None:
                yield (f"σ(n) computed as `{slip}`, which Python reads differently from "
                       "`1 / (1 + math.exp(-n))`: parentheses", sig * (1 - sig))


def formula_value(text, **env):
    """A formula's value (Python text, with math and float) on the variables ``env``, or None
    where it cannot be computed (a complex power of a negative base included). In a
    mistake's prediction the None then raises a TypeError: core.diagnose reads that as a
    mistake that cannot happen on these inputs."""
    try:
        value = eval(compile(text, "<formula>", "eval"),  # noqa: S307 (the checks' own text)
                     {"math": math, "float": float}, env)
    except (ArithmeticError, ValueError):
        return None
    return None if isinstance(value, complex) else value


def _bracketed(text, what, **env):
    """(what it says, value) for each precedence slip of ``text`` (:func:`core.rebracketed`)."""
    for slip in core.rebracketed(text):
        value = formula_value(slip, **env)
        if value is not None:
            yield (f"`{slip}` for {what} `{text}`: Python reads it differently (it does ** "
                   "before * and /, and those before + and -)", value)


def _local_slips(s):
    """A local derivative worked out wrong: at this step's operation, or at a tanh or σ
    further up (the gradient that arrived is then wrong in the same way)."""
    below = 1.0   # the product of the local derivatives between v and the operation
    for k, u in s.path:
        if u is s.u or u._op in {"tanh", "sigmoid"}:
            for says, wrong in _op_slips(u, k):
                if u is not s.u:
                    says = says.replace("once is enough", "it is already in the gradient that "
                                                          f"arrived at {s.U}")
                yield says, s.grads[id(u)] * wrong * below
        below *= _local(u, k)


def _own_value(s):
    """A value where a gradient belongs: ``v``'s own, or the output's."""
    if not (s.u._op == "*" and s.up == 1.0):   # there "its own data" says it
        yield (f"{s.V}'s value ({core.fmt(s.v.data, 4)}) where its gradient belongs: a "
               f"gradient is how much the output moves when {s.V} is nudged, whatever "
               f"{s.V}'s value", s.v.data)
    if s.u is s.root:   # for a product, the other input's gradient where the seed belongs
        also = (f", which is also {_label(s.others[0])} times {_d(s.u, s.others[0])}, the "
                "other input's gradient where the seed belongs"
                if s.u._op == "*" and s.others else "")
        yield (f"{s.U}'s value itself ({core.fmt(s.u.data, 4)}){also}: ∂{s.U}/∂{s.V} is "
               f"{s.local_name} ({core.fmt(s.local, 4)})", s.u.data)


def _wrong_node(s):
    """The right local derivative times another node's value or gradient, where the gradient
    that arrived at u belongs."""
    yield (f"the value of {s.U} ({core.fmt(s.u.data, 4)}) where its gradient "
           f"({core.fmt(s.up, 4)}) belongs", s.local * s.u.data)
    if s.u is not s.root:
        if s.u._op == "*" and s.others:   # the other input's gradient where u's belongs
            sib = s.others[0]
            g = s.grads[id(sib)]
            yield (f"the gradient of {_label(sib)} ({core.fmt(g, 4)}), the other input of "
                   f"{s.U}, where the one that arrived at {s.U} ({core.fmt(s.up, 4)}) "
                   f"belongs; that is also the value of {s.U} ({core.fmt(s.u.data, 4)}) where "
                   f"the local derivative {s.local_name} belongs", s.local * g)
        if s.v is not s.root:
            yield (f"the output {_label(s.root)}'s value ({core.fmt(s.root.data, 4)}) where a "
                   "gradient belongs", s.root.data)
    on_path = {id(n) for _, n in s.path} | {id(s.v)}
    for m in s.above:   # a node further up: the steps between skipped
        if m is not s.root:   # skipping to the seed is the local derivative alone
            g = s.grads[id(m)]
            yield (f"the gradient of {_label(m)} ({core.fmt(g, 4)}) where the one that "
                   f"arrived at {s.U} ({core.fmt(s.up, 4)}) belongs: the step from "
                   f"{_label(m)} down to {s.U} skipped", s.local * g)
        for branch in m._prev:   # a node on another branch
            if id(branch) not in on_path:
                g = s.grads[id(branch)]
                yield (f"the gradient of {_label(branch)} ({core.fmt(g, 4)}) where the one "
                       f"that arrived at {s.U} ({core.fmt(s.up, 4)}) belongs: "
                       f"{_label(branch)} is on another branch", s.local * g)


def _twice(s):
    """A factor of the chain rule multiplied in a second time: a product's local derivative,
    at this step or further up (where it is already in the gradient that arrived)."""
    for k, u in s.path:
        others = [c for c in u._prev if c is not k]
        if u._op == "*" and others:
            loc = others[0].data
            where = "once is enough" if u is s.u else \
                f"it is already in the gradient that arrived at {s.U}"
            yield (f"the factor {_label(others[0])} ({core.fmt(loc, 4)}) of the step through "
                   f"{_label(u)} multiplied in twice: {where}", s.want * loc)


def _added(s):
    """The chain rule's product written as a sum."""
    yield (f"the local derivative {_d(s.u, s.v)} = {s.local_name} ({core.fmt(s.local, 4)}) "
           f"ADDED to the gradient that arrived at {s.U} ({core.fmt(s.up, 4)}): the chain rule "
           "multiplies them", s.local + s.up)


def _any_node(s):
    """Another node's gradient, or another node's value, where this one's gradient belongs
    (the value of the other factor of a product, or of a part of it, is said above)."""
    parts = {id(p) for c in s.others for p in (c, *c._prev)} if s.u._op == "*" else set()
    said = {id(n) for m in s.above for n in (m, *m._prev)} if s.u._op == "+" else set()
    for m in _nodes(s.root):   # (through a +, the gradient of a node above or beside: above)
        if m is s.v or m is s.root:
            continue
        if m is not s.u and id(m) not in said:
            yield (f"another node's gradient, {_d(s.root, m)} ({core.fmt(s.grads[id(m)], 4)}), "
                   f"where {_d(s.root, s.v)} belongs", s.grads[id(m)])
        if id(m) not in parts:
            yield (f"another node's value, {_label(m)} ({core.fmt(m.data, 4)}), where "
                   f"{_d(s.root, s.v)} belongs", m.data)


def _sign(s):
    """The right number with the wrong sign."""
    yield "the sign", -s.want


HAND_MISTAKES = [_unread_grad, _chain_cut, _local_slips, _own_value, _wrong_node, _twice,
                 _added, _any_node, _sign]
# lecture 01's partial derivatives come before any gradient "arrives" at a node
PARTIAL_MISTAKES = [_chain_cut, _local_slips, _own_value, _sign]

# 2. A derivative written as a formula, term by term: each slip of the power and chain rules
#    in one term. lecture 01's f(a, b, c) = -a³ + sin(3b) - 1/c + b^2.5 - a^0.5:
#    (input, the term, its derivative, kind, coefficient, power or inner factor)
F_TERMS = [(0, "-a³", "-3a²", "power", -1.0, 3.0),
           (1, "sin(3b)", "3·cos(3b)", "sin", 1.0, 3.0),
           (2, "-1/c = -c⁻¹", "-(-1)·c⁻² = +1/c²", "power", -1.0, -1.0),
           (1, "b^2.5", "2.5·b^1.5", "power", 1.0, 2.5),
           (0, "-a^0.5", "-0.5·a^-0.5", "power", -1.0, 0.5)]
VARS = "abc"
# ... and each term's derivative as Python text, as a learner may write it: its precedence
# slips and a variable written for another are derived from it (core.rebracketed, renamed)
F_TEXT = ["-3 * a**2", "3 * math.cos(3 * b)", "1 / c**2", "5 / 2 * b**(3 / 2)",
          "-1 / 2 * a**(-1 / 2)"]


def _text_slips(text):
    """(what it says, the term's derivative as a function of the point (a, b, c)) for each
    precedence slip and each variable written for another in ``text``."""
    def at(slip):
        return lambda p: formula_value(slip, **dict(zip(VARS, p, strict=True)))
    for slip in core.rebracketed(text):
        yield (f"`{slip}` where `{text}` belongs: Python reads it differently (it does ** "
               "before * and /, and those before + and -)", at(slip))
    for was, name, slip in core.renamed(text, VARS):
        yield f"{name} where {was} belongs: `{slip}`, not `{text}`", at(slip)


def _term_slips(term):
    """(what it says, the term's derivative as a function of x, done wrong) for one term."""
    i, shown, right, kind, k, n = term
    var = VARS[i]
    if kind == "power":
        yield f"the sign: {shown} has derivative {right}", lambda x: -k * n * x ** (n - 1)
        yield (f"the exponent not lowered in {shown}: the power rule gives {right}, not "
               f"{n:g}·{var}^{n:g}"), lambda x: k * n * x ** n
        if abs(n) != 1:   # for 1/c the factor -1 is the sign, above
            yield (f"the power not brought down in {shown}: its derivative is {right}, with "
                   f"the factor {n:g}"), lambda x: k * x ** (n - 1)
    else:
        yield (f"the factor {n:g} from inside {shown} is missing: d/db {shown} = {right}",
               lambda x: k * math.cos(n * x))
        yield (f"the sign of the sine's derivative: d/db {shown} = +{right}",
               lambda x: -k * n * math.cos(n * x))
        yield (f"cos(b) where cos({n:g}b) belongs: the inside stays inside, {right}",
               lambda x: k * n * math.cos(x))
        yield (f"sin where cos belongs: d/db {shown} = {right}",
               lambda x: k * n * math.sin(n * x))
    yield f"the term {shown} is left out (its derivative is {right})", lambda x: 0.0
    yield (f"the term {shown} itself, not its derivative {right}",
           lambda x: k * x ** n if kind == "power" else k * math.sin(n * x))


def _term_right(term, x):
    _, _, _, kind, k, n = term
    return k * n * x ** (n - 1) if kind == "power" else k * n * math.cos(n * x)


# q(x) = x³ - 6x² + 9x + 1, term by term (coefficient, power), and each slip of the power
# rule in one term: (what it says, the term's derivative done wrong as (coefficient, power))
Q_TERMS = [(1.0, 3, "x³"), (-6.0, 2, "-6x²"), (9.0, 1, "9x"), (1.0, 0, "+1")]


def _power_slips(k, n, shown):
    if n == 0:
        yield f"the constant {shown} kept: a constant has slope 0", (k, 0)
        return
    yield (f"the exponent not lowered in {shown}: the power rule gives "
           f"{_poly(*[k * n] + [0] * (n - 1))}, not {_poly(*[k * n] + [0] * n)}", (k * n, n))
    if n >= 2:
        yield f"the power {n} not brought down in {shown}", (k, n - 1)
    yield f"the term {shown} left out of the derivative", (0.0, 0)


def _q_variants():
    """(what went wrong, q' with that slip, highest power first)."""
    for j, (k, n, shown) in enumerate(Q_TERMS):
        for says, (ck, cn) in _power_slips(k, n, shown):
            coef = [0.0] * 4   # by power 0..3
            for i, (k2, n2, _) in enumerate(Q_TERMS):
                if i != j and n2:
                    coef[n2 - 1] += k2 * n2
            coef[cn] += ck
            while len(coef) > 1 and coef[-1] == 0:
                coef.pop()
            yield says, coef[::-1]


# 3. The difference quotients: each way of nudging wrong, as the estimate it gives.
#    (what it says, for which function, the estimates it predicts from (fn, point, h))


def _moved(point, i, step):
    p = list(point)
    p[i] += step
    return p


def _set(point, i, value):
    p = list(point)
    p[i] = value
    return p


def _forward(fn, p, h):
    return [(fn(*_moved(p, i, h)) - fn(*p)) / h for i in range(len(p))]


def _central(fn, p, h):
    return [(fn(*_moved(p, i, h)) - fn(*_moved(p, i, -h))) / (2 * h) for i in range(len(p))]


def _piled(p, i, step):
    """The point with inputs 0..i all moved by ``step``: a copy made once, never reset."""
    return [v + step if j <= i else v for j, v in enumerate(p)]


QUOTIENT_MISTAKES = [
    ("this is the central difference", "forward_grad", _central),
    ("this is the forward difference", "central_grad", _forward),
    ("this is the backward difference, (f(x) - f(x - h)) / h; step forward, to x + h",
     "forward_grad", lambda fn, p, h: [(fn(*p) - fn(*_moved(p, i, -h))) / h
                                       for i in range(len(p))]),
    ("divided by 2h: the forward difference spans one step, h", "forward_grad",
     lambda fn, p, h: [g / 2 for g in _forward(fn, p, h)]),
    ("twice the slope; divide by 2h, the whole width", "central_grad",
     lambda fn, p, h: [2 * g for g in _central(fn, p, h)]),
    ("(f(x + h) - f(x)) / 2h, half the forward difference: the central one steps both ways, "
     "(f(x + h) - f(x - h)) / 2h", "central_grad",
     lambda fn, p, h: [g / 2 for g in _forward(fn, p, h)]),
    ("the rise alone: divide it by the run, h", "forward_grad",
     lambda fn, p, h: [g * h for g in _forward(fn, p, h)]),
    ("the rise alone: divide it by the run, 2h", "central_grad",
     lambda fn, p, h: [g * 2 * h for g in _central(fn, p, h)]),
    ("every input nudged at once; nudge one input, keep the others where they are",
     "forward_grad", lambda fn, p, h: [(fn(*[v + h for v in p]) - fn(*p)) / h] * len(p)),
    ("every input nudged at once; nudge one input, keep the others where they are",
     "central_grad", lambda fn, p, h: [(fn(*[v + h for v in p]) - fn(*[v - h for v in p]))
                                       / (2 * h)] * len(p)),
    ("`=` where `+=` belongs: the input is set to h instead of moved by h", "forward_grad",
     lambda fn, p, h: [(fn(*_set(p, i, h)) - fn(*p)) / h for i in range(len(p))]),
    ("`=` where `+=` belongs: the input is set to ±h instead of moved by h", "central_grad",
     lambda fn, p, h: [(fn(*_set(p, i, h)) - fn(*_set(p, i, -h))) / (2 * h)
                       for i in range(len(p))]),
    ("the nudges pile up: the point is copied once, before the loop, so each input keeps the "
     "nudges of the inputs before it; copy it afresh for every input", "forward_grad",
     lambda fn, p, h: [(fn(*_piled(p, i, h)) - fn(*p)) / h for i in range(len(p))]),
    ("the nudges pile up: the point is copied once, before the loop, so each input keeps the "
     "nudges of the inputs before it; copy it afresh for every input", "central_grad",
     lambda fn, p, h: [(fn(*_piled(p, i, h)) - fn(*_piled(p, i, -h))) / (2 * h)
                       for i in range(len(p))]),
    ("every estimate nudges the first input: estimate i nudges input i", "forward_grad",
     lambda fn, p, h: [(fn(*_moved(p, 0, h)) - fn(*p)) / h] * len(p)),
    ("every estimate nudges the first input: estimate i nudges input i", "central_grad",
     lambda fn, p, h: [(fn(*_moved(p, 0, h)) - fn(*_moved(p, 0, -h))) / (2 * h)] * len(p)),
    ("`/ 2*h` divides by 2 and then multiplies by h: write `/ (2 * h)`", "central_grad",
     lambda fn, p, h: [g * h * h for g in _central(fn, p, h)]),
    ("the division binds first: f(x + h) - f(x) / h; write (f(x + h) - f(x)) / h",
     "forward_grad", lambda fn, p, h: [fn(*_moved(p, i, h)) - fn(*p) / h for i in range(len(p))]),
    ("the division binds first: f(x + h) - f(x - h) / (2h); write (f(x + h) - f(x - h)) / (2h)",
     "central_grad", lambda fn, p, h: [fn(*_moved(p, i, h)) - fn(*_moved(p, i, -h)) / (2 * h)
                                       for i in range(len(p))]),
    ("the estimates in reverse order: estimate i belongs to input i", "forward_grad",
     lambda fn, p, h: _forward(fn, p, h)[::-1]),
    ("the estimates in reverse order: estimate i belongs to input i", "central_grad",
     lambda fn, p, h: _central(fn, p, h)[::-1]),
    ("the sign: the rise is f(x + h) - f(x)", "forward_grad",
     lambda fn, p, h: [-g for g in _forward(fn, p, h)]),
    ("the sign: the rise is f(x + h) - f(x - h)", "central_grad",
     lambda fn, p, h: [-g for g in _central(fn, p, h)]),
]


# === numbers the learner gives =============================================================


def _number(name, got):
    """``got`` as a float, or a refusal that says what it is instead."""
    if hasattr(got, "data") and hasattr(got, "_prev"):
        core.refuse(f"{name} is a Value, not a number: use a Value's number, its .data (and a "
                    "gradient already found, as a number)")
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        if got is None:
            core.refuse(f"{name} is None; expected a number")
        core.refuse(f"{name} is {type(got).__name__} {got!r:.60}; expected a number")
    return _kept(got)


def _kept(x):
    """A number as a float, but a numpy or torch scalar as it is: its precision (float32, say)
    sets the tolerance."""
    float(x)
    return x if getattr(x, "dtype", None) is not None else float(x)


def _numbers(name, got, n, where):
    """``got`` as a list of n floats, or a refusal that says what it is instead."""
    try:
        if isinstance(got, dict | str):
            raise TypeError  # iterating would give its keys or characters
        values = [_kept(v) for v in got]
    except (TypeError, ValueError):
        core.refuse(f"{name}{where} returned {type(got).__name__} {got!r:.60}; "
                    f"return a list of {n} numbers")
    if len(values) != n:
        core.refuse(f"{name}{where} returned {len(values)} numbers; expected {n}, "
                    "one partial derivative per input")
    return values


def _shown(x, digits=6):
    """A number for a message: a few significant digits, never "-0"."""
    return core.fmt(round(float(x), 12) + 0.0, digits)


def _pair(want, got):
    """(want, got) as text, never "-0", with enough digits that they read differently."""
    return core.fmt_pair(round(float(want), 15) + 0.0, round(float(got), 15) + 0.0)


def _likely(said, fits=0):
    """The end of a refusal: the mistake named, or how many fit when none can be named."""
    if said:
        return f". Likely mistake: {said}"
    return f" ({fits} different slips give this number here: no telling which)" if fits > 2 \
        else ""


def _fit(got, want, candidates, scale=1.0):
    """The end of a refusal for one number ``got`` judged alone: the candidate that
    ``core.diagnose`` names among the ``(says, value)`` candidates (the sign included), or
    how many give this number when more than two do."""
    fits = {says for says, v in candidates if v is not None and core.agree(got, v, scale)
            and not core.agree(want, v, scale)}
    return _likely(core.diagnose([core.Trial("", got, want, scale=scale)],
                                 [core.Mistake(says, lambda t, v=value: v)
                                  for says, value in candidates if value is not None]),
                   len(fits))


# === the learner's cell run again on other numbers =========================================
#
# A number alone can equal a wrong candidate by accident (x2 = 0, a + b = 1, df = d). Where the
# learner's cell computes it from the graph's values, the check runs that cell again on copies
# of the graph at other points: a mistake is named only when it fits at every point.


_APPLY = {"+": lambda xs: sum(xs), "*": math.prod, "tanh": lambda xs: math.tanh(xs[0]),
          "sigmoid": lambda xs: 1 / (1 + math.exp(-xs[0])), "exp": lambda xs: math.exp(xs[0])}


def _mirror(root, moved):
    """A copy of ``root``'s graph (:class:`_Node`s, by the original's id) with each leaf's data
    from ``moved`` (by id; the rest as they are); None for an operation it cannot redo."""
    copy = {}
    for node in reversed(_nodes(root)):
        kids = [copy[id(c)] for c in node._prev]
        if kids and node._op not in _APPLY:
            return None
        data = _APPLY[node._op]([k.data for k in kids]) if kids else moved.get(id(node),
                                                                               node.data)
        copy[id(node)] = _Node(data, kids, node._op, node.label)
    return copy


def _plain(label):
    return re.sub(r"\W", "", label or "")


def _reruns(name, got, root, rng, points=4):
    """The statements of the learner's cell that computed ``name`` (= ``got``), run again
    (:func:`core.cell_statements`, :func:`core.run_again`) on copies of ``root``'s graph:
    ([(the copy by id, what the cell gives there)], the first at the graph's own point; the
    gradients (as ``∂L/∂d``) and values (as ``d``) the cell reads), or [] when the cell is
    not found, a statement it needs would change a notebook object, it does not give ``got``
    again, or it reads nothing of the graph (a number typed in: then it is judged alone).
    The notebook's Values of the graph (by identity, else by label and value, else
    recomputed from such leaves) become their copies, each number named as a node with its
    value (``a``) the copy's value, and each number read that is a node's right gradient
    (``dd``, ``dx1w1``) the copy's; each ``.grad`` is the right gradient where it holds it
    now, or 0 everywhere (as before the check stored them): whichever gives ``got`` again."""
    found = core.cell_statements(name)
    nodes, grads = _nodes(root), _gradients(root)
    if not found or grads is None:
        return []
    statements, names = found

    def labelled(obj):   # the graph's node of obj's label and value, or None
        return next((n for n in nodes if n.label and n.label == getattr(obj, "label", None)
                     and isinstance(obj.data, numbers.Real)
                     and core.close(obj.data, n.data, 1.0)), None)

    read, bound = set(), set()   # the notebook's names the statements read, before binding
    for statement in statements:
        for n in ast.walk(statement):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in bound:
                read.add(n.id)
        bound |= {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Store)}
    read &= set(names)
    attrs = {(a.value.id, a.attr) for s in statements for a in ast.walk(s)
             if isinstance(a, ast.Attribute) and isinstance(a.value, ast.Name)}

    def run(copy, held):   # the cell on ``copy``: (its number, gradients read, anything read)
        right = _gradients(copy[id(root)])
        for n in nodes:
            was = getattr(n, "grad", 0.0)
            copy[id(n)].grad = right[id(copy[id(n)])] if held and isinstance(
                was, numbers.Real) and core.close(was, grads[id(n)], 1.0) else 0.0
        replaced, seen = {}, set()
        for var in read:
            obj = names[var]
            node = next((n for n in nodes if n is obj), None) or (
                labelled(obj) if hasattr(obj, "_prev") else None)
            if node is not None and hasattr(obj, "_prev"):   # a node, or one named so
                replaced[var] = copy[id(node)]
                seen |= {_d(root, node)} if (var, "grad") in attrs else set()
                seen |= {_label(node)} if (var, "data") in attrs else set()
            elif hasattr(obj, "_prev") and hasattr(obj, "data"):   # a Value of its own graph:
                own = [n for n in topological_order(obj) if not n._prev]   # moved with the
                match = [labelled(n) for n in own]
                if None not in match and (mine := _mirror(obj, {
                        id(n): copy[id(m)].data for n, m in zip(own, match, strict=True)})):
                    replaced[var] = mine[id(obj)]   # of the same name and value
            elif isinstance(obj, numbers.Real) and not isinstance(obj, bool):
                value = next((n for n in nodes if n.label == var   # a value named as its node
                              and core.close(obj, n.data, 1.0)), None)
                if value is not None:
                    replaced[var] = copy[id(value)].data
                    seen.add(_label(value))
                    continue
                same = [n for n in nodes if _plain(n.label) == var[1:]] or [
                    n for n in nodes if core.close(obj, grads[id(n)], 1.0)]
                moved_to = {round(right[id(copy[id(n)])], 12) for n in same
                            if core.close(obj, grads[id(n)], 1.0)}
                if len(moved_to) == 1:
                    replaced[var] = moved_to.pop()
                    seen |= {_d(root, n) for n in same}
        space = core.run_again(statements, core.isolated(names, **replaced))
        try:   # (no space: the statements raised on these numbers)
            return float(space[name]), seen, bool(replaced)
        except (TypeError, ValueError, KeyError):
            return None

    here = _mirror(root, {})
    if here is None:
        return []
    for held in (True, False):
        first = run(here, held)
        if first and first[2] and core.close(first[0], got, 1.0):
            break
    else:
        return []
    out = [(here, first[0])]
    for _ in range(points):
        copy = _mirror(root, {id(n): round(n.data + rng.uniform(-1, 1), 4) for n in nodes
                              if not n._prev})
        again = run(copy, held)
        if again is None:
            return []
        out.append((copy, again[0]))
    return out, first[1]


def _keys(candidates):
    """A key for each ``(says, value)`` candidate that is the same for the same mistake on a
    copy of the graph at other numbers: its text with the numbers taken out, and its place
    among the candidates that then read the same (the copies have the graph's structure and
    labels, and the candidates come in the graph's order, so "another node's value, x1*w1"
    and "... x2*w2" keep their places)."""
    seen, keys = {}, []
    for says, _ in candidates:
        text = re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "#", says)
        seen[text] = seen.get(text, -1) + 1
        keys.append((text, seen[text]))
    return keys


def _judged(name, got, at, root, scale=None):
    """The end of a refusal for the learner's number ``name`` (= ``got``): ``at(node)`` gives
    (the right number, its (says, value) candidates) on a graph whose nodes ``node(original)``
    returns. Where the learner's cell runs again (:func:`_reruns`), a candidate is named only
    when it fits at every point (another node's gradient or value only when the cell reads it);
    else the number is judged alone (:func:`_fit`)."""
    want, first = at(lambda n: n)
    with core.seeded(f"rerun {name}") as rng:
        runs, read = _reruns(name, got, root, rng) or ([], set())
    if not runs:
        return _fit(got, want, first, scale or max(1.0, abs(want)))
    trials = []
    for copy, value in runs:
        w, cands = at(lambda n, c=copy: c[id(n)])
        keyed = dict(zip(_keys(cands), [v for _, v in cands], strict=True))
        trials.append(core.Trial("", value, w, {"c": keyed}, scale or max(1.0, abs(w))))
    mistakes = [core.Mistake(s, lambda t, k=k: t.data["c"].get(k))
                for (s, _), k in zip(first, _keys(first), strict=True)
                if not s.startswith("another node's")
                or any(s.startswith((f"another node's gradient, {r} (",
                                     f"another node's value, {r} (")) for r in read)]
    fits = {m.says for m in mistakes if core.diagnose(trials, [m])}
    return _likely(core.diagnose(trials, mistakes), len(fits))


# === a little expression graph, for the short exercises and for the learner's =============


class _Node:
    """A value of a little expression graph, as much of lecture 02's Value as the checks read."""

    def __init__(self, data, children=(), op="", label=""):
        self.data, self.grad, self._prev, self._op, self.label = data, 0.0, tuple(children), \
            op, label

    def __add__(self, other):
        return _Node(self.data + other.data, (self, other), "+")

    def __mul__(self, other):
        return _Node(self.data * other.data, (self, other), "*")

    def sigmoid(self):
        return _Node(1 / (1 + math.exp(-self.data)), (self,), "sigmoid")


def _nodes(root):
    """Every value in ``root``'s graph, each once, outputs before their inputs."""
    return topological_order(root)[::-1]


def _d(top, bottom):
    """∂L/∂d, with brackets around a name of several words: ∂e/∂(a + b)."""
    def name(node):
        label = _label(node).split(" = ")[0]
        return f"({label})" if any(ch in label for ch in " *+·") else label
    return f"∂{name(top)}/∂{name(bottom)}"


def _label(node):
    return node.label or _expr(node)


def _expr(node, ops=None):
    """The expression that makes ``node``, with its operations as ``ops`` says (by id)."""
    op = (ops or {}).get(id(node), node._op)
    if not node._prev:
        return node.label or core.fmt(node.data, 4)
    parts = [_expr(c, ops) if c._prev else (c.label or core.fmt(c.data, 4)) for c in node._prev]
    if op in "+-":
        return f" {op} ".join(parts)
    if op == "*":
        return "·".join(f"({p})" if (ops or {}).get(id(c), c._op) in ("+", "-") else p
                        for p, c in zip(parts, node._prev, strict=True))
    return f"{op}({', '.join(parts)})"


def _local(u, v):
    """∂u/∂v for one use of ``v`` by ``u`` (None for an operation the checks do not know)."""
    others = [c for c in u._prev if c is not v]
    if u._op == "+":
        return 1.0
    if u._op == "*":
        return others[0].data if others else 2 * v.data
    if u._op == "tanh":
        return 1 - u.data ** 2
    if u._op == "sigmoid":
        return u.data * (1 - u.data)
    return None


def _gradients(root):
    """The right gradient of ``root`` for every value of its graph, by id; None when the
    graph has an operation the checks do not know."""
    grads = {id(root): 1.0}
    for u in _nodes(root):
        for v in u._prev:
            local = _local(u, v)
            if local is None:
                return None
            grads[id(v)] = grads.get(id(v), 0.0) + local * grads.get(id(u), 0.0)
    return grads


def _swapped_grads(root, ops):
    """The gradients of ``root``'s graph (of + and · only) with the operations read as
    ``ops`` says (by id), its values recomputed."""
    data = {}
    for node in reversed(_nodes(root)):
        op = ops.get(id(node), node._op)
        kids = [data[id(c)] for c in node._prev]
        data[id(node)] = node.data if not kids else (
            sum(kids) if op == "+" else kids[0] - kids[1] if op == "-" else math.prod(kids))
    grads = {id(root): 1.0}
    for u in _nodes(root):
        op = ops.get(id(u), u._op)
        for v in u._prev:
            others = [data[id(c)] for c in u._prev if c is not v]
            local = 1.0 if op == "+" else math.prod(others) if op == "*" else (
                1.0 if v is u._prev[0] else -1.0)
            grads[id(v)] = grads.get(id(v), 0.0) + local * grads.get(id(u), 0.0)
    return grads


@dataclass
class Step:
    """One step of a backward pass by hand: ``v`` feeds ``u`` (None: ``v`` is the output),
    whose right gradient is ``up``; ``local`` is ∂u/∂v and ``want`` = local·up."""

    v: object
    u: object
    root: object
    grads: dict
    up: float = 0.0
    local: float = 1.0
    above: list = field(default_factory=list)
    path: list = field(default_factory=list)

    @property
    def want(self):
        return self.grads[id(self.v)]

    @property
    def V(self):  # noqa: N802
        return _label(self.v)

    @property
    def U(self):  # noqa: N802
        return _label(self.u)

    @property
    def local_name(self):
        others = [c for c in self.u._prev if c is not self.v]
        if self.u._op == "*" and others:
            return _label(others[0])
        if self.u._op == "tanh":
            return "1 - o²"
        if self.u._op == "sigmoid":
            return "σ'(n)"
        return core.fmt(self.local, 4)

    @property
    def others(self):
        return [c for c in self.u._prev if c is not self.v]


def _users(value, root):
    """The operations ``value`` feeds directly."""
    return [node for node in _nodes(root) if any(c is value for c in node._prev)]


def _consumer(value, root):
    return next((node for node in _nodes(root) if any(c is value for c in node._prev)), None)


def _step(value, root):
    """The :class:`Step` that gives ``value`` its gradient in ``root``'s graph, or None when
    the graph has an operation the checks do not know."""
    grads = _gradients(root)
    if grads is None or id(value) not in grads:
        return None
    u = None if value is root else _consumer(value, root)
    if u is None:
        return Step(value, None, root, grads)
    path, k = [], value
    while k is not root:   # the way up to the output: (input, operation) pairs
        n = _consumer(k, root)
        path.append((k, n))
        k = n
    above = [n for _, n in path[1:]]
    return Step(value, u, root, grads, up=grads[id(u)], local=_local(u, value), above=above,
                path=path)


def _hand_candidates(step, kinds=None):
    """The candidates of ``kinds`` (:data:`HAND_MISTAKES`) at ``step``: (says, value)."""
    if step.u is None:
        return list(_seed_slips(step)) + list(_sign(step))
    return [c for kind in kinds or HAND_MISTAKES for c in kind(step)]


def _swaps(root):
    """Each way of reading some of the graph's + as · and · as +, and one + as -: (ops by
    id, what it says)."""
    ops = [n for n in _nodes(root) if n._op in {"+", "*"}]
    out = []
    for r in range(1, len(ops) + 1):
        for chosen in itertools.combinations(ops, r):
            swapped = {id(n): "*" if n._op == "+" else "+" for n in chosen}
            said = ", ".join(sorted({f"{n._op} taken as {'·' if n._op == '+' else '+'}"
                                     for n in chosen}))
            out.append((swapped, said))
    return out + [({id(n): "-"}, "+ taken as -") for n in ops if n._op == "+"
                  and len(n._prev) == 2]


# === lecture 01 =============================================================================


POINT = (2.0, 3.0, 4.0)
NAMES = ("∂f/∂a", "∂f/∂b", "∂f/∂c")


def f_abc(a, b, c):
    """The exercise's function f(a, b, c) = -a³ + sin(3b) - 1/c + b^2.5 - a^0.5."""
    return -a**3 + math.sin(3 * b) - 1.0 / c + b**2.5 - a**0.5


def _grad_f_right(point):
    return [sum(_term_right(t, point[i]) for t in F_TERMS if t[0] == i) for i in range(3)]


@core.check()
def check_grad_f(grad_f, rng):
    """``grad_f(a, b, c)`` -> [∂f/∂a, ∂f/∂b, ∂f/∂c]: at (2, 3, 4) and at 20 random points,
    against the derivative of each term. A wrong component is matched against one slip of
    the power or chain rule in one of its terms (:data:`F_TERMS`), at every point."""
    points = [POINT] + [(rng.uniform(0.3, 3), rng.uniform(0.3, 3),
                         rng.choice([-1, 1]) * rng.uniform(0.5, 5)) for _ in range(20)]
    trials = []
    for point in points:
        where = f" at (a, b, c) = ({', '.join(f'{v:.4g}' for v in point)})"
        got = _numbers("grad_f", core.call(grad_f, *point, explain=_called_how(
            "grad_f(a, b, c), with the three numbers one by one")), 3, where)
        want = _grad_f_right(point)
        size = [max(abs(_term_right(t, point[i])) for t in F_TERMS if t[0] == i)
                for i in range(3)]
        trials.append((point, where, got, want, size))
    for order in itertools.permutations(range(3)):   # the right numbers in another order
        if order != (0, 1, 2) and all(
                core.agree(g, [w[j] for j in order], max(s)) for _, _, g, w, s in trials):
            point, where, got, want, _ = trials[0]
            core.refuse(f"grad_f{where} returned [{', '.join(_shown(g) for g in got)}]: the "
                        f"right numbers in another order; return [∂f/∂a, ∂f/∂b, ∂f/∂c] = "
                        f"[{', '.join(_shown(w) for w in want)}]")
    for i in range(3):
        wrong = [t for t in trials if not core.close(t[2][i], t[3][i], t[4][i])]
        if not wrong:
            continue
        point, where, got, want, _ = wrong[0]
        shown_want, shown_got = _pair(want[i], got[i])
        mistakes = []
        for term, text in ((t, x) for t, x in zip(F_TERMS, F_TEXT, strict=True) if t[0] == i):
            for says, slip in _term_slips(term):
                mistakes.append(core.Mistake(says, lambda t, term=term, slip=slip, i=i: (
                    t.want - _term_right(term, t.data["point"][i]) + slip(t.data["point"][i]))))
            for says, slip in _text_slips(text):
                mistakes.append(core.Mistake(says, lambda t, term=term, slip=slip, i=i: (
                    t.want - _term_right(term, t.data["point"][i]) + slip(t.data["point"]))))
        said = core.diagnose([core.Trial(w, g[i], t[i], {"point": p}, s[i])
                              for p, w, g, t, s in trials], mistakes)
        core.refuse(f"{NAMES[i]} differs{where}: grad_f gives {shown_got}, expected "
                    f"{shown_want}{_likely(said)}")
    core.passed("grad_f", f"at (2, 3, 4) and at {len(points) - 1} random points")


def _called_how(how):
    """What a TypeError of the learner's function means, for ``core.call``'s ``explain``."""
    def explain(error):
        text = str(error)
        if "does not support item assignment" in text:
            return " (the point is a tuple: copy it into a list before nudging, list(point))"
        if "positional argument" in text:
            return f" (the check calls {how})"
        return ""
    return explain


def _test_function(rng, n):
    """A random quadratic: its forward and central differences are known exactly."""
    k = [rng.uniform(0.5, 3) * rng.choice([-1, 1]) for _ in range(n)]
    m = [rng.uniform(-2, 2) for _ in range(n)]
    w = rng.uniform(-1, 1)

    def fn(*v):
        if len(v) != n:
            given = f"one {type(v[0]).__name__}" if len(v) == 1 else f"{len(v)} arguments"
            raise TypeError(
                f"fn takes the {n} numbers of the point one by one and was called with "
                f"{given}: unpack the point when you call it, fn(*point)"
                + (", not fn(point)" if len(v) == 1 else ""))
        cross = w * v[0] * v[-1] if n > 1 else 0.0
        return sum(ki * vi * vi + mi * vi for ki, mi, vi in zip(k, m, v, strict=True)) + cross

    def slope(v, i):
        return 2 * k[i] * v[i] + m[i] + (w * v[-1] if i == 0 else 0.0) \
            + (w * v[0] if i == n - 1 and n > 1 else 0.0)

    return fn, k, slope


@core.check(name="forward_grad and central_grad")
def check_difference_quotients(forward_grad, central_grad, h=1e-3, rng=None):
    """``forward_grad(fn, point, h)`` and ``central_grad(fn, point, h)`` -> a list,
    one estimate per input, nudging one input at a time. Tested on 12 random quadratics,
    where the forward difference is exactly slope + (h/2)·f'' and the central one exact;
    a wrong estimate is matched against each way of nudging wrong (:data:`QUOTIENT_MISTAKES`)
    on every quadratic."""
    results = {"forward_grad": [], "central_grad": []}
    for trial in range(12):
        n = (3, 2, 4)[trial % 3]
        fn, k, slope = _test_function(rng, n)
        point = tuple(rng.uniform(-3, 3) for _ in range(n))
        shown_point = tuple(round(v, 4) for v in point)
        shown = f"on a quadratic of {n} inputs at {shown_point}, h = {h}"
        exact = [slope(point, i) for i in range(n)]
        scale = max(1.0, abs(fn(*point))) / h   # the size of what the estimate divides
        for name, fun, want in [("forward_grad", forward_grad,
                                 [s + k[i] * h for i, s in enumerate(exact)]),   # + (h/2)·2k
                                ("central_grad", central_grad, exact)]:
            got = core.call(fun, fn, point, h, what=f"your {name}(fn, point={shown_point}, "
                            f"h={h})", explain=_called_how(f"{name}(fn, point, h)"))
            got = _numbers(name, got, n, f" {shown}")
            results[name].append(core.Trial(shown, got, want,
                                            {"fn": fn, "point": point, "h": h}, scale))
    for name, trials in results.items():
        wrong = next((t for t in trials if not t.right), None)
        if wrong is None:
            continue
        i = next(i for i, (g, w) in enumerate(zip(wrong.got, wrong.want, strict=True))
                 if not core.close(g, w, wrong.scale))
        shown_want, shown_got = _pair(wrong.want[i], wrong.got[i])
        said = core.diagnose(trials, [
            core.Mistake(says, lambda t, p=predicts: p(t.data["fn"], t.data["point"],
                                                       t.data["h"]))
            for says, which, predicts in QUOTIENT_MISTAKES if which == name])
        core.refuse(f"{name} {wrong.shown}: component {i} is {shown_got}, expected "
                    f"{shown_want}{_likely(said)}")
    core.passed("forward_grad and central_grad", "on 12 random quadratics, 2 to 4 inputs")


def _check_numbers(names, got, want, *, how, whole=(), each=None, scale=1.0,
                   at=None, root=None,
                   order="the right numbers in another order: each name holds the slope "
                         "with respect to its own input"):
    """Compare the learner's numbers ``got`` (one per name) with ``want``. ``whole``: (what
    it says, a tuple of numbers), a wrong answer as a whole; ``each``: one list of (what it
    says, number) per name (the sign is tried too). ``at``: instead of ``each``, one function
    per name that gives (the right number, its candidates) on ``root``'s graph or a copy of
    it (:func:`_judged`: the learner's cell is run again at other points where it can be).
    The right numbers in another order are tried for every answer; a mistake is named through
    ``core.diagnose``. Refuses,
    or returns."""
    got = [_number(n, g) for n, g in zip(names, got, strict=True)]
    wrong = [i for i in range(len(names)) if not core.close(got[i], want[i], scale)]
    if not wrong:
        return
    lines, named = [], []
    for i in wrong:
        candidates = list((each or [[]] * len(names))[i])
        if not any(core.close(v, -want[i], scale) for _, v in candidates):
            candidates.append(("the sign", -want[i]))
        shown_want, shown_got = _pair(want[i], got[i])
        said = _judged(names[i], got[i], at[i], root, scale) if at else \
            _fit(got[i], want[i], candidates, scale)
        named.append("Likely mistake" in said)
        lines.append(f"{names[i]} is {shown_got}; {how} gives {shown_want}{said}")
    if len(names) > 1:
        candidates = list(whole) + [(order, tuple(want[j] for j in p))
                                    for p in itertools.permutations(range(len(names)))
                                    if list(p) != list(range(len(names)))]
        said = core.diagnose(
            [core.Trial("", list(got), list(want), scale=scale)],
            [core.Mistake(says, lambda t, v=values: list(v)) for says, values in candidates])
        partly = [n for n, values in candidates if n == said and any(
            core.close(x, w, scale) for x, w in zip(values, want, strict=True))]
        # a whole reading that is partly right by accident comes second to the slips named
        # number by number; not brackets misread, which explain every number at once
        if said and said != order and partly and all(named) and not said.startswith(
                MISREAD):
            core.refuse(*lines, f"(or, reading the whole answer at once: {said})")
        if said:
            core.refuse(f"({', '.join(names)}) = ({', '.join(_shown(g) for g in got)}); {how} "
                        f"gives ({', '.join(_shown(w) for w in want)}){_likely(said)}")
    core.refuse(*lines)


def _q(x):
    return x**3 - 6 * x**2 + 9 * x + 1


Q_SLOPE = (3.0, -12.0, 9.0)   # q'(x) = 3x² - 12x + 9, by the power rule
QUADRATIC = "(-b + s * math.sqrt(b**2 - 4 * a * c)) / (2 * a)"   # its zeros, s = ±1


def _slope_q(x):
    return 3 * x * x - 12 * x + 9


def _flat(x):
    """Whether q's slope is zero at ``x``, by the one rule (the slope's terms set the scale)."""
    return core.close(_slope_q(x), 0.0, scale=max(3 * x * x, abs(12 * x), 9))


def _roots(p2, p1, p0):
    disc = p1 * p1 - 4 * p2 * p0
    if disc < 0:
        return None
    return sorted([(-p1 - math.sqrt(disc)) / (2 * p2), (-p1 + math.sqrt(disc)) / (2 * p2)])


def _poly(*coefficients):
    """'3x² + 12x + 9' for the coefficients (3, 12, 9), highest power first."""
    powers = {3: "x³", 2: "x²", 1: "x", 0: ""}
    terms = [(k, powers[len(coefficients) - 1 - i]) for i, k in enumerate(coefficients) if k]
    text = "".join(f" {'-' if k < 0 else '+'} {'' if abs(k) == 1 and term else f'{abs(k):g}'}"
                   f"{term}" for k, term in terms)
    return text[3:] if text.startswith(" + ") else "-" + text[3:]


def _real_roots(coefficients):
    if len(coefficients) < 2:
        return []
    return sorted(float(r.real) for r in np.roots(coefficients) if abs(r.imag) < 1e-9)


@core.check(name="flat_points")
def check_flat_points(flat_points, local_max, local_min):
    """Lecture 01, exercise 1: the x where q(x) = x³ - 6x² + 9x + 1 has slope zero, and
    which of them is the hilltop and which the valley. The mistakes it names come from the
    structure of the answer: the heights q(x) stored instead of the places x, the zeros of a
    derivative with a sign error (the negated points among them), maximum and minimum
    swapped."""
    if isinstance(flat_points, dict | str) or not hasattr(flat_points, "__iter__"):
        core.refuse(f"flat_points is {type(flat_points).__name__} {flat_points!r:.60}; store "
                    "a list of the x where the slope of q is zero")
    points = [_number("each flat point", x) for x in flat_points]
    right = _roots(*Q_SLOPE)
    heights = [_q(r) for r in right]

    def same_set(xs, ys):
        return len(xs) == len(ys) and all(core.close(x, y, 1.0) for x, y in
                                          zip(sorted(xs), sorted(ys), strict=True))

    if not (len(points) == 2 and all(_flat(x) for x in points)
            and not core.close(points[0], points[1], 1.0)):
        listed = f"flat_points = [{', '.join(_shown(x) for x in points)}]"
        if same_set(points, heights):
            core.refuse(f"{listed} are the heights q(x) at the flat points, not the places: "
                        "store the x where the slope is zero")
        for signs in itertools.product((1, -1), repeat=3):
            variant = [s * k for s, k in zip(signs, Q_SLOPE, strict=True)]
            zeros = _roots(*variant)
            if signs != (1, 1, 1) and zeros is not None and same_set(points, zeros):
                core.refuse(f"{listed}: q's slope is not zero there (at {_shown(points[0])} it "
                            f"is {_shown(_slope_q(points[0]), 4)}). These are the zeros of "
                            f"{_poly(*variant)}: a sign went wrong in the derivative; take "
                            "each term's sign along (the power rule keeps it)")
        for says, variant in _q_variants():
            zeros = _real_roots(variant)
            if zeros and same_set(points, zeros):
                core.refuse(f"{listed}: q's slope is not zero there (at {_shown(points[0])} it "
                            f"is {_shown(_slope_q(points[0]), 4)}). These are the zeros of "
                            f"{_poly(*variant)}: {says}")
        for slip in core.rebracketed(QUADRATIC):   # the quadratic formula, parentheses moved
            zeros = [formula_value(slip, a=Q_SLOPE[0], b=Q_SLOPE[1], c=Q_SLOPE[2], s=sign)
                     for sign in (-1, 1)]
            if None not in zeros and same_set(points, zeros):
                core.refuse(f"{listed}: q's slope is not zero there (at {_shown(points[0])} it "
                            f"is {_shown(_slope_q(points[0]), 4)}). These are the quadratic "
                            f"formula as Python reads `{slip.replace(' + s * ', ' ± ')}`: the "
                            "roots are (-b ± √(b² - 4ac)) / (2a), with the parentheses")
        if same_set(points, _real_roots([1.0, -6.0, 9.0, 1.0])):
            core.refuse(f"{listed}: the zeros of q itself, not of its slope q'")
        if len(points) != 2:
            core.refuse(f"flat_points holds {len(points)} number"
                        f"{'' if len(points) == 1 else 's'}: a cubic's slope is a quadratic, "
                        "expect two flat points")
        bad = next((x for x in points if not _flat(x)), points[0])
        if _flat(bad):
            core.refuse(f"flat_points lists {_shown(bad)} twice: q has two flat points")
        core.refuse(f"the slope of q at {_shown(bad)} is not zero (it is "
                    f"{_shown(_slope_q(bad), 4)})")
    top, valley = right[0], right[1]   # q' = 3(x - 1)(x - 3): + then - at 1, - then + at 3
    kinds = [("local_max", local_max, top, valley, "+ then -", "maximum"),
             ("local_min", local_min, valley, top, "- then +", "minimum")]
    values = {name: _number(name, x) for name, x, *_ in kinds}
    if core.close(values["local_max"], valley) and core.close(values["local_min"], top):
        core.refuse(f"local_max = {_shown(valley)} and local_min = {_shown(top)} are swapped: "
                    f"across x = {_shown(valley)} the slope of q goes - then +, so it is the "
                    "other kind (a valley); a maximum needs slopes + then -")
    for name, _, here, other, signs, kind in kinds:
        x, turn = values[name], "- then +" if signs == "+ then -" else "+ then -"
        if core.close(x, here):
            continue
        said = _fit(x, here, [
            (f"the height q(x) of the {kind}, not its place x: store the x", _q(here)),
            (f"the other kind: the slope of q goes {turn} across x = {_shown(other)}; a {kind} "
             f"needs slopes {signs}", other)])
        where = "" if any(core.close(x, p, 1.0) for p in points) else \
            " (it is not in flat_points)"
        if not said and not _flat(x):
            said = (f": the slope of q there is {_shown(_slope_q(x), 4)}, not 0; a {kind} sits "
                    "at a flat point")
        core.refuse(f"{name} = {_shown(x)}{where}" + (said or f": the slope of q is not {signs} "
                                                             "across it"))
    flat = ", ".join(_shown(x) for x in sorted(points))
    core.passed("flat_points", f"the slope of q is zero at {flat}; local maximum at "
                f"x = {_shown(values['local_max'])}, local minimum at "
                f"x = {_shown(values['local_min'])}")


def _sum_times(x, y, z, names):
    """The graph of (x + y)·z, labelled with ``names`` (e = (a + b)·c, q = (x + y)·z)."""
    a, b, c = (_Node(v, label=k) for v, k in zip((x, y, z), names[:3], strict=True))
    p = a + b
    p.label = f"{names[0]} + {names[1]}" if len(names) < 5 else names[4]
    out = p * c
    out.label = names[3]
    return out, (a, b, c)


def _check_graph(names, got, root, leaves, how, familiar=None, kinds=None):
    """The gradient of ``root`` by hand for the ``leaves`` (one name each), against the graph's
    own gradients; each wrong number matched against :data:`HAND_MISTAKES` at its step (and
    a sum of the graph read as a product or a difference), the whole answer against the
    gradient of the graph with + and · swapped."""
    grads = _gradients(root)
    want = [grads[id(v)] for v in leaves]
    whole = []
    for ops, said in _swaps(root):
        swapped = _swapped_grads(root, ops)
        expr = _expr(root, ops)
        name = (familiar or {}).get(expr, expr)
        whole.append(((f"{said}: " if name == expr else "") + f"the gradient of {name}, not "
                      f"of {root.label} = {_expr(root)}", tuple(swapped[id(v)] for v in leaves)))
    point = {_label(v): v.data for v in leaves}
    for slip in core.rebracketed(_expr(root).replace("·", " * ")):   # the brackets misread
        slopes = tuple(_slope(slip, point, _label(v)) for v in leaves)
        if None not in slopes:
            whole.append((f"{MISREAD}: the gradient of {slip.replace(' * ', '·')}, "
                           f"not of {root.label} = {_expr(root)}", slopes))

    def at_leaf(leaf):
        def at(node):
            r, v = node(root), node(leaf)
            cands = _hand_candidates(_step(v, r), kinds)
            for ops, said in _swaps(r):
                if said in ("+ taken as ·", "+ taken as -") and not any(
                        id(n) in ops for n in _users(v, r)):   # another sum read wrongly
                    cands.append((f"{said}: that is ∂({_expr(r, ops)})/∂{_label(v)}",
                                  _swapped_grads(r, ops)[id(v)]))
            return _gradients(r)[id(v)], [(s, x) for s, x in cands
                                          if not s.startswith("0, as if")]
        return at

    _check_numbers(names, got, want, how=how, whole=whole, at=[at_leaf(v) for v in leaves],
                   root=root)


MISREAD = "the brackets misread"


def _slope(formula, point, name, h=1e-3):
    """The slope of ``formula`` (text) along ``name`` at ``point``, by a central difference
    (exact up to rounding for the polynomials of degree 2 it is used on); None where the
    formula cannot be computed there."""
    up = formula_value(formula, **{**point, name: point[name] + h})
    down = formula_value(formula, **{**point, name: point[name] - h})
    return None if up is None or down is None else round((up - down) / (2 * h), 9)


E_POINT = (2.5, -1.5, 4.0)   # a, b, c of lecture 01's section 5 and exercise 2


@core.check(name="de_da, de_db, de_dc")
def check_partials_e(de_da, de_db, de_dc):
    """Lecture 01, exercise 2: the partial derivatives of e = (a + b)·c at
    (a, b, c) = (2.5, -1.5, 4), against the graph's gradients (which nudging confirms)."""
    e, leaves = _sum_times(*E_POINT, "abce")
    _check_graph(("de_da", "de_db", "de_dc"), (de_da, de_db, de_dc), e, leaves, "nudging",
                 familiar={"a·b + c": "d = a·b + c of section 5"}, kinds=PARTIAL_MISTAKES)
    core.passed("de_da, de_db, de_dc", f"{_shown(de_da, 4)}, {_shown(de_db, 4)}, "
                f"{_shown(de_dc, 4)}, as nudging gives")


@core.check(name="forward_error_f, central_error_f")
def check_step_errors(forward_error_f, central_error_f, h=0.5, x=3.0):
    """Lecture 01, exercise 3: the absolute errors of the forward and the central difference
    of f(x) = 3x² - 4x + 5 at x = 3 with the step h = 0.5. The mistakes it names: the two
    swapped, a signed or a relative error, 3h² (the step squared) for 3h, the cubic's errors
    of section 6 carried over to the quadratic, the slope itself, the step of section 3, f'
    without the exponent lowered."""
    def f(t):
        return 3 * t * t - 4 * t + 5

    exact = 6 * x - 4
    forward = (f(x + h) - f(x)) / h
    central = (f(x + h) - f(x - h)) / (2 * h)
    want = [abs(forward - exact), abs(central - exact)]
    cubic = "the cubic g's error of section 6 carried over; this f is a quadratic, " \
        "with its own f'' = 6 and f''' = 0"
    unlowered = 6 * x * x - 4 * x   # 3x² -> 6x² and -4x -> -4x: the exponent not lowered
    slipped = []   # f'(3) with one slip of the power rule in one term of f
    for k, n, shown in [(3.0, 2, "3x²"), (-4.0, 1, "-4x"), (5.0, 0, "+5")]:
        for says, (ck, cn) in _power_slips(k, n, shown):
            wrong = exact - (k * n * x ** (n - 1) if n else 0.0) + ck * x ** cn
            slipped.append((f"errors against f'(3) = {wrong:g}, not 14: {says}", wrong))
    _check_numbers(
        ("forward_error_f", "central_error_f"), (forward_error_f, central_error_f), want,
        how=f"measuring at x = {x:g} with h = {h:g}", scale=exact,
        whole=[(says, (abs(forward - v), abs(central - v))) for says, v in slipped],
        order="the two swapped: forward_error_f holds the forward difference's error, "
              "central_error_f the central one's",
        each=[[("3h², the step squared: the forward error is (h/2)·f'', linear in h",
                3 * h * h),
               (f"h² ({_shown(h * h)}), {cubic}", h * h),
               (f"3xh + h², {cubic}", 3 * x * h + h * h),
               (f"3xh + h² at x = 1.5, {cubic}", 3 * 1.5 * h + h * h),
               ("(h/2)·f'' without f'' = 6", h / 2),
               ("h·f'' without the 1/2: the forward error is (h/2)·f''", h * 6),
               ("a signed error: store the absolute error, abs(...)", -want[0]),
               (f"a relative error, divided by f'(3) = {exact:g}: store the absolute error, "
                "|estimate - f'(3)|", want[0] / exact),
               ("a relative error, divided by the estimate: store the absolute error, "
                "|estimate - f'(3)|", want[0] / forward),
               ("the forward slope itself, not its error against f'(3) = 14", forward),
               ("the step h = 0.01 of section 3, not 0.5", 3 * 0.01),
               (f"f'(3) with the exponents not lowered ({unlowered:g}): the power rule gives "
                "f'(x) = 6x - 4", abs(forward - unlowered))]
              + [(says, abs(forward - v)) for says, v in slipped],
              [(f"h² ({_shown(h * h)}), {cubic}", h * h),
               ("(h²/6) without f''': that term is (h²/6)·f'''", h * h / 6),
               ("the central slope itself, not its error against f'(3) = 14", central),
               (f"f'(3) with the exponents not lowered ({unlowered:g}): the power rule gives "
                "f'(x) = 6x - 4", abs(central - unlowered))]
              + [(says, abs(central - v)) for says, v in slipped]])
    core.passed("forward_error_f, central_error_f",
                f"forward error {_shown(forward_error_f, 4)}, central error "
                f"{_shown(abs(central_error_f), 4)}")


# === lecture 02: one gradient worked out by hand ===========================================


@core.check(name="by_nudging")
def check_by_nudging(name, value, output_of, root):
    """The gradient the learner worked out by hand (their ``name``, stored in ``value.grad``)
    against a nudge of ``value`` alone: ``output_of(x)`` is the output with this value set to
    ``x`` and everything else fixed. ``root`` is the output (``L``): in its graph the check
    finds the step of the chain rule that gives ``value`` its gradient, and matches a wrong
    number against the mistakes of :data:`HAND_MISTAKES` at that step. Refuses saying what
    differs; returns the nudged slope."""
    got = _number(name, value.grad)
    label = value.label or "this value"
    nudged = numerical_grad(output_of, float(value.data))
    step = _step(value, root)
    known = step is not None and core.close(step.want, nudged, max(1.0, abs(step.want)) * 100)
    want = step.want if known else nudged   # else an operation the checks do not know
    if core.close(got, want, max(1.0, abs(want)) * (1 if known else 100)):
        return nudged
    shown_want, shown_got = _pair(want, got)

    def at(node):   # the step and its candidates on the graph (or a copy of it)
        here = _step(node(value), node(root))
        return here.want, _hand_candidates(here)

    core.refuse(f"{name} is {shown_got}, but nudging {label} alone gives {shown_want}"
                + (_judged(name, got, at, root) if known else _fit(
                    got, want, [("the sign", -want)], max(1.0, abs(want)))))


# === lecture 02's exercises ================================================================


L_START = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}   # section 3's inputs


def _graph_L(a=2.0, b=-3.0, c=10.0, f=-2.0):
    A, B, C, F = (_Node(v, label=k) for k, v in zip("abcf", (a, b, c, f), strict=True))
    e = A * B
    e.label = "e"
    d = e + C
    d.label = "d"
    L = d * F
    L.label = "L"
    return L, {"a": A, "b": B, "c": C, "f": F, "e": e, "d": d}


@core.check(name="predicted_change_c")
def check_prediction_c(predicted_change_c, step=0.1):
    """Lecture 02, exercise 1: the change of L = (a·b + c)·f predicted from ∂L/∂c when c
    alone moves by ``step``; L is a straight line in c, so the change itself is the answer.
    The mistakes come from L's graph: the step times another value's gradient, the step or
    ∂L/∂c alone, a factor of the chain rule left out, the new value of L for the change, c
    moved along its gradient (or every input, as in section 4), and section 4's inputs."""
    L, nodes = _graph_L()
    grads = _gradients(L)
    gc = grads[id(nodes["c"])]
    want = gc * step
    eta = 0.01   # section 4's step size
    moved_f = L_START["f"] + eta * grads[id(nodes["f"])]
    whole_step = sum(grads[id(nodes[k])] ** 2 for k in "abcf")
    d, f = nodes["d"], nodes["f"]
    candidates = [
        (f"the new value of L ({_shown(L.data + want)}), not the change: L was "
         f"{_shown(L.data)} before", L.data + want),
        (f"∂L/∂c alone: times the change of c, {step:g}", gc),
        ("the change of c divided by ∂L/∂c: multiply, ΔL ≈ ∂L/∂c·Δc", step / gc),
        (f"the change of c squared: ΔL ≈ ∂L/∂c·Δc, with Δc = {step:g}", gc * step * step),
        ("the change of d = e + c alone: d reaches L through L = d·f, a factor "
         f"f = {_shown(f.data)}", step * _local(d, nodes["c"])),
        (f"c moved along its gradient, by {step:g}·∂L/∂c; here c moves by +{step:g}",
         step * gc * gc),
        (f"section 4's step, every input moved by {step:g} times its gradient; here only c "
         f"moves, by +{step:g}", step * whole_step),
        ("section 4's predicted change (every input moved along its gradient, η = 0.01); here "
         "only c moves", eta * whole_step),
        (f"built from f.data as section 4's step left it ({_shown(moved_f)}): run the cell "
         "above the task, which puts a, c and f back", step * moved_f)]
    for k, node in nodes.items():   # another value's gradient
        g = grads[id(node)]
        candidates.append((f"{step:g}·∂L/∂{k}, the gradient of {k}, where c's (∂L/∂c = "
                           f"{_shown(gc)}) belongs", step * g))
    _check_numbers(("predicted_change_c",), (predicted_change_c,), [want],
                   how=f"moving c alone from 10 to {10 + step:g}", each=[candidates])
    core.passed("predicted_change_c", f"{_shown(predicted_change_c, 4)}; L changes by exactly "
                "that")


Q_POINT = {"x": -2.0, "y": 5.0, "z": -4.0}


@core.check(name="dq_dx, dq_dy, dq_dz")
def check_q_gradient(dq_dx, dq_dy, dq_dz):
    """Lecture 02, exercise 2: the gradient of q = (x + y)·z at x = -2, y = 5, z = -4,
    against the graph's gradients (which nudging confirms); the mistakes come from the
    graph's structure (:data:`HAND_MISTAKES`, + and · swapped)."""
    q, leaves = _sum_times(*Q_POINT.values(), ("x", "y", "z", "q", "p = x + y"))
    _check_graph(("dq_dx", "dq_dy", "dq_dz"), (dq_dx, dq_dy, dq_dz), q, leaves, "nudging",
                 familiar={"x·y + z": "x·y + z (lecture 01's d = a·b + c)"})
    core.passed("dq_dx, dq_dy, dq_dz", f"{_shown(dq_dx, 4)}, {_shown(dq_dy, 4)}, "
                f"{_shown(dq_dz, 4)}, as nudging gives")


NEURON = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


@core.check(name="do_dw1_sigmoid")
def check_sigmoid_w1(do_dw1_sigmoid):
    """Lecture 02, exercise 3: ∂o/∂w1 for o = σ(n), n = x1·w1 + x2·w2 + b, with section 5's
    inputs, against the graph's gradient (which nudging confirms); the mistakes come from
    the graph's structure (:data:`HAND_MISTAKES`)."""
    x1, x2, w1, w2, b = (_Node(v, label=k) for k, v in NEURON.items())
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1·w1", "x2·w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.sigmoid()
    o.label = "o"

    def at(node):
        step, sig, x, w = _step(node(w1), node(o)), node(o).data, node(x1).data, node(w1).data
        return step.want, [(s, v) for s, v in _hand_candidates(step)
                           if not s.startswith("0, as")] + [
            (f"tanh's slope 1 - o² ({_shown(1 - sig * sig, 4)}) where σ's is asked: "
             f"σ'(n) = σ(n)·(1 - σ(n)) ({_shown(sig * (1 - sig), 4)})",
             (1 - sig * sig) * x),   # o: the output, as the notebook's o (tanh(n) = σ(n) here)
            ("both tanh's slope (1 - o²) and w1 where x1 belongs: that is section 5's ∂o/∂x1",
             (1 - sig * sig) * w)]

    _check_numbers(("do_dw1_sigmoid",), (do_dw1_sigmoid,), [_step(w1, o).want],
                   how="nudging w1", at=[at], root=o)
    core.passed("do_dw1_sigmoid", f"{_shown(do_dw1_sigmoid, 4)}, as nudging w1 gives")
