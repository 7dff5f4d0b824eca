"""Time helpers.tools.engine / helpers.tools.nn against micrograd 0.1.0 on its own demo workload.

The workload: MLP(2, [16, 16, 1]) on 100 moons points (labels mapped to -1/+1),
100 full-batch SGD steps of the max-margin loss mean(relu(1 - y_i * score_i)) plus
1e-4 * sum(p * p), with learning rate 1.0 - 0.9 * k / 100. Both engines start from
the same weights (ours are copied into micrograd's model) and see the same data, in
the same process. A third run uses helpers.tools.engine with each training step inside
helpers.tools.engine.gc_paused(). The script prints the median times, the speed-ups over
micrograd, the share of each run spent in Python's garbage collector, and the largest
difference between the loss trajectories; it exits with status 1 when that difference
is above 1e-9.

    pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/bench_engine.py [--repeats 3] [--steps 100] [--seed 0]
"""

import argparse
import contextlib
import gc
import random
import statistics
import sys
import time

import micrograd.engine
import micrograd.nn

import helpers.tools.engine
import helpers.tools.nn
from helpers.tools.data import make_moons

TOLERANCE = 1e-9


def train(value_cls, model, X, y, steps, pause_gc=False):
    """Run `steps` SGD steps of the demo's loss; return the loss before each step.

    The same code drives both engines, so both do the same float operations in the
    same order (micrograd builds `a - b` as `a + (-b)` and `a / b` as `a * b**-1`;
    the loss below uses only +, * and relu, whose results are the same in both).
    `pause_gc=True` runs each step inside helpers.tools.engine.gc_paused().
    """
    params = model.parameters()
    inputs = [[value_cls(float(a)), value_cls(float(b))] for a, b in X]
    losses = []
    for k in range(steps):
        with helpers.tools.engine.gc_paused() if pause_gc else contextlib.nullcontext():
            scores = [model(x) for x in inputs]
            margins = [(1 + -yi * score).relu() for yi, score in zip(y, scores, strict=True)]
            data_loss = sum(margins) * (1.0 / len(margins))
            reg_loss = 1e-4 * sum(p * p for p in params)
            total = data_loss + reg_loss
            model.zero_grad()
            total.backward()
            learning_rate = 1.0 - 0.9 * k / 100
            for p in params:
                p.data -= learning_rate * p.grad
        losses.append(total.data)
    return losses


def timed(fn):
    """Run `fn()`; return its seconds, the seconds Python's gc spent inside it, and its result."""
    gc.collect()  # start each run with no garbage left by the previous one
    in_gc, started = [0.0], [0.0]

    def on_gc(phase, info):  # gc calls this before and after every collection
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            in_gc[0] += time.perf_counter() - started[0]

    gc.callbacks.append(on_gc)
    start = time.perf_counter()
    try:
        result = fn()
    finally:
        seconds = time.perf_counter() - start
        gc.callbacks.remove(on_gc)
    return seconds, in_gc[0], result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each engine")
    parser.add_argument("--steps", type=int, default=100, help="SGD steps per run")
    parser.add_argument("--seed", type=int, default=0, help="seed for data and weights")
    args = parser.parse_args(argv)

    X, labels = make_moons(100, noise=0.1, seed=args.seed)
    y = [2.0 * float(label) - 1.0 for label in labels]  # {0, 1} -> {-1, +1}

    # helpers.tools.engine as a learner uses it; micrograd; and helpers.tools.engine with each whole
    # training step inside gc_paused() (an opt-in for code that makes no reference cycles).
    engines = {
        "helpers.tools.engine": (helpers.tools.engine.Value, helpers.tools.nn.MLP, False),
        "micrograd": (micrograd.engine.Value, micrograd.nn.MLP, False),
        "helpers.tools.engine + paused gc": (helpers.tools.engine.Value, helpers.tools.nn.MLP,
                                             True),
    }
    times = {name: [] for name in engines}
    gc_share = {name: [] for name in engines}
    max_diff = 0.0
    for run in range(args.repeats):
        models = {}
        for name, (_, mlp_cls, _) in engines.items():
            random.seed(args.seed)
            models[name] = mlp_cls(2, [16, 16, 1])
        start = [p.data for p in models["helpers.tools.engine"].parameters()]
        for model in models.values():
            for p, data in zip(model.parameters(), start, strict=True):
                p.data = data  # the same initial weights everywhere
        # Rotate which engine runs first, so none always gets the fresh process.
        order = list(engines)[run % 3:] + list(engines)[:run % 3]
        losses = {}
        for name in order:
            value_cls, _, pause_gc = engines[name]
            seconds, in_gc, losses[name] = timed(
                lambda v=value_cls, m=models[name], p=pause_gc: train(v, m, X, y, args.steps, p))
            times[name].append(seconds)
            gc_share[name].append(in_gc / seconds)
        reference = losses["micrograd"]
        diff = max(abs(a - b) for name in engines for a, b in
                   zip(losses[name], reference, strict=True))
        max_diff = max(max_diff, diff)
        t = {name: times[name][-1] for name in engines}
        print(f"run {run + 1}: " + " | ".join(f"{name} {t[name]:6.2f} s" for name in engines)
              + f" | max loss difference {diff:.1e}")

    t = {name: statistics.median(times[name]) for name in engines}
    print(f"median of {args.repeats} runs ({args.steps} steps each):")
    for name in engines:
        print(f"  {name:28s} {t[name]:7.2f} s   {t['micrograd'] / t[name]:5.1f}x micrograd's speed"
              f"   (gc: {100 * statistics.median(gc_share[name]):2.0f}% of the time)")
    print(f"loss: first {reference[0]:.6f}, last {reference[-1]:.6f}; largest difference "
          f"between helpers.tools.engine's and micrograd's trajectories {max_diff:.1e} "
          f"(tolerance {TOLERANCE:.0e})")
    if not max_diff <= TOLERANCE:
        print("FAIL: the two engines' losses differ by more than the tolerance", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
