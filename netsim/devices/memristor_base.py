"""Shared machinery of the memristor families (see :mod:`netsim.devices.memristor`).

Every memristor instance has the local unknowns ``(v_p, v_n, x)``: its two terminal voltages
and a dimensionless internal state ``x`` (the kind 's' unknown ``<name>#x``). With
``v = v_p - v_n`` a family supplies

- a conduction law ``I(v, x)`` (A, flowing from p through the device to n), and
- a state rate ``r(v, x, t) = dx/dt`` (1/s),

and this module assembles them into the device rows (``d/dt q + i = 0`` form)::

    i_p = I,   i_n = -I,          q_p = q_n = 0
    i_x = -r(v, x),               q_x = x

with analytic Jacobians. The state is *held* in DC (it keeps ``x0``) and is the starting
value of a transient.

Bounds (shared by all families)
-------------------------------
Every family writes its rate as ``r = k(v, x, t) * F(x, sign k)``: a signed drive ``k`` times a
window chosen by the direction of motion. The window of the upward direction vanishes at
``x = 1`` (and only there) and the window of the downward direction at ``x = 0``; both are
positive on the inner side of their bound. Consequences:

1. Under a drive pushing outward the exact solution approaches the bound but never reaches or
   crosses it (the window has a simple zero there, the approach is exponential in time).
2. A state sitting at (or numerically on) a bound moves off it as soon as the drive reverses,
   because the window of the inward direction is non-zero at that bound: no "boundary lock".
3. Beyond a bound the outward window is negative: an outward drive pulls x back (restoring),
   so the linear extrapolation Newton sees there points inward.
4. Discrete guarantee: :meth:`MemristorGroup.limit` evaluates the device at x clipped to
   [0, 1] and reports the iterate as limited when it lies outside by more than 1e-12, so a
   Newton solve whose solution would lie outside [0, 1] (e.g. trapezoidal overshoot on a
   too-long step) never converges; the transient then retries with a shorter step. Accepted
   time points therefore keep 0 <= x <= 1 (to 1e-12) with any integration method. Backward
   Euler never needs that retry: x_n = (x_{n-1} + h k)/(1 + h k) stays inside for a linear
   zero of the window.

The conduction law sees ``x`` clipped to [0, 1] (only Newton iterates ever lie outside).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from netsim.circuit.circuit import Instance
from netsim.devices.base import DeviceGroup, EvalContext, Evaluation, UnknownSpec
from netsim.errors import ElaborationError

#: (default, unit, meaning) of one model parameter
ParamSpec = tuple[float, str, str]
OUTSIDE_TOL = 1e-12


def card_value(inst: Instance, key: str, default: float) -> float:
    """Instance parameter ``key`` if given, else the model card's, else ``default``."""
    if key in inst.params:
        return float(inst.params[key])
    if inst.model is not None and key in inst.model.params:
        return float(inst.model.params[key])
    return default


class MemristorGroup(DeviceGroup):
    """Base of the memristor families; subclasses set ``family``, ``PARAMS`` and implement
    :meth:`conduction` and :meth:`rate` (vectorised over (..., N))."""

    terminals = ("p", "n")
    compact = True
    #: parameter name -> (default, unit, meaning); instance parameters override the card
    PARAMS: ClassVar[dict[str, ParamSpec]] = {}
    #: parameters that must be > 0
    POSITIVE: ClassVar[tuple[str, ...]] = ()

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        for inst in instances:
            self._check_names(inst)
        self.p: dict[str, np.ndarray] = {
            key: np.array([card_value(inst, key, spec[0]) for inst in instances], dtype=float)
            for key, spec in self.PARAMS.items()
        }
        self.temp_k = temp + 273.15
        for key in self.POSITIVE:
            bad = ~(self.p[key] > 0.0)
            if np.any(bad):
                inst = instances[int(np.argmax(bad))]
                raise ElaborationError(
                    f"{self.family} memristor '{inst.name}': parameter '{key}' must be > 0, "
                    f"got {self.p[key][int(np.argmax(bad))]:g}", inst.span)
        self.validate()

    # ---------------------------------------------------------------- set-up
    @classmethod
    def _check_names(cls, inst: Instance) -> None:
        if inst.model is None:
            raise ElaborationError(f"memristor '{inst.name}' has no model", inst.span)
        for key in list(inst.model.params) + list(inst.params):
            if key.lower() not in cls.PARAMS and key.lower() != "level":
                raise ElaborationError(
                    f"{cls.family} memristor '{inst.name}': unknown parameter '{key}'",
                    inst.span if key in inst.params else (inst.model.span or inst.span),
                    hint="supported: " + " ".join(sorted(cls.PARAMS)))

    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        x0 = card_value(inst, "x0", cls.PARAMS["x0"][0])
        if not 0.0 <= x0 <= 1.0:
            raise ElaborationError(
                f"{cls.family} memristor '{inst.name}': x0 must lie in [0, 1], got {x0:g}",
                inst.span, hint="the state x is normalised to [0, 1]")
        return (UnknownSpec("x", "s", held=True, initial=x0),)

    def validate(self) -> None:
        """Family-specific parameter checks (raise ElaborationError)."""

    def fail(self, mask: np.ndarray, message: str) -> None:
        """Raise an ElaborationError for the first instance where mask is True."""
        if np.any(mask):
            inst = self.instances[int(np.argmax(mask))]
            raise ElaborationError(f"{self.family} memristor '{inst.name}': {message}",
                                   inst.span)

    # ---------------------------------------------------------------- physics hooks
    def conduction(self, v: np.ndarray, xc: np.ndarray, ctx: EvalContext):
        """(I, dI/dv, dI/dx) at voltage v and clipped state xc, arrays (..., N)."""
        raise NotImplementedError

    def rate(self, v: np.ndarray, x: np.ndarray, xc: np.ndarray, inside: np.ndarray,
             cur: tuple[np.ndarray, np.ndarray, np.ndarray], ctx: EvalContext):
        """(r, dr/dv, dr/dx) with r = dx/dt. x is the raw state, xc the clipped one, inside
        = (0 <= x <= 1) (derivatives through xc vanish outside); cur = conduction(...)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- numerics
    def pattern(self) -> np.ndarray:
        return np.ones((3, 3), dtype=bool)

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        lead = x.shape[:-1]
        v = x[..., 0] - x[..., 1]
        s = x[..., 2]
        xc = np.clip(s, 0.0, 1.0)
        inside = (s >= 0.0) & (s <= 1.0)
        cur = self.conduction(v, xc, ctx)
        i_val, i_v, i_x = cur
        i_x = np.where(inside, i_x, 0.0)
        r, r_v, r_x = self.rate(v, s, xc, inside, (i_val, i_v, i_x), ctx)

        i = np.empty((*lead, 3))
        i[..., 0] = i_val
        i[..., 1] = -i_val
        i[..., 2] = -r
        di = np.empty((*lead, 3, 3))
        di[..., 0, 0] = i_v
        di[..., 0, 1] = -i_v
        di[..., 0, 2] = i_x
        di[..., 1, 0] = -i_v
        di[..., 1, 1] = i_v
        di[..., 1, 2] = -i_x
        di[..., 2, 0] = -r_v
        di[..., 2, 1] = r_v
        di[..., 2, 2] = -r_x
        q = np.zeros((*lead, 3))
        q[..., 2] = s
        dq = np.zeros((*lead, 3, 3))
        dq[..., 2, 2] = 1.0
        return Evaluation(i=i, di=di, q=q, dq=dq)

    def limit(self, x_new: np.ndarray, x_old: np.ndarray) -> np.ndarray | None:
        """Evaluate at the state clipped to [0, 1]; see the module docstring (bounds, 4.)."""
        s = x_new[..., 2]
        if np.all((s >= 0.0) & (s <= 1.0)):
            return None
        out = np.array(x_new, dtype=float, copy=True)
        out[..., 2] = np.clip(s, 0.0, 1.0)
        return out


# -------------------------------------------------------------------- windows
def joglekar_directional(x: np.ndarray, up: np.ndarray, p: np.ndarray):
    """(F, dF/dx): Joglekar's 1 - (2x - 1)^(2p) on the half of [0, 1] that the motion heads to
    (x > 1/2 moving up, x < 1/2 moving down), 1 on the other half."""
    z = 2.0 * x - 1.0
    az = np.abs(z)
    active = np.where(up, z > 0.0, z < 0.0)
    f = np.where(active, 1.0 - az ** (2.0 * p), 1.0)
    df = np.where(active, -2.0 * p * az ** (2.0 * p - 1.0) * np.sign(z) * 2.0, 0.0)
    return f, df


def biolek_window(x: np.ndarray, up: np.ndarray, p: np.ndarray):
    """(F, dF/dx): Biolek's 1 - (x - stp(-i))^(2p), i.e. 1 - x^(2p) moving up and
    1 - (1 - x)^(2p) moving down."""
    z = np.where(up, x, x - 1.0)
    az = np.abs(z)
    f = 1.0 - az ** (2.0 * p)
    df = -2.0 * p * az ** (2.0 * p - 1.0) * np.sign(z)
    return f, df


def soft_clip_window(x: np.ndarray, up: np.ndarray, wc: np.ndarray):
    """(F, dF/dx): 1 - exp(-(1 - x)/wc) moving up, 1 - exp(-x/wc) moving down: 1 in the bulk,
    a simple zero at the bound ahead, width wc."""
    dist = np.where(up, 1.0 - x, x)
    e = np.exp(-dist / wc)
    f = 1.0 - e
    df = np.where(up, -e / wc, e / wc)
    return f, df


def yakopcic_window(x: np.ndarray, up: np.ndarray, xp, xn, alphap, alphan):
    """(F, dF/dx): Yakopcic 2013. Moving up: exp(-alphap (x - xp)) (1 - x)/(1 - xp) for
    x >= xp, else 1. Moving down: exp(alphan (x + xn - 1)) x/(1 - xn) for x <= 1 - xn, else 1."""
    ep = np.exp(-alphap * (x - xp))
    wp = (1.0 - x) / (1.0 - xp)
    fup = np.where(x >= xp, ep * wp, 1.0)
    dfup = np.where(x >= xp, ep * (-alphap * wp - 1.0 / (1.0 - xp)), 0.0)
    en = np.exp(alphan * (x + xn - 1.0))
    wn = x / (1.0 - xn)
    fdn = np.where(x <= 1.0 - xn, en * wn, 1.0)
    dfdn = np.where(x <= 1.0 - xn, en * (alphan * wn + 1.0 / (1.0 - xn)), 0.0)
    return np.where(up, fup, fdn), np.where(up, dfup, dfdn)


def windowed(k, k_v, k_x, f, f_x):
    """(r, dr/dv, dr/dx) of r = k F(x)."""
    return k * f, k_v * f, k_x * f + k * f_x
