"""Checks for the scalar engine the learner writes in lectures 02 and 03 (on ``core``).

Each check runs the learner's code (through ``core.call``) on inputs and random expression
graphs drawn from a generator seeded by the check's name, and compares every value and
gradient with float64 PyTorch under the one tolerance rule (``core.close``). Upstream
gradients are random and of either sign, so that a clamp or a sign is not hidden. A pass
prints ``name: correct (...)``; a refusal raises ``core.Refused`` saying what differs, where,
and a "Likely mistake:" only when one of the arc's table (``OPERATION_MISTAKES``,
``FORWARD_MISTAKES``, ...) fits every trial (``core.diagnose``). A stub prints "not
implemented yet: <name>".

- ``check_forward(Value, "add" | "mul")``: the forward pass of lecture 02 (data, _prev, _op);
- ``check_operation(Value, name, reuse=True)``: one operation and its ``_backward``; names
  in ``OPERATIONS``. ``reuse=False`` leaves out every test where a gradient adds to one
  already there (a value used twice), for the section before the ``+=`` fix;
- ``check_topological_sort(topological_order)``: any valid order (depth-first, Kahn, ...);
- ``check_backward(Value)``: ``Value.backward`` on graphs made by the finished operations;
- ``check_softmax_nll(softmax, nll, Value)``: the softmax and its loss, with their gradients;
- ``check_gates_by_hand(dx, dy, dz)``: gradients worked out by hand for the small expression
  in ``GATES`` (a fork and a max), with the misapplied gate rule named.

Most diagnoses are derived from the structure of the answer rather than listed: from each
operation's local derivative (``LOCAL``) come the incoming gradient left out, the derivative
computed from the input instead of the output (or at the output instead of the input), and
every precedence slip of its line (parentheses dropped); from the way gradients accumulate
come ``=`` for ``+=``, a gradient added twice, another input's gradient used as the incoming
one; from the other operations come a forward pass that computes one of them, or the operands
the other way round.
"""

import ast
import contextlib
import itertools
import math
import numbers
import re

import torch

from helpers.checks import core, guard
from helpers.checks.core import Mistake
from helpers.checks.derivatives import formula_value
from helpers.finished import value as finished
from helpers.tools.engine import topological_order

__all__ = ["OPERATIONS", "GATES", "LOCAL", "OPERATION_MISTAKES", "FORWARD_MISTAKES",
           "check_forward", "check_operation", "check_topological_sort", "check_backward",
           "check_softmax_nll", "check_gates_by_hand"]

INPUTS, GRAPHS = 200, 50
LIKELY = "Likely mistake:"
WHO = ("self", "other")


# --- the operations -------------------------------------------------------------------------


class _Op:
    """How an operation is called, written, and computed by PyTorch.

    ``operands``: "vv" two Values, "v" one, "vc" a Value and a plain number, "vv vc" either.
    ``ops``: the accepted ``_op`` of an operation with its own ``_backward`` (None for one
    made of others: any composition is fine, only values and gradients are compared).
    """

    def __init__(self, attr, form, operands, reference, ops=None, domain=None, constant=None):
        self.attr, self.form, self.operands = attr, form, operands
        self.reference, self.ops = reference, ops
        self.domain = domain or (lambda *args: True)  # are these operands allowed?
        self.constant = constant or _draw_number  # draws the plain number of a "vc" operation

    def write(self, *names):
        return self.form.format(*names)


def _draw_number(rng, low=0.2, high=3.0):
    """A random number of either sign, two decimals, |x| in [low, high]."""
    return rng.choice((-1, 1)) * round(rng.uniform(low, high), 2)


def _exponent(rng):
    return rng.choice((2, 3, -1, -2, 0.5, 1.5, -0.5, 2.5, 4, 1))


def _power_domain(x, k):
    if k != int(k):
        return 0.1 < x < 6
    return 0.3 < abs(x) < 6 if k < 0 else abs(x) < 6


OPERATIONS = {
    "add": _Op("__add__", "{0} + {1}", "vv", lambda a, b: a + b, ("+",)),
    "mul": _Op("__mul__", "{0} * {1}", "vv", lambda a, b: a * b, ("*",)),
    "tanh": _Op("tanh", "tanh({0})", "v", torch.tanh, ("tanh",)),
    "exp": _Op("exp", "exp({0})", "v", torch.exp, ("exp",), lambda x: x < 4),
    # away from x = 1, where log(x) = 0 would hide (and crash) a 1 / out.data
    "log": _Op("log", "log({0})", "v", torch.log, ("log",), lambda x: x > 0.1 and abs(x - 1) > 0.1),
    "pow": _Op("__pow__", "{0}**{1}", "vc", lambda a, k: a**k, ("**",), _power_domain,
               _exponent),
    "relu": _Op("relu", "relu({0})", "v", torch.relu, ("relu", "ReLU"), lambda x: abs(x) > 1e-6),
    "radd": _Op("__radd__", "{1} + {0}", "vc", lambda a, c: c + a),
    "rmul": _Op("__rmul__", "{1} * {0}", "vc", lambda a, c: c * a),
    "neg": _Op("__neg__", "-{0}", "v", lambda a: -a),
    "sub": _Op("__sub__", "{0} - {1}", "vv vc", lambda a, b: a - b),
    "truediv": _Op("__truediv__", "{0} / {1}", "vv vc", lambda a, b: a / b, None,
                   lambda x, y: abs(y) > 0.3),
    "rsub": _Op("__rsub__", "{1} - {0}", "vc", lambda a, c: c - a),
    "rtruediv": _Op("__rtruediv__", "{1} / {0}", "vc", lambda a, c: c / a, None,
                    lambda x, c: abs(x) > 0.3),
}
_FUNCTION = {"pow": "power"}  # the lecture's name of the function, where it differs
_HELPERS = {"add": finished.add, "mul": finished.mul, "tanh": finished.tanh}

# Each operation's local derivative for each Value operand, as the lectures write it:
# x = self.data, y = other.data (or the plain number), k = the plain number, t = out.data.
# The mistakes derived from them are built below.
LOCAL = {"add": ("1.0", "1.0"), "mul": ("y", "x"), "tanh": ("1 - t**2",), "exp": ("t",),
         "log": ("1 / x",), "pow": ("k * x**(k - 1)",), "relu": ("float(x > 0)",),
         "radd": ("1.0",), "rmul": ("y",), "neg": ("-1.0",), "sub": ("1.0", "-1.0"),
         "truediv": ("1 / y", "-x / y**2"), "rsub": ("-1.0",), "rtruediv": ("-y / x**2",)}
# ... as a function of the input alone, and in words
_AT_INPUT = {"tanh": "1 - math.tanh(x)**2", "exp": "math.exp(x)", "log": "1 / x",
             "pow": "k * x**(k - 1)"}
_HUMAN = {"tanh": "1 - tanh(x)**2", "exp": "e**x", "log": "1 / x", "pow": "k * x**(k - 1)"}
_SHOWN = {"x": "self.data", "y": "other.data", "t": "out.data", "g": "out.grad", "k": "k"}


# --- the arc's table: likely mistakes in one operation's gradients ---------------------------
#
# A trial of an operation: ``got`` and ``want`` are the operands' gradients after the backward
# step (lists); ``data``: "name" (the operation), "env" (x, y, k, t and g = out.grad), "p"
# (the gradients the operands held before), "d" (the right contributions), "wrong" (the
# operands wrong on some trial), "default" (out kept the class's do-nothing _backward).
# ``says`` may hold {who} and {other} (the wrong operand and the other one) and {where}.


def _each(grad, names=None, wrong=None, flag=None):
    """A prediction: ``grad(trial, i)`` for each wrong operand, the right gradient elsewhere;
    None for another operation than ``names``, other wrong operands than ``wrong``, or when
    the trial's ``flag`` is false."""
    def predicts(t):
        d = t.data
        if (names and d["name"] not in names) or (wrong is not None and d["wrong"] != wrong) \
                or (flag and not d[flag]):
            return None
        return [grad(t, i) if i in d["wrong"] else w for i, w in enumerate(t.want)]
    return predicts


def _plus(t, i, value):
    """The gradient operand ``i`` had before, plus ``value`` times out.grad."""
    return t.data["p"][i] + value * t.data["env"]["g"]


def _local(t, i):
    return t.data["d"][i] / t.data["env"]["g"]


def _substituted(expression, names):
    """``expression`` with every use of each variable of ``names`` replaced (``{"t": "x"}``: t
    becomes x throughout), as text; :func:`core.renamed` gives one use at a time instead."""
    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):  # noqa: N802 (ast's name)
            return ast.Name(names.get(node.id, node.id), node.ctx)
    return ast.unparse(Rename().visit(ast.parse(expression, mode="eval")))


def _replaced(expression, node, by):
    """``expression`` with the subtree equal to ``node`` replaced by ``by``, as text."""
    class Replace(ast.NodeTransformer):
        def visit_BinOp(self, n):  # noqa: N802 (ast's name)
            return by if ast.dump(n) == ast.dump(node) else self.generic_visit(n)
    return ast.unparse(Replace().visit(ast.parse(expression, mode="eval")))


def _shown(expression, name):
    names = dict(_SHOWN, y="other" if OPERATIONS[name].operands == "vc" else "other.data")
    return _substituted(expression, names)


_PROBES = [{"x": 0.7, "y": -1.3, "k": 2.5, "t": 0.4, "g": -1.7},
           {"x": 1.9, "y": 0.6, "k": -0.5, "t": -0.8, "g": 1.1}]   # tell formulas apart


def _derived(name):
    """The mistakes derived from ``LOCAL[name]``: the derivative from the input instead of the
    output, at the output instead of the input, and each precedence slip of its line."""
    one = OPERATIONS[name].operands in ("v", "vc")
    for i, local in enumerate(LOCAL[name]):
        used = {n.id for n in ast.walk(ast.parse(local, mode="eval")) if isinstance(n, ast.Name)}
        only = [i] if len(LOCAL[name]) == 2 else None
        if "t" in used and name in _HUMAN:
            from_input = _substituted(local, {"t": "x"})
            yield Mistake(
                f"the local derivative was computed from the input: {_HUMAN[name]} is "
                f"`{_shown(local, name)}`, from out.data, the OUTPUT; "
                f"`{_shown(from_input, name)}` puts the input in its place",
                _each(lambda t, i, e=from_input: _plus(t, i, formula_value(e, **t.data["env"])),
                      [name], only))
        if one and name in _AT_INPUT:
            at_output = _substituted(_AT_INPUT[name], {"x": "t"})
            yield Mistake(
                f"the local derivative was evaluated at the OUTPUT: {_HUMAN[name]} is taken at "
                "the input, x = self.data, not at out.data",
                _each(lambda t, i, e=at_output: _plus(t, i, formula_value(e, **t.data["env"])),
                      [name], only))
        for power in [n for n in ast.walk(ast.parse(local, mode="eval"))
                      if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow)]:
            dropped = _replaced(local, power, power.left)
            yield Mistake(
                f"a power is missing in the local derivative: `{_shown(ast.unparse(power), name)}`"
                f", not `{_shown(ast.unparse(power.left), name)}` (the local derivative is "
                f"`{_shown(local, name)}`)",
                _each(lambda t, i, e=dropped: _plus(t, i, formula_value(e, **t.data["env"])),
                      [name], only))
        seen = set()   # a slip of the second line that reads as one of the first: once
        for line in (f"({local}) * g", f"g * ({local})"):
            for slip in core.rebracketed(line):
                probe = []
                for env in _PROBES:
                    value = formula_value(slip, **env)
                    probe.append(None if value is None else round(value, 9))
                if tuple(probe) in seen:
                    continue
                seen.add(tuple(probe))
                how = "misplaced" if "(" in re.sub(r"\w\(", "", slip) else "missing"
                yield Mistake(
                    f"{how} parentheses: {{who}}'s gradient is `{_shown(slip, name)}`, which "
                    "Python reads differently (it does **, * and / before + and -); the local "
                    f"derivative times out.grad is `{_shown(line, name)}`",
                    _each(lambda t, i, s=slip: t.data["p"][i] + formula_value(s, **t.data["env"]),
                          [name], only))


_OWN = {"radd", "rmul", "neg", "sub", "truediv", "rsub", "rtruediv"}
_COMPOSED = {"radd": "self + other", "rmul": "self * other", "neg": "self * -1",
             "sub": "self + (-other)", "truediv": "self * other**-1",
             "rsub": "-self + other", "rtruediv": "self**-1 * other"}
_HAS_OPS = [n for n, op in OPERATIONS.items() if op.ops]


def _x(t, i):
    return t.data["x"][i]


OPERATION_MISTAKES = [
    # how the gradients flow, for every operation
    Mistake("the `_backward` was never attached to the output: write `out._backward = "
            "_backward` before `return out` (on out, not on self)",
            _each(lambda t, i: t.data["p"][i], _HAS_OPS, flag="default")),
    Mistake("the result is a new Value(...) of your own, whose `_backward` is the default that "
            "does nothing, so no gradient reaches the inputs: build {name} from the operations "
            "you have, e.g. `{composed}`: their `_backward`s do the work",
            _each(lambda t, i: t.data["p"][i], _OWN, flag="default")),
    Mistake("the `_backward` never changes {who}.grad: it must add local derivative * out.grad "
            "to each input's grad", _each(lambda t, i: t.data["p"][i], flag="attached"),
            observed=True),
    Mistake("the incoming gradient is missing: each input gets its local derivative TIMES "
            "out.grad (the chain rule), not the local derivative alone",
            _each(lambda t, i: t.data["p"][i] + _local(t, i))),
    Mistake("{who}'s local derivative is multiplied by out.data, the output's VALUE: the chain "
            "rule multiplies by its gradient, out.grad",
            _each(lambda t, i: t.data["p"][i] + _local(t, i) * t.data["env"]["t"])),
    *[Mistake("`=` instead of `+=`{where}: the gradient is set, so what {who} had before is "
              "lost; add to it, {who}.grad += ...", _each(setting)) for setting in (
        lambda t, i: t.data["d"][i],  # ... and set where the contribution is 0 (an if) or not
        lambda t, i: t.data["d"][i] if t.data["d"][i] else t.data["p"][i])],
    Mistake("{who}'s gradient is added twice: `{who}.grad += {who}.grad + ...` adds what it "
            "held once more; write `{who}.grad += local * out.grad` (or `{who}.grad = "
            "{who}.grad + local * out.grad`)",
            _each(lambda t, i: 2 * t.data["p"][i] + t.data["d"][i])),
    *[Mistake("{who}'s local derivative is multiplied by {other}.grad, not by out.grad: the "
              "chain rule multiplies by the gradient of the OUTPUT",
              _each(lambda t, i, k=k: t.data["p"][i] + _local(t, i) * k(t, 1 - i), wrong=[j]))
      for j in (0, 1) for k in (lambda t, i: t.got[i], lambda t, i: t.data["p"][i])],
    Mistake("{who}'s local derivative is multiplied by {who}.grad, its own gradient, not by "
            "out.grad: the chain rule multiplies by the gradient of the OUTPUT",
            _each(lambda t, i: t.data["p"][i] * (1 + _local(t, i)))),
    Mistake("{who}'s local derivative is ADDED to out.grad: the chain rule MULTIPLIES them",
            _each(lambda t, i: t.data["p"][i] + _local(t, i) + t.data["env"]["g"])),
    Mistake("{who}'s gradient is multiplied by out.grad twice: once is the chain rule",
            _each(lambda t, i: t.data["p"][i] + t.data["d"][i] * t.data["env"]["g"])),
    # what no formula shows, operation by operation
    Mistake("the two local derivatives are swapped: self gets other.data * out.grad and other "
            "gets self.data * out.grad", _each(lambda t, i: _plus(t, i, _x(t, i)), ["mul"],
                                               [0, 1])),
    *[Mistake("the same operand is used twice: {who} gets its own data times out.grad; it "
              "must get {other}.data * out.grad",
              _each(lambda t, i: _plus(t, i, _x(t, i)), ["mul"], [j])) for j in (0, 1)],
    Mistake("the local derivative is not {name}'s own value out.data (that holds for exp only)",
            _each(lambda t, i: _plus(t, i, t.data["env"]["t"]), ["tanh", "log", "pow"])),
    Mistake("the + splits out.grad in halves: it passes its WHOLE out.grad to each input",
            _each(lambda t, i: t.data["p"][i] + t.data["d"][i] / 2, ["add"])),
    Mistake("tanh's local derivative is sech(x)**2 = 1 / cosh(x)**2 = 1 - tanh(x)**2, not "
            "sech(x) = 1 / cosh(x): square it",
            _each(lambda t, i: _plus(t, i, 1 / math.cosh(_x(t, i))), ["tanh"])),
    Mistake("log's local derivative is 1 / x, not x",
            _each(lambda t, i: _plus(t, i, _x(t, i)), ["log"])),
    Mistake("the derivative of log10, 1 / (x ln 10): the natural log's is 1 / x",
            _each(lambda t, i: _plus(t, i, 1 / (_x(t, i) * math.log(10))), ["log"])),
    Mistake("the power rule lowers the exponent: k * x**(k - 1), not k * x**k",
            _each(lambda t, i: _plus(t, i, t.data["env"]["k"] * _x(t, i) ** t.data["env"]["k"]),
                  ["pow"])),
    Mistake("the power rule's factor is k, the exponent itself: k * x**(k - 1), not "
            "(k - 1) * x**(k - 1)",
            _each(lambda t, i: _plus(t, i, (t.data["env"]["k"] - 1)
                                     * _x(t, i) ** (t.data["env"]["k"] - 1)), ["pow"])),
    Mistake("the power rule keeps the factor k: k * x**(k - 1), not x**(k - 1)",
            _each(lambda t, i: _plus(t, i, _x(t, i) ** (t.data["env"]["k"] - 1)), ["pow"])),
    Mistake("relu's local derivative is 1 where the input is positive (0 elsewhere), not the "
            "output's value", _each(lambda t, i: _plus(t, i, t.data["env"]["t"]), ["relu"])),
    Mistake("relu's step is inverted: the gradient passes where the input is POSITIVE "
            "(self.data > 0) and is 0 where it is negative",
            _each(lambda t, i: _plus(t, i, float(_x(t, i) < 0)), ["relu"])),
    Mistake("relu passes out.grad through where the input is negative too: its local "
            "derivative is 0 there (self.data > 0 picks where it passes)",
            _each(lambda t, i: _plus(t, i, 1.0), ["relu"])),
    Mistake("relu's step looks at out.grad: it must look at the INPUT, self.data > 0 (out.grad "
            "passes whatever its sign)", _each(lambda t, i: t.data["p"][i]
                                                + max(t.data["env"]["g"], 0.0), ["relu"])),
    Mistake("the incoming gradient is clamped: relu's step looks at the INPUT (self.data > 0); "
            "out.grad then passes whatever its sign",
            _each(lambda t, i: t.data["p"][i] + float(_x(t, i) > 0) * max(t.data["env"]["g"], 0),
                  ["relu"])),
    *[mistake for name in OPERATIONS for mistake in _derived(name)],
]

# relu at exactly 0, tried once the rest is right: the task picks the slope 0 there
ZERO = [Mistake("at exactly x = 0 the task picks the slope 0 (the input is not positive): test "
                "self.data > 0, not self.data >= 0", _each(lambda t, i: _plus(t, i, 1.0)))]

# Two uses of one Value (x op x): each use's contribution, the other one overwritten
SAME = [Mistake("`=` instead of `+=`{where}: the second operand's gradient replaces the first "
                "one's; add to it, self.grad += ...", lambda t, j=j: t.data["each"][j])
        for j in (0, 1)]


# --- the arc's table: a forward pass that computes another operation --------------------------

_BINARY = {"adds": (lambda a, b: a + b, "{0} + {1}"), "multiplies": (lambda a, b: a * b,
                                                                     "{0} * {1}"),
           "subtracts": (lambda a, b: a - b, "{0} - {1}"),
           "divides": (lambda a, b: a / b, "{0} / {1}")}
_VERB = {"add": "adds", "radd": "adds", "mul": "multiplies", "rmul": "multiplies",
         "sub": "subtracts", "rsub": "subtracts", "truediv": "divides", "rtruediv": "divides"}


def _forward_mistake(name, verb, swapped):
    fn, form = _BINARY[verb]
    text = form.format(*(("other", "self") if swapped else ("self", "other")))
    says = (f"the operands are the other way round: out.data is {text} on every input tried; "
            f"{name} computes {OPERATIONS[name].write('self', 'other')}" if verb == _VERB[name]
            else f"the forward pass {verb}: out.data is {text} on every input tried")
    return Mistake(says, lambda t: (t.data["name"] == name or None)
                   and fn(*(t.data["ab"][::-1] if swapped else t.data["ab"])))


FORWARD_MISTAKES = [
    *[_forward_mistake(name, verb, swapped) for name in _VERB for verb in _BINARY
      for swapped in (False, True) if not (swapped and verb in ("adds", "multiplies"))],
    Mistake("a product for the power: out.data is self.data * k on every input tried; the power "
            "is self.data ** k", lambda t: (t.data["name"] == "pow" or None)
            and t.data["ab"][0] * t.data["ab"][1]),
    Mistake("log10 instead of the natural log: out.data is log10(x) = ln(x) / ln(10) on every "
            "input tried; use math.log",
            lambda t: (t.data["name"] == "log" or None) and math.log10(t.data["ab"][0])),
    Mistake("min where max belongs: out.data is min(0, x) on every input tried; relu keeps "
            "the positive part, max(0, x)",
            lambda t: (t.data["name"] == "relu" or None) and min(0.0, t.data["ab"][0])),
]
# lecture 02 knows only + and *: its forward pass is told only that one computes the other
LECTURE_02 = [m for m in FORWARD_MISTAKES if "adds" in m.says or "multiplies" in m.says]


# --- running the learner's code ---------------------------------------------------------------

# A reflected operation runs for `number <op> Value`: (symbol, its method, a way round it).
_REFLECTED = {"radd": ("+", "__radd__", "self + other"), "rmul": ("*", "__rmul__", "self * other"),
              "rsub": ("-", "__rsub__", "as_value(other) - self"),
              "rtruediv": ("/", "__rtruediv__", "as_value(other) / self")}
_RMETHOD = {"+": "__radd__", "-": "__rsub__", "*": "__rmul__", "/": "__rtruediv__",
            "**": "__rpow__"}
_INSTEAD = {"/": "write 1 / other as other ** -1", "-": "write c - other as -other + c",
            "+": "write c + other as other + c", "*": "write c * other as other * c"}


def _explain(name, backward=False):
    """For core.call: what an exception raised by the learner's operation ``name`` (or by its
    ``_backward``) means, or ''."""
    def explain(error):
        text = str(error)
        if isinstance(error, TypeError) and backward and "'Value'" in text:
            return (f". {LIKELY} a Value in a gradient's formula: gradients are plain floats, "
                    "computed from numbers (other.data, not other; out.grad)")
        if isinstance(error, RecursionError):
            if name in _REFLECTED:
                symbol, method, fix = _REFLECTED[name]
                return (f". {LIKELY} {name} calls itself: with `other` a plain number, "
                        f"`other {symbol} self` makes Python call `self.{method}(other)`, which "
                        f"is {name} again, without end. Put the Value first, `{fix}`")
            if name == "truediv":
                return (f". {LIKELY} `1 / other` with other a Value calls Value.__rtruediv__, "
                        "which is made of truediv itself (or comes later), so each calls the "
                        "other without end: write the reciprocal as other ** -1")
            return (". The operation calls itself without end, through the operations it is "
                    "made of: build it from operations that do not use it")
        number_first = re.search(r"unsupported operand type\(s\) for ([^:]+): '(?:int|float)' "
                                 r"and '(\w+)'", text)
        if isinstance(error, TypeError) and number_first and not number_first[1].endswith("="):
            symbol = number_first[1].strip()
            return (f". {LIKELY} `number {symbol} Value` needs Value."
                    f"{_RMETHOD.get(symbol, '?')}, which your Value does not have (yet: the "
                    f"lecture adds it later): keep a Value on the left, "
                    f"{_INSTEAD.get(symbol, 'rewrite it')}")
        if isinstance(error, AttributeError) and re.search(r"'(int|float)' object has no "
                                                           r"attribute 'data'", text):
            return (f". `other` is a plain number here, and a number has no .data: {name} "
                    "takes a number as well as a Value"
                    + (f"; {_build_it(name)}" if name in _COMPOSED else
                       ": make a Value of it first"))
        if isinstance(error, TypeError) and re.search(r"not '?Value'?|'Value'", text):
            return (". A Value stands where a plain number is needed: data and gradients are "
                    "floats, use .data")
        return ""
    return explain


def _is_value(x):
    return all(hasattr(x, attr) for attr in ("data", "grad", "_prev"))


def _class_function(Value, attr, name):
    """The function the class uses for ``attr``, or a refusal that says how to attach it."""
    fn = getattr(Value, attr, None)
    if fn is None:
        core.refuse(f"{Value.__name__} has no `{attr}`: attach your function, "
                    f"`Value.{attr} = {_FUNCTION.get(name, name)}`")
    return fn


def _operation(Value, name, *rest, **kwargs):
    """core.check's name for a check whose second argument names the operation."""
    return name


@contextlib.contextmanager
def _own(fn, shown):
    """A stub in the learner's own function ``fn`` is reported by the check's name."""
    try:
        yield
    except core.NotYet as stub:
        if stub.args and stub.args[0] == getattr(fn, "__name__", None):
            raise core.NotYet(shown) from None
        raise


def _scale(*values):
    """The size of the numbers an answer is computed from, for core.close."""
    return max([abs(v) for v in values if isinstance(v, numbers.Real)] + [0.0])


# --- one operation on fresh inputs ------------------------------------------------------------


def _draw(op, rng):
    """Operands for one trial: the Value data, and the plain number if any (or None)."""
    while True:
        if _with_number(op, rng):
            data, const = [_draw_number(rng)], op.constant(rng)
        else:
            data, const = [_draw_number(rng) for _ in range(_arity(op))], None
        if op.domain(*data, *([] if const is None else [const])):
            return data, const


def _arity(op):
    return 2 if op.operands.startswith("vv") else 1


def _with_number(op, rng):
    return op.operands == "vc" or (op.operands == "vv vc" and rng.random() < 0.4)


def _signed(rng):
    """An upstream gradient: either sign, never 1 (which would hide a missing out.grad)."""
    g = rng.choice((-1, 1)) * round(rng.uniform(0.5, 2.0), 2)
    return 1.5 if g == 1.0 else g


def _torch_result(op, data, const, g):
    """PyTorch's out.data and each Value operand's gradient, for out.grad = g."""
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in data]
    out = op.reference(*ts, *([] if const is None else [const]))
    out.backward(torch.tensor(g, dtype=torch.float64))
    return out.item(), [t.grad.item() for t in ts]


def _value(op, xs, const):
    t = [torch.tensor(x, dtype=torch.float64) for x in xs]
    return op.reference(*t, *([] if const is None else [const])).item()


def _backprop(root, name, where=""):
    """Run every node's _backward, outputs first (root.grad set already). An input (no
    ``_prev``) has nothing to pass on: its ``_backward`` is not needed."""
    for node in reversed(topological_order(root)):
        if not node._prev:
            continue
        if not hasattr(node, "_backward"):
            core.refuse(f"{name}: a value in its result has no `_backward`: set "
                        "`out._backward = _backward` before returning out")
        step = node._backward
        if not callable(step):
            core.refuse(f"{name}: out._backward is {core.kind(step)}, not a function: attach "
                        "the function itself, `out._backward = _backward` (no parentheses)")
        core.call(step, what=f"{name}'s _backward{where}", explain=_explain(name, True))


def _expression(op, data, const, same=False):
    names = ["x", "x"] if same else list(WHO[:len(data)])
    if const is not None:
        names.append(repr(const))
    given = ", ".join(f"{n} = {x!r}" for n, x in zip(names, data, strict=False))
    return f"out = {op.write(*names)} with {given}"


def _apply(Value, name, op, fn, data, const, same=False, priors=None, forward=None):
    """The learner's operation on fresh Values: (text, the input Values, out), its structure
    and forward value checked (a forward value that differs is diagnosed with ``forward``,
    by default FORWARD_MISTAKES)."""
    xs = [Value(x) for x in data]
    if same:
        xs = [xs[0], xs[0]]
    for x, p in zip(xs, priors or [0.0] * len(xs), strict=True):
        x.grad = p
    args = xs + ([] if const is None else [const])
    before = [x.data for x in xs]
    steps = [getattr(x, "_backward", None) for x in xs]
    text = _expression(op, data, const, same)
    with _own(fn, name):
        out = core.call(fn, *args, what=f"{name} on {text}", explain=_explain(name))
    problem = _structure(name, op, text, xs, out, before, const)
    if problem:
        core.refuse(problem)
    want = _value(op, [x.data for x in xs], const)
    got = out.data
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        core.refuse(f"{name}: out.data is {core.kind(got)} on {text}; expected a float "
                    f"({core.fmt(want)})")
    if not core.close(got, want, _scale(*data, const)):
        w, v = core.fmt_pair(want, got)
        core.refuse(f"{name}: the forward value differs on {text}: out.data is {v}, expected "
                    f"{w}" + _forward_diagnosis(Value, name, op, fn, forward))
    if any(getattr(x, "_backward", None) is not s for x, s in zip(xs, steps, strict=True)):
        core.refuse(f"{name} replaced the `_backward` of its input on {text} "
                    "(self._backward = ...): attach the function to the new Value, "
                    "`out._backward = _backward`")
    return text, xs, out


def _trial(Value, name, op, fn, data, const, g, priors=None):
    """One trial of the operation and its backward step, as a core.Trial."""
    priors = priors or [0.0] * len(data)
    text, xs, out = _apply(Value, name, op, fn, data, const, priors=priors)
    out.grad = g
    where = f" on {text} and out.grad = {g}"
    _backprop(out, name, where)
    _grad_types(name, where, zip(WHO, xs, strict=False))
    t, d = _torch_result(op, data, const, g)
    env = {"x": data[0], "y": data[1] if len(data) > 1 else const, "k": const, "t": t, "g": g}
    blank = getattr(type(out)(0.0), "_backward", None)
    default = getattr(getattr(out, "_backward", None), "__code__", 0) is getattr(
        blank, "__code__", 1)
    return core.Trial(where[1:], [x.grad for x in xs],
                      [p + c for p, c in zip(priors, d, strict=True)],
                      {"name": name, "env": env, "x": data, "p": priors, "d": d, "out": out,
                       "text": text, "default": default, "attached": not default},
                      _scale(*data, g, *priors, *d))


def _grad_types(name, where, named, how="compute it from numbers (other.data, out.grad), "
                                           "not from Values (use .data)"):
    """Refuse when a (name, Value)'s .grad is not a plain number."""
    for who, x in named:
        if isinstance(x.grad, bool) or not isinstance(x.grad, numbers.Real):
            core.refuse(f"{name}: after the backward step{where}, {who}.grad is "
                        f"{core.kind(x.grad)}, not a number: a gradient must be a float; {how}")


def _inputs(node):
    """A node's children that are values (none where ``_prev`` is not a collection)."""
    prev = getattr(node, "_prev", ())
    return [p for p in prev if _is_value(p)] if hasattr(prev, "__iter__") else []


def _reaches(out, xs):
    """For each Value in ``xs``: can it be reached from ``out`` through ``_prev``?"""
    seen = {id(n) for n in topological_order(out, _inputs)}
    return [id(x) in seen for x in xs]


def _build_it(name):
    return (f"build {name} from the operations you have, e.g. `{_COMPOSED[name]}`: their "
            "`_backward`s do the work")


def _op_label(opname, op, const):
    """Whether ``_op`` is right: the operation's symbol, with the exponent for a power."""
    if not isinstance(opname, str):
        return False
    if op.ops == ("**",):
        try:
            return opname.startswith("**") and float(opname[2:]) == const
        except ValueError:
            return False
    return opname in op.ops


def _structure(name, op, text, xs, out, before, const=None):
    """What is wrong with the output's type, inputs or children, or None."""
    if any(x.data != b for x, b in zip(xs, before, strict=True)):
        return (f"{name} changed its input's data on {text}: leave the inputs alone and "
                "return a new Value")
    if not _is_value(out):
        fix = "return out, the new Value" if out is None or isinstance(out, numbers.Number) \
            else "return a Value"
        return f"{name} returned {core.kind(out)} on {text}: {fix}"
    if any(out is x for x in xs):
        return f"{name} returned its input itself on {text}: return a new Value"
    if not op.ops:
        cut = [w for w, x, r in zip(WHO, xs, _reaches(out, xs), strict=False) if not r]
        if cut:
            return (f"{name}: on {text} the result is cut off from {' and '.join(cut)} "
                    f"(out._prev is {getattr(out, '_prev', None)!r}), so no gradient can flow "
                    f"back: a new Value(...) made from numbers cuts the graph; {_build_it(name)}")
        return None
    prev = list(out._prev) if hasattr(out._prev, "__iter__") else None
    inputs = "(self, other)" if len(xs) == 2 else "(self,)"
    if not prev:
        return (f"{name}: out._prev is {out._prev!r} on {text}: give the new Value its inputs "
                f"as children, Value(..., {inputs}, ...)")
    if any(not _is_value(p) for p in prev):
        return (f"{name}: out._prev holds {', '.join(core.kind(p) for p in prev)} on {text}: "
                f"the children are the input Values themselves, {inputs}, not their data")
    missing = [w for w, x in zip(WHO, xs, strict=False) if all(p is not x for p in prev)]
    if missing:
        return (f"{name}: out._prev on {text} leaves out {' and '.join(missing)}: the children "
                f"are {inputs}")
    ordered = isinstance(out._prev, tuple | list) and len(xs) == 2 and xs[0] is not xs[1]
    if ordered and len(prev) == 2 and prev[0] is xs[1] and prev[1] is xs[0]:
        return (f"{name}: out._prev is (other, self) on {text}: the children in the order of "
                "the operands, (self, other) (the drawings and the listing read them in that "
                "order)")
    if not _op_label(getattr(out, "_op", None), op, const):
        want = "f\"**{k}\", the exponent included (e.g. '**3')" if op.ops == ("**",) \
            else repr(op.ops[0])
        return f"{name}: out._op is {getattr(out, '_op', None)!r}; expected {want}"
    return None


def _ratio(pairs):
    """The constant r with got = r * expected on every (got, expected), or None."""
    ratios = [g / e for g, e in pairs if abs(e) > 1e-9]
    if not ratios or not all(core.close(g, 0.0, 1.0) for g, e in pairs if abs(e) <= 1e-9):
        return None
    r = ratios[0]
    if r == 0:   # all zero: "got 0" says it already
        return None
    return r if all(core.close(q, r) for q in ratios) and not core.close(r, 1.0) else None


def _factor_text(r):
    """What a constant factor r between the learner's numbers and the right ones says (a
    description of what differs, not a mistake named)."""
    names = {-1.0: "the opposite sign of the right one", 0.5: "exactly half the right one",
             2.0: "exactly 2 times the right one"}
    text = next((t for value, t in names.items() if math.isclose(r, value, rel_tol=1e-6)),
                f"exactly {r:.6g} times the right one")
    return f" ({text}, on every input tried)"


def _forward_diagnosis(Value, name, op, fn, mistakes=None):
    """'. Likely mistake: ...' (or a constant factor) that explains the learner's forward
    values on 20 fresh inputs, or ''. ``mistakes``: default FORWARD_MISTAKES."""
    import random
    rng = random.Random(f"forward {name}")
    trials = []
    for _ in range(20):
        data, const = _draw(op, rng)
        extra = [] if const is None else [const]
        try:
            got = core.call(fn, *[Value(x) for x in data], *extra).data
        except (core.Refused, core.NotYet, AttributeError):
            return ""
        if isinstance(got, bool) or not isinstance(got, numbers.Real):
            return ""
        trials.append(core.Trial("", got, _value(op, data, const),
                                 {"name": name, "ab": data + extra}, _scale(*data, *extra)))
    says = core.diagnose(trials, FORWARD_MISTAKES if mistakes is None else mistakes)
    if says:
        return f". {LIKELY} {says}"
    r = _ratio([(t.got, t.want) for t in trials])
    return _factor_text(r) if r is not None else ""


def _who(i, n):
    return WHO[i] if n == 2 else "self"


def _where(name, fn, out):
    """Where an `=` is: in the operation's own _backward, or in one it is made of."""
    own = getattr(getattr(out, "_backward", None), "__qualname__", "")
    mine = own.startswith(getattr(fn, "__qualname__", "?") + ".")
    return "" if OPERATIONS[name].ops or mine else " in an operation it is made of"


def _alike(trials):
    """The trials with as many Value operands as the first wrong one."""
    n = len(next(t for t in trials if not t.right).want)
    return [t for t in trials if len(t.want) == n]


def _named(says, name, trials, fn):
    """The table's ``says`` with its {who}, {other}, {where}, {name}, {composed} filled in."""
    t = trials[0]
    n, wrong = len(t.want), t.data.get("wrong", [0])
    who = " and ".join(_who(i, n) for i in wrong)
    other = _who(1 - wrong[0], n) if n == 2 and len(wrong) == 1 else "the other input"
    for key, value in {"who": who, "other": other, "name": name,
                       "where": _where(name, fn, t.data.get("out")),
                       "composed": _COMPOSED.get(name, "")}.items():
        says = says.replace("{" + key + "}", value)
    return says


def _diagnosis(trials, mistakes, name, fn):
    """'. Likely mistake: ...' when one of ``mistakes`` fits every trial; else a constant
    factor between the wrong gradients and the right ones, when there is one; else ''."""
    n = len(trials[0].want)
    wrong = sorted({i for t in trials for i in range(n)
                    if not core.close(t.got[i], t.want[i], t.scale)})
    for t in trials:
        t.data["wrong"] = wrong
    says = core.diagnose(trials, mistakes)
    if says:
        return f". {LIKELY} {_named(says, name, trials, fn)}"
    ratios = [_ratio([(t.got[i] - t.data["p"][i], t.data["d"][i]) for t in trials])
              for i in wrong]
    if ratios and all(r is not None and math.isclose(r, ratios[0], rel_tol=1e-6)
                      for r in ratios):
        return _factor_text(ratios[0])
    return ""


def _first_wrong(name, trials, before=""):
    """The first trial with a wrong gradient, said plainly."""
    t = next(t for t in trials if not t.right)
    i = next(i for i in range(len(t.want)) if not core.close(t.got[i], t.want[i], t.scale))
    w, v = core.fmt_pair(t.want[i], t.got[i])
    who = _who(i, len(t.want))
    if before:
        p = t.data["p"][i]
        return (f"{name}: {who} already had grad = {p} (from another use of that value) before "
                f"{t.data['text']} and out.grad = {t.data['env']['g']}; after the backward "
                f"step it should be {p} + {core.fmt(t.data['d'][i])} "
                f"= {w}, got {v}")
    return (f"{name}: the gradient of {who} differs {t.shown}: expected {w} (float64 "
            f"PyTorch), got {v}")


def _fresh_inputs(Value, name, op, fn, rng, reuse):
    """INPUTS trials with fresh, signed upstream gradients; refuse with a diagnosis, made
    (with ``reuse``) on trials with gradients already present too: they tell apart mistakes
    that fresh gradients of 0 hide (another input's gradient in place of out.grad)."""
    trials = []
    for _ in range(INPUTS):
        data, const = _draw(op, rng)
        trials.append(_trial(Value, name, op, fn, data, const, _signed(rng)))
    if not all(t.right for t in trials):
        pool = _alike(trials)
        try:
            more = _with_priors(Value, name, op, fn, rng) if reuse else []
        except (core.Refused, core.NotYet):
            more = []
        pool += [t for t in more if len(t.want) == len(pool[0].want)]
        core.refuse(_first_wrong(name, trials) + _diagnosis(pool, OPERATION_MISTAKES, name, fn))
    if name == "relu":  # right everywhere else: the input where the task picks a side
        zero = _trial(Value, name, op, fn, [0.0], None, 1.5)
        if not zero.right:
            core.refuse(_first_wrong(name, [zero]) + _diagnosis([zero], ZERO, name, fn))


def _with_priors(Value, name, op, fn, rng):
    """Trials whose operands hold gradients already (from other uses)."""
    trials = []
    for _ in range(INPUTS // 4):
        data, const = _draw(op, rng)
        trials.append(_trial(Value, name, op, fn, data, const, _signed(rng),
                             [_draw_number(rng) for _ in data]))
    return trials


def _reused(Value, name, op, fn, rng):
    """Gradients already present, and one Value as both operands: they must add up."""
    trials = _with_priors(Value, name, op, fn, rng)
    if not all(t.right for t in trials):
        core.refuse(_first_wrong(name, trials, before=True)
                    + _diagnosis(_alike(trials), OPERATION_MISTAKES, name, fn))
    if not op.operands.startswith("vv"):
        return
    trials = []
    for _ in range(INPUTS // 4):
        x = _draw_number(rng)
        if not op.domain(x, x):
            continue
        g = _signed(rng)
        text, xs, out = _apply(Value, name, op, fn, [x], None, same=True)
        out.grad = g
        _backprop(out, name, f" on {text} and out.grad = {g}")
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        op.reference(t, t).backward(torch.tensor(g, dtype=torch.float64))
        _, each = _torch_result(op, [x, x], None, g)  # as if they were two Values
        trials.append(core.Trial(f"on {text} (the same Value as both operands) and out.grad "
                                 f"= {g}", xs[0].grad, t.grad.item(),
                                 {"each": each, "out": out}, _scale(x, g, *each)))
    if not all(t.right for t in trials):
        t = next(t for t in trials if not t.right)
        w, v = core.fmt_pair(t.want, t.got)
        says = core.diagnose(trials, SAME)
        core.refuse(f"{name}: the gradient of x differs {t.shown}: expected {w} (both uses "
                    f"added up), got {v}"
                    + (f". {LIKELY} {says.replace('{where}', _where(name, fn, t.data['out']))}"
                       if says else ""))


@core.check(name=_operation)
def check_operation(Value, name, reuse=True, *, rng=None):
    """Check one operation of the learner's ``Value`` (name in ``OPERATIONS``) and its
    ``_backward``, called through the class (``Value.__mul__``, ``Value.tanh``, ...).

    ``reuse=False``: no value used twice, no gradient already present (before the ``+=``).
    """
    if name not in OPERATIONS:
        raise ValueError(f"check_operation: unknown operation {name!r}; use one of "
                         f"{', '.join(OPERATIONS)}")
    op = OPERATIONS[name]
    fn = _class_function(Value, op.attr, name)
    _fresh_inputs(Value, name, op, fn, rng, reuse)
    if reuse:
        _reused(Value, name, op, fn, rng)
    for size in range(GRAPHS):
        _graph_test(Value, name, op, fn, rng, size, reuse)
    kind = "values used twice included" if reuse else "no value used twice"
    core.passed(name, f"{INPUTS} random inputs and {GRAPHS} random graphs, {kind}; vs float64 "
                      "PyTorch")


# --- random graphs ------------------------------------------------------------------------------


def _random_graph(rng, ops, size, reuse, share=False, most=6):
    """A random expression graph as steps: ('leaf', x) or (name, [operand indices], const).

    ``ops``: the names of the operations that may appear; the first appears at least
    once; ``size`` sets how many operations, 1 to ``most``. With ``reuse``, operands may
    be used by several nodes (and twice by one); without it, every node is used once.
    All nodes end up in the root (a sum).
    """
    while True:
        steps = [("leaf", _draw_number(rng, 0.2, 2.5)) for _ in range(rng.randint(2, 4))]
        values = [s[1] for s in steps]
        unused = list(range(len(steps)))
        for _ in range(1 + size % most):
            name = rng.choice(ops + [ops[0]] * 2)
            op = OPERATIONS[name]
            pool = list(range(len(values))) if reuse else unused
            step = _pick(rng, op, name, values, pool, tree=not reuse)
            if step is None:
                continue
            args, const = step[1], step[2]
            if not reuse:
                for a in args:
                    unused.remove(a)
            unused.append(len(steps))
            steps.append(step)
            values.append(_value(op, [values[a] for a in args], const))
        if not any(s[0] == ops[0] for s in steps):
            continue
        while len(unused) > 1:  # every node reaches the root: add them up
            a, b = unused.pop(0), unused.pop(0)
            steps.append(("add", [a, b], None))
            values.append(values[a] + values[b])
            unused.append(len(steps) - 1)
        if all(abs(v) < 1e4 for v in values) and (_shares(steps) or not share):
            return steps


def _pick(rng, op, name, values, pool, tree):
    """A step applying ``op`` to operands from ``pool`` that are in its domain, or None."""
    for _ in range(20):
        const = op.constant(rng) if _with_number(op, rng) else None
        n = 1 if const is not None else _arity(op)
        if len(pool) < n:
            return None
        args = rng.sample(pool, n) if tree else [rng.choice(pool) for _ in range(n)]
        operands = [values[a] for a in args] + ([] if const is None else [const])
        if op.domain(*operands) and abs(_value(op, operands[:n], const)) < 1e4:
            return (name, args, const)
    return None


def _shares(steps):
    uses = [a for s in steps if s[0] != "leaf" for a in s[1]]
    return len(uses) != len(set(uses))


def _build(Value, steps, own=None):
    """The graph's nodes in the learner's engine: ``own`` (name, fn) is the learner's
    operation, the others are the finished ones from helpers.finished.value."""
    nodes = []
    for step in steps:
        if step[0] == "leaf":
            nodes.append(Value(step[1]))
            continue
        name, args, const = step
        fn = own[1] if own and name == own[0] else _HELPERS[name]
        extra = [] if const is None else [const]
        nodes.append(core.call(fn, *[nodes[a] for a in args], *extra, what=name,
                               explain=_explain(name)))
    return nodes


def _torch_graph(steps):
    """Every node's value and each leaf's gradient (None for the others), float64 PyTorch."""
    nodes = []
    for step in steps:
        if step[0] == "leaf":
            nodes.append(torch.tensor(step[1], dtype=torch.float64, requires_grad=True))
        else:
            name, args, const = step
            extra = [] if const is None else [const]
            nodes.append(OPERATIONS[name].reference(*[nodes[a] for a in args], *extra))
    nodes[-1].backward()
    return [n.item() for n in nodes], [n.grad.item() if s[0] == "leaf" else None
                                       for n, s in zip(nodes, steps, strict=True)]


def _graph_scale(values, grads):
    return _scale(*values, *[g for g in grads if g is not None], 1.0)


def _listing(steps, marked=None):
    """The graph as lines 'c = a * b', leaves first, the root marked."""
    names = [chr(ord("a") + i) if i < 26 else f"v{i}" for i in range(len(steps))]
    leaves = ", ".join(f"{names[i]} = {s[1]!r}" for i, s in enumerate(steps) if s[0] == "leaf")
    lines = [leaves]
    for i, step in enumerate(steps):
        if step[0] != "leaf":
            name, args, const = step
            operands = [names[a] for a in args] + ([] if const is None else [repr(const)])
            mark = "   <- yours" if name == marked else ""
            lines.append(f"{names[i]} = {OPERATIONS[name].write(*operands)}{mark}")
    lines[-1] += "   (output)"
    return names, "\n    ".join(lines)


def _graph_test(Value, name, op, fn, rng, size, reuse):
    ops = [name] + [h for h in _HELPERS if h != name]
    steps = _random_graph(rng, ops, size, reuse, share=reuse and size % 2 == 0)
    with _own(fn, name):
        nodes = _build(Value, steps, (name, fn))
    values, grads = _torch_graph(steps)
    scale = _graph_scale(values, grads)
    names, listing = _listing(steps, name)
    for i, node in enumerate(nodes):
        if not isinstance(node.data, numbers.Real) or not core.close(node.data, values[i],
                                                                     scale):
            core.refuse(f"{name}: the forward value of {names[i]} differs on this graph:\n    "
                        f"{listing}\n  {names[i]}.data is {node.data!r:.12}, expected "
                        f"{core.fmt(values[i])}")
    nodes[-1].grad = 1.0
    _backprop(nodes[-1], name, f" on this graph:\n    {listing}\n ")
    _grad_types(name, f" on this graph:\n    {listing}\n ",
                [(names[i], n) for i, n in enumerate(nodes)])
    for i, step in enumerate(steps):
        if step[0] == "leaf" and not core.close(nodes[i].grad, grads[i], scale):
            shared = " (values used more than once)" if _shares(steps) else ""
            w, v = core.fmt_pair(grads[i], nodes[i].grad)
            core.refuse(f"{name}: the gradient of {names[i]} differs on this graph{shared}, "
                        f"backpropagated from its output with grad 1:\n    {listing}\n  expected "
                        f"{w} (float64 PyTorch), got {v}")


# --- lecture 02: the forward pass -----------------------------------------------------------


@core.check(name=_operation)
def check_forward(Value, name, *, rng=None):
    """The forward pass of ``Value``'s add or mul (lecture 02): out.data, out._prev (the
    two input Values, in the order (self, other)) and out._op, on fresh inputs and random
    expressions of that operation."""
    if name not in ("add", "mul"):
        raise ValueError(f"check_forward: unknown operation {name!r}; use 'add' or 'mul'")
    op = OPERATIONS[name]
    fn = _class_function(Value, op.attr, name)
    for _ in range(INPUTS):
        _apply(Value, name, op, fn, [_draw_number(rng), _draw_number(rng)], None,
               forward=LECTURE_02)
    for size in range(GRAPHS):
        steps = _random_graph(rng, [name], size, True, share=size % 2 == 0)
        with _own(fn, name):
            nodes = _build(Value, steps, (name, fn))
        values, _ = _torch_graph(steps)
        names, listing = _listing(steps)
        for i, node in enumerate(nodes):
            if not core.close(node.data, values[i], _scale(*values)):
                w, v = core.fmt_pair(values[i], node.data)
                core.refuse(f"{name}: the value of {names[i]} differs on\n    {listing}\n  got "
                            f"{v}, expected {w}")
    core.passed(name, f"forward pass: data, _prev, _op on {INPUTS} random inputs and {GRAPHS} "
                      "random expressions")


# --- the topological sort ---------------------------------------------------------------------


def _sort_graphs(rng):
    """Random graphs of finished Values (many share values), a lone leaf, a long chain."""
    graphs = []
    for size in range(GRAPHS - 2):
        steps = _random_graph(rng, list(_HELPERS), size, True, share=size % 3 != 2, most=14)
        graphs.append(_build(finished.Value, steps))
    chain = [finished.Value(0.1)]
    for _ in range(150):
        chain.append(finished.add(chain[-1], chain[0]))
    return graphs + [[finished.Value(0.5)], chain]


def _valid(ids, nodes):
    """Whether ``ids`` (of ``nodes``, each once) puts every value after all of its inputs."""
    position = {i: k for k, i in enumerate(ids)}
    return all(position[id(c)] < position[id(n)] for n in nodes for c in n._prev)


def _depths(root):
    """Each value's distance from the root along the shortest path (breadth-first)."""
    depth, frontier = {id(root): 0}, [root]
    while frontier:
        nxt = []
        for node in frontier:
            for c in node._prev:
                if id(c) not in depth:
                    depth[id(c)] = depth[id(node)] + 1
                    nxt.append(c)
        frontier = nxt
    return depth


def _order_problem(order, root):
    """What is wrong with ``order`` as a topological order of ``root``'s graph, and which
    structural mistake it shows: (problem, mistake or None), or None when it is valid."""
    nodes = topological_order(root)
    label = {id(n): f"v{i}" for i, n in enumerate(nodes)}
    ids = [id(n) for n in order]
    duplicates = sorted({label.get(i, "?") for i in ids if ids.count(i) > 1})
    if duplicates:
        paths = {id(root): 1}  # how many paths lead from the root to each value
        for n in reversed(nodes):
            for c in n._prev:
                paths[id(c)] = paths.get(id(c), 0) + paths[id(n)]
        twice = [i for i in set(ids) if ids.count(i) > 1]
        revisited = all(paths.get(i) == ids.count(i) for i in twice)
        return (f"the order lists {', '.join(duplicates)} more than once (each value must "
                "appear once)", "revisited" if revisited else None)
    if not set(ids) <= {id(n) for n in nodes}:
        return "the order holds values that are not in the graph", None
    missing = [label[id(n)] for n in nodes if id(n) not in set(ids)]
    if missing == [label[id(root)]]:
        return "the order leaves out the root itself (it must come last)", None
    if missing:
        shallow = set(ids) == {id(root)} | {id(c) for c in root._prev}
        return (f"the order leaves out {', '.join(missing)} (every value the root depends on "
                "must be in it, inputs included)", "shallow" if shallow else None)
    if _valid(ids, nodes):
        return None
    depth = _depths(root)
    mistake = {"reversed": _valid(ids[::-1], nodes), "preorder": ids[0] == id(root),
               "breadth": all(depth[a] >= depth[b] for a, b in zip(ids, ids[1:], strict=False))}
    position = {i: k for k, i in enumerate(ids)}
    if all(position[id(c)] > position[id(n)] for n in nodes for c in n._prev):
        return "the order is reversed: every value comes BEFORE its inputs", mistake
    n, c = next((n, c) for n in nodes for c in n._prev if position[id(c)] > position[id(n)])
    return (f"{label[id(n)]} comes before its input {label[id(c)]} (every value must come "
            "after all of its inputs)", mistake)


# What each kind of wrong order says: named only when it shows on every graph that is wrong.
SORT_MISTAKES = {
    "shallow": "only the root and its own inputs are listed: the inputs' inputs, and theirs, "
               "must come in too; visit each input the same way as the root (a recursive "
               "function, or a stack), appending a value after its inputs",
    "revisited": "no record of the values already placed: a value reached along two paths is "
                 "placed twice; keep a `visited` set and skip what is in it",
    "reversed": "the order is the reverse of a valid one, the root first: return it as "
                "built, the root last (backward() reverses it itself); is a `reversed(...)` or "
                "`[::-1]` one too many?",
    "preorder": "values are placed before their inputs, the root first (in a depth-first "
                "search, append a node AFTER visiting its inputs): the root must come last",
    "breadth": "a breadth-first search (a queue), reversed: it orders values by their distance "
               "from the root, but a value reached by a short path and a long one must come "
               "after everything on the long one too; use a depth-first search that appends "
               "each value after visiting its inputs",
}


@core.check(name="topological_order")
def check_topological_sort(topological_order, *, rng=None):
    """``topological_order(root)``: a list of every value in the graph of ``root``, root
    included, each once and after all of its inputs. Any valid order passes."""
    first, kinds = None, []
    for nodes in _sort_graphs(rng):
        root = nodes[-1]
        before = [(n.data, n.grad) for n in nodes]
        with _own(topological_order, "topological_order"):
            result = core.call(topological_order, root, what="topological_order(root)")
        if isinstance(result, set | frozenset):
            core.refuse("topological_order(root) returned a set: a set has no order; return a "
                        "list, each value after its inputs")
        if result is None or isinstance(result, numbers.Number) or _is_value(result):
            core.refuse(f"topological_order(root) returned {core.kind(result)}: return the list "
                        "of values")
        try:
            order = list(result)
        except TypeError:
            core.refuse(f"topological_order(root) returned {core.kind(result)}: return a list "
                        "of values")
        if [(n.data, n.grad) for n in nodes] != before:
            core.refuse("topological_order(root) changed the data or grad of values: it should "
                        "only read the graph")
        problem = _order_problem(order, root)
        if problem:
            first = first or (problem[0], root)
            kinds.append(problem[1])
    if first:
        what, root = first
        shown = [k for k in ("revisited", "shallow", "reversed", "breadth", "preorder")
                 if all(k == kind or isinstance(kind, dict) and kind.get(k) for kind in kinds)]
        mistake = shown[0] if shown else None
        core.refuse(f"topological_order: {what}, on this graph:\n    {_describe(root)}"
                    + (f"\n  {LIKELY} {SORT_MISTAKES[mistake]}" if mistake else ""))
    core.passed("topological_order", f"a valid order on {GRAPHS} random graphs, values shared "
                                      "between nodes included")


def _describe(root):
    """The graph of ``root`` as 'v2 = v0 * v1' lines (names as in the sort check's messages)."""
    nodes = topological_order(root)
    if len(nodes) > 12:
        return f"({len(nodes)} values; the output is {root!r})"
    label = {id(n): f"v{i}" for i, n in enumerate(nodes)}
    lines = []
    for n in nodes:
        inputs = [label[id(c)] for c in n._prev]
        if not inputs:
            lines.append(f"{label[id(n)]} = {n.data!r}")
        elif len(inputs) == 2:
            lines.append(f"{label[id(n)]} = {inputs[0]} {n._op} {inputs[1]}")
        else:
            lines.append(f"{label[id(n)]} = {n._op}({inputs[0]})")
    return "\n    ".join(lines) + "   (output)"


# --- backward() -----------------------------------------------------------------------------------

# After a first backward() nobody reset (the root holds 1, the leaves hold gradients): what a
# backward() predicts for the root and for the leaves.
BACKWARD_MISTAKES = [
    Mistake("the seed is added, self.grad += 1.0: SET it, self.grad = 1.0 (inputs add up "
            "contributions from several uses; the root has no use, its gradient is d root / "
            "d root = 1)",
            lambda t: [2.0] + [h + 2 * g for h, g in zip(t.data["held"][1:], t.data["fresh"],
                                                      strict=True)]),
    Mistake("backward() sets the gradients to zero first: leave that to the caller (it resets "
            "them before each pass), set only the root's grad to 1",
            lambda t: [1.0] + t.data["fresh"]),
]


def _check_keeps_gradients(Value, fn, steps):
    """backward() adds to the gradients the inputs already hold (resetting them is the
    caller's job, lecture 03, section 4), and SETS the root's seed to 1 whatever it held (a
    second backward() without a reset must start from 1 again)."""
    nodes = _build(Value, steps)
    values, grads = _torch_graph(steps)
    leaves = [i for i, s in enumerate(steps) if s[0] == "leaf"]
    held = [0.25 * (i + 1) for i in leaves]
    for i, g in zip(leaves, held, strict=True):
        nodes[i].grad = g
    root = nodes[-1]
    root.grad = 1.0  # as after a first backward() that nobody reset
    core.call(fn, root, what="backward()")
    names, listing = _listing(steps)
    trial = core.Trial(f"on\n    {listing}", [root.grad] + [nodes[i].grad for i in leaves],
                       [1.0] + [h + grads[i] for h, i in zip(held, leaves, strict=True)],
                       {"held": [1.0] + held, "fresh": [grads[i] for i in leaves]},
                       _graph_scale(values, grads))
    if trial.right:
        return
    says = core.diagnose([trial], BACKWARD_MISTAKES)
    likely = f". {LIKELY} {says}" if says else ""
    if not core.close(root.grad, 1.0):
        core.refuse("backward: the root already had grad = 1 (from an earlier backward() that "
                    f"was not reset) and after root.backward() it is {core.fmt(root.grad)}; the "
                    "seed must be 1 whatever the root held" + likely)
    k = next(k for k, i in enumerate(leaves)
             if not core.close(nodes[i].grad, trial.want[k + 1], trial.scale))
    i = leaves[k]
    core.refuse(f"backward: with {names[i]}.grad = {core.fmt(held[k])} before root.backward() on\n"
                f"    {listing}\n  expected {names[i]}.grad = {core.fmt(held[k])} + "
                f"{core.fmt(grads[i])} afterwards (a backward pass adds to the gradients), got "
                f"{core.fmt(nodes[i].grad)}" + likely)


def _record_calls(nodes):
    """Wrap each node's _backward so that ``calls`` lists (node index, its grad) per call."""
    calls = []
    for i, node in enumerate(nodes):
        def recorded(i=i, node=node, step=node._backward):
            calls.append((i, node.grad))
            step()
        node._backward = recorded
    return calls


def _replay(steps, order, seed=1.0):
    """The leaves' gradients when the nodes' ``_backward``s (finished ones) run in ``order``
    (node indices) after the root is seeded with ``seed``."""
    nodes = _build(finished.Value, steps)
    nodes[-1].grad = seed
    for i in order:
        nodes[i]._backward()
    return [n.grad for n, s in zip(nodes, steps, strict=True) if s[0] == "leaf"]


# A backward() whose calls were recorded: what each wrong way of calling the nodes' _backward
# predicts for the leaves' gradients (t.data: the graph's steps, the recorded order of the
# inner nodes, the seed the root's _backward ran with, whether some node ran before a user).
ORDER_MISTAKES = [
    Mistake("no node's `_backward` was called: call it on every node",
            lambda t: None if t.data["order"] else _replay(t.data["steps"], [])),
    Mistake("the root's gradient was not seeded with 1: set self.grad = 1.0 before the loop",
            lambda t: None if t.data["seed"] in (None, 1) else
            _replay(t.data["steps"], t.data["order"], t.data["seed"])),
    Mistake("the nodes were processed inputs first: walk the topological order reversed "
            "(outputs first), `for node in reversed(order)`",
            lambda t: _replay(t.data["steps"], t.data["inputs_first"]) if t.data["early"]
            else t.want),
    Mistake("a node was processed before all the nodes that use it (use the reversed "
            "topological order)", lambda t: _replay(t.data["steps"], t.data["order"])
            if t.data["early"] and t.data["order"] != t.data["inputs_first"] else t.want),
]


def _order_trial(steps, nodes, calls):
    """A core.Trial of one recorded backward(): the leaves' gradients, the right ones, and
    what ORDER_MISTAKES read (the recorded order of the inner nodes' calls, the root's seed,
    whether some node ran before one of its users while others did not)."""
    inner = [i for i, n in enumerate(nodes) if n._prev]
    done = [i for i, _ in calls if i in inner]
    position = {i: k for k, i in enumerate(done)}
    pairs = [(i, j) for i in inner for j in inner if any(c is nodes[i] for c in nodes[j]._prev)]
    early = [(i, j) for i, j in pairs if i in position and j in position
             and position[j] > position[i]]
    index = {id(n): k for k, n in enumerate(nodes)}
    order = [index[id(n)] for n in topological_order(nodes[-1])]
    return core.Trial("", [n.grad for n, s in zip(nodes, steps, strict=True) if s[0] == "leaf"],
                      _replay(steps, order[::-1]),
                      {"steps": steps, "order": done, "early": early,
                       "seed": next((g for i, g in calls if i == len(nodes) - 1), None),
                       "inputs_first": [i for i in order if i in inner],
                       "twice": [i for i in inner if done.count(i) > 1],
                       "missing": [i for i in inner if i not in position]},
                      _scale(*[v for s in steps if s[0] == "leaf" for v in s[1:2]], 1.0))


def _order_diagnosis(Value, fn, trial, names, rng):
    """What the recorded order of the _backward calls shows went wrong, or '': a mistake of
    ORDER_MISTAKES named through core.diagnose on this graph and 8 more (those where the
    learner's backward() runs: an error on a graph they never saw would hide the real
    message), else what the record of this graph shows."""
    trials = [trial]
    for size in range(8):
        steps = _random_graph(rng, list(_HELPERS), size, True, share=True)
        nodes = _build(Value, steps)
        calls = _record_calls(nodes)
        try:
            core.call(fn, nodes[-1], what="backward()")
        except (core.Refused, core.NotYet):
            continue
        trials.append(_order_trial(steps, nodes, calls))
    says = core.diagnose(trials, ORDER_MISTAKES)
    d = trial.data
    seen = (f"; the `_backward` of {names[d['twice'][0]]} was called more than once: each "
            "node's once (does the order list it twice?)" if d["twice"] else
            f"; the `_backward` of {', '.join(names[i] for i in d['missing'])} was never "
            "called" if d["missing"] and d["order"] else
            f"; the root's `_backward` ran with grad = {d['seed']!r}"
            if d["seed"] not in (None, 1) else
            f"; {names[d['early'][0][0]]} passed its gradient on before "
            f"{names[d['early'][0][1]]}, which uses it, had added its share" if d["early"]
            else "")
    if says:
        return f". {LIKELY} {says}{seen}"
    return f". {seen[2:].capitalize()}" if seen else ""


@core.check(name="backward")
def check_backward(Value, *, rng=None):
    """``Value.backward()``: seed the output with 1, then every node's ``_backward``, each
    after all the nodes that use it. Tried on random graphs (values used twice included:
    they are what a wrong order gets wrong) built on the learner's class with the finished
    operations of helpers.finished.value, so the learner's own operations do not matter (an
    ``=`` not yet fixed in them included). The calls to each node's ``_backward`` are
    recorded to say what went wrong. Last, one graph whose inputs and root already hold
    gradients, as after a first pass nobody reset: the inputs' gradients must be added to
    and the root's seed set to 1."""
    fn = _class_function(Value, "backward", "backward")
    ops = list(_HELPERS)
    with _own(fn, "backward"):
        for size in range(GRAPHS):
            steps = _random_graph(rng, ops, size, True, share=size % 3 != 2)
            nodes = _build(Value, steps)
            values, grads = _torch_graph(steps)
            calls = _record_calls(nodes)
            core.call(fn, nodes[-1], what="backward()")
            names, listing = _listing(steps)
            _grad_types("backward", f" on\n    {listing}\n ",
                        [(names[i], n) for i, n in enumerate(nodes)],
                        "seed the root with the number 1.0, not a Value")
            scale = _graph_scale(values, grads)
            wrong = [i for i, s in enumerate(steps)
                     if s[0] == "leaf" and not core.close(nodes[i].grad, grads[i], scale)]
            if wrong:
                i = wrong[0]
                w, v = core.fmt_pair(grads[i], nodes[i].grad)
                core.refuse(f"backward: after root.backward() the gradient of {names[i]} differs "
                            f"on\n    {listing}\n  expected {w} (float64 PyTorch), got {v}"
                            + _order_diagnosis(Value, fn, _order_trial(steps, nodes, calls),
                                               names, rng))
        _check_keeps_gradients(Value, fn, _random_graph(rng, ops, GRAPHS, True, share=True))
    core.passed("backward", f"{GRAPHS} random graphs, values used twice included, and a second "
                            "backward() without a reset; vs float64 PyTorch")


# --- softmax and its negative log-likelihood (lecture 03, section 7) -----------------------------

SOFTMAX_MISTAKES = [
    Mistake("the exps are not divided by their sum (they add up to more or less than 1)",
            lambda t: [math.exp(z) for z in t.data["logits"]]),
]
NLL_MISTAKES = [
    Mistake("the sign: the loss is MINUS the log of the target's probability",
            lambda t: math.log(t.data["probs"][t.data["target"]])),
    Mistake("nll takes the probability of another class, probs[target - 1]: the target's is "
            "probs[target]", lambda t: -math.log(t.data["probs"][t.data["target"] - 1])),
    Mistake("nll takes the probability of another class, probs[target + 1]: the target's is "
            "probs[target]",
            lambda t: -math.log(t.data["probs"][(t.data["target"] + 1) % len(t.data["probs"])])),
    Mistake("log10 instead of the natural log: use .log() (math.log), the natural one",
            lambda t: -math.log10(t.data["probs"][t.data["target"]])),
    Mistake("the log is missing: the loss is -log(probs[target]), not -probs[target]",
            lambda t: -t.data["probs"][t.data["target"]]),
    Mistake("the loss adds up -log over every class: it is -log of the TARGET's probability "
            "alone", lambda t: -sum(math.log(q) for q in t.data["probs"])),
]


def _softmax_result(probs, data):
    """The learner's softmax output as a list of Values, or a refusal."""
    what = f"softmax({data})"
    if not isinstance(probs, list | tuple):
        fix = ("a generator can be read only once: build a list, [... for ...], not (... for "
               "...)" if hasattr(probs, "__next__") else "one probability per logit")
        core.refuse(f"{what} returned {core.kind(probs)}: return a list; {fix}")
    if len(probs) != len(data):
        core.refuse(f"{what} returned {len(probs)} values for {len(data)} logits")
    if not all(_is_value(p) for p in probs):
        core.refuse(f"{what} returned {', '.join(core.kind(p) for p in probs[:2])}, ...: keep "
                    "each probability a Value (no .data), so that the gradient can reach the "
                    "logits")
    return list(probs)


@core.check(name=lambda softmax, nll, *rest, **kwargs: "nll" if guard.is_todo(nll)
            and not guard.is_todo(softmax) else "softmax")
def check_softmax_nll(softmax, nll, Value, *, rng=None):
    """``softmax(logits)``: the list of probabilities e^z_i / sum_j e^z_j, as Values built
    from the logit Values; ``nll(probs, target)``: the Value -log probs[target]. Tried on
    random logits (2 to 6 classes, every target) against float64 PyTorch."""
    cases = []
    for trial in range(GRAPHS):
        data = [_draw_number(rng, 0.0, 3.0) for _ in range(2 + trial % 5)]
        cases.append((data, trial % len(data)))
    trials = []
    for data, _ in cases:
        logits = [Value(z) for z in data]
        with _own(softmax, "softmax"), _own(nll, "nll"):
            probs = _softmax_result(core.call(softmax, logits, what=f"softmax({data})"), data)
        want = torch.softmax(torch.tensor(data, dtype=torch.float64), dim=0).tolist()
        trials.append(core.Trial(f"for logits {data}", [p.data for p in probs], want,
                                 {"logits": data}, 1.0))
    if not all(t.right for t in trials):
        says = core.diagnose(trials, SOFTMAX_MISTAKES)
        core.refuse(f"softmax: the probabilities differ: {core.differs(trials, 'softmax')}"
                    + (f". {LIKELY} {says}" if says else ""))
    trials = []
    for data, target in cases:
        text = f"logits {data}, target {target}"
        logits = [Value(z) for z in data]
        with _own(nll, "nll"):
            probs = list(core.call(softmax, logits, what=f"softmax({data})"))
            loss = core.call(nll, probs, target, what=f"nll(probs, {target})")
        if not _is_value(loss):
            core.refuse(f"nll(probs, {target}) returned {core.kind(loss)}: return a Value made "
                        "from probs[target] (its .log(), negated)")
        want = torch.softmax(torch.tensor(data, dtype=torch.float64), dim=0).tolist()
        trials.append(core.Trial(f"for {text}", loss.data, -math.log(want[target]),
                                 {"probs": want, "target": target,
                                  "case": (data, target, logits, loss)}, 1.0))
    if not all(t.right for t in trials):
        says = core.diagnose(trials, NLL_MISTAKES)
        t = next(t for t in trials if not t.right)
        w, v = core.fmt_pair(t.want, t.got)
        core.refuse(f"nll: the loss is {v} {t.shown}, expected -log(probs[target]) = {w}"
                    + (f". {LIKELY} {says}" if says else ""))
    for t in trials:
        data, target, logits, loss = t.data["case"]
        text = f"logits {data}, target {target}"
        reached = _reaches(loss, logits)
        if not any(reached):
            core.refuse(f"softmax/nll: no gradient reached the logits on {text}: build the "
                        "probabilities and the loss from the Values themselves (no .data, no "
                        "math.exp / math.log)")
        if not all(reached):
            cut = [f"z{i}" for i, r in enumerate(reached) if not r]
            core.refuse(
                f"softmax/nll: on {text} the loss is not connected to the logits "
                f"{', '.join(cut)}, though every logit changes the sum of the exps and so "
                f"every probability. {LIKELY} the sum (the denominator) is a plain float, "
                "so the gradient path through it is lost: make the total a Value, the sum "
                "of the exp Values (sum(counts)), not of their .data")
        loss.grad = 1.0
        _backprop(loss, "softmax and nll", f" on {text}")
        _grad_types("softmax/nll", f" on {text}", [(f"z{i}", z) for i, z in enumerate(logits)])
        z = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        (-torch.log_softmax(z, dim=0)[target]).backward()
        grads, want = [v.grad for v in logits], z.grad.tolist()
        if not core.agree(grads, want, 1.0):
            w, v = core.fmt_pair([round(x, 6) for x in want], [round(x, 6) for x in grads])
            core.refuse(f"softmax/nll: the logits' gradients differ on {text}: got {v}, "
                        f"expected (float64 PyTorch) {w}, softmax minus one-hot: check the "
                        "operations they use (exp, log, /, -)")
    core.passed("softmax and nll", f"{GRAPHS} random sets of logits, 2 to 6 classes; "
                                   "probabilities, loss and the logits' gradients vs float64 "
                                   "PyTorch")


# --- the gate patterns, by hand (lecture 03, section 3) ------------------------------------

GATES = {"x": 2.0, "y": 3.0, "z": 1.0}  # the inputs of f = (x + y) * max(y, z)
_GATES_TEXT = "f = (x + y) * max(y, z) at x = 2, y = 3, z = 1"

# How each gate may be worked out: the right rule first (None), then the wrong readings a
# learner applies, with what to tell them. A diagnosis names the wrong readings that
# reproduce all three numbers the learner gave, with as few of them as possible.
_GATE_RULES = {
    "add": {"distributes": None,
            "halves": "the + node passes its WHOLE incoming gradient to each input (add "
                      "distributes it; it does not split it into halves)",
            "ones": "the + node passes on the gradient it RECEIVED from the product, not 1: "
                    "local derivative 1 TIMES the incoming gradient"},
    "mul": {"swaps": None,
            "own": "mul swaps: each factor gets the OTHER factor's value times the product's "
                   "gradient (x + y gets the value of max(y, z), and max(y, z) gets the "
                   "value of x + y), not its own value"},
    "max": {"routes": None,
            "loser": "max routes its gradient to the input that WON (the larger one, y); "
                     "the input that lost, z, gets 0",
            "both": "max routes its gradient to ONE input, the one that won (y): the input "
                    "that lost, z, gets 0",
            "splits": "max does not split its gradient between its inputs: it routes ALL of "
                      "it to the input that won (y), and the one that lost, z, gets 0",
            "ones": "max passes on the gradient it RECEIVED from the product (the value of "
                    "x + y), not 1: local derivative 1 TIMES the incoming gradient"},
    "fork": {"sum": None,
             "add": "y is used twice (a fork): its gradient is the SUM of what both uses "
                    "send back; you kept only the path through x + y",
             "max": "y is used twice (a fork): its gradient is the SUM of what both uses "
                    "send back; you kept only the path through max(y, z)"},
}


def _gate_gradients(rules, x, y, z):
    """(dx, dy, dz) of f = (x + y) * max(y, z) worked out with the given gate rules."""
    s, m = x + y, max(y, z)
    ds, dm = (m, s) if rules["mul"] == "swaps" else (s, m)
    into_add = {"distributes": ds, "halves": ds / 2, "ones": 1.0}[rules["add"]]
    into_max = 1.0 if rules["max"] == "ones" else dm
    y_won = y > z
    if rules["max"] in ("routes", "ones"):
        y_max, z_max = (into_max, 0.0) if y_won else (0.0, into_max)
    elif rules["max"] == "loser":
        y_max, z_max = (0.0, into_max) if y_won else (into_max, 0.0)
    elif rules["max"] == "splits":
        y_max, z_max = into_max / 2, into_max / 2
    else:  # both
        y_max, z_max = into_max, into_max
    y_total = {"sum": into_add + y_max, "add": into_add, "max": y_max}[rules["fork"]]
    return into_add, y_total, z_max


@core.check(name="gates by hand")
def check_gates_by_hand(dx, dy, dz):
    """The gradients of f = (x + y) * max(y, z) at x = 2, y = 3, z = 1 (``GATES``), worked
    out by hand from the gate patterns: compared with PyTorch's backward pass. A wrong
    answer is told which numbers are wrong and, where one fits all three, which gate rule
    was misapplied (add distributes, mul swaps, max routes, a fork adds up)."""
    given = {"dx": dx, "dy": dy, "dz": dz}
    missing = [name for name, v in given.items() if v is None]
    if missing:
        print(f"not implemented yet: {', '.join(missing)}")
        return
    for name, v in given.items():
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            core.refuse(f"{name} should be a number (for example 1.5), got {core.kind(v)}")
    t = {name: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for name, v in GATES.items()}
    ((t["x"] + t["y"]) * torch.maximum(t["y"], t["z"])).backward()
    want = [t[name].grad.item() for name in "xyz"]
    got = [float(v) for v in given.values()]
    right = {name: core.close(g, w, 8.0) for name, g, w in zip(given, got, want, strict=True)}
    if all(right.values()):
        core.passed("gates by hand", f"dx, dy and dz agree with PyTorch's backward pass of "
                                     f"{_GATES_TEXT.split(' at ')[0]}")
        return
    wrong = [f"{name} = {core.fmt(v)}" for name, v in zip(given, got, strict=True)
             if not right[name]]
    fine = [name for name in given if right[name]]
    core.refuse(f"gates by hand, {_GATES_TEXT}: {' and '.join(wrong)} "
                f"{'is' if len(wrong) == 1 else 'are'} not what the backward pass gives"
                + (f" ({' and '.join(fine)} {'is' if len(fine) == 1 else 'are'} right)"
                   if fine else "") + _gates_diagnosis(got, want))


def _gate_levels():
    """The gate-rule mistakes as core.Mistakes, grouped by how many rules they misapply (one,
    then two, ...): each says its wrong readings, and predicts (dx, dy, dz) worked out so."""
    levels = {}
    for choice in itertools.product(*_GATE_RULES.values()):
        rules = dict(zip(_GATE_RULES, choice, strict=True))
        said = [_GATE_RULES[gate][rule] for gate, rule in rules.items()
                if _GATE_RULES[gate][rule] is not None]
        if said:
            levels.setdefault(len(said), []).append(Mistake(
                "; and ".join(said), lambda t, r=rules: list(_gate_gradients(r, *GATES.values()))))
    return [levels[n] for n in sorted(levels)]


GATE_MISTAKES = _gate_levels()


def _gates_diagnosis(got, want):
    """'. Likely mistake: ...' for the fewest wrong gate rules that give ``got`` (named through
    core.diagnose), or advice."""
    trial = core.Trial(_GATES_TEXT, got, want, scale=8.0)
    for level in GATE_MISTAKES:
        says = core.diagnose([trial], level)
        if says:
            return f". {LIKELY} {says}"
        if any(core.agree(got, m.predicts(trial), 8.0) for m in level):
            break   # several misreadings with as few rules give these numbers: no telling
    return (". Work back from f one gate at a time: f's gradient is 1; the product sends each "
            "factor the other factor's value; the + sends what it received to x and to y; "
            "max sends what it received to the larger input only; y, used twice, adds up "
            "what its two uses send back")
