"""Transient analysis with SPICE's time-step control.

The loop follows ngspice's dctran: start from the operating point (or from ``.ic``/``ic=`` with
``uic``), take the first step and every step after a source corner (breakpoint) with backward
Euler and a step of a tenth of the distance to the next breakpoint, hit breakpoints exactly,
accept a step when the local truncation error allows at least 0.9 of it, grow by at most 2x,
raise the order to 2 when the order-2 estimate allows more than 1.05x, cut the step by 8 and
fall back to order 1 when Newton fails (itl4 iterations), and stop with a diagnostic when the
step falls below 1e-11 tmax. tmax defaults to min(tstep, (tstop - tstart) / 50) as in ngspice.
Beyond ngspice, the steps after a corner are also checked by step doubling
(:func:`split_step_ratio`), and reported points are kept faithful to straight-line reading
(:class:`InterpolationControl`); docs/numerics.md has the measurements.
Every accepted time point is reported (no interpolation), from tstart on; with ``uic`` the
start itself is not (its unknowns are the .ic/ic= values and zeros, not a solution: ngspice
writes no row for it either).
"""

from __future__ import annotations

import time

import numpy as np

from netsim.analysis.assembly import IncrementalHistory
from netsim.analysis.integrators import METHODS, coefficients, lte_step
from netsim.analysis.newton import describe_failure, newton
from netsim.circuit.elements import MOSFET_IC
from netsim.circuit.graph import UnionFind
from netsim.devices.base import DeviceGroup
from netsim.errors import AnalysisError, ConvergenceError
from netsim.results import AnalysisResult, kept


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
    x0 = sim.initial_guess()
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


# a transient that needs more points than this cannot finish (a unit typo in its card)
MAX_STEPS = 1e9
# the reported-point controls never cut a step below tmax / 100, except the first step after a
# source corner, which may go down to this fraction of tmax (docs/numerics.md)
CORNER_FLOOR = 0.002
# the step-doubling check of the steps after a corner measures their actual error (a jump,
# which smaller steps cannot resolve, passes it), so it may cut much further
SPLIT_FLOOR = 1e-5


class InterpolationControl:
    """Keeps straight lines between reported points within ``reltol / 2`` of each reported
    quantity's range seen so far (plus a floor of 10 vntol or 1000 abstol): the waveform as
    written, read with linear interpolation as plotting and comparison tools do, keeps the
    solver's accuracy between points. Bound: h^2 |x''| / 8 <= tol.

    Used twice per step: a step whose own points break the bound is rejected
    (like a truncation-error rejection), and the next step is capped. The curvature is the
    smaller of the last second divided difference and the mean of the last two, which cancels
    the step-to-step
    alternation the trapezoidal rule leaves on capacitor currents (it does not shrink with
    the step, so it must not drive it). Steps are never cut below ``floor`` (tmax / 100; the
    first step after a corner: CORNER_FLOOR, see docs/numerics.md): a jump in a quantity cannot
    be resolved by smaller steps (the steps after a corner are checked further by
    :class:`CornerCheck`)."""

    def __init__(self, cc, tol, x0: np.ndarray, floor: float) -> None:
        self.rows = np.nonzero(cc.public)[0]
        self.reltol = 0.5 * tol.reltol
        self.abs_floor = np.where(cc.kinds[self.rows] == "i", 1e3 * tol.abstol,
                                  10.0 * tol.vntol)
        self.lo = x0[self.rows].copy()
        self.hi = x0[self.rows].copy()
        self.previous: np.ndarray | None = None
        self.floor = floor

    def _second(self, x2, x1, x0, h1, h0) -> np.ndarray:
        return ((x0 - x1) / h0 - (x1 - x2) / h1) / (0.5 * (h0 + h1))

    def allowed(self, x2, x1, x0, h1: float, h0: float, previous) -> tuple[float, np.ndarray]:
        """(largest step the bound allows, second difference) for points x2, x1, x0 spaced
        h1 then h0."""
        r = self.rows
        second = self._second(x2[r], x1[r], x0[r], h1, h0)
        curvature = np.abs(second)
        if previous is not None:  # alternation cancels in the mean; a real bend does not
            curvature = np.minimum(curvature, np.abs(0.5 * (second + previous)))
        tol = self.reltol * (np.maximum(self.hi, x0[r]) - np.minimum(self.lo, x0[r])) \
            + self.abs_floor
        worst = float(np.max(curvature / tol)) if r.size else 0.0
        return (float(np.sqrt(8.0 / worst)) if worst > 0.0 else np.inf), second

    def tolerance(self, x: np.ndarray) -> np.ndarray:
        """Tolerance on the reported quantities at x (n,): reltol of the larger of half their
        range so far and |x|, plus the absolute floor; shape (rows,)."""
        r = self.rows
        span = np.maximum(self.hi, x[r]) - np.minimum(self.lo, x[r])
        return self.reltol * np.maximum(span, 2.0 * np.abs(x[r])) + self.abs_floor

    def check(self, sols, steps, x_new: np.ndarray, delta: float,
              floor: float | None = None) -> float | None:
        """A smaller step to retry with, or None when the step is acceptable; ``floor``
        replaces the usual one for this step."""
        floor = self.floor if floor is None else floor
        if len(sols) < 2 or delta <= floor * 1.0001:
            return None
        allowed, _ = self.allowed(sols[-2], sols[-1], x_new, steps[-1], delta, self.previous)
        if allowed < 0.9 * delta:
            return max(allowed, floor)
        # an onset much faster than the step (exponential turn-on of a junction) hides from
        # three-point curvature: catch a quantity leaving rest within one long step
        r = self.rows
        x1, x2 = sols[-1][r], sols[-2][r]
        change = np.abs(x_new[r] - x1)
        tol = self.reltol * (np.maximum(self.hi, x_new[r]) - np.minimum(self.lo, x_new[r])) \
            + self.abs_floor
        change_prev = np.abs(x1 - x2)
        onset = (change > 4.0 * tol) & (change_prev < tol)
        return max(0.25 * delta, floor) if np.any(onset) else None

    def accept(self, sols, steps) -> float:
        """Register the accepted point sols[-1]; return the cap on the next step."""
        r = self.rows
        np.minimum(self.lo, sols[-1][r], out=self.lo)
        np.maximum(self.hi, sols[-1][r], out=self.hi)
        if len(sols) < 3:
            return np.inf
        allowed, self.previous = self.allowed(sols[-3], sols[-2], sols[-1], steps[-2],
                                              steps[-1], self.previous)
        return max(allowed, self.floor)


def per_device_currents(asm, first, states: np.ndarray, q: np.ndarray) -> bool:
    """Whether the charge currents can be integrated per device (every system charge q (n,)
    is the sum of device charge states, as checked at the start) rather than per row.

    Why: the charges of a group of nodes joined only by capacitors sum to a constant, so
    their currents must sum to zero. Per row, the rounding of each new current entered that
    sum every step, and the trapezoidal rule never damps it (it alternates in sign), so it
    accumulated and drove the resistive currents out of the group. Per device, a capacitor's
    two plates carry exact negatives, as in SPICE, and the sum stays zero: on the case in
    tests/test_analytic.py the current it feeds fell from 1.5e-12 to 2.5e-13 A (it was 2 mA
    before charges were also differenced from the previous point, see ChargeFrame)."""
    if not states.size or asm.cached_charges:  # a source-like group's charges have no state
        return False
    rows = asm.scatter_states(first, states)
    return bool(np.allclose(rows, q, rtol=1e-9, atol=1e-12 * float(np.max(np.abs(q),
                                                                           initial=0.0))))


def held_capacitor_states(sim) -> np.ndarray | None:
    """(static states,) True for the charge states of capacitors whose two terminals ideal
    voltage-defining branches (V, E, H, B with V=) tie to ground, None when there are none.

    Their voltage is algebraic (set by sources, not by their own current), and their current
    flows only into those sources: under the trapezoidal rule it is
    ``i_n = 2C/h (v_n - v_n-1) - i_n-1``, which carries any error (a device switching inside
    a step) on, alternating, for ever. The transient keeps for them the derivative of the
    quadratic through their last three charges instead (Gear-2's, no memory of i), which no
    node voltage depends on; not while the post-corner check compares a step with two
    trapezoidal halves (docs/numerics.md)."""
    asm, n = sim.assembler, sim.compiled.n
    caps = [grp for grp in asm.static if grp.device.family == "capacitor"]
    pairs = [grp.conn[:, :2] for grp in sim.compiled.groups if grp.device.voltage_defining]
    if not pairs or not caps:
        return None
    # a union-find over the few branches (scipy.sparse.csgraph would add 0.16 s of imports
    # to every transient)
    sets = UnionFind()
    sets.add(n)  # index n is ground
    for a, b in np.concatenate(pairs).tolist():
        sets.union(a, b)
    held_node = np.zeros(n + 1, dtype=bool)
    held_node[list(next(c for c in sets.components() if n in c))] = True
    mask = np.zeros(asm.state_matrix.m, dtype=bool)
    for grp in caps:
        both = held_node[grp.conn[:, 0]] & held_node[grp.conn[:, 1]]
        first = asm.state_offsets[id(grp)] + 2 * np.nonzero(both)[0]
        mask[first] = mask[first + 1] = True
    return mask if mask.any() else None


class ChargeFrame:
    """How the transient stores and differences the system charges (n,) of accepted points.

    Relative (the usual case): the fixed linear stamps' charges are measured from the previous
    point, C_lin (x - x1), and only the rest (q_nl, the evaluated groups) is stored, so a small
    step's charge change is not the rounded difference of two large charges (eps a0 |q| in the
    residual, 1e-13 A for 50 pF at 3 V and 1 ps steps, growing as 1/h). Absolute (when a
    source-like group has charges, whose linear part then varies in time): the whole q."""

    def __init__(self, asm) -> None:
        self.asm = asm
        self.relative = not asm.cached_charges

    def start(self, a) -> np.ndarray:
        """The stored charges (a new array) of the first point, assembled without x_ref."""
        if not self.relative:
            return a.q.copy()
        return np.zeros(self.asm.n) if a.q_nl is None else a.q_nl.copy()

    def x_ref(self, x1: np.ndarray) -> np.ndarray | None:
        return x1 if self.relative else None

    def carried(self, a, x_last: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The stored charges at x from an assembly a at x_last, carried along their Jacobian
        (exact for linear charges: Newton's last load is before its final update)."""
        if not self.relative:
            return a.q + self.asm.matvec(a.c, x - x_last)
        if a.q_nl is None:
            return np.zeros(self.asm.n)
        if a.c_nl is None:
            return a.q_nl.copy()
        return a.q_nl + self.asm.matvec(a.c_nl, x - x_last)

    def change(self, x_new: np.ndarray, q_new: np.ndarray, x_old: np.ndarray,
               q_old: np.ndarray) -> np.ndarray:
        """(n,) system charge change between two points given as (x, stored charges)."""
        if not self.relative:
            return q_new - q_old
        return self.asm.linear_charges(x_new - x_old) + (q_new - q_old)


def solve_time_point(sim, frame: ChargeFrame, guess: np.ndarray, ctx, a0: float, c,
                     x1: np.ndarray, q1: np.ndarray, history: IncrementalHistory):
    """Newton on the time-point residual ``i(x) + a0 (q(x) - q1) + c`` from ``guess``, with the
    previous point (x1, stored charges q1) in ``frame``: (outcome, assembly of the last
    evaluation, stored charges carried to the outcome's x, the point of the last
    evaluation)."""
    asm = sim.assembler
    last: list = [None]
    x_ref = frame.x_ref(x1)

    def system(xv):
        a = asm.assemble(xv, ctx, charges=True, history=history, x_ref=x_ref)
        last[0] = (a, xv)
        return a.i + a0 * (a.q - q1) + c, a.g + a0 * a.c, a.limited

    out = newton(system, guess, sim.solver, sim.tol.reltol, sim.atol, sim.tol.itl4,
                 linear=asm.is_linear, currents=sim.current_test)
    if last[0] is None:
        return out, None, None, None
    a_last, x_last = last[0]
    return out, a_last, frame.carried(a_last, x_last, out.x), x_last


# steps after a corner checked by step doubling: until one reaches the interpolation control's
# floor (above it that control sees the modes the corner excited), at most this many
SPLIT_WINDOW = 30


def split_step_ratio(sim, frame: ChargeFrame, hist, method: str, order: int, t: float,
                     delta: float, history: tuple, x_full: np.ndarray, tol: np.ndarray,
                     rows: np.ndarray) -> float | None:
    """Error of the step x_full (t -> t + delta, ``method`` at ``order``) over its tolerance
    ``tol`` (per entry of ``rows``), estimated by step doubling: the same step taken as two
    halves from x at t. The local error grows as h^p (p = order + 1), so the full step is off
    by about |x_full - x_halves| / (1 - 2^(1-p)). None when a half step does not converge.

    history: (xs, qs, qdot1, h1), the integration history at t as the full step used it: the
    last one or two points (x, stored charges in ``frame``), oldest first, ending with t's.

    Used on the steps after a source corner while they are below the interpolation control's
    floor: the divided-difference truncation estimate of the first one reaches back across the
    corner, and SPICE's charge-relative tolerance is lax on the currents of a mode much faster
    than the steps before the corner, which then decays under growing steps."""
    asm = sim.assembler
    own = IncrementalHistory(dict(hist.groups))  # the Meyer charges advance on a copy
    xs, qs, qdot1, h1 = history
    h = 0.5 * delta
    for k, guess in ((1, 0.5 * (xs[-1] + x_full)), (2, x_full)):
        a0, c = coefficients(method, order, h, h1, qdot1,
                             lambda xs=xs, qs=qs: frame.change(xs[-2], qs[-2], xs[-1], qs[-1]))
        out, a_last, q_mid, _ = solve_time_point(sim, frame, guess, sim.ctx(t + k * h), a0, c,
                                                 xs[-1], qs[-1], own)
        if not out.converged:
            return None
        asm.accept(own, a_last)
        qdot1 = a0 * frame.change(out.x, q_mid, xs[-1], qs[-1]) + c
        xs, qs, h1 = [xs[-1], out.x], [qs[-1], q_mid], h
    xv = xs[-1]
    p = order + 1
    error = np.abs(x_full[rows] - xv[rows]) / (1.0 - 2.0 ** (1 - p))
    return float(np.max(error / tol)) if rows.size else 0.0


class CornerCheck:
    """The step-doubling check (:func:`split_step_ratio`) of the steps after a source corner,
    from the first one until a step reaches ``until`` (the interpolation control's floor) or
    SPLIT_WINDOW steps are taken. A cut never goes below SPLIT_FLOOR tmax."""

    def __init__(self, tmax: float, until: float) -> None:
        self.floor = SPLIT_FLOOR * tmax
        self.until = until
        self.left = SPLIT_WINDOW  # steps still checked (the start counts as a corner)

    def corner(self) -> None:
        self.left = SPLIT_WINDOW

    @property
    def active(self) -> bool:
        """Whether the steps are still being checked after the last corner."""
        return self.left > 0

    def retry(self, sim, frame: ChargeFrame, hist, method: str, order: int, t: float,
              delta: float, history: tuple, x_full: np.ndarray,
              interp: InterpolationControl) -> float | None:
        """A smaller step to retry with, or None when the step x_full passes (or is not
        checked); arguments as :func:`split_step_ratio`, whose tolerance and rows are the
        interpolation control's."""
        if not self.active or delta <= self.floor * 1.0001:
            return None
        ratio = split_step_ratio(sim, frame, hist, method, order, t, delta, history, x_full,
                                 interp.tolerance(x_full), interp.rows)
        p = order + 1  # local error ~ h^p
        if ratio is None:
            return max(0.5 * delta, self.floor)
        if ratio <= 1.0:
            return None
        return max(min(0.9 * ratio ** (-1.0 / p), 0.5) * delta, self.floor)

    def accepted(self, delta: float) -> None:
        self.left = 0 if delta >= self.until else self.left - 1


class RowBuffer:
    """Equal-length rows appended one at a time into one (rows, n) array that grows by
    doubling in place (``ndarray.resize``: a realloc, which moves large blocks by remapping
    pages, and pages never written cost no memory). The finished array needs no second copy,
    where stacking a list of rows at the end doubles the peak memory of a long transient."""

    def __init__(self, first: np.ndarray, capacity: int = 1024) -> None:
        self.data = np.empty((capacity, first.size))
        self.count = 0
        self.append(first)

    def append(self, row: np.ndarray) -> None:
        if self.count == self.data.shape[0]:
            self.data.resize((2 * self.count, self.data.shape[1]), refcheck=False)
        self.data[self.count] = row
        self.count += 1

    def finish(self) -> np.ndarray:
        """The (rows, n) array of every row appended (the buffer is handed over)."""
        self.data.resize((self.count, self.data.shape[1]), refcheck=False)
        return self.data


def _uic_states(asm, first, x0: np.ndarray) -> np.ndarray:
    """Charge states at t=0 under uic: capacitor states follow their ic= voltages."""
    states = asm.charge_states(first, x0)
    for grp in asm.static:
        if grp.device.family != "capacitor":
            continue
        offset = asm.state_offsets[id(grp)]
        for k, inst in enumerate(grp.device.instances):
            if "ic" in inst.params:
                charge = grp.device.capacitance[k] * float(inst.params["ic"])
                states[offset + 2 * k] = charge
                states[offset + 2 * k + 1] = -charge
    return states


def _on_output_grid(times: np.ndarray, rows: np.ndarray, tstep: float, tstart: float,
                    tstop: float) -> tuple[np.ndarray, np.ndarray]:
    """``.options interp``: the accepted points (times (P,), rows (P, n)) interpolated
    linearly onto tstart + k tstep up to tstop, as ngspice writes them."""
    count = int(np.floor((tstop - tstart) / tstep * (1.0 + 1e-9))) + 1
    grid = tstart + tstep * np.arange(count)
    grid = grid[(grid >= times[0]) & (grid <= times[-1] * (1.0 + 1e-12))]
    right = np.clip(np.searchsorted(times, grid), 1, len(times) - 1)
    left = right - 1
    w = ((grid - times[left]) / (times[right] - times[left]))[:, None]
    return grid, rows[left] * (1.0 - w) + rows[right] * w


def _mosfet_ic_points(sim, x0: np.ndarray) -> dict[int, np.ndarray]:
    """Under uic, MOSFETs with ic=vds,vgs,vbs start their charges (junction and Meyer) from
    those voltages, as ngspice's level 1 does; a component not given follows the node voltages
    (.ic, else 0). {group index: (N, U) local unknowns with d', g, b moved from s'}."""
    points = {}
    x_ext = np.append(x0, 0.0)
    for k, grp in enumerate(sim.compiled.groups):
        dev = grp.device
        if dev.family != "mos1":
            continue
        ic = {key: np.array([float(inst.params.get(key, np.nan)) for inst in dev.instances])
              for key in MOSFET_IC}
        if not any(np.isfinite(v).any() for v in ic.values()):
            continue
        points[k] = dev.from_source(x_ext[grp.conn], ic["icvgs"], ic["icvds"], ic["icvbs"])
    return points


def _unused_device_ics(sim) -> list[str]:
    """Warnings for diode ic= under uic: the junction starts from its node voltages (.ic,
    else 0), which is also what ngspice 39 does."""
    names = [inst.name for grp in sim.compiled.groups if grp.device.family == "diode"
             for inst in grp.device.instances if "ic" in inst.params]
    if not names:
        return []
    shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
    return [f"uic: diode ic= of {shown} has no effect (as in ngspice); the junction starts "
            "from its node voltages (set them with .ic)"]


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
    if tstop / tmax > MAX_STEPS:
        raise AnalysisError(
            f".tran to {tstop:g} s with steps of at most {tmax:g} s needs more than "
            f"{MAX_STEPS:g} time points", hint="check the units of tstep, tstop and tmax")
    tol = sim.tol
    asm = sim.assembler
    for grp in sim.compiled.groups:
        grp.device.bind_transient(tstep, tstop)
    asm.restamp_linear()
    bps = _breakpoints(sim, tstop)
    rng = np.random.default_rng(int(sim.circuit.options.get("seed", 0)))
    for grp in sim.compiled.groups:
        grp.device.start(rng)
    asm.restamp_linear()  # devices may have changed at start

    iterations = 0
    if uic:
        x = _initial_uic(sim)
    else:
        x, iterations = sim.operating_point(t=0.0, hold_ic=True)
    ctx0 = sim.ctx(0.0)
    device_ic = _mosfet_ic_points(sim, x) if uic else None
    hist = asm.initial_history(x, ctx0, device_ic)
    first = asm.assemble(x, ctx0, charges=True, limiting=False, history=hist, local=device_ic)
    frame = ChargeFrame(asm)
    q, q_total = frame.start(first), first.q.copy()
    if uic:
        _apply_capacitor_ic(sim, x, q)
        _apply_capacitor_ic(sim, x, q_total)
    qdot = np.zeros(asm.n)
    states = _uic_states(asm, first, x) if uic else asm.charge_states(first, x)
    per_device = per_device_currents(asm, first, states, q_total)
    held = held_capacitor_states(sim) if per_device and method == "trap" else None
    asm.reset_limiting()

    delmin = 1e-11 * tmax
    # groups whose family reacts to accepted points (the base class does nothing)
    accepting = [grp for grp in sim.compiled.groups
                 if getattr(grp.device.accept, "__func__", None) is not DeviceGroup.accept]
    interp = InterpolationControl(sim.compiled, tol, x, 0.01 * tmax)
    corner_floor = CORNER_FLOOR * tmax
    times, sols = [0.0], [x]  # every accepted time; the last three accepted points
    rows = RowBuffer(x)  # every accepted point, for the result
    # stored charges (as ChargeFrame keeps them) and row charge currents of the last points;
    # every device's own charges and currents (SPICE's states)
    qs, qdots, steps = [q], [qdot], []
    ss, sdots = [states], [np.zeros_like(states)]
    t, order = 0.0, 1
    delta = min(tstop / 100.0, tstep) / 10.0
    save_delta = delta
    at_breakpoint = True
    source_corner = True  # the breakpoint is the start or a source corner, not a device event
    first_after_corner = True  # until the first step after a corner is accepted
    corner_check = CornerCheck(tmax, interp.floor)
    # uic: the start (.ic and ic= values, zeros elsewhere) need not satisfy the circuit, and
    # the first step then carries the impulse that makes it consistent (C dv / h into a
    # source-capacitor loop): that step is not step-doubling checked (an impulse has no
    # converged value), and a second backward-Euler step clears the impulse from the
    # derivative history, which the trapezoidal rule would otherwise carry on, alternating
    settling_steps = 2 if uic else 0
    bi = 0
    rejected = 0
    interrupted = False

    try:
        while t < tstop * (1.0 - 1e-12):
            while bi < len(bps) and bps[bi] <= t + delmin:
                bi += 1
            next_bp = bps[bi] if bi < len(bps) else tstop
            if fixed_step is not None:
                delta = min(fixed_step, tstop - t)
                at_breakpoint = False
            if at_breakpoint:
                order = 1
                first_after_corner = True
                if source_corner:  # device events (stochastic switching) are too frequent
                    corner_check.corner()
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
            a0, c = coefficients(method, order, delta, h1, qdots[-1],
                                 lambda: frame.change(sols[-2], qs[-2], sols[-1], qs[-1]))
            # predictor: extrapolate the last two points (Newton starts closer to the answer)
            guess = x if len(sols) < 2 or at_breakpoint or asm.is_linear else \
                x + (x - sols[-2]) * (delta / steps[-1])
            out, a_last, q_new, x_last = solve_time_point(sim, frame, guess, sim.ctx(t_new), a0, c,
                                                          x, qs[-1], hist)
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
            s_new = asm.charge_states(a_last, out.x, x_last)
            sa0, sc = coefficients(method, order, delta, h1, sdots[-1], lambda: ss[-2] - ss[-1])
            sdot_new = sa0 * (s_new - ss[-1]) + sc
            # see held_capacitor_states; not while the post-corner check compares this step
            # with two trapezoidal halves (their history would differ from the step's)
            if held is not None and order == 2 and len(ss) > 1 and not corner_check.active:
                ga0, gc = coefficients("gear", 2, delta, h1, sdots[-1],
                                       lambda: ss[-2] - ss[-1])
                k = held.size
                sdot_new[:k] = np.where(held, ga0 * (s_new[:k] - ss[-1][:k]) + gc[:k],
                                        sdot_new[:k])
            # the charge currents summed from each device's own (SPICE's per-device state), not
            # integrated per row: see per_device_currents
            qdot_new = asm.scatter_states(a_last, sdot_new) if per_device else \
                a0 * frame.change(out.x, q_new, x, qs[-1]) + c
            new_delta = 2.0 * delta
            new_order = order
            if fixed_step is not None:
                new_order = 1 if method == "be" else 2
            elif s_new.size:
                charges = [s_new] + ss[::-1][:3]
                while len(charges) < 4:
                    charges.append(charges[-1])
                hsteps = [delta] + steps[::-1][:2]
                while len(hsteps) < 3:
                    hsteps.append(tmax)
                args = (charges, hsteps, sdot_new, sdots[-1],
                        tol.reltol, tol.abstol, tol.chgtol, tol.trtol)
                new_delta = min(new_delta, lte_step(method, order, *args))
                if new_delta <= 0.9 * delta:
                    rejected += 1
                    delta = new_delta
                    at_breakpoint = False
                    if delta < delmin:
                        raise ConvergenceError(
                            f"time step too small at t={t_new:.6g} s: the truncation error "
                            "stays above tolerance",
                            hint="relax reltol/trtol in .options or check for discontinuous "
                                 "sources",
                        )
                    continue
                if order == 1 and method != "be" and tol.maxord > 1 and settling_steps <= 1:
                    delta2 = min(2.0 * delta, lte_step(method, 2, *args))
                    if delta2 > 1.05 * delta:
                        new_order = 2
                        new_delta = delta2
            retry = None if fixed_step is not None else interp.check(
                sols, steps, out.x, delta, corner_floor if first_after_corner else None)
            if retry is None and fixed_step is None and settling_steps < 2:
                retry = corner_check.retry(sim, frame, hist, method, order, t, delta,
                                           (sols[-2:], qs[-2:], qdots[-1], h1), out.x, interp)
            if retry is not None:
                rejected += 1
                delta = retry
                at_breakpoint = False
                continue
            # accept
            order = new_order
            first_after_corner = False
            settling_steps = max(settling_steps - 1, 0)
            corner_check.accepted(delta)
            t = t_new
            x = out.x
            asm.accept(hist, a_last)
            times.append(t)
            sols.append(x)
            rows.append(x)
            qs.append(q_new)
            qdots.append(qdot_new)
            ss.append(s_new)
            sdots.append(sdot_new)
            steps.append(delta)
            if len(qs) > 4:
                del qs[0], qdots[0], ss[0], sdots[0], steps[0], sols[0]
            at_breakpoint = source_corner = hit
            if accepting:
                x_ext = np.append(x, 0.0)
                for grp in accepting:  # stochastic devices: events at accepted points
                    if grp.device.accept(x_ext[grp.conn], t, rng):
                        at_breakpoint = True
            if fixed_step is None:
                new_delta = min(new_delta, interp.accept(sols, steps))
            delta = new_delta
            if sim.progress is not None:
                sim.progress(t / tstop)
    except KeyboardInterrupt:  # the points so far are kept (InterruptedAnalysis)
        interrupted = True

    times_arr = np.array(times)
    first = int(np.searchsorted(times_arr, tstart * (1.0 - 1e-12)))  # times ascend
    if uic and len(times_arr) > 1:  # as ngspice: the uic start is not a solution, no row
        first = max(first, 1)
    raw = rows.finish()[first:]
    if sim.circuit.options.get("interp") and not interrupted and len(raw) > 1:
        times_arr, raw = _on_output_grid(times_arr[first:], raw, tstep, tstart, tstop)
        first = 0
    cols = {"time": times_arr[first:]}
    cols.update(sim.output_columns("tran", raw))
    result = AnalysisResult("tran", "tran", cols, {
        "points": len(times_arr) - first, "newton_iterations": iterations,
        "rejected": rejected, "seconds": time.perf_counter() - wall}, raw=raw)
    notes = _unused_device_ics(sim) if uic else []
    if notes:
        result.stats["warnings"] = notes
    return kept(result, interrupted)
