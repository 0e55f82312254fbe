"""DC operating point: Newton, then gmin stepping, then source stepping (ngspice's order).

A cold start follows SPICE's initialisation modes: the first iteration evaluates junctions at
their critical voltages (MODEINITJCT); devices flagged ``off`` are then held at zero bias
until that solution converges (MODEINITFIX), and released from there, so that ``off``
selects the state of a latch as in ngspice.

Also used for each point of a DC sweep and for the operating point that starts a transient.
Node clamps implement ``.nodeset`` (released after a first solve) and, for the transient's
operating point without ``uic``, ``.ic`` (held: ngspice ties those nodes through 1e10 S).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from netsim.analysis.newton import NewtonOutcome, describe_failure, newton
from netsim.devices.base import EvalContext
from netsim.errors import ConvergenceError

CLAMP_CONDUCTANCE = 1e10  # S, as ngspice's nodeset/ic enforcement


@dataclass
class Clamp:
    """Unknown indices (k,) held at values (k,) volts."""

    index: np.ndarray
    value: np.ndarray


def static_system(sim, ctx: EvalContext, gshunt: float = 0.0, clamp: Clamp | None = None,
                  source: np.ndarray | None = None):
    """F(x), J(x) of the DC equations, with an optional shunt on node rows and clamps.

    source: (n,) constant source vector (residual convention) that replaces the independent
    sources' own terms: the devices are evaluated with srcfact = 0 and ``ctx.srcfact * source``
    is added to the residual (so source stepping ramps it). Used by the weak-RF analysis.
    """
    asm = sim.assembler
    dev_ctx = ctx if source is None else replace(ctx, srcfact=0.0)
    cc = sim.compiled
    node_rows = np.nonzero(cc.kinds == "v")[0]
    held_entries = sim.held_entries

    def system(x: np.ndarray):
        a = asm.assemble(x, dev_ctx)
        f, j = a.i, a.g
        if source is not None:
            f = f + ctx.srcfact * source
        if gshunt or clamp is not None or cc.held.size:
            f = f.copy()
            j = j.copy()
        if cc.held.size:  # held states: x_k - initial_k = 0 replaces their equations
            f[cc.held] = x[cc.held] - cc.held_value
            j[held_entries] = 0.0
            j[cc.diag_pos[cc.held]] = 1.0
        if gshunt:
            f[node_rows] += gshunt * x[node_rows]
            j[cc.diag_pos[node_rows]] += gshunt
        if clamp is not None and clamp.index.size:
            f[clamp.index] += CLAMP_CONDUCTANCE * (x[clamp.index] - clamp.value * ctx.srcfact)
            j[cc.diag_pos[clamp.index]] += CLAMP_CONDUCTANCE
        return f, j, a.limited

    return system


def solve_op(
    sim,
    ctx: EvalContext,
    x0: np.ndarray | None = None,
    *,
    hold: Clamp | None = None,
    nodeset: Clamp | None = None,
    where: str = "in the operating point",
    polish: bool = True,
    source: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Solve the DC equations; returns (x, total Newton iterations) or raises
    ConvergenceError naming the worst node and device.

    source: a constant source vector replacing the independent sources' terms (see
    :func:`static_system`)."""
    tol = sim.tol
    x = sim.initial_guess() if x0 is None else np.array(x0, dtype=float)
    x0_fresh = x if x0 is None else None  # a cold start gets SPICE's first-iteration points
    total = 0

    asm = sim.assembler

    def newton_run(x_start, c, gshunt, clamp, maxiter, pol):
        nonlocal total
        out = newton(static_system(sim, c, gshunt, clamp, source), x_start, sim.solver, tol.reltol,
                     sim.atol, maxiter, polish=pol, linear=asm.is_linear,
                     currents=sim.current_test)
        total += out.iterations
        return out

    def run(x_start, c: EvalContext, gshunt=0.0, clamp=hold, maxiter=tol.itl1, pol=False):
        if x_start is x0_fresh:  # a cold start: SPICE's first-iteration junction points
            asm.reset_limiting(initial=True)
            if asm.has_off:  # SPICE's MODEINITFIX: solve with the ``off`` devices held off,
                asm.fix_off = True  # then release them from there (a latch's chosen state)
                try:
                    held = newton_run(x_start, c, gshunt, clamp, maxiter, False)
                finally:
                    asm.fix_off = False
                if held.converged:
                    x_start = held.x
        return newton_run(x_start, c, gshunt, clamp, maxiter, pol)

    if nodeset is not None and nodeset.index.size:
        merged = nodeset if hold is None else Clamp(
            np.concatenate([hold.index, nodeset.index]), np.concatenate([hold.value, nodeset.value])
        )
        first = run(x, ctx, clamp=merged)
        if first.converged:
            x = first.x

    out = run(x, ctx, pol=polish)
    if out.converged:
        return out.x, total
    failure = out

    # gmin stepping: a shunt on every node from 1e-2 S down, decade by decade
    out = _gmin_stepping(sim, ctx, x, run) if tol.gminsteps > 0 else None
    if out is not None and out.converged:
        return out.x, total

    # source stepping: ramp every independent source from 0 to its value
    out = _source_stepping(sim, ctx, run, x) if tol.srcsteps > 0 else None
    if out is not None and out.converged:
        return out.x, total

    message, hint = describe_failure(sim.compiled, failure, where)
    raise ConvergenceError(message + " (gmin and source stepping also failed)", hint=hint)


def _gmin_stepping(sim, ctx, x, run) -> NewtonOutcome | None:
    """Dynamic gmin stepping (as ngspice's): a shunt on every node from 1e-2 S, divided by a
    factor after each converged solve; a failed step goes back to the last converged shunt
    with a smaller factor (its fourth root), until the shunt is below gmin."""
    gshunt, factor = 1e-2, 10.0
    out = run(x, ctx, gshunt=gshunt)
    if not out.converged:
        return None
    x_good = out.x
    while gshunt > sim.tol.gmin:
        trial = gshunt / factor
        out = run(x_good, ctx, gshunt=trial)
        if out.converged:
            gshunt, x_good = trial, out.x
            factor = min(factor * factor, 10.0)
        else:
            factor = factor ** 0.25
            if factor < 1.00005:
                return None
    return run(x_good, ctx, pol=True)


def _source_stepping(sim, ctx, run, x_cur) -> NewtonOutcome | None:
    factor, step = 0.0, 0.1
    base = EvalContext(t=ctx.t, srcfact=0.0, gmin=ctx.gmin)
    out = run(x_cur, base)
    if not out.converged:
        return None
    x_cur = out.x
    while factor < 1.0:
        trial = min(1.0, factor + step)
        out = run(x_cur, EvalContext(t=ctx.t, srcfact=trial, gmin=ctx.gmin))
        if out.converged:
            factor, x_cur = trial, out.x
            step = min(step * 2.0, 0.5)
        else:
            step /= 4.0
            if step < 1e-6:
                return None
    return run(x_cur, ctx, pol=True)
