"""Memristor families (hp, biolek, vteam, yakopcic, stanford_rram) in netsim analyses.

- transient: the memristor current of a sine-driven device matches an independent
  solution of the model's equations (scipy solve_ivp, tight tolerances) within 1 % of its peak;
- pinched hysteresis: the current is zero whenever the voltage is zero, and the loop is open;
- bounds: over-driven into a bound x stays in [0, 1] and comes back when the drive reverses;
- DC holds x0, AC linearises around the held state, batch axes and noise reproducibility.

The reference equations below are written out independently of netsim's device code.

Abrupt switching (``ABRUPT``: the thermal-runaway SET of the Stanford RRAM, VTEAM's fast
on-switching) is ill-conditioned: the current rises twentyfold (VTEAM) to 600-fold (RRAM),
most of it within 2e-4 (RRAM) or 3e-3 (VTEAM) of the period, so a small error of the state
before the jump becomes a time shift of the jump and a large pointwise current error.
Measured for these cases (deterministic runs):

- the reference is converged: LSODA rtol 1e-10 / max_step T/2000 and Radau rtol 1e-12 /
  max_step T/20000 agree within 2e-7 (RRAM) and 1e-9 (VTEAM) of the peak current;
- sensitivity (RRAM): the reference perturbed by dx = 1e-6 one period before the second SET
  moves that SET by 4.4e-7 periods and the current by 0.27 % of its peak;
- netsim's default tolerances bound the state's per-step truncation error by reltol |x| (the
  SPICE charge criterion, q = x here, x ~ 1 before a SET) and Newton's by reltol |x| + vntol,
  about 1e-3 per step: the single step over VTEAM's on-threshold makes 9e-4, and the RRAM
  SET amplifies the state error accumulated before it (2e-3) into a SET 1e-3 periods early.

Hence two metrics, both against the reference: the peak current of every half period (the
acceptance metric) and the whole-waveform maximum error in % of the peak current. At default
tolerances the half-period peaks agree within 0.73 % (RRAM) and 0.013 % (VTEAM) while the
whole-waveform error is 90 % (RRAM) and 1.4 % (VTEAM); with the tolerances given per case in
``ABRUPT`` (written into the netlist) both metrics hold within 1 % (RRAM 0.31 %, VTEAM 0.09 %).
Scaling the state's charge cannot tighten the criterion (tolerance and error scale alike; a
charge below chgtol only swaps |x| for chgtol / scale), so the tighter run is a tolerance
choice of the netlist.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import netsim
from netsim.devices.base import EvalContext

KB_EV = 8.617333262e-5


# ---------------------------------------------------------------- reference models (scalar x)
def _soft(x, up, wc):
    return 1.0 - np.exp(-((1.0 - x) if up else x) / wc)


def hp_model(ron=100.0, roff=16e3, d=10e-9, muv=1e-14, p=1.0):
    def current(v, x):
        return v / (ron * x + roff * (1.0 - x))

    def rate(v, x, t):
        i = current(v, x)
        z = 2.0 * x - 1.0
        toward = (i >= 0 and z > 0) or (i < 0 and z < 0)
        f = 1.0 - abs(z) ** (2 * p) if toward else 1.0
        return muv * ron / d**2 * i * f

    return current, rate


def biolek_model(ron=100.0, roff=16e3, d=10e-9, muv=1e-14, p=1.0):
    def current(v, x):
        return v / (ron * x + roff * (1.0 - x))

    def rate(v, x, t):
        i = current(v, x)
        stp = 1.0 if i < 0 else 0.0
        return muv * ron / d**2 * i * (1.0 - abs(x - stp) ** (2 * p))

    return current, rate


def vteam_model(ron=50.0, roff=1e3, won=0.0, woff=3e-9, kon=-10.0, koff=5e-4, aon=3.0,
                aoff=1.0, von=-0.2, voff=0.02, wc=0.05, rexp=False):
    def current(v, x):
        if rexp:
            return v / (ron * np.exp(np.log(roff / ron) * x))
        return v / (ron + (roff - ron) * x)

    def rate(v, x, t):
        if v > voff:
            k = koff * (v / voff - 1.0) ** aoff
        elif v < von:
            k = kon * (v / von - 1.0) ** aon
        else:
            return 0.0
        return k / (woff - won) * _soft(x, k > 0, wc)

    return current, rate


def yakopcic_model(a1=0.17, a2=0.17, b=0.05, vp=0.16, vn=0.15, ap=4000.0, an=4000.0, xp=0.3,
                   xn=0.5, alphap=1.0, alphan=5.0, eta=1.0):
    def current(v, x):
        return (a1 if v >= 0 else a2) * x * np.sinh(b * v)

    def rate(v, x, t):
        if v > vp:
            g = ap * (np.exp(v) - np.exp(vp))
        elif v < -vn:
            g = -an * (np.exp(-v) - np.exp(vn))
        else:
            return 0.0
        if eta * g > 0:
            f = np.exp(-alphap * (x - xp)) * (1 - x) / (1 - xp) if x >= xp else 1.0
        else:
            f = np.exp(alphan * (x + xn - 1)) * x / (1 - xn) if x <= 1 - xn else 1.0
        return eta * g * f

    return current, rate


def rram_model(i0=1e-3, g0=0.25e-9, v0=0.25, vel0=10.0, ea=0.6, a0=0.25e-9, gamma0=16.0,
               beta=0.8, tox=12e-9, rth=2.1e3, t0=300.15, gmin=0.1e-9, gmax=1.7e-9, wc=0.02):
    def gap(x):
        return gmin + x * (gmax - gmin)

    def current(v, x):
        return i0 * np.exp(-gap(x) / g0) * np.sinh(v / v0)

    def rate(v, x, t):
        g = gap(x)
        temp = t0 + abs(v * current(v, x)) * rth
        gamma = gamma0 - beta * (g / 1e-9) ** 3
        dg = -vel0 * np.exp(-ea / (KB_EV * temp)) * np.sinh(gamma * a0 * v / (tox * KB_EV * temp))
        return dg / (gmax - gmin) * _soft(x, dg > 0, wc)

    return current, rate


# family, .model body, reference model, x0, amplitude (V), frequency (Hz)
CASES = {
    "hp": ("hp(x0=0.1)", hp_model(), 0.1, 1.0, 1.0),
    "hp_p2": ("hp(ron=100 roff=10k p=2 x0=0.4)", hp_model(roff=10e3, p=2.0), 0.4, 1.2, 1.0),
    "biolek": ("biolek(p=2 x0=0.1)", biolek_model(p=2.0), 0.1, 1.0, 1.0),
    "vteam": ("vteam(x0=0.5)", vteam_model(), 0.5, 0.22, 1e6),
    "vteam_aoff3": ("vteam(aoff=3 koff=1e-3 x0=0.2)", vteam_model(aoff=3.0, koff=1e-3), 0.2,
                    0.21, 1e6),
    "vteam_rexp": ("vteam(rexp=1 x0=0.2)", vteam_model(rexp=True), 0.2, 0.22, 1e6),
    "yakopcic": ("yakopcic(x0=0.11)", yakopcic_model(), 0.11, 0.6, 1e3),
    "stanford_rram": ("stanford_rram(x0=0.9 t0=300.15)", rram_model(), 0.9, 1.2, 1e5),
    "stanford_rram_cycle": ("stanford_rram(x0=0.2 t0=300.15)", rram_model(), 0.2, 1.2, 1e5),
}
# abrupt switching (module docstring): .model body, reference, x0, amplitude (V), frequency
# (Hz) and the .options line with which the whole waveform agrees within 1 % of the peak
ABRUPT = {
    "stanford_rram": ("stanford_rram(x0=0.9 t0=300.15)", rram_model(), 0.9, 1.4, 1e5,
                      ".options reltol=1e-7 vntol=1e-9\n"),
    "vteam": ("vteam(x0=0.5)", vteam_model(), 0.5, 0.3, 1e6, ".options reltol=1e-5\n"),
}


def _netlist(model: str, amp: float, freq: float, periods: float = 2.0, extra: str = "") -> str:
    return (f"memristor test\nV1 a 0 sin(0 {amp} {freq})\nN1 a 0 mem\n.model mem {model}\n"
            f"{extra}.tran {0.005 / freq} {periods / freq}\n.end\n")


def _solve(ref, x0: float, amp: float, freq: float, tstop: float, method: str = "LSODA",
           rtol: float = 1e-10, atol: float = 1e-13, per_period: int = 2000):
    """Dense solve_ivp solution of dx/dt = rate(v(t), x, t) under the sine drive."""
    _, rate = ref

    def source(t):
        return amp * np.sin(2.0 * np.pi * freq * t)

    sol = solve_ivp(lambda t, y: [rate(source(t), y[0], t)], (0.0, tstop), [x0],
                    method=method, rtol=rtol, atol=atol, max_step=1.0 / (per_period * freq),
                    dense_output=True)
    assert sol.success
    return sol


def _currents(ref, sol, amp: float, freq: float, times: np.ndarray) -> np.ndarray:
    current, _ = ref
    xs = sol.sol(times)[0]
    return np.array([current(amp * np.sin(2.0 * np.pi * freq * t), x)
                     for t, x in zip(times, xs)])


def _reference(ref, x0: float, amp: float, freq: float, times: np.ndarray):
    sol = _solve(ref, x0, amp, freq, times[-1])
    return _currents(ref, sol, amp, freq, times), sol.sol(times)[0]


def _half_period_peaks(t: np.ndarray, i: np.ndarray, freq: float, halves: int) -> np.ndarray:
    """max |i| over each half period (a point on a boundary counts for both halves)."""
    phase = t * freq * 2.0
    return np.array([np.max(np.abs(i[(phase >= j - 1e-9) & (phase <= j + 1 + 1e-9)]))
                     for j in range(halves)])


def _abrupt_errors(name: str, extra: str) -> tuple[float, np.ndarray]:
    """(whole-waveform max |i - i_ref| / peak, relative error of each half period's peak
    current) of an ABRUPT case run with the .options line ``extra``. netsim's values are its
    accepted points; the reference's peaks come from its dense solution on 1e5 points per
    period."""
    model, ref, x0, amp, freq, _ = ABRUPT[name]
    res = netsim.run_text(_netlist(model, amp, freq, extra=extra))
    t, i = res.tran["time"], -res.tran["i(v1)"]
    sol = _solve(ref, x0, amp, freq, t[-1])
    i_ref = _currents(ref, sol, amp, freq, t)
    fine = np.linspace(0.0, t[-1], 200_001)
    peaks_ref = _half_period_peaks(fine, _currents(ref, sol, amp, freq, fine), freq, 4)
    peaks = _half_period_peaks(t, i, freq, 4)
    return float(np.max(np.abs(i - i_ref)) / np.max(peaks_ref)), peaks / peaks_ref - 1.0


def _relative_error(name: str) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    model, ref, x0, amp, freq = CASES[name]
    res = netsim.run_text(_netlist(model, amp, freq))
    t = res.tran["time"]
    i = -res.tran["i(v1)"]  # current into the memristor's p terminal
    i_ref, xs = _reference(ref, x0, amp, freq, t)
    return float(np.max(np.abs(i - i_ref)) / np.max(np.abs(i_ref))), t, i, xs


@pytest.mark.parametrize("name", sorted(CASES))
def test_transient_matches_ode_reference(name: str) -> None:
    err, _, _, xs = _relative_error(name)
    assert np.ptp(xs) > 0.05, "the drive must move the state for the test to mean anything"
    assert err < 0.01, f"{name}: max current error {100 * err:.3f} % of peak"


@pytest.mark.parametrize("name", sorted(ABRUPT))
def test_abrupt_switching_state_trajectory(name: str) -> None:
    """Default tolerances: switching events (x crossing 1/2) happen at the reference's times
    within 0.5 % of the period (measured: up to 9.8e-4 periods for the RRAM, 1.9e-4 for
    VTEAM)."""
    model, ref, x0, amp, freq, _ = ABRUPT[name]
    ts, xs = _recorded_states(_netlist(model, amp, freq))
    t = np.concatenate([[0.0], ts])
    x = np.concatenate([[x0], xs])
    _, x_ref = _reference(ref, x0, amp, freq, t)

    def crossings(y: np.ndarray) -> np.ndarray:
        k = np.nonzero(np.sign(y[1:] - 0.5) != np.sign(y[:-1] - 0.5))[0]
        return t[k] + (0.5 - y[k]) * (t[k + 1] - t[k]) / (y[k + 1] - y[k])

    got, want = crossings(x), crossings(x_ref)
    assert np.ptp(x_ref) > 0.9 and want.size == 4  # full switching both ways, twice
    assert got.size == want.size
    assert np.max(np.abs(got - want)) * freq < 0.005


@pytest.mark.parametrize("name", sorted(ABRUPT))
def test_abrupt_switching_peak_current_default_tolerances(name: str) -> None:
    """Default tolerances: every half period's peak current within 1 % of the reference's
    (measured: RRAM 0.003 0.41 0.016 0.73 %, VTEAM 0.013 0.011 0.001 0.001 %)."""
    _, peaks = _abrupt_errors(name, "")
    assert np.max(np.abs(peaks)) < 0.01, f"{name}: half-period peak errors {100 * peaks} %"


@pytest.mark.xfail(reason="ill-conditioned at default tolerances (module docstring): whole-"
                          "waveform error 90 % (RRAM), 1.4 % (VTEAM) of the peak current",
                   strict=False)
@pytest.mark.parametrize("name", sorted(ABRUPT))
def test_abrupt_switching_whole_waveform_default_tolerances(name: str) -> None:
    err, _ = _abrupt_errors(name, "")
    assert err < 0.01, f"{name}: max current error {100 * err:.3f} % of peak"


def _abrupt_tight(name: str) -> None:
    err, peaks = _abrupt_errors(name, ABRUPT[name][5])
    assert np.max(np.abs(peaks)) < 0.01, f"{name}: half-period peak errors {100 * peaks} %"
    assert err < 0.01, f"{name}: max current error {100 * err:.3f} % of peak"


def test_abrupt_switching_matches_ode_reference_vteam() -> None:
    """``.options reltol=1e-5``: peaks and the whole waveform within 1 % of the peak current
    (measured 0.09 %, 2100 points)."""
    _abrupt_tight("vteam")


@pytest.mark.slow
def test_abrupt_switching_matches_ode_reference_rram() -> None:
    """``.options reltol=1e-7 vntol=1e-9``: peaks and the whole waveform within 1 % of the
    peak current (measured 0.31 %, 19,000 points, about 20 s)."""
    _abrupt_tight("stanford_rram")


@pytest.mark.parametrize("name", sorted(ABRUPT))
def test_abrupt_reference_is_converged(name: str) -> None:
    """The reference (LSODA rtol 1e-10, max_step T/2000) against a ten times finer max_step
    and rtol 1e-12: the same currents within 1e-5 of the peak."""
    _, ref, x0, amp, freq, _ = ABRUPT[name]
    t = np.linspace(0.0, 2.0 / freq, 40_001)
    a = _currents(ref, _solve(ref, x0, amp, freq, t[-1]), amp, freq, t)
    b = _currents(ref, _solve(ref, x0, amp, freq, t[-1], rtol=1e-12, atol=1e-15,
                              per_period=20_000), amp, freq, t)
    assert np.max(np.abs(a - b)) < 1e-5 * np.max(np.abs(b))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ABRUPT))
def test_abrupt_reference_is_converged_other_method(name: str) -> None:
    """The reference against Radau (implicit, rtol 1e-12, max_step T/20000): within 1e-5 of
    the peak current (measured 2e-7 RRAM, 1e-9 VTEAM)."""
    _, ref, x0, amp, freq, _ = ABRUPT[name]
    t = np.linspace(0.0, 2.0 / freq, 40_001)
    a = _currents(ref, _solve(ref, x0, amp, freq, t[-1]), amp, freq, t)
    b = _currents(ref, _solve(ref, x0, amp, freq, t[-1], method="Radau", rtol=1e-12,
                              atol=1e-15, per_period=20_000), amp, freq, t)
    assert np.max(np.abs(a - b)) < 1e-5 * np.max(np.abs(b))


@pytest.mark.parametrize("name", ["hp", "biolek", "yakopcic", "vteam", "stanford_rram"])
def test_pinched_hysteresis(name: str) -> None:
    model, _, _, amp, freq = CASES[name]
    res = netsim.run_text(_netlist(model, amp, freq))
    v, i = res.tran["v(a)"], -res.tran["i(v1)"]
    small = np.abs(v) < 1e-6 * amp
    assert np.all(np.abs(i[small]) < 1e-6 * np.max(np.abs(i)))  # pinched at v = 0
    # the loop is open: the same voltage gives different currents on the two sweeps
    t = res.tran["time"]
    rising = (t * freq % 1.0) < 0.25
    falling = ((t * freq % 1.0) > 0.25) & ((t * freq % 1.0) < 0.5)
    vq = 0.5 * amp
    i_up = np.interp(vq, v[rising], i[rising])
    order = np.argsort(v[falling])
    i_dn = np.interp(vq, v[falling][order], i[falling][order])
    assert abs(i_up - i_dn) > 0.01 * np.max(np.abs(i))


def _recorded_states(text: str):
    """Run the netlist, recording every accepted transient state x of the memristor N1:
    (accepted times after t = 0, states there)."""
    sim = netsim.Simulator.from_text(text)
    group = next(g for g in sim.compiled.groups if g.device.family not in ("vsource",
                                                                           "resistor"))
    times: list[float] = []
    states: list[float] = []
    original = group.device.accept

    def record(x, t, rng):
        times.append(t)
        states.append(float(x[0, 2]))
        return original(x, t, rng)

    group.device.accept = record
    sim.run_all()
    return np.array(times), np.array(states)


BOUND_CASES = [
    ("hp", "hp(ron=100 roff=16k d=10n muv=1e-13 x0=0.5)", "pwl(0 0 1m 3 1 3 1.001 -3 2 -3)", 2),
    ("biolek", "biolek(muv=1e-13 p=1 x0=0.5)", "pwl(0 0 1m 3 1 3 1.001 -3 2 -3)", 2),
    ("vteam", "vteam(x0=0.5)", "pwl(0 0 1n 1 5u 1 5.001u -0.6 10u -0.6)", 10e-6),
    ("yakopcic", "yakopcic(x0=0.5)", "pwl(0 0 1u 2 5m 2 5.001m -2 10m -2)", 10e-3),
    ("stanford_rram", "stanford_rram(x0=0.5)", "pwl(0 0 1n 2 5u 2 5.001u -2 10u -2)", 10e-6),
]


@pytest.mark.parametrize("method", ["trap", "gear", "be"])
@pytest.mark.parametrize("family,model,wave,tstop", BOUND_CASES,
                         ids=[c[0] for c in BOUND_CASES])
def test_bounds_hold_under_overdrive_and_release(family, model, wave, tstop, method) -> None:
    text = (f"overdrive\nV1 a 0 {wave}\nN1 a 0 mem\n.model mem {model}\n"
            f".options method={method}\n.tran {tstop / 200} {tstop}\n.end\n")
    t, xs = _recorded_states(text)
    assert np.all(xs >= -1e-12) and np.all(xs <= 1 + 1e-12), (xs.min(), xs.max())
    first = xs[t < 0.5 * tstop]
    second = xs[t > 0.5 * tstop + 0.001 * tstop]
    # driven hard into one bound during the first half: pinned near it ...
    near_first = min(first[-1], 1.0 - first[-1])
    assert near_first < 0.02
    # ... and released towards the other bound when the drive reverses
    assert abs(second[-1] - first[-1]) > 0.9


@pytest.mark.parametrize("body,x0,volts,stop", [
    ("hp(muv=1e-13 x0=0)", 0.0, 3.0, 1.0),
    ("hp(muv=1e-13 x0=1)", 1.0, -3.0, 1.0),
    ("biolek(muv=1e-13 x0=1)", 1.0, -3.0, 1.0),
    ("biolek(muv=1e-13 x0=0)", 0.0, 3.0, 1.0),
    ("vteam(x0=0)", 0.0, 0.8, 1e-6),
    ("vteam(x0=1)", 1.0, -0.4, 1e-6),
    ("yakopcic(x0=1)", 1.0, -1.5, 1e-3),
    ("yakopcic(x0=0)", 0.0, 1.5, 1e-3),
    ("stanford_rram(x0=1)", 1.0, 1.5, 1e-5),
    ("stanford_rram(x0=0)", 0.0, -1.5, 1e-5),
], ids=lambda v: str(v))
def test_not_trapped_when_starting_on_a_bound(body, x0, volts, stop) -> None:
    """A state exactly on a bound leaves it under an inward drive (no boundary lock)."""
    text = (f"bound\nV1 a 0 pwl(0 0 {stop / 100} {volts} {stop} {volts})\nN1 a 0 mem\n"
            f".model mem {body}\n.tran {stop / 100} {stop}\n.end\n")
    _, xs = _recorded_states(text)
    assert np.all(xs >= -1e-12) and np.all(xs <= 1 + 1e-12)
    assert abs(xs[-1] - x0) > 0.1, f"stuck at x0={x0}: {xs[-1]}"


def test_dc_holds_x0_and_op_resistance() -> None:
    text = """dc hold
V1 a 0 dc 1
N1 a 0 mem
N2 a 0 mem x0=0.8
.model mem hp(ron=100 roff=16k x0=0.25)
.op
.dc V1 -2 2 0.5
.end
"""
    res = netsim.run_text(text)
    r1 = 100 * 0.25 + 16e3 * 0.75
    r2 = 100 * 0.8 + 16e3 * 0.2
    np.testing.assert_allclose(-res.op["i(v1)"], 1.0 / r1 + 1.0 / r2, rtol=1e-9)
    v = res.dc["v1"]
    np.testing.assert_allclose(-res.dc["i(v1)"], v / r1 + v / r2, rtol=1e-9, atol=1e-15)


def test_ac_around_operating_point() -> None:
    """Small-signal: a memristor in a divider with a resistor; the state responds as jw x =
    dr/dv v, a conductance 1/R plus a state branch dI/dx dr/dv / (jw)."""
    ron, roff, d, muv, x0, vdc = 100.0, 16e3, 10e-9, 1e-14, 0.3, 0.5
    text = f"""ac
V1 a 0 dc {vdc} ac 1
R1 a b 1k
N1 b 0 mem
.model mem hp(ron={ron} roff={roff} d={d} muv={muv} x0={x0})
.op
.ac dec 5 0.1 1meg
.end
"""
    res = netsim.run_text(text)
    f = res.ac["frequency"]
    vb = res.ac["vr(b)"] + 1j * res.ac["vi(b)"]
    r = ron * x0 + roff * (1 - x0)
    vop = float(res.op["v(b)"])
    i_op = vop / r
    k = muv * ron / d**2
    z = 2 * x0 - 1
    fwin = 1.0 if (i_op > 0 and z < 0) else 1 - abs(z) ** 2
    di_dv, di_dx = 1 / r, -i_op * (ron - roff) / r
    dr_dv = k * di_dv * fwin
    dr_dx = k * di_dx * fwin  # window flat (x < 1/2 moving up)
    w = 2 * np.pi * f
    y = di_dv + di_dx * dr_dv / (1j * w - dr_dx)
    expected = 1.0 / (1.0 + 1e3 * y)
    np.testing.assert_allclose(vb, expected, rtol=1e-6)
    assert abs(vb[-1] - 1 / (1 + 1e3 / r)) < 1e-6  # high frequency: the state is frozen


def test_batch_axes_equal_single_evaluations() -> None:
    from device_examples_memristor import examples

    from netsim.devices.base import REGISTRY

    ctx = EvalContext(t=1e-9)
    rng = np.random.default_rng(3)
    for family, insts in examples().items():
        group = REGISTRY[family](insts, 27.0, 27.0)
        group.start(np.random.default_rng(0))
        x = np.empty((4, 5, group.n, 3))
        x[..., :2] = rng.uniform(-1.5, 1.5, (4, 5, group.n, 2))
        x[..., 2] = rng.uniform(0, 1, (4, 5, group.n))
        batched = group.evaluate(x, ctx)
        assert batched.di.shape == (4, 5, group.n, 3, 3)
        for a in range(4):
            for b in range(5):
                single = group.evaluate(x[a, b], ctx)
                np.testing.assert_allclose(batched.i[a, b], single.i, rtol=1e-13)
                np.testing.assert_allclose(batched.di[a, b], single.di, rtol=1e-13)


def test_rram_noise_reproducible_and_step_independent() -> None:
    def run(seed: int, tstep: str) -> np.ndarray:
        text = (f"noise\nV1 a 0 sin(0 1.3 100k)\nN1 a 0 mem\n"
                f".model mem stanford_rram(x0=0.5 gnoise=0.05n tnoise=100n)\n"
                f".options seed={seed}\n.tran {tstep} 20u\n.end\n")
        res = netsim.run_text(text)
        return np.interp(np.linspace(0, 20e-6, 201), res.tran["time"], -res.tran["i(v1)"])

    a, b, c = run(1, "50n"), run(1, "10n"), run(2, "50n")
    clean = netsim.run_text("clean\nV1 a 0 sin(0 1.3 100k)\nN1 a 0 mem\n"
                            ".model mem stanford_rram(x0=0.5)\n.tran 50n 20u\n.end\n")
    ref = np.interp(np.linspace(0, 20e-6, 201), clean.tran["time"], -clean.tran["i(v1)"])
    scale = np.max(np.abs(ref))
    assert np.max(np.abs(a - b)) < 0.02 * scale  # same seed, other steps: same noise
    assert np.max(np.abs(a - c)) > 0.02 * scale  # other seed: other noise
    assert np.max(np.abs(a - ref)) > 0.02 * scale  # noise is visible


def test_library_sections_and_include() -> None:
    """Each section alone, and every card through .include (x0 of the card is held)."""
    for section, model in _MODEL.items():
        for call in (f".lib memristors.lib {section}", ".include memristors.lib"):
            text = f"lib\n{call}\nV1 a 0 dc 0.1\nN1 a 0 {model}\n.op\n.end\n"
            res = netsim.run_text(text)
            assert np.isfinite(res.op["i(v1)"]) and res.op["i(v1)"] < 0
    r_hp = 100 * 0.1 + 16e3 * 0.9
    res = netsim.run_text("lib\n.lib memristors.lib hp\nV1 a 0 dc 1\nN1 a 0 hp_strukov\n"
                          ".op\n.end\n")
    np.testing.assert_allclose(-res.op["i(v1)"], 1 / r_hp, rtol=1e-9)


_MODEL = {"hp": "hp_strukov", "biolek": "biolek_hp", "hfo2": "hfo2_rram",
          "vteam": "vteam_kvatinsky", "yakopcic": "yakopcic_2013"}
