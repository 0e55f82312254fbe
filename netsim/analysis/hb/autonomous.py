"""Autonomous harmonic balance for free-running oscillators (``.hb f0 nharm=N osc=node``).

The oscillation frequency f is an unknown. The phase, free for an autonomous circuit, is fixed
by taking the first harmonic of the named node real (Im V_osc[f] = 0): that real unknown's
slot in the Newton vector carries f instead, so the system stays square and its Jacobian
nonsingular (the time-shift null direction is removed). The column of f is dF/df =
j h 2 pi Q_h + CI_h / f (charges, and the incremental Meyer currents C(x) x', scale with f).

Start: the trivial DC solution also satisfies the equations, so Newton starts from a short
transient instead. The circuit is integrated (its own .ic/.nodeset and device seeds start it)
for ``settle`` periods of the guessed frequency (default 10; doubled up to 640 while the
swing of the node still changes by more than 5 % over the last periods) at 32 points per
period and a loose reltol (1e-2); the
oscillation period is measured from the last rising crossings of the node's mean, and the last
period is resampled into phasors. Newton then converges to the periodic steady state; steps
in f are limited to 10 % per iteration.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from netsim.analysis.hb.grid import build_grid
from netsim.analysis.hb.run import (
    check_osc_node,
    convergence_stats,
    failure_message,
    results,
    settings_from,
    tolerance_vector,
)
from netsim.analysis.hb.solve import HBOutcome
from netsim.analysis.hb.system import HarmonicSystem
from netsim.errors import AnalysisError, ConvergenceError

POINTS_PER_PERIOD = 32
START_RELTOL = 1e-2
DEFAULT_SETTLE = 10  # periods of the guess in the first start-up transient
MAX_SETTLE = 640  # periods of the guess
SETTLED = 0.05  # relative change of the swing over the last periods


def run_autonomous(sim, args: dict):
    start = time.perf_counter()
    osc = check_osc_node(sim, args)
    nharm = int(args.get("nharm", 5))
    guess = float(args["tones"][0])
    settle = int(args.get("settle", DEFAULT_SETTLE))
    f_est, X0 = _transient_start(sim, osc, guess, nharm, settle)
    grid = build_grid([f_est], nharm, None, float(args.get("oversample", 2.0)))
    system = HarmonicSystem(sim, grid)
    settings = settings_from(args)
    atol = tolerance_vector(sim, system)
    outcome, f = _newton(system, osc, X0, f_est, settings, atol)
    if not outcome.converged:
        msg, hint = failure_message(sim, system, outcome)
        raise ConvergenceError(msg.replace("harmonic balance", "autonomous harmonic balance"),
                               args.get("span"),
                               hint=hint + "; or a better frequency guess on the .hb card")
    X = system.to_complex(outcome.z)
    X[1, osc] = X[1, osc].real
    if abs(X[1, osc]) <= 1e-6 * max(np.abs(X[:, osc]).max(), 1e-12):
        raise ConvergenceError(
            "autonomous harmonic balance fell onto the non-oscillating (DC) solution",
            args.get("span"),
            hint="give a frequency guess closer to the oscillation, or more start-up periods "
                 "(settle=20 on the .hb card)")
    freqs = np.arange(system.L) * f
    stats = convergence_stats(system, outcome, outcome.iterations, 0, 0, start)
    stats["frequency"] = f
    stats["transient_estimate"] = f_est
    return results(sim, system, X, freqs, stats, int(args.get("points", 0)), 1.0 / f)


def _transient_start(sim, osc: int, guess: float, nharm: int, settle: int):
    """(frequency estimate, phasors (nharm+1, n)) from a start-up transient of ``settle``
    periods, doubled (up to MAX_SETTLE) while the oscillation amplitude is still changing."""
    while True:
        t, x, tstop = _startup_transient(sim, guess, settle)
        estimate = _last_period(sim, osc, t, x, tstop, nharm)
        if estimate is not None or settle >= MAX_SETTLE:
            break
        settle *= 2
    if estimate is None:
        raise AnalysisError(
            f"autonomous .hb: node '{sim.compiled.names[osc]}' has no steady oscillation after "
            f"{settle} periods of the guessed frequency in the start-up transient",
            hint="check the bias (oscillation threshold), the frequency guess, or start it "
            "with .ic, e.g. `.ic v(n1)=0`")
    return estimate


def _startup_transient(sim, guess: float, settle: int):
    from netsim.analysis.transient import run_tran

    period = 1.0 / guess
    tstop = settle * period
    step = period / POINTS_PER_PERIOD
    saved = sim.tol
    # a starting guess only: Newton refines it, so the transient may be coarse
    sim.tol = replace(saved, reltol=max(saved.reltol, START_RELTOL), trtol=7.0)
    try:
        tr = run_tran(sim, step, tstop, 0.0, step, False,
                      str(sim.circuit.options.get("method", "trap")))
    finally:
        sim.tol = saved
    return tr["time"], tr.raw, tstop


def _last_period(sim, osc: int, t: np.ndarray, x: np.ndarray, tstop: float, nharm: int):
    """Frequency and phasors of the last period, or None when the oscillation at the node is
    absent or its amplitude still changes by more than SETTLED between the last periods."""
    v = x[:, osc]
    tail = t >= tstop * 0.5
    mid = 0.5 * (v[tail].max() + v[tail].min())
    scale = max(np.abs(v[tail]).max(), 1e-12)
    if v[tail].max() - v[tail].min() < 1e-6 * scale:
        return None
    above = v - mid
    rising = np.nonzero((above[:-1] < 0) & (above[1:] >= 0) & tail[1:])[0]
    if len(rising) < 4:
        return None
    tc = t[rising] - above[rising] * (t[rising + 1] - t[rising]) / (
        above[rising + 1] - above[rising])
    swings = [np.ptp(v[(t >= a) & (t < b)]) for a, b in zip(tc[-4:-1], tc[-3:])]
    if abs(swings[-1] - swings[0]) > SETTLED * swings[-1]:
        return None
    T = float(np.mean(np.diff(tc)[-min(len(tc) - 1, 5):]))
    samples = 8 * (2 * nharm + 1)
    ts = tc[-1] - T + T * np.arange(samples) / samples
    xs = np.stack([np.interp(ts, t, x[:, k]) for k in range(x.shape[1])], axis=1)
    spec = np.fft.rfft(xs, axis=0)[: nharm + 1] / samples
    spec[1:] *= 2.0
    # shift time so that the first harmonic of the node is real
    theta = np.angle(spec[1, osc])
    spec *= np.exp(-1j * theta * np.arange(nharm + 1))[:, None]
    return 1.0 / T, spec


def _newton(system: HarmonicSystem, osc: int, X0: np.ndarray, f0: float, settings,
            atol: np.ndarray) -> tuple[HBOutcome, float]:
    R, L = system.R, system.L
    slot = osc * R + L  # Im X_osc[1] in the real layout, replaced by f
    harmonics = np.arange(L)
    z = system.to_real(X0)
    z[slot] = 0.0
    f = f0
    system.limit_memory.clear()
    history: list[float] = []
    ev = None
    with np.errstate(all="ignore"):
        for it in range(1, settings.maxiter + 1):
            system.omega = 2 * np.pi * f * harmonics
            ev = system.evaluate(z, 1.0)
            history.append(float(np.linalg.norm(ev.f)))
            if not (np.all(np.isfinite(ev.f)) and np.all(np.isfinite(ev.jac))):
                return HBOutcome(z, False, it, ev, 1.0, history), f
            J = sp.csc_matrix((ev.jac, system.indices, system.indptr),
                              shape=(system.size, system.size)).tolil()
            dF = 1j * 2 * np.pi * harmonics[:, None] * ev.q
            if ev.ci is not None:
                dF = dF + ev.ci / f
            J[:, slot] = system.to_real(dF)[:, None]
            try:
                dz = spla.spsolve(J.tocsc(), -ev.f)
            except RuntimeError:
                return HBOutcome(z, False, it, ev, 1.0, history), f
            if not np.all(np.isfinite(dz)):
                return HBOutcome(z, False, it, ev, 1.0, history), f
            df = dz[slot]
            if abs(df) > 0.1 * f:
                dz *= 0.1 * f / abs(df)
                df = dz[slot]
            dz[slot] = 0.0
            z_new = z + dz
            ref = np.repeat(np.abs(z_new).reshape(-1, R).max(axis=1), R)
            ok = not ev.limited and abs(df) <= settings.tol * f and bool(np.all(
                np.abs(dz) <= settings.tol * np.maximum(np.abs(z_new), ref) + atol))
            z, f = z_new, f + df
            if ok and it > 1:
                system.omega = 2 * np.pi * f * harmonics
                return HBOutcome(z, True, it, ev, 1.0, history), f
    return HBOutcome(z, False, settings.maxiter, ev, 1.0, history), f
