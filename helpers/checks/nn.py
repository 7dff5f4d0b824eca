"""Checks for the pieces the learner writes in lectures 04 and 05.

Each check takes the learner's class or function, tries it on fresh random inputs (a
private generator: Python's global ``random`` state is left as it was, so the notebook's
own seeded draws do not move), prints one line when everything agrees and otherwise
raises ``AssertionError`` saying what differs, naming the likely mistake only when the
learner's result matches that mistake on every input tried.

Lecture 04: ``check_neuron``, ``check_layer``, ``check_mlp``, ``check_squared_error``,
``check_gradient_step``, ``check_train``, ``check_same_path``, ``check_reached``,
``check_count_parameters``. Lecture 05: ``check_max_margin_loss``, ``check_accuracy``,
``check_function`` (a ``torch.autograd.Function`` against a torch reference), ``check_small``,
``check_squares``.
"""

import math
import numbers
import random
from contextlib import contextmanager

from helpers.finished.nn import TanhMLP, squared_error
from helpers.tools.engine import Value
from helpers.tools.nn import MLP

__all__ = ["check_neuron", "check_layer", "check_mlp", "check_squared_error",
           "check_gradient_step", "check_train", "check_same_path", "check_reached",
           "check_count_parameters", "check_max_margin_loss", "check_accuracy",
           "check_function", "check_small", "check_squares"]


# --- shared pieces ------------------------------------------------------------------------


@contextmanager
def _fresh_random():
    """A private unseeded generator; the global ``random`` state is restored afterwards
    (the learner's classes draw from it)."""
    state = random.getstate()
    try:
        yield random.Random()
    finally:
        random.setstate(state)


def _close(a, b, tol=1e-9):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def _all_close(xs, ys, tol=1e-9):
    return len(xs) == len(ys) and all(_close(a, b, tol) for a, b in zip(xs, ys, strict=True))


def _call(what, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``; an exception inside becomes an AssertionError naming the call."""
    try:
        return fn(*args, **kwargs)
    except AssertionError:
        raise
    except Exception as error:
        raise AssertionError(f"{what} raised {type(error).__name__}: {error}") from error


def _as_list(result, what):
    if _is_value(result) or isinstance(result, numbers.Number) or result is None:
        raise AssertionError(f"{what} returned {_kind(result)}; it should return a list")
    try:
        return list(result)
    except TypeError:
        raise AssertionError(f"{what} returned {_kind(result)}; it should return a list") from None


def _is_value(x):
    """Whether ``x`` is a scalar of an engine: ``helpers.tools.engine.Value`` or any class with
    its interface (``data``, ``grad``, ``_prev``, ``backward()``), such as the learner's own
    ``Value`` from lecture 03, which an exercise edition may build on."""
    return isinstance(x, Value) or (
        hasattr(x, "data") and hasattr(x, "grad") and hasattr(x, "_prev")
        and callable(getattr(x, "backward", None)))


def _kind(x):
    if x is None:
        return "None"
    if _is_value(x):
        return f"a Value ({x.data:.4g})"
    if isinstance(x, bool):
        return f"a bool ({x})"
    if isinstance(x, numbers.Number):
        return f"a {type(x).__name__} ({x:.4g})"
    return f"a {type(x).__name__}"


def _attribute(obj, name, what, fix):
    if not hasattr(obj, name):
        raise AssertionError(f"{what} has no attribute `{name}`: {fix}")
    return getattr(obj, name)


def _same_objects(got, expected):
    """Whether ``got`` holds exactly the objects of ``expected`` (by identity), each once."""
    return len(got) == len(expected) and {id(p) for p in got} == {id(p) for p in expected}


def _parameter_problem(got, expected, what, parts):
    """Why the list ``got`` is not the parameters ``expected``, or None when it is.

    ``parts`` maps a name ("the bias b", "neuron 2") to the Values it stands for, to
    name what is missing.
    """
    if any(isinstance(p, list | tuple) for p in got):
        return (f"{what} holds a list inside the list: return one flat list of Values "
                "(e.g. self.w + [self.b], or a comprehension over the parts)")
    if any(not _is_value(p) for p in got):
        bad = next(p for p in got if not _is_value(p))
        return (f"{what} holds {_kind(bad)}: return the Value objects themselves, not their "
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
    if missing:
        return f"{what} leaves out {', '.join(missing)}"
    return None


# --- lecture 04: Neuron, Layer, MLP ------------------------------------------------------


def _neuron_parts(neuron, what):
    w = _attribute(neuron, "w", what, "store the weights as a list self.w of nin Values")
    b = _attribute(neuron, "b", what, "store the bias as a Value self.b")
    try:
        w = list(w)
    except TypeError:
        raise AssertionError(f"{what}.w is {_kind(w)}; make it a list of Values") from None
    for wi in w:
        if not _is_value(wi):
            raise AssertionError(f"{what}.w holds {_kind(wi)}; make each weight a Value(...)")
    if not _is_value(b):
        raise AssertionError(f"{what}.b is {_kind(b)}; make the bias a Value(...)")
    return w, b


def _neuron_forward_problem(neuron, rng, what, nin):
    """Set the neuron's parameters to known numbers, call it, compare output and gradients."""
    w, b = _neuron_parts(neuron, what)
    tried = {"tanh": [], "no tanh": [], "no bias": [], "relu": [], "sigmoid": []}
    for trial in range(6):
        for p in w + [b]:
            p.data, p.grad = rng.uniform(-1, 1), 0.0
        xs = [rng.uniform(-2, 2) for _ in range(nin)]
        # the bias sets w · x + b to a chosen size and sign: half the trials negative
        z = (-1) ** (trial // 2) * rng.uniform(0.2, 1.5)
        b.data = z - sum(wi.data * v for wi, v in zip(w, xs, strict=True))
        as_values = trial % 2 == 1          # the lecture calls it with floats and with Values
        x = [type(b)(v) for v in xs] if as_values else list(xs)   # the neuron's class
        out = _call(f"{what}({'[Values]' if as_values else xs})", neuron, x)
        if not _is_value(out):
            fix = ("return the Value itself (no .data), so that backward() can reach the "
                   "weights" if isinstance(out, numbers.Number) else "return one Value")
            return f"{what}(x) returned {_kind(out)}: {fix}"
        z = b.data + sum(wi.data * v for wi, v in zip(w, xs, strict=True))
        ref = math.tanh(z)
        for key, value in [("tanh", ref), ("no tanh", z),
                           ("no bias", math.tanh(z - b.data)), ("relu", max(0.0, z)),
                           ("sigmoid", 1 / (1 + math.exp(-z)))]:
            tried[key].append(_close(out.data, value))
        if not _close(out.data, ref):
            continue
        out.backward()
        local = 1 - ref * ref
        expected = [local * v for v in xs] + [local]
        got = [wi.grad for wi in w] + [b.grad]
        if all(g == 0 for g in got):
            return (f"{what}(x) has the right value, but backward() leaves every weight's grad "
                    "at 0: the output is not built from the weights (computed with .data or "
                    "math.tanh, then wrapped in a new Value?)")
        if not _all_close(got, expected):
            return (f"{what}(x) has the right value, but after backward() the gradients of w "
                    f"and b are {[round(g, 4) for g in got]}, expected "
                    f"{[round(g, 4) for g in expected]} (tanh(sum_i w_i x_i + b))")
        if as_values:
            want = [local * wi.data for wi in w]
            if not _all_close([v.grad for v in x], want):
                return (f"{what}(x) with Value inputs: their gradients are "
                        f"{[round(v.grad, 4) for v in x]}, expected {[round(g, 4) for g in want]}")
    if all(tried["tanh"]):
        return None
    for key, hint in [("no tanh", "the output is w · x + b without tanh: squash it with "
                                  ".tanh()"),
                      ("no bias", "the output is tanh(w · x) without the bias: start the sum "
                                  "at self.b (or add it)"),
                      ("relu", "the output is relu(w · x + b): the lecture's neuron uses tanh"),
                      ("sigmoid", "the output is sigmoid(w · x + b): the lecture's neuron "
                                  "uses tanh")]:
        if all(tried[key]):
            return f"{what}(x) differs from tanh(w · x + b): {hint}"
    return (f"{what}(x) differs from tanh(w_1 x_1 + ... + w_n x_n + b) computed from its own "
            "w and b")


def check_neuron(Neuron):
    """``Neuron(nin)``: weights ``w`` (nin Values, uniform in [-1, 1]), bias ``b`` (a Value),
    ``neuron(x)`` = tanh(w · x + b) as a Value, ``parameters()`` = the nin + 1 Values."""
    with _fresh_random() as rng:
        for nin in (1, 2, 3, 5):
            what = f"Neuron({nin})"
            neurons = [_call(what, Neuron, nin) for _ in range(3)]
            for neuron in neurons:
                w, b = _neuron_parts(neuron, what)
                if len(w) != nin:
                    raise AssertionError(f"{what}.w has {len(w)} weights; expected {nin}, one "
                                         "per input")
                if any(not -1 <= p.data <= 1 for p in w + [b]):
                    raise AssertionError(f"{what} starts a parameter outside [-1, 1]: draw them "
                                         "with random.uniform(-1, 1)")
            weights = [wi.data for n in neurons for wi in n.w]
            if len(set(weights)) == 1:
                raise AssertionError(f"every weight of {what} starts at {weights[0]}: draw each "
                                     "one with random.uniform(-1, 1), or every neuron of a "
                                     "layer computes the same thing")
            neuron = neurons[0]
            w, b = _neuron_parts(neuron, what)
            got = _as_list(_call(f"{what}.parameters()", neuron.parameters),
                           f"{what}.parameters()")
            problem = _parameter_problem(got, w + [b], f"{what}.parameters()",
                                         {"the bias b": [b], "the weights w": w})
            if problem:
                raise AssertionError(problem)
            problem = _neuron_forward_problem(neuron, rng, what, nin)
            if problem:
                raise AssertionError(problem)
    print("Neuron: correct (weights, output tanh(w · x + b), its gradients and parameters(), "
          "on fresh neurons and inputs)")


def _layer_parts(layer, what, nout):
    neurons = _attribute(layer, "neurons", what, "keep the neurons in a list self.neurons")
    try:
        neurons = list(neurons)
    except TypeError:
        raise AssertionError(f"{what}.neurons is {_kind(neurons)}; make it a list") from None
    if len(neurons) != nout:
        raise AssertionError(f"{what}.neurons has {len(neurons)} neurons; expected {nout}")
    if len({id(n) for n in neurons}) < len(neurons):
        raise AssertionError(f"{what}.neurons holds the same neuron more than once "
                             "([Neuron(nin)] * nout makes ONE neuron): create each with its "
                             "own Neuron(nin) call")
    return neurons


def _layer_output_problem(layer, neurons, rng, what, nin):
    x = [rng.uniform(-2, 2) for _ in range(nin)]
    expected = [_call(f"a neuron of {what}", n, x).data for n in neurons]
    out = _call(f"{what}(x)", layer, x)
    if len(neurons) == 1:
        if isinstance(out, list | tuple) and len(out) == 1:
            return (f"{what}(x) returned a list of one Value: when the layer has one neuron, "
                    "return that Value itself (so the MLP's output is a Value the loss can use)")
        if not _is_value(out):
            return f"{what}(x) returned {_kind(out)}; expected one Value"
        if not _close(out.data, expected[0]):
            return f"{what}(x) is {out.data:.6g}; its neuron gives {expected[0]:.6g}"
        return None
    if _is_value(out):
        return f"{what}(x) returned one Value; expected a list of {len(neurons)}, one per neuron"
    out = _as_list(out, f"{what}(x)")
    if len(out) != len(neurons) or not all(_is_value(o) for o in out):
        return (f"{what}(x) returned {len(out)} items ({', '.join(_kind(o) for o in out[:3])}"
                f"{', ...' if len(out) > 3 else ''}); expected {len(neurons)} Values, one per "
                "neuron")
    if not _all_close([o.data for o in out], expected):
        return (f"{what}(x) gives {[round(o.data, 4) for o in out]}; its neurons, called on x, "
                f"give {[round(e, 4) for e in expected]}")
    return None


def check_layer(Layer):
    """``Layer(nin, nout)``: ``neurons`` (nout distinct neurons of nin inputs); calling it gives
    the list of their outputs, or the single Value when nout == 1; ``parameters()`` lists
    every neuron's parameters in one flat list."""
    with _fresh_random() as rng:
        for nin, nout in [(3, 4), (2, 1), (4, 2), (1, 3)]:
            what = f"Layer({nin}, {nout})"
            layer = _call(what, Layer, nin, nout)
            neurons = _layer_parts(layer, what, nout)
            for n in neurons:
                w, _ = _neuron_parts(n, f"a neuron of {what}")
                if len(w) != nin:
                    raise AssertionError(f"the neurons of {what} have {len(w)} weights; "
                                         f"expected {nin}: create them with Neuron(nin)")
            problem = _layer_output_problem(layer, neurons, rng, what, nin)
            if problem:
                raise AssertionError(problem)
            got = _as_list(_call(f"{what}.parameters()", layer.parameters),
                           f"{what}.parameters()")
            expected = [p for n in neurons for p in n.parameters()]
            parts = {f"neuron {i}": n.parameters() for i, n in enumerate(neurons)}
            problem = _parameter_problem(got, expected, f"{what}.parameters()", parts)
            if problem:
                raise AssertionError(problem)
    print("Layer: correct (its neurons' outputs, a single Value for one neuron, and "
          "parameters(), on fresh layers and inputs)")


def check_mlp(MLP):
    """``MLP(nin, nouts)``: ``layers``, one per entry of nouts, each reading the previous
    layer's output; ``parameters()`` lists every layer's parameters."""
    with _fresh_random() as rng:
        for nin, nouts in [(3, [4, 4, 1]), (2, [3, 1]), (4, [5, 2]), (1, [1])]:
            what = f"MLP({nin}, {nouts})"
            mlp = _call(what, MLP, nin, list(nouts))
            layers = _attribute(mlp, "layers", what, "keep the layers in a list self.layers")
            layers = list(layers)
            if len(layers) != len(nouts):
                raise AssertionError(f"{what} has {len(layers)} layers; expected {len(nouts)}, "
                                     "one Layer per entry of nouts")
            sizes = [nin] + list(nouts)
            for i, layer in enumerate(layers):
                neurons = _layer_parts(layer, f"layer {i} of {what}", nouts[i])
                width = len(_neuron_parts(neurons[0], f"a neuron of layer {i}")[0])
                if width != sizes[i]:
                    raise AssertionError(
                        f"the neurons of layer {i} of {what} have {width} inputs; expected "
                        f"{sizes[i]} ({'nin' if i == 0 else 'the size of the layer before'}): "
                        "layer i goes from sizes[i] to sizes[i + 1] with sizes = [nin] + nouts")
            x = [rng.uniform(-2, 2) for _ in range(nin)]
            expected = x
            for i, layer in enumerate(layers):
                expected = _call(f"layer {i} of {what}", layer, expected)
            out = _call(f"{what}(x)", mlp, x)
            if nouts[-1] == 1:
                if not _is_value(out):
                    raise AssertionError(f"{what}(x) returned {_kind(out)}; expected one Value "
                                         "(the last layer's output)")
                same = _close(out.data, expected.data)
            else:
                out = _as_list(out, f"{what}(x)")
                same = (len(out) == len(expected) and all(_is_value(o) for o in out)
                        and _all_close([o.data for o in out], [e.data for e in expected]))
            if not same:
                raise AssertionError(f"{what}(x) differs from its layers applied in turn, each "
                                     "to the output of the one before")
            got = _as_list(_call(f"{what}.parameters()", mlp.parameters),
                           f"{what}.parameters()")
            all_params = [p for layer in layers for p in layer.parameters()]
            parts = {f"layer {i}": layer.parameters() for i, layer in enumerate(layers)}
            problem = _parameter_problem(got, all_params, f"{what}.parameters()", parts)
            if problem:
                raise AssertionError(problem)
            count = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
            if len(got) != count:
                raise AssertionError(f"{what}.parameters() has {len(got)} Values; expected "
                                     f"{count}")
    print("MLP: correct (layer sizes, output, and parameters(), on fresh networks and inputs)")


# --- lecture 04: the loss, one step, the loop ---------------------------------------------


def check_squared_error(squared_error):
    """``squared_error(predictions, targets)``: the sum of (p - y)² as a Value (predictions
    are Values, targets floats), with the gradient 2 (p - y) for each prediction."""
    with _fresh_random() as rng:
        fits = {"mean": [], "no square": [], "abs": [], "half": []}
        for n in (1, 3, 4, 7):
            ps = [rng.uniform(-1, 1) for _ in range(n)]
            ys = [rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5) for _ in range(n)]
            predictions = [Value(p) for p in ps]
            what = f"squared_error(<{n} predictions>, <{n} targets>)"
            loss = _call(what, squared_error, predictions, list(ys))
            if not _is_value(loss):
                fix = (": keep it a Value (no .data), so that backward() can run"
                       if isinstance(loss, numbers.Number) else ": return one Value")
                raise AssertionError(f"{what} returned {_kind(loss)}{fix}")
            ref = sum((p - y) ** 2 for p, y in zip(ps, ys, strict=True))
            fits["mean"].append(_close(loss.data, ref / n))
            fits["half"].append(_close(loss.data, ref / 2))
            fits["no square"].append(_close(loss.data, sum(p - y for p, y in zip(ps, ys,
                                                                                strict=True))))
            fits["abs"].append(_close(loss.data, sum(abs(p - y) for p, y in zip(ps, ys,
                                                                               strict=True))))
            if not _close(loss.data, ref):
                continue
            loss.backward()
            want = [2 * (p - y) for p, y in zip(ps, ys, strict=True)]
            got = [v.grad for v in predictions]
            if all(g == 0 for g in got):
                raise AssertionError(f"{what} has the right value, but no gradient reaches the "
                                     "predictions: build it from the Values (no .data)")
            if not _all_close(got, want):
                raise AssertionError(f"{what}: the gradients of the predictions are "
                                     f"{[round(g, 4) for g in got]}, expected 2 (p - y) = "
                                     f"{[round(g, 4) for g in want]}")
        hints = {"mean": "divides by the number of examples: the lecture's loss is the sum "
                         "(exercise 1 is about the mean)",
                 "half": "is half the sum of squares",
                 "no square": "sums p - y without squaring it",
                 "abs": "sums |p - y|: square each difference instead"}
        for key, hint in hints.items():
            if all(fits[key]):
                raise AssertionError(f"squared_error {hint}")
    _verify_squared_error_again(squared_error)
    print("squared_error: correct (value and gradients, on fresh predictions and targets)")


def _verify_squared_error_again(fn):
    """The value check above skips the gradient test when a value is wrong; make sure no
    wrong value slipped through without a diagnosis."""
    with _fresh_random() as rng:
        for n in (2, 5):
            ps = [rng.uniform(-1, 1) for _ in range(n)]
            ys = [rng.choice([-1.0, 1.0]) for _ in range(n)]
            loss = _call("squared_error", fn, [Value(p) for p in ps], list(ys))
            ref = sum((p - y) ** 2 for p, y in zip(ps, ys, strict=True))
            if not _close(loss.data, ref):
                raise AssertionError(f"squared_error gives {loss.data:.6g} for predictions "
                                     f"{[round(p, 3) for p in ps]} and targets {ys}; the sum of "
                                     f"(p - y)² is {ref:.6g}")


def _twin_models(rng):
    """Two TanhMLPs with the same random parameters, and a loss over a random dataset."""
    nin = rng.choice([2, 3])
    nouts = [rng.choice([3, 4]), 1]
    models = []
    values = None
    for _ in range(2):
        model = TanhMLP(nin, nouts)
        params = model.parameters()
        if values is None:
            values = [rng.uniform(-1, 1) for _ in params]
        for p, v in zip(params, values, strict=True):
            p.data, p.grad = v, 0.0
        models.append(model)
    xs = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(4)]
    ys = [rng.choice([-1.0, 1.0]) for _ in xs]

    def loss_fn(model):
        return squared_error([model(x) for x in xs], ys)

    return models, loss_fn, f"MLP({nin}, {nouts})"


def _reference_step(model, loss_fn, lr):
    loss = loss_fn(model)
    for p in model.parameters():
        p.grad = 0.0
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data, grads


def _which_parameters(model, wrong):
    """Name the parameters at the positions ``wrong`` of ``model.parameters()``."""
    params = model.parameters()
    biases = {id(n.b) for layer in model.layers for n in layer.neurons}
    wrong_ids = {id(params[i]) for i in wrong}
    if wrong_ids == biases:
        return "the biases"
    last = {id(p) for p in model.layers[-1].parameters()}
    if wrong_ids == {id(p) for p in params} - last:
        return "every layer but the last"
    return f"{len(wrong)} of the {len(params)} parameters"


def check_gradient_step(gradient_step):
    """``gradient_step(model, loss_fn, lr)``: forward (``loss_fn(model)``), reset every
    parameter's gradient, backward, ``p.data -= lr * p.grad``; returns the loss before the
    update as a float. Tried for two steps in a row on fresh networks."""
    with _fresh_random() as rng:
        for _ in range(3):
            (model, twin), loss_fn, name = _twin_models(rng)
            lr = rng.uniform(0.05, 0.3)
            history = []
            for k in range(3):
                before = [p.data for p in model.parameters()]
                ref_loss, grads = _reference_step(twin, loss_fn, lr)
                history.append(grads)
                what = f"gradient_step(<{name}>, loss_fn, lr={lr:.3f})"
                try:
                    returned = _call(what, gradient_step, model, loss_fn, lr)
                except AssertionError as error:
                    if "zero_grad" in str(error):
                        raise AssertionError(f"{error} (lecture 04's MLP has no zero_grad "
                                             "method: set p.grad = 0.0 for every p in "
                                             "model.parameters())") from error.__cause__
                    raise
                after = [p.data for p in model.parameters()]
                delta = [a - b for a, b in zip(after, before, strict=True)]
                want = [-lr * g for g in grads]
                if not _all_close(delta, want, 1e-7):
                    raise AssertionError(_step_problem(model, delta, want, lr, grads, history,
                                                       k, what))
                if returned is None:
                    raise AssertionError(f"{what} returned None: return the loss of the "
                                         "forward pass as a float (loss.data)")
                if _is_value(returned):
                    raise AssertionError(f"{what} returned the loss as a Value: return "
                                         "loss.data, a float (train collects these numbers)")
                if not isinstance(returned, numbers.Real) or isinstance(returned, bool):
                    raise AssertionError(f"{what} returned {_kind(returned)}; expected the "
                                         "loss before the update, a float")
                if not _close(returned, ref_loss):
                    after_loss = loss_fn(twin).data
                    if _close(returned, after_loss):
                        raise AssertionError(f"{what} returned the loss after the update; "
                                             "return the loss of the step's forward pass "
                                             "(before the update)")
                    raise AssertionError(f"{what} returned {returned:.6g}; the loss before the "
                                         f"update is {ref_loss:.6g}")
    print("gradient_step: correct (the update -lr * gradient, with the gradients reset, over "
          "several steps on fresh networks)")


def _step_problem(model, delta, want, lr, grads, history, k, what):
    """Why a step moved the parameters by ``delta`` instead of ``want`` (= -lr * grads)."""
    if all(d == 0 for d in delta):
        if all(p.grad == 0 for p in model.parameters()):
            return (f"{what} did not change any parameter, and every .grad is 0 after it: call "
                    "loss.backward() before the update, and reset the gradients before "
                    "backward(), not between backward() and the update")
        return f"{what} did not change any parameter: update each one, p.data -= lr * p.grad"
    if _all_close(delta, [-w for w in want], 1e-7):
        return (f"{what} moved every parameter uphill, p.data += lr * p.grad: step against the "
                "gradient, p.data -= lr * p.grad")
    if _all_close(delta, [-g for g in grads], 1e-7):
        return f"{what} moved the parameters by -p.grad: multiply the gradient by lr"
    if k > 0:
        summed = [-lr * sum(gs) for gs in zip(*history, strict=True)]
        if _all_close(delta, summed, 1e-7):
            return (f"{what}: at step {k + 1} the update used the sum of the gradients of all "
                    "steps so far: reset every p.grad to 0 before loss.backward() (backward "
                    "adds into .grad)")
    wrong = [i for i, (d, w) in enumerate(zip(delta, want, strict=True)) if not _close(d, w, 1e-7)]
    if all(delta[i] == 0 for i in wrong):
        return (f"{what} did not update {_which_parameters(model, wrong)}: update every Value "
                "in model.parameters()")
    return (f"{what}: {len(wrong)} of {len(delta)} parameters moved by something other than "
            f"-lr * p.grad (parameter {wrong[0]}: moved {delta[wrong[0]]:.4g}, expected "
            f"{want[wrong[0]]:.4g}), at step {k + 1} in a row")


def check_train(train):
    """``train(model, loss_fn, steps, lr)``: ``steps`` gradient steps; returns the loss before
    each step, a list of ``steps`` floats."""
    with _fresh_random() as rng:
        for _ in range(2):
            (model, twin), loss_fn, name = _twin_models(rng)
            steps, lr = rng.randint(3, 6), rng.uniform(0.05, 0.3)
            what = f"train(<{name}>, loss_fn, steps={steps}, lr={lr:.3f})"
            losses = _as_list(_call(what, train, model, loss_fn, steps=steps, lr=lr), what)
            expected = [_reference_step(twin, loss_fn, lr)[0] for _ in range(steps)]
            if len(losses) != steps:
                raise AssertionError(f"{what} returned {len(losses)} losses; expected {steps}, "
                                     "one per step")
            if any(_is_value(v) for v in losses):
                raise AssertionError(f"{what} returned Values; collect loss.data, the floats")
            if any(not isinstance(v, numbers.Real) or isinstance(v, bool) for v in losses):
                bad = next(v for v in losses if not isinstance(v, numbers.Real))
                raise AssertionError(f"{what} returned a list holding {_kind(bad)}; expected "
                                     "floats")
            final = [p.data for p in model.parameters()]
            if not _all_close(final, [p.data for p in twin.parameters()], 1e-7):
                raise AssertionError(f"after {what} the parameters differ from {steps} gradient "
                                     "steps (does train call gradient_step once per step, with "
                                     "the model, loss_fn and lr it was given?)")
            if not _all_close(losses, expected, 1e-7):
                shifted = expected[1:] + [loss_fn(twin).data]
                if _all_close(losses, shifted, 1e-7):
                    raise AssertionError(f"{what} recorded the loss after each update; record "
                                         "the loss of each step's forward pass (what "
                                         "gradient_step returns)")
                raise AssertionError(f"{what} returned {[round(v, 4) for v in losses]}; the "
                                     f"losses before each step are "
                                     f"{[round(v, 4) for v in expected]}")
    print("train: correct (the losses before each step and the trained parameters, on fresh "
          "networks)")


def check_same_path(sum_losses, mean_losses, fresh_model, loss_fn, train, n_examples,
                    steps=50, lr=0.1, mean_loss=None):
    """Exercise 1 of lecture 04: ``sum_losses`` are the losses of ``train(fresh_model(),
    loss_fn, steps, lr)``; ``mean_losses`` those of the mean loss (``loss_fn`` divided by
    ``n_examples``) trained with the learning rate that follows the same path, so each is
    the matching sum loss divided by ``n_examples``. Recomputes the sum run with the
    learner's ``train``. ``mean_loss``, when given, is the learner's mean loss function
    (``mean_squared_error``): it must return a Value, the summed loss / ``n_examples``."""
    if mean_loss is not None:
        _check_mean_loss(mean_loss, fresh_model, loss_fn, n_examples)
    lists = {}
    for name, value in [("sum_losses", sum_losses), ("mean_losses", mean_losses)]:
        got = _as_list(value, name)
        if any(_is_value(v) for v in got):
            raise AssertionError(f"{name} holds Values; keep the floats train returns")
        if len(got) != steps:
            raise AssertionError(f"{name} has {len(got)} losses; train for {steps} steps, one "
                                 "loss per step")
        lists[name] = got
    sums, means = lists["sum_losses"], lists["mean_losses"]
    with _fresh_random():
        reference = train(fresh_model(), loss_fn, steps=steps, lr=lr)
    if not _all_close(sums, reference):
        raise AssertionError(f"sum_losses differs from train(fresh_model(), <the summed loss>, "
                             f"steps={steps}, lr={lr}): it starts at {sums[0]:.6g}, expected "
                             f"{reference[0]:.6g}")
    same = [s / n_examples for s in reference]
    if _all_close(means, same):
        print(f"sum_losses, mean_losses: correct ({n_examples} × the mean loss equals the summed "
              f"loss at each of the {steps} steps: the same path)")
        return
    if _all_close(means, reference):
        raise AssertionError("mean_losses equals sum_losses: the mean loss divides the sum by "
                             f"the number of examples, {n_examples}")
    if not _close(means[0], same[0]):
        raise AssertionError(f"mean_losses starts at {means[0]:.6g}; the mean loss of "
                             f"fresh_model() is {same[0]:.6g} (the summed loss / {n_examples}): "
                             "start from fresh_model() and divide the sum by the number of "
                             "examples")
    k = next(i for i, (m, w) in enumerate(zip(means, same, strict=True)) if not _close(m, w))
    with _fresh_random():
        slow = train(fresh_model(), lambda model: loss_fn(model) / n_examples, steps=steps,
                     lr=lr)
    if _all_close(means, slow):
        raise AssertionError(f"mean_losses is the mean loss trained with lr = {lr}, the slower "
                             "run: find the learning rate that makes its steps as long as the "
                             f"summed loss's steps with lr = {lr}")
    raise AssertionError(f"mean_losses starts at the right loss but leaves the summed run's path "
                         f"at step {k} ({n_examples} × {means[k]:.6g} instead of "
                         f"{reference[k]:.6g}): the learning rate of the mean run is not the one "
                         "that gives the same steps")


def _check_mean_loss(mean_loss, fresh_model, loss_fn, n_examples):
    name = getattr(mean_loss, "__name__", "the mean loss")
    what = f"{name}(fresh_model())"
    with _fresh_random():
        got = _call(what, mean_loss, fresh_model())
        summed = loss_fn(fresh_model()).data
    if not hasattr(got, "data") or not hasattr(got, "backward"):
        fix = (": keep it a Value (no .data), so that train can call backward() on it"
               if isinstance(got, numbers.Number) else ": return the loss, one Value")
        raise AssertionError(f"{what} returned {_kind(got)}{fix}")
    if _close(got.data, summed):
        raise AssertionError(f"{what} is {got.data:.6g}, the summed loss itself: divide it by "
                             f"the number of examples, {n_examples}")
    if not _close(got.data, summed / n_examples):
        raise AssertionError(f"{what} is {got.data:.6g}; the mean of the {n_examples} squared "
                             f"errors is {summed / n_examples:.6g} (the summed loss "
                             f"{summed:.6g} / {n_examples})")


def check_reached(reached, ChoiceMLP, loss_fn, train, seeds=range(6), steps=50, lr=0.1,
                  below=0.05):
    """Exercise 2 of lecture 04: ``reached`` maps "tanh" and "relu" to how many of the runs
    (``random.seed(seed)``, then ``ChoiceMLP(3, [4, 4, 1], hidden)``, ``steps`` steps) end
    below ``below``. Recounts with the learner's ``ChoiceMLP``, so any correct way of
    writing the network passes; also checks that the hidden layers use the activation asked
    for and the output neuron tanh."""
    if not isinstance(reached, dict) or set(reached) != {"tanh", "relu"}:
        raise AssertionError(f"reached should be a dict with the keys 'tanh' and 'relu'; got "
                             f"{reached!r:.80}")
    _check_choice_mlp(ChoiceMLP)
    seeds = list(seeds)
    counts = {}
    with _fresh_random():                # the seeds below move the global state; restore it
        for hidden in ("tanh", "relu"):
            counts[hidden] = 0
            for seed in seeds:
                random.seed(seed)
                model = _call(f"ChoiceMLP(3, [4, 4, 1], {hidden!r})", ChoiceMLP, 3, [4, 4, 1],
                              hidden)
                final = train(model, loss_fn, steps=steps, lr=lr)[-1]
                counts[hidden] += final < below
    for hidden, count in counts.items():
        if reached[hidden] != count:
            raise AssertionError(
                f"reached[{hidden!r}] is {reached[hidden]!r}, but training ChoiceMLP(3, [4, 4, "
                f"1], {hidden!r}) after random.seed(seed) for the seeds {seeds[0]} to "
                f"{seeds[-1]} ({steps} steps, lr = {lr}) ends below {below} in {count} runs")
    print(f"reached: correct ({counts['tanh']} tanh and {counts['relu']} relu runs of "
          f"{len(seeds)} end below {below}, recounted with your ChoiceMLP)")


def _check_choice_mlp(ChoiceMLP):
    with _fresh_random() as rng:
        for hidden in ("tanh", "relu"):
            what = f"ChoiceMLP(3, [4, 4, 1], {hidden!r})"
            mlp = _call(what, ChoiceMLP, 3, [4, 4, 1], hidden)
            layers = list(_attribute(mlp, "layers", what, "keep the layers in self.layers"))
            for _ in range(3):
                for p in mlp.parameters():
                    p.data = rng.uniform(-1, 1)
                x = [rng.uniform(-2, 2) for _ in range(3)]
                h = x
                for i, layer in enumerate(layers):
                    act = "tanh" if i == len(layers) - 1 else hidden
                    h = [_activate(act, n.b.data + sum(w.data * v for w, v in zip(n.w, h,
                                                                                  strict=True)))
                         for n in layer.neurons]
                out = _call(f"{what}(x)", mlp, x)
                if not _is_value(out) or not _close(out.data, h[0]):
                    raise AssertionError(f"{what}(x) is not {hidden} in the hidden layers and "
                                         "tanh in the output neuron")


def _activate(name, z):
    return math.tanh(z) if name == "tanh" else max(0.0, z)


def check_count_parameters(count_parameters, MLP):
    """Exercise 3 of lecture 04: ``count_parameters(nin, nouts)``, the number of parameters of
    ``MLP(nin, nouts)`` computed from the sizes alone (an int); compared with
    ``len(MLP(nin, nouts).parameters())`` on a few networks."""
    cases = [(3, [4, 4, 1]), (2, [16, 16, 1]), (5, [7, 1]), (1, [1]), (4, [3, 2, 5])]
    fits = {key: [] for key in ("weights only", "biases per input", "first layer left out",
                                "last layer left out")}
    first_wrong = None
    for nin, nouts in cases:
        what = f"count_parameters({nin}, {nouts})"
        got = _call(what, count_parameters, nin, list(nouts))
        if isinstance(got, bool) or not isinstance(got, numbers.Real):
            raise AssertionError(f"{what} returned {_kind(got)}; return the number of "
                                 "parameters, an int")
        with _fresh_random():
            built = len(_call(f"MLP({nin}, {nouts}).parameters()",
                              lambda a, b: MLP(a, b).parameters(), nin, list(nouts)))
        pairs = list(zip([nin] + nouts[:-1], nouts, strict=True))
        fits["weights only"].append(got == sum(a * b for a, b in pairs))
        fits["biases per input"].append(got == sum(a * b + a for a, b in pairs))
        fits["first layer left out"].append(got == sum(a * b + b for a, b in pairs[1:]))
        fits["last layer left out"].append(got == sum(a * b + b for a, b in pairs[:-1]))
        if got != built and first_wrong is None:
            first_wrong = (what, got, built, nin, nouts)
    if first_wrong is None:
        for nin, nouts in cases:             # right values; now the type
            got = count_parameters(nin, list(nouts))
            if not isinstance(got, numbers.Integral):
                raise AssertionError(f"count_parameters({nin}, {nouts}) returned {_kind(got)}: "
                                     "the right number, but return an int (// or int(), not /)")
        print(f"count_parameters: correct (on {len(cases)} networks, each compared with "
              "len(MLP(nin, nouts).parameters()))")
        return
    what, got, built, nin, nouts = first_wrong
    hints = {
        "weights only": "counts the weights only: every neuron also has a bias, so a layer "
                        "of n_out neurons adds n_out more",
        "biases per input": "adds n_in biases per layer: a layer has one bias per neuron, "
                            "n_out of them",
        "first layer left out": "leaves out the first layer, the one from the nin inputs",
        "last layer left out": "leaves out the last layer",
    }
    for key, hint in hints.items():
        if all(fits[key]):
            raise AssertionError(f"{what} returned {got}, but MLP({nin}, {nouts}) has {built} "
                                 f"parameters: count_parameters {hint}")
    raise AssertionError(f"{what} returned {got}, but MLP({nin}, {nouts}) has {built} "
                         "parameters: add up, layer by layer, n_in · n_out weights and n_out "
                         "biases")


# --- lecture 05 ---------------------------------------------------------------------------


def check_max_margin_loss(max_margin_loss):
    """``max_margin_loss(scores, targets, parameters, alpha)``: the mean over the examples of
    relu(1 - y·s) plus alpha · Σ p², a Value, with its gradients for scores and parameters."""
    with _fresh_random() as rng:
        fits = {key: [] for key in ("sum", "no l2", "l1", "l2 not squared", "l2 averaged",
                                    "no relu", "no margin", "sign")}
        for n, alpha in [(5, 0.01), (8, 0.1), (3, 0.0), (10, 0.05)]:
            ts = [rng.choice([-1.0, 1.0]) for _ in range(n)]
            # margins y·s away from the kinks at 0 and 1, some past the margin
            ss = [t * rng.choice([-1, 1]) * rng.uniform(0.1, 0.9) if i % 3 else
                  t * rng.uniform(1.2, 2.5) for i, t in enumerate(ts)]
            ps = [rng.uniform(-1.5, 1.5) for _ in range(6)]
            scores, params = [Value(s) for s in ss], [Value(p) for p in ps]
            what = f"max_margin_loss(<{n} scores>, <{n} targets>, <6 parameters>, alpha={alpha})"
            loss = _call(what, max_margin_loss, scores, list(ts), list(params), alpha)
            if not _is_value(loss):
                fix = (": keep it a Value (no .data), so that backward() can run"
                       if isinstance(loss, numbers.Number) else ": return one Value")
                raise AssertionError(f"{what} returned {_kind(loss)}{fix}")
            margins = [t * s for s, t in zip(ss, ts, strict=True)]
            hinge = [max(0.0, 1 - m) for m in margins]
            l2 = sum(p * p for p in ps)
            ref = sum(hinge) / n + alpha * l2
            if alpha:
                fits["sum"].append(_close(loss.data, sum(hinge) + alpha * l2))
                fits["no l2"].append(_close(loss.data, sum(hinge) / n))
                fits["l1"].append(_close(loss.data, sum(hinge) / n +
                                         alpha * sum(abs(p) for p in ps)))
                fits["l2 not squared"].append(_close(loss.data, sum(hinge) / n + alpha * sum(ps)))
                fits["l2 averaged"].append(_close(loss.data, (sum(hinge) + alpha * l2) / n))
            fits["no relu"].append(_close(loss.data, sum(1 - m for m in margins) / n + alpha * l2))
            fits["no margin"].append(_close(loss.data, sum(max(0.0, -m) for m in margins) / n +
                                            alpha * l2))
            fits["sign"].append(_close(loss.data, sum(max(0.0, 1 + m) for m in margins) / n +
                                       alpha * l2))
            if not _close(loss.data, ref):
                continue
            loss.backward()
            want_s = [-t / n if 1 - m > 0 else 0.0 for t, m in zip(ts, margins, strict=True)]
            want_p = [2 * alpha * p for p in ps]
            got_s, got_p = [v.grad for v in scores], [v.grad for v in params]
            if alpha and all(g == 0 for g in got_p):
                raise AssertionError(f"{what} has the right value, but no gradient reaches the "
                                     "parameters: build the L2 term from the Values p (not "
                                     "p.data)")
            if all(g == 0 for g in got_s) and any(want_s):
                raise AssertionError(f"{what} has the right value, but no gradient reaches the "
                                     "scores: build the loss from the score Values (not .data)")
            if not _all_close(got_s, want_s) or not _all_close(got_p, want_p):
                raise AssertionError(f"{what}: the value is right but the gradients differ "
                                     f"(scores: {[round(g, 4) for g in got_s]}, expected "
                                     f"{[round(g, 4) for g in want_s]})")
        hints = {
            "sum": "sums the hinge terms; the data loss is their mean (divide by the number "
                   "of examples)",
            "no l2": "leaves out the L2 term alpha * sum(p * p for p in parameters)",
            "l1": "charges alpha * |p| for each parameter; L2 is alpha * p²",
            "l2 not squared": "adds alpha * p for each parameter; square it: alpha * p * p",
            "l2 averaged": "divides the L2 term by the number of examples too; only the data "
                           "loss is a mean",
            "no relu": "averages 1 - y·s without relu: a point past the margin (y·s > 1) "
                       "would lower the loss; clip each term at 0 with .relu()",
            "no margin": "averages relu(-y·s): the hinge asks for a margin of 1, relu(1 - y·s)",
            "sign": "averages relu(1 + y·s): the sign of the product is flipped, relu(1 - y·s)",
        }
        for key, hint in hints.items():
            if fits[key] and all(fits[key]):
                raise AssertionError(f"max_margin_loss {hint}")
    _verify_loss_value(max_margin_loss)
    print("max_margin_loss: correct (value and gradients for scores and parameters, on fresh "
          "inputs)")


def _verify_loss_value(fn):
    with _fresh_random() as rng:
        for n, alpha in [(4, 0.02), (7, 0.0)]:
            ts = [rng.choice([-1.0, 1.0]) for _ in range(n)]
            ss = [rng.uniform(-2.5, 2.5) for _ in ts]
            ps = [rng.uniform(-1, 1) for _ in range(3)]
            loss = _call("max_margin_loss", fn, [Value(s) for s in ss], list(ts),
                         [Value(p) for p in ps], alpha)
            ref = (sum(max(0.0, 1 - t * s) for s, t in zip(ss, ts, strict=True)) / n
                   + alpha * sum(p * p for p in ps))
            if not _close(loss.data, ref):
                raise AssertionError(
                    f"max_margin_loss gives {loss.data:.6g} for scores "
                    f"{[round(s, 3) for s in ss]}, targets {ts}, parameters "
                    f"{[round(p, 3) for p in ps]} and alpha = {alpha}; the mean of relu(1 - y·s) "
                    f"plus alpha · Σ p² is {ref:.6g}")


def check_accuracy(accuracy):
    """``accuracy(scores, targets)``: the fraction (a float in [0, 1]) of the scores (Values)
    whose sign is the sign of their target (±1)."""
    with _fresh_random() as rng:
        fits = {"count": [], "percent": [], "wrong ones": []}
        first_wrong = None
        for n in (4, 7, 10, 25, 9, 16):
            ts = [rng.choice([-1.0, 1.0]) for _ in range(n)]
            ss = [rng.choice([-1, 1]) * rng.uniform(0.05, 3) for _ in ts]
            ss[0] = ts[0] * abs(ss[0])                 # at least one right
            ss[-1] = -ts[-1] * abs(ss[-1])             # and one wrong
            what = f"accuracy(<{n} scores>, <{n} targets>)"
            got = _call(what, accuracy, [Value(s) for s in ss], list(ts))
            if _is_value(got):
                raise AssertionError(f"{what} returned a Value; return a plain float (nothing "
                                     "to backpropagate here)")
            if not isinstance(got, numbers.Real) or isinstance(got, bool):
                raise AssertionError(f"{what} returned {_kind(got)}; expected a float in [0, 1]")
            right = sum((s > 0) == (t > 0) for s, t in zip(ss, ts, strict=True))
            fits["count"].append(got == right)
            fits["percent"].append(_close(got, 100 * right / n))
            fits["wrong ones"].append(_close(got, (n - right) / n))
            if not _close(got, right / n) and first_wrong is None:
                first_wrong = (what, got, right, n)
        if first_wrong:
            what, got, right, n = first_wrong
            for key, hint in [("count", "the number of points classified right; divide by "
                                        "the number of points"),
                              ("percent", "a percentage; return the fraction (0.95, not 95)"),
                              ("wrong ones", "the fraction classified WRONG: count the points "
                                             "whose score has the sign of their target")]:
                if all(fits[key]):
                    raise AssertionError(f"{what} returned {got!r}, {hint}")
            raise AssertionError(f"{what} returned {got!r}; {right} of the {n} scores have the "
                                 f"sign of their target, so the accuracy is {right / n!r}")
    print("accuracy: correct (the fraction of scores with the sign of their target, on fresh "
          "inputs)")


def check_function(Function, reference, away_from=None):
    """A ``torch.autograd.Function`` against ``reference`` (e.g. ``torch.tanh``): forward on
    float64 inputs (large ones included), backward with a random incoming gradient, and
    ``torch.autograd.gradcheck``. ``away_from``: a point where the function has a kink
    (0 for relu); the inputs keep their distance from it."""
    import torch

    name = getattr(Function, "__name__", "Function")
    gen = torch.Generator().manual_seed(random.SystemRandom().randrange(2**31))
    x = 3 * torch.randn(12, dtype=torch.float64, generator=gen)
    if away_from is not None:
        x = torch.where((x - away_from).abs() < 0.1, x + 0.5, x)
    big = torch.tensor([-1000.0, -40.0, 40.0, 1000.0], dtype=torch.float64)
    for inputs in (x, big):
        y = _call(f"{name}.apply(x)", Function.apply, inputs.clone())
        if not isinstance(y, torch.Tensor):
            raise AssertionError(f"{name}.apply(x) returned {_kind(y)}; forward must return a "
                                 "tensor")
        want = reference(inputs)
        if y.shape != want.shape:
            raise AssertionError(f"{name}.apply(x) has shape {tuple(y.shape)}; expected "
                                 f"{tuple(want.shape)}, the shape of x")
        if not torch.isfinite(y).all() and torch.isfinite(want).all():
            bad = inputs[~torch.isfinite(y)][0].item()
            raise AssertionError(f"{name}.apply(x) gives {y[~torch.isfinite(y)][0].item()} at "
                                 f"x = {bad:g}: an intermediate overflows there (e.g. "
                                 "exp(2x) / (exp(2x) + 1) is inf / inf); write it in a form "
                                 "that stays finite, such as 1 - 2 / (exp(2x) + 1)")
        if not torch.allclose(y, want, rtol=1e-9, atol=1e-12):
            raise AssertionError(f"{name}.apply(x) differs from the reference in forward: "
                                 f"largest difference {(y - want).abs().max().item():.3g}")
    x1 = x.clone().requires_grad_()
    x2 = x.clone().requires_grad_()
    g = torch.rand(x.shape, dtype=torch.float64, generator=gen) + 0.5
    y1 = Function.apply(x1)
    _call(f"{name}: backward", y1.backward, g)
    reference(x2).backward(g)
    got, want = x1.grad, x2.grad
    if got is None or got.shape != want.shape:
        raise AssertionError(f"{name}.backward gives no gradient of x's shape")
    if not torch.allclose(got, want, rtol=1e-9, atol=1e-12):
        x3 = x.clone().requires_grad_()
        reference(x3).sum().backward()
        if torch.allclose(got, x3.grad, rtol=1e-9, atol=1e-12):
            raise AssertionError(f"{name}.backward returns the local derivative alone: multiply "
                                 "it by grad_output, the gradient coming in from above")
        if reference is torch.tanh and torch.allclose(got, g * (1 - x * x), rtol=1e-9):
            raise AssertionError(f"{name}.backward uses 1 - x² with the INPUT x; the rule is "
                                 "1 - y² with the output y = tanh(x) (save y in forward)")
        if torch.allclose(got, -want, rtol=1e-9, atol=1e-12):
            raise AssertionError(f"{name}.backward has the wrong sign")
        if torch.allclose(got, g, rtol=1e-9, atol=1e-12):
            raise AssertionError(f"{name}.backward passes grad_output through unchanged; "
                                 "multiply it by the local derivative")
        raise AssertionError(f"{name}.backward differs from the reference gradient: largest "
                             f"difference {(got - want).abs().max().item():.3g}")
    x4 = x[:6].clone().requires_grad_()
    try:
        ok = torch.autograd.gradcheck(Function.apply, (x4,))
    except Exception as error:
        raise AssertionError(f"gradcheck failed for {name}: {str(error).splitlines()[0]}") \
            from error
    assert ok
    print(f"{name}: correct (forward and backward against {_reference_name(reference)}, and "
          "gradcheck, on fresh float64 inputs)")


def check_small(small, small_accuracy, inputs, targets, nouts=(8, 1), at_least=0.9):
    """Exercise 1 of lecture 05: ``small`` is ``MLP(2, [8, 1])`` after training on the points
    ``inputs`` (lists of 2 floats) with labels ``targets`` (±1), and ``small_accuracy`` its
    training accuracy, a fraction. The accuracy is recomputed from ``small`` itself, so one
    taken from another network (or before training) is refused."""
    nouts = list(nouts)
    nin = len(inputs[0])
    if not callable(getattr(small, "parameters", None)):
        raise AssertionError(f"small is {_kind(small)}; keep the network itself, the trained "
                             f"MLP({nin}, {nouts})")
    params = _as_list(_call("small.parameters()", small.parameters), "small.parameters()")
    sizes = [nin] + nouts
    count = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    if len(params) != count:
        raise AssertionError(f"small has {len(params)} parameters; MLP({nin}, {nouts}) has "
                             f"{count}: build small with MLP({nin}, {nouts}) and train it")
    if isinstance(small_accuracy, tuple | list):
        raise AssertionError("small_accuracy is a tuple: loss_and_accuracy returns (loss, "
                             "accuracy); keep the second")
    if isinstance(small_accuracy, bool) or not isinstance(small_accuracy, numbers.Real):
        raise AssertionError(f"small_accuracy is {_kind(small_accuracy)}; expected the "
                             "accuracy, a float between 0 and 1")
    scores = [_call(f"small({[round(v, 3) for v in x]})", small, list(x)) for x in inputs]
    right = sum((getattr(s, "data", s) > 0) == (t > 0) for s, t in zip(scores, targets,
                                                                       strict=True))
    n = len(targets)
    if _close(small_accuracy, 100 * right / n) and right:
        raise AssertionError(f"small_accuracy is {small_accuracy!r}, a percentage; store the "
                             f"fraction, {right / n!r}")
    if not _close(small_accuracy, right / n):
        raise AssertionError(f"small_accuracy is {small_accuracy!r}, but small classifies "
                             f"{right} of the {n} points right ({right / n!r}): take the "
                             "accuracy of small itself, after its training "
                             "(loss_and_accuracy(small)), not of another network")
    if right / n < at_least:
        raise AssertionError(f"small classifies only {right} of the {n} points right "
                             f"({right / n:.0%}): train it first (train(small)), with the "
                             "lecture's loss and schedule")
    print(f"small, small_accuracy: correct ({count} parameters; {right} of the {n} points "
          "classified right, recounted from small itself)")


def check_squares(squares, nin=2, nouts=(8, 8, 1), seed=1):
    """Exercise 2 of lecture 05: ``squares`` maps each alpha (0.0 and 0.01) to the sum of
    p² over the parameters of a network trained with that alpha; the regularized one is
    the smaller. Both networks start as ``random.seed(seed)``, ``helpers.tools.nn.MLP(nin, nouts)``;
    a sum equal to that start's is recognised as taken before training."""
    with _fresh_random():
        random.seed(seed)
        initial = sum(p.data ** 2 for p in MLP(nin, list(nouts)).parameters())
    if not isinstance(squares, dict) or set(squares) != {0.0, 0.01}:
        got = sorted(squares) if isinstance(squares, dict) else _kind(squares)
        raise AssertionError(f"squares should be a dict with the keys 0.0 and 0.01 (the two "
                             f"alphas); got {got}")
    for alpha, value in squares.items():
        if hasattr(value, "data"):
            raise AssertionError(f"squares[{alpha}] is {_kind(value)}: store a plain number, "
                                 "sum(p.data ** 2 for p in net.parameters())")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value <= 0:
            raise AssertionError(f"squares[{alpha}] is {value!r}; expected the sum of p² over "
                                 "the parameters, a positive float")
    plain, regularized = squares[0.0], squares[0.01]
    if _close(plain, initial, 1e-6) and _close(regularized, initial, 1e-6):
        raise AssertionError(f"both sums are {plain:.6g}, the sum of p² at the start: train "
                             "each network (train(net, alpha=alpha)) before you sum")
    if _close(plain, regularized):
        raise AssertionError(f"both sums are {plain:.6g}: train each network with its own "
                             "alpha, train(net, alpha=alpha)")
    if regularized > plain:
        raise AssertionError(f"squares[0.01] is {regularized:.4g} and squares[0.0] is "
                             f"{plain:.4g}, but the L2 term pulls the weights toward 0: "
                             "squares[0.01] should be the smaller (alphas swapped, or the "
                             "alpha not passed to train?)")
    print(f"squares: correct (the sum of p² is {plain / regularized:.1f} times smaller with "
          "alpha = 0.01)")


def _reference_name(reference):
    module = getattr(reference, "__module__", None) or "torch"
    return f"{module.split('.')[0]}.{getattr(reference, '__name__', 'reference')}"
