"""Weak-RF DC analysis (.rfdc): DC outputs exact to second order in the RF amplitudes.

References: the spin diode's compact rectification formula (Tulapurkar 2005, Sankey 2008),
its frequency-multiplexed chain sums (Leroux 2021, Ross 2023), long transients averaged over
whole periods (fourth-order error slope), and the validity estimate against transients.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from rfnet import network

import netsim
from netsim.analysis.rfdc import RfdcValidityWarning
from netsim.devices.spindiode import rectified_voltage
from netsim.errors import AnalysisError

R0 = 1e3
ROOT = Path(__file__).resolve().parents[1]


def _rfdc(text: str, **kw):
    """Run the netlist's circuit with .rfdc through the Python API (warnings recorded)."""
    sim = netsim.Simulator.from_text(text)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sim.rfdc(**kw)
    return res, [w for w in caught if issubclass(w.category, RfdcValidityWarning)]


def _average(t: np.ndarray, v: np.ndarray, t0: float, t1: float) -> float:
    """Mean of the piecewise-linear waveform over [t0, t1] (whole periods)."""
    inside = (t > t0) & (t < t1)
    tt = np.concatenate([[t0], t[inside], [t1]])
    return float(np.trapezoid(np.interp(tt, t, v), tt) / (t1 - t0))


# ------------------------------------------------------------------ spin diode: compact formula
@pytest.mark.parametrize("ksd_s, ksd_a, p_abs", [(0.0, 8800.0, 1e-6), (5000.0, -3000.0, 0.1e-6)])
def test_spin_diode_rectification_matches_compact_formula(ksd_s, ksd_a, p_abs) -> None:
    """One spin diode per branch, each driven by I1 cos(2 pi f t) (SIN source) at its own
    frequency f across fres +- 5 D (11 tones): V_DC = P_abs [ksd_s LS + ksd_a LA] within 1 %
    of the peak (the model's own deviation is ~1e-5)."""
    fres, alpha = 1e9, 0.01
    xs = np.linspace(-5.0, 5.0, 11)
    freqs = fres * (1.0 + alpha * xs)
    i1 = np.sqrt(2.0 * p_abs / R0)
    lines = ["spin diodes"]
    for k, f in enumerate(freqs):
        lines += [f"I{k} a{k} 0 sin(0 {i1} {f})", f"N{k} a{k} 0 sd"]
    lines += [f".model sd spindiode(r0={R0} fres={fres} alpha={alpha} ksd_s={ksd_s} "
              f"ksd_a={ksd_a})", ".rfdc", ".end"]
    res = netsim.run_text("\n".join(lines)).rfdc
    v = np.array([float(res[f"v(a{k})"]) for k in range(len(xs))])
    want = rectified_voltage(p_abs, freqs, fres, alpha, ksd_s, ksd_a)
    err = np.max(np.abs(v - want)) / np.max(np.abs(want))
    assert err < 1e-3, (v, want)
    assert res.stats["tones"] == len(xs)
    assert res.stats["validity"] < 1e-3


def test_spin_diode_under_dc_bias_shows_narrowed_line() -> None:
    """A DC current I0 = 0.4 ith with the RF (SIN with a DC offset): the RF-induced shift
    follows the bias-narrowed line (half width alpha_eff fres, height alpha / alpha_eff)."""
    fres, alpha, ith, idc, p_abs = 1e9, 0.01, 10e-6, 4e-6, 0.2e-6
    a_eff = alpha * (1 - idc / ith)
    xs = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
    freqs = fres * (1.0 + a_eff * xs)
    i1 = np.sqrt(2.0 * p_abs / R0)
    lines = ["biased"]
    for k, f in enumerate(freqs):
        lines += [f"I{k} 0 a{k} sin({idc} {i1} {f})", f"N{k} a{k} 0 sd",
                  f"IB{k} 0 b{k} dc {idc}", f"NB{k} b{k} 0 sd"]
    lines += [f".model sd spindiode(r0={R0} fres={fres} alpha={alpha} ith={ith})", ".rfdc",
              ".end"]
    res = netsim.run_text("\n".join(lines)).rfdc
    shift = np.array([float(res[f"v(a{k})"]) - float(res[f"v(b{k})"]) for k in range(5)])
    want = rectified_voltage(p_abs, freqs, fres, alpha, alpha_eff=a_eff)
    assert np.max(np.abs(shift - want)) / np.max(np.abs(want)) < 0.01


# ------------------------------------------------------------------ chains: weighted sums
def _chain(fres: np.ndarray, tones: np.ndarray, powers: np.ndarray, alpha: float) -> str:
    """Series chain from 'top' to ground, odd devices reversed, one current source per tone."""
    n = len(fres)
    lines = ["chain"]
    for i, (f, p) in enumerate(zip(tones, powers)):
        lines.append(f"I{i} 0 top sin(0 {np.sqrt(2 * p / R0)} {f})")
    for k, fr in enumerate(fres):
        a = "top" if k == 0 else f"n{k}"
        b = "0" if k == n - 1 else f"n{k + 1}"
        p, m = (a, b) if k % 2 == 0 else (b, a)
        lines.append(f"N{k} {p} {m} sd fres={fr}")
    lines += [f".model sd spindiode(r0={R0} alpha={alpha})", ".rfdc", ".end"]
    return "\n".join(lines)


def test_chain_of_eight_is_the_sum_of_synapse_contributions() -> None:
    """8 spin diodes in series (signed), 8 tones: V = sum_k s_k sum_i P_i G(f_i, fres_k)
    within 1 %; and exactly (1e-9) the sum of the single-tone runs (distinct tones do not
    mix to DC)."""
    alpha = 0.01
    tones = 1e9 * (1.0 + 0.03 * np.arange(8))
    fres = tones * (1.0 + alpha * np.array([0.7, -1.1, 0.4, -0.5, 1.3, -0.8, 0.2, -1.6]))
    powers = 1e-6 * np.array([0.2, 1.0, 0.5, 0.8, 0.3, 0.9, 0.6, 0.4])
    res = netsim.run_text(_chain(fres, tones, powers, alpha)).rfdc
    sign = np.where(np.arange(8) % 2 == 0, 1.0, -1.0)
    g = rectified_voltage(1.0, tones[None, :], fres[:, None], alpha)
    want = float(sign @ g @ powers)
    v = float(res["v(top)"])
    assert v == pytest.approx(want, rel=0.01)
    single = []
    for i in range(8):
        p = np.zeros(8)
        p[i] = powers[i]
        single.append(float(netsim.run_text(_chain(fres, tones, p, alpha)).rfdc["v(top)"]))
    assert v == pytest.approx(sum(single), rel=1e-9)


def test_sources_at_one_frequency_add() -> None:
    """Two sources at the same frequency form one tone: equal to one source of the summed
    phasor (0.6 + 0.4 in phase), and the tone count is one."""
    body = "N1 a 0 sd\n.model sd spindiode(fres=1g)\n.rfdc\n.end\n"
    two, _ = _rfdc("t\nI1 0 a sin(0 6u 1.01g)\nI2 0 a sin(0 4u 1.01g)\n" + body)
    one, _ = _rfdc("t\nI1 0 a sin(0 10u 1.01g)\n" + body)
    assert two.stats["tones"] == 1
    assert float(two["v(a)"]) == pytest.approx(float(one["v(a)"]), rel=1e-12)


def test_network_100_inputs_10_chains_matches_reference() -> None:
    """The 100-input, 10-chain network (netlists/rf_network_weak.net, from tests/rfnet.py):
    outputs within 1 % of the compact-formula sums (the model's far-off-resonance tails
    differ from the formula by ~1e-3 of the peak per pair, 0.2 % of the outputs here)."""
    text, ref = network(100, 10)
    shipped = ROOT / "netlists" / "rf_network_weak.net"
    assert shipped.read_text() == text, "regenerate the netlist with tests/rfnet.py network()"
    res = netsim.Simulator.from_file(shipped).rfdc(validity=False)
    v = np.array([float(res[f"v(c{j})"]) for j in range(10)])
    assert np.max(np.abs(v - ref)) / np.max(np.abs(ref)) < 0.01
    assert res.stats["tones"] == 100
    assert res.stats["factorizations"] == 101


# ------------------------------------------------------------------ transient: fourth order
F_RECT = 1e6


def _rectifier(amp: float, caps: bool) -> str:
    extra = "C1 out 0 20p\n" if caps else ""
    dmod = "d(is=1e-14 n=1 cjo=100p vj=0.7 m=0.4 tt=1n)" if caps else "d(is=1e-14 n=1)"
    return f"""diode rectifier
V1 in 0 sin(0.55 {amp} {F_RECT})
R1 in out 1k
D1 out 0 dm
R2 out 0 10k
{extra}.model dm {dmod}
.options reltol=1e-12 vntol=1e-15 abstol=1e-18
.end
"""


@pytest.mark.parametrize("caps, amps, periods", [(False, (0.004, 0.008, 0.016, 0.032), 2),
                                                 (True, (0.016, 0.032), 3)])
def test_diode_rectifier_error_is_fourth_order(caps, amps, periods) -> None:
    """Diode rectifier (resistive; and with junction and load capacitances): the DC output of
    .rfdc against a transient averaged over the last whole period; the error falls as the
    amplitude^4 (log-log slope 4 +- 0.2) and the validity estimate bounds it (<= 5x)."""
    period = 1.0 / F_RECT
    x0 = float(netsim.Simulator.from_text(_rectifier(0.0, caps)).rfdc()["v(out)"])
    errors = []
    for amp in amps:
        sim = netsim.Simulator.from_text(_rectifier(amp, caps))
        tr = sim.tran(period / 256, periods * period, fixed_step=period / 256)
        avg = _average(tr["time"], tr["v(out)"], (periods - 1) * period, periods * period)
        res, _ = _rfdc(_rectifier(amp, caps))
        err = float(res["v(out)"]) - avg
        rel = abs(err / (avg - x0))
        assert rel <= res.stats["validity"] <= 5 * rel
        errors.append(abs(err))
    slope = np.polyfit(np.log(amps), np.log(errors), 1)[0]
    assert slope == pytest.approx(4.0, abs=0.2)


# ------------------------------------------------------------------ validity bound
def _port_diode(power_dbm: float, coupling: str = "R9 in a 1m") -> str:
    return f"""port-driven spin diode
P1 in 0 z0=50 freq=1g power={power_dbm}dbm
{coupling}
N1 a 0 sd
.model sd spindiode(fres={1e9 / 1.05} alpha=0.05)
.end
"""


def test_validity_warns_and_scales_with_power() -> None:
    """A port-driven spin diode (z0 = 50 ohm << r0: close to a voltage drive, so the
    resistance oscillation feeds back on the current): the estimate grows as the RF power,
    passes maxrel around -40 dBm, warns naming the output, the device and the tone; results
    are still returned; a larger maxrel silences it."""
    weak, caught_weak = _rfdc(_port_diode(-50))
    strong, caught = _rfdc(_port_diode(-30))
    assert not caught_weak
    assert weak.stats["validity"] < 0.01 < strong.stats["validity"]
    assert strong.stats["validity"] / weak.stats["validity"] == pytest.approx(100.0, rel=0.05)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "v(a)" in message and "spindiode 'n1'" in message and "1e+09 Hz" in message
    assert "(sources p1)" in message
    assert strong.stats["warnings"] == [message]
    # exactly second order: the shift scales as the power
    assert float(strong["v(a)"]) / float(weak["v(a)"]) == pytest.approx(100.0, rel=1e-9)
    quiet, caught = _rfdc(_port_diode(-30), maxrel=0.5)
    assert not caught and "warnings" not in quiet.stats


@pytest.mark.slow
@pytest.mark.parametrize("power, coupling", [(-40, "R9 in a 1m"), (-30, "R9 in a 1m"),
                                             (-33, "C1 in a 10p")])
def test_validity_estimate_against_transient(power, coupling) -> None:
    """Port-driven spin diode, DC-coupled and DC-blocked: the estimate is within a factor
    2 of the true relative error of the second-order result."""
    text = _port_diode(power, coupling)
    res, _ = _rfdc(text)
    f, fres, alpha = 1e9, 1e9 / 1.05, 0.05
    settle = 7.0 / (2 * np.pi * alpha * fres) + (110e-9 if coupling[0] == "C" else 0.0)
    nav = 20
    tstop = (np.ceil(settle * f) + nav) / f
    sim = netsim.Simulator.from_text(text)
    tr = sim.tran(0.1 / f, tstop, tmax=1.0 / (200 * f))
    avg = _average(tr["time"], tr["v(a)"], tstop - nav / f, tstop)
    rel = abs(float(res["v(a)"]) / avg - 1.0)
    assert 0.5 * rel < res.stats["validity"] < 2.0 * rel


# ------------------------------------------------------------------ held states, errors, output
def test_held_memristor_state_stays_held() -> None:
    """A memristor (held state) in series with a diode rectifier gives the DC outputs of the
    same circuit with the memristor replaced by its resistance at the held state."""
    amp = "V1 in 0 sin(0.7 20m 1meg)\nD1 out 0 dm\n.model dm d(is=1e-14)\n"
    mem, _ = _rfdc("m\n" + amp + "N1 in out mem\n.model mem hp(x0=0.25)\n"
                   ".print rfdc v(out) x(n1, x)\n.rfdc\n.end\n")
    ron, roff = 100.0, 16e3
    res, _ = _rfdc("r\n" + amp + f"R1 in out {ron * 0.25 + roff * 0.75}\n.rfdc\n.end\n")
    assert float(mem["v(out)"]) == pytest.approx(float(res["v(out)"]), rel=1e-9)
    assert float(mem["x(n1#x)"]) == 0.25


def test_pulse_source_is_an_error() -> None:
    with pytest.raises(AnalysisError) as err:
        netsim.run_text("t\nV1 a 0 pulse(0 1 0 1n 1n 5n 10n)\nR1 a 0 1k\n.rfdc\n.end\n")
    assert err.value.message == (".rfdc needs sources made of DC and sine lines: source 'v1' "
                                 "has a PULSE/PWL waveform (a strong, many-harmonic drive)")
    with pytest.raises(AnalysisError) as err:  # not periodic at all
        netsim.run_text("t\nV1 a 0 exp(0 1 1n 1n 5n 1n)\nR1 a 0 1k\n.rfdc\n.end\n")
    assert err.value.message == (".rfdc needs sources made of DC and sine lines: source 'v1': "
                                 "its EXP waveform is not periodic")


def test_time_dependent_behavioural_source_is_an_error() -> None:
    with pytest.raises(AnalysisError) as err:
        netsim.run_text("t\nB1 a 0 v={sin(1e6*time)}\nR1 a 0 1k\n.rfdc\n.end\n")
    assert "'b1'" in err.value.message and "no spectral (DC + sine) description" in \
        err.value.message


def test_maxrel_must_be_positive() -> None:
    with pytest.raises(AnalysisError, match="maxrel must be > 0"):
        netsim.run_text("t\nI1 0 a sin(0 1u 1g)\nR1 a 0 1k\n.rfdc maxrel=0\n.end\n")


def test_card_print_selection_and_csv(tmp_path: Path) -> None:
    """`.rfdc maxrel=..` with `.print rfdc`: name,value CSV as op.csv; the CLI prints the
    validity warning as a diagnostic line."""
    text = _port_diode(-30).replace(".end", ".print rfdc v(a) i(p1)\n.rfdc maxrel=0.001\n.end")
    net = tmp_path / "w.net"
    net.write_text(text)
    from netsim.cli import main

    assert main(["run", str(net), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    lines = (tmp_path / "out" / "rfdc.csv").read_text().splitlines()
    assert lines[0] == "name,value"
    assert [ln.split(",")[0] for ln in lines[1:]] == ["v(a)", "i(p1)"]
    res = netsim.run_text(text.replace("maxrel=0.001", "maxrel=0.5")).rfdc
    assert float(lines[1].split(",")[1]) == pytest.approx(float(res["v(a)"]), rel=1e-12)


def test_without_rf_is_the_operating_point() -> None:
    text = "t\nV1 a 0 dc 0.7\nR1 a b 1k\nD1 b 0 dm\n.model dm d\n.op\n.rfdc\n.end\n"
    res = netsim.run_text(text)
    assert res.rfdc.stats["tones"] == 0
    assert float(res.rfdc["v(b)"]) == pytest.approx(float(res.op["v(b)"]), rel=1e-9)


def test_step_runs_rfdc_per_variant() -> None:
    """.step over the port power: one op-like row per variant, each equal to its standalone
    run, and the second-order output scales as the power (10 dB -> 10x)."""
    text = _port_diode(-50).replace("power=-50dbm", "power={1e-3*10**(pw/10)}").replace(
        ".end", ".param pw=-50\n.step param pw list -60 -50\n.rfdc\n.end")
    res = netsim.run_text(text).rfdc
    assert list(res["pw"]) == [-60.0, -50.0]
    for k, pw in enumerate((-60, -50)):
        alone, _ = _rfdc(_port_diode(pw))
        assert res["v(a)"][k] == float(alone["v(a)"])
    assert res["v(a)"][1] / res["v(a)"][0] == pytest.approx(10.0, rel=1e-9)
