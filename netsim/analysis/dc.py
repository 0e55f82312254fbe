"""DC sweep (``.dc src start stop step [src2 start2 stop2 step2]``).

Sweepable: independent V and I sources (their DC value), resistors (their resistance) and
``temp``, the circuit temperature in degrees C (every device is rebuilt at each temperature,
as ngspice re-runs its temperature updates; the unknowns keep their order, so each point still
starts from the last). The first source is the inner sweep, the second the outer one (ngspice's
order). Each point starts Newton from the previous point's solution. Columns: the inner
source's name, then the outer source's name (nested sweeps), then the quantities.
"""

from __future__ import annotations

import time

import numpy as np

from netsim.analysis.op import solve_op
from netsim.errors import AnalysisError
from netsim.results import AnalysisResult, kept

TEMPERATURE = "temp"  # the sweep name of the circuit temperature (.dc temp ...)
MAX_POINTS = 1e7  # a sweep or frequency grid beyond this is a typo, not a study


def sweep_values(start: float, stop: float, step: float) -> np.ndarray:
    """Points from start to stop inclusive by step (sign of step must match the direction)."""
    if step == 0.0 or (stop - start) * step < 0.0:
        if start == stop:
            return np.array([start])
        raise AnalysisError(
            f"sweep step {step:g} does not lead from {start:g} to {stop:g}",
            hint="give a non-zero step with the sign of (stop - start)",
        )
    count = np.floor((stop - start) / step * (1 + 1e-12) + 1e-9) + 1
    if not count <= MAX_POINTS:
        raise AnalysisError(f"the sweep from {start:g} to {stop:g} by {step:g} has {count:.3g} "
                            f"points, more than {MAX_POINTS:g}", hint="use a larger step")
    return start + step * np.arange(int(count))


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
        hint=f"sweepable: {', '.join(sweepable[:12] + [TEMPERATURE])}",
    )


class _Sweep:
    """Sets one sweep's elements (or the temperature) to a value; remembers the nominal."""

    def __init__(self, sim, names: list[str]) -> None:
        self.names = names
        self.temperature = names == [TEMPERATURE]
        self._found: tuple = (None, [])  # (the compiled circuit searched, its setters)
        self.nominal = sim.circuit.temp if self.temperature else \
            [grp.device.dc_value(name) for (grp, _), name in zip(self._setters(sim), names)]

    def _setters(self, sim) -> list:
        """The elements' setters, looked up again only after a rebuild at a new temperature
        (which compiles new device groups)."""
        if self._found[0] is not sim.compiled:
            self._found = (sim.compiled, [_setter(sim, name) for name in self.names])
        return self._found[1]

    def apply(self, sim, value) -> None:
        if self.temperature:
            sim.set_temperature(float(value))
        else:
            _apply(sim, self._setters(sim), value)

    def restore(self, sim) -> None:
        if self.temperature:
            if sim.circuit.temp != self.nominal:
                sim.set_temperature(self.nominal)
        else:
            for grp_setter, value in zip(self._setters(sim), self.nominal):
                _apply(sim, [grp_setter], value)


def run_dc(sim, sweeps: list[tuple[str, np.ndarray]],
           targets: list[list[str]] | None = None) -> AnalysisResult:
    """Sweep; targets[i] lists the instances set by sweep i (default: the sweep's own name;
    a batch of variants sets the copy in every variant)."""
    start_time = time.perf_counter()
    targets = targets or [[name] for name, _ in sweeps]
    setters = [_Sweep(sim, names) for names in targets]
    inner_name, inner_vals = sweeps[0]
    outer = sweeps[1] if len(sweeps) > 1 else None
    outer_vals = outer[1] if outer else np.array([np.nan])
    rows_inner, rows_outer, solutions = [], [], []
    iterations = 0
    x = None
    interrupted = False
    try:
        for vo in outer_vals:
            if outer:
                setters[1].apply(sim, vo)
            for vi in inner_vals:
                setters[0].apply(sim, vi)
                if outer and setters[0].temperature:  # the rebuild took the netlist values
                    setters[1].apply(sim, vo)
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
    finally:  # later analyses see the netlist values (the temperature first: it rebuilds)
        for sweep in sorted(setters, key=lambda sw: not sw.temperature):
            sweep.restore(sim)
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
