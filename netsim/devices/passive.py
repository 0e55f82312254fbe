"""Linear passive elements: resistor R, capacitor C, inductor L and mutual inductance K.

Sign conventions (DESIGN.md): terminal rows carry the current leaving the node into the device;
an inductor's branch current flows from its + node through it to its - node, and its branch row
is ``v+ - v- - d/dt(L i) = 0`` written as ``i_row = v+ - v-``, ``q_row = -L i``.

Temperature: ``R(T) = R (1 + tc1 dT + tc2 dT^2)`` with dT = T_instance - tnom in kelvin-differences
(ngspice's resistor model), and the same factor on C and L (ngspice's tc1/tc2 instance
parameters). The instance temperature is ``temp`` if given, else the circuit temperature plus
``dtemp``.
"""

from __future__ import annotations

import numpy as np

from netsim.circuit.circuit import Instance
from netsim.devices.base import (
    BRANCH,
    DeviceGroup,
    EvalContext,
    Evaluation,
    UnknownSpec,
    kelvin,
    register,
)
from netsim.devices.junction import temperature_kelvin
from netsim.errors import ElaborationError


def _array(instances: list[Instance], key: str, default: float) -> np.ndarray:
    """(N,) float array of an instance parameter with a default."""
    return np.array([float(inst.params.get(key, default)) for inst in instances])


def temperature_factor(instances: list[Instance], temp: float, tnom: float) -> np.ndarray:
    """(N,) ``1 + tc1 dT + tc2 dT^2`` of each instance (dT = its temperature - tnom, K)."""
    dt = np.array([temperature_kelvin(i.params, temp) for i in instances]) - kelvin(tnom)
    return 1.0 + _array(instances, "tc1", 0.0) * dt + _array(instances, "tc2", 0.0) * dt**2


def _two_terminal_stamp(lead: tuple[int, ...], value: np.ndarray) -> np.ndarray:
    """(*lead, 2, 2) stamp [[v, -v], [-v, v]]; lead ends with N and value is (N,)."""
    out = np.empty((*lead, 2, 2))
    out[..., 0, 0] = value
    out[..., 1, 1] = value
    out[..., 0, 1] = -value
    out[..., 1, 0] = -value
    return out


@register
class Resistor(DeviceGroup):
    """R: ``i = (v+ - v-) / R(T)``; params r (ohm), tc1 (1/K), tc2 (1/K^2), m, temp, dtemp."""

    family = "resistor"
    terminals = ("p", "n")
    linear = True

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        r = _array(instances, "r", np.nan)
        factor = temperature_factor(instances, temp, tnom)
        self.factor = factor
        for inst, value in zip(instances, r * factor):
            if not np.isfinite(value) or value == 0.0:
                raise ElaborationError(
                    f"resistor '{inst.name}' has resistance {value:g} ohm at this temperature",
                    inst.span,
                    hint="a resistance must be finite and non-zero; use a 0 V source for a short",
                )
        self.conductance = _array(instances, "m", 1.0) / (r * factor)

    def pattern(self) -> np.ndarray:
        return np.ones((2, 2), dtype=bool)

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        g = self.conductance
        current = g * (x[..., 0] - x[..., 1])
        i = np.stack([current, -current], axis=-1)
        return Evaluation(i=i, di=_two_terminal_stamp(x.shape[:-1], g))

    def dc_value_setter(self, name: str):
        k = self.names.index(name)

        def set_resistance(value: float) -> None:
            self.conductance[k] = float(self.instances[k].params.get("m", 1.0)) / (
                value * self.factor[k]
            )

        return set_resistance

    def dc_value(self, name: str) -> float:
        """Present resistance (ohm) of the named instance (for sweeps)."""
        k = self.names.index(name)
        m = float(self.instances[k].params.get("m", 1.0))
        return m / (self.conductance[k] * self.factor[k])


@register
class Capacitor(DeviceGroup):
    """C: ``q = C(T) (v+ - v-)``; params c (F), m, tc1, tc2, temp, dtemp. ``ic`` (V) is used
    by ``.tran ... uic``."""

    family = "capacitor"
    terminals = ("p", "n")
    linear = True

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        self.capacitance = _array(instances, "c", 0.0) * _array(instances, "m", 1.0) \
            * temperature_factor(instances, temp, tnom)

    def pattern(self) -> np.ndarray:
        return np.ones((2, 2), dtype=bool)

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        lead = x.shape[:-2]
        c = self.capacitance
        charge = c * (x[..., 0] - x[..., 1])
        zeros = np.zeros((*lead, self.n, 2))
        return Evaluation(
            i=zeros,
            di=np.zeros((*lead, self.n, 2, 2)),
            q=np.stack([charge, -charge], axis=-1),
            dq=_two_terminal_stamp((*lead, self.n), c),
        )


@register
class Inductor(DeviceGroup):
    """L with branch current unknown: unknowns (v+, v-, i); params l (H), m (parallel count),
    tc1, tc2, temp, dtemp."""

    family = "inductor"
    terminals = ("p", "n")
    linear = True

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        self.inductance = _array(instances, "l", 0.0) / _array(instances, "m", 1.0) \
            * temperature_factor(instances, temp, tnom)

    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        return (BRANCH,)

    def pattern(self) -> np.ndarray:
        p = np.zeros((3, 3), dtype=bool)
        p[0, 2] = p[1, 2] = p[2, 0] = p[2, 1] = p[2, 2] = True
        return p

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        lead = x.shape[:-2]
        ib = x[..., 2]
        i = np.stack([ib, -ib, x[..., 0] - x[..., 1]], axis=-1)
        di = np.zeros((*lead, self.n, 3, 3))
        di[..., 0, 2] = 1.0
        di[..., 1, 2] = -1.0
        di[..., 2, 0] = 1.0
        di[..., 2, 1] = -1.0
        q = np.zeros((*lead, self.n, 3))
        q[..., 2] = -self.inductance * ib
        dq = np.zeros((*lead, self.n, 3, 3))
        dq[..., 2, 2] = -self.inductance
        return Evaluation(i=i, di=di, q=q, dq=dq)


@register
class MutualInductance(DeviceGroup):
    """K: couples two inductors' branch rows with flux ``-M i_other``, M = k sqrt(L1 L2).

    No terminals; its unknowns are the controls (branch currents of l1 and l2). Params: k
    (coupling), l1, l2 (H, the coupled inductances, filled in by elaboration).
    """

    family = "mutual"
    terminals = ()
    linear = True

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        k = _array(instances, "k", 0.0)
        for inst, value in zip(instances, k):
            if not 0.0 < abs(value) <= 1.0:
                raise ElaborationError(
                    f"coupling factor of '{inst.name}' must satisfy 0 < |k| <= 1, got {value:g}",
                    inst.span,
                )
        l1, l2 = _array(instances, "l1", 0.0), _array(instances, "l2", 0.0)
        coupled = [inst.extra.get("inductors") for inst in instances]
        if all(pair is not None for pair in coupled):  # the inductors' tc1/tc2 at temp
            l1 = l1 * temperature_factor([pair[0] for pair in coupled], temp, tnom)
            l2 = l2 * temperature_factor([pair[1] for pair in coupled], temp, tnom)
        self.mutual = k * np.sqrt(l1 * l2)

    def pattern(self) -> np.ndarray:
        return np.array([[False, True], [True, False]])

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        lead = x.shape[:-2]
        m = self.mutual
        q = np.stack([-m * x[..., 1], -m * x[..., 0]], axis=-1)
        dq = np.zeros((*lead, self.n, 2, 2))
        dq[..., 0, 1] = -m
        dq[..., 1, 0] = -m
        return Evaluation(i=np.zeros((*lead, self.n, 2)), di=np.zeros((*lead, self.n, 2, 2)),
                          q=q, dq=dq)
