"""Behavioural sources: ``B1 p n V={expr}`` / ``I={expr}``, ``E1 p n value={expr}``,
``G1 p n value={expr}``.

The expression is a function of probes ``v(a)``, ``v(a, b)``, ``i(vx)``; its analytic gradient
(symbolic differentiation, :mod:`netsim.syntax.expr`) gives the Jacobian. Each instance carries
its own expression, so each instance is its own group (N = 1); behavioural sources are few.

Local unknowns: (p, n, probe nodes..., probe branch currents..., [branch]). Elaboration fills
``Instance.extra``:

- ``function``: the compiled expression (``value(P) -> ...``, ``gradient(P) -> (..., P)``)
- ``probe_columns``: list, per probe, of (plus_column, minus_column, sign): the probe's value
  is sign * (x[plus] - x[minus]) (minus_column -1: ground); plus_column TIME_COLUMN marks the
  variable ``time`` (s), fed from the evaluation context
- ``output``: 'v' (voltage source: internal branch current) or 'i' (current source)

A current-type source drives ``I`` from p through the source to n (SPICE's G/B convention).
"""

from __future__ import annotations

import numpy as np

from netsim.circuit.circuit import Instance
from netsim.devices.base import BRANCH, DeviceGroup, EvalContext, Evaluation, UnknownSpec, register

TIME_COLUMN = -2
# what an infinite expression value is replaced with while Newton moves on (the load is
# marked unsettled, so no solution rests on it); a NaN value becomes 0. A non-finite
# derivative at a finite value (sqrt(v) at v = 0, asin at 1) becomes 0 without that mark: the
# value is right, so a solution may rest on it (v may stay at 0)
OUT_OF_DOMAIN = 1e30


@register
class BehaviouralSource(DeviceGroup):
    family = "behavioural"
    terminals = ("p", "n")

    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        return (BRANCH,) if inst.extra["output"] == "v" else ()

    @classmethod
    def group_key(cls, inst: Instance):
        return ("behavioural", inst.name)

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        (inst,) = instances
        self.function = inst.extra["function"]
        self.output = inst.extra["output"]
        self.voltage_defining = self.output == "v"
        cols = inst.extra["probe_columns"]
        u = self.n_unknowns
        # probe values = selector @ x : (P, U) with +1/-1 entries
        self.selector = np.zeros((len(cols), u))
        self.time_probe = -1
        for k, (plus, minus, sign) in enumerate(cols):
            if plus == TIME_COLUMN:
                self.time_probe = k
                continue
            self.selector[k, plus] += sign
            if minus >= 0:
                self.selector[k, minus] -= sign
        self.time_varying = self.time_probe >= 0
        # an expression of time only: affine in the unknowns, so the assembler evaluates it
        # once per time point like an independent source, not per Newton iteration. A constant
        # stays an evaluated group: the fixed linear stamps carry Jacobians only, not the
        # source term of a group that is neither time-varying nor zero at x = 0
        self.linear = self.time_varying and not np.any(self.selector)

    def pattern(self) -> np.ndarray:
        u = self.n_unknowns
        p = np.zeros((u, u), dtype=bool)
        depends = np.any(self.selector != 0.0, axis=0)
        if self.output == "v":
            p[0, u - 1] = p[1, u - 1] = True
            p[u - 1, 0] = p[u - 1, 1] = True
            p[u - 1] |= depends
        else:
            p[0] |= depends
            p[1] |= depends
        return p

    def _probe_values(self, x: np.ndarray, ctx: EvalContext) -> np.ndarray:
        """(..., N, P) probe values; the time probe (if any) holds ctx.t (0 when static)."""
        probes = np.einsum("pu,...u->...p", self.selector, x)
        if self.time_probe >= 0:
            t = 0.0 if ctx.t is None else ctx.t
            probes[..., self.time_probe] = np.asarray(t, dtype=float)[..., None]
        return probes

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        u = self.n_unknowns
        probes = self._probe_values(x, ctx)
        value = self.function.value(probes)  # (..., N)
        grad = self.function.gradient(probes)  # (..., N, P)
        unsettled = not np.isfinite(value).all()
        if unsettled:  # e.g. log(v(a)) at a zero starting point
            value = np.nan_to_num(value, nan=0.0, posinf=OUT_OF_DOMAIN, neginf=-OUT_OF_DOMAIN)
        if not np.isfinite(grad).all():  # e.g. sqrt(v(a)) at v(a) = 0
            grad = np.where(np.isfinite(grad), grad, 0.0)
        dvalue = np.einsum("...p,pu->...u", grad, self.selector)  # (..., N, U)
        i = np.zeros(x.shape)
        di = np.zeros((*x.shape, u))
        if self.output == "v":
            ib = x[..., u - 1]
            i[..., 0] = ib
            i[..., 1] = -ib
            i[..., u - 1] = x[..., 0] - x[..., 1] - value
            di[..., 0, u - 1] = 1.0
            di[..., 1, u - 1] = -1.0
            di[..., u - 1, :] = -dvalue
            di[..., u - 1, 0] += 1.0
            di[..., u - 1, 1] -= 1.0
        else:
            i[..., 0] = value
            i[..., 1] = -value
            di[..., 0, :] = dvalue
            di[..., 1, :] = -dvalue
        return Evaluation(i=i, di=di, unsettled=unsettled)
