"""Check gradients: a hand-derived one against PyTorch's, or against central differences.

``compare`` prints one aligned line per tensor, in the spirit of the lecture's ``cmp``,
with two differences that matter to a learner:

- a shape mismatch is a failure that names both shapes. ``torch.allclose`` would
  broadcast a ``(64,)`` gradient against a ``(1, 64)`` tensor and say "close";
- the printed line is portable: when the match is not exact it shows the tolerance
  that the largest difference stayed under, not digits that change with the BLAS
  library, the thread count or the torch version. The exact figure is in the result.
"""

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["Comparison", "compare", "numerical_grad"]


@dataclass(frozen=True)
class Comparison:
    """What ``compare`` found; ``ok`` is true when the shapes match and the values are close."""

    name: str
    exact: bool
    approximate: bool
    maxdiff: float
    shape_ok: bool
    line: str

    @property
    def ok(self):
        return self.shape_ok and self.approximate

    def __bool__(self):
        return self.ok


def _as_tensor(value, what):
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    raise TypeError(f"compare: {what} must be a torch.Tensor (or a numpy array); "
                    f"got {type(value).__name__}")


def compare(name, manual, tensor, *, atol=1e-5, rtol=1e-5, quiet=False):
    """Compare a hand-computed gradient ``manual`` with ``tensor.grad``; print one line.

    ``exact`` means every element is bit-for-bit equal, ``approximate`` that
    ``torch.allclose(manual, tensor.grad, rtol, atol)`` holds with identical shapes.
    ``manual=None`` (an exercise not done yet) prints "not implemented yet".
    Returns a :class:`Comparison` (truthy when the check passed).
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"compare: the third argument must be the torch.Tensor whose .grad "
                        f"is the reference; got {type(tensor).__name__}")
    if tensor.grad is None:
        raise ValueError(
            f"compare({name!r}): the tensor has no .grad. Call .retain_grad() on it "
            "before loss.backward() (leaf tensors need requires_grad=True)."
        )
    if manual is None:
        result = Comparison(name, False, False, float("inf"), False,
                            f"{name:<15s} | not implemented yet")
        if not quiet:
            print(result.line)
        return result
    manual = _as_tensor(manual, f"the manual gradient for {name!r}")
    reference = tensor.grad.detach()
    if manual.shape != reference.shape:
        line = (f"{name:<15s} | FAIL: shape {tuple(manual.shape)} does not match "
                f"{tuple(reference.shape)}{_shape_hint(manual, reference)}")
        result = Comparison(name, False, False, float("inf"), False, line)
    else:
        manual = manual.to(device=reference.device, dtype=reference.dtype)
        exact = bool(torch.equal(manual, reference))
        diff = (manual - reference).abs()
        maxdiff = float(diff.max()) if diff.numel() else 0.0
        approx = bool(torch.allclose(manual, reference, rtol=rtol, atol=atol))
        if exact:
            shown = "0"
        elif approx:
            shown = f"< {atol:.0e}" if maxdiff < atol else f"within rtol {rtol:.0e}"
        else:
            shown = f"{maxdiff:.2e}  <-- FAIL{_value_hint(manual, reference, rtol, atol)}"
        line = f"{name:<15s} | exact: {exact!s:<5} | approximate: {approx!s:<5} | maxdiff: {shown}"
        result = Comparison(name, exact, approx, maxdiff, True, line)
    if not quiet:
        print(result.line)
    return result


def _shape_hint(manual, reference):
    """Why the shapes may differ, judged from the shapes alone."""
    if manual.dim() == 2 and manual.shape == reference.shape[::-1] and manual.shape[0] != 1:
        return ": a transposed matrix?"
    if manual.numel() == reference.numel():
        return ": a missing keepdim=True (or a reshape) would give the right shape"
    try:
        torch.broadcast_shapes(manual.shape, reference.shape)
    except RuntimeError:
        return ""
    return ": a sum over the broadcast dimension missing, or over the wrong one?"


def _bessel_n(ratio):
    """The n for which ``ratio`` is n/(n-1) or (n-1)/n, when there is such a whole n."""
    if ratio <= 0 or abs(ratio - 1) < 1e-9:
        return None
    n = ratio / (ratio - 1) if ratio > 1 else 1 / (1 - ratio)
    return round(n) if 3 <= n <= 1e6 and abs(n - round(n)) < 1e-3 * n else None


def _value_hint(manual, reference, rtol, atol):
    """What is probably wrong with a gradient of the right shape and the wrong values."""
    if torch.allclose(-manual, reference, rtol=rtol, atol=atol):
        return ": the sign is wrong"
    if manual.dim() == 2 and manual.shape[0] == manual.shape[1] and torch.allclose(
            manual.T, reference, rtol=rtol, atol=atol):
        return ": this is the transpose of the right matrix"
    mask = reference.abs() > max(atol, 1e-12)
    if mask.any():
        ratios = (manual[mask] / reference[mask]).double()
        ratio = float(ratios.median())
        if ratio != 0 and torch.allclose(ratios, torch.full_like(ratios, ratio), rtol=1e-4):
            hint = f": off by a constant factor {ratio:.4g}"
            n = _bessel_n(ratio)
            if n:
                fraction = f"{n}/{n - 1}" if ratio > 1 else f"{n - 1}/{n}"
                hint += f" = {fraction} (n versus n-1: Bessel's correction?)"
            return hint
    return (": if this tensor is used more than once in the forward pass, its gradient is "
            "the sum (+=) of the gradients from every use")


def _scalar(value):
    """Turn what ``f`` returned into a Python float, or explain why it cannot be one."""
    if isinstance(value, torch.Tensor | np.ndarray):
        size = value.size if isinstance(value, np.ndarray) else value.numel()
        if size == 1:
            return float(value.item())
        raise ValueError(
            f"numerical_grad: f must return a scalar, got an array of shape {tuple(value.shape)}; "
            "reduce it first (e.g. return f(x).sum())"
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"numerical_grad: f must return a number; got {type(value).__name__}"
        ) from None


def numerical_grad(f, x, h=1e-5):
    """The derivative of a scalar function ``f`` at ``x`` by central differences.

    ``(f(x + h) - f(x - h)) / (2h)`` has an error of order ``h**2``. For a number
    ``x`` this returns a float. For a tensor or array ``x`` each element is nudged
    in turn (on a float64 copy) and the result is the gradient, same shape as ``x``.
    """
    if not h > 0:
        raise ValueError(f"numerical_grad: the step h must be positive; got {h!r}")
    if isinstance(x, bool) or not isinstance(x, int | float | torch.Tensor | np.ndarray):
        raise TypeError(f"numerical_grad: x must be a number, a torch.Tensor or a numpy array; "
                        f"got {type(x).__name__}")
    if isinstance(x, int | float):
        return (_scalar(f(x + h)) - _scalar(f(x - h))) / (2 * h)
    is_torch = isinstance(x, torch.Tensor)
    point = x.detach().to(torch.float64).clone() if is_torch else np.array(x, dtype=np.float64)
    grad = torch.zeros_like(point) if is_torch else np.zeros_like(point)
    flat_point, flat_grad = point.reshape(-1), grad.reshape(-1)
    for i in range(flat_point.shape[0]):
        original = float(flat_point[i])
        flat_point[i] = original + h
        up = _scalar(f(point))
        flat_point[i] = original - h
        down = _scalar(f(point))
        flat_point[i] = original
        flat_grad[i] = (up - down) / (2 * h)
    return grad
