"""Convergence order of the integrators on an analytic RC problem (fit of log-log slopes).

RC low-pass driven by v_in = sin(w t) from rest: v(t) = [sin(wt) - wT cos(wt) + wT e^(-t/T)]
/ (1 + (wT)^2) with T = RC. Global error at fixed steps h must scale as h^1 (backward Euler)
and h^2 (trapezoidal, Gear-2).
"""

import numpy as np
import pytest

import netsim

NETLIST = """rc driven by a sine
V1 in 0 sin(0 1 1meg)
R1 in out 1k
C1 out 0 100p
.end
"""


def exact(t: np.ndarray) -> np.ndarray:
    w, tau = 2 * np.pi * 1e6, 1e3 * 100e-12
    wt = w * tau
    return (np.sin(w * t) - wt * np.cos(w * t) + wt * np.exp(-t / tau)) / (1 + wt**2)


def global_error(method: str, h: float) -> float:
    sim = netsim.Simulator.from_text(NETLIST)
    res = sim.tran(h, 2e-6, method=method, fixed_step=h)
    return float(np.max(np.abs(res["v(out)"] - exact(res["time"]))))


@pytest.mark.parametrize(("method", "order"), [("be", 1.0), ("trap", 2.0), ("gear", 2.0)])
def test_log_log_slope(method: str, order: float) -> None:
    steps = np.array([8e-9, 4e-9, 2e-9, 1e-9])
    errors = np.array([global_error(method, h) for h in steps])
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.15, (method, slope, errors)


STIFF_CORNER = """stiff RC at the end of a ramp (time constant 10 fs, far below the step floor)
V1 in 0 PWL(0 0 1n 1)
R1 in out 1
C1 out 0 10f
.tran 10p 2n
.end
"""


def test_no_trapezoidal_ringing_after_a_corner() -> None:
    """After a source corner the current of a mode far faster than the step (here 10 uA
    decaying with 10 fs) must die out, not alternate: the trapezoidal rule maps such a mode
    to (1 - h/2T)/(1 + h/2T) ~ -1 per step, so the integrator stays at backward Euler for
    two steps after every corner. Before, the current rang at 6 % of the step for tens of
    points (+6.1e-7, -4.0e-7, +2.7e-7 A ...)."""
    res = netsim.Simulator.from_text(STIFF_CORNER).run_all()["tran"]
    t, i = np.asarray(res["time"]), np.asarray(res["i(v1)"])
    after = np.nonzero(t > 1e-9 * (1 + 1e-9))[0]
    step = 10e-15 * 1e9  # C dV/dt before the corner (A)
    assert np.max(np.abs(i[after[1:]])) < 0.01 * step  # exact: below 1e-9 of it
