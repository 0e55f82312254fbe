"""Small-signal AC analysis around the DC operating point.

``(G + j w C) X = -e`` per frequency, with G = d i/dx and C = d q/dx at the operating point
(Meyer capacitances included) and e the sources' AC excitation in residual convention.
"""

from __future__ import annotations

import time

import numpy as np

from netsim.analysis.dc import MAX_POINTS
from netsim.analysis.linalg import SingularMatrixError, make_solver
from netsim.errors import AnalysisError, ConvergenceError
from netsim.results import AnalysisResult, kept


def frequency_grid(mode: str, points: int, fstart: float, fstop: float) -> np.ndarray:
    """Frequencies (Hz) of ``.ac dec|oct|lin points fstart fstop`` as ngspice lays them."""
    if fstart <= 0.0 and mode != "lin" or fstop < fstart or points < 1:
        raise AnalysisError(
            f"bad .ac range: {mode} {points} {fstart:g} {fstop:g}",
            hint="fstart must be > 0 for dec/oct, fstop >= fstart, points >= 1",
        )
    if mode == "lin":
        if points > MAX_POINTS:
            raise AnalysisError(f"'.ac lin' with {points:g} points, more than {MAX_POINTS:g}",
                                hint="use fewer points")
        return np.linspace(fstart, fstop, points) if points > 1 else np.array([fstart])
    base = 10.0 if mode == "dec" else 2.0
    count = np.floor(np.log(fstop / fstart) / np.log(base) * points + 1e-9) + 1
    if not count <= MAX_POINTS:
        raise AnalysisError(f"'.ac {mode} {points:g} {fstart:g} {fstop:g}' has {count:.3g} "
                            f"frequencies, more than {MAX_POINTS:g}", hint="use fewer points")
    return fstart * base ** (np.arange(int(count)) / points)


def run_ac(sim, freqs: np.ndarray) -> AnalysisResult:
    start = time.perf_counter()
    x0, iters = sim.operating_point(None)
    a = sim.assembler.assemble(x0, sim.ctx(None), charges=True, limiting=False)
    exc = sim.assembler.ac_excitation()
    # as ngspice: no AC source gives zeros (with a warning, as it is rarely meant)
    notes = [] if np.any(exc) else [
        "AC analysis without any AC source: every response is 0 (add `ac 1` to a V or I "
        "source, e.g. `V1 in 0 dc 0 ac 1`)"]
    cc = sim.compiled
    solver = make_solver(cc.n, cc.indptr, cc.indices, sim.circuit.options.get("solver"))
    out = np.empty((len(freqs), cc.n), dtype=complex)
    done = 0
    try:
        for f in freqs:
            try:
                solver.factor(a.g + 2j * np.pi * f * a.c)
            except SingularMatrixError as err:
                raise ConvergenceError(
                    f"singular AC matrix at f={f:g} Hz; check unknown {cc.names[err.index]}",
                    hint="a node may have no path to ground at this frequency",
                ) from None
            out[done] = solver.solve(-exc) if not notes else 0.0
            done += 1
    except KeyboardInterrupt:  # the frequencies so far are kept (InterruptedAnalysis)
        if not done:
            raise
    cols = {"frequency": freqs[:done]}
    cols.update(sim.output_columns("ac", out[:done]))
    result = AnalysisResult("ac", "ac", cols, {
        "points": done, "newton_iterations": iters,
        "seconds": time.perf_counter() - start}, raw=out[:done])
    if notes:
        result.stats["warnings"] = notes
    return kept(result, done < len(freqs))
