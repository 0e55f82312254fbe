"""DC sweep (``.dc src start stop step [src2 start2 stop2 step2]``).

Sweepable: independent V and I sources (their DC value) and resistors (their resistance).
The first source is the inner sweep, the second the outer one (ngspice's order). Each point
starts Newton from the previous point's solution. Columns: the inner source's name, then the
outer source's name (nested sweeps), then the quantities.
"""

from __future__ import annotations

import time

import numpy as np

from netsim.analysis.op import solve_op
from netsim.errors import AnalysisError
from netsim.results import AnalysisResult, kept


def sweep_values(start: float, stop: float, step: float) -> np.ndarray:
    """Points from start to stop inclusive by step (sign of step must match the direction)."""
    if step == 0.0 or (stop - start) * step < 0.0:
        if start == stop:
            return np.array([start])
        raise AnalysisError(
            f"sweep step {step:g} does not lead from {start:g} to {stop:g}",
            hint="give a non-zero step with the sign of (stop - start)",
        )
    count = int(np.floor((stop - start) / step * (1 + 1e-12) + 1e-9)) + 1
    return start + step * np.arange(count)


def _setter(sim, name: str):
    for grp in sim.compiled.groups:
        if name in grp.device.names:
            setter = grp.device.dc_value_setter(name)
            if setter is not None:
                return grp, setter
    sweepable = sorted(
        n for grp in sim.compiled.groups for n in grp.device.names
        if grp.device.family in ("vsource", "isource", "resistor", "port")
    )
    raise AnalysisError(
        f"cannot sweep '{name}': not an independent source or resistor of this circuit",
        hint=f"sweepable elements: {', '.join(sweepable[:12]) or 'none'}",
    )


def run_dc(sim, sweeps: list[tuple[str, np.ndarray]],
           targets: list[list[str]] | None = None) -> AnalysisResult:
    """Sweep; targets[i] lists the instances set by sweep i (default: the sweep's own name;
    a batch of variants sets the copy in every variant)."""
    start_time = time.perf_counter()
    targets = targets or [[name] for name, _ in sweeps]
    setters = [[_setter(sim, name) for name in names] for names in targets]
    inner_name, inner_vals = sweeps[0]
    outer = sweeps[1] if len(sweeps) > 1 else None
    outer_vals = outer[1] if outer else np.array([np.nan])
    rows_inner, rows_outer, solutions = [], [], []
    iterations = 0
    x = None
    nominal = [[grp.device.dc_value(name) for (grp, _), name in zip(group, names)]
               for group, names in zip(setters, targets)]
    interrupted = False
    try:
        for vo in outer_vals:
            if outer:
                _apply(sim, setters[1], vo)
            for vi in inner_vals:
                _apply(sim, setters[0], vi)
                x, its = solve_op(sim, sim.ctx(None), x,
                                  where=f"in the DC sweep at {inner_name} = {vi:g}")
                iterations += its
                rows_inner.append(vi)
                rows_outer.append(vo)
                solutions.append(x)
    except KeyboardInterrupt:  # the points so far are kept (InterruptedAnalysis)
        if not solutions:
            raise
        interrupted = True
    finally:
        for group, values in zip(setters, nominal):  # later analyses see the netlist values
            for grp_setter, value in zip(group, values):
                _apply(sim, [grp_setter], value)
    cols = {inner_name: np.array(rows_inner)}
    if outer:
        cols[outer[0]] = np.array(rows_outer)
    raw = np.array(solutions)
    cols.update(sim.output_columns("dc", raw))
    result = AnalysisResult("dc", "dc", cols, {
        "points": len(solutions), "newton_iterations": iterations,
        "seconds": time.perf_counter() - start_time}, raw=raw)
    return kept(result, interrupted)


def _apply(sim, grp_setters, value: float) -> None:
    restamp = False
    for grp, setter in grp_setters:
        setter(float(value))
        restamp |= grp.device.linear  # fixed stamps and cached source terms
    if restamp:
        sim.assembler.restamp_linear()
