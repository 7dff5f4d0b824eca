"""One training step of lecture 08's model: the hand-written backward pass against loss.backward().

Both steps start from the same weights and the same batch of 32 (n_embd 10, n_hidden 200,
float32, CPU) and include everything a training step does:

- manual:   forward under ``torch.no_grad()`` (no graph is recorded),
            ``helpers.finished.backward.manual_backward`` (the one-line cross-entropy and BatchNorm
            gradients of lecture 07), the SGD update;
- autograd: forward recording the graph, ``loss.backward()``, the SGD update from ``p.grad``.

The update writes into separate buffers, so every repetition sees the same weights. The two
variants alternate in rounds (``--rounds`` of ``--steps`` steps each) so that a change in the
machine's load hits both alike; the figure reported is the median over rounds of the time per
step. Before timing, the script asserts that both steps produce the same parameter update.

Run from the repository root:

    .venv/bin/python benchmarks/bench_manual_step.py
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_manual_step.py

Measured on the project's 2-core CPU machine (torch 2.13.0+cpu, 30 rounds x 200 steps),
with other work running on the machine (load average 1.2 to 2.9):

    OMP_NUM_THREADS=1:   manual 0.325 ms, autograd 0.472 ms per step, ratio 0.69
    default (2 threads): manual 3.415 ms, autograd 4.671 ms per step, ratio 0.73

With two threads and another process holding a core, OpenMP's threads wait for each
other at every small operation and a step is ten times slower in both variants; on the
idle machine the two-thread figures were close to the one-thread ones (about 0.32 ms
and 0.45 ms). That is why lecture 08's training loop uses one thread.

The goal is a ratio of at most 0.8: skipping the graph and computing the two big blocks
(cross-entropy, BatchNorm) in one expression each must pay for itself.
"""

import argparse
import statistics
import time

import torch

from helpers.finished import backward as finished
from helpers.tools import ninja
from helpers.tools.data import load_words, make_splits

LR = 0.1


def make_problem(seed=2147483647, batch_seed=0, batch_size=32):
    (Xtr, Ytr), _, _ = make_splits(load_words(), block_size=3)
    params = ninja.init_params(n_embd=10, n_hidden=200, seed=seed)
    g = torch.Generator().manual_seed(batch_seed)
    ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
    return params, Xtr[ix], Ytr[ix]


def manual_step(params, Xb, Yb, out):
    with torch.no_grad():
        _, acts = ninja.forward(params, Xb, Yb)
        grads = finished.manual_backward(params, Xb, Yb, acts)
        for name, p in params.items():
            torch.add(p, grads[name], alpha=-LR, out=out[name])


def autograd_step(params, Xb, Yb, out):
    for p in params.values():
        p.grad = None
    loss, _ = ninja.forward(params, Xb, Yb)
    loss.backward()
    with torch.no_grad():
        for name, p in params.items():
            torch.add(p, p.grad, alpha=-LR, out=out[name])


def time_per_step(step, args, steps):
    start = time.perf_counter()
    for _ in range(steps):
        step(*args)
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="alternating rounds (default 30)")
    parser.add_argument("--steps", type=int, default=200, help="steps per round (default 200)")
    args = parser.parse_args()
    if args.rounds < 1 or args.steps < 1:
        parser.error("--rounds and --steps must be positive")

    params, Xb, Yb = make_problem()
    out_manual = {k: torch.empty_like(p, requires_grad=False) for k, p in params.items()}
    out_auto = {k: torch.empty_like(p, requires_grad=False) for k, p in params.items()}

    manual_step(params, Xb, Yb, out_manual)
    autograd_step(params, Xb, Yb, out_auto)
    for name in params:
        assert torch.allclose(out_manual[name], out_auto[name], rtol=1e-5, atol=1e-7), name
        assert not torch.equal(out_manual[name], params[name].detach()) or name == "b1", name
    print("same parameter update from both steps (allclose, rtol 1e-5): True")

    for _ in range(50):  # warm-up: allocator, thread pool, first-call dispatch
        manual_step(params, Xb, Yb, out_manual)
        autograd_step(params, Xb, Yb, out_auto)
    manual, auto = [], []
    for _ in range(args.rounds):
        manual.append(time_per_step(manual_step, (params, Xb, Yb, out_manual), args.steps))
        auto.append(time_per_step(autograd_step, (params, Xb, Yb, out_auto), args.steps))
    t_manual, t_auto = statistics.median(manual), statistics.median(auto)
    print(f"threads: {torch.get_num_threads()}, {args.rounds} rounds x {args.steps} steps, "
          "median time per step")
    print(f"manual backward : {t_manual * 1e3:.3f} ms")
    print(f"loss.backward() : {t_auto * 1e3:.3f} ms")
    print(f"ratio manual/autograd: {t_manual / t_auto:.2f}  (goal: <= 0.8)")


if __name__ == "__main__":
    main()
