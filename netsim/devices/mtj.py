"""Magnetic tunnel junction ``mtj`` (compact, two terminals p n): TMR and STT switching.

Netlist::

    N1 p n mymtj [m0=0|1] [theta0=..] [any model parameter=..]
    .model mymtj mtj(level=1 rp=1k tmr0=0.7 vh=0.5 ic0=40u delta=40 ...)

The device current flows from terminal p to n; a positive current switches P -> AP, a
negative one AP -> P. Instance parameters override model parameters of the same name.

**Resistance** (both levels; PHYSICS.md §3). ``V = v(p) - v(n)``, ``c = cos(theta)`` the cosine
of the angle between free and reference layers::

    TMR(V) = tmr0 / (1 + V^2 / vh^2),      G_P = 1 / rp,     G_AP(V) = G_P / (1 + TMR(V))
    G(V, c) = (G_P + G_AP) / 2 + (G_P - G_AP) / 2 c,          I = G(V, c) V  (+ cp dV/dt)

so ``R_AP = rp (1 + TMR(V))`` at c = -1 and ``R_P = rp`` at c = 1 (M. Julliere, Phys. Lett. A 54,
225 (1975); bias dependence as in Y. Zhang, W. Zhao et al., IEEE TED 59, 819 (2012)).
Level 1 uses ``c = 1 - 2 m`` with the magnetic state m (0 = P, 1 = AP); level 2 ``c = mz``.

**Level 1, behavioural stochastic switching.** Internal states (both held in DC):

- ``m``: magnetic state, equation ``m - m_state = 0`` where ``m_state`` in {0, 1} is a discrete
  parameter of the group, changed only between time points;
- ``h``: accumulated switching hazard, ``dh/dt = r(s I)`` with ``s = 1 - 2 m_state`` and the rate
  ``r`` of :mod:`netsim.devices.mtj_rates` (Néel–Brown ``tau0 exp(delta (1 - I/ic0))`` below
  ``ic0``, Sun's precessional ``1/tau = ksun (I - ic0)`` above).

In an inhomogeneous Poisson process of rate r(t), the time of the next event is where
``int r dt`` reaches an Exp(1) variable. So each instance draws a threshold E ~ Exp(1) from the
analysis' seeded generator when the transient starts (``start``); after every accepted time
point (``accept``) an instance whose ``h`` has reached its threshold flips ``m_state``
(P <-> AP), records the event, and draws its next threshold ``h + E'``; ``accept`` then returns
True so the time-step control restarts as after a source corner. The device never sees the time
step: the switching statistics are exact for any steps short against the current's variation,
and independent of the step sizes. The crossing time is interpolated linearly between the two
last accepted points and recorded (:meth:`MTJ.event_table`); the circuit sees the new state
from the accepted point at or after the crossing, i.e. at most one time step late (keep
``tmax`` small against the dwell times when that delay matters). With ``delta`` <~ 10 and no
current the same device is a superparamagnetic p-bit with telegraph dwell times
``tau_P,AP = tau0 exp(delta (1 -+ I/ic0))`` (Camsari et al., PRX 7, 031014 (2017); Borders et
al., Nature 573, 390 (2019)).

**Level 2, macrospin LLGS** with Slonczewski and field-like torques and a Brown thermal field:
internal states ``mx my mz`` (held in DC), equations in :mod:`netsim.devices.mtj_llgs`.

Parameters (model card or instance; defaults: the Zhao/Paris-Sud PMA cell of PHYSICS.md §3 with
a 40 nm diameter chosen here):

=======  ==========================  ===============================================  =======
name     default                     meaning                                          unit
=======  ==========================  ===============================================  =======
level    1                           1 behavioural stochastic, 2 macrospin LLGS       -
rp       1e3 (or ra/area)            parallel resistance                              ohm
ra       --                          resistance-area product (sets rp = ra/area)      ohm m^2
tmr0     0.7                         zero-bias TMR ratio                              -
vh       0.5                         bias voltage halving the TMR                     V
cp       0                           capacitance across the junction                  F
m0       0                           initial state, 0 = P, 1 = AP                     -
area     pi (20 nm)^2                junction area                                    m^2
tfl      1.3e-9                      free-layer thickness                             m
ms       456e3                       saturation magnetisation                         A/m
hk       113e3                       effective perpendicular anisotropy field         A/m
alpha    0.027                       Gilbert damping                                  -
pol      0.52                        spin polarisation P                              -
delta    mu0 ms hk V / (2 kB T)      thermal stability factor (level 1)               -
ic0      4 e alpha delta kB T/       critical current, g = P / (2 (1 + P^2))          A
         (hbar g)
tau0     1e-9                        attempt time (level 1)                           s
eta      P / (2 (1 + P^2))           spin-torque efficiency (level 2)                 -
xi       0                           field-like / damping-like torque ratio (level 2) -
hx hy    0                           applied field (level 2)                          A/m
hz
theta0   0                           initial tilt of m from the easy axis (level 2)   rad
tcorr    5e-12                       thermal-field correlation interval (level 2)     s
noise    1                           0 switches the thermal field off (level 2)       -
temp     circuit                     device temperature                               °C
=======  ==========================  ===============================================  =======

Array shapes: x (..., N, U), U = 4 (level 1: p n m h) or 5 (level 2: p n mx my mz).
Not modelled: Brinkman/Simmons tunnelling, the angle dependence of Slonczewski's efficiency,
asymmetric P/AP critical currents, self-heating.
"""

from __future__ import annotations

import numpy as np

from netsim.circuit.circuit import Instance
from netsim.devices.base import (
    BOLTZMANN,
    CHARGE,
    DeviceGroup,
    EvalContext,
    Evaluation,
    UnknownSpec,
    compact_params,
    kelvin,
    register,
)
from netsim.devices.mtj_llgs import GAMMA, HBAR, MU0, ThermalField, llgs_rhs
from netsim.devices.mtj_rates import hazard_rate, sun_coefficient
from netsim.errors import ElaborationError

DEFAULTS = {
    "level": 1.0, "rp": 1e3, "tmr0": 0.7, "vh": 0.5, "cp": 0.0, "m0": 0.0,
    "area": np.pi * (20e-9) ** 2, "tfl": 1.3e-9, "ms": 456e3, "hk": 113e3, "alpha": 0.027,
    "pol": 0.52, "tau0": 1e-9, "xi": 0.0, "hx": 0.0, "hy": 0.0, "hz": 0.0, "theta0": 0.0,
    "tcorr": 5e-12, "noise": 1.0,
}
DERIVED = ("ra", "delta", "ic0", "eta", "temp")
SUPPORTED = set(DEFAULTS) | set(DERIVED)


def merged_params(inst: Instance) -> dict[str, float]:
    """Model parameters overridden by instance parameters (lower case; raise on unknown)."""
    if inst.model is None:
        raise ElaborationError(f"MTJ '{inst.name}' has no model", inst.span)
    return compact_params(inst, "mtj", dict.fromkeys(SUPPORTED))


def _level(inst: Instance) -> int:
    level = merged_params(inst).get("level", 1.0)
    if level not in (1.0, 2.0):
        raise ElaborationError(
            f"mtj model '{inst.model.name if inst.model else '?'}': level {level:g} is not "
            "supported", inst.span,
            hint="use level=1 (behavioural stochastic) or level=2 (macrospin LLGS)")
    return int(level)


def _initial_m(p: dict[str, float]) -> tuple[float, float, float]:
    theta = p.get("theta0", 0.0)
    sign = 1.0 if p.get("m0", 0.0) < 0.5 else -1.0
    return np.sin(theta), 0.0, sign * np.cos(theta)


@register
class MTJ(DeviceGroup):
    """Vectorised MTJ group (see the module docstring for equations and parameters)."""

    family = "mtj"
    terminals = ("p", "n")
    compact = True

    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        p = merged_params(inst)
        if _level(inst) == 1:
            return (UnknownSpec("m", "s", held=True, initial=p.get("m0", 0.0)),
                    UnknownSpec("h", "s", held=True, initial=0.0))
        mx, my, mz = _initial_m(p)
        return (UnknownSpec("mx", "s", held=True, initial=mx),
                UnknownSpec("my", "s", held=True, initial=my),
                UnknownSpec("mz", "s", held=True, initial=mz))

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        cards = [merged_params(inst) for inst in instances]
        self.level = _level(instances[0])
        for inst, c in zip(instances, cards, strict=True):
            _validate(inst, c)

        def col(key: str) -> np.ndarray:
            return np.array([c.get(key, DEFAULTS.get(key, np.nan)) for c in cards], dtype=float)

        self.temp_k = np.array([kelvin(c.get("temp", temp)) for c in cards])
        self.area, self.tfl = col("area"), col("tfl")
        ra = col("ra")
        self.rp = np.where(np.isnan(ra), col("rp"), ra / self.area)
        self.gp = 1.0 / self.rp
        self.tmr0, self.vh, self.cp = col("tmr0"), col("vh"), col("cp")
        self.ms, self.hk, self.alpha, self.pol = col("ms"), col("hk"), col("alpha"), col("pol")
        volume = self.area * self.tfl
        kt = BOLTZMANN * self.temp_k
        delta = col("delta")
        derived = MU0 * self.ms * self.hk * volume / (2.0 * np.maximum(kt, 1e-300))
        self.delta = np.where(np.isnan(delta), derived, delta)
        g = self.pol / (2.0 * (1.0 + self.pol ** 2))
        ic0 = col("ic0")
        self.ic0 = np.where(np.isnan(ic0), 4 * CHARGE * self.alpha * self.delta * kt / (HBAR * g),
                            ic0)
        self.tau0 = col("tau0")
        self.ksun = sun_coefficient(self.delta, self.pol, self.ms * volume)
        self.m0 = col("m0")
        eta = col("eta")
        self.eta = np.where(np.isnan(eta), g, eta)
        self.llg = {
            "gp": GAMMA * MU0 / (1.0 + self.alpha ** 2), "alpha": self.alpha, "hk": self.hk,
            "a": HBAR * self.eta / (2.0 * CHARGE * MU0 * self.ms * volume), "xi": col("xi"),
        }
        h_ext = np.stack([col("hx"), col("hy"), col("hz")], axis=-1)
        self.h_ext = h_ext
        scale = np.maximum(np.maximum(np.abs(self.hk), np.linalg.norm(h_ext, axis=-1)), 1e3)
        self.llg["lam"] = self.llg["gp"] * scale
        tcorr = col("tcorr")
        sigma = np.sqrt(2.0 * self.alpha * kt / (GAMMA * MU0 * MU0 * self.ms * volume * tcorr))
        sigma = np.where(col("noise") != 0.0, sigma, 0.0)
        self.thermal = ThermalField(sigma if self.level == 2 else np.zeros(self.n), tcorr)
        # level-1 discrete state and sampler (reset by start())
        self.state = (self.m0 >= 0.5).astype(float)
        self.threshold = np.full(self.n, np.inf)
        self._h_prev = np.zeros(self.n)
        self._t_prev = 0.0
        self.events: list[tuple[np.ndarray, np.ndarray, float, np.ndarray]] = []

    # ------------------------------------------------------------------ structure
    def pattern(self) -> np.ndarray:
        u = self.n_unknowns
        p = np.zeros((u, u), dtype=bool)
        if self.level == 1:
            p[np.ix_([0, 1], [0, 1, 2])] = True
            p[2, 2] = True
            p[3, [0, 1, 2, 3]] = True
        else:
            p[np.ix_([0, 1], [0, 1, 4])] = True
            p[2:5, :] = True
        return p

    # ------------------------------------------------------------------ numerics
    def conductance(self, v: np.ndarray, c: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(G, dG/dV, dG/dc) in S, S/V, S at bias v (V) and angle cosine c."""
        s = 1.0 + (v / self.vh) ** 2
        tmr = self.tmr0 / s
        dtmr = -self.tmr0 * 2.0 * v / (self.vh ** 2 * s ** 2)
        gap = self.gp / (1.0 + tmr)
        dgap = -self.gp / (1.0 + tmr) ** 2 * dtmr
        g = 0.5 * (self.gp + gap) + 0.5 * (self.gp - gap) * c
        return g, 0.5 * dgap * (1.0 - c), 0.5 * (self.gp - gap)

    def resistance(self, v: np.ndarray, c: np.ndarray) -> np.ndarray:
        """R(V, cos theta) in ohm."""
        return 1.0 / self.conductance(v, c)[0]

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        lead = x.shape[:-1]
        u = x.shape[-1]
        v = x[..., 0] - x[..., 1]
        cpos = 2 if self.level == 1 else 4
        c = 1.0 - 2.0 * x[..., 2] if self.level == 1 else x[..., 4]
        dc_dx = -2.0 if self.level == 1 else 1.0
        g, dgdv, dgdc = self.conductance(v, c)
        cur = g * v
        di_dv = g + v * dgdv
        di_dc = v * dgdc * dc_dx

        i = np.zeros((*lead, u))
        q = np.zeros((*lead, u))
        di = np.zeros((*lead, u, u))
        dq = np.zeros((*lead, u, u))
        i[..., 0], i[..., 1] = cur, -cur
        q[..., 0], q[..., 1] = self.cp * v, -self.cp * v
        for r, sign in ((0, 1.0), (1, -1.0)):
            di[..., r, 0] = sign * di_dv
            di[..., r, 1] = -sign * di_dv
            di[..., r, cpos] = sign * di_dc
            dq[..., r, 0] = sign * self.cp
            dq[..., r, 1] = -sign * self.cp
        if self.level == 1:
            self._behavioural_rows(x, cur, di_dv, di_dc, i, q, di, dq)
        else:
            self._llgs_rows(x, ctx, cur, di_dv, di_dc, i, q, di, dq)
        return Evaluation(i=i, di=di, q=q, dq=dq)

    def _behavioural_rows(self, x, cur, di_dv, di_dm, i, q, di, dq) -> None:
        """Rows 2 (m - m_state = 0) and 3 (dh/dt - r(s I) = 0)."""
        i[..., 2] = x[..., 2] - self.state
        di[..., 2, 2] = 1.0
        s = 1.0 - 2.0 * self.state
        rate, drate = hazard_rate(s * cur, self.ic0, self.delta, self.tau0, self.ksun)
        i[..., 3] = -rate
        d = -drate * s
        di[..., 3, 0] = d * di_dv
        di[..., 3, 1] = -d * di_dv
        di[..., 3, 2] = d * di_dm
        q[..., 3] = x[..., 3]
        dq[..., 3, 3] = 1.0

    def _llgs_rows(self, x, ctx, cur, di_dv, di_dmz, i, q, di, dq) -> None:
        """Rows 2-4: d m/dt - f(m, I, t) = 0."""
        m = x[..., 2:5]
        h = self.h_ext + self.thermal.at(ctx.t, m.shape)
        f, dfdm, dfdi = llgs_rhs(m, cur, h, self.llg)
        i[..., 2:5] = -f
        di[..., 2:5, 2:5] = -dfdm
        di[..., 2:5, 4] -= dfdi * di_dmz[..., None]
        di[..., 2:5, 0] = -dfdi * di_dv[..., None]
        di[..., 2:5, 1] = dfdi * di_dv[..., None]
        q[..., 2:5] = m
        dq[..., 2:5, 2:5] = np.eye(3)

    # ------------------------------------------------------------------ transient hooks
    def start(self, rng: np.random.Generator) -> None:
        """Reset the magnetic states to m0 and draw the first Exp(1) hazard thresholds (level
        1), or the thermal field's key (level 2)."""
        self.state = (self.m0 >= 0.5).astype(float)
        self._h_prev = np.zeros(self.n)
        self._t_prev = 0.0
        self.events = []
        if self.level == 1:
            self.threshold = rng.exponential(size=self.n)
        else:
            self.thermal.start(rng)

    def accept(self, x: np.ndarray, t: float, rng: np.random.Generator) -> bool:
        """Flip every level-1 instance whose hazard reached its threshold (see module doc)."""
        if self.level != 1:
            return False
        h = np.asarray(x[..., 3], dtype=float)
        hit = np.nonzero(h >= self.threshold)[0]
        if hit.size:
            span = h[hit] - self._h_prev[hit]
            frac = np.where(span > 0.0, (self.threshold[hit] - self._h_prev[hit])
                            / np.where(span > 0.0, span, 1.0), 1.0)
            t_cross = self._t_prev + np.clip(frac, 0.0, 1.0) * (t - self._t_prev)
            self.state[hit] = 1.0 - self.state[hit]
            self.events.append((hit, t_cross, float(t), self.state[hit].copy()))
            self.threshold[hit] = h[hit] + rng.exponential(size=hit.size)
        self._h_prev = h.copy()
        self._t_prev = float(t)
        return bool(hit.size)

    def event_table(self) -> dict[str, np.ndarray]:
        """Switching events of the last transient, in time order: 'instance' (index into
        ``names``), 't_cross' (s, interpolated hazard crossing), 't_flip' (s, the accepted
        point from which the circuit sees the new state) and 'state' (new state, 0 = P)."""
        if not self.events:
            empty = np.empty(0)
            return {"instance": empty.astype(int), "t_cross": empty, "t_flip": empty,
                    "state": empty}
        return {
            "instance": np.concatenate([e[0] for e in self.events]),
            "t_cross": np.concatenate([e[1] for e in self.events]),
            "t_flip": np.concatenate([np.full(e[0].size, e[2]) for e in self.events]),
            "state": np.concatenate([e[3] for e in self.events]),
        }

    def breakpoints(self, t_start: float, t_stop: float) -> np.ndarray:
        return self.thermal.breakpoints(t_start, t_stop)


def _validate(inst: Instance, c: dict[str, float]) -> None:
    positive = ("rp", "ra", "vh", "area", "tfl", "ms", "tau0", "ic0", "delta", "tcorr")
    for key in positive:
        if key in c and not c[key] > 0.0:
            raise ElaborationError(f"mtj '{inst.name}': {key} must be positive, got {c[key]:g}",
                                   inst.span)
    for key in ("cp", "alpha"):
        if c.get(key, 0.0) < 0.0:
            raise ElaborationError(f"mtj '{inst.name}': {key} must be >= 0", inst.span)
    if c.get("tmr0", 0.0) <= -1.0:
        raise ElaborationError(f"mtj '{inst.name}': tmr0 must be > -1", inst.span)
    if c.get("m0", 0.0) not in (0.0, 1.0):
        raise ElaborationError(
            f"mtj '{inst.name}': m0 must be 0 (parallel) or 1 (antiparallel), got "
            f"{c['m0']:g}", inst.span, hint="write m0=0 for P or m0=1 for AP")
