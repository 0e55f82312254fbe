"""Newton-Raphson on ``F(x) = 0`` with SPICE's convergence test, and the tolerance set.

A step converges (ngspice NIconvTest) when no device limited its junctions during the load,
every unknown moved by at most ``reltol * max(|x_new|, |x_old|) + atol`` with atol = vntol for
voltages and abstol for currents, and (``currents``, SPICE's device tests) the junction devices'
currents moved within tolerance too. Failures raise nothing here: the caller decides (gmin/source
stepping, time-step cut) and builds the diagnostic with :func:`describe_failure`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from netsim.analysis.linalg import LinearSolver, SingularMatrixError
from netsim.circuit.compile import CompiledCircuit


@dataclass
class Tolerances:
    """SPICE tolerances and iteration limits (``.options`` names); defaults as ngspice."""

    reltol: float = 1e-3
    abstol: float = 1e-12  # A
    vntol: float = 1e-6  # V
    chgtol: float = 1e-14  # C
    trtol: float = 1.0  # SPICE uses 7; see docs/numerics.md
    gmin: float = 1e-12  # S
    itl1: int = 100  # DC iteration limit
    itl4: int = 10  # transient iteration limit per time point
    gminsteps: int = 10  # 0 turns gmin stepping off
    srcsteps: int = 10  # 0 turns source stepping off
    maxord: int = 2  # 1: the transient never raises the order above backward Euler

    @classmethod
    def from_options(cls, options: dict) -> Tolerances:
        kwargs = {}
        for f in fields(cls):
            if f.name in options:
                kwargs[f.name] = type(f.default)(options[f.name])
        return cls(**kwargs)

    def absolute(self, kinds: np.ndarray) -> np.ndarray:
        """(n,) absolute tolerance per unknown kind: vntol for 'v'/'s', abstol for 'i'."""
        return np.where(kinds == "i", self.abstol, self.vntol)


@dataclass
class NewtonOutcome:
    x: np.ndarray
    converged: bool
    iterations: int
    residual: np.ndarray | None = None
    singular: int | None = None  # unknown index when the matrix was singular


System = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, bool]]


def newton(
    system: System,
    x0: np.ndarray,
    solver: LinearSolver,
    reltol: float,
    atol: np.ndarray,
    maxiter: int,
    polish: bool = False,
    linear: bool = False,
    currents: Callable[[np.ndarray], bool] | None = None,
) -> NewtonOutcome:
    """Iterate ``x <- x - J(x)^-1 F(x)``; system(x) returns (F, J_data, limited).

    polish: after convergence, take one more full step (static analyses: makes the answer
    independent of reltol for all practical purposes, at one extra iteration's cost).
    linear: the system is linear (F = A x + b), so one step is exact and is accepted.
    currents: the device convergence test: currents(dx) is True when the devices' currents,
    moved by the step dx from the last evaluation, are within tolerance
    (:meth:`Assembler.currents_converged`).
    """
    with np.errstate(all="ignore"):  # overflow shows up as non-finite values, handled below
        return _iterate(system, x0, solver, reltol, atol, maxiter, polish, linear, currents)


def _iterate(system, x0, solver, reltol, atol, maxiter, polish, linear,
             currents=None) -> NewtonOutcome:
    x = np.array(x0, dtype=float)
    residual = None
    for it in range(1, maxiter + 1):
        residual, jac, limited = system(x)
        if not (np.isfinite(residual).all() and np.isfinite(jac).all()):
            return NewtonOutcome(x, False, it, residual)
        try:
            solver.factor(jac)
        except SingularMatrixError as err:
            return NewtonOutcome(x, False, it, residual, singular=err.index)
        dx = -solver.solve(residual)
        if not np.isfinite(dx).all():
            return NewtonOutcome(x, False, it, residual)
        x_new = x + dx
        ok = not limited and bool(
            (np.abs(dx) <= reltol * np.maximum(np.abs(x_new), np.abs(x)) + atol).all()
        ) and (currents is None or currents(dx))
        x = x_new
        if linear and not limited:
            return NewtonOutcome(x, True, it, residual)
        if ok and it > 1:  # as ngspice, the first iterate is never accepted
            if polish:
                residual, jac, limited = system(x)
                solver.factor(jac)
                step = -solver.solve(residual)
                if np.all(np.isfinite(step)) and not limited:
                    x = x + step
            return NewtonOutcome(x, True, it, residual)
    return NewtonOutcome(x, False, maxiter, residual)


def describe_failure(cc: CompiledCircuit, outcome: NewtonOutcome, where: str) -> tuple[str, str]:
    """(message, hint) naming the worst unknown and the device feeding it most."""
    if outcome.singular is not None and outcome.singular >= 0:
        name = cc.names[outcome.singular]
        return (
            f"singular matrix {where}; check unknown {name}",
            "a node may be floating or a loop of voltage sources may exist; "
            "`netsim check` reports topology problems",
        )
    res = outcome.residual
    if res is None or not np.all(np.isfinite(res)):
        return (f"Newton diverged (non-finite values) {where}", "check element values and models")
    k = int(np.argmax(np.abs(res)))
    unit = "A" if cc.kinds[k] != "i" else "V"
    device = _device_at(cc, k)
    dev_txt = f", device '{device}'" if device else ""
    return (
        f"Newton did not converge {where} after {outcome.iterations} iterations; "
        f"largest residual at {cc.names[k]} ({_si(abs(res[k]))}{unit}){dev_txt}",
        "try .nodeset or .ic near the expected solution, or relax reltol in .options",
    )


def _device_at(cc: CompiledCircuit, k: int) -> str | None:
    """Name of a nonlinear device connected to unknown k (first found), else any device."""
    fallback = None
    for grp in cc.groups:
        hits = np.nonzero(np.any(grp.conn == k, axis=1))[0]
        if hits.size:
            if not grp.device.linear:
                return grp.device.names[int(hits[0])]
            fallback = fallback or grp.device.names[int(hits[0])]
    return fallback


def _si(value: float) -> str:
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"),
                           (1e-6, "u"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f")):
        if value >= factor:
            return f"{value / factor:.3g} {prefix}"
    return f"{value:.3g} "
