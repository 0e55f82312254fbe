"""Integration formulas for ``d/dt q`` and their local-truncation-error step estimate.

Each formula writes the derivative at the new point as ``qdot_n = a0 (q_n - q1) + c`` where c
collects history, so the transient residual is ``i(x) + a0 (q(x) - q1) + c`` with Jacobian
``G + a0 C``.

- backward Euler (order 1):  qdot = (q - q1) / h
- trapezoidal (order 2):      qdot = 2 (q - q1) / h - qdot1
- Gear-2 / BDF2 (order 2), variable step with w = h / h1:
  qdot = [(1 + 2w)/(1 + w) (q - q1) + w^2/(1 + w) (q2 - q1)] / h

The step estimate is ngspice's CKTterr: divided differences of the charge history give
q^(k+1)/(k+1)!, and ``h_new = (trtol * tol / (factor |dd|))^(1/k)`` with
tol = max(abstol + reltol max|qdot|, reltol max(|q|, chgtol) / h) for every charge entry.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

TRAP_FACTOR = {1: 0.5, 2: 1.0 / 12.0}
GEAR_FACTOR = {1: 0.5, 2: 2.0 / 9.0}
METHODS = ("trap", "gear", "be")


def coefficients(
    method: str, order: int, h: float, h1: float, qdot1: np.ndarray,
    change21: Callable[[], np.ndarray],
) -> tuple[float, np.ndarray | float]:
    """(a0, c) so that qdot_n = a0 (q_n - q1) + c, for the step h after one of h1. qdot1: the
    derivative at the previous point; change21: q2 - q1, the change between the two previous
    points (called only for Gear-2).

    The form keeps the history small: c is a derivative, not a0 times a charge, so the residual
    is not the small difference of two large terms (whose rounding, eps a0 |q|, grows as the
    step shrinks)."""
    if order == 1 or method == "be":
        return 1.0 / h, 0.0
    if method == "trap":
        return 2.0 / h, -qdot1
    w = h / h1
    a0 = (1.0 + 2.0 * w) / ((1.0 + w) * h)
    return a0, w * w / ((1.0 + w) * h) * change21()


def lte_step(
    method: str,
    order: int,
    charges: list[np.ndarray],
    steps: list[float],
    qdot_now: np.ndarray,
    qdot_prev: np.ndarray,
    reltol: float,
    abstol: float,
    chgtol: float,
    trtol: float,
) -> float:
    """Largest step keeping the truncation error in tolerance (ngspice CKTterr), over all
    charge entries. charges: [q_n, q_n-1, ..., q_n-order-1] (order + 2 arrays); steps:
    [h_n, h_n-1, ..., h_n-order] (order + 1 values)."""
    q_now, q_prev = charges[0], charges[1]
    volttol = abstol + reltol * np.maximum(np.abs(qdot_now), np.abs(qdot_prev))
    chargetol = reltol * np.maximum(np.maximum(np.abs(q_now), np.abs(q_prev)), chgtol) / steps[0]
    tol = np.maximum(volttol, chargetol)
    diff = [np.array(q, dtype=float) for q in charges[: order + 2]]
    deltmp = list(steps[: order + 1])
    j = order
    while True:
        for i in range(j + 1):
            diff[i] = (diff[i] - diff[i + 1]) / deltmp[i]
        j -= 1
        if j < 0:
            break
        for i in range(j + 1):
            deltmp[i] = deltmp[i + 1] + steps[i]
    factor = (TRAP_FACTOR if method == "trap" else GEAR_FACTOR)[order]
    dd = factor * np.abs(diff[0])
    step = trtol * tol / np.maximum(abstol, dd)
    if order == 2:
        step = np.sqrt(step)
    return float(step.min()) if step.size else np.inf
