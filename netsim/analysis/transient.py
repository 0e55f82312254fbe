"""Transient analysis with SPICE's time-step control.

The loop follows ngspice's dctran: start from the operating point (or from ``.ic``/``ic=`` with
``uic``), take the first step and every step after a source corner (breakpoint) with backward
Euler and a step of a tenth of the distance to the next breakpoint, hit breakpoints exactly,
accept a step when the local truncation error allows at least 0.9 of it, grow by at most 2x,
raise the order to 2 when the order-2 estimate allows more than 1.05x, cut the step by 8 and
fall back to order 1 when Newton fails (itl4 iterations), and stop with a diagnostic when the
step falls below 1e-11 tmax. tmax defaults to min(tstep, (tstop - tstart) / 50) as in ngspice.
Every accepted time point is reported (no interpolation), from tstart on.
"""

from __future__ import annotations

import time

import numpy as np

from netsim.analysis.integrators import METHODS, coefficients, lte_step
from netsim.analysis.newton import describe_failure, newton
from netsim.errors import AnalysisError, ConvergenceError
from netsim.results import AnalysisResult


def _check_args(tstep: float, tstop: float, tstart: float, tmax: float | None, method: str):
    if not tstep > 0.0 or not tstop > 0.0:
        raise AnalysisError(f".tran needs tstep > 0 and tstop > 0, got {tstep:g} {tstop:g}",
                            hint="e.g. `.tran 1n 100n`")
    if not 0.0 <= tstart < tstop:
        raise AnalysisError(f".tran tstart must satisfy 0 <= tstart < tstop, got {tstart:g}")
    if tmax is not None and not tmax > 0.0:
        raise AnalysisError(f".tran tmax must be > 0, got {tmax:g}")
    if method not in METHODS:
        raise AnalysisError(f"unknown integration method '{method}'",
                            hint=f"use one of: {', '.join(METHODS)} (.options method=gear)")


def _breakpoints(sim, tstop: float) -> np.ndarray:
    pts = [np.array([tstop])]
    for grp in sim.compiled.groups:
        pts.append(np.asarray(grp.device.breakpoints(0.0, tstop), dtype=float))
    bps = np.unique(np.concatenate(pts))
    return bps[(bps > 0.0) & (bps <= tstop)]


def _initial_uic(sim) -> np.ndarray:
    """Initial unknowns for ``uic``: .ic node voltages, inductor ic= currents, zero elsewhere."""
    cc = sim.compiled
    x0 = np.zeros(cc.n)
    for node, value in sim.circuit.ic.items():
        if node in cc.node_index:
            x0[cc.node_index[node]] = value
    for inst in sim.circuit.instances:
        if inst.family == "inductor" and "ic" in inst.params:
            x0[cc.branch_index[inst.name]] = float(inst.params["ic"])
    return x0


def _apply_capacitor_ic(sim, x0: np.ndarray, q0: np.ndarray) -> None:
    """With uic, a capacitor's initial charge is C * ic (not C times its node voltages)."""
    x_ext = np.append(x0, 0.0)
    n = sim.compiled.n
    for grp in sim.compiled.groups:
        if grp.device.family != "capacitor":
            continue
        for k, inst in enumerate(grp.device.instances):
            if "ic" not in inst.params:
                continue
            p, m = grp.conn[k]
            dq = grp.device.capacitance[k] * (float(inst.params["ic"]) - (x_ext[p] - x_ext[m]))
            if p < n:
                q0[p] += dq
            if m < n:
                q0[m] -= dq


class InterpolationControl:
    """Caps the step so that straight lines between reported points stay within ``reltol`` of
    each reported quantity's range seen so far (plus a floor of 10 vntol or 1000 abstol): the
    waveform as written, read with linear interpolation as plotting and comparison tools do,
    keeps the solver's accuracy between points. Bound: h^2 |x''| / 8 <= tol.

    The curvature is the mean of the last two second divided differences, which cancels the
    step-to-step alternation the trapezoidal rule leaves on capacitor currents after a corner
    (that alternation does not shrink with the step, so it must not drive it)."""

    def __init__(self, cc, tol, x0: np.ndarray) -> None:
        self.rows = np.nonzero(cc.public)[0]
        self.reltol = tol.reltol
        self.floor = np.where(cc.kinds[self.rows] == "i", 1e3 * tol.abstol, 10.0 * tol.vntol)
        self.lo = x0[self.rows].copy()
        self.hi = x0[self.rows].copy()
        self.previous: np.ndarray | None = None

    def step(self, sols: list[np.ndarray], steps: list[float]) -> float:
        if not self.rows.size:
            return np.inf
        x0, x1, x2 = (sols[-1][self.rows], sols[-2][self.rows], sols[-3][self.rows])
        np.minimum(self.lo, x0, out=self.lo)
        np.maximum(self.hi, x0, out=self.hi)
        h0, h1 = steps[-1], steps[-2]
        second = ((x0 - x1) / h0 - (x1 - x2) / h1) / (0.5 * (h0 + h1))
        curvature = np.abs(second if self.previous is None else 0.5 * (second + self.previous))
        self.previous = second
        tol = self.reltol * (self.hi - self.lo) + self.floor
        worst = np.max(curvature / tol)
        return float(np.sqrt(8.0 / worst)) if worst > 0.0 else np.inf


def run_tran(sim, tstep: float, tstop: float, tstart: float = 0.0, tmax: float | None = None,
             uic: bool = False, method: str = "trap", fixed_step: float | None = None,
             ) -> AnalysisResult:
    """Integrate from 0 to tstop; returns every accepted point with t >= tstart.

    fixed_step: take steps of exactly this size (s) with no error control (first step backward
    Euler, then the method's own order): for convergence-order studies.
    """
    wall = time.perf_counter()
    method = {"trapezoidal": "trap", "gear2": "gear", "euler": "be"}.get(method, method)
    _check_args(tstep, tstop, tstart, tmax, method)
    if tmax is None:
        tmax = min(tstep, (tstop - tstart) / 50.0)
    tol = sim.tol
    asm = sim.assembler
    for grp in sim.compiled.groups:
        bind = getattr(grp.device, "bind_transient", None)
        if bind is not None:
            bind(tstep, tstop)
    asm.restamp_linear()
    bps = _breakpoints(sim, tstop)

    iterations = 0
    if uic:
        x = _initial_uic(sim)
    else:
        x, iterations = sim.operating_point(t=0.0, hold_ic=True)
    ctx0 = sim.ctx(0.0)
    hist = asm.initial_history(x, ctx0)
    first = asm.assemble(x, ctx0, charges=True, limiting=False, history=hist)
    q = first.q
    if uic:
        _apply_capacitor_ic(sim, x, q)
    qdot = np.zeros_like(q)
    charge_rows = np.nonzero(np.bincount(sim.compiled.indices, np.abs(first.c), sim.compiled.n)
                             + np.abs(q) > 0.0)[0]
    asm.reset_limiting()

    delmin = 1e-11 * tmax
    interp = InterpolationControl(sim.compiled, tol, x)
    times, sols = [0.0], [x]
    qs, qdots, steps = [q], [qdot], []
    t, order = 0.0, 1
    delta = min(tstop / 100.0, tstep) / 10.0
    save_delta = delta
    at_breakpoint = True
    bi = 0
    rejected = 0
    last: list = [None]

    while t < tstop * (1.0 - 1e-12):
        while bi < len(bps) and bps[bi] <= t + delmin:
            bi += 1
        next_bp = bps[bi] if bi < len(bps) else tstop
        if fixed_step is not None:
            delta = min(fixed_step, tstop - t)
            hit, at_breakpoint = False, False
        if at_breakpoint:
            order = 1
            delta = min(delta, 0.1 * min(save_delta, next_bp - t))
        delta = min(delta, tmax) if fixed_step is None else delta
        hit = False
        if fixed_step is None and t + delta >= next_bp - delmin:
            save_delta = delta
            delta = next_bp - t
            hit = True
        elif t < tstart < t + delta:  # output starts exactly at tstart (not a corner)
            delta = tstart - t
        t_new = t + delta
        h1 = steps[-1] if steps else delta
        q2 = qs[-2] if len(qs) > 1 else qs[-1]
        a0, b = coefficients(method, order, delta, h1, qs[-1], q2, qdots[-1])
        ctx = sim.ctx(t_new)

        def system(xv, a0=a0, b=b, ctx=ctx):
            a = asm.assemble(xv, ctx, charges=True, history=hist)
            last[0] = a
            return a.i + a0 * a.q + b, a.g + a0 * a.c, a.limited

        out = newton(system, x, sim.solver, tol.reltol, sim.atol, tol.itl4)
        iterations += out.iterations
        if not out.converged:
            rejected += 1
            delta /= 8.0
            order = 1
            at_breakpoint = False
            if delta < delmin:
                message, hint = describe_failure(sim.compiled, out, f"at t={t_new:.6g} s")
                raise ConvergenceError("time step too small: " + message, hint=hint)
            continue
        a_last = last[0]
        q_new = a_last.q
        qdot_new = a0 * q_new + b
        new_delta = 2.0 * delta
        if fixed_step is not None:
            order = 1 if method == "be" else 2
        elif charge_rows.size:
            charges = [q_new[charge_rows]] + [qq[charge_rows] for qq in qs[::-1][:3]]
            while len(charges) < 4:
                charges.append(charges[-1])
            hsteps = [delta] + steps[::-1][:2]
            while len(hsteps) < 3:
                hsteps.append(tmax)
            args = (charges, hsteps, qdot_new[charge_rows], qdots[-1][charge_rows],
                    tol.reltol, tol.abstol, tol.chgtol, tol.trtol)
            new_delta = min(new_delta, lte_step(method, order, *args))
            if new_delta <= 0.9 * delta:
                rejected += 1
                delta = new_delta
                at_breakpoint = False
                if delta < delmin:
                    raise ConvergenceError(
                        f"time step too small at t={t_new:.6g} s: the truncation error stays "
                        "above tolerance",
                        hint="relax reltol/trtol in .options or check for discontinuous sources",
                    )
                continue
            if order == 1 and method != "be":
                delta2 = min(2.0 * delta, lte_step(method, 2, *args))
                if delta2 > 1.05 * delta:
                    order = 2
                    new_delta = delta2
        # accept
        t = t_new
        x = out.x
        asm.accept(hist, a_last)
        times.append(t)
        sols.append(x)
        qs.append(q_new)
        qdots.append(qdot_new)
        steps.append(delta)
        if len(qs) > 4:
            del qs[0], qdots[0], steps[0]
        at_breakpoint = hit
        if fixed_step is None and len(sols) >= 3:
            # floored at tmax / 100: a jump (not a curve) in a quantity, or the trapezoidal
            # rule's alternation on a capacitor current, must not collapse the step
            new_delta = min(new_delta, max(interp.step(sols, steps), 0.01 * tmax))
        delta = new_delta
        if sim.progress is not None:
            sim.progress(t / tstop)

    times_arr = np.array(times)
    keep = times_arr >= tstart * (1.0 - 1e-12)
    cols = {"time": times_arr[keep]}
    cols.update(sim.output_columns("tran", np.array(sols)[keep]))
    return AnalysisResult("tran", "tran", cols, {
        "points": int(keep.sum()), "newton_iterations": iterations, "rejected": rejected,
        "seconds": time.perf_counter() - wall})
