"""MTJ family: TMR(V), DC holding, AC, closed-form switching statistics, LLGS vs solve_ivp.

Statistical checks state their standard error (SE). A mean of n exponential samples has a
relative SE of 1/sqrt(n); with right-censored samples (runs that end before an instance
switches) the maximum-likelihood mean ``(sum of observed and censored durations) / events``
is used, whose relative SE is 1/sqrt(events).

- Sampler-level checks (1e5 trials): the device's own ``evaluate`` (hazard rate) and ``accept``
  (thresholds, flips, interpolated crossing times) driven with the exact hazard integral of a
  constant current, as the transient integrates it (linear in t, exact for BE and trapezoidal).
  Relative SE 0.32 %; the mean must be within 1 % (> 3 SE).
- Circuit-level checks (tests/mtj_stats.py: netsim transients of many instances in one
  circuit, each in series with its own current source; the engine integrates every hazard and
  the device samples every switch): default run 600 trials (SE 4.1 %) or about 600 dwells
  per state (SE 4 %), within 4 SE; slow runs (``pytest -m slow``) 100,000 trials or over
  100,000 dwells per state (SE 0.32 %), within 1 % of the closed form and within 4 SE.
  Compared: mean first-switching time vs Sun's formula (precessional; the model switches as a
  Poisson process with Sun's rate, so Sun's time is the mean of an exponential distribution)
  and vs tau0 exp(delta (1 - I/ic0)) (thermal), and p-bit mean dwell times vs
  tau0 exp(delta (1 -+ I/ic0)).
"""

from __future__ import annotations

import mtj_stats
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from netsim.circuit.circuit import Instance, ModelCard
from netsim.devices.base import EvalContext
from netsim.devices.mtj import MTJ
from netsim.devices.mtj_rates import mean_switching_time
from netsim.errors import ElaborationError
from netsim.simulator import Simulator

CARD = "level=1 rp=4k tmr0=0.7 vh=0.5 delta=40 ic0=40u tau0=1n pol=0.52 ms=456e3 tfl=1.3n"
PBIT = "level=1 rp=5k tmr0=1 vh=0.5 delta=3 ic0=20u tau0=1n"


def _group(model: dict, n: int, **params) -> MTJ:
    insts = [Instance(f"n{k}", "mtj", ("p", "n"), dict(params),
                      model=ModelCard("mt", "mtj", model)) for k in range(n)]
    return MTJ(insts, 27.0, 27.0)


def _card(text: str) -> dict:
    from netsim.units import parse_number

    return {k: parse_number(v) for k, v in (w.split("=") for w in text.split())}


def _bias(group: MTJ, current: float) -> np.ndarray:
    """Local unknowns (N, 4) with the device current equal to ``current`` in the group's
    present discrete state (fixed point of V = I R(V))."""
    c = 1.0 - 2.0 * group.state
    v = np.full(group.n, current * group.rp[0])
    for _ in range(60):
        v = current * group.resistance(v, c)
    x = np.zeros((group.n, 4))
    x[:, 0] = v
    x[:, 2] = group.state
    return x


def _rate(group: MTJ, current: float) -> np.ndarray:
    x = _bias(group, current)
    return -group.evaluate(x, EvalContext(t=0.0)).i[:, 3]


def _mtj_group(sim: Simulator) -> MTJ:
    return next(g.device for g in sim.compiled.groups if g.device.family == "mtj")


def _censored_mean(durations: np.ndarray, censored: np.ndarray) -> tuple[float, int]:
    """(MLE mean, number of events) of exponential samples, some right-censored."""
    events = int(np.count_nonzero(~censored))
    return float(durations.sum() / events), events


# ------------------------------------------------------------------ resistance, DC, AC
def test_resistance_vs_bias_tmr() -> None:
    volts = [-0.8, -0.3, 0.0, 0.2, 0.5, 1.0]
    for m0, expect in ((0, lambda v: 4e3 + 0 * v),
                       (1, lambda v: 4e3 * (1 + 0.7 / (1 + v ** 2 / 0.5 ** 2)))):
        sim = Simulator.from_text(
            f"tmr\nV1 a 0 0.1\nN1 a 0 mt m0={m0}\n.model mt mtj({CARD})\n"
            f".dc v1 {volts[0]} {volts[-1]} 0.1\n.end\n")
        res = sim.run_all()["dc"]
        v = res["v1"]
        ok = np.abs(v) > 1e-9
        r = -v[ok] / res["i(v1)"][ok]
        np.testing.assert_allclose(r, expect(v[ok]), rtol=1e-9)


def test_angle_dependent_conductance_level2() -> None:
    g = _group({"level": 2.0, "rp": 1e3, "tmr0": 1.0, "vh": 1e9}, 1)
    c = np.array([1.0, 0.0, -1.0, 0.3])
    gp, gap = 1e-3, 0.5e-3
    np.testing.assert_allclose(g.conductance(np.zeros(4), c)[0],
                               (gp + gap) / 2 + (gp - gap) / 2 * c, rtol=1e-12)


@pytest.mark.parametrize("m0, r_expect", [(0, 4e3), (1, 4e3 * (1 + 0.7 / (1 + 0.8 ** 2 / 0.25)))])
def test_dc_holds_the_state_under_a_switching_current(m0: int, r_expect: float) -> None:
    """200 uA (5 ic0) would switch P -> AP within ns, but DC keeps m0 (held state)."""
    sim = Simulator.from_text(f"hold\nI1 0 a dc 200u\nN1 a 0 mt m0={m0}\n.model mt mtj({CARD})\n"
                              ".op\n.end\n")
    op = sim.op()
    v = float(op["v(a)"])
    assert abs(v / 200e-6 - r_expect) / r_expect < 1e-6 if m0 == 0 else True
    if m0 == 1:  # bias-dependent: R_AP at the operating voltage
        np.testing.assert_allclose(v / 200e-6, 4e3 * (1 + 0.7 / (1 + v ** 2 / 0.25)), rtol=1e-9)


def test_dc_holds_level2_magnetisation() -> None:
    sim = Simulator.from_text(
        "hold2\nI1 0 a dc 1m\nN1 a 0 mt m0=1 theta0=0.3\n"
        ".model mt mtj(level=2 rp=1k tmr0=1 vh=1e6)\n.op\n.end\n")
    x, _ = sim.operating_point()
    names = sim.compiled.names
    got = [x[names.index(f"n1#{c}")] for c in ("mx", "my", "mz")]
    np.testing.assert_allclose(got, [np.sin(0.3), 0.0, -np.cos(0.3)], atol=1e-12)
    g_expect = 0.5 * (1e-3 + 0.5e-3) + 0.5 * (1e-3 - 0.5e-3) * (-np.cos(0.3))
    np.testing.assert_allclose(x[sim.compiled.node_index["a"]], 1e-3 / g_expect, rtol=1e-9)


def test_ac_small_signal_impedance() -> None:
    """|Z| = 1 / |dI/dV + j w cp| at the operating point (AP state, bias-dependent TMR)."""
    sim = Simulator.from_text(
        f"ac\nI1 0 a dc 100u ac 1\nN1 a 0 mt m0=1 cp=1f\n.model mt mtj({CARD})\n"
        ".ac dec 2 1meg 100g\n.end\n")
    res = sim.run_all()["ac"]
    v0 = float(sim.op()["v(a)"])
    g = _group(_card(CARD), 1, m0=1.0)
    h = 1e-7
    gd = ((g.conductance(np.array([v0 + h]), np.array([-1.0]))[0] * (v0 + h)
           - g.conductance(np.array([v0 - h]), np.array([-1.0]))[0] * (v0 - h)) / (2 * h))[0]
    f = res["frequency"]
    z = 1.0 / (gd + 2j * np.pi * f * 1e-15)
    np.testing.assert_allclose(np.abs(res["v(a)"]), np.abs(z), rtol=1e-6)


# ------------------------------------------------------------------ hazard rates
def test_hazard_rate_is_sun_above_and_neel_brown_below_ic0() -> None:
    g = _group(_card(CARD), 1)
    ksun = g.ksun[0]
    # Sun's coefficient from its definition (independent arithmetic)
    mu_b, e = 9.2740100783e-24, 1.6021766208e-19
    moment = 456e3 * np.pi * (20e-9) ** 2 * 1.3e-9
    k_ref = 2 / (0.5772156649 + np.log(np.pi ** 2 * 40 / 4)) * mu_b * 0.52 / (
        e * moment * (1 + 0.52 ** 2))
    np.testing.assert_allclose(ksun, k_ref, rtol=1e-9)
    for i in (160e-6, 240e-6):  # precessional: Sun's rate (faster than 1/tau0)
        np.testing.assert_allclose(_rate(g, i), ksun * (i - 40e-6), rtol=1e-9)
    # between ic0 and the current where Sun's rate reaches 1/tau0 the rate stays at 1/tau0
    np.testing.assert_allclose(_rate(g, 100e-6), 1e9, rtol=1e-12)
    assert mean_switching_time(200e-6, 40e-6, 40.0, 1e-9, ksun) == pytest.approx(
        1 / (ksun * 160e-6), rel=1e-12)
    for i in (0.0, 20e-6, 36e-6, -30e-6):
        np.testing.assert_allclose(_rate(g, i), np.exp(-40 * (1 - i / 40e-6)) / 1e-9, rtol=1e-9)


# ------------------------------------------------------------------ sampler-level statistics
def _first_switch_sampler(model: dict, current: float, n: int, seed: int) -> np.ndarray:
    """First-switching times of n instances at a constant current through the device's
    evaluate/accept with the exact hazard integral h = r t on a grid of tau/50."""
    g = _group(model, n)
    rng = np.random.default_rng(seed)
    g.start(rng)
    x = _bias(g, current)
    rate = -g.evaluate(x, EvalContext(t=0.0)).i[:, 3]
    tau = 1.0 / rate[0]
    dt = tau / 50.0
    t, h = 0.0, np.zeros(n)
    while t < 12 * tau and np.any(g.state == 0):
        t += dt
        h = h + np.where(g.state == 0, rate, 0.0) * dt
        x[:, 3] = h
        g.accept(x, t, rng)
    ev = g.event_table()
    first = np.full(n, 12 * tau)
    first[ev["instance"]] = ev["t_cross"]
    return first, g.state == 0, tau


@pytest.mark.parametrize("regime, current", [("precessional", 200e-6), ("thermal", 24e-6)])
def test_mean_switching_time_sampler(regime: str, current: float) -> None:
    model = _card(CARD) if regime == "precessional" else {**_card(CARD), "delta": 20.0}
    n = 100_000
    first, censored, tau = _first_switch_sampler(model, current, n, seed=5)
    g = _group(model, 1)
    tau_ref = (1.0 / (g.ksun[0] * (current - 40e-6)) if regime == "precessional"
               else 1e-9 * np.exp(model["delta"] * (1 - current / 40e-6)))
    assert tau == pytest.approx(tau_ref, rel=1e-9)
    mean, events = _censored_mean(first, censored)
    se = 1.0 / np.sqrt(events)
    assert se < 0.004
    assert abs(mean / tau_ref - 1) < 0.01, f"mean/tau = {mean / tau_ref:.4f}, SE {se:.4f}"


def _dwell_times(ev: dict, n: int, t_end: float, initial: np.ndarray
                 ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per state: (durations, censored flags). A dwell runs from the accepted point at which
    the circuit entered the state to the hazard crossing that ends it."""
    out: dict[int, tuple[list, list]] = {0: ([], []), 1: ([], [])}
    for k in range(n):
        sel = ev["instance"] == k
        tc, tf, st = ev["t_cross"][sel], ev["t_flip"][sel], ev["state"][sel]
        starts = np.concatenate([[0.0], tf])
        states = np.concatenate([[initial[k]], st])
        for j in range(tc.size):
            out[int(states[j])][0].append(tc[j] - starts[j])
            out[int(states[j])][1].append(False)
        out[int(states[-1])][0].append(t_end - starts[-1])  # still in it at the end
        out[int(states[-1])][1].append(True)
    return {s: (np.array(d), np.array(c)) for s, (d, c) in out.items()}


def test_pbit_dwell_times_sampler() -> None:
    """Telegraph switching: mean dwell times tau0 exp(delta (1 -+ I/ic0)) within 1 %."""
    current = 4e-6
    n = 4000
    g = _group(_card(PBIT), n)
    rng = np.random.default_rng(9)
    g.start(rng)
    tau_p = 1e-9 * np.exp(3 * (1 - current / 20e-6))
    tau_ap = 1e-9 * np.exp(3 * (1 + current / 20e-6))
    rates = []
    for state in (0.0, 1.0):  # the device's rate in each state at this current
        g.state[:] = state
        rates.append(_rate(g, current)[0])
    g.state[:] = 0.0
    dt, t, h = tau_p / 20.0, 0.0, np.zeros(n)
    t_end = 30 * tau_ap
    x = np.zeros((n, 4))
    while t < t_end * (1 - 1e-12):
        rate = np.where(g.state == 0.0, rates[0], rates[1])
        t += dt
        h = h + rate * dt
        x[:, 3] = h
        g.accept(x, t, rng)
    dwell = _dwell_times(g.event_table(), n, t, np.zeros(n))
    for state, ref in ((0, tau_p), (1, tau_ap)):
        mean, events = _censored_mean(*dwell[state])
        se = 1.0 / np.sqrt(events)
        assert se < 0.004
        assert abs(mean / ref - 1) < 0.01, f"state {state}: {mean / ref:.4f}, SE {se:.4f}"


# ------------------------------------------------------------------ circuit-level statistics
# Closed forms, written out here (not taken from the device code). CARD: 40 nm PMA cell.
MU_B, E_CHARGE = 9.2740100783e-24, 1.6021766208e-19
MOMENT = 456e3 * np.pi * (20e-9) ** 2 * 1.3e-9  # Ms V, A m^2
PRECESSIONAL = (CARD, 200e-6)  # 5 ic0: Sun's rate (1.97e9 /s) exceeds 1/tau0
THERMAL = (CARD.replace("delta=40", "delta=20"), 24e-6)  # 0.6 ic0, delta 20: tau = 2.98 us


def _sun_tau(current: float, ic0: float = 40e-6, delta: float = 40.0, pol: float = 0.52
             ) -> float:
    """Sun, PRB 62, 570 (2000): 1/tau = [2 / (C + ln(pi^2 delta / 4))]
    [mu_B P / (e m (1 + P^2))] (I - ic0)."""
    k = 2.0 / (0.5772156649 + np.log(np.pi ** 2 * delta / 4.0)) * MU_B * pol / (
        E_CHARGE * MOMENT * (1.0 + pol ** 2))
    return 1.0 / (k * (current - ic0))


def _neel_brown_tau(current: float, ic0: float, delta: float, tau0: float = 1e-9) -> float:
    """tau0 exp(delta (1 - I/ic0)); I < 0 is a stabilising current."""
    return tau0 * np.exp(delta * (1.0 - current / ic0))


def _regime(regime: str) -> tuple[str, float, float]:
    """(card, current, closed-form mean switching time)."""
    if regime == "precessional":
        card, current = PRECESSIONAL
        return card, current, _sun_tau(current)
    card, current = THERMAL
    return card, current, _neel_brown_tau(current, 40e-6, 20.0)


@pytest.mark.parametrize("regime", ["precessional", "thermal"])
def test_mean_switching_time_transient(regime: str) -> None:
    """600 trials (2 transients of 300 MTJs, each with its own current source): the mean
    first-switching time within 4 SE of the closed form (SE 4.1 %)."""
    card, current, tau = _regime(regime)
    seed = {"precessional": 2, "thermal": 5}[regime]  # independent samples per regime
    est = mtj_stats.first_switching(card, current, 600, 300, tau, seed=seed)
    assert est.events > 590
    assert est.sigmas < 4.0, str(est)
    assert est.delay < tau / 20  # the circuit sees the flip within one step (tmax = tau/20)


@pytest.mark.slow
@pytest.mark.parametrize("regime", ["precessional", "thermal"])
def test_mean_switching_time_transient_100k(regime: str) -> None:
    """100,000 trials (200 transients of 500 MTJs): SE 0.32 %, the mean within 1 % of Sun's
    formula (precessional) or of tau0 exp(delta (1 - I/ic0)) (thermal), and within 4 SE."""
    card, current, tau = _regime(regime)
    seed = {"precessional": 10_000, "thermal": 30_000}[regime]  # seeds seed .. seed + 199
    est = mtj_stats.first_switching(card, current, 100_000, 500, tau, seed=seed)
    print(f"\n{regime}: {est}")
    assert est.se / est.mean < 0.0035
    assert abs(est.deviation) < 0.01 and est.sigmas < 4.0, str(est)


PBIT_CURRENT = 4e-6


def _pbit_refs() -> tuple[float, float]:
    """Closed-form mean dwell times in P and AP: tau0 exp(delta (1 -+ I/ic0))."""
    return (_neel_brown_tau(PBIT_CURRENT, 20e-6, 3.0),
            _neel_brown_tau(-PBIT_CURRENT, 20e-6, 3.0))


def test_pbit_telegraph_transient() -> None:
    """40 p-bits for 20 tau_AP in one transient: mean dwell times in P and AP within 4 SE
    (SE about 4 %) of tau0 exp(delta (1 -+ I/ic0))."""
    refs = _pbit_refs()
    p, ap = mtj_stats.telegraph(PBIT, PBIT_CURRENT, 40, 1, 20 * refs[1], refs[0] / 20, seed=4,
                                refs=refs)
    for est in (p, ap):
        assert est.events > 500
        assert est.sigmas < 4.0, str(est)


@pytest.mark.slow
def test_pbit_telegraph_transient_100k() -> None:
    """9 transients of 300 p-bits for 50 tau_AP (over 100,000 dwells per state): SE 0.31 %,
    each mean dwell time within 1 % and 4 SE of tau0 exp(delta (1 -+ I/ic0))."""
    refs = _pbit_refs()
    p, ap = mtj_stats.telegraph(PBIT, PBIT_CURRENT, 300, 9, 50 * refs[1], refs[0] / 20,
                                seed=20_000, refs=refs)
    print(f"\nP: {p}\nAP: {ap}")
    for est in (p, ap):
        assert est.events > 100_000
        assert abs(est.deviation) < 0.01 and est.sigmas < 4.0, str(est)


# ------------------------------------------------------------------ reproducibility
def _events_for_seed(seed: int) -> np.ndarray:
    sim = mtj_stats.parallel_circuit(PBIT, 0.0, 3, seed)
    sim.tran(5e-9, 300e-9)
    return _mtj_group(sim).event_table()["t_cross"]


def test_seeded_reproducibility() -> None:
    a, b, c = _events_for_seed(1), _events_for_seed(1), _events_for_seed(2)
    assert a.size > 10
    np.testing.assert_array_equal(a, b)
    assert a.size != c.size or not np.allclose(a, c)


# ------------------------------------------------------------------ level 2: LLGS
LLGS = ("level=2 rp=1k tmr0=1 alpha=0.01 pol=0.6 ms=1.2e6 hk=59.7e3 area=3.1416e-16 "
        "tfl=2.57e-9 theta0=0.05 xi=0.2")


def _llgs_run(extra: str, current: float, tstop: float, tmax: float, seed: int = 0):
    sim = Simulator.from_text(f"llgs\n.model mt mtj({LLGS} {extra})\nI1 0 a dc {current}\n"
                              f"N1 a 0 mt\n.options seed={seed} reltol=1e-4\n.end\n")
    cc = sim.compiled
    for k, name in enumerate(cc.names):  # make the magnetisation visible in the result
        if "#" in name:
            cc.public[k] = True
    return sim, sim.tran(tmax, tstop, tmax=tmax)


def test_llgs_zero_temperature_switching_time_vs_solve_ivp() -> None:
    current = 50e-6
    sim, res = _llgs_run("noise=0", current, 10e-9, 10e-12)
    t, mz = res["time"], res["n1#mz"]
    norm = res["n1#mx"] ** 2 + res["n1#my"] ** 2 + mz ** 2
    assert np.max(np.abs(norm - 1)) < 5e-3
    k = int(np.nonzero(mz < 0)[0][0])
    t_sw = t[k - 1] - mz[k - 1] * (t[k] - t[k - 1]) / (mz[k] - mz[k - 1])

    # reference: the same Landau-Lifshitz-Slonczewski equation, written out independently
    gamma, mu0, hbar, e = 1.76085963023e11, 1.25663706212e-6, 1.054571817e-34, 1.6021766208e-19
    alpha, hk, ms, vol, pol, xi = 0.01, 59.7e3, 1.2e6, 3.1416e-16 * 2.57e-9, 0.6, 0.2
    eta = pol / (2 * (1 + pol ** 2))
    a_j = hbar * eta * current / (2 * e * mu0 * ms * vol)
    gp = gamma * mu0 / (1 + alpha ** 2)
    p = np.array([0.0, 0.0, 1.0])

    def rhs(_t, m):
        h = np.array([0.0, 0.0, hk * m[2]])
        return -gp * (np.cross(m, h) + alpha * np.cross(m, np.cross(m, h))
                      - a_j * np.cross(m, np.cross(m, p)) - xi * a_j * np.cross(m, p))

    def crossing(_t, m):
        return m[2]

    crossing.terminal, crossing.direction = True, -1
    sol = solve_ivp(rhs, (0, 1e-7), [np.sin(0.05), 0.0, np.cos(0.05)], method="DOP853",
                    rtol=1e-11, atol=1e-12, events=crossing)
    t_ref = sol.t_events[0][0]
    assert abs(t_sw / t_ref - 1) < 0.01, f"{t_sw:.4e} vs {t_ref:.4e}"
    # the group's critical current agrees with Ic = 2 e alpha mu0 Ms V hk / (hbar eta) ~ 10 uA
    assert 2 * e * alpha * mu0 * ms * vol * hk / (hbar * eta) == pytest.approx(10e-6, rel=0.02)


def test_llgs_thermal_field_reproducible_and_step_independent() -> None:
    _, a = _llgs_run("tcorr=10p", 0.0, 0.4e-9, 2e-12, seed=3)
    _, b = _llgs_run("tcorr=10p", 0.0, 0.4e-9, 2e-12, seed=3)
    _, c = _llgs_run("tcorr=10p", 0.0, 0.4e-9, 0.5e-12, seed=3)  # other steps, same field
    _, d = _llgs_run("tcorr=10p", 0.0, 0.4e-9, 2e-12, seed=4)
    end = {k: np.array([r[f"n1#{q}"][-1] for q in ("mx", "my", "mz")])
           for k, r in (("a", a), ("b", b), ("c", c), ("d", d))}
    np.testing.assert_array_equal(end["a"], end["b"])
    assert np.linalg.norm(end["a"] - end["c"]) < 2e-3
    assert np.linalg.norm(end["a"] - end["d"]) > 1e-2
    # breakpoints at every interval boundary
    assert np.all(np.isin(np.round(np.arange(1, 40) * 10e-12, 18), np.round(a["time"], 18)))


def test_thermal_field_sigma() -> None:
    g = _group({**_card(LLGS.replace("theta0=0.05 xi=0.2", "")), "tcorr": 1e-12}, 2)
    g.start(np.random.default_rng(0))
    vals = np.concatenate([g.thermal.values(k) for k in range(5000)])
    kt = 1.380649e-23 * 300.15
    sigma = np.sqrt(2 * 0.01 * kt / (1.76085963023e11 * 1.25663706212e-6 ** 2 * 1.2e6
                                     * 3.1416e-16 * 2.57e-9 * 1e-12))
    assert np.std(vals) == pytest.approx(sigma, rel=0.02)


# ------------------------------------------------------------------ library and errors
@pytest.mark.parametrize("section, model", [("pma_stt", "mtj_pma"), ("pma_stt", "mtj_pma_llgs"),
                                            ("pbit", "pbit"), ("rf20nm", "rf20nm")])
def test_library_cards(section: str, model: str) -> None:
    sim = Simulator.from_text(f"lib\n.lib mtj.lib {section}\nI1 0 a dc 1u\nN1 a 0 {model}\n"
                              ".op\n.end\n")
    g = _mtj_group(sim)
    assert g.rp[0] > 0 and g.ic0[0] > 0
    if model == "mtj_pma":
        assert g.ic0[0] == pytest.approx(42e-6, rel=0.03)
        assert g.delta[0] == pytest.approx(12.8, rel=0.02)
    float(sim.op()["v(a)"])


def test_errors() -> None:
    with pytest.raises(ElaborationError, match="m0 must be 0"):
        Simulator.from_text("e\nN1 a 0 mt m0=2\nR1 a 0 1k\n.model mt mtj()\n.end\n")
    with pytest.raises(ElaborationError, match="'foo' is not supported"):
        Simulator.from_text("e\nN1 a 0 mt\nR1 a 0 1k\n.model mt mtj(foo=1)\n.end\n")
    with pytest.raises(ElaborationError, match="level 3"):
        Simulator.from_text("e\nN1 a 0 mt\nR1 a 0 1k\n.model mt mtj(level=3)\n.end\n")


def test_switching_netlist_goes_p_ap_p() -> None:
    from pathlib import Path

    from netsim.simulator import run_file

    path = Path(__file__).parent.parent / "netlists" / "mtj_switching.net"
    r = run_file(path)["tran"]["v(r)"]
    r_ap = 3.979e3 * 1.7
    assert r[0] == pytest.approx(3.979e3, rel=1e-3)
    assert np.any(np.abs(r / r_ap - 1) < 2e-3)  # AP read level between the pulses
    assert r[-1] == pytest.approx(3.979e3, rel=1e-3)
