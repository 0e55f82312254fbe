"""Spin-torque nano-oscillator (family ``'stno'``): a current-driven auto-oscillator neuron.

Netlist: ``N1 p n osc [k=v ...]`` with ``.model osc stno(f0=300meg ith=10u q=2 ...)``;
instance ``k=v`` values override the card. Terminals (p, n); the bias current I flows from p
through the junction to n (a negative current adds damping).

Physics: the Slavin–Tiberkevich universal auto-oscillator (A. Slavin and V. Tiberkevich,
IEEE Trans. Magn. 45, 1875 (2009)) for the complex precession amplitude c, p = |c|^2::

    dc/dt = -j w(p) c - Gp(p) c + Gm(p) c
    w(p)  = 2 pi (f0 + fnl p)                 (nonlinear frequency shift fnl, Hz)
    Gp(p) = G_G (1 + q p),   G_G = 2 pi alpha f0     (positive, Gilbert damping)
    Gm(p) = G_G (I / ith) (1 - p)                    (negative damping from spin torque)

Resistance ``R = r0 + dr sqrt(p) cos(phi) = r0 + dr Re(c)`` with c = sqrt(p) e^{-j phi}. The
states are the real and imaginary parts of c (dimensionless), so nothing is singular at p = 0;
the branch row is ``v(p) - v(n) - I R = 0`` with the current I as unknown ``i(name)``.
State rows (``d/dt q + i = 0``, q linear in the states)::

    q = cr / w0,   i = -(g cr + w ci) / w0        g(p, I) = Gm - Gp,  w0 = 2 pi f0
    q = ci / w0,   i = -(g ci - w cr) / w0

Closed forms (zeta = I / ith): above threshold (zeta > 1) the amplitude settles at
``p0 = (zeta - 1) / (zeta + q)``, the frequency at ``f0 + fnl p0`` and the RF voltage across
the device at amplitude ``I dr sqrt(p0)`` (plus the DC part I r0); the amplitude grows from a
small seed at the rate G_G (zeta - 1) and p relaxes to p0 at the rate 2 G_G (zeta - 1).
Below threshold |c| decays at the rate G_G (1 - zeta).

DC and start-up. c = 0 is always an equilibrium (unstable above threshold), so an operating
point that solved the state equations would start every transient exactly at c = 0 and it
would never oscillate. Both states are therefore *held* in DC solves at the seed
``c = j c0`` (``c0`` = 1e-3 by default): Re(c) = 0 there, so the DC resistance is exactly r0
and .op/.dc report V = I r0; a transient starts from the seed and auto-oscillates (or decays
below threshold). c0 = 0 gives a device that stays quiet. The seed fixes the start phase
deterministically; thermal noise (linewidth) is not modelled. AC analysis linearises about
the seed (not an equilibrium); its state contributions are of order c0 dr I.

Numerical note: the trapezoidal rule keeps the limit-cycle amplitude exact (|1 + z/2| =
|1 - z/2| on the imaginary axis) and shifts the frequency by (w h)^2 / 12: ~100 points per
period give 0.03 %. (netsim's transient stores the charges of the last Newton load, one
update behind the accepted solution; on this limit cycle that raises p0 by roughly
(w h)^2 relative, 0.4 % at 100 points per period, 0.04 % at 300.)

Parameters (model card or instance):

=======  =======  ====================================================  =====
name     default  meaning                                               unit
=======  =======  ====================================================  =====
r0       1k       resistance at rest (parallel/antiparallel mean)       ohm
dr       500      resistance swing per unit amplitude sqrt(p)           ohm
f0       1g       linear (small-amplitude) frequency                    Hz
fnl      0        nonlinear frequency shift N / 2 pi                    Hz
q        2        nonlinear damping coefficient Q                       -
ith      10u      threshold current                                     A
alpha    0.01     Gilbert damping (G_G = 2 pi alpha f0)                 -
c0       1e-3     start-up seed amplitude (held in DC)                  -
=======  =======  ====================================================  =====

Defaults follow the CNRS/Thales network's neurons (Q = 2, I_th = 10 uA, R = 1 kOhm; Ross et
al., Nat. Nanotechnol. 18, 1273 (2023); Torrejon et al., Nature 547, 428 (2017)). Unknowns
per instance: (v_p, v_n, I, cr, ci).
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
from netsim.devices.spindiode import _check

_DEFAULTS = {"r0": 1e3, "dr": 500.0, "f0": 1e9, "fnl": 0.0, "q": 2.0, "ith": 10e-6,
             "alpha": 0.01, "c0": 1e-3}
_P, _N, _I, _CR, _CI = range(5)


def steady_state(current, ith=10e-6, q=2.0, f0=1e9, fnl=0.0, dr=500.0):
    """Closed forms (p0, frequency Hz, RF voltage amplitude V) for a DC bias current (A)."""
    zeta = np.asarray(current, dtype=float) / ith
    p0 = np.where(zeta > 1.0, (zeta - 1.0) / (zeta + q), 0.0)
    return p0, f0 + fnl * p0, np.asarray(current) * dr * np.sqrt(p0)


@register
class STNO(DeviceGroup):
    """Vectorised spin-torque nano-oscillator group (see the module docstring)."""

    family = "stno"
    terminals = ("p", "n")
    compact = True
    hold_in_periodic = False  # the seed only starts transients

    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        c0 = compact_params(inst, cls.family, _DEFAULTS)["c0"]
        return (BRANCH, UnknownSpec("cr", "s", held=True, initial=0.0),
                UnknownSpec("ci", "s", held=True, initial=c0))

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        cards = [compact_params(inst, self.family, _DEFAULTS) for inst in instances]
        for inst, c in zip(instances, cards):
            _check(inst, self.family, c["r0"] > 0, "r0 must be > 0")
            _check(inst, self.family, c["f0"] > 0, "f0 must be > 0")
            _check(inst, self.family, c["f0"] + min(c["fnl"], 0.0) > 0,
                   "f0 + fnl must stay > 0 (frequency at p = 1)")
            _check(inst, self.family, c["alpha"] > 0, "alpha must be > 0")
            _check(inst, self.family, c["ith"] > 0, "ith must be > 0")
            _check(inst, self.family, c["q"] > -1, "q must be > -1")
            _check(inst, self.family, c["c0"] >= 0, "c0 must be >= 0")

        def col(key: str) -> np.ndarray:
            return np.array([c[key] for c in cards], dtype=float)

        self.r0, self.dr, self.q, self.ith = col("r0"), col("dr"), col("q"), col("ith")
        self.w0 = 2.0 * np.pi * col("f0")
        self.wnl = 2.0 * np.pi * col("fnl")
        self.gg = col("alpha") * self.w0

    def pattern(self) -> np.ndarray:
        p = np.zeros((5, 5), dtype=bool)
        p[_P, _I] = p[_N, _I] = True
        p[_I, [_P, _N, _I, _CR]] = True
        p[_CR, [_I, _CR, _CI]] = True
        p[_CI, [_I, _CR, _CI]] = True
        return p

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        lead = x.shape[:-1]
        cur, cr, ci = x[..., _I], x[..., _CR], x[..., _CI]
        w0, gg = self.w0, self.gg
        p = cr * cr + ci * ci
        zeta = cur / self.ith
        g = gg * (zeta * (1.0 - p) - (1.0 + self.q * p))
        g_p = -gg * (zeta + self.q)
        g_i = gg * (1.0 - p) / self.ith
        w = w0 + self.wnl * p
        w_p = self.wnl
        res = self.r0 + self.dr * cr

        i = np.zeros((*lead, 5))
        q = np.zeros((*lead, 5))
        di = np.zeros((*lead, 5, 5))
        dq = np.zeros((*lead, 5, 5))
        i[..., _P] = cur
        i[..., _N] = -cur
        i[..., _I] = x[..., _P] - x[..., _N] - cur * res
        i[..., _CR] = -(g * cr + w * ci) / w0
        i[..., _CI] = -(g * ci - w * cr) / w0
        q[..., _CR] = cr / w0
        q[..., _CI] = ci / w0

        di[..., _P, _I] = 1.0
        di[..., _N, _I] = -1.0
        di[..., _I, _P] = 1.0
        di[..., _I, _N] = -1.0
        di[..., _I, _I] = -res
        di[..., _I, _CR] = -cur * self.dr
        # d/dcr and d/dci through g, w and p = cr^2 + ci^2
        di[..., _CR, _CR] = -(g + 2.0 * cr * (g_p * cr + w_p * ci)) / w0
        di[..., _CR, _CI] = -(w + 2.0 * ci * (g_p * cr + w_p * ci)) / w0
        di[..., _CR, _I] = -g_i * cr / w0
        di[..., _CI, _CR] = -(-w + 2.0 * cr * (g_p * ci - w_p * cr)) / w0
        di[..., _CI, _CI] = -(g + 2.0 * ci * (g_p * ci - w_p * cr)) / w0
        di[..., _CI, _I] = -g_i * ci / w0
        dq[..., _CR, _CR] = 1.0 / w0
        dq[..., _CI, _CI] = 1.0 / w0
        return Evaluation(i=i, di=di, q=q, dq=dq)
