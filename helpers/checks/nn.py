"""Checks for the pieces the learner writes in lectures 04 and 05, on ``helpers.checks.core``.

Each check runs the learner's code through ``core.call`` on inputs seeded by the check's name
(so a message is the same on every run), compares with the core's one tolerance rule, and
names a mistake only through ``core.diagnose``: from the arc's table below, or from
candidates built from the answer's structure (an operation left out, moved or doubled, a
learning rate that is not the one given, an argument that changes nothing). Otherwise it
says plainly what differs.

Lecture 04: ``check_neuron``, ``check_layer``, ``check_mlp``, ``check_squared_error``,
``check_gradient_step``, ``check_train``, ``check_same_path``, ``check_reached``,
``check_count_parameters``, ``check_trained``. Lecture 05: ``check_max_margin_loss``,
``check_accuracy``, ``check_function`` (a ``torch.autograd.Function`` against a torch
reference), ``check_small``, ``check_squares``.

An exercise edition sets ``Value`` here (and in ``helpers.finished.nn``) to the learner's own
``Value`` from edition 03, so the checks build their inputs with it.
"""

import math
import numbers
import random

from helpers.checks import core
from helpers.checks.core import Mistake, Trial, refuse
from helpers.finished.nn import TanhMLP, squared_error
from helpers.tools.engine import Value
from helpers.tools.nn import MLP

__all__ = ["check_neuron", "check_layer", "check_mlp", "check_squared_error",
           "check_gradient_step", "check_train", "check_same_path", "check_reached",
           "check_count_parameters", "check_trained", "check_max_margin_loss", "check_accuracy",
           "check_function", "check_small", "check_squares", "MISTAKES"]


# --- the arc's table: the likely mistakes, each with what it predicts ----------------------
# A trial's ``data`` holds what the prediction needs; see the check that makes the trials.


def _relu(z):
    return max(0.0, z)


def _sigmoid(z):
    return 1 / (1 + math.exp(-z))


def _terms(d):
    """The neuron's terms: the bias and the products w_i x_i."""
    return d["b"], [w * x for w, x in zip(d["w"], d["x"], strict=True)]


def _hinge(d, f=lambda m: _relu(1 - m)):
    return [f(t * s) for s, t in zip(d["s"], d["t"], strict=True)]


def _step(d, grads, rate=None, mask=None):
    lr = d["lr"] if rate is None else rate
    return [-lr * g * (1 if mask is None else m) for g, m in
            zip(grads, mask or [1] * len(grads), strict=True)]


MISTAKES = {
    # Neuron(nin) right after a seed: got [w..., b], data["u"] the next nin + 1 draws
    "draws": [
        Mistake("draws the bias before the weights: draw the nin weights first, then the bias "
                "(lecture 04's numbers and exercise 2's counts depend on that order)",
                lambda t: t.data["u"][1:] + t.data["u"][:1]),
        Mistake("does not draw the bias: draw it too, with random.uniform(-1, 1), after the "
                "weights", lambda t: t.data["u"][:-2] + [t.data["u"][-2], 0.0]),
        Mistake("draws from [0, 1) (random.random()): draw each parameter with "
                "random.uniform(-1, 1)", lambda t: [(u + 1) / 2 for u in t.data["u"]]),
        Mistake("draws one number and gives it to every weight: draw each weight with its own "
                "random.uniform(-1, 1)",
                lambda t: [t.data["u"][0]] * (len(t.data["u"]) - 1) + [t.data["u"][1]]),
    ],
    # neuron(x): got the output's data; data: w, b, x
    "neuron": [
        Mistake("the output is w · x + b without tanh: squash it with .tanh()",
                lambda t: sum(_terms(t.data)[1], t.data["b"])),
        Mistake("the output is tanh(w · x) without the bias: start the sum at self.b (or add it)",
                lambda t: math.tanh(sum(_terms(t.data)[1]))),
        Mistake("the bias is added after tanh, tanh(w · x) + b: add it inside, then squash the "
                "total once", lambda t: math.tanh(sum(_terms(t.data)[1])) + t.data["b"]),
        Mistake("tanh is applied to each term w_i x_i before the sum: add the terms and the bias "
                "up first, then one .tanh() of the total",
                lambda t: t.data["b"] + sum(math.tanh(v) for v in _terms(t.data)[1])),
        Mistake("tanh is applied to each term w_i x_i before the sum: add the terms and the bias "
                "up first, then one .tanh() of the total",
                lambda t: sum(math.tanh(v) for v in [t.data["b"], *_terms(t.data)[1]])),
        *[Mistake("tanh is applied inside the loop, to each running sum: add every w_i x_i to "
                  "the bias first, then one .tanh() of the total, after the loop", fold)
          for fold in (lambda t: _fold(t.data["b"], _terms(t.data)[1]),             # from b
                       lambda t: math.tanh(_fold(0.0, _terms(t.data)[1]) + t.data["b"]))],
        Mistake("the output is relu(w · x + b): the lecture's neuron uses tanh",
                lambda t: _relu(sum(_terms(t.data)[1], t.data["b"]))),
        Mistake("the output is sigmoid(w · x + b): the lecture's neuron uses tanh",
                lambda t: _sigmoid(sum(_terms(t.data)[1], t.data["b"]))),
    ],
    # squared_error(predictions, targets): data p, y (floats)
    "squared_error": [
        Mistake("divides by the number of examples: the lecture's loss is the sum (exercise 1 is "
                "about the mean)", lambda t: _sq(t) / len(t.data["p"])),
        Mistake("is half the sum of squares", lambda t: _sq(t) / 2),
        Mistake("sums p - y without squaring it", lambda t: sum(_diffs(t))),
        Mistake("sums |p - y|: square each difference instead", lambda t: sum(map(abs, _diffs(t)))),
        Mistake("squares the sum, (Σ (p - y))²: square each difference, then add the squares up",
                lambda t: sum(_diffs(t)) ** 2),
        Mistake("doubles each difference, (p - y) * 2, where it should square it, (p - y) ** 2",
                lambda t: sum(2 * d for d in _diffs(t))),
        Mistake("is 0 whatever the inputs: it pairs a list with itself (zip(predictions, "
                "predictions)?), so each difference is 0; pair each prediction with its target, "
                "zip(predictions, targets)", lambda t: sum((p - q) ** 2 for p, q in zip(
                    t.data["p"], t.data["p"], strict=True))),
        Mistake("adds the target, (p + y)²: the error is the difference, (p - y)²",
                lambda t: sum((p + y) ** 2 for p, y in zip(t.data["p"], t.data["y"],
                                                            strict=True))),
    ],
    # gradient_step: got each parameter's change; data lr, g (this step's gradient), stale (.grad
    # on entry), mask_* (1 where a parameter is a bias, a weight, in the last layer)
    "gradient_step": [
        Mistake("moved every parameter uphill, p.data += lr * p.grad: step against the gradient, "
                "p.data -= lr * p.grad", lambda t: [-d for d in _step(t.data, t.data["g"])]),
        Mistake("moved the parameters by -p.grad: multiply the gradient by lr",
                lambda t: _step(t.data, t.data["g"], rate=1.0)),
        Mistake("moved the parameters by -2 * lr * p.grad, twice the step: p.data -= lr * p.grad",
                lambda t: _step(t.data, t.data["g"], rate=2 * t.data["lr"])),
        Mistake("moved the parameters by -lr * p.grad / 2, half the step: p.data -= lr * p.grad",
                lambda t: _step(t.data, t.data["g"], rate=t.data["lr"] / 2)),
        Mistake("used what .grad held before the step as well as this step's gradient: "
                "backward() adds into .grad, so reset every p.grad to 0 before loss.backward() "
                "(resetting only after the update leaves an earlier backward()'s gradients in "
                "the first step)",
                lambda t: _step(t.data, [g + s for g, s in zip(t.data["g"], t.data["stale"],
                                                               strict=True)])),
        Mistake("did not update the biases: update every Value in model.parameters()",
                lambda t: _step(t.data, t.data["g"], mask=t.data["weights"])),
        Mistake("did not update the weights: update every Value in model.parameters()",
                lambda t: _step(t.data, t.data["g"], mask=t.data["biases"])),
        Mistake("updated the last layer only: update every Value in model.parameters()",
                lambda t: _step(t.data, t.data["g"], mask=t.data["last"])),
        Mistake("did not update the last layer: update every Value in model.parameters()",
                lambda t: _step(t.data, t.data["g"], mask=[1 - m for m in t.data["last"]])),
    ],
    # count_parameters(nin, nouts): data pairs (n_in, n_out) per layer
    "count_parameters": [
        Mistake("counts the weights only: every neuron also has a bias, so a layer of n_out "
                "neurons adds n_out more", lambda t: sum(a * b for a, b in t.data["pairs"])),
        Mistake("adds n_in biases per layer: a layer has one bias per neuron, n_out of them",
                lambda t: sum(a * b + a for a, b in t.data["pairs"])),
        Mistake("counts one bias per layer: a layer has one bias per neuron, n_out of them",
                lambda t: sum(a * b + 1 for a, b in t.data["pairs"])),
        Mistake("leaves out the first layer, the one from the nin inputs",
                lambda t: sum(a * b + b for a, b in t.data["pairs"][1:])),
        Mistake("leaves out the last layer",
                lambda t: sum(a * b + b for a, b in t.data["pairs"][:-1])),
        Mistake("counts (n_in + 1)(n_out + 1) per layer: n_in + 1 numbers (the weights and the "
                "bias) for each of the n_out neurons, (n_in + 1) · n_out",
                lambda t: sum((a + 1) * (b + 1) for a, b in t.data["pairs"])),
    ],
    # max_margin_loss: data s, t (floats), p (floats), alpha
    "max_margin_loss": [
        Mistake("sums the hinge terms; the data loss is their mean (divide by the number of "
                "examples)", lambda t: sum(_hinge(t.data)) + _l2(t)),
        Mistake("averages 1 - y·s without relu: a point past the margin (y·s > 1) would lower "
                "the loss; clip each term at 0 with .relu()",
                lambda t: _mean(_hinge(t.data, lambda m: 1 - m)) + _l2(t)),
        Mistake("averages relu(-y·s): the hinge asks for a margin of 1, relu(1 - y·s)",
                lambda t: _mean(_hinge(t.data, lambda m: _relu(-m))) + _l2(t)),
        Mistake("averages relu(1 + y·s): the sign of the product is flipped, relu(1 - y·s)",
                lambda t: _mean(_hinge(t.data, lambda m: _relu(1 + m))) + _l2(t)),
        Mistake("leaves out the L2 term alpha * sum(p * p for p in parameters)",
                lambda t: _mean(_hinge(t.data))),
        Mistake("charges alpha * |p| for each parameter; L2 is alpha * p²",
                lambda t: _mean(_hinge(t.data)) + _l2(t, abs)),
        Mistake("adds alpha * p for each parameter; square it: alpha * p * p",
                lambda t: _mean(_hinge(t.data)) + _l2(t, lambda p: p)),
        Mistake("squares the sum of the parameters, alpha * (Σ p)²: square each parameter, then "
                "add the squares up, alpha * Σ p²",
                lambda t: _mean(_hinge(t.data)) + t.data["alpha"] * sum(t.data["p"]) ** 2),
        Mistake("divides the L2 term by the number of examples too; only the data loss is a mean",
                lambda t: _mean(_hinge(t.data)) + _l2(t) / len(t.data["s"])),
        Mistake("charges alpha * p² / 2: the L2 term is alpha * Σ p², without the 1/2",
                lambda t: _mean(_hinge(t.data)) + _l2(t) / 2),
    ],
    # accuracy(scores, targets): data s, t (floats)
    "accuracy": [
        Mistake("returns the number of points classified right; divide by the number of points",
                lambda t: _right(t)),
        Mistake("returns a percentage; return the fraction (0.95, not 95)",
                lambda t: 100 * _right(t) / len(t.data["t"])),
        Mistake("returns the fraction classified WRONG: count the points whose score has the "
                "sign of their target", lambda t: 1 - _right(t) / len(t.data["t"])),
        Mistake("divides with //, which rounds the fraction down (to 0 unless every point is "
                "right): divide with /", lambda t: _right(t) // len(t.data["t"])),
        Mistake("compares the rounded score with the target, round(s) == y: a point is right "
                "when its score has the sign of its target (s * y > 0)",
                lambda t: sum(round(s) == y for s, y in zip(t.data["s"], t.data["t"],
                                                            strict=True)) / len(t.data["t"])),
        *[Mistake(f"chains two comparisons: Python reads `{a} > 0 == ({b} > 0)` as "
                  f"`({a} > 0) and (0 == ({b} > 0))`; put each side in parentheses, "
                  f"({a} > 0) == ({b} > 0)", lambda t, chain=chain: sum(
                      chain(s, y) for s, y in zip(t.data["s"], t.data["t"], strict=True))
                  / len(t.data["t"]))
          for a, b, chain in (("s.data", "y", lambda s, y: s > 0 == (y > 0)),
                              ("y", "s.data", lambda s, y: y > 0 == (s > 0)))],
        Mistake("counts the positive scores, whatever their target: compare each score's sign "
                "with its target's", lambda t: sum(s > 0 for s in t.data["s"]) / len(t.data["t"])),
    ],
}


def _fold(total, terms):
    """tanh taken of every running sum: total = tanh(total + term) for each term."""
    for term in terms:
        total = math.tanh(total + term)
    return total


def _diffs(t):
    return [p - y for p, y in zip(t.data["p"], t.data["y"], strict=True)]


def _sq(t):
    return sum(d * d for d in _diffs(t))


def _mean(xs):
    return sum(xs) / len(xs)


def _l2(t, f=lambda p: p * p):
    return t.data["alpha"] * sum(f(p) for p in t.data["p"])


def _right(t):
    return sum((s > 0) == (y > 0) for s, y in zip(t.data["s"], t.data["t"], strict=True))


def _derived_rate(trials, key="g"):
    """A learning rate the answer used whatever ``lr`` was given: the factor c with
    change = -c * gradient on the first trial, as a Mistake for every trial (None when that
    factor is lr itself, 1, or -lr: the table names those)."""
    t = trials[0]
    g = t.data[key]
    norm = sum(v * v for v in g)
    if not norm:
        return []
    c = -sum(d * v for d, v in zip(t.got, g, strict=True)) / norm
    if any(core.close(c, k) for k in (t.data["lr"], 1.0, -t.data["lr"], 0.0)):
        return []
    return [Mistake(f"moved the parameters by -{core.fmt(c, 4)} * p.grad, whatever lr it was "
                    "given: use the argument lr (a learning rate written into the function?)",
                    lambda t: _step(t.data, t.data[key], rate=c))]


# --- shared pieces ------------------------------------------------------------------------


def _is_value(x):
    """Whether ``x`` is a scalar of an engine: ``helpers.tools.engine.Value`` or any class with
    its interface (``data``, ``grad``, ``_prev``, ``backward()``), such as the learner's own
    ``Value`` from lecture 03, which an exercise edition builds on."""
    return isinstance(x, Value) or (
        hasattr(x, "data") and hasattr(x, "grad") and hasattr(x, "_prev")
        and callable(getattr(x, "backward", None)))


def _is_number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _as_list(result, what):
    if not _is_value(result) and not isinstance(result, numbers.Number) and result is not None:
        try:
            return list(result)
        except TypeError:
            pass
    refuse(f"{what} returned {core.kind(result)}; it should return a list")


def _attribute(obj, name, what, fix):
    if not hasattr(obj, name):
        refuse(f"{what} has no attribute `{name}`: {fix}")
    return getattr(obj, name)


def _a_value(out, what, of="one Value"):
    """Refuse unless ``out`` is a Value, saying what it is and what to return."""
    if _is_value(out):
        return out
    fix = (": keep it a Value (no .data, no float()), so that backward() can reach the "
           "parameters" if _is_number(out) else f"; expected {of}")
    refuse(f"{what} returned {core.kind(out)}{fix}")


def _short(xs, digits=4):
    return "[" + ", ".join(core.fmt(x, digits) for x in xs) + "]"


def _refuse_trials(trials, table, what, extra=""):
    """Refuse when a trial is wrong: the mistake that fits every trial, else what differs."""
    if all(t.right for t in trials):
        return
    named = core.diagnose(trials, table)
    refuse(f"{what} {named}" if named else core.differs(trials, what), extra)


def _parameter_problem(got, expected, what, parts):
    """Why the list ``got`` is not the parameters ``expected``, or None when it is.

    ``parts`` maps a name ("the bias b", "neuron 2") to the Values it stands for."""
    if any(isinstance(p, list | tuple) for p in got):
        return (f"{what} holds a list inside the list: return one flat list of Values "
                "(e.g. self.w + [self.b], or a comprehension over the parts)")
    bad = next((p for p in got if not _is_value(p)), None)
    if bad is not None:
        return (f"{what} holds {core.kind(bad)}: return the Value objects themselves, not their "
                "data (training changes p.data through them)")
    ids = {id(p) for p in expected}
    foreign = [p for p in got if id(p) not in ids]
    if foreign:
        return (f"{what} holds {len(foreign)} Value(s) that are not the model's own (new "
                "Values made from them?): an update to a copy does not change the model")
    if len({id(p) for p in got}) < len(got):
        return f"{what} lists some parameters more than once"
    have = {id(p) for p in got}
    missing = [name for name, values in parts.items() if any(id(v) not in have for v in values)]
    return f"{what} leaves out {', '.join(missing)}" if missing else None


def _parameters(obj, what, expected, parts):
    got = _as_list(core.call(obj.parameters, what=f"your {what}.parameters()",
                             explain=_explain_value_error), f"{what}.parameters()")
    problem = _parameter_problem(got, expected, f"{what}.parameters()", parts)
    if problem:
        refuse(problem)
    return got


def _explain_value_error(error):
    """What a TypeError raised by an operation on Values means."""
    text = str(error)
    if "'>'" in text or "'<'" in text or "'>='" in text or "'<='" in text:
        return (" (a Value does not compare with a number: build max(0, z) as z.relu(), and "
                "compare .data where you need a plain number)")
    if "list" in text:
        return (" (a list and a Value added together? A single Value joins a list as a list of "
                "its own: self.w + [self.b])")
    return ""


# --- lecture 04: Neuron ---------------------------------------------------------------------


def _neuron_parts(neuron, what):
    w = _attribute(neuron, "w", what, "store the weights as a list self.w of nin Values")
    b = _attribute(neuron, "b", what, "store the bias as a Value self.b")
    if _is_value(w) or not hasattr(w, "__iter__"):
        refuse(f"{what}.w is {core.kind(w)}; make it a list of Values")
    w = list(w)
    bad = next((wi for wi in w if not _is_value(wi)), None)
    if bad is not None:
        refuse(f"{what}.w holds {core.kind(bad)}; make each weight a Value(...)")
    if not _is_value(b):
        refuse(f"{what}.b is {core.kind(b)}; make the bias a Value(...)")
    return w, b


def _neuron_trials(neuron, rng, what, nin, values, grads):
    """Set the neuron's parameters to known numbers and call it; the value trials go to
    ``values``, and, where the value is right, the gradient trials to ``grads``."""
    w, b = _neuron_parts(neuron, what)
    for trial in range(4):
        for p in w + [b]:
            p.data, p.grad = rng.uniform(-1, 1), 0.0
        xs = [rng.uniform(-2, 2) for _ in range(nin)]
        # the bias sets w · x + b to a chosen size and sign: half the trials negative
        z = (-1) ** (trial // 2) * rng.uniform(0.3, 1.5)
        b.data = z - sum(wi.data * v for wi, v in zip(w, xs, strict=True))
        as_values = trial % 2 == 1          # the lecture calls it with floats and with Values
        x = [type(b)(v) for v in xs] if as_values else list(xs)
        shown = f"on x = {_short(xs)}{' (as Values)' if as_values else ''}, w = " \
                f"{_short([p.data for p in w])}, b = {core.fmt(b.data, 4)}"
        called = f"your {what}({'[Values]' if as_values else _short(xs)})"
        out = _a_value(core.call(neuron, x, what=called), f"{what}(x)")
        data = {"w": [p.data for p in w], "b": b.data, "x": xs}
        y = math.tanh(b.data + sum(_terms(data)[1]))
        values.append(Trial(shown, out.data, y, data))
        if not core.close(out.data, y):
            continue
        core.call(out.backward, what=f"{what}(x).backward()")
        local = 1 - y * y
        got, want = [p.grad for p in w] + [b.grad], [local * v for v in xs] + [local]
        if as_values:
            got += [v.grad for v in x]
            want += [local * p.data for p in w]
        grads.append(Trial(shown, got, want, data, scale=max(map(abs, want))))


@core.check("Neuron")
def check_neuron(Neuron, rng):
    """``Neuron(nin)``: weights ``w`` (nin Values) then bias ``b`` (a Value), each drawn with
    ``random.uniform(-1, 1)`` in that order; ``neuron(x)`` = tanh(w · x + b) as a Value, with
    its gradients; ``parameters()`` = the nin + 1 Values."""
    draws, values, grads = [], [], []
    for nin in (1, 2, 3, 5):
        what = f"Neuron({nin})"
        random.seed(rng.randrange(2**31))
        state = random.getstate()
        neuron = core.call(Neuron, nin, what=f"your {what}")
        w, b = _neuron_parts(neuron, what)
        if len(w) != nin:
            refuse(f"{what}.w has {len(w)} weights; expected {nin}, one per input")
        stream = random.Random()
        stream.setstate(state)
        u = [stream.uniform(-1, 1) for _ in range(nin + 1)]
        draws.append(Trial(f"right after random.seed: w = {_short([p.data for p in w])}, b = "
                           f"{core.fmt(b.data, 4)}", [p.data for p in w] + [b.data], u,
                           {"u": u}))
        _parameters(neuron, what, w + [b], {"the bias b": [b], "the weights w": w})
        _neuron_trials(neuron, rng, what, nin, values, grads)
    if not all(t.right for t in draws):
        named = core.diagnose(draws, MISTAKES["draws"])
        wrong = next(t for t in draws if not t.right)
        refuse(f"Neuron {named}" if named else
               f"your Neuron({len(wrong.want) - 1}) starts {wrong.shown}; the next draws of "
               f"random.uniform(-1, 1) are {_short(wrong.want)}: draw the nin weights first, "
               "then the bias, each with random.uniform(-1, 1)")
    _refuse_trials(values, MISTAKES["neuron"], "Neuron(x):",
                   "(the check set the neuron's w and b to known numbers, then called it)")
    if any(not any(t.got[:len(t.data["w"]) + 1]) for t in grads):
        refuse("Neuron(x) has the right value, but backward() leaves every weight's grad at 0: "
               "the output is not built from the weights (computed with .data or math.tanh, "
               "then wrapped in a new Value?)")
    _refuse_trials(grads, [], "the gradients [w..., b(, x...)] after backward() of Neuron(x)")
    core.passed("Neuron", "the draws, weights then bias; tanh(w · x + b), its gradients and "
                          "parameters(), on seeded neurons and inputs")


# --- lecture 04: Layer and MLP --------------------------------------------------------------


def _layer_neurons(layer, what, nin, nout):
    neurons = _attribute(layer, "neurons", what, "keep the neurons in a list self.neurons")
    if not hasattr(neurons, "__iter__"):
        refuse(f"{what}.neurons is {core.kind(neurons)}; make it a list")
    neurons = list(neurons)
    widths = [len(_neuron_parts(n, f"a neuron of {what}")[0]) for n in neurons]
    if (len(neurons), set(widths)) == (nin, {nout}) and nin != nout:
        refuse(f"{what} made {nin} neurons of {nout} inputs each: the arguments are swapped; a "
               f"layer has nout = {nout} neurons, each Neuron(nin) with nin = {nin} inputs")
    if len(neurons) != nout:
        refuse(f"{what}.neurons has {len(neurons)} neurons; expected {nout}, one per output")
    if set(widths) != {nin}:
        refuse(f"the neurons of {what} have {widths[0]} inputs; expected {nin}: create each "
               "with Neuron(nin)")
    if len({id(n) for n in neurons}) < len(neurons):
        refuse(f"{what}.neurons holds the same neuron more than once ([Neuron(nin)] * nout "
               "makes ONE neuron): create each with its own Neuron(nin) call")
    return neurons


def _layer_output(layer, neurons, rng, what, nin):
    x = [rng.uniform(-2, 2) for _ in range(nin)]
    want = [core.call(n, x, what=f"a neuron of your {what}").data for n in neurons]
    out = core.call(layer, x, what=f"your {what}({_short(x)})")
    if len(neurons) == 1:
        if isinstance(out, list | tuple) and len(out) == 1:
            refuse(f"{what}(x) returned a list of one Value: when the layer has one neuron, "
                   "return that Value itself (so the MLP's output is a Value the loss can use)")
        got = [_a_value(out, f"{what}(x)").data]
    elif _is_value(out):
        refuse(f"{what}(x) returned one Value; expected a list of {len(neurons)}, one per neuron"
               + (" (it unwraps when x has one element: test the number of neurons, not of "
                  "inputs)" if nin == 1 else ""))
    else:
        out = _as_list(out, f"{what}(x)")
        if len(out) != len(neurons) or not all(_is_value(o) for o in out):
            refuse(f"{what}(x) returned {len(out)} items "
                   f"({', '.join(core.kind(o) for o in out[:3])}{', ...' if len(out) > 3 else ''})"
                   f"; expected {len(neurons)} Values, one per neuron")
        got = [o.data for o in out]
    if not core.agree(got, want):
        refuse(core.differs([Trial(f"on x = {_short(x)} (what its neurons give, in order)",
                                   got, want)], f"your {what}(x)"))


@core.check("Layer")
def check_layer(Layer, rng):
    """``Layer(nin, nout)``: ``neurons`` (nout distinct neurons of nin inputs); calling it gives
    the list of their outputs, or the single Value when nout == 1; ``parameters()`` lists
    every neuron's parameters in one flat list."""
    for nin, nout in [(3, 4), (2, 1), (4, 2), (1, 3)]:
        what = f"Layer({nin}, {nout})"
        layer = core.call(Layer, nin, nout, what=f"your {what}")
        neurons = _layer_neurons(layer, what, nin, nout)
        _layer_output(layer, neurons, rng, what, nin)
        _parameters(layer, what, [p for n in neurons for p in n.parameters()],
                    {f"neuron {i}": n.parameters() for i, n in enumerate(neurons)})
    core.passed("Layer", "its neurons' outputs, a single Value for one neuron, and "
                         "parameters(), on seeded layers and inputs")


def _data(out):
    return [o.data for o in out] if isinstance(out, list | tuple) else [out.data]


@core.check("MLP")
def check_mlp(MLP, rng):
    """``MLP(nin, nouts)``: ``layers``, one per entry of nouts, each reading the previous
    layer's output; ``parameters()`` lists every layer's parameters."""
    chained = [Mistake("feeds the original x to every layer and returns the last one's output: "
                       "give each layer the output of the one before (x = layer(x))",
                       lambda t: _data(t.data["layers"][-1](t.data["x"]))),
               Mistake("applies the layers in reverse order: the first layer reads x",
                       lambda t: _data(_chain(t.data["layers"][::-1], t.data["x"])))]
    # networks whose layers all read nin numbers first: there a mistake in the chaining
    # gives a wrong number, not an error, and the table can name it
    cases = [(3, [3, 3, 1]), (2, [2, 2]), (3, [4, 4, 1]), (2, [3, 1]), (4, [5, 2]), (1, [1])]
    trials = []
    for nin, nouts in cases:
        what = f"MLP({nin}, {nouts})"
        mlp = core.call(MLP, nin, list(nouts), what=f"your {what}")
        layers = list(_attribute(mlp, "layers", what, "keep the layers in a list self.layers"))
        if len(layers) != len(nouts):
            refuse(f"{what} has {len(layers)} layers; expected {len(nouts)}, one Layer per entry "
                   "of nouts")
        sizes = [nin] + list(nouts)
        for i, layer in enumerate(layers):
            neurons = _attribute(layer, "neurons", f"layer {i} of {what}", "self.neurons")
            width = len(_neuron_parts(list(neurons)[0], f"a neuron of layer {i}")[0])
            if len(list(neurons)) != nouts[i] or width != sizes[i]:
                refuse(f"layer {i} of {what} has {len(list(neurons))} neurons of {width} inputs;"
                       f" expected {nouts[i]} of {sizes[i]} "
                       f"({'nin' if i == 0 else 'the size of the layer before'}): layer i goes "
                       "from sizes[i] to sizes[i + 1] with sizes = [nin] + nouts")
        x = [rng.uniform(-2, 2) for _ in range(nin)]
        want = _data(core.call(_chain, layers, x, what=f"the layers of your {what}, in turn,"))
        out = core.call(mlp, x, what=f"your {what}({_short(x)})")
        if nouts[-1] == 1:
            got = [_a_value(out, f"{what}(x)", "one Value (the last layer's output)").data]
        else:
            got = _as_list(out, f"{what}(x)")
            got = [o.data if _is_value(o) else o for o in got]
        trials.append(Trial(f"on x = {_short(x)} (its layers applied in turn)", got, want,
                            {"layers": layers, "x": x}))
        if not trials[-1].right:
            named = core.diagnose(trials, chained)
            refuse(f"{what} {named}" if named else core.differs(trials, f"your {what}(x)"))
        count = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        got = _parameters(mlp, what, [p for layer in layers for p in layer.parameters()],
                          {f"layer {i}": layer.parameters() for i, layer in enumerate(layers)})
        if len(got) != count:
            refuse(f"{what}.parameters() has {len(got)} Values; expected {count}")
    core.passed("MLP", "layer sizes, output, and parameters(), on seeded networks and inputs")


def _chain(layers, x):
    for layer in layers:
        x = layer(x)
    return x


# --- lecture 04: the loss, one step, the loop ----------------------------------------------


@core.check()
def check_squared_error(squared_error, rng):
    """``squared_error(predictions, targets)``: the sum of (p - y)² as a Value (predictions
    are Values, targets floats), with the gradient 2 (p - y) for each prediction."""
    values, grads = [], []
    for n in (3, 1, 4, 7):
        ps = [rng.uniform(-1, 1) for _ in range(n)]
        ys = [rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5) for _ in range(n)]
        predictions = [Value(p) for p in ps]
        what = f"squared_error(<{n} predictions>, <{n} targets>)"
        loss = _a_value(core.call(squared_error, predictions, list(ys), what=f"your {what}"), what)
        data = {"p": ps, "y": ys}
        shown = f"for predictions {_short(ps)} and targets {_short(ys)}"
        want = sum((p - y) ** 2 for p, y in zip(ps, ys, strict=True))
        values.append(Trial(shown, loss.data, want, data))
        if not core.close(loss.data, want):
            continue
        core.call(loss.backward, what=f"{what}.backward()")
        got = [v.grad for v in predictions]
        if not any(got):
            refuse(f"{what} has the right value, but no gradient reaches the predictions: build "
                   "it from the Values (no .data)")
        grads.append(Trial(shown, got, [2 * (p - y) for p, y in zip(ps, ys, strict=True)], data))
    _refuse_trials(values, MISTAKES["squared_error"], "squared_error")
    _refuse_trials(grads, [], "the gradients of the predictions, 2 (p - y),")
    core.passed("squared_error", "value and gradients, on seeded predictions and targets")


def _models(rng, count=2):
    """``count`` TanhMLPs with the same seeded parameters, and a loss over a seeded dataset."""
    nin, nouts = rng.choice([2, 3]), [rng.choice([3, 4]), 1]
    models = [TanhMLP(nin, nouts) for _ in range(count)]
    values = [rng.uniform(-1, 1) for _ in models[0].parameters()]
    for model in models:
        _load(model, values)
    xs = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(4)]
    ys = [rng.choice([-1.0, 1.0]) for _ in xs]

    def loss_fn(model):
        return squared_error([model(x) for x in xs], ys)

    return models, loss_fn, f"MLP({nin}, {nouts})"


def _load(model, values):
    for p, v in zip(model.parameters(), values, strict=True):
        p.data, p.grad = v, 0.0


def _gradient(model, loss_fn):
    """The loss and the gradient of ``model`` at its parameters, every .grad left at 0."""
    for p in model.parameters():
        p.grad = 0.0
    loss = loss_fn(model)
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    for p in model.parameters():
        p.grad = 0.0
    return loss.data, grads


def _masks(model):
    biases = {id(n.b) for layer in model.layers for n in layer.neurons}
    last = {id(p) for p in model.layers[-1].parameters()}
    params = model.parameters()
    return {"biases": [int(id(p) in biases) for p in params],
            "weights": [int(id(p) not in biases) for p in params],
            "last": [int(id(p) in last) for p in params]}


@core.check()
def check_gradient_step(gradient_step, rng):
    """``gradient_step(model, loss_fn, lr)``: forward (``loss_fn(model)``), reset every
    parameter's gradient, backward, ``p.data -= lr * p.grad``; returns the loss before the
    update as a float. Tried three steps in a row on seeded networks whose parameters hold the
    gradients of an earlier backward() on entry (as after section 5's gradient check)."""
    trials, returns = [], []
    for _ in range(2):
        (model, twin), loss_fn, name = _models(rng)
        lr = rng.uniform(0.05, 0.3)
        what = f"gradient_step(<{name}>, loss_fn, lr={core.fmt(lr, 3)})"
        for p in model.parameters():            # what an earlier backward() left behind
            p.grad = rng.choice([-1, 1]) * rng.uniform(0.2, 1.0)
        for k in range(3):
            params = model.parameters()
            before, stale = [p.data for p in params], [p.grad for p in params]
            _load(twin, before)
            loss, grads = _gradient(twin, loss_fn)
            try:
                returned = core.call(gradient_step, model, loss_fn, lr, what=f"your {what}")
            except core.Refused as error:
                if "zero_grad" not in str(error):
                    raise
                refuse(f"{error} (lecture 04's MLP has no zero_grad method: set p.grad = 0.0 for "
                       "every p in model.parameters())")
            delta = [p.data - v for p, v in zip(params, before, strict=True)]
            trials.append(Trial(f"at step {k + 1} in a row", delta, [-lr * g for g in grads],
                                {"lr": lr, "g": grads, "stale": stale, "what": what,
                                 "zeroed": not any(p.grad for p in params), **_masks(model)},
                                scale=max(map(abs, before))))
            _load(twin, [v - lr * g for v, g in zip(before, grads, strict=True)])
            returns.append((returned, loss, loss_fn(twin).data, what))
    # every step starts from what the step before left, and each trial predicts from that
    # start: all six are judged together, so a learning rate written into the function
    # shows against two values of lr
    wrong = next((t for t in trials if not t.right), None)
    if wrong:
        what = wrong.data["what"]
        if not any(wrong.got):
            refuse(f"{what} did not change any parameter" + (
                ", and every .grad is 0 after it: call loss.backward() before the update, and "
                "reset the gradients before backward(), not between backward() and the update"
                if wrong.data["zeroed"] else ": update each one, p.data -= lr * p.grad"))
        named = core.diagnose(trials, MISTAKES["gradient_step"] + _derived_rate(trials))
        if named:
            refuse(f"{what} {named}")
        bad = [i for i, (d, w) in enumerate(zip(wrong.got, wrong.want, strict=True))
               if not core.close(d, w, wrong.scale)]
        want, got = core.fmt_pair(wrong.want[bad[0]], wrong.got[bad[0]])
        refuse(f"{what}: {len(bad)} of the {len(wrong.got)} parameters moved by something other "
               f"than -lr * p.grad {wrong.shown} (parameter {bad[0]}: expected {want}, moved "
               f"{got})")
    for returned in returns:
        _check_returned(*returned)
    core.passed("gradient_step", "the update -lr * gradient, the gradients reset before "
                                 "backward(), three steps in a row on seeded networks")


def _check_returned(returned, before, after, what):
    if returned is None:
        refuse(f"{what} returned None: return the loss of the forward pass as a float "
               "(loss.data)")
    if _is_value(returned):
        refuse(f"{what} returned the loss as a Value: return loss.data, a float (train collects "
               "these numbers)")
    if not _is_number(returned):
        refuse(f"{what} returned {core.kind(returned)}; expected the loss before the update, a "
               "float")
    if core.close(returned, after) and not core.close(returned, before):
        refuse(f"{what} returned the loss after the update; return the loss of the step's "
               "forward pass (before the update)")
    if not core.close(returned, before):
        want, got = core.fmt_pair(before, returned)
        refuse(f"{what} returned {got}; the loss before the update is {want}")


@core.check()
def check_train(train, rng):
    """``train(model, loss_fn, steps, lr)``: ``steps`` gradient steps; returns the loss before
    each step, a list of ``steps`` floats."""
    for _ in range(2):
        (model, twin, probe), loss_fn, name = _models(rng, 3)
        steps, lr = rng.randint(3, 6), rng.uniform(0.05, 0.3)
        what = f"train(<{name}>, loss_fn, steps={steps}, lr={core.fmt(lr, 3)})"
        start = [p.data for p in model.parameters()]
        losses = _as_list(core.call(train, model, loss_fn, steps=steps, lr=lr,
                                    what=f"your {what}"), what)
        want = []
        for _ in range(steps):
            loss, grads = _gradient(twin, loss_fn)
            want.append(loss)
            _load(twin, [p.data - lr * g for p, g in zip(twin.parameters(), grads, strict=True)])
        if len(losses) != steps:
            refuse(f"{what} returned {len(losses)} losses; expected {steps}, one per step"
                   + {1: " (one step too many: range(steps + 1)?)",
                      -1: " (one step too few)"}.get(len(losses) - steps, ""))
        bad = next((v for v in losses if not _is_number(v)), None)
        if bad is not None:
            refuse(f"{what} returned a list holding {core.kind(bad)}; collect the floats "
                   "gradient_step returns (loss.data)")
        final = [p.data for p in model.parameters()]
        if final == start:
            refuse(f"after {what} the model it was given has not changed: train that model")
        if not core.agree(final, [p.data for p in twin.parameters()], max(map(abs, start))):
            core.call(train, probe, loss_fn, steps=steps, lr=2 * lr, what=f"your {what}")
            if [p.data for p in probe.parameters()] == final:
                refuse(f"{what} ends with the same parameters as with lr={core.fmt(2 * lr, 3)}: "
                       "it does not pass its lr on to gradient_step (a learning rate written "
                       "into it?)")
            refuse(f"after {what} the parameters differ from {steps} gradient steps (does train "
                   "call gradient_step once per step, with the model, loss_fn and lr it was "
                   "given?)")
        trial = Trial("", losses, want, {"after": want[1:] + [loss_fn(twin).data]})
        _refuse_trials([trial], [Mistake(
            "recorded the loss after each update; record the loss of each step's forward pass "
            "(what gradient_step returns)", lambda t: t.data["after"])], what)
    core.passed("train", "the losses before each step and the trained parameters, on seeded "
                         "networks")


@core.check(name="mean_losses, mean_lr")
def check_same_path(mean_losses, mean_lr, fresh_model, loss_fn, train, n_examples,
                    mean_loss=None, steps=50, lr=0.1, sum_losses=None):
    """Exercise 1 of lecture 04: ``mean_losses`` are the losses of the mean loss
    ``mean_loss`` (the summed loss ``loss_fn`` / ``n_examples``, a Value) trained from
    ``fresh_model()`` with ``mean_lr``, the learning rate that follows the summed run's path
    (``train(fresh_model(), loss_fn, steps, lr)``, whose losses ``sum_losses`` are, when
    given), so each is the matching summed loss divided by ``n_examples``. Both runs are
    redone with the learner's ``train``, so a list that was not trained as said (numbers made
    from the other run, a model shared by both) is refused. ``mean_lr`` None: the learning
    rate is judged from the losses alone."""
    name = getattr(mean_loss, "__name__", "the mean loss")
    if mean_loss is not None:
        _check_mean_loss(mean_loss, fresh_model, loss_fn, n_examples)
    lists = {}
    for what, value in [("sum_losses", sum_losses), ("mean_losses", mean_losses)]:
        if value is None and what == "sum_losses":
            continue
        got = _as_list(value, what)
        if any(not _is_number(v) for v in got):
            refuse(f"{what} holds {core.kind(next(v for v in got if not _is_number(v)))}; keep the "
                   "floats train returns")
        if len(got) != steps:
            refuse(f"{what} has {len(got)} losses; train for {steps} steps, one loss per step")
        lists[what] = got
    means = lists["mean_losses"]
    run = f"train(fresh_model(), {{}}, steps={steps}, lr={{}})"
    reference = core.call(train, fresh_model(), loss_fn, steps=steps, lr=lr,
                          what=f"your {run.format('<the summed loss>', lr)}")
    if sum_losses is not None and not core.agree(lists["sum_losses"], reference):
        refuse(core.differs([Trial("", lists["sum_losses"], reference)],
                            f"sum_losses differs from {run.format('<the summed loss>', lr)}:"))
    same = [s / n_examples for s in reference]
    if mean_lr is not None and mean_loss is not None:
        if not _is_number(mean_lr):
            refuse(f"mean_lr is {core.kind(mean_lr)}; expected the learning rate you found, a "
                   "number")
        mine = run.format(name, "mean_lr")
        redone = core.call(train, fresh_model(), mean_loss, steps=steps, lr=mean_lr,
                           what=f"your {mine}")
        if not core.agree(means, redone) and core.close(means[0], same[0]):
            refuse(core.differs([Trial(f"with mean_lr = {core.fmt(mean_lr)}", means, redone)],
                                f"mean_losses is not what {mine} gives"),
                   "(keep the losses that run returns, not numbers made from sum_losses or from "
                   "a run with another learning rate)")
    if core.agree(means, same):
        core.passed("mean_losses, mean_lr", f"{n_examples} × the mean loss equals the summed "
                    f"loss at each of the {steps} steps: the same path")
        return
    if core.agree(means, reference):
        refuse("mean_losses equals the summed run's losses: the mean loss divides the sum by the "
               f"number of examples, {n_examples}")
    if not core.close(means[0], same[0]):
        refuse(f"mean_losses starts at {core.fmt(means[0])}; the mean loss of fresh_model() is "
               f"{core.fmt(same[0])} (the summed loss / {n_examples}): train the mean run from "
               "its own fresh_model() (one shared with the summed run starts where that run "
               "ended), with the mean loss")
    k = next(i for i, (m, w) in enumerate(zip(means, same, strict=True)) if not core.close(m, w))
    path = (f"leaves the summed run's path at step {k} ({n_examples} × {core.fmt(means[k])} "
            f"instead of {core.fmt(reference[k])})")
    if mean_lr is None:
        slow = core.call(train, fresh_model(), lambda model: loss_fn(model) / n_examples,
                         steps=steps, lr=lr, what="your train")
        rate = lr if core.agree(means, slow) else None
    else:
        rate = mean_lr
    if rate is not None and core.close(rate, lr):
        refuse(f"mean_losses is the mean loss trained with lr = {lr}, the slower run: its "
               f"gradients are {n_examples} times smaller, so each step is; find the learning "
               f"rate that makes its steps as long as the summed loss's steps with lr = {lr}")
    if rate is not None and core.close(rate, lr / n_examples):
        refuse(f"mean_lr = {core.fmt(rate)} divides lr by {n_examples}: the mean's gradients are "
               f"{n_examples} times smaller already, so the steps are {n_examples}² times "
               "shorter; which lr makes them as long as before?")
    if rate is not None:
        refuse(f"mean_lr = {core.fmt(rate)} makes each step of the mean run "
               f"{core.fmt(rate / lr / n_examples, 3)} times as long as the summed run's (its "
               f"gradients are {n_examples} times smaller): mean_losses {path}")
    refuse(f"mean_losses starts at the right loss but {path}: the learning rate of the mean run "
           "is not the one that gives the same steps")


def _check_mean_loss(mean_loss, fresh_model, loss_fn, n_examples):
    name = getattr(mean_loss, "__name__", "the mean loss")
    what = f"{name}(fresh_model())"
    got = core.call(mean_loss, fresh_model(), what=f"your {what}")
    summed = core.call(loss_fn, fresh_model(), what="the summed loss of fresh_model()").data
    got = _a_value(got, what, "the loss, one Value")
    if core.close(got.data, summed):
        refuse(f"{what} is {core.fmt(got.data)}, the summed loss itself: divide it by the number "
               f"of examples, {n_examples}")
    if not core.close(got.data, summed / n_examples):
        want, have = core.fmt_pair(summed / n_examples, got.data)
        refuse(f"{what} is {have}; the mean of the {n_examples} squared errors is {want} (the "
               f"summed loss {core.fmt(summed)} / {n_examples})")


# --- lecture 04, exercise 2: tanh or relu --------------------------------------------------

_ACTIVATE = {"tanh": math.tanh, "relu": _relu, "linear": lambda z: z}
_OTHER = {"tanh": "relu", "relu": "tanh"}


def _activation_mistakes():
    """Every way of wiring the activations but the right one: the hidden layers with what
    was asked for, tanh everywhere, relu everywhere or the other one; the output neuron with
    tanh, the hidden activation, relu or none."""
    hidden = [("the activation asked for", lambda h: h),
              ("tanh whatever is asked", lambda h: "tanh"),
              ("relu whatever is asked", lambda h: "relu"),
              ("the other activation than asked", lambda h: _OTHER[h])]
    output = [("tanh", lambda h: "tanh"), ("the hidden activation too", lambda h: h),
              ("relu", lambda h: "relu"), ("no activation (linear)", lambda h: "linear")]
    mistakes = []
    for (hs, hf) in hidden:
        for (os_, of) in output:
            if hs.startswith("the activation asked") and os_ == "tanh":
                continue
            mistakes.append(Mistake(
                f"uses {hs} in the hidden layers and {os_} in the output neuron: the hidden "
                "layers use `hidden`, the output neuron tanh",
                lambda t, hf=hf, of=of: _forward(t.data["layers"], t.data["x"], hf(t.data["h"]),
                                                 of(t.data["h"]))))
    return mistakes


def _forward(layers, x, hidden, output):
    for i, layer in enumerate(layers):
        act = _ACTIVATE[output if i == len(layers) - 1 else hidden]
        x = [act(n["b"] + sum(w * v for w, v in zip(n["w"], x, strict=True))) for n in layer]
    return x[0]


def _check_choice_mlp(ChoiceMLP, rng):
    trials = []
    for h in ("tanh", "relu"):
        what = f"ChoiceMLP(3, [4, 4, 1], {h!r})"
        mlp = core.call(ChoiceMLP, 3, [4, 4, 1], h, what=f"your {what}")
        layers = list(_attribute(mlp, "layers", what, "keep the layers in self.layers"))
        for _ in range(3):
            for p in core.call(mlp.parameters, what=f"your {what}.parameters()"):
                p.data = rng.uniform(-1, 1)
            x = [rng.uniform(-2, 2) for _ in range(3)]
            try:
                plain = [[{"w": [w.data for w in n.w], "b": n.b.data} for n in layer.neurons]
                         for layer in layers]
            except AttributeError:
                refuse(f"{what}: keep the lecture's attributes, layers, each with neurons, each "
                       "with w and b")
            out = _a_value(core.call(mlp, x, what=f"your {what}({_short(x)})"), f"{what}(x)")
            trials.append(Trial(f"{what} on x = {_short(x)}", out.data,
                                _forward(plain, x, h, "tanh"), {"layers": plain, "x": x, "h": h}))
    _refuse_trials(trials, _activation_mistakes(), "ChoiceMLP(3, [4, 4, 1], hidden)")


@core.check()
def check_reached(reached, ChoiceMLP, loss_fn, train, seeds=range(6), steps=50, lr=0.1,
                  below=0.05, rng=None):
    """Exercise 2 of lecture 04: ``reached`` maps "tanh" and "relu" to how many of the runs
    (``random.seed(seed)``, then ``ChoiceMLP(3, [4, 4, 1], hidden)``, ``steps`` steps) end
    below ``below``. Recounts with the learner's ``ChoiceMLP``, so any correct way of
    writing the network passes; also checks that the hidden layers use the activation asked
    for and the output neuron tanh."""
    if not isinstance(reached, dict) or set(reached) != {"tanh", "relu"}:
        refuse(f"reached should be a dict with the keys 'tanh' and 'relu'; got "
               f"{core.kind(reached) if not isinstance(reached, dict) else sorted(reached)}")
    _check_choice_mlp(ChoiceMLP, rng)
    seeds = list(seeds)

    def runs(seeding):
        """The losses of every run, for each activation, seeded as ``seeding`` says."""
        out = {}
        random.seed(seeds[0])
        for h in ("tanh", "relu"):
            if seeding == "once per activation":
                random.seed(seeds[0])
            out[h] = []
            for seed in seeds:
                if seeding == "per run":
                    random.seed(seed)
                model = core.call(ChoiceMLP, 3, [4, 4, 1], h,
                                  what=f"your ChoiceMLP(3, [4, 4, 1], {h!r})")
                out[h].append(core.call(train, model, loss_fn, steps=steps, lr=lr,
                                        what="your train"))
        return out

    right = runs("per run")
    counts = [sum(losses[-1] < below for losses in right[h]) for h in ("tanh", "relu")]
    got = [reached["tanh"], reached["relu"]]
    if all(_is_number(v) for v in got) and core.agree(got, counts):
        core.passed("reached", f"{counts[0]} tanh and {counts[1]} relu runs of {len(seeds)} end "
                               f"below {below}, recounted with your ChoiceMLP")
        return
    if not all(_is_number(v) for v in got):
        refuse(f"reached holds {core.kind(next(v for v in got if not _is_number(v)))}; expected "
               "the number of runs, an int")

    def once(seeding):
        """The counts when random is seeded once (before all runs, or before each
        activation's), not before each run."""
        return lambda t: [sum(ls[-1] < below for ls in losses)
                          for losses in runs(seeding).values()]

    table = [
        Mistake("counts the runs that did NOT end below it: count a run when its last loss is "
                f"below {below}", lambda t: [len(seeds) - c for c in counts]),
        Mistake(f"counts a run when any of its losses is below {below}: use the last one, "
                "losses[-1]", lambda t: [sum(min(ls) < below for ls in right[h])
                                         for h in ("tanh", "relu")]),
        *[Mistake("seeds random once before the runs instead of before each run: call "
                  "random.seed(seed) inside the loop over the seeds, right before building the "
                  "network", once(seeding)) for seeding in ("once per activation", "once")],
    ]
    trial = Trial(f"['tanh', 'relu'] (seeds {seeds[0]} to {seeds[-1]}, {steps} steps, lr = {lr})",
                  got, counts)
    named = core.diagnose([trial], table)
    refuse(f"reached {named}" if named else core.differs([trial], "reached"),
           f"(recounted: random.seed(seed), then ChoiceMLP(3, [4, 4, 1], hidden) and train, for "
           f"each seed, for 'tanh' and 'relu': {counts[0]} and {counts[1]} runs end below {below})")


@core.check()
def check_count_parameters(count_parameters, MLP):
    """Exercise 3 of lecture 04: ``count_parameters(nin, nouts)``, the number of parameters of
    ``MLP(nin, nouts)`` computed from the sizes alone (an int); compared with
    ``len(MLP(nin, nouts).parameters())`` on a few networks."""
    cases = [(3, [4, 4, 1]), (2, [16, 16, 1]), (5, [7, 1]), (1, [1]), (4, [3, 2, 5])]
    trials = []
    for nin, nouts in cases:
        what = f"count_parameters({nin}, {nouts})"
        got = core.call(count_parameters, nin, list(nouts), what=f"your {what}")
        if not _is_number(got):
            refuse(f"{what} returned {core.kind(got)}; return the number of parameters, an int")
        built = len(core.call(lambda a, b: MLP(a, b).parameters(), nin, list(nouts),
                              what=f"MLP({nin}, {nouts}).parameters()"))
        trials.append(Trial(f"({nin}, {nouts})", got, built,
                            {"pairs": list(zip([nin] + nouts[:-1], nouts, strict=True))}))
    _refuse_trials(trials, MISTAKES["count_parameters"], "count_parameters",
                   "(add up, layer by layer, n_in · n_out weights and n_out biases)")
    odd = next((t for t in trials if not isinstance(t.got, numbers.Integral)), None)
    if odd:
        refuse(f"count_parameters{odd.shown} returned {core.kind(odd.got)}: the right number, but "
               "return an int (// or int(), not /)")
    core.passed("count_parameters", f"on {len(cases)} networks, each compared with "
                                    "len(MLP(nin, nouts).parameters())")


def check_trained(what, claims, uses):
    """A lecture's claims about a training run, each ``(text, holds)``: silent when all
    hold; otherwise refused with the first that does not, and the pieces it ran on (``uses``,
    e.g. "train, gradient_step and squared_error"), whose checks above say what differs."""
    for text, holds in claims:
        if not holds:
            refuse(f"{what}: the lecture expects {text}, and with your {uses} it is not so",
                   f"(this cell runs on your {uses}: where a check above refused one of them, "
                   "fix that one first)")


# --- lecture 05 ------------------------------------------------------------------------------


@core.check()
def check_max_margin_loss(max_margin_loss, rng):
    """``max_margin_loss(scores, targets, parameters, alpha)``: the mean over the examples of
    relu(1 - y·s) plus alpha · Σ p², a Value, with its gradients for scores and parameters."""
    values, grads = [], []
    for n, alpha in [(5, 0.01), (8, 0.1), (3, 0.0), (10, 0.05)]:
        ts = [rng.choice([-1.0, 1.0]) for _ in range(n)]
        # margins y·s away from the kinks at 0 and 1, some past the margin
        ss = [t * rng.choice([-1, 1]) * rng.uniform(0.1, 0.9) if i % 3 else
              t * rng.uniform(1.2, 2.5) for i, t in enumerate(ts)]
        ps = [rng.uniform(-1.5, 1.5) for _ in range(6)]
        scores, params = [Value(s) for s in ss], [Value(p) for p in ps]
        what = f"max_margin_loss(<{n} scores>, <{n} targets>, <6 parameters>, alpha={alpha})"
        loss = _a_value(core.call(max_margin_loss, scores, list(ts), list(params), alpha,
                                  what=f"your {what}", explain=_explain_value_error), what)
        data = {"s": ss, "t": ts, "p": ps, "alpha": alpha}
        shown = (f"for scores {_short(ss, 3)}, targets {_short(ts, 1)}, parameters "
                 f"{_short(ps, 3)} and alpha = {alpha}")
        margins = [t * s for s, t in zip(ss, ts, strict=True)]
        want = _mean([_relu(1 - m) for m in margins]) + alpha * sum(p * p for p in ps)
        values.append(Trial(shown, loss.data, want, data))
        if not core.close(loss.data, want):
            continue
        core.call(loss.backward, what=f"{what}.backward()")
        got_s, got_p = [v.grad for v in scores], [v.grad for v in params]
        if alpha and not any(got_p):
            refuse(f"{what} has the right value, but no gradient reaches the parameters: build "
                   "the L2 term from the Values p (not p.data)")
        if not any(got_s):
            refuse(f"{what} has the right value, but no gradient reaches the scores: build the "
                   "loss from the score Values (not .data)")
        grads.append(Trial(shown, got_s + got_p, [-t / n if m < 1 else 0.0 for t, m in
                                                  zip(ts, margins, strict=True)]
                           + [2 * alpha * p for p in ps], data))
    _refuse_trials(values, MISTAKES["max_margin_loss"], "max_margin_loss",
                   "(the mean of relu(1 - y·s) over the points, plus alpha · Σ p²)")
    _refuse_trials(grads, [], "the gradients [scores..., parameters...] of max_margin_loss")
    core.passed("max_margin_loss", "value and gradients for scores and parameters, on seeded "
                                   "inputs")


@core.check()
def check_accuracy(accuracy, rng):
    """``accuracy(scores, targets)``: the fraction (a float in [0, 1]) of the scores (Values)
    whose sign is the sign of their target (±1)."""
    trials = []
    for n in (4, 7, 10, 25, 9, 16):
        ts = [rng.choice([-1.0, 1.0]) for _ in range(n)]
        ss = [rng.choice([-1, 1]) * rng.uniform(0.05, 3) for _ in ts]
        ss[0] = ts[0] * abs(ss[0])                 # at least one right
        ss[-1] = -ts[-1] * abs(ss[-1])             # and one wrong
        what = f"accuracy(<{n} scores>, <{n} targets>)"
        got = core.call(accuracy, [Value(s) for s in ss], list(ts), what=f"your {what}")
        if _is_value(got):
            refuse(f"{what} returned a Value; return a plain float (nothing to backpropagate "
                   "here)")
        if not _is_number(got):
            refuse(f"{what} returned {core.kind(got)}; expected a float in [0, 1]")
        data = {"s": ss, "t": ts}
        trials.append(Trial(f"for scores {_short(ss, 3)} and targets {_short(ts, 1)}", got,
                            _right(Trial("", 0, 0, data)) / n, data))
    _refuse_trials(trials, MISTAKES["accuracy"], "accuracy")
    core.passed("accuracy", "the fraction of scores with the sign of their target, on seeded "
                            "inputs")


# a torch.autograd.Function's forward, as a slip of the reference f: {says: f -> function of x}
_FORWARD_SLIPS = {
    "gives {f}(x / 2): the input is halved on the way (exp(x) where the formula has exp(2x)?)":
        lambda f: lambda x: f(x / 2),
    "gives {f}(2x): the input is doubled on the way": lambda f: lambda x: f(2 * x),
    "gives -{f}(-x), which keeps the wrong side (clamp(max=0)?)": lambda f: lambda x: -f(-x),
    "gives {f}(-x): the sign of the input is flipped": lambda f: lambda x: f(-x),
    "gives -{f}(x): the sign is flipped": lambda f: lambda x: -f(x),
    "gives 2 · {f}(x)": lambda f: lambda x: 2 * f(x),
    "gives {f}(x) / 2": lambda f: lambda x: f(x) / 2,
    "returns x unchanged": lambda f: lambda x: x,
}
# its backward, as a function of the input x, the output y, grad_output g and the right answer
_BACKWARD_SLIPS = {
    "returns the local derivative alone: multiply it by grad_output, the gradient coming in "
    "from above": lambda x, y, g, right, local: local,
    "passes grad_output through unchanged; multiply it by the local derivative":
        lambda x, y, g, right, local: g,
    "has the wrong sign": lambda x, y, g, right, local: -right,
    "is twice the gradient (a factor 2 too many)": lambda x, y, g, right, local: 2 * right,
    "is half the gradient (a factor 1/2 too many)": lambda x, y, g, right, local: right / 2,
    "multiplies grad_output by the output y, not by the local derivative":
        lambda x, y, g, right, local: g * y,
}
_LOCAL_SLIPS = {
    "tanh": {"uses 1 - x² with the INPUT x; the rule is 1 - y² with the output y = tanh(x) "
             "(save y in forward)": lambda x, y: 1 - x * x,
             "uses (1 - y)²; the rule squares y alone, 1 - y²": lambda x, y: (1 - y) ** 2,
             "uses 1 - y; the rule squares y, 1 - y²": lambda x, y: 1 - y},
    "relu": {"passes the gradient where x < 0 and blocks it where x > 0: the mask is flipped, "
             "(x > 0)": lambda x, y: (x < 0).to(x.dtype),
             "multiplies by the input x, not by the mask (x > 0)": lambda x, y: x},
}


def _explain_function_error(error):
    if "modified by an inplace operation" in str(error):
        return (" (a tensor saved in forward was changed in place after it was saved, e.g. "
                "mask.mul_(grad_output) in backward: autograd refuses to read it again, and "
                "gradcheck runs backward more than once on one graph; compute a "
                "new tensor instead, mask * grad_output)")
    if "tuple" in str(error):
        return (" (ctx.saved_tensors is a tuple, even for one tensor: unpack it, "
                "(y,) = ctx.saved_tensors)")
    return ""


@core.check(name="Function")
def check_function(Function, reference, away_from=None, rng=None):
    """A ``torch.autograd.Function`` against ``reference`` (e.g. ``torch.tanh``): forward on
    float64 inputs (large ones included), backward with a random signed incoming gradient,
    and ``torch.autograd.gradcheck``; neither may change its inputs or its output (x,
    grad_output, y) in place (other tensors saved in forward are its own). ``away_from``: a
    point where the function has a kink (0 for relu); the inputs keep their distance from it."""
    import torch

    name = getattr(Function, "__name__", "Function")
    ref = getattr(reference, "__name__", "reference")
    gen = torch.Generator().manual_seed(rng.randrange(2**31))
    x = 3 * torch.randn(12, dtype=torch.float64, generator=gen)
    if away_from is not None:
        x = torch.where((x - away_from).abs() < 0.1, x + 0.5, x)
    big = torch.tensor([-1000.0, -40.0, 40.0, 1000.0], dtype=torch.float64)
    forward = [Mistake(f"{name}.apply(x) {says.format(f=ref)}", (lambda g: lambda t: g(t.data))(
        slip(reference))) for says, slip in _FORWARD_SLIPS.items()]
    trials = []
    for inputs in (x, big):
        given = inputs.clone()
        y = core.call(Function.apply, given, what=f"your {name}.apply(x)",
                      explain=_explain_function_error)
        core.untouched(f"your {name}.forward", {_argument(Function.forward): given},
                       {_argument(Function.forward): inputs}, core.source_of(Function.forward))
        if not isinstance(y, torch.Tensor):
            refuse(f"{name}.apply(x) returned {core.kind(y)}; forward must return a tensor")
        want = reference(inputs)
        if y.shape != want.shape:
            refuse(f"{name}.apply(x) has shape {tuple(y.shape)}; expected {tuple(want.shape)}, "
                   "the shape of x")
        trials.append(Trial(f"on x = {_short(inputs.tolist(), 3)}", y.detach(), want, inputs))
    if not all(t.right for t in trials):
        named = core.diagnose(trials, forward)
        usual, large = trials
        # an overflow only where the function is right on ordinary inputs and gives inf or
        # nan where the right value is finite: elsewhere the formula itself is wrong
        if not named and usual.right and not torch.isfinite(large.got).all():
            bad = ~torch.isfinite(large.got)
            refuse(f"{name}.apply(x) gives {large.got[bad][0].item()} at x = "
                   f"{big[bad][0].item():g}, and is right on ordinary inputs: an intermediate "
                   "overflows there (e.g. exp(2x) / (exp(2x) + 1) is inf / inf); write it in a "
                   "form that stays finite, such as 1 - 2 / (exp(2x) + 1)")
        wrong = usual if not usual.right else large
        refuse(named or f"{name}.apply(x) differs from {ref} in forward {wrong.shown}: largest "
               f"difference {(wrong.got - wrong.want).abs().max().item():.3g}")
    _check_backward(Function, reference, x, gen, name, ref)
    x4 = x[:6].clone().requires_grad_()
    core.call(torch.autograd.gradcheck, Function.apply, (x4,),
              what=f"torch.autograd.gradcheck of your {name}", explain=_explain_function_error)
    core.passed(name, f"forward and backward against torch.{ref}, and gradcheck, on seeded "
                      "float64 inputs")


def _argument(method, index=-1):
    """The name of ``method``'s parameter after ``ctx`` (``x``, ``grad_output``), as the
    learner wrote it."""
    import inspect
    try:
        return list(inspect.signature(method).parameters)[index]
    except (TypeError, ValueError, IndexError):
        return "its input"


def _check_backward(Function, reference, x, gen, name, ref):
    import torch

    g = torch.randn(x.shape, dtype=torch.float64, generator=gen)   # signed: hides no clamp
    x1, x2, x3 = (x.clone().requires_grad_() for _ in range(3))
    reference(x2).backward(g.clone())
    reference(x3).sum().backward()
    y1 = core.call(Function.apply, x1, what=f"your {name}.apply(x)")
    # what backward must leave as it was: grad_output (autograd hands it the tensor itself,
    # which other parts of a graph may share), x and the output; any other tensor saved in
    # forward (a mask, float or bool) is the learner's own to change
    kept = {_argument(Function.backward): g, _argument(Function.forward): x1, "y": y1}
    before = core.copies(kept)
    core.call(y1.backward, g, what=f"your {name}.backward", explain=_explain_function_error)
    core.untouched(f"your {name}.backward", kept, before, core.source_of(Function.backward))
    got, want, local = x1.grad, x2.grad, x3.grad
    if got is None or got.shape != want.shape:
        refuse(f"{name}.backward gives no gradient of x's shape")
    if core.agree(got, want):
        return
    y = reference(x).detach()
    table = [Mistake(f"{name}.backward {says}", lambda t, slip=slip: slip(x, y, g, want, local))
             for says, slip in _BACKWARD_SLIPS.items()]
    table += [Mistake(f"{name}.backward {says}", lambda t, slip=slip: g * slip(x, y))
              for says, slip in _LOCAL_SLIPS.get(ref, {}).items()]
    trial = Trial(f"on x = {_short(x.tolist(), 3)}", got, want)
    refuse(core.diagnose([trial], table) or f"{name}.backward differs from the gradient of "
           f"torch.{ref}: largest difference {(got - want).abs().max().item():.3g}")


@core.check(name="small, small_accuracy")
def check_small(small, small_accuracy, inputs, targets, train, nouts=(8, 1), seed=1):
    """Exercise 1 of lecture 05: ``small`` is ``MLP(2, [8, 1])`` built right after
    ``random.seed(seed)`` and trained once with ``train(small)`` (the lecture's ``train``, on
    the points ``inputs`` with labels ``targets``, ±1), and ``small_accuracy`` its training
    accuracy, a fraction. The accuracy is recounted from ``small`` itself, and the run is redone
    with that ``train``, so an accuracy of another network, or a network from another start
    (random not seeded right before it was built), is refused."""
    nouts, nin = list(nouts), len(inputs[0])
    net = f"MLP({nin}, {nouts})"
    if not callable(getattr(small, "parameters", None)):
        refuse(f"small is {core.kind(small)}; keep the network itself, the trained {net}")
    params = _as_list(core.call(small.parameters, what="your small.parameters()"),
                      "small.parameters()")
    sizes = [nin] + nouts
    count = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    if len(params) != count:
        refuse(f"small has {len(params)} parameters; {net} has {count}: build small with {net} "
               "and train it")
    if isinstance(small_accuracy, tuple | list):
        refuse("small_accuracy is a tuple: loss_and_accuracy returns (loss, accuracy); keep the "
               "second")
    if not _is_number(small_accuracy):
        refuse(f"small_accuracy is {core.kind(small_accuracy)}; expected the accuracy, a float "
               "between 0 and 1")
    random.seed(seed)
    reference = MLP(nin, nouts)
    mine = [p.data for p in params]
    if [p.data for p in reference.parameters()] == mine:
        refuse(f"small is still at its random start (random.seed({seed}), {net}): train it "
               "first (train(small)), with the lecture's loss and schedule")
    scores = [core.call(small, list(x), what=f"small({_short(x, 3)})") for x in inputs]
    right = sum((getattr(s, "data", s) > 0) == (t > 0) for s, t in zip(scores, targets,
                                                                       strict=True))
    n = len(targets)
    if core.close(small_accuracy, 100 * right / n) and right:
        refuse(f"small_accuracy is {core.fmt(small_accuracy)}, a percentage; store the fraction, "
               f"{core.fmt(right / n)}")
    if not core.close(small_accuracy, right / n):
        refuse(f"small_accuracy is {core.fmt(small_accuracy)}, but small classifies {right} of "
               f"the {n} points right ({core.fmt(right / n)}): take the accuracy of small "
               "itself, after its training (loss_and_accuracy(small)), not of another network")
    # where training takes the network depends on where it starts: the lecture's run, redone
    core.call(train, reference, what="train(small)")
    trial = Trial("", mine, [p.data for p in reference.parameters()],
                  scale=max(abs(p.data) for p in reference.parameters()))
    if not trial.right:
        def again(t):
            core.call(train, reference, what="train(small)")
            return [p.data for p in reference.parameters()]

        named = core.diagnose([trial], [Mistake("was trained twice (train(small) run again?): "
                                                "train it once", again)])
        k = next(i for i, (a, b) in enumerate(zip(mine, trial.want, strict=True))
                 if not core.close(a, b, trial.scale))
        want, got = core.fmt_pair(trial.want[k], mine[k])
        refuse(f"small {named}" if named else
               f"small does not end where the lecture's run ends (random.seed({seed}), then "
               f"{net}, then train(small) once, with train's defaults): check the seed right "
               f"before {net} and any argument you gave train",
               f"(the run redone with the notebook's train: parameter {k} of small is {got}, "
               f"expected {want})")
    core.passed("small, small_accuracy", f"{count} parameters, those of the lecture's run "
                f"redone with the notebook's train; {right} of the {n} points classified right, "
                "recounted from small itself")


@core.check()
def check_squares(squares, train, nin=2, nouts=(8, 8, 1), seed=1, alphas=(0.0, 0.01)):
    """Exercise 2 of lecture 05: ``squares`` maps each alpha to Σ p² over the parameters of
    ``MLP(nin, nouts)`` built right after ``random.seed(seed)`` and trained with
    ``train(net, alpha=alpha)`` (the lecture's ``train``). Both runs are redone with that
    ``train``, so a sum from another run (one network trained twice, random seeded once for
    both, untrained, the alphas swapped) or of another quantity (Σ p, (Σ p)², Σ |p|) is
    refused, with what it is when it fits. A run other than the two is redone only where the
    numbers allow it: the first sum right for those that change only the second run, two
    equal sums for train's default alpha."""
    if not isinstance(squares, dict) or set(squares) != set(alphas):
        got = sorted(squares) if isinstance(squares, dict) else core.kind(squares)
        refuse(f"squares should be a dict with the keys {alphas[0]} and {alphas[1]} (the two "
               f"alphas); got {got}")
    for alpha, value in squares.items():
        if not _is_number(value):
            refuse(f"squares[{alpha}] is {core.kind(value)}: store a plain number, "
                   "sum(p.data ** 2 for p in net.parameters())")
    first, second = alphas

    def run(plan, start=None, skip=0):
        """The parameters after ``random.seed(seed)``, ``skip`` networks built and dropped, one
        more built (its values set to ``start`` if given) and trained with each alpha of
        ``plan`` in turn (None: train's default alpha)."""
        random.seed(seed)
        for _ in range(skip + 1):
            model = MLP(nin, list(nouts))
        for p, v in zip(model.parameters(), start or [], strict=False):
            p.data = v
        for a in plan:
            kwargs = {} if a is None else {"alpha": a}
            core.call(train, model, **kwargs,
                      what="train(net" + ("" if a is None else f", alpha={a}") + ")")
        return [p.data for p in model.parameters()]

    def sq(ps):
        return sum(v * v for v in ps)

    trained = {a: run([a]) for a in alphas}
    got = [squares[a] for a in alphas]
    want = [sq(trained[a]) for a in alphas]
    if core.agree(got, want):
        core.passed("squares", f"the sum of p² is {want[0] / want[1]:.1f} times smaller with "
                               f"alpha = {second}, recomputed with the notebook's train")
        return

    def each(f):
        return [f(trained[a]) for a in alphas]

    def if_first_right(second_run):
        """A mistake in the second run only: redone when the first sum is right."""
        return lambda t: [want[0], sq(second_run())] if core.close(got[0], want[0]) else None

    def default(t):
        if not core.close(got[0], got[1]):
            return None
        try:
            return [sq(run([None]))] * 2
        except core.Refused:          # a train without a default alpha: not this mistake
            return None

    table = [
        Mistake("hold Σ p, the parameters not squared: add up p.data ** 2",
                lambda t: each(sum)),
        Mistake("hold (Σ p)², the square of the sum: square each parameter, then add the "
                "squares up, sum(p.data ** 2 for p in net.parameters())",
                lambda t: each(lambda ps: sum(ps) ** 2)),
        Mistake("hold Σ |p|: square each parameter, p.data ** 2", lambda t: each(
            lambda ps: sum(map(abs, ps)))),
        Mistake("hold √(Σ p²), the length of the parameter vector: leave out the square root",
                lambda t: each(lambda ps: math.sqrt(sq(ps)))),
        Mistake("hold the mean of p²: the sum, not divided by the number of parameters",
                lambda t: each(lambda ps: sq(ps) / len(ps))),
        Mistake("are both the sum of p² at the start: train each network "
                "(train(net, alpha=alpha)) before you sum", lambda t: [sq(run([]))] * 2),
        Mistake(f"are swapped: the L2 term pulls the weights toward 0, so squares[{second}] "
                "is the smaller; store each sum under the alpha its network was trained with",
                lambda t: want[::-1]),
        Mistake("come from networks trained with one alpha: train each with its own alpha, "
                "train(net, alpha=alpha)", lambda t: [want[0]] * 2),
        Mistake("come from networks trained with one alpha: train each with its own alpha, "
                "train(net, alpha=alpha)", lambda t: [want[1]] * 2),
    ]
    # these train again, so each is tried alone, and only where the numbers allow it
    again = [
        Mistake(f"come from one network trained twice: the alpha = {second} run went on "
                f"from the weights the alpha = {first} run ended with; seed random and "
                "build a fresh MLP before each run",
                if_first_right(lambda: run([second], start=trained[first]))),
        Mistake(f"come from networks built one after the other after ONE random.seed({seed}): "
                f"the alpha = {second} network starts from other weights; call "
                f"random.seed({seed}) right before building each network",
                if_first_right(lambda: run([second], skip=1))),
        Mistake("come from networks trained with train's default alpha: pass each its own "
                "alpha, train(net, alpha=alpha)", default),
    ]
    trial = Trial(f"[{first}], [{second}]", got, want)
    named = core.diagnose([trial], table) or next(
        (n for n in (core.diagnose([trial], [m]) for m in again) if n), None)
    refuse(f"the sums in squares {named}" if named else core.differs([trial], "squares"),
           f"(redone: random.seed({seed}), MLP({nin}, {list(nouts)}), train(net, alpha=alpha); "
           f"Σ p² = {core.fmt(want[0], 4)} and {core.fmt(want[1], 4)})")
