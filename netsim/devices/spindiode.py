"""Spin-diode RF synapse (family ``'spindiode'``): spin-torque FMR rectification in an MTJ.

Netlist: ``N1 p n sd [k=v ...]`` with ``.model sd spindiode(fres=1g ksd_a=8800 ...)``;
instance ``k=v`` values override the card. Terminals (p, n); the device current I flows
from p through the junction to n.

Physics (Tulapurkar et al., Nature 438, 339 (2005); Sankey et al., Nat. Phys. 4, 67 (2008)).
An RF current I(t) = I1 cos(2 pi f t) excites the free layer near its resonance; the
resistance oscillates, R(t) = r0 + dR(t), and V = I R(t) has a DC part. In the small-signal
limit the calibrated compact result is::

    V_DC = P_abs [ksd_s LS(f) + ksd_a LA(f)],   P_abs = r0 I1^2 / 2
    LS = D^2 / ((f - fres)^2 + D^2),   LA = 2 D (f - fres) / ((f - fres)^2 + D^2),   D = alpha fres

Here the rectification *emerges* from the circuit equation V = I R(states): nothing in the
model knows f. Internal states (all in volts, ``d/dt q + i = 0`` rows, q linear in the states,
so the same code serves DC, AC, transient and harmonic balance):

==========  ================================================================================
state       equation (w_r = 2 pi fres, G = alpha w_r, p = sqrt(3) w_r)
==========  ================================================================================
W = X + jY  dW/dt = (j w_r - G phi(U)) W + G r0 I    precession amplitude (driven oscillator)
H           dH/dt = p (r0 I - H)                      non-resonant background (one real pole)
U           dU/dt = G (r0 I - U)                      DC part of the current, r0 I_dc
==========  ================================================================================

Resistance ``R = r0 + 2 ksd_s X - 4 ksd_a Y + rho_h H`` with
``rho_h = (4/3) alpha (4 ksd_a - alpha ksd_s) / (alpha^2 + 4)``; the branch row is
``v(p) - v(n) - I R = 0`` (the current I is the unknown ``i(name)``, so R may pass through 0
without a singularity).

Coupling design. For I = Re(I1 e^{jwt}) the steady state of W is the sum of a resonant term
``G/(G + j(w - w_r))`` (the complex Lorentzian) and an anti-resonant term
``G/(G - j(w + w_r))``. The time average of I dR is ``(I1^2 / 4) Re[kappa (A+ + A-)]`` with
``kappa = 2 r0 (ksd_s + 2 j ksd_a)``: the resonant part is *exactly*
``(I1^2/2) r0 [ksd_s LS + ksd_a LA]``. The anti-resonant part (the mirror image every real
oscillator has at -fres) adds about ``-alpha ksd_a`` of the peak near resonance; the
background pole at sqrt(3) w_r cancels it in value and slope at fres (rho_h above), leaving
a model error below ``alpha^3 x^2`` of the peak at x = (f - fres)/D:

=======  =====================================================
alpha    max |V_DC - formula| / max|formula| over fres +- 5 D
=======  =====================================================
0.01     5e-6
0.05     7e-4
0.1      7e-3
=======  =====================================================

Because the states are linear in I, V_DC is exactly proportional to P_abs at every amplitude
(no saturation or fold-over is modelled: large-angle precession is outside the model).

DC bias. ``phi(U) = smax(1 - U / (r0 ith), m) / smax(1, m)``, a smooth max with floor
m = 0.02, so alpha_eff = alpha (1 - I_dc/ith) for |I_dc| up to about 0.9 ith and the damping
never changes sign (above threshold a real junction auto-oscillates: use ``stno``). The DC
part of the current is the state U, a first-order low-pass with corner D = alpha fres: its RF
ripple is alpha I1 in quadrature and modulates the damping only at second order
(~alpha^3 (I1/ith)^2), so the rectification stays linear in P even for I1 > ith. The drive
G r0 I does not depend on the bias: as in the physical spin-torque FMR (Sankey 2008), the
Lorentzian height is torque over damping, so a bias that narrows the line raises its peak::

    V_DC = P_abs (alpha / alpha_eff) [ksd_s LS + ksd_a LA](D = alpha_eff fres)

With ith = 0 the bias dependence is off (phi = 1).

Other analyses. DC: the states are solved (not held); for a DC current the static tilt
changes R by about -(8/3) alpha ksd_a r0 I_dc (0.23 % of r0 at 10 uA with the defaults). AC:
around zero bias the device is the resistor r0; under a bias I_dc its small-signal impedance
is ``R_dc + I_dc K(jw)`` with Re K = r0 (alpha/alpha_eff) [ksd_s LS + ksd_a LA] (the
spin-torque FMR impedance, the same lineshape as the rectification).

Numerical note: the trapezoidal rule warps a resonator's frequency by (w h)^2 / 12; with
alpha = 0.01 keep ``tmax`` <= 1/(300 f) in a transient (resonance shift < 0.3 % of D).

Parameters (model card or instance):

=======  =======  ==================================================  =====
name     default  meaning                                             unit
=======  =======  ==================================================  =====
r0       1k       junction resistance at rest                         ohm
fres     1g       free-layer resonance frequency                      Hz
alpha    0.01     Gilbert damping (half width D = alpha fres)         -
ksd_s    0        symmetric sensitivity (damping-like torque)         V/W
ksd_a    8800     antisymmetric sensitivity (field-like torque)       V/W
ith      10u      threshold current of the bias narrowing (0 = off)   A
=======  =======  ==================================================  =====

ksd_a = 8800 V/W = 8.8 mV/uW is the CNRS/Thales network's K_SD = 0.088/I_th with
I_th = 10 uA (Leroux et al., PR Applied 15, 034067 (2021); Ross et al., Nat. Nanotechnol.
18, 1273 (2023)). Unknowns per instance: (v_p, v_n, I, X, Y, H, U).
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
    compact_params,
    register,
)
from netsim.errors import ElaborationError

ALPHA_FLOOR = 0.02  # smallest alpha_eff / alpha (keeps the linear resonator stable)
_DEFAULTS = {"r0": 1e3, "fres": 1e9, "alpha": 0.01, "ksd_s": 0.0, "ksd_a": 8800.0,
             "ith": 10e-6}
# unknown indices
_P, _N, _I, _X, _Y, _H, _U = range(7)


def _check(inst: Instance, family: str, ok: bool, message: str) -> None:
    if not ok:
        raise ElaborationError(f"{family} '{inst.name}': {message}", inst.span)


def _smax(v: np.ndarray, m: float) -> tuple[np.ndarray, np.ndarray]:
    """Smooth max(v, m) = (v + m + sqrt((v - m)^2 + m^2)) / 2 and its derivative."""
    root = np.sqrt((v - m) ** 2 + m * m)
    return 0.5 * (v + m + root), 0.5 * (1.0 + (v - m) / root)


@register
class SpinDiode(DeviceGroup):
    """Vectorised spin-diode group (equations and parameters: module docstring)."""

    family = "spindiode"
    terminals = ("p", "n")
    compact = True

    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        return (BRANCH, UnknownSpec("x", "s"), UnknownSpec("y", "s"), UnknownSpec("h", "s"),
                UnknownSpec("u", "s"))

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        cards = [compact_params(inst, self.family, _DEFAULTS) for inst in instances]
        for inst, c in zip(instances, cards):
            _check(inst, self.family, c["r0"] > 0, "r0 must be > 0")
            _check(inst, self.family, c["fres"] > 0, "fres must be > 0")
            _check(inst, self.family, 0 < c["alpha"] < 1, "alpha must be in (0, 1)")
            _check(inst, self.family, c["ith"] >= 0, "ith must be >= 0 (0: no bias effect)")

        def col(key: str) -> np.ndarray:
            return np.array([c[key] for c in cards], dtype=float)

        self.r0 = col("r0")
        self.alpha = col("alpha")
        self.wr = 2.0 * np.pi * col("fres")
        ks, ka = col("ksd_s"), col("ksd_a")
        a = self.alpha
        self.rho_x = 2.0 * ks
        self.rho_y = -4.0 * ka
        self.rho_h = (4.0 / 3.0) * a * (4.0 * ka - a * ks) / (a * a + 4.0)
        self.pole = np.sqrt(3.0)  # background pole / w_r
        ith = col("ith")
        with np.errstate(divide="ignore"):
            self.inv_vth = np.where(ith > 0, 1.0 / (self.r0 * np.where(ith > 0, ith, 1.0)), 0.0)
        self.phi_norm = _smax(np.ones(self.n), ALPHA_FLOOR)[0]
        # state-independent Jacobian entries, (N, 7, 7)
        di = np.zeros((self.n, 7, 7))
        di[:, _P, _I], di[:, _N, _I] = 1.0, -1.0
        di[:, _I, _P], di[:, _I, _N] = 1.0, -1.0
        di[:, _X, _I] = -self.alpha * self.r0
        di[:, _X, _Y], di[:, _Y, _X] = 1.0, -1.0
        di[:, _H, _I], di[:, _H, _H] = -self.r0, 1.0
        di[:, _U, _I], di[:, _U, _U] = -self.alpha * self.r0, self.alpha
        self._di_const = di
        dq = np.zeros((self.n, 7, 7))
        dq[:, _X, _X] = dq[:, _Y, _Y] = dq[:, _U, _U] = 1.0 / self.wr
        dq[:, _H, _H] = 1.0 / (self.pole * self.wr)
        self._dq_const = dq

    def pattern(self) -> np.ndarray:
        p = np.zeros((7, 7), dtype=bool)
        p[_P, _I] = p[_N, _I] = True
        p[_I, [_P, _N, _I, _X, _Y, _H]] = True
        p[_X, [_I, _X, _Y, _U]] = True
        p[_Y, [_X, _Y, _U]] = True
        p[_H, [_I, _H]] = True
        p[_U, [_I, _U]] = True
        return p

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        lead = x.shape[:-1]
        cur, sx, sy, sh, su = (x[..., k] for k in (_I, _X, _Y, _H, _U))
        r0, a, wr = self.r0, self.alpha, self.wr
        res = r0 + self.rho_x * sx + self.rho_y * sy + self.rho_h * sh
        sm, dsm = _smax(1.0 - su * self.inv_vth, ALPHA_FLOOR)
        phi = sm / self.phi_norm
        dphi = -dsm * self.inv_vth / self.phi_norm
        damp = a * phi

        i = np.empty((*lead, 7))
        q = np.zeros((*lead, 7))
        i[..., _P] = cur
        i[..., _N] = -cur
        i[..., _I] = x[..., _P] - x[..., _N] - cur * res
        i[..., _X] = damp * sx + sy - a * r0 * cur
        i[..., _Y] = damp * sy - sx
        i[..., _H] = sh - r0 * cur
        i[..., _U] = a * (su - r0 * cur)
        q[..., _X] = sx / wr
        q[..., _Y] = sy / wr
        q[..., _H] = sh / (self.pole * wr)
        q[..., _U] = su / wr

        di = np.broadcast_to(self._di_const, (*lead, 7, 7)).copy()
        di[..., _I, _I] = -res
        di[..., _I, _X] = -cur * self.rho_x
        di[..., _I, _Y] = -cur * self.rho_y
        di[..., _I, _H] = -cur * self.rho_h
        di[..., _X, _X] = damp
        di[..., _X, _U] = a * dphi * sx
        di[..., _Y, _Y] = damp
        di[..., _Y, _U] = a * dphi * sy
        dq = np.broadcast_to(self._dq_const, (*lead, 7, 7)).copy()
        return Evaluation(i=i, di=di, q=q, dq=dq)


def rectified_voltage(p_abs, f, fres, alpha=0.01, ksd_s=0.0, ksd_a=8800.0, alpha_eff=None):
    """Closed-form small-signal DC voltage (V) of the compact formula, for checks and plots.

    With ``alpha_eff`` (bias-narrowed damping) the line has half width alpha_eff fres and the
    height scales by alpha / alpha_eff, as the model gives under a DC bias.
    """
    ae = alpha if alpha_eff is None else alpha_eff
    d = ae * np.asarray(fres)
    det = np.asarray(f) - fres
    den = det**2 + d**2
    return p_abs * (alpha / ae) * (ksd_s * d**2 / den + ksd_a * 2.0 * d * det / den)
