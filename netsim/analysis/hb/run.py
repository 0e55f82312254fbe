"""``.hb``: driven (and, with osc=, autonomous) harmonic balance, results per spectral line.

hb.csv (output contract): first column ``frequency`` (Hz, DC first, ascending), then the
phasors (peak amplitudes, x(t) = Re sum_k X_k exp(j w_k t)) of every public unknown as
``vr(node)``/``vi(node)`` pairs. With ``points=K`` a second result, hb_time.csv, gives the
waveforms at K samples over one period of the first tone (of the common period when the tones
are commensurate), synthesised from the phasors.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from netsim.analysis.hb.grid import SpectralGrid, build_grid
from netsim.analysis.hb.solve import HBOutcome, HBSettings, LinearStep, solve_with_continuation
from netsim.analysis.hb.system import HarmonicSystem
from netsim.errors import AnalysisError, ConvergenceError, NetsimError
from netsim.results import AnalysisResult


def settings_from(args: dict) -> HBSettings:
    s = HBSettings()
    if "tol" in args:
        s.tol = float(args["tol"])
    if "maxiter" in args:
        s.maxiter = int(args["maxiter"])
    if "solver" in args:
        s.solver = str(args["solver"])
    return s


def grid_from(args: dict) -> SpectralGrid:
    return build_grid(list(args["tones"]), int(args.get("nharm", 5)), args.get("mix"),
                      float(args.get("oversample", 2.0)))


def initial_guess(sim, system: HarmonicSystem) -> np.ndarray:
    """DC line from the operating point (zeros when it fails), harmonics zero."""
    try:
        x0, _ = sim.operating_point(None)
    except NetsimError:
        x0 = sim.initial_guess()
    X = np.zeros((system.L, system.n), dtype=complex)
    X[0] = x0
    return system.to_real(X)


def tolerance_vector(sim, system: HarmonicSystem) -> np.ndarray:
    return np.repeat(sim.atol * 1e-3, system.R)


def run_hb(sim, args: dict) -> list[AnalysisResult]:
    """Run one .hb request: [hb result] (+ [hb_time result] with points=K)."""
    if args.get("osc"):
        from netsim.analysis.hb.autonomous import run_autonomous

        return run_autonomous(sim, args)
    start = time.perf_counter()
    grid = grid_from(args)
    system = HarmonicSystem(sim, grid)
    settings = settings_from(args)
    step = LinearStep(system, settings, sim.circuit.options.get("solver"))
    atol = tolerance_vector(sim, system)
    warm = args.get("start")  # phasors (L, n) of a neighbouring solution, e.g. a sweep's
    if warm is not None and np.shape(warm) == (system.L, system.n):
        z0 = system.to_real(np.asarray(warm, dtype=complex))
    else:
        z0 = initial_guess(sim, system)
    outcome, iters, cont = solve_with_continuation(system, z0, settings, step, atol)
    if not outcome.converged:
        msg, hint = failure_message(sim, system, outcome)
        raise ConvergenceError(msg, args.get("span"), hint=hint)
    X = system.to_complex(outcome.z)
    stats = convergence_stats(system, outcome, iters, cont, step.gmres_iterations, start)
    return results(sim, system, X, grid.freqs, stats, int(args.get("points", 0)), grid.period)


class HbTruncationWarning(UserWarning):
    """A PULSE/PWL source lost a noticeable part of its AC power to the grid's truncation."""


#: fraction of a PULSE/PWL source's AC power dropped beyond the grid that triggers a warning
TRUNCATION_WARN = 0.01


def _truncation_note(system) -> dict:
    """stats entry for sources given as Fourier series, with a warning when much was lost."""
    if not system.truncation:
        return {}
    lossy = {name: f for name, f in system.truncation.items() if f > TRUNCATION_WARN}
    if lossy:
        worst = max(lossy, key=lossy.get)
        warnings.warn(
            f"harmonic balance keeps only the harmonics of '{worst}' (PULSE/PWL) that lie on "
            f"its grid: {100 * lossy[worst]:.1f} % of its AC power is in harmonics beyond "
            f"{system.grid.freqs[-1]:g} Hz and was dropped (raise nharm, or slow its edges)",
            HbTruncationWarning, stacklevel=4)
    return {"series_truncation": dict(system.truncation)}


def convergence_stats(system, outcome: HBOutcome, iters: int, cont: int, gmres: int,
                      start: float) -> dict:
    final = system.evaluate(outcome.z, outcome.lam, jacobian=False, limiting=False)
    F = np.abs(final.fc)  # residual at the solution returned (A on node rows, V on branches)
    return {
        **_truncation_note(system),
        "points": system.L, "lines": system.L, "samples": system.S,
        "unknowns": system.size, "newton_iterations": iters,
        "continuation_steps": cont, "residual": float(F.max(initial=0.0)),
        "gmres_iterations": gmres, "solver": "gmres" if gmres else "direct",
        "residual_history": outcome.history,  # |F| per Newton iteration of the last solve
        "seconds": time.perf_counter() - start,
    }


def results(sim, system: HarmonicSystem, X: np.ndarray, freqs: np.ndarray, stats: dict,
            points: int, period: float) -> list[AnalysisResult]:
    cols = {"frequency": np.asarray(freqs, dtype=float)}
    cols.update(sim.output_columns("hb", X))
    out = [AnalysisResult("hb", "hb", cols, stats, raw=X)]
    if points > 0:
        t = np.arange(points) * (period / points)
        xt = (X[None, :, :] * np.exp(2j * np.pi * freqs[None, :, None] * t[:, None, None]))
        xt = xt.sum(axis=1).real
        tcols = {"time": t}
        tcols.update(sim.output_columns("hb", xt))
        out.append(AnalysisResult("hb_time", "hb_time", tcols, {"points": points}, raw=xt))
    return out


def failure_message(sim, system: HarmonicSystem, outcome: HBOutcome) -> tuple[str, str]:
    """(message, hint) naming the worst unknown and spectral line."""
    cc, grid = sim.compiled, system.grid
    where = f"after {outcome.iterations} Newton iterations"
    if outcome.lam < 1.0:
        where += f" (continuation reached {outcome.lam:.3g} of the RF drive)"
    if outcome.singular is not None:
        return (f"harmonic balance: singular Jacobian {where}; check unknown "
                f"{cc.names[outcome.singular]}",
                "a node may be floating at some frequency; `netsim check` reports topology")
    hint = ("raise nharm (the waveforms may need more harmonics), lower the drive, or "
            "give .nodeset values near the operating point")
    with np.errstate(all="ignore"):
        last = system.evaluate(outcome.z, outcome.lam, jacobian=False, limiting=False)
    if not np.all(np.isfinite(last.fc)):
        return (f"harmonic balance diverged (non-finite values) {where}", hint)
    F = np.abs(last.fc)
    scale = np.where(cc.kinds == "i", 1.0, 1e-6)  # current rows in A, branch rows in V
    line, k = np.unravel_index(int(np.argmax(F / scale[None, :])), F.shape)
    unit = "V" if cc.kinds[k] == "i" else "A"
    return (f"harmonic balance did not converge {where}; largest residual at {cc.names[k]} "
            f"on line {grid.label(int(line))} ({grid.freqs[line]:.6g} Hz): "
            f"{F[line, k]:.3g} {unit}", hint)


def check_osc_node(sim, args: dict) -> int:
    node = args["osc"]
    index = sim.compiled.node_index.get(node)
    if index is None:
        raise AnalysisError(f"'.hb osc={node}': no such node", args.get("osc_span"),
                            hint="name a node of the oscillator, e.g. `osc=out`")
    return index
