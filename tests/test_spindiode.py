"""Spin-diode synapse: rectification emerges from V = I R(states) and matches the compact
formula V_DC = P_abs [ksd_s LS + ksd_a LA] (Tulapurkar 2005, Sankey 2008); DC-bias narrowing
alpha_eff = alpha (1 - I_dc/ith); DC and AC analyses.

Errors are measured relative to the peak |V_DC| of the curve (the antisymmetric line crosses
zero at fres, where a relative error would be meaningless).
"""

from __future__ import annotations

import numpy as np
import pytest

import netsim
from netsim.devices.spindiode import ALPHA_FLOOR, rectified_voltage

F = 1e9  # drive frequency (Hz)
R0 = 1e3


def _batch_netlist(alpha: float, xs: np.ndarray, i1: float, ppt: int, nav: int,
                   ksd_s: float = 0.0, ksd_a: float = 8800.0, idc: float = 0.0,
                   ith: float = 10e-6) -> tuple[str, np.ndarray, float, float]:
    """N devices in separate branches, the same RF current through each, with resonances
    placed so that (F - fres)/(alpha_eff fres) = xs. Returns (netlist, fres, t_avg, tstop)."""
    a_eff = alpha * (1.0 - idc / ith) if ith > 0 else alpha
    fres = F / (1.0 + a_eff * xs)
    period = 1.0 / F
    settle = 7.0 / (2.0 * np.pi * a_eff * fres.min())  # resonator transient below 1e-3
    tstop = (np.ceil(settle / period) + nav) * period
    lines = ["spin-diode batch"]
    for k, fr in enumerate(fres):
        lines.append(f"I{k} 0 a{k} sin({idc} {i1} {F})")
        lines.append(f"N{k} a{k} 0 sd fres={fr}")
    lines.append(f".model sd spindiode(r0={R0} alpha={alpha} ksd_s={ksd_s} ksd_a={ksd_a} "
                 f"ith={ith})")
    lines.append(f".tran {period / 10} {tstop} 0 {period / ppt}")
    lines.append(".end")
    return "\n".join(lines), fres, tstop - nav * period, tstop


def _average(t: np.ndarray, v: np.ndarray, t0: float, t1: float) -> float:
    """Mean of the piecewise-linear waveform over [t0, t1] (an integer number of periods)."""
    inside = (t > t0) & (t < t1)
    tt = np.concatenate([[t0], t[inside], [t1]])
    vv = np.interp(tt, t, v)
    return float(np.trapezoid(vv, tt) / (t1 - t0))


def _rectified(res, n: int, t0: float, t1: float) -> np.ndarray:
    t = res.tran["time"]
    return np.array([_average(t, res.tran[f"v(a{k})"], t0, t1) for k in range(n)])


def _check_resonance(alpha: float, ppt: int, ksd_s: float = 0.0, ksd_a: float = 8800.0,
                     p_abs: float = 1e-6) -> float:
    xs = np.linspace(-5.0, 5.0, 11)
    i1 = np.sqrt(2.0 * p_abs / R0)
    text, fres, t0, t1 = _batch_netlist(alpha, xs, i1, ppt, 20, ksd_s, ksd_a)
    v = _rectified(netsim.run_text(text), len(xs), t0, t1)
    want = rectified_voltage(p_abs, F, fres, alpha, ksd_s, ksd_a)
    err = float(np.max(np.abs(v - want)) / np.max(np.abs(want)))
    assert err < 0.01, (v, want)
    return err


def test_transient_rectification_matches_formula_antisymmetric() -> None:
    """11 frequencies over fres +- 5 D, alpha = 0.05, 1 uW: within 1 % of the peak."""
    _check_resonance(alpha=0.05, ppt=200)


@pytest.mark.slow
def test_transient_rectification_default_alpha_and_mixed_lineshape() -> None:
    """The default damping alpha = 0.01 (narrow line, slow settling) and a mixed
    symmetric + antisymmetric lineshape at another power."""
    _check_resonance(alpha=0.01, ppt=400)
    _check_resonance(alpha=0.05, ppt=200, ksd_s=5000.0, ksd_a=-3000.0, p_abs=0.1e-6)


def test_rectification_is_linear_in_power() -> None:
    """V_DC / P_abs is the same at 0.01 uW and 1 uW (two devices in one circuit, one
    linewidth above resonance)."""
    alpha, powers = 0.05, (0.01e-6, 1e-6)
    fres = F / (1.0 + alpha)
    period = 1.0 / F
    nav = 10
    tstop = (np.ceil(7.0 / (2 * np.pi * alpha * fres) / period) + nav) * period
    lines = ["linearity"]
    for k, p_abs in enumerate(powers):
        lines += [f"I{k} 0 a{k} sin(0 {np.sqrt(2 * p_abs / R0)} {F})", f"N{k} a{k} 0 sd"]
    lines += [f".model sd spindiode(fres={fres} alpha={alpha})",
              f".tran {period / 10} {tstop} 0 {period / 200}", ".end"]
    v = _rectified(netsim.run_text("\n".join(lines)), 2, tstop - nav * period, tstop)
    ratio = v / np.array(powers)
    want = rectified_voltage(1.0, F, fres, alpha)
    assert ratio[0] == pytest.approx(ratio[1], rel=2e-3)
    assert ratio[1] == pytest.approx(want, rel=1e-2)


def _static_resistance(i0: float, alpha: float, ith: float, ksd_s: float, ksd_a: float):
    """R = V/I at a DC current from the model's static state equations (closed form)."""
    v = 1.0 - i0 / ith
    smax = 0.5 * (v + ALPHA_FLOOR + np.sqrt((v - ALPHA_FLOOR) ** 2 + ALPHA_FLOOR**2))
    norm = 0.5 * (1 + ALPHA_FLOOR + np.sqrt((1 - ALPHA_FLOOR) ** 2 + ALPHA_FLOOR**2))
    damp = alpha * smax / norm
    y = alpha * R0 * i0 / (1.0 + damp**2)
    x = damp * y
    rho_h = 4.0 / 3.0 * alpha * (4.0 * ksd_a - alpha * ksd_s) / (alpha**2 + 4.0)
    return R0 + 2 * ksd_s * x - 4 * ksd_a * y + rho_h * R0 * i0


def test_dc_operating_point_and_sweep() -> None:
    """.op: V = I R_static (about r0 (1 - 8/3 alpha ksd_a I)); no current: exactly 0 V;
    .dc sweep continuous through zero and matching the static closed form."""
    res = netsim.run_text("""sd dc
I1 0 a dc 5u
N1 a 0 sd
I2 0 b dc 0
N2 b 0 sd
.model sd spindiode(fres=1g)
.op
.dc i1 -5u 5u 1u
.end
""")
    r_static = _static_resistance(5e-6, 0.01, 10e-6, 0.0, 8800.0)
    assert float(res.op["v(a)"]) == pytest.approx(5e-6 * r_static, rel=1e-9)
    assert abs(float(res.op["v(b)"])) < 1e-15
    assert abs(r_static / R0 - 1) < 3e-3
    sweep = res.dc
    i0 = sweep["i1"]
    want = np.array([c * _static_resistance(c, 0.01, 10e-6, 0.0, 8800.0) for c in i0])
    np.testing.assert_allclose(sweep["v(a)"], want, rtol=1e-9, atol=1e-15)


def test_ac_impedance_shows_bias_narrowed_line() -> None:
    """Under a DC bias I0 the small-signal impedance is R_dc + I0 K(jw) with
    Re K = r0 (alpha/alpha_eff) [ksd_s LS + ksd_a LA] and half width alpha_eff fres:
    checked at I0 = 0 (pure r0), 0.5 ith (alpha_eff = alpha / 2) and -0.5 ith (1.5 alpha)."""
    alpha, ith, fres, ks, ka = 0.01, 10e-6, 1e9, 2000.0, 8800.0
    for i0 in (0.0, 5e-6, -5e-6):
        a_eff = alpha * (1 - i0 / ith)
        d = a_eff * fres
        res = netsim.run_text(f"""sd ac
I1 0 a dc {i0} ac 1
N1 a 0 sd
.model sd spindiode(fres={fres} alpha={alpha} ksd_s={ks} ksd_a={ka} ith={ith})
.op
.ac lin 201 {fres - 5 * d} {fres + 5 * d}
.end
""")
        f = res.ac["frequency"]
        z = res.ac["vr(a)"]
        if i0 == 0.0:
            np.testing.assert_allclose(z, R0, rtol=1e-12)
            np.testing.assert_allclose(res.ac["vi(a)"], 0.0, atol=1e-9)
            continue
        r_dc = float(res.op["v(a)"]) / i0
        # expected: the formula per unit P_abs, times r0 I0 (Re K = r0 G)
        want = i0 * R0 * rectified_voltage(1.0, f, fres, alpha, ks, ka, alpha_eff=a_eff)
        err = np.max(np.abs(z - r_dc - want)) / np.max(np.abs(want))
        assert err < 5e-3, err
        # the antisymmetric extrema sit at fres -+ alpha_eff fres (the narrowed half width)
        if ks == 0.0:
            assert abs(f[np.argmax(z)] - (fres + d)) <= (f[1] - f[0])


@pytest.mark.slow
def test_transient_bias_narrowing() -> None:
    """RF rectification under a DC bias I0 = 0.4 ith: line of half width alpha_eff fres and
    height alpha/alpha_eff, after subtracting the DC operating voltage I0 R_static."""
    alpha, ith, idc, p_abs = 0.05, 10e-6, 4e-6, 0.2e-6
    xs = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
    i1 = np.sqrt(2.0 * p_abs / R0)
    text, fres, t0, t1 = _batch_netlist(alpha, xs, i1, 200, 20, idc=idc, ith=ith)
    v = _rectified(netsim.run_text(text), len(xs), t0, t1)
    v_rect = v - idc * _static_resistance(idc, alpha, ith, 0.0, 8800.0)
    a_eff = alpha * (1 - idc / ith)
    want = rectified_voltage(p_abs, F, fres, alpha, 0.0, 8800.0, alpha_eff=a_eff)
    err = np.max(np.abs(v_rect - want)) / np.max(np.abs(want))
    assert err < 0.01, (v_rect, want)
