"""Linear controlled sources E (VCVS), G (VCCS), F (CCCS) and H (CCVS).

Local unknowns (DESIGN.md order: terminals, controls, internal):

- E: (p, n, cp, cn, branch): ``i = [ib, -ib, 0, 0, (vp - vn) - gain (vcp - vcn)]``
- G: (p, n, cp, cn):         ``i = [g vc, -g vc, 0, 0]`` (current flows p -> through -> n)
- F: (p, n, ictl):           ``i = [gain ictl, -gain ictl, 0]``
- H: (p, n, ictl, branch):   ``i = [ib, -ib, 0, (vp - vn) - r ictl]``

``ictl`` is the branch current of the controlling element (a V source, an inductor, E or H),
positive into its + terminal. Param ``gain`` (V/V, S, A/A or ohm) and ``m`` (G and F only).
"""

from __future__ import annotations

import numpy as np

from netsim.circuit.circuit import Instance
from netsim.devices.base import BRANCH, DeviceGroup, EvalContext, Evaluation, UnknownSpec, register


def _gain(instances: list[Instance], scale_by_m: bool) -> np.ndarray:
    gain = np.array([float(inst.params["gain"]) for inst in instances])
    if scale_by_m:
        gain = gain * np.array([float(inst.params.get("m", 1.0)) for inst in instances])
    return gain


class _LinearControlled(DeviceGroup):
    """Shared machinery: a constant local Jacobian ``di`` (U, U) per instance."""

    linear = True
    scale_by_m = False

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        self.gain = _gain(instances, self.scale_by_m)
        self.jacobian = self._jacobian(self.gain)  # (N, U, U)

    def _jacobian(self, gain: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def pattern(self) -> np.ndarray:
        return np.any(self._jacobian(np.ones(1)) != 0.0, axis=0)

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        jac = np.broadcast_to(self.jacobian, (*x.shape[:-2], *self.jacobian.shape))
        i = np.einsum("...rc,...c->...r", jac, x)
        return Evaluation(i=i, di=np.array(jac))


@register
class VCVS(_LinearControlled):
    family = "vcvs"
    terminals = ("p", "n", "cp", "cn")
    voltage_defining = True

    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        return (BRANCH,)

    def _jacobian(self, gain: np.ndarray) -> np.ndarray:
        j = np.zeros((len(gain), 5, 5))
        j[:, 0, 4], j[:, 1, 4] = 1.0, -1.0
        j[:, 4, 0], j[:, 4, 1] = 1.0, -1.0
        j[:, 4, 2], j[:, 4, 3] = -gain, gain
        return j


@register
class VCCS(_LinearControlled):
    family = "vccs"
    terminals = ("p", "n", "cp", "cn")
    scale_by_m = True

    def _jacobian(self, gain: np.ndarray) -> np.ndarray:
        j = np.zeros((len(gain), 4, 4))
        j[:, 0, 2], j[:, 0, 3] = gain, -gain
        j[:, 1, 2], j[:, 1, 3] = -gain, gain
        return j


@register
class CCCS(_LinearControlled):
    family = "cccs"
    terminals = ("p", "n")
    scale_by_m = True

    def _jacobian(self, gain: np.ndarray) -> np.ndarray:
        j = np.zeros((len(gain), 3, 3))
        j[:, 0, 2], j[:, 1, 2] = gain, -gain
        return j


@register
class CCVS(_LinearControlled):
    family = "ccvs"
    terminals = ("p", "n")
    voltage_defining = True

    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        return (BRANCH,)

    def _jacobian(self, gain: np.ndarray) -> np.ndarray:
        j = np.zeros((len(gain), 4, 4))
        j[:, 0, 3], j[:, 1, 3] = 1.0, -1.0
        j[:, 3, 0], j[:, 3, 1] = 1.0, -1.0
        j[:, 3, 2] = -gain
        return j
