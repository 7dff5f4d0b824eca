"""Checks for the derivatives the learner works out: lecture 01's gradient exercise (an
analytic gradient and two difference quotients) and lecture 02's backpropagation by hand.

Each check tests the learner's functions at several points, prints one line when they are
right, and otherwise raises ``AssertionError`` saying what differs (and the likely mistake
only when the wrong numbers fit that mistake at every point tried). ``check_by_nudging``
compares one hand-made gradient with a nudge of that value alone, and names the likely
mistake only when the wrong number is exactly what that mistake gives.
"""

import itertools
import math
import random

from helpers.check import numerical_grad

__all__ = ["f_abc", "check_grad_f", "check_difference_quotients", "check_by_nudging"]

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


# --- lecture 02: one gradient worked out by hand ------------------------------------------


def _suspects(value, via):
    """(wrong number, diagnosis) for the mistakes a learner makes at this step of the backward
    pass: ``value`` is an input of the operation that made ``via``, whose gradient is known."""
    if via is None:   # the output itself: the seed
        return [(0.0, "0 is where every grad starts; the seed is how much the output moves "
                      "per unit when the output itself is nudged")]
    up, name = via.grad, via.label or "its output"
    others = [child for child in via._prev if child is not value]
    suspects = []
    if via._op == "*" and others:
        other = others[0]
        suspects += [
            (value.data * up, f"its own data: a product gives each input the *other* "
                              f"input's data ({other.label or 'the other factor'}), times "
                              f"the gradient that arrived at {name}"),
            (other.data, f"the local derivative alone: multiply it by the gradient that "
                         f"arrived at {name} ({up:.4g})"),
            (up, "the gradient passed on unchanged, as a + would: a product multiplies it "
                 f"by the other input's data ({other.label or 'the other factor'})")]
    elif via._op == "+" and others:
        suspects += [
            (1.0, f"the local derivative 1 alone: multiply it by the gradient that arrived "
                  f"at {name} ({up:.4g})"),
            (others[0].data * up, "multiplied by the other input's data, as a product would: "
                                  "a + passes the gradient on unchanged")]
    elif via._op == "tanh":
        suspects += [
            ((1 - value.data**2) * up, f"1 - n² with n the input ({value.data:.4g}): "
                                       "tanh's slope is 1 - o², with o = tanh(n) the output"),
            ((1 - via.data) * up, "1 - o: tanh's slope is 1 - o², the output squared"),
            (1 - via.data**2, f"the local derivative alone: multiply it by the gradient that "
                              f"arrived at {name} ({up:.4g})")]
    return suspects


def _consumer(value, root):
    """The value in ``root``'s graph that ``value`` feeds (None for ``root`` itself)."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if any(child is value for child in node._prev):
            return node
        stack.extend(node._prev)
    return None


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
    message = f"{name} is {got:.6g}, but nudging {label} alone gives {want:.4f}"
    via = None if value is root else _consumer(value, root)
    if got == 0 and via is not None:   # most often a .grad read before the check stored it
        diagnosis = ("0, as if the gradient from above were 0: a .grad is filled in only by "
                     "the check, after your cell has run; inside your cell use your own names "
                     "for the gradients found there")
    else:
        diagnosis = next((why for wrong, why in _suspects(value, via)
                          if abs(wrong - got) <= 1e-9 * max(1.0, abs(wrong))
                          and abs(wrong - want) > 1e-6 * max(1.0, abs(want))), None)
    if diagnosis is None and abs(got + want) <= 1e-9 * max(1.0, abs(want)):
        diagnosis = "the sign"
    if diagnosis is not None:
        message += f". Likely mistake: {diagnosis}"
    raise AssertionError(message)
