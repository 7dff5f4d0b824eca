"""Checks for the scalar engine the learner writes in lectures 02 and 03.

Each check runs the learner's code on fresh random inputs and random expression graphs
(values used twice included, unless asked not to) and compares every value and gradient
with float64 PyTorch. It prints one line when all agree. Otherwise it raises
``AssertionError`` saying what differs, on which small expression, and adds a "Likely
mistake:" only when the learner's numbers match that mistake on every input tried. A
function still left as a stub (it raises ``NotImplementedError``) prints "not implemented
yet: <name>" and raises nothing. Every check returns None, so that a notebook cell ending
in a check shows only the printed line.

- ``check_forward(Value, "add" | "mul")``: the forward pass of lecture 02 (data, _prev, _op);
- ``check_operation(Value, name, reuse=True)``: one operation and its ``_backward``; names
  in ``OPERATIONS``. ``reuse=False`` leaves out every test where a gradient adds to one
  already there (a value used twice), for the section before the ``+=`` fix;
- ``check_topological_sort(topological_order)``: any valid order (depth-first, Kahn, ...);
- ``check_backward(Value)``: ``Value.backward`` on graphs made by the finished operations;
- ``check_softmax_nll(softmax, nll, Value)``: the softmax and its loss, with their gradients;
- ``check_gates_by_hand(dx, dy, dz)``: gradients worked out by hand for the small expression
  in ``GATES`` (a fork and a max), with the misapplied gate rule named.

The random generator is private and seeded by the check's name, so the printed lines do
not change from run to run, and the notebook's own random state is left alone.
"""

import itertools
import math
import numbers
import random
import re
from typing import NamedTuple

import torch

from helpers.finished import value as finished

__all__ = ["OPERATIONS", "GATES", "check_forward", "check_operation", "check_topological_sort",
           "check_backward", "check_softmax_nll", "check_gates_by_hand"]

INPUTS, GRAPHS = 200, 50
LIKELY = "Likely mistake:"


# --- running the learner's code -----------------------------------------------------------


class _NotYet(Exception):
    """The learner's code raised NotImplementedError: a TODO still open (args: who raised)."""


def _run(what, fn, *args, name=None, backward=False):
    """``fn(*args)``; any exception in it becomes an AssertionError naming ``what`` (and,
    for the operation ``name``, the cause where the error's kind tells it; ``backward``: fn
    is a ``_backward``)."""
    try:
        return fn(*args)
    except NotImplementedError as error:
        tb = error.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        raise _NotYet(tb.tb_frame.f_code.co_name) from None
    except _NotYet:
        raise
    except Exception as error:  # noqa: BLE001 (the learner's code may raise anything)
        raise AssertionError(f"{what} raised {type(error).__name__}: {error}"
                             + _explain(name, error, backward)) from error


# A reflected operation runs for `number <op> Value`: (symbol, its method, a way round it).
_REFLECTED = {"radd": ("+", "__radd__", "self + other"), "rmul": ("*", "__rmul__", "self * other"),
              "rsub": ("-", "__rsub__", "as_value(other) - self"),
              "rtruediv": ("/", "__rtruediv__", "as_value(other) / self")}
_RMETHOD = {"+": "__radd__", "-": "__rsub__", "*": "__rmul__", "/": "__rtruediv__",
            "**": "__rpow__"}
_INSTEAD = {"/": "write 1 / other as other ** -1", "-": "write c - other as -other + c",
            "+": "write c + other as other + c", "*": "write c * other as other * c"}


def _explain(name, error, backward=False):
    """What an exception raised by the learner's operation ``name`` (or by its ``_backward``)
    means, or ''."""
    text = str(error)
    if isinstance(error, TypeError) and backward and "'Value'" in text:
        return (f". {LIKELY} a Value in a gradient's formula: gradients are plain floats, "
                "computed from numbers (other.data, not other; out.grad)")
    if isinstance(error, RecursionError):
        if name in _REFLECTED:
            symbol, method, fix = _REFLECTED[name]
            return (f". {LIKELY} {name} calls itself: with `other` a plain number, "
                    f"`other {symbol} self` makes Python call `self.{method}(other)`, which is "
                    f"{name} again, without end. Put the Value first, `{fix}`")
        if name == "truediv":
            return (f". {LIKELY} `1 / other` with other a Value calls Value.__rtruediv__, which "
                    "is made of truediv itself (or comes later), so each calls the other without "
                    "end: write the reciprocal as other ** -1")
        return (". The operation calls itself without end, through the operations it is made "
                "of: build it from operations that do not use it")
    number_first = re.search(r"unsupported operand type\(s\) for ([^:]+): '(?:int|float)' and "
                             r"'(\w+)'", text)
    if isinstance(error, TypeError) and number_first and not number_first[1].endswith("="):
        symbol = number_first[1].strip()
        return (f". {LIKELY} `number {symbol} Value` needs Value.{_RMETHOD.get(symbol, '?')}, "
                "which your Value does not have (yet: the lecture adds it later): keep a Value on "
                f"the left, {_INSTEAD.get(symbol, 'rewrite it')}")
    if isinstance(error, TypeError) and re.search(r"not '?Value'?|'Value'", text):
        return (". A Value stands where a plain number is needed: data and gradients are "
                "floats, use .data")
    return ""


def _report(name, own, test, parts=()):
    """Run ``test`` and print the success line it returns; a stub prints 'not implemented
    yet' instead.

    ``own``: the learner's name for the function; ``parts``: names of the functions checked
    together, each reported by its own name.
    """
    try:
        line = test()
    except _NotYet as stub:
        raiser = stub.args[0]
        if raiser in parts:
            name = raiser
        also = "" if raiser in {name, own, "_backward"} or raiser.startswith("<") else (
            f" (it uses `{raiser}`, which is not written yet)")
        print(f"not implemented yet: {name}{also}")
        return
    print(line)


def _close(a, b):
    return math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-9)


def _is_value(x):
    return all(hasattr(x, attr) for attr in ("data", "grad", "_prev"))


def _kind(x):
    if isinstance(x, numbers.Number):
        return f"a {type(x).__name__} ({x:.6g})"
    return "None" if x is None else f"a {type(x).__name__}"


def _number(rng, low=0.2, high=3.0):
    """A random number of either sign, two decimals, |x| in [low, high]."""
    return rng.choice((-1, 1)) * round(rng.uniform(low, high), 2)


def _fmt(x):
    return f"{x:.6g}"


def _class_function(Value, attr, name):
    """The function the class uses for ``attr``, or a clear error when it has none."""
    fn = getattr(Value, attr, None)
    if fn is None:
        attach = f"Value.{attr} = {_FUNCTION.get(name, name)}"
        raise AssertionError(f"{Value.__name__} has no `{attr}`: attach your function, "
                             f"`{attach}`")
    return fn


# --- the operations -----------------------------------------------------------------------


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
        self.constant = constant or _number  # draws the plain number of a "vc" operation

    def write(self, *names):
        return self.form.format(*names)


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
    "log": _Op("log", "log({0})", "v", torch.log, ("log",), lambda x: x > 0.1),
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
_WHO = ("self", "other")

# Classic mistakes in a local derivative: (operand, what it computed from the operands'
# data and the output's, the diagnosis). One fits when it matches on every input tried.
_MISTAKES = {
    "tanh": [(0, lambda x, out: 1 - x * x,
              "tanh's local derivative was computed from the input: 1 - tanh(x)**2 needs "
              "t = tanh(x), the OUTPUT (t = out.data or math.tanh(self.data)), not "
              "1 - self.data**2"),
             (0, lambda x, out: 1 / math.cosh(x),
              "tanh's local derivative is sech(x)**2 = 1 / cosh(x)**2 = 1 - tanh(x)**2, not "
              "sech(x) = 1 / cosh(x): square it")],
    "exp": [(0, lambda x, out: x,
             "exp's local derivative is e**x, the OUTPUT (out.data), not the input self.data")],
    "log": [(0, lambda x, out: x, "log's local derivative is 1 / x, not x"),
            (0, lambda x, out: 1 / out, "log's local derivative is 1 / self.data (the input), "
                                        "not 1 / out.data")],
    "pow": [(0, lambda x, k, out: k * x**k, "the power rule lowers the exponent: "
                                            "k * x**(k - 1), not k * x**k"),
            (0, lambda x, k, out: (k - 1) * x ** (k - 1),
             "the power rule's factor is k, the exponent itself: k * x**(k - 1), not "
             "(k - 1) * x**(k - 1)"),
            (0, lambda x, k, out: x ** (k - 1), "the power rule keeps the factor k: "
                                                "k * x**(k - 1), not x**(k - 1)")],
    "relu": [(0, lambda x, out: out, "relu's local derivative is 1 where the input is "
                                     "positive (0 elsewhere), not the output's value"),
             (0, lambda x, out: float(x < 0), "relu's step is inverted: the gradient passes "
                                              "where the input is POSITIVE (self.data > 0) and "
                                              "is 0 where it is negative")],
}

# The local derivative of each one-input operation at its input x (and exponent k): a
# learner who evaluates it at the output instead (k * out.data**(k - 1), 1 - tanh(out)**2)
# is told so, for every operation here.
_LOCAL = {"tanh": (lambda x: 1 - math.tanh(x) ** 2, "1 - tanh(x)**2"),
          "exp": (math.exp, "e**x"),
          "log": (lambda x: 1 / x, "1 / x"),
          "pow": (lambda x, k: k * x ** (k - 1), "k * x**(k - 1)")}

# Values an operation must also be right at, with what to say when it is not there only.
_EDGES = {"relu": ([0.0], "at exactly x = 0 the task picks the slope 0 (the input is not "
                          "positive): test self.data > 0, not self.data >= 0")}


# --- one operation on fresh inputs --------------------------------------------------------


def _draw(op, rng):
    """Operands for one trial: the Value data, and the plain number if any (or None)."""
    while True:
        if _with_number(op, rng):
            data, const = [_number(rng)], op.constant(rng)
        else:
            data, const = [_number(rng) for _ in range(_arity(op))], None
        if op.domain(*data, *([] if const is None else [const])):
            return data, const


def _arity(op):
    """How many Value operands the operation takes when both may be Values."""
    return 2 if op.operands.startswith("vv") else 1


def _with_number(op, rng):
    """Whether this use of the operation gets a plain number as its second operand."""
    return op.operands == "vc" or (op.operands == "vv vc" and rng.random() < 0.4)


def _torch_result(op, data, const, g):
    """PyTorch's out.data and each Value operand's gradient, for out.grad = g."""
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in data]
    out = op.reference(*ts, *([] if const is None else [const]))
    out.backward(torch.tensor(g, dtype=torch.float64))
    return out.item(), [t.grad.item() for t in ts]


def _backprop(root, name, where=""):
    """Run every node's _backward, outputs first (root.grad must be set already). An input
    (no ``_prev``) has nothing to pass on: its ``_backward`` is not needed."""
    for node in reversed(finished.topological_order(root)):
        if not node._prev:
            continue
        if not hasattr(node, "_backward"):
            raise AssertionError(f"{name}: a value in its result has no `_backward`: set "
                                 "`out._backward = _backward` before returning out")
        step = node._backward
        if not callable(step):
            raise AssertionError(f"{name}: out._backward is {_kind(step)}, not a function: "
                                 "attach the function itself, `out._backward = _backward` "
                                 "(no parentheses)")
        _run(f"{name}'s _backward{where}", step, name=name, backward=True)


def _trial(Value, name, op, fn, data, const, g, priors=None, same=False):
    """Apply the learner's operation once, check its output, backpropagate ``g`` through it.

    Returns (expression text, the input Values, out). ``priors`` are gradients the inputs
    hold beforehand; ``same`` passes one Value as both operands.
    """
    xs = [Value(x) for x in data]
    if same:
        xs = [xs[0], xs[0]]
    for x, p in zip(xs, priors or [0.0] * len(xs), strict=True):
        x.grad = p
    args = xs + ([] if const is None else [const])
    before = [x.data for x in xs]
    steps = [getattr(x, "_backward", None) for x in xs]
    text = _expression(op, data, const, same)
    out = _run(f"{name} on {text}", fn, *args, name=name)
    problem = _structure(name, op, text, xs, out, before)
    if problem:
        raise AssertionError(problem)
    problem = _forward_problem(name, text, out.data, _evaluate(op, [x.data for x in xs], const))
    if problem:
        raise AssertionError(problem + _forward_diagnosis(Value, name, op, fn))
    if any(getattr(x, "_backward", None) is not s for x, s in zip(xs, steps, strict=True)):
        raise AssertionError(f"{name} replaced the `_backward` of its input on {text} "
                             "(self._backward = ...): attach the function to the new Value, "
                             "`out._backward = _backward`")
    out.grad = g
    _backprop(out, name, f" on {text} and out.grad = {g}")
    who = ["x", "x"] if same else _WHO[:len(xs)]
    problem = _grad_types(name, f" on {text} and out.grad = {g}", zip(who, xs, strict=True))
    if problem:
        raise AssertionError(problem)
    return text, xs, out


def _grad_types(name, where, named, how="compute it from numbers (other.data, out.grad), "
                                           "not from Values (use .data)"):
    """A message for the first (name, Value) whose .grad is not a plain number, or None."""
    for who, x in named:
        if isinstance(x.grad, bool) or not isinstance(x.grad, numbers.Real):
            return (f"{name}: after the backward step{where}, {who}.grad is {_kind(x.grad)}, "
                    f"not a number: a gradient must be a float; {how}")
    return None


def _reaches(out, xs):
    """For each Value in ``xs``: can it be reached from ``out`` through ``_prev``?"""
    seen, stack = set(), [out]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        try:
            stack.extend(p for p in getattr(node, "_prev", ()) if _is_value(p))
        except TypeError:
            pass
    return [id(x) in seen for x in xs]


# An operation the lecture builds from the others: one way to write it.
_COMPOSED = {"radd": "self + other", "rmul": "self * other", "neg": "self * -1",
             "sub": "self + (-other)", "truediv": "self * other**-1",
             "rsub": "-self + other", "rtruediv": "self**-1 * other"}


def _build_it(name):
    return (f"build {name} from the operations you have, e.g. `{_COMPOSED[name]}`: their "
            "`_backward`s do the work")


def _expression(op, data, const, same=False):
    names = ["x", "x"] if same else list(_WHO[:len(data)])
    if const is not None:
        names.append(repr(const))
    given = ", ".join(f"{n} = {x!r}" for n, x in zip(names, data, strict=False))
    return f"out = {op.write(*names)} with {given}"


def _structure(name, op, text, xs, out, before):
    """What is wrong with the output's type, inputs or forward value, or None."""
    if any(x.data != b for x, b in zip(xs, before, strict=True)):
        return (f"{name} changed its input's data on {text}: leave the inputs alone and "
                "return a new Value")
    if not _is_value(out):
        fix = "return out, the new Value" if out is None or isinstance(out, numbers.Number) \
            else "return a Value"
        return f"{name} returned {_kind(out)} on {text}: {fix}"
    if any(out is x for x in xs):
        return f"{name} returned its input itself on {text}: return a new Value"
    if not op.ops:
        cut = [w for w, x, r in zip(_WHO, xs, _reaches(out, xs), strict=False) if not r]
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
        return (f"{name}: out._prev holds {', '.join(_kind(p) for p in prev)} on {text}: the "
                f"children are the input Values themselves, {inputs}, not their data")
    missing = [w for w, x in zip(_WHO, xs, strict=False) if all(p is not x for p in prev)]
    if missing:
        return (f"{name}: out._prev on {text} leaves out {' and '.join(missing)}: the children "
                f"are {inputs}")
    opname = out._op if isinstance(getattr(out, "_op", None), str) else None
    if opname is None or not any(opname == o or (o == "**" and opname.startswith(o))
                                 for o in op.ops):
        want = "f\"**{k}\" (e.g. '**3')" if op.ops == ("**",) else repr(op.ops[0])
        return f"{name}: out._op is {getattr(out, '_op', None)!r}; expected {want}"
    return None


# The same operation with its operands the other way round (what `self - other` computes
# where `other - self` is wanted), for the operations where the order matters.
_MIRRORED = {"sub": lambda a, b: b - a, "truediv": lambda a, b: b / a,
             "rsub": lambda a, c: a - c, "rtruediv": lambda a, c: a / c}


def _ratio(pairs):
    """The constant r with got = r * expected on every (got, expected), or None."""
    ratios = [g / e for g, e in pairs if abs(e) > 1e-9]
    if not ratios or not all(_close(g, 0.0) for g, e in pairs if abs(e) <= 1e-9):
        return None
    r = ratios[0]
    return r if all(math.isclose(q, r, rel_tol=1e-6) for q in ratios) else None


def _factor_text(r, name):
    """What a constant factor r between the learner's numbers and the right ones says."""
    names = {-1.0: "the opposite sign of the right one", 0.5: "exactly half the right one",
             2.0: "exactly 2 times the right one",
             1 / math.log(10): "exactly 1/ln(10) times the right one: a log10 somewhere?",
             math.log(10): "exactly ln(10) times the right one: a log10 somewhere?"}
    text = next((t for value, t in names.items() if math.isclose(r, value, rel_tol=1e-6)),
                f"exactly {r:.6g} times the right one")
    if name == "add" and math.isclose(r, 0.5, rel_tol=1e-6):
        return (f". {LIKELY} the + splits out.grad in halves (each gradient is exactly half the "
                "right one on every input tried): it passes its WHOLE out.grad to each input")
    if name == "log" and math.isclose(r, 1 / math.log(10), rel_tol=1e-6):
        return (f". {LIKELY} the derivative of log10, 1 / (x ln 10) (exactly 1/ln(10) times the "
                "right one on every input tried): the natural log's is 1 / x")
    text = text.replace(":", ", on every input tried:", 1) if ":" in text else (
        text + ", on every input tried")
    return f" ({text})"


def _forward_diagnosis(Value, name, op, fn):
    """'. Likely mistake: ...' (or a factor) that explains the learner's forward values on
    fresh inputs, or ''."""
    rng = random.Random(f"forward {name}")
    trials = []
    for _ in range(20):
        data, const = _draw(op, rng)
        extra = [] if const is None else [const]
        try:
            got = fn(*[Value(x) for x in data], *extra).data
        except Exception:  # noqa: BLE001 (no diagnosis where the learner's code fails)
            return ""
        if isinstance(got, bool) or not isinstance(got, numbers.Real):
            return ""
        trials.append((data + extra, got, _evaluate(op, data, const)))
    mirror = _MIRRORED.get(name)
    if mirror and all(_close(got, mirror(*args)) for args, got, _ in trials):
        return (f". {LIKELY} the operands are the other way round: out.data is "
                f"{op.write('other', 'self')} on every input tried; {name} computes "
                f"{op.write('self', 'other')}")
    r = _ratio([(got, want) for _, got, want in trials])
    if name == "log" and r is not None and math.isclose(r, 1 / math.log(10), rel_tol=1e-6):
        return (f". {LIKELY} log10 instead of the natural log: out.data is log10(x) = "
                "ln(x) / ln(10) on every input tried; use math.log")
    return _factor_text(r, name) if r is not None else ""


def _forward_problem(name, text, got, expected):
    if not isinstance(got, numbers.Real) or isinstance(got, bool):
        return f"{name}: out.data is {_kind(got)} on {text}; expected a float ({_fmt(expected)})"
    if not _close(got, expected):
        return (f"{name}: the forward value differs on {text}: out.data is {_fmt(got)}, "
                f"expected {_fmt(expected)}")
    return None


class _Trial(NamedTuple):
    """One use of the operation: its inputs, PyTorch's gradients and the learner's."""

    text: str
    data: list
    const: object
    g: float
    out: object
    want: list
    got: list


def _fresh_inputs(Value, name, op, fn, rng):
    """INPUTS trials with fresh gradients; raise on the first difference, with a diagnosis."""
    trials = []
    for _ in range(INPUTS):
        data, const = _draw(op, rng)
        g = rng.choice((-1, 1)) * round(rng.uniform(0.5, 2.0), 2)
        g = 1.5 if g == 1.0 else g
        try:
            text, xs, out = _trial(Value, name, op, fn, data, const, g)
        except AssertionError as crash:
            # An arithmetic error in the learner's code at a special input (log's 1 / out.data
            # at x = 1, where out.data = 0) comes after trials that already show the mistake:
            # name it from those, then say where the code broke.
            wrong = [t for t in trials if not all(map(_close, t.got, t.want))]
            if not wrong or not isinstance(crash.__cause__, ArithmeticError):
                raise
            raise AssertionError(_gradient_problem(name, op, trials, wrong[0])
                                 + f". Then {crash}.") from None
        _, want = _torch_result(op, data, const, g)
        trials.append(_Trial(text, data, const, g, out, want, [x.grad for x in xs]))
    wrong = [t for t in trials if not all(map(_close, t.got, t.want))]
    if wrong:
        raise AssertionError(_gradient_problem(name, op, trials, wrong[0]))
    points, advice = _EDGES.get(name, ([], ""))
    for x in points:  # right everywhere else: the value where the task picks a side
        g = 1.5
        text, xs, out = _trial(Value, name, op, fn, [x], None, g)
        _, want = _torch_result(op, [x], None, g)
        if not _close(xs[0].grad, want[0]):
            raise AssertionError(f"{name}: the gradient of self differs on {text} and out.grad "
                                 f"= {g}: expected {_fmt(want[0])}, got {_fmt(xs[0].grad)}. "
                                 f"{LIKELY} {advice}")


def _gradient_problem(name, op, trials, first):
    i = next(i for i, (a, b) in enumerate(zip(first.got, first.want, strict=True))
             if not _close(a, b))
    who = _WHO[i] if len(first.want) == 2 else "self"
    message = (f"{name}: the gradient of {who} differs on {first.text} and out.grad = "
               f"{first.g}: expected {_fmt(first.want[i])} (float64 PyTorch), got "
               f"{_fmt(first.got[i])}")
    alike = [t for t in trials if len(t.want) == len(first.want)]  # as many Value operands
    return message + _diagnosis(name, op, alike)


def _diagnosis(name, op, trials):
    """The classic mistake that explains every trial, as '. Likely mistake: ...', or ''."""
    if all(x == 0 for t in trials for x in t.got):
        out = trials[0].out
        default = type(out)(0.0)
        step, blank = getattr(out, "_backward", None), getattr(default, "_backward", None)
        if getattr(step, "__code__", 0) is getattr(blank, "__code__", 1):
            if not op.ops:
                return (f". {LIKELY} the result is a new Value(...) of your own, whose "
                        "`_backward` is the default that does nothing, so no gradient reaches "
                        f"the inputs: {_build_it(name)}")
            return (f". {LIKELY} the `_backward` was never attached to the output: write "
                    "`out._backward = _backward` before `return out` (on out, not on self)")
        return (f". {LIKELY} the `_backward` never changes self.grad or other.grad: it must "
                "add local derivative * out.grad to each input's grad")
    n = len(trials[0].want)

    def fits(i, predict):
        """Operand i got predict(trial) on every trial, and that differs somewhere. A mistake
        that cannot even be computed on some trial (1 / 0, an overflow) does not fit."""
        try:
            predicted = [predict(t) for t in trials]
        except ArithmeticError:
            return False
        hits = [_close(t.got[i], p) for t, p in zip(trials, predicted, strict=True)]
        return all(hits) and any(not _close(t.want[i], p)
                                 for t, p in zip(trials, predicted, strict=True))

    def right(i):
        return all(_close(t.got[i], t.want[i]) for t in trials)

    if name == "mul" and n == 2:
        own = [fits(i, lambda t, i=i: t.data[i] * t.g) for i in range(2)]
        if all(own):
            return (f". {LIKELY} the two local derivatives are swapped: self gets "
                    "other.data * out.grad and other gets self.data * out.grad")
        for i in range(2):
            if own[i] and right(1 - i):
                return (f". {LIKELY} the same operand is used twice: {_WHO[i]} gets its own "
                        f"data times out.grad; it must get {_WHO[1 - i]}.data * out.grad")
    wrong = [i for i in range(n) if not right(i)]
    if all(fits(i, lambda t, i=i: t.want[i] / t.g) for i in wrong):
        return (f". {LIKELY} the incoming gradient is missing: each input gets its local "
                "derivative TIMES out.grad (the chain rule), not the local derivative alone")
    for i, predict, text in _MISTAKES.get(name, []):
        if wrong == [i] and fits(i, lambda t, p=predict: p(*t.data, *_extra(t), t.out.data) * t.g):
            return f". {LIKELY} {text}"
    if name in _LOCAL and wrong == [0]:
        local, formula = _LOCAL[name]
        if fits(0, lambda t: local(t.out.data, *_extra(t)) * t.g):
            return (f". {LIKELY} the local derivative was evaluated at the OUTPUT: {formula} is "
                    "taken at the input, x = self.data, not at out.data")
    for i in wrong:  # times another input's gradient instead of out.grad
        for j in range(n):
            if j != i and right(j) and fits(i, lambda t, i=i, j=j: t.want[i] / t.g * t.got[j]):
                return (f". {LIKELY} {_WHO[i]}'s local derivative is multiplied by "
                        f"{_WHO[j]}.grad, not by out.grad: the chain rule multiplies by the "
                        "gradient of the OUTPUT")
    ratios = [_ratio([(t.got[i], t.want[i]) for t in trials]) for i in wrong]
    if ratios and all(r is not None and math.isclose(r, ratios[0], rel_tol=1e-6)
                      for r in ratios):
        return _factor_text(ratios[0], name)
    return ""


def _extra(trial):
    return [] if trial.const is None else [trial.const]


def _where(op, fn, out):
    """Where the `=` is: in the operation's own _backward, or in one it is made of."""
    own = getattr(getattr(out, "_backward", None), "__qualname__", "")
    mine = own.startswith(getattr(fn, "__qualname__", "?") + ".")
    return "" if op.ops or mine else " in an operation it is made of"


def _reused(Value, name, op, fn, rng):
    """Gradients already present, and one Value as both operands: they must add up."""
    for _ in range(INPUTS // 4):
        data, const = _draw(op, rng)
        g = round(rng.uniform(0.5, 2.0), 2)
        priors = [_number(rng) for _ in data]
        text, xs, out = _trial(Value, name, op, fn, data, const, g, priors)
        _, grads = _torch_result(op, data, const, g)
        for i, (x, p, d) in enumerate(zip(xs, priors, grads, strict=True)):
            if not _close(x.grad, p + d):
                who = _WHO[i] if len(xs) == 2 else "self"
                message = (f"{name}: {who} already had grad = {p} (from another use of that "
                           f"value) before {text} and out.grad = {g}; after the backward step "
                           f"it should be {p} + {_fmt(d)} = {_fmt(p + d)}, got {_fmt(x.grad)}")
                if _close(x.grad, d):
                    message += (f". {LIKELY} `=` instead of `+=`{_where(op, fn, out)}: the "
                                f"gradient is set, so what {who} had before is lost; add to "
                                f"it, {who}.grad += ...")
                raise AssertionError(message)
    if not op.operands.startswith("vv"):
        return
    for _ in range(INPUTS // 4):
        x = _number(rng)
        if not op.domain(x, x):
            continue
        g = round(rng.uniform(0.5, 2.0), 2)
        text, xs, out = _trial(Value, name, op, fn, [x], None, g, same=True)
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        op.reference(t, t).backward(torch.tensor(g, dtype=torch.float64))
        if not _close(xs[0].grad, t.grad.item()):
            message = (f"{name}: the gradient of x differs on {text} (the same Value as both "
                       f"operands) and out.grad = {g}: expected {_fmt(t.grad.item())} (both "
                       f"uses added up), got {_fmt(xs[0].grad)}")
            _, each_use = _torch_result(op, [x, x], None, g)  # as if they were two Values
            if any(_close(xs[0].grad, u) for u in each_use):
                message += (f". {LIKELY} `=` instead of `+=`{_where(op, fn, out)}: the second "
                            "operand's gradient replaces the first one's; add to it, "
                            "self.grad += ...")
            raise AssertionError(message)


def check_operation(Value, name, reuse=True):
    """Check one operation of the learner's ``Value`` (name in ``OPERATIONS``) and its
    ``_backward``, called through the class (``Value.__mul__``, ``Value.tanh``, ...).

    ``reuse=False``: no value used twice, no gradient already present (before the ``+=``).
    """
    if name not in OPERATIONS:
        raise ValueError(f"check_operation: unknown operation {name!r}; use one of "
                         f"{', '.join(OPERATIONS)}")
    op = OPERATIONS[name]
    fn = _class_function(Value, op.attr, name)
    rng = random.Random(f"check_operation {name} {reuse}")

    def test():
        _fresh_inputs(Value, name, op, fn, rng)
        if reuse:
            _reused(Value, name, op, fn, rng)
        for size in range(GRAPHS):
            _graph_test(Value, name, op, fn, rng, size, reuse)
        kind = "values used twice included" if reuse else "no value used twice"
        return (f"{name}: right on {INPUTS} random inputs and {GRAPHS} random graphs "
                f"({kind}; vs float64 PyTorch)")

    _report(name, getattr(fn, "__name__", name), test)


# --- random graphs --------------------------------------------------------------------------


def _random_graph(rng, ops, size, reuse, share=False, most=6):
    """A random expression graph as steps: ('leaf', x) or (name, [operand indices], const).

    ``ops``: the names of the operations that may appear; the first appears at least
    once; ``size`` sets how many operations, 1 to ``most``. With ``reuse``, operands may
    be used by several nodes (and twice by one); without it, every node is used once.
    All nodes end up in the root (a sum).
    """
    while True:
        steps = [("leaf", _number(rng, 0.2, 2.5)) for _ in range(rng.randint(2, 4))]
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
            values.append(_evaluate(op, [values[a] for a in args], const))
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
    """A step applying ``op`` to operands from ``pool`` that are in its domain, or None.

    In a ``tree`` no operand is taken twice; otherwise ``x op x`` may come up.
    """
    for _ in range(20):
        const = op.constant(rng) if _with_number(op, rng) else None
        n = 1 if const is not None else _arity(op)
        if len(pool) < n:
            return None
        args = rng.sample(pool, n) if tree else [rng.choice(pool) for _ in range(n)]
        operands = [values[a] for a in args] + ([] if const is None else [const])
        if op.domain(*operands) and abs(_evaluate(op, operands[:n], const)) < 1e4:
            return (name, args, const)
    return None


def _evaluate(op, xs, const):
    t = [torch.tensor(x, dtype=torch.float64) for x in xs]
    return op.reference(*t, *([] if const is None else [const])).item()


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
        nodes.append(_run(name, fn, *[nodes[a] for a in args], *extra))
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
    nodes = _build(Value, steps, (name, fn))
    values, grads = _torch_graph(steps)
    names, listing = _listing(steps, name)
    for i, node in enumerate(nodes):
        if not isinstance(node.data, numbers.Real) or not _close(node.data, values[i]):
            raise AssertionError(f"{name}: the forward value of {names[i]} differs on this "
                                 f"graph:\n    {listing}\n  {names[i]}.data is "
                                 f"{node.data!r:.12}, expected {_fmt(values[i])}")
    nodes[-1].grad = 1.0
    _backprop(nodes[-1], name, f" on this graph:\n    {listing}\n ")
    problem = _grad_types(name, f" on this graph:\n    {listing}\n ",
                          [(names[i], n) for i, n in enumerate(nodes)])
    if problem:
        raise AssertionError(problem)
    for i, step in enumerate(steps):
        if step[0] == "leaf" and not _close(nodes[i].grad, grads[i]):
            shared = " (values used more than once)" if _shares(steps) else ""
            raise AssertionError(
                f"{name}: the gradient of {names[i]} differs on this graph{shared}, "
                f"backpropagated from its output with grad 1:\n    {listing}\n  expected "
                f"{_fmt(grads[i])} (float64 PyTorch), got {_fmt(nodes[i].grad)}")


# --- lecture 02: the forward pass ---------------------------------------------------------


def check_forward(Value, name):
    """The forward pass of ``Value``'s add or mul (lecture 02): out.data, out._prev (the
    two input Values) and out._op, on fresh inputs and random expressions of that operation.
    """
    if name not in ("add", "mul"):
        raise ValueError(f"check_forward: unknown operation {name!r}; use 'add' or 'mul'")
    op = OPERATIONS[name]
    fn = _class_function(Value, op.attr, name)
    other = {"add": ("mul", "multiplies"), "mul": ("add", "adds")}[name]
    rng = random.Random(f"check_forward {name}")

    def test():
        fits_other, wrong = [], []
        for _ in range(INPUTS):
            data = [_number(rng) for _ in range(2)]
            xs = [Value(x) for x in data]
            text = _expression(op, data, None)
            out = _run(f"{name} on {text}", fn, *xs)
            problem = _structure(name, op, text, xs, out, data)
            if problem:
                raise AssertionError(problem)
            want = _evaluate(op, data, None)
            problem = _forward_problem(name, text, out.data, want)
            if problem and not isinstance(out.data, numbers.Real):
                raise AssertionError(problem)
            wrong += [problem] if problem else []
            fits_other.append(_close(out.data, _evaluate(OPERATIONS[other[0]], data, None)))
        if wrong and all(fits_other):
            symbol = OPERATIONS[other[0]].write("self", "other")
            raise AssertionError(f"{wrong[0]}. {LIKELY} the forward pass {other[1]}: out.data "
                                 f"is {symbol} on every input tried")
        if wrong:
            raise AssertionError(wrong[0])
        for size in range(GRAPHS):
            steps = _random_graph(rng, [name], size, True, share=size % 2 == 0)
            nodes = _build(Value, steps, (name, fn))
            values, _ = _torch_graph(steps)
            names, listing = _listing(steps)
            for i, node in enumerate(nodes):
                if not _close(node.data, values[i]):
                    raise AssertionError(f"{name}: the value of {names[i]} differs on\n    "
                                         f"{listing}\n  got {_fmt(node.data)}, expected "
                                         f"{_fmt(values[i])}")
        return (f"{name}: forward pass right (data, _prev, _op) on {INPUTS} random inputs and "
                f"{GRAPHS} random expressions")

    _report(name, getattr(fn, "__name__", name), test)


# --- the topological sort ------------------------------------------------------------------


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


def _reachable(root):
    return finished.topological_order(root)


def _order_problem(order, root):
    """What is wrong with ``order`` as a topological order of ``root``'s graph, and the
    likely mistake when one fits: (problem, mistake), or None."""
    nodes = _reachable(root)
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
                "appear once)",
                "no record of the values already placed: a value reached along two paths is "
                "placed twice; keep a `visited` set and skip what is in it" if revisited
                else None)
    if not set(ids) <= {id(n) for n in nodes}:
        return "the order holds values that are not in the graph", None
    missing = [label[id(n)] for n in nodes if id(n) not in set(ids)]
    if missing == [label[id(root)]]:
        return "the order leaves out the root itself (it must come last)", None
    if missing:
        return (f"the order leaves out {', '.join(missing)} (every value the root depends on "
                "must be in it, inputs included)", None)
    position = {i: k for k, i in enumerate(ids)}
    late = [(n, c) for n in nodes for c in n._prev if position[id(c)] > position[id(n)]]
    if not late:
        return None
    mistake = ("values are placed before their inputs, the root first (in a depth-first "
               "search, append a node AFTER visiting its inputs): the root must come last, "
               "backward() reverses the order itself") if position[id(root)] == 0 else None
    if all(position[id(c)] > position[id(n)] for n in nodes for c in n._prev):
        return "the order is reversed: every value comes BEFORE its inputs", mistake
    n, c = late[0]
    return (f"{label[id(n)]} comes before its input {label[id(c)]} (every value must come "
            "after all of its inputs)", mistake)
    return None


def check_topological_sort(topological_order):
    """``topological_order(root)``: a list of every value in the graph of ``root``, root
    included, each once and after all of its inputs. Any valid order passes."""
    rng = random.Random("check_topological_sort")

    def test():
        for nodes in _sort_graphs(rng):
            root = nodes[-1]
            before = [(n.data, n.grad) for n in nodes]
            result = _run("topological_order(root)", topological_order, root)
            if result is None or isinstance(result, numbers.Number) or _is_value(result):
                raise AssertionError(f"topological_order(root) returned {_kind(result)}: "
                                     "return the list of values")
            try:
                order = list(result)
            except TypeError:
                raise AssertionError(f"topological_order(root) returned {_kind(result)}: "
                                     "return a list of values") from None
            if [(n.data, n.grad) for n in nodes] != before:
                raise AssertionError("topological_order(root) changed the data or grad of "
                                     "values: it should only read the graph")
            problem = _order_problem(order, root)
            if problem:
                what, mistake = problem
                raise AssertionError(f"topological_order: {what}, on this graph:\n    "
                                     f"{_describe(root)}" + (f"\n  {LIKELY} {mistake}"
                                                            if mistake else ""))
        return (f"topological_order: a valid order on {GRAPHS} random graphs (values shared "
                "between nodes included)")

    _report("topological_order", getattr(topological_order, "__name__", ""), test)


def _describe(root):
    """The graph of ``root`` as 'v2 = v0 * v1' lines (names as in the sort check's messages)."""
    nodes = _reachable(root)
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


# --- backward() ------------------------------------------------------------------------------


def check_backward(Value):
    """``Value.backward()``: seed the output with 1, then every node's ``_backward``, each
    after all the nodes that use it. Tried on random graphs (values used twice included:
    they are what a wrong order gets wrong) built on the learner's class with the finished
    operations of helpers.finished.value, so the learner's own operations do not matter (an
    ``=`` not yet fixed in them included). The calls to each node's ``_backward`` are
    recorded to say what went wrong. Last, one graph whose inputs and root already hold
    gradients, as after a first pass nobody reset: the inputs' gradients must be added to
    and the root's seed set to 1 (a seed added with ``+=`` is refused by name)."""
    fn = _class_function(Value, "backward", "backward")
    ops = list(_HELPERS)
    rng = random.Random("check_backward")

    def test():
        for size in range(GRAPHS):
            steps = _random_graph(rng, ops, size, True, share=size % 3 != 2)
            nodes = _build(Value, steps)
            values, grads = _torch_graph(steps)
            calls = _record_calls(nodes)
            _run("backward()", fn, nodes[-1])
            names, listing = _listing(steps)
            problem = _grad_types("backward", f" on\n    {listing}\n ",
                                  [(names[i], n) for i, n in enumerate(nodes)],
                                  "seed the root with the number 1.0, not a Value")
            if problem:
                raise AssertionError(problem)
            wrong = [i for i, s in enumerate(steps)
                     if s[0] == "leaf" and not _close(nodes[i].grad, grads[i])]
            if wrong:
                names, listing = _listing(steps)
                i = wrong[0]
                raise AssertionError(
                    f"backward: after root.backward() the gradient of {names[i]} differs on\n"
                    f"    {listing}\n  expected {_fmt(grads[i])} (float64 PyTorch), got "
                    f"{_fmt(nodes[i].grad)}" + _order_diagnosis(nodes, names, calls))
        _check_keeps_gradients(Value, fn, _random_graph(rng, ops, GRAPHS, True, share=True))
        return f"backward: right on {GRAPHS} random graphs (values used twice included; vs " \
               "float64 PyTorch)"

    _report("backward", getattr(fn, "__name__", ""), test)


def _check_keeps_gradients(Value, fn, steps):
    """backward() adds to the gradients the inputs already hold: resetting them is the
    caller's job (lecture 03, section 4), so a backward that zeroes them is refused. The
    root's own gradient is the seed, SET to 1 whatever it held (a second backward() without
    a reset must start from 1 again), so a seed added with ``+=`` is refused too."""
    nodes = _build(Value, steps)
    _, grads = _torch_graph(steps)
    held = {i: 0.25 * (i + 1) for i, s in enumerate(steps) if s[0] == "leaf"}
    for i, g in held.items():
        nodes[i].grad = g
    root = nodes[-1]
    root.grad = 1.0  # as after a first backward() that nobody reset
    _run("backward()", fn, root)
    if not _close(root.grad, 1.0):
        added = _close(root.grad, 2.0)
        raise AssertionError(
            "backward: the root already had grad = 1 (from an earlier backward() that was "
            f"not reset) and after root.backward() it is {_fmt(root.grad)}; the seed must be "
            "1 whatever the root held"
            + (f". {LIKELY} the seed is added, self.grad += 1.0: SET it, self.grad = 1.0 "
               "(inputs add up contributions from several uses; the root has no use, its "
               "gradient is d root / d root = 1)" if added else ""))
    wrong = [i for i in held if not _close(nodes[i].grad, held[i] + grads[i])]
    if wrong:
        names, listing = _listing(steps)
        i = wrong[0]
        reset = all(_close(nodes[j].grad, grads[j]) for j in held)
        raise AssertionError(
            f"backward: with {names[i]}.grad = {_fmt(held[i])} before root.backward() on\n"
            f"    {listing}\n  expected {names[i]}.grad = {_fmt(held[i])} + "
            f"{_fmt(grads[i])} afterwards (a backward pass adds to the gradients), got "
            f"{_fmt(nodes[i].grad)}"
            + (f". {LIKELY} backward() sets the gradients to zero first: leave that to the "
               "caller (it resets them before each pass), set only the root's grad to 1"
               if reset else ""))


def _record_calls(nodes):
    """Wrap each node's _backward so that ``calls`` lists (node index, its grad) per call."""
    calls = []
    for i, node in enumerate(nodes):
        def recorded(i=i, node=node, step=node._backward):
            calls.append((i, node.grad))
            step()
        node._backward = recorded
    return calls


def _order_diagnosis(nodes, names, calls):
    """The mistake in the order of the _backward calls that explains the result, or ''."""
    inner = [i for i, n in enumerate(nodes) if n._prev]
    root = len(nodes) - 1
    done = [i for i, _ in calls if i in inner]
    if not done:
        return f". {LIKELY} no node's `_backward` was called: call it on every node"
    if any(done.count(i) > 1 for i in inner):
        twice = next(names[i] for i in inner if done.count(i) > 1)
        return (f". The `_backward` of {twice} was called more than once: each node's once "
                "(does the order list it twice?)")
    seed = next((g for i, g in calls if i == root), None)
    if seed is not None and seed != 1:
        return (f". {LIKELY} the root's gradient was not seeded with 1: its `_backward` ran with "
                f"grad = {seed!r}; set self.grad = 1.0 before the loop")
    users = {i: [j for j in inner if any(c is nodes[i] for c in nodes[j]._prev)] for i in inner}
    position = {i: k for k, i in enumerate(done)}
    missing = [names[i] for i in inner if i not in position]
    if missing:
        return f". The `_backward` of {', '.join(missing)} was never called"
    early = [(i, j) for i in inner for j in users[i] if position[j] > position[i]]
    if early:
        if all(position[j] > position[i] for i in inner for j in users[i]) and len(inner) > 1:
            return (f". {LIKELY} the nodes were processed inputs first: walk the topological "
                    "order reversed (outputs first), `for node in reversed(order)`")
        i, j = early[0]
        return (f". {LIKELY} a node was processed before all the nodes that use it: "
                f"{names[i]} passed its gradient on before {names[j]}, which uses it, had "
                "added its share (use the reversed topological order)")
    return ""


# --- softmax and its negative log-likelihood (lecture 03, section 7) ---------------------


def check_softmax_nll(softmax, nll, Value):
    """``softmax(logits)``: the list of probabilities e^z_i / sum_j e^z_j, as Values built
    from the logit Values; ``nll(probs, target)``: the Value -log probs[target]. Tried on
    random logits (2 to 6 classes, every target) against float64 PyTorch."""
    rng = random.Random("check_softmax_nll")

    def test():
        for trial in range(GRAPHS):
            data = [_number(rng, 0.0, 3.0) for _ in range(2 + trial % 5)]
            target = trial % len(data)
            text = f"logits {data}, target {target}"
            logits = [Value(z) for z in data]
            probs = _run(f"softmax({data})", softmax, logits)
            probs = _softmax_result(probs, data)
            t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
            want = torch.softmax(t, dim=0).tolist()
            got = [p.data for p in probs]
            if not all(map(_close, got, want)):
                total = sum(got)
                hint = (f". {LIKELY} the exps are not divided by their sum (they add up to "
                        f"{_fmt(total)}, not 1)" if all(
                            _close(g, math.exp(z)) for g, z in zip(got, data, strict=True))
                        else "")
                raise AssertionError(f"softmax: the probabilities differ for logits {data}: "
                                     f"got {[round(g, 6) for g in got]}, expected (float64 "
                                     f"PyTorch) {[round(w, 6) for w in want]}{hint}")
            loss = _run(f"nll(probs, {target})", nll, probs, target)
            if not _is_value(loss):
                raise AssertionError(f"nll(probs, {target}) returned {_kind(loss)}: return a "
                                     "Value made from probs[target] (its .log(), negated)")
            (-torch.log_softmax(t, dim=0)[target]).backward()
            expected = -math.log(want[target])
            if _close(loss.data, -expected):
                raise AssertionError(f"nll: the loss is {_fmt(loss.data)} for {text}, expected "
                                     f"{_fmt(expected)}. {LIKELY} the sign: the loss is MINUS "
                                     "the log of the target's probability")
            if not _close(loss.data, expected):
                raise AssertionError(f"nll: the loss is {_fmt(loss.data)} for {text}, expected "
                                     f"-log(probs[target]) = {_fmt(expected)}")
            reached = _reaches(loss, logits)
            if not any(reached):
                raise AssertionError(f"softmax/nll: no gradient reached the logits on {text}: "
                                     "build the probabilities and the loss from the Values "
                                     "themselves (no .data, no math.exp / math.log)")
            if not all(reached):
                cut = [f"z{i}" for i, r in enumerate(reached) if not r]
                raise AssertionError(
                    f"softmax/nll: on {text} the loss is not connected to the logits "
                    f"{', '.join(cut)}, though every logit changes the sum of the exps and so "
                    f"every probability. {LIKELY} the sum (the denominator) is a plain float, "
                    "so the gradient path through it is lost: make the total a Value, the sum "
                    "of the exp Values (sum(counts)), not of their .data")
            loss.grad = 1.0
            _backprop(loss, "softmax and nll", f" on {text}")
            grads, want = [z.grad for z in logits], t.grad.tolist()
            problem = _grad_types("softmax/nll", f" on {text}",
                                  [(f"z{i}", z) for i, z in enumerate(logits)])
            if problem:
                raise AssertionError(problem)
            if not all(map(_close, grads, want)):
                raise AssertionError(f"softmax/nll: the logits' gradients differ on {text}: "
                                     f"got {[round(g, 6) for g in grads]}, expected (float64 "
                                     f"PyTorch) {[round(w, 6) for w in want]}, softmax minus "
                                     "one-hot: check the operations they use (exp, log, /, -)")
        return (f"softmax and nll: right on {GRAPHS} random sets of logits (2 to 6 classes; "
                "probabilities, loss and the logits' gradients vs float64 PyTorch)")

    _report("softmax", "", test, parts=(getattr(softmax, "__name__", "softmax"),
                                        getattr(nll, "__name__", "nll")))


def _softmax_result(probs, data):
    """The learner's softmax output as a list of Values, or a clear error."""
    what = f"softmax({data})"
    if _is_value(probs) or probs is None or isinstance(probs, numbers.Number):
        raise AssertionError(f"{what} returned {_kind(probs)}: return a list, one probability "
                             "per logit")
    probs = list(probs)
    if len(probs) != len(data):
        raise AssertionError(f"{what} returned {len(probs)} values for {len(data)} logits")
    if not all(_is_value(p) for p in probs):
        raise AssertionError(f"{what} returned {', '.join(_kind(p) for p in probs[:2])}, ...: "
                             "keep each probability a Value (no .data), so that the gradient "
                             "can reach the logits")
    return probs


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
    else:  # both
        y_max, z_max = into_max, into_max
    y_total = {"sum": into_add + y_max, "add": into_add, "max": y_max}[rules["fork"]]
    return into_add, y_total, z_max


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
            raise AssertionError(f"{name} should be a number (for example 1.5), got {_kind(v)}")
    t = {name: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for name, v in GATES.items()}
    ((t["x"] + t["y"]) * torch.maximum(t["y"], t["z"])).backward()
    want = [t[name].grad.item() for name in "xyz"]
    got = [float(v) for v in given.values()]
    right = {name: _close(g, w) for name, g, w in zip(given, got, want, strict=True)}
    if all(right.values()):
        print(f"gates by hand: dx, dy and dz agree with PyTorch's backward pass of "
              f"{_GATES_TEXT.split(' at ')[0]}")
        return
    wrong = [f"{name} = {_fmt(v)}" for name, v in zip(given, got, strict=True)
             if not right[name]]
    fine = [name for name in given if right[name]]
    message = (f"gates by hand, {_GATES_TEXT}: {' and '.join(wrong)} "
               f"{'is' if len(wrong) == 1 else 'are'} not what the backward pass gives"
               + (f" ({' and '.join(fine)} {'is' if len(fine) == 1 else 'are'} right)"
                  if fine else ""))
    raise AssertionError(message + _gates_diagnosis(got))


def _gates_diagnosis(got):
    """'. Likely mistake: ...' for the fewest wrong gate rules that give ``got``, or advice."""
    fits = []
    for choice in itertools.product(*_GATE_RULES.values()):
        rules = dict(zip(_GATE_RULES, choice, strict=True))
        predicted = _gate_gradients(rules, *GATES.values())
        if all(map(_close, got, predicted)):
            fits.append([_GATE_RULES[gate][rule] for gate, rule in rules.items()
                         if _GATE_RULES[gate][rule] is not None])
    if fits:
        fewest = min(len(f) for f in fits)
        shared = [m for m in fits[[len(f) for f in fits].index(fewest)]
                  if all(m in f for f in fits if len(f) == fewest)]
        if shared:
            return f". {LIKELY} " + "; and ".join(shared)
    return (". Work back from f one gate at a time: f's gradient is 1; the product sends each "
            "factor the other factor's value; the + sends what it received to x and to y; "
            "max sends what it received to the larger input only; y, used twice, adds up "
            "what its two uses send back")
