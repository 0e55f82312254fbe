"""Spin-torque nano-oscillator: auto-oscillation under DC bias against the Slavin–Tiberkevich
closed forms p0 = (zeta - 1)/(zeta + q), f = f0 + fnl p0, RF amplitude I dr sqrt(p0); decay
below threshold; DC and AC analyses."""

from __future__ import annotations

import numpy as np
import pytest

import netsim
from netsim.devices.stno import steady_state

F0, FNL, ITH, Q, DR, R0, ALPHA = 1e9, 1e8, 10e-6, 2.0, 500.0, 1e3, 0.1
ZETAS = (1.5, 2.0, 3.0, 0.5)


def _crossings(t: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Times of upward zero crossings (linear interpolation between points)."""
    k = np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0]
    return t[k] - v[k] * (t[k + 1] - t[k]) / (v[k + 1] - v[k])


def _tone(t: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """(frequency from zero crossings, amplitude from a least-squares sinusoid fit)."""
    tc = _crossings(t, v - v.mean())
    f = (len(tc) - 1) / (tc[-1] - tc[0])
    m = np.stack([np.cos(2 * np.pi * f * t), np.sin(2 * np.pi * f * t), np.ones_like(t)], 1)
    coef = np.linalg.lstsq(m, v, rcond=None)[0]
    return f, float(np.hypot(coef[0], coef[1]))


@pytest.fixture(scope="module")
def oscillators():
    """One transient: four STNOs biased at zeta = 1.5, 2, 3 and 0.5 by DC current sources."""
    lines = ["stno bias"]
    for k, z in enumerate(ZETAS):
        lines += [f"I{k} 0 a{k} dc {z * ITH}", f"N{k} a{k} 0 osc"]
    lines += [f".model osc stno(r0={R0} dr={DR} f0={F0} fnl={FNL} q={Q} ith={ITH} "
              f"alpha={ALPHA} c0=0.01)",
              f".tran 0.1n 60n 0 {1 / F0 / 100}", ".end"]
    return netsim.run_text("\n".join(lines)).tran


@pytest.mark.parametrize("k", [0, 1, 2])
def test_auto_oscillation_matches_closed_forms(oscillators, k: int) -> None:
    zeta = ZETAS[k]
    current = zeta * ITH
    t = oscillators["time"]
    keep = t > 30e-9  # after growth (~12 ns) and amplitude relaxation (rate 2 G_G (zeta-1))
    rf = oscillators[f"v(a{k})"][keep] - current * R0
    f, amp = _tone(t[keep], rf)
    p0, f_want, amp_want = steady_state(current, ITH, Q, F0, FNL, DR)
    p_meas = (amp / (current * DR)) ** 2
    assert f == pytest.approx(f_want, rel=1e-2)
    assert amp == pytest.approx(amp_want, rel=1e-2)
    assert p_meas == pytest.approx(p0, rel=1e-2)


def test_below_threshold_amplitude_decays_at_damping_rate(oscillators) -> None:
    zeta = ZETAS[3]
    current = zeta * ITH
    t = oscillators["time"]
    rf = oscillators["v(a3)"] - current * R0

    def envelope(t0: float) -> float:
        return float(np.max(np.abs(rf[(t >= t0) & (t < t0 + 1e-9)])))

    first, later = envelope(1e-9), envelope(4e-9)
    rate = np.log(first / later) / 3e-9
    assert rate == pytest.approx(2 * np.pi * ALPHA * F0 * (1 - zeta), rel=2e-2)
    assert np.max(np.abs(rf[t > 40e-9])) < 1e-3 * first


def test_dc_operating_point_and_sweep_are_r0() -> None:
    """The held seed has Re(c) = 0: .op and .dc give V = I r0 exactly; AC runs around it."""
    res = netsim.run_text(f"""stno dc
I1 0 a dc 20u ac 1
N1 a 0 osc
.model osc stno(r0={R0} f0={F0} ith={ITH})
.op
.dc i1 0 50u 5u
.ac dec 5 1e7 1e10
.end
""")
    assert float(res.op["v(a)"]) == pytest.approx(20e-6 * R0, rel=1e-12)
    np.testing.assert_allclose(res.dc["v(a)"], res.dc["i1"] * R0, rtol=1e-12, atol=1e-15)
    z = res.ac["vr(a)"] + 1j * res.ac["vi(a)"]
    assert np.all(np.isfinite(z))
    assert abs(z[0] - R0) < 1.0  # far below f0 the seed's contribution is negligible
