"""SPICE junction diode ``D`` (family ``'diode'``), as ngspice 39 computes it (level 1).

Netlist: ``D1 a k dmod [area=..] [m=..] [off] [ic=v] [temp=..|dtemp=..]`` (``ic=`` is read
but not used: a uic transient starts the junction from its node voltages and says so) with
``.model dmod d(...)``. Terminals (anode, cathode); with ``rs > 0`` an internal anode node
``a_int`` (unknown index 2) sits between the series resistance and the junction.

Junction voltage ``vd = v(a_int) - v(k)`` (``a_int = a`` when rs = 0). With
``vt = k T / q``, ``vte = n vt``, ``vtb = nbv vt`` and the temperature-scaled ``Is(T)``:

=============================  ============================================================
forward ``vd >= -3 vte``       ``Id = Is (exp(vd/vte) - 1)``
reverse ``-BV(T) <= vd``       ``Id = -Is (1 + (3 vte / (e vd))^3)``  (SPICE2 cubic tail)
breakdown (BV given)           ``Id = -Is exp(-(BV(T) + vd) / vtb)``
high injection (IKF/IKR > 0)   ``Id / (1 + sqrt(Id / IK))``  (forward / reverse knees)
=============================  ============================================================

plus ``gmin * vd`` in parallel (``ctx.gmin``). The junction charge is
``Q = tt Id' + Qdep(vd)`` with ``Id'`` the current without gmin and knee and ``Qdep`` the
depletion charge of :func:`netsim.devices.junction.depletion` (linearised beyond ``fc vj``).
``area`` scales IS, CJO, IKF, IKR and 1/RS; ``m`` (parallel multiplier) scales them again and
IBV. The breakdown voltage is matched to IBV by SPICE's fixed-point iteration (relative
tolerance ``RELTOL`` = 1e-3, ngspice's default reltol).

Temperature (T in K, Tnom = ``tnom`` or the circuit's nominal temperature)::

    Is(T)  = Is (T/Tnom)^(xti/n) exp((T/Tnom - 1) eg / (n vt(T)))
    BV(T)  = bv - tcv (T - Tnom)
    vj(T), cjo(T)  : junction.scale_junction (SPICE3 grading correction)
    tt(T) = tt (1 + tt1 dT + tt2 dT^2),  rs(T) = rs (1 + trs1 dT + trs2 dT^2)

Model parameters (ngspice names; aliases in parentheses):

======  =======  =====================================  ========
name    default  meaning                                unit
======  =======  =====================================  ========
is      1e-14    saturation current                     A
n       1        emission coefficient                   -
rs      0        series resistance                      ohm
cjo     0        zero-bias junction capacitance (cj0)   F
vj      1        junction potential (pb)                V
m       0.5      grading coefficient (mj), max 0.9      -
fc      0.5      forward-bias depletion coefficient     -
bv      --       reverse breakdown voltage              V
ibv     1e-3     current at breakdown voltage           A
nbv     n        breakdown emission coefficient         -
ikf     --       forward knee current (ik)              A
ikr     --       reverse knee current                   A
tt      0        transit time                           s
eg      1.11     activation energy                      eV
xti     3        saturation-current temperature exp.    -
tnom    circuit  nominal temperature                    °C
tcv     0        breakdown-voltage temperature coeff.   V/K
tt1/2   0        transit-time temperature coeffs.       1/K, 1/K^2
trs1/2  0        rs temperature coefficients (trs)      1/K, 1/K^2
isr     0        recombination saturation current       A
nr      1        recombination emission coefficient     -
======  =======  =====================================  ========

nr defaults to 1 as in ngspice 39's code (its manual says 2: a model card that means 2 must
write ``nr=2``; checked by running ngspice 39 with isr and without nr).

Recombination current (ngspice): in the forward region, ``isr (exp(vd/(nr vt)) - 1) * gen``
with ``gen = ((1 - vd/vj)^2 + 0.005)^(m/2)`` is added to the junction current (so it also
carries diffusion charge and the knee). ngspice's own conductance for this term omits factors;
netsim uses the exact derivative (same DC solution; AC differs only where this term matters).

Ignored: the noise parameters ``kf``, ``af`` (no noise analysis), the safe-operating-area
warning limits ``fv_max bv_max id_max pd_max te_max``, the ratings vendor (LTspice) libraries
carry ``vpk ipk iave irms diss``, and ``level=1``. Any other diode
parameter (sidewall, tunnel, self-heating, level 3 geometry) is rejected with an
ElaborationError instead of being silently ignored.

Array shapes: x (..., N, U) with U = 2 (rs = 0) or 3 (rs > 0); i, q (..., N, U);
di, dq (..., N, U, U).
"""

from __future__ import annotations

import numpy as np

from netsim.circuit.circuit import Instance
from netsim.devices.base import DeviceGroup, EvalContext, Evaluation, UnknownSpec, register
from netsim.devices.junction import (
    KOQ,
    ROOT2,
    Depletion,
    E,
    pnjlim,
    scale_junction,
    temperature_kelvin,
)
from netsim.errors import ElaborationError

RELTOL = 1e-3
_ALIASES = {"cj0": "cjo", "cj": "cjo", "pb": "vj", "mj": "m", "ik": "ikf", "trs": "trs1"}
_SUPPORTED = {
    "is", "n", "rs", "cjo", "vj", "m", "fc", "bv", "ibv", "nbv", "ikf", "ikr", "tt", "eg",
    "xti", "tnom", "tcv", "tt1", "tt2", "trs1", "trs2", "isr", "nr",
}
# noise and safe-operating-area limits, and the ratings of vendor (LTspice) libraries: none
# changes a simulated value, in ngspice either
_IGNORED = {"kf", "af", "level", "fv_max", "bv_max", "id_max", "pd_max", "te_max",
            "vpk", "ipk", "iave", "irms", "diss"}
_DEFAULTS = {
    "is": 1e-14, "n": 1.0, "rs": 0.0, "cjo": 0.0, "vj": 1.0, "m": 0.5, "fc": 0.5, "ibv": 1e-3,
    "tt": 0.0, "eg": 1.11, "xti": 3.0, "tcv": 0.0, "tt1": 0.0, "tt2": 0.0, "trs1": 0.0,
    "trs2": 0.0, "ikf": 0.0, "ikr": 0.0, "isr": 0.0, "nr": 1.0,
}
GRADING_MAX = 0.9


def model_params(inst: Instance) -> dict[str, float]:
    """The instance's diode model parameters, aliases resolved (raise on unsupported ones)."""
    if inst.model is None:
        raise ElaborationError(f"diode '{inst.name}' has no model", inst.span)
    out: dict[str, float] = {}
    for key, value in inst.model.params.items():
        name = _ALIASES.get(key.lower(), key.lower())
        if name in _IGNORED:
            continue
        if name not in _SUPPORTED:
            raise ElaborationError(
                f"diode model '{inst.model.name}': parameter '{key}' is not supported",
                inst.model.span or inst.span,
                hint="supported: " + " ".join(sorted(_SUPPORTED)),
            )
        out[name] = float(value)
    if name_level := inst.model.params.get("level"):
        if float(name_level) != 1.0:
            raise ElaborationError(
                f"diode model '{inst.model.name}': level {name_level:g} is not supported",
                inst.model.span or inst.span,
                hint="use level=1 (the SPICE junction diode)",
            )
    return out


def _has_rs(inst: Instance) -> bool:
    return model_params(inst).get("rs", 0.0) != 0.0


def _param(inst: Instance, key: str, default: float) -> float:
    value = inst.params.get(key)
    return default if value is None else float(value)


@register
class Diode(DeviceGroup):
    """Vectorised SPICE diode group (see the module docstring for equations and parameters)."""

    family = "diode"
    current_test = True
    terminals = ("a", "k")

    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        return (UnknownSpec("a_int", "v"),) if _has_rs(inst) else ()

    @classmethod
    def group_key(cls, inst: Instance):
        return (len(inst.nodes), len(inst.controls), cls.internal_unknowns(inst))

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        cards = [model_params(inst) for inst in instances]

        def col(key: str, default: float | None = None) -> np.ndarray:
            d = _DEFAULTS.get(key, default)
            return np.array([c.get(key, d) for c in cards], dtype=float)

        for inst in instances:
            if _param(inst, "area", 1.0) <= 0 or _param(inst, "m", 1.0) <= 0:
                raise ElaborationError(
                    f"diode '{inst.name}': area and m must be positive", inst.span
                )
        area = np.array([_param(i, "area", 1.0) for i in instances])
        mult = np.array([_param(i, "m", 1.0) for i in instances])
        t = np.array([temperature_kelvin(i.params, temp) for i in instances])
        t_nom = np.array([c.get("tnom", tnom) + 273.15 for c in cards])
        n = col("n")
        for inst, card in zip(instances, cards):
            for key in ("n", "vj", "nr"):  # emission coefficients and the built-in potential
                if key in card and not card[key] > 0:
                    raise ElaborationError(
                        f"diode model '{inst.model.name}': {key} must be positive, got "
                        f"{card[key]:g}", inst.model.span or inst.span)
        self.has_rs = _has_rs(instances[0])
        self.off = np.array([bool(i.params.get("off", False)) for i in instances])
        self.temp_k = t
        vt = KOQ * t
        self.vt = vt
        self.vte = n * vt
        self.vtb = np.array([c.get("nbv", c.get("n", 1.0)) for c in cards]) * vt
        dt = t - t_nom

        # grading coefficient (ngspice limits it to 0.9)
        mj = np.minimum(col("m"), GRADING_MAX)
        self.mj = mj
        fc = col("fc")
        self.fc = fc
        vj_t, cj_t = scale_junction(col("vj"), col("cjo") * area * mult, mj, t, t_nom)
        over = fc * vj_t > 1.0
        self.vj = np.where(over, 1.0 / np.where(fc > 0, fc, 1.0), vj_t)
        self.cj = cj_t

        is_ = np.maximum(col("is"), 1e-28)
        ratio = t / t_nom
        arg1 = (ratio - 1.0) * col("eg") / self.vte
        arg2 = col("xti") / n * np.log(ratio)
        self.isat = mult * is_ * area * np.exp(arg1 + arg2)
        self.vcrit = self.vte * np.log(self.vte / (ROOT2 * self.isat))
        # recombination current (ISR, NR), temperature-scaled as ngspice's DIOtemp: the
        # band-gap and XTI terms both with NR
        self.vtr = col("nr") * vt
        self.isr = mult * area * col("isr") * np.exp((ratio - 1.0) * col("eg") / self.vtr
                                                       + col("xti") / col("nr") * np.log(ratio))

        self.ikf = col("ikf") * area * mult
        self.ikr = col("ikr") * area * mult
        self.tt = col("tt") * (1.0 + col("tt1") * dt + col("tt2") * dt * dt)
        rs = col("rs")
        rfac = 1.0 + col("trs1") * dt + col("trs2") * dt * dt
        with np.errstate(divide="ignore"):
            self.gspr = np.where(rs != 0, mult * area / (rs * rfac), 0.0)

        self.bv_given = np.array(["bv" in c for c in cards])
        bv = np.array([c.get("bv", np.inf) for c in cards]) - col("tcv") * dt
        cbv = mult * col("ibv")
        self.bv = np.array(
            [
                _match_breakdown(bv[k], cbv[k], self.isat[k], vt[k], self.vtb[k])
                if self.bv_given[k] else np.inf
                for k in range(self.n)
            ]
        )
        self._derived()

    def _derived(self) -> None:
        """Parameter-only constants of the evaluation and the fixed stamp patterns."""
        u = self.n_unknowns
        j = 2 if self.has_rs else 0
        self._jn = j
        self._m3vte = -3.0 * self.vte
        self._any_bv = bool(np.any(self.bv_given))
        self._any_isr = bool(np.any(self.isr > 0.0))
        self._any_knee = bool(np.any(self.ikf > 0) or np.any(self.ikr > 0))
        self._dep = Depletion(self.cj, self.vj, self.mj, self.fc)
        stamp = np.zeros((u, u))
        stamp[j, j], stamp[j, 1], stamp[1, j], stamp[1, 1] = 1.0, -1.0, -1.0, 1.0
        self._stamp = stamp
        sign = np.zeros(u)
        sign[j], sign[1] = 1.0, -1.0
        self._sign = sign
        self._res = None
        if self.has_rs:
            res = np.zeros((self.n, u, u))
            res[:, 0, 0] += self.gspr
            res[:, 0, 2] -= self.gspr
            res[:, 2, 0] -= self.gspr
            res[:, 2, 2] += self.gspr
            self._res = res

    def pattern(self) -> np.ndarray:
        u = self.n_unknowns
        p = np.zeros((u, u), dtype=bool)
        j = 2 if self.has_rs else 0  # junction's positive node
        for r in (j, 1):
            for c in (j, 1):
                p[r, c] = True
        if self.has_rs:
            p[0, 0] = p[0, 2] = p[2, 0] = True
        return p

    # ------------------------------------------------------------------ numerics
    def junction_current(self, vd: np.ndarray, gmin: float):
        """(cd, gd, cdb, gdb): total current/conductance (with knee and gmin) and the ideal
        junction current/conductance that the diffusion charge follows. vd (..., N)."""
        isat, vte = self.isat, self.vte
        fwd = vd >= self._m3vte
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            if not self._any_bv and fwd.all():  # the usual case: every junction forward
                evd = np.exp(vd / vte)
                cdb = isat * (evd - 1.0)
                gdb = isat * evd / vte
            else:
                vtb, bv = self.vtb, self.bv
                brk = self.bv_given & (vd < -bv)
                evd = np.exp(np.where(fwd, vd, 0.0) / vte)
                vr = np.where(fwd | brk, -1.0, vd)
                arg = (3.0 * vte / (vr * E)) ** 3
                evrev = np.exp(np.where(brk, -(bv + vd), 0.0) / vtb)
                cdb = np.where(fwd, isat * (evd - 1.0),
                               np.where(brk, -isat * evrev, -isat * (1 + arg)))
                g_rev = np.where(brk, isat * evrev / vtb, isat * 3 * arg / vr)
                gdb = np.where(fwd, isat * evd / vte, g_rev)
            if self._any_isr:  # recombination current, forward region only (ngspice)
                erec = np.exp(np.where(fwd, vd, 0.0) / self.vtr)
                crec = self.isr * (erec - 1.0)
                grec = self.isr * erec / self.vtr
                u = 1.0 - vd / self.vj
                t1 = u * u + 0.005
                gen = t1 ** (0.5 * self.mj)
                dgen = -self.mj * u / self.vj * t1 ** (0.5 * self.mj - 1.0)
                cdb = np.where(fwd, cdb + crec * gen, cdb)
                gdb = np.where(fwd, gdb + grec * gen + crec * dgen, gdb)
            cd, gd = cdb, gdb
            if self._any_knee:
                knee = np.where(fwd, self.ikf, self.ikr)
                use = (knee > 0) & np.where(fwd, cdb > 1e-18, cdb < -1e-18)
                if np.any(use):
                    ik = np.where(use, knee, 1.0)
                    ratio = np.where(use, np.abs(cdb) / ik, 1.0)
                    s = np.sqrt(ratio)
                    cd_k = cdb / (1.0 + s)
                    # d/dv [c/(1+sqrt(|c|/ik))] = g (1 + s/2) / (1+s)^2
                    gd_k = gdb * (1.0 + 0.5 * s) / (1.0 + s) ** 2
                    cd = np.where(use, cd_k, cd)
                    gd = np.where(use, gd_k, gd)
        return cd + gmin * vd, gd + gmin, cdb, gdb

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        j = self._jn
        vd = x[..., j] - x[..., 1]
        cd, gd, cdb, gdb = self.junction_current(vd, ctx.gmin)
        qdep, cdep = self._dep(vd)
        qd = self.tt * cdb + qdep
        cap = self.tt * gdb + cdep

        i = cd[..., None] * self._sign
        q = qd[..., None] * self._sign
        di = gd[..., None, None] * self._stamp
        dq = cap[..., None, None] * self._stamp
        if self.has_rs:
            ir = self.gspr * (x[..., 0] - x[..., 2])
            i[..., 0] += ir
            i[..., 2] -= ir
            di += self._res
        return Evaluation(i=i, di=di, q=q, dq=dq)

    def limit(self, x_new: np.ndarray, x_old: np.ndarray) -> np.ndarray | None:
        """pnjlim on the junction voltage (breakdown-side limiting when BV is given);
        the cathode is kept and the junction's anode node moved."""
        j = self._jn
        vd = x_new[..., j] - x_new[..., 1]
        vold = x_old[..., j] - x_old[..., 1]
        if self._any_bv:
            bv = np.where(self.bv_given, self.bv, 0.0)
            rev = self.bv_given & (vd < np.minimum(0.0, -bv + 10.0 * self.vtb))
            lim_rev = -(pnjlim(-(vd + bv), -(vold + bv), self.vtb, self.vcrit) + bv)
            lim_fwd = pnjlim(vd, vold, self.vte, self.vcrit)
            vlim = np.where(rev, lim_rev, lim_fwd)
        else:
            vlim = pnjlim(vd, vold, self.vte, self.vcrit)
        if np.array_equal(vlim, vd):
            return None
        out = np.array(x_new, dtype=float, copy=True)
        out[..., j] = x_new[..., 1] + vlim
        return out

    def initial_junction_voltage(self) -> np.ndarray:
        """(N,) ngspice's first-iteration junction voltage: 0 when ``off``, else vcrit."""
        return np.where(self.off, 0.0, self.vcrit)

    def initial_point(self, x: np.ndarray) -> np.ndarray:
        """x with the junction (anode or its internal node) at the first-iteration voltage."""
        out = np.array(x, dtype=float, copy=True)
        j = 2 if self.has_rs else 0
        out[..., j] = x[..., 1] + self.initial_junction_voltage()
        return out


def _match_breakdown(bv: float, cbv: float, isat: float, vt: float, vtb: float) -> float:
    """Breakdown knee voltage matching the current ``cbv`` at ``bv`` (SPICE iteration)."""
    if cbv < isat * bv / vt:
        return bv
    tol = RELTOL * cbv
    xbv = bv - vtb * np.log(1.0 + cbv / isat)
    for _ in range(25):
        xbv = bv - vtb * np.log(cbv / isat + 1.0 - xbv / vt)
        xcbv = isat * (np.exp((bv - xbv) / vtb) - 1.0 + xbv / vt)
        if abs(xcbv - cbv) <= tol:
            break
    return float(xbv)
