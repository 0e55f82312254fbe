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
