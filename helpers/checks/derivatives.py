"""Checks for the derivatives the learner works out: lecture 01's gradient exercise (an
analytic gradient and two difference quotients) and lecture 02's backpropagation by hand.

Each check tests the learner's functions at several points, prints one line when they are
right, and otherwise raises ``AssertionError`` saying what differs (and the likely mistake
only when the wrong numbers fit that mistake at every point tried). ``check_by_nudging``
compares one hand-made gradient with a nudge of that value alone, and names the likely
mistake only when the wrong number is exactly what that mistake gives.

The numbers of the short exercises (lecture 01's flat points, partial derivatives and step
errors; lecture 02's prediction, hand-made gradient and sigmoid neuron) go through
:func:`_check_numbers`: each candidate mistake is derived from the structure of the answer
(the right numbers in another order, the answer of a neighbouring expression, a factor of
the chain rule left out, the sign) and is named only when it is the only one that gives the
learner's number; when two give it, both are named ("either ... or ..."); otherwise the
message says plainly what was expected and what was found.
"""

import itertools
import math
import random

import numpy as np

from helpers.checks.compare import numerical_grad

__all__ = ["f_abc", "check_grad_f", "check_difference_quotients", "check_by_nudging",
           "check_flat_points", "check_partials_e", "check_step_errors",
           "check_prediction_c", "check_q_gradient", "check_sigmoid_w1"]

POINT = (2.0, 3.0, 4.0)
EXPECTED = (-12.353553390593273, 10.25699027111255, 0.0625)  # the gradient at POINT
NAMES = ("∂f/∂a", "∂f/∂b", "∂f/∂c")


def f_abc(a, b, c):
    """The exercise's function f(a, b, c) = -a³ + sin(3b) - 1/c + b^2.5 - a^0.5."""
    return -a**3 + math.sin(3 * b) - 1.0 / c + b**2.5 - a**0.5


def _central(fn, point, h=1e-5):
    out = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        out.append((fn(*up) - fn(*down)) / (2 * h))
    return out


def _close(x, y, rel):
    return abs(x - y) <= rel * max(1.0, abs(y))


def _numbers(name, got, n, where):
    """``got`` as a list of n floats, or an AssertionError that says what it is instead."""
    try:
        if isinstance(got, dict | str):
            raise TypeError  # iterating would give its keys or characters
        values = [float(v) for v in got]
    except (TypeError, ValueError):
        raise AssertionError(f"{name}{where} returned {type(got).__name__} {got!r:.60}; "
                             f"return a list of {n} numbers") from None
    if len(values) != n:
        raise AssertionError(f"{name}{where} returned {len(values)} numbers; expected {n}, "
                             "one partial derivative per input")
    return values


# Wrong versions of one component, each a function of (a, b, c), with its diagnosis.
_MISTAKES = {
    1: [(lambda a, b, c: math.cos(3 * b) + 2.5 * b**1.5,
         "the factor 3 from inside sin(3b) is missing: d/db sin(3b) = 3·cos(3b)"),
        (lambda a, b, c: -3 * math.cos(3 * b) + 2.5 * b**1.5,
         "the sign of the sine's derivative: d/db sin(3b) = +3·cos(3b)")],
    2: [(lambda a, b, c: -1.0 / c**2,
         "the sign: -1/c = -c⁻¹ has derivative -(-1)·c⁻² = +1/c²")],
    0: [(lambda a, b, c: -3 * a**2 + 0.5 * a**-0.5,
         "the sign of the last term: -a^0.5 has derivative -0.5·a^-0.5"),
        (lambda a, b, c: -3 * a**2,
         "the term -a^0.5 is left out (its derivative is -0.5·a^-0.5)")],
}


def check_grad_f(grad_f):
    """``grad_f(a, b, c)`` -> [∂f/∂a, ∂f/∂b, ∂f/∂c]: at (2, 3, 4) against the known
    values, then at 20 random points against central differences."""
    rng = random.Random("check_grad_f")
    points = [POINT] + [(rng.uniform(0.3, 3), rng.uniform(0.3, 3),
                         rng.choice([-1, 1]) * rng.uniform(0.5, 5)) for _ in range(20)]
    results = []
    for point in points:
        where = f" at (a, b, c) = ({', '.join(f'{v:.4g}' for v in point)})"
        got = _numbers("grad_f", grad_f(*point), 3, where)
        want = list(EXPECTED) if point == POINT else _central(f_abc, point)
        results.append((point, where, got, want))
    for i in range(3):
        wrong = [(p, w, g, t) for p, w, g, t in results if not _close(g[i], t[i], 1e-6)]
        if not wrong:
            continue
        point, where, got, want = wrong[0]
        if any(all(_close(g[j], t[order[j]], 1e-6) for _, _, g, t in results for j in range(3))
               for order in itertools.permutations(range(3))):
            raise AssertionError(f"grad_f{where} returned {got}: the right numbers in "
                                 f"another order; return [∂f/∂a, ∂f/∂b, ∂f/∂c] = {want}")
        message = (f"{NAMES[i]} differs{where}: grad_f gives {got[i]:.6g}, "
                   f"expected {want[i]:.6g}")
        for wrong_version, diagnosis in _MISTAKES[i]:
            if all(_close(g[i], wrong_version(*p), 1e-6) for p, _, g, _ in results):
                message += f". Likely mistake: {diagnosis}"
                break
        raise AssertionError(message)
    print(f"grad_f: right at (2, 3, 4) and at {len(points) - 1} random points "
          "(against central differences)")


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


def check_difference_quotients(forward_grad, central_grad, h=1e-3):
    """``forward_grad(fn, point, h)`` and ``central_grad(fn, point, h)`` -> a list,
    one estimate per input, nudging one input at a time. Tested on random quadratics,
    where the forward difference is exactly slope + (h/2)·f'' and the central one exact."""
    rng = random.Random("check_difference_quotients")
    for trial in range(12):
        n = (3, 2, 4)[trial % 3]
        fn, k, slope = _test_function(rng, n)
        point = tuple(rng.uniform(-3, 3) for _ in range(n))
        where = f" on a quadratic of {n} inputs at {tuple(round(v, 4) for v in point)}, h = {h}"
        exact = [slope(point, i) for i in range(n)]
        forward_want = [s + k[i] * h for i, s in enumerate(exact)]  # (h/2)·f'' = (h/2)·2k
        backward = [s - k[i] * h for i, s in enumerate(exact)]  # (f(x) - f(x - h)) / h
        for name, fun, want, other in [
                ("forward_grad", forward_grad, forward_want, exact),
                ("central_grad", central_grad, exact, forward_want)]:
            got = _numbers(name, fun(fn, point, h), n, where)
            bad = [i for i in range(n) if not _close(got[i], want[i], 1e-7)]
            if not bad:
                continue
            i = bad[0]
            message = (f"{name}{where}: component {i} is {got[i]:.8g}, expected "
                       f"{want[i]:.8g}")
            total = sum(exact)
            if all(_close(g, o, 1e-7) for g, o in zip(got, other, strict=True)):
                message += (". Likely mistake: this is the "
                            + ("central" if name == "forward_grad" else "forward")
                            + " difference")
            elif name == "forward_grad" and all(
                    _close(g, b, 1e-7) for g, b in zip(got, backward, strict=True)):
                message += (". Likely mistake: this is the backward difference, "
                            "(f(x) - f(x - h)) / h; step forward, to x + h")
            elif name == "central_grad" and all(
                    _close(g, 2 * e, 1e-7) for g, e in zip(got, exact, strict=True)):
                message += ". Likely mistake: twice the slope; divide by 2h, the whole width"
            elif n > 1 and all(abs(g - total) < 0.05 * max(1, abs(total)) for g in got):
                message += (". Likely mistake: every input nudged at once; nudge one input, "
                            "keep the others where they are")
            raise AssertionError(message)
    print("forward_grad and central_grad: right on 12 random quadratics "
          "(2 to 4 inputs)")


# --- the short exercises: numbers, diagnosed by the structure of the answer ---------------


def _fmt(x, digits=6):
    """``x`` for a message: a few significant digits, never "-0"."""
    x = round(float(x), 12) + 0.0
    return f"{x:.{digits}g}"


def _same(x, y, tol=1e-9):
    return abs(x - y) <= tol * max(1.0, abs(y))


def _likely(texts):
    """The diagnosis part of a message for the mistakes that fit, or ''."""
    if not texts:
        return ""
    if len(texts) == 1:
        return f". Likely mistake: {texts[0]}"
    return (f". {len(texts)} mistakes give exactly this number: either "
            + "; or ".join(texts))


def _fitting(got, want, candidates, tol=1e-9):
    """The distinct texts of the ``(value, text)`` candidates whose value is ``got`` (and
    not the right answer ``want``)."""
    texts = []
    for value, text in candidates:
        if value is None or text in texts:
            continue
        if _same(got, value, tol) and not _same(value, want, tol):
            texts.append(text)
    return texts


def _missing_factor(want, factors):
    """Candidates for a chain rule with one factor left out: the answer divided by it."""
    return [(want / value, text) for value, text in factors
            if value != 0 and abs(abs(value) - 1) > 1e-12]


def _number(name, got):
    """``got`` as a float, or an AssertionError that says what it is instead."""
    if isinstance(got, bool) or got is None:
        raise AssertionError(f"{name} is {got!r}; expected a number")
    if hasattr(got, "data") and hasattr(got, "_prev"):
        raise AssertionError(f"{name} is a Value, not a number: store its .data")
    try:
        return float(got)
    except (TypeError, ValueError):
        raise AssertionError(f"{name} is {type(got).__name__} {got!r:.60}; "
                             "expected a number") from None


def _check_numbers(names, got, want, *, how, whole=(), each=None, tol=1e-9,
                   order="the right numbers in another order: each name holds the slope "
                         "with respect to its own input"):
    """Compare the learner's numbers ``got`` (one per name) with ``want``. ``whole``: list
    of (tuple of numbers, text), a wrong answer as a whole (another expression's answer);
    ``each``: one list of (number, text) per name. The right numbers in another order
    (``order`` says so) and the sign are tried for every answer. ``how``: where the expected
    numbers come from, for the message. Raises AssertionError, or returns quietly."""
    got = [_number(n, g) for n, g in zip(names, got, strict=True)]
    wrong = [i for i in range(len(names)) if not _same(got[i], want[i], tol)]
    if not wrong:
        return
    if len(names) > 1:
        texts = [text for values, text in whole
                 if all(_same(g, v, tol) for g, v in zip(got, values, strict=True))]
        if all(_same(g, w, tol) for g, w in zip(sorted(got), sorted(want), strict=True)):
            texts.insert(0, order)   # the same numbers, in another order
        if texts:
            raise AssertionError(
                f"({', '.join(names)}) = ({', '.join(_fmt(g) for g in got)}); {how} gives "
                f"({', '.join(_fmt(w) for w in want)})" + _likely(texts))
    lines = []
    for i in wrong:
        candidates = list((each or [[]] * len(names))[i])
        if not any(_same(value, -want[i], tol) for value, _ in candidates):
            candidates.append((-want[i], "the sign"))
        line = f"{names[i]} is {_fmt(got[i])}; {how} gives {_fmt(want[i])}"
        lines.append(line + _likely(_fitting(got[i], want[i], candidates, tol)))
    raise AssertionError("\n".join(lines))


# --- lecture 01's exercises 1 to 3 ----------------------------------------------------------


def _q(x):
    return x**3 - 6 * x**2 + 9 * x + 1


Q_SLOPE = (3.0, -12.0, 9.0)   # q'(x) = 3x² - 12x + 9, by the power rule


def _roots(p2, p1, p0):
    disc = p1 * p1 - 4 * p2 * p0
    if disc < 0:
        return None
    return sorted([(-p1 - math.sqrt(disc)) / (2 * p2), (-p1 + math.sqrt(disc)) / (2 * p2)])


def _poly(p2, p1, p0):
    """'3x² + 12x + 9' for the coefficients (3, 12, 9)."""
    def signed(k, term):
        return f" {'-' if k < 0 else '+'} {abs(k):g}{term}"
    return f"{p2:g}x²{signed(p1, 'x')}{signed(p0, '')}"


def _slope_q(x):
    return numerical_grad(_q, x)


def check_flat_points(flat_points, local_max, local_min):
    """Lecture 01, exercise 1: the x where q(x) = x³ - 6x² + 9x + 1 has slope zero, and
    which of them is the hilltop and which the valley. The mistakes it names come from the
    structure of the answer: the heights q(x) stored instead of the places x, the zeros of a
    derivative with a sign error (the negated points among them), maximum and minimum
    swapped."""
    if isinstance(flat_points, dict | str) or not hasattr(flat_points, "__iter__"):
        raise AssertionError(f"flat_points is {type(flat_points).__name__} "
                             f"{flat_points!r:.60}; store a list of the x where the slope "
                             "of q is zero")
    points = [_number("each flat point", x) for x in flat_points]
    right = _roots(*Q_SLOPE)
    heights = [_q(r) for r in right]

    def same_set(xs, ys):
        return len(xs) == len(ys) and all(_same(x, y, 1e-6) for x, y in
                                          zip(sorted(xs), sorted(ys), strict=True))

    if not same_set(points, right):
        listed = f"flat_points = [{', '.join(_fmt(x) for x in points)}]"
        if same_set(points, heights):
            raise AssertionError(
                f"{listed} are the heights q(x) at the flat points, not the places: store the "
                "x where the slope is zero")
        for signs in itertools.product((1, -1), repeat=3):
            if signs == (1, 1, 1):
                continue
            variant = [s * k for s, k in zip(signs, Q_SLOPE, strict=True)]
            zeros = _roots(*variant)
            if zeros is not None and same_set(points, zeros):
                raise AssertionError(
                    f"{listed}: q's slope is not zero there (at {_fmt(points[0])} it is "
                    f"{_fmt(_slope_q(points[0]), 4)}). These are the "
                    f"zeros of {_poly(*variant)}: a sign went wrong in the derivative; take "
                    "each term's sign along (the power rule keeps it)")
        if len(points) != 2:
            raise AssertionError(f"flat_points holds {len(points)} number"
                                 f"{'' if len(points) == 1 else 's'}: a cubic's slope is a "
                                 "quadratic, expect two flat points")
        bad = next(x for x in points if abs(_slope_q(x)) > 1e-6)
        raise AssertionError(f"the slope of q at {_fmt(bad)} is not zero (it is "
                             f"{_fmt(_slope_q(bad), 4)})")
    top, valley = (right[0], right[1]) if _slope_q(right[0] - 0.1) > 0 else right[::-1]
    kinds = [("local_max", local_max, top, valley, "+ then -", "maximum"),
             ("local_min", local_min, valley, top, "- then +", "minimum")]
    values = {name: _number(name, x) for name, x, *_ in kinds}
    if _same(values["local_max"], valley) and _same(values["local_min"], top):
        raise AssertionError(
            f"local_max = {_fmt(valley)} and local_min = {_fmt(top)} are swapped: across "
            f"x = {_fmt(valley)} the slope of q goes - then +, so it is the other kind (a "
            "valley); a maximum needs slopes + then -")
    for name, _, here, other, signs, kind in kinds:
        x = values[name]
        if _same(x, here, 1e-6):
            continue
        texts = _fitting(x, here, [(_q(here), f"the height q(x) of the {kind}, not its place "
                                              "x: store the x"),
                                   (other, f"the other kind: the slope of q goes "
                                           f"{'- then +' if signs == '+ then -' else '+ then -'}"
                                           f" across x = {_fmt(other)}; a {kind} needs "
                                           f"slopes {signs}")], 1e-6)
        where = ("" if any(_same(x, p, 1e-6) for p in points)
                 else " (it is not in flat_points)")
        raise AssertionError(f"{name} = {_fmt(x)}{where}" + (_likely(texts) if texts else
                             f": the slope of q is not {signs} across it"))
    print(f"slopes of q at {', '.join(_fmt(x) for x in sorted(points))} are zero; local maximum at "
          f"x = {_fmt(values['local_max'])}, local minimum at x = {_fmt(values['local_min'])}")


E_POINT = (2.5, -1.5, 4.0)   # a, b, c of lecture 01's section 5 and exercise 2


def check_partials_e(de_da, de_db, de_dc):
    """Lecture 01, exercise 2: the partial derivatives of e = (a + b)·c at
    (a, b, c) = (2.5, -1.5, 4), against nudging."""
    a, b, c = E_POINT
    want = list(numerical_grad(lambda v: (v[0] + v[1]) * v[2], np.array(E_POINT)))
    sum_alone = "the local derivative of the sum alone (1): times c, the factor a + b is " \
        "multiplied by"
    _check_numbers(
        ("de_da", "de_db", "de_dc"), (de_da, de_db, de_dc), want, tol=1e-7,
        how="nudging",
        whole=[((b, a, 1.0), "the gradient of d = a·b + c of section 5, not of e = (a + b)·c"),
               ((b * c, a * c, a * b), "+ taken as ·: the gradient of a·b·c, not of "
                                       "(a + b)·c")],
        each=[[(b * c, "+ taken as ·: that is ∂(a·b·c)/∂a"),
               (b, "∂d/∂a of section 5's d = a·b + c, not of e = (a + b)·c"),
               *_missing_factor(want[0], [(c, sum_alone), (a, "a factor a left out"),
                                          (b, "a factor b left out")])],
              [(a * c, "+ taken as ·: that is ∂(a·b·c)/∂b"),
               (a, "∂d/∂b of section 5's d = a·b + c, not of e = (a + b)·c"),
               *_missing_factor(want[1], [(c, sum_alone), (a, "a factor a left out"),
                                          (b, "a factor b left out")])],
              [(a * b, "+ taken as ·: the other factor of c is the sum a + b, not a·b"),
               (1.0, "∂d/∂c of section 5's d = a·b + c: here c multiplies the sum"),
               *_missing_factor(want[2], [(a, "a factor a left out"),
                                          (b, "a factor b left out"),
                                          (c, "a factor c left out")])]])
    print(f"(de_da, de_db, de_dc) = ({_fmt(de_da, 4)}, {_fmt(de_db, 4)}, {_fmt(de_dc, 4)}), "
          "as nudging gives")


def check_step_errors(forward_error_f, central_error_f, h=0.5, x=3.0):
    """Lecture 01, exercise 3: the absolute errors of the forward and the central difference
    of f(x) = 3x² - 4x + 5 at x = 3 with the step h = 0.5. The mistakes it names: the two
    swapped, 3h² (the step squared) for 3h, the cubic's errors of section 6 carried over to
    the quadratic, a signed error, the slope itself, the step of section 3."""
    def f(t):
        return 3 * t * t - 4 * t + 5

    exact = 6 * x - 4
    forward = (f(x + h) - f(x)) / h
    central = (f(x + h) - f(x - h)) / (2 * h)
    want = [abs(forward - exact), abs(central - exact)]
    cubic = "the cubic g's error of section 6 carried over; this f is a quadratic, " \
        "with its own f'' = 6 and f''' = 0"
    _check_numbers(
        ("forward_error_f", "central_error_f"), (forward_error_f, central_error_f), want,
        how=f"measuring at x = {x:g} with h = {h:g}",
        order="the two swapped: forward_error_f holds the forward difference's error, "
              "central_error_f the central one's",
        each=[[(3 * h * h, "3h², the step squared: the forward error is (h/2)·f'', "
                           "linear in h"),
               (h * h, f"h² ({_fmt(h * h)}), {cubic}"),
               (3 * x * h + h * h, f"3xh + h², {cubic}"),
               (3 * 1.5 * h + h * h, f"3xh + h² at x = 1.5, {cubic}"),
               (h / 2, "(h/2)·f'' without f'' = 6"),
               (-want[0], "a signed error: store the absolute error, abs(...)"),
               (forward, "the forward slope itself, not its error against f'(3) = 14"),
               (3 * 0.01, "the step h = 0.01 of section 3, not 0.5")],
              [(h * h, f"h² ({_fmt(h * h)}), {cubic}"),
               (h * h / 6, "(h²/6) without f''': that term is (h²/6)·f'''"),
               (central, "the central slope itself, not its error against f'(3) = 14")]])
    print(f"forward error {_fmt(forward_error_f, 4)}, central error "
          f"{_fmt(abs(central_error_f), 4)}: right")


# --- lecture 02: one gradient worked out by hand ------------------------------------------


def _nodes(root):
    """Every value in ``root``'s graph."""
    seen, stack, out = set(), [root], []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        stack.extend(node._prev)
    return out


def _above(value, root):
    """The values of ``root``'s graph that ``value`` reaches, following its uses upwards."""
    nodes = _nodes(root)
    found, grew = {id(value)}, True
    while grew:
        grew = False
        for node in nodes:
            if id(node) not in found and any(id(child) in found for child in node._prev):
                found.add(id(node))
                grew = True
    return [node for node in nodes if id(node) in found and node is not value]


def _name(node, fallback="its output"):
    return node.label or fallback


def _suspects(value, via, root):
    """(wrong number, diagnosis) for the mistakes a learner makes at this step of the backward
    pass: ``value`` is an input of the operation that made ``via``, whose gradient is known."""
    if via is None:   # the output itself: the seed
        return [(0.0, "0 is where every grad starts; the seed is how much the output moves "
                      "per unit when the output itself is nudged")]
    up, name = via.grad, _name(via)
    others = [child for child in via._prev if child is not value]
    suspects, local = [], None
    if via._op == "*" and others:
        other = others[0]
        local = other.data
        suspects += [
            (value.data * up, f"its own data: a product gives each input the *other* "
                              f"input's data ({_name(other, 'the other factor')}), times "
                              f"the gradient that arrived at {name}"),
            (other.data, f"the local derivative alone: multiply it by the gradient that "
                         f"arrived at {name} ({up:.4g})"),
            (up, "the gradient passed on unchanged, as a + would: a product multiplies it "
                 f"by the other input's data ({_name(other, 'the other factor')})")]
    elif via._op == "+" and others:
        local = 1.0
        suspects += [
            (1.0, f"the local derivative 1 alone: multiply it by the gradient that arrived "
                  f"at {name} ({up:.4g})"),
            (others[0].data * up, "multiplied by the other input's data, as a product would: "
                                  "a + passes the gradient on unchanged"),
            (up / len(via._prev), f"the gradient split between the {len(via._prev)} inputs: "
                                  f"a + passes the whole gradient that arrived at {name} to "
                                  "each input")]
    elif via._op == "tanh":
        local = 1 - via.data**2
        suspects += [
            ((1 - value.data**2) * up, f"1 - n² with n the input ({value.data:.4g}): "
                                       "tanh's slope is 1 - o², with o = tanh(n) the output"),
            ((1 - via.data) * up, "1 - o: tanh's slope is 1 - o², the output squared"),
            (via.data * (1 - via.data) * up, "o·(1 - o), the sigmoid's slope: tanh's is "
                                             "1 - o²"),
            (1 - via.data**2, f"the local derivative alone: multiply it by the gradient that "
                              f"arrived at {name} ({up:.4g})")]
    if local is not None:
        # The right local derivative times the gradient of another node: a step of the chain
        # skipped (a node above), or the gradient of a neighbouring branch.
        above = [node for node in _above(value, root) if node is not via]
        over_via = _above(via, root)
        inside = {id(child) for child in via._prev}
        pool = above + [child for node in above for child in node._prev]
        seen = set()
        for node in pool:
            if id(node) in seen or node is via or node is value or id(node) in inside:
                continue
            seen.add(id(node))
            grad = node.grad
            if isinstance(grad, bool) or not isinstance(grad, int | float):
                continue
            if any(node is m for m in over_via):
                between = [_name(m) for m in over_via
                           if m is not node and any(m is k for k in _nodes(node))]
                why = (f": the steps from {_name(node)} down to {name}, through "
                       f"{', '.join(between)}, skipped" if between else
                       f": the step from {_name(node)} down to {name} skipped")
            else:
                why = f": {_name(node)} is on another branch"
            suspects.append((local * grad, f"the gradient of {_name(node)} ({grad:.4g}) where "
                                           f"the one that arrived at {name} ({up:.4g}), the "
                                           f"node {_name(value, 'this value')} feeds, "
                                           f"belongs{why}"))
    return suspects


def _consumer(value, root):
    """The value in ``root``'s graph that ``value`` feeds (None for ``root`` itself)."""
    return next((node for node in _nodes(root)
                 if any(child is value for child in node._prev)), None)


def check_by_nudging(name, value, output_of, root):
    """The gradient the learner worked out by hand (their ``name``, stored in ``value.grad``)
    against a nudge of ``value`` alone: ``output_of(x)`` is the output with this value set to
    ``x`` and everything else fixed. ``root`` is the output (``L``): in its graph the check
    finds the operation that ``value`` feeds, so that a wrong number can be matched to the
    mistake that gives exactly that number. Raises AssertionError saying what differs;
    returns the nudged slope."""
    got, label = value.grad, value.label or "this value"
    if isinstance(got, bool) or not isinstance(got, int | float):
        if hasattr(got, "data") and hasattr(got, "_prev"):
            raise AssertionError(f"{name} is a Value, not a number: use a Value's number, "
                                 "its .data (and a gradient already found, as a number)")
        raise AssertionError(f"{name} is {type(got).__name__} {got!r:.60}; expected a number")
    want = numerical_grad(output_of, float(value.data))
    if abs(got - want) <= 1e-6 * max(1.0, abs(want)):
        return want
    message = (f"{name} is {_fmt(got)}, but nudging {label} alone gives "
               f"{round(want, 4) + 0.0:.4f}")
    via = None if value is root else _consumer(value, root)
    suspects = _suspects(value, via, root)
    if via is not None:   # most often a .grad read before the check stored it
        suspects.insert(0, (0.0, "0, as if the gradient from above were 0: a .grad is filled "
                                 "in only by the check, after your cell has run; inside your "
                                 "cell use your own names for the gradients found there"))
    texts = []
    for wrong, why in suspects:
        if (abs(wrong - got) <= 1e-9 * max(1.0, abs(wrong)) and why not in texts
                and abs(wrong - want) > 1e-6 * max(1.0, abs(want))):
            texts.append(why)
    if not texts and abs(got + want) <= 1e-9 * max(1.0, abs(want)):
        texts = ["the sign"]
    raise AssertionError(message + _likely(texts))


# --- lecture 02's exercises -----------------------------------------------------------------


L_START = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}   # section 3's inputs
L_GRADS = {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}    # and their gradients


def _L(a=2.0, b=-3.0, c=10.0, f=-2.0):
    return (a * b + c) * f


def check_prediction_c(predicted_change_c, step=0.1):
    """Lecture 02, exercise 1: the change of L = (a·b + c)·f predicted from ∂L/∂c when c
    alone moves by ``step``; L is a straight line in c, so the change itself is the answer.
    The mistakes it names: the new value of L for the change, c moved along its gradient
    (or every input, as in section 4), ∂L/∂c without the step, the step without the factor
    f, and an answer built from the inputs as section 4's step left them."""
    want = _L(c=10.0 + step) - _L()
    eta = 0.01   # section 4's step size
    moved = {k: v + eta * L_GRADS[k] for k, v in L_START.items()}
    whole_step = sum(g * g for g in L_GRADS.values())
    _check_numbers(
        ("predicted_change_c",), (predicted_change_c,), [want],
        how=f"moving c alone from 10 to {10 + step:g}",
        each=[[(_L(c=10.0 + step), f"the new value of L ({_fmt(_L(c=10 + step))}), not the "
                                   f"change: L was {_fmt(_L())} before"),
               (step * L_GRADS["c"] ** 2, f"c moved along its gradient, by {step:g}·∂L/∂c; "
                                          f"here c moves by +{step:g}"),
               (step * whole_step, f"section 4's step, every input moved by {step:g} times "
                                   f"its gradient; here only c moves, by +{step:g}"),
               (eta * whole_step, "section 4's predicted change (every input moved along its "
                                  "gradient, η = 0.01); here only c moves"),
               (step * moved["f"], "built from f.data as section 4's step left it "
                                   f"({_fmt(moved['f'])}): run the cell above the task, which "
                                   "puts a, c and f back"),
               *_missing_factor(want, [
                   (step, f"∂L/∂c alone: times the change of c, {step:g}"),
                   (L_START["f"], "the change of d = e + c alone: d reaches L through "
                                  "L = d·f, a factor f = -2"),
                   (L_START["c"], "a factor c left out")])]])
    print(f"predicted change {_fmt(predicted_change_c, 4)}; L changes by exactly that")


Q_POINT = {"x": -2.0, "y": 5.0, "z": -4.0}


def check_q_gradient(dq_dx, dq_dy, dq_dz):
    """Lecture 02, exercise 2: the gradient of q = (x + y)·z at x = -2, y = 5, z = -4,
    against nudging. Names the right numbers in another order, the gradient of a
    neighbouring expression (x·y + z; + taken as ·), the sum's local derivative without the
    gradient that arrived at p = x + y, a factor left out, q itself, the sign."""
    x, y, z = Q_POINT.values()
    p = x + y
    want = list(numerical_grad(lambda v: (v[0] + v[1]) * v[2], np.array([x, y, z])))
    sum_alone = (f"the local derivative of p = x + y alone (1): times the gradient that "
                 f"arrived at p, ∂q/∂p = z = {_fmt(z)}")

    def left_out(i):
        return _missing_factor(want[i], [(z, sum_alone) if i < 2 else (z, "a factor z left out"),
                                         (x, "a factor x left out"),
                                         (y, "a factor y left out")]
                               + ([(p, "a factor p = x + y left out")] if i < 2 else []))
    _check_numbers(
        ("dq_dx", "dq_dy", "dq_dz"), (dq_dx, dq_dy, dq_dz), want, tol=1e-7, how="nudging",
        whole=[((y, x, 1.0), "the gradient of x·y + z (lecture 01's d = a·b + c), not of "
                             "(x + y)·z"),
               ((y * z, x * z, x * y), "+ taken as ·: the gradient of x·y·z, not of "
                                       "(x + y)·z")],
        each=[[(y * z, "+ taken as ·: that is ∂(x·y·z)/∂x"), *left_out(0)],
              [(x * z, "+ taken as ·: that is ∂(x·y·z)/∂y"), *left_out(1)],
              [(x * y, "+ taken as ·: the other factor of z is the sum p = x + y, not x·y"),
               (p * z, f"q's value itself ({_fmt(p * z)}): ∂q/∂z is the other factor of z"),
               (1.0, "the local derivative of a sum: z multiplies p = x + y"),
               *left_out(2)]])
    print(f"(dq_dx, dq_dy, dq_dz) = ({_fmt(dq_dx, 4)}, {_fmt(dq_dy, 4)}, {_fmt(dq_dz, 4)}), "
          "as nudging gives")


NEURON = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


def check_sigmoid_w1(do_dw1_sigmoid):
    """Lecture 02, exercise 3: ∂o/∂w1 for o = σ(n), n = x1·w1 + x2·w2 + b, with section 5's
    inputs, against nudging. Names tanh's slope where σ's is asked, w1 where x1 belongs,
    σ'(n) without the factor x1, σ(n) for its slope, the sign."""
    v = NEURON

    def neuron(w1):
        return 1 / (1 + math.exp(-(v["x1"] * w1 + v["x2"] * v["w2"] + v["b"])))

    n = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]
    sig, th = 1 / (1 + math.exp(-n)), math.tanh(n)
    slope = sig * (1 - sig)
    want = numerical_grad(neuron, v["w1"])
    tanh_slope = f"tanh's slope 1 - o² ({_fmt(1 - th * th, 4)}) where σ's is asked: " \
        f"σ'(n) = σ(n)·(1 - σ(n)) ({_fmt(slope, 4)})"
    _check_numbers(
        ("do_dw1_sigmoid",), (do_dw1_sigmoid,), [want], tol=1e-7, how="nudging w1",
        each=[[((1 - th * th) * v["x1"], tanh_slope),
               ((1 - sig * sig) * v["x1"], tanh_slope),
               (slope * v["w1"], "w1 where x1 belongs: ∂n/∂w1 is the other factor of w1, x1"),
               ((1 - th * th) * v["w1"], "both tanh's slope (1 - o²) and w1 where x1 belongs: "
                                         "that is section 5's ∂o/∂x1"),
               (sig * v["x1"], "σ(n) itself where its slope σ'(n) belongs"),
               (slope, f"σ'(n) alone: times ∂n/∂w1 = x1 = {_fmt(v['x1'])}")]])
    print(f"do_dw1_sigmoid = {_fmt(do_dw1_sigmoid, 4)}, as nudging w1 gives")
