"""Time helpers.engine / helpers.nn against micrograd 0.1.0 on micrograd's own demo workload.

The workload: MLP(2, [16, 16, 1]) on 100 moons points (labels mapped to -1/+1),
100 full-batch SGD steps of the max-margin loss mean(relu(1 - y_i * score_i)) plus
1e-4 * sum(p * p), with learning rate 1.0 - 0.9 * k / 100. Both engines start from
the same weights (ours are copied into micrograd's model) and see the same data, in
the same process. The script prints both times, their ratio, and the largest
difference between the two loss trajectories, and exits with status 1 when that
difference is above 1e-9.

    pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/bench_engine.py [--repeats 3] [--steps 100] [--seed 0]
"""

import argparse
import gc
import random
import statistics
import sys
import time

import micrograd.engine
import micrograd.nn

import helpers.engine
import helpers.nn
from helpers.data import make_moons

TOLERANCE = 1e-9


def train(value_cls, model, X, y, steps):
    """Run `steps` SGD steps of the demo's loss; return the loss before each step.

    The same code drives both engines, so both do the same float operations in the
    same order (micrograd builds `a - b` as `a + (-b)` and `a / b` as `a * b**-1`;
    the loss below uses only +, * and relu, whose results are the same in both).
    """
    params = model.parameters()
    inputs = [[value_cls(float(a)), value_cls(float(b))] for a, b in X]
    losses = []
    for k in range(steps):
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
    gc.collect()  # start each run with no garbage left by the previous one
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each engine")
    parser.add_argument("--steps", type=int, default=100, help="SGD steps per run")
    parser.add_argument("--seed", type=int, default=0, help="seed for data and weights")
    args = parser.parse_args(argv)

    X, labels = make_moons(100, noise=0.1, seed=args.seed)
    y = [2.0 * float(label) - 1.0 for label in labels]  # {0, 1} -> {-1, +1}

    ours_times, theirs_times, max_diff = [], [], 0.0
    for run in range(args.repeats):
        random.seed(args.seed)
        ours = helpers.nn.MLP(2, [16, 16, 1])
        theirs = micrograd.nn.MLP(2, [16, 16, 1])
        for p_ours, p_theirs in zip(ours.parameters(), theirs.parameters(), strict=True):
            p_theirs.data = p_ours.data  # the same initial weights
        # Alternate which engine runs first, so neither always gets a warm cache.
        jobs = [("ours", helpers.engine.Value, ours), ("micrograd", micrograd.engine.Value, theirs)]
        if run % 2:
            jobs.reverse()
        results = {}
        for name, value_cls, model in jobs:
            results[name] = timed(lambda v=value_cls, m=model: train(v, m, X, y, args.steps))
        (t_ours, loss_ours), (t_theirs, loss_theirs) = results["ours"], results["micrograd"]
        diff = max(abs(a - b) for a, b in zip(loss_ours, loss_theirs, strict=True))
        max_diff = max(max_diff, diff)
        ours_times.append(t_ours)
        theirs_times.append(t_theirs)
        print(f"run {run + 1}: helpers.engine {t_ours:6.2f} s | micrograd {t_theirs:6.2f} s | "
              f"{t_theirs / t_ours:4.1f}x | max loss difference {diff:.1e}")

    t_ours, t_theirs = statistics.median(ours_times), statistics.median(theirs_times)
    print(f"median of {args.repeats}: helpers.engine {t_ours:.2f} s, micrograd {t_theirs:.2f} s, "
          f"helpers.engine is {t_theirs / t_ours:.1f}x faster")
    print(f"loss: first {loss_ours[0]:.6f}, last {loss_ours[-1]:.6f}; "
          f"largest difference between the two trajectories {max_diff:.1e} "
          f"(tolerance {TOLERANCE:.0e})")
    if not max_diff <= TOLERANCE:
        print("FAIL: the two engines' losses differ by more than the tolerance", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
