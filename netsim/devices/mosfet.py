"""Level-1 MOSFET (Shichman-Hodges), family ``'mos1'``, as ngspice 39 computes it.

Netlist: ``M1 d g s b mod [w=] [l=] [ad=] [as=] [pd=] [ps=] [nrd=] [nrs=] [m=] [off]
[temp=|dtemp=] [ic=vds,vgs,vbs]`` with ``.model mod nmos|pmos(level=1 ...)``. The ``ic=``
vector (or ``icvds=``, ``icvgs=``, ``icvbs=``) is where a uic transient starts the device's
charges (junction and Meyer), as ngspice's level 1 does; the nodes start from ``.ic`` (else 0),
so the first step moves them to match.
Local unknowns: d, g, s, b, then ``d_int`` when the drain resistance is non-zero, then ``s_int``
when the source resistance is non-zero (the "prime" nodes d', s'; otherwise d' = d, s' = s).

Equations (type sign ``p = +1`` nmos, ``-1`` pmos; voltages normalised ``v = p (V_x - V_s')``).
The device runs in inverse mode when ``vds < 0``: drain and source swap roles
(``vgs -> vgd``, ``vbs -> vbd``, ``vds -> -vds``). With ``vbx`` the bulk voltage of the
acting source::

    sarg = sqrt(phi - vbx)                      (vbx <= 0)
         = max(0, sqrt(phi) - vbx / (2 sqrt(phi)))   (vbx > 0)
    von  = p vbi(T) + gamma sarg,   vgst = vgx - von,   vdsat = max(vgst, 0)
    Ids  = 0                                    vgst <= 0          (cut-off)
         = beta (1 + lambda vdx) vgst^2 / 2     vgst <= vdx        (saturation)
         = beta (1 + lambda vdx) vdx (vgst - vdx/2)                (linear)
    beta = KP(T) m W / Leff,   Leff = L - 2 LD

Bulk diodes b-s' and b-d' (saturation current ``JS*AS``/``JS*AD`` when JS, AD and AS are all
non-zero, else ``IS``, times m): ``I = Is (exp(v/vt) - 1) + gmin v`` for ``v > -3 vt``, else
``gmin v - Is``. Their depletion charges use CBD/CBS (or CJ*AD, CJ*AS) with grading MJ plus
CJSW*PD, CJSW*PS with MJSW, potential PB and the FC linearisation.

Charges: overlap capacitances ``CGSO m W``, ``CGDO m W``, ``CGBO m Leff`` and the junction
charges are returned as true charges in ``q``/``dq``. The Meyer gate capacitances (from
``Cox = eps_ox / TOX * m W Leff``) are returned in ``c_incr`` as the full capacitance matrix
between g and s', d', b; the engine integrates them incrementally as ngspice does.
The drain current Jacobian is the exact derivative (ngspice's ``gmbs`` differs from it only for
a forward-biased bulk, ``vbx > 0``).

Model parameters (ngspice names; aliases in parentheses):

======  ========  ================================================  ===========
name    default   meaning                                           unit
======  ========  ================================================  ===========
vto     0         zero-bias threshold voltage (vt0)                 V
kp      2e-5      transconductance (from u0*Cox when TOX given)     A/V^2
gamma   0         body-effect coefficient                           V^0.5
phi     0.6       surface potential                                 V
lambda  0         channel-length modulation                         1/V
rd, rs  0         drain, source ohmic resistance                    ohm
rsh     0         sheet resistance (used with NRD/NRS)              ohm/sq
cbd     0         zero-bias b-d junction capacitance                F
cbs     0         zero-bias b-s junction capacitance                F
is      1e-14     bulk junction saturation current                  A
js      0         bulk junction saturation current density          A/m^2
pb      0.8       bulk junction potential                           V
cj      0         bottom junction capacitance per area              F/m^2
mj      0.5       bottom grading coefficient                        -
cjsw    0         sidewall junction capacitance per length          F/m
mjsw    0.5       sidewall grading coefficient                      -
fc      0.5       forward-bias depletion coefficient                -
cgso    0         gate-source overlap capacitance per width         F/m
cgdo    0         gate-drain overlap capacitance per width          F/m
cgbo    0         gate-bulk overlap capacitance per length          F/m
tox     --        oxide thickness (enables Meyer caps, KP from U0)  m
u0      600       surface mobility (uo)                             cm^2/Vs
nsub    --        substrate doping (derives phi, gamma, vto)        1/cm^3
nss     0         surface state density                             1/cm^2
tpg     1         gate type (+1 opposite, -1 same, 0 Al)            -
ld      0         lateral diffusion                                 m
tnom    circuit   nominal temperature                               °C
======  ========  ================================================  ===========

Instance defaults: W = L = 100 um (ngspice's defw/defl), AD = AS = PD = PS = 0, NRD = NRS = 1,
m = 1. Ignored: the noise parameters ``kf``, ``af``; ``level`` must be 1.

Temperature (mos1temp): ``KP(T) = KP (T/Tnom)^-1.5``; ``phi(T) = (T/Tref) phio + pbfact(T)``;
``vbi(T) = vto - p gamma sqrt(phi) + (Eg(Tnom) - Eg(T))/2 + p (phi(T) - phi)/2``;
``Is, Js`` scale with ``exp(Eg(Tnom)/vt(Tnom) - Eg(T)/vt(T))``; PB and the junction
capacitances by :func:`netsim.devices.junction.scale_junction`.

Shapes: x (..., N, U), U in 4..6; i, q (..., N, U); di, dq, c_incr (..., N, U, U).
Source: Shichman & Hodges, IEEE JSSC 3 (1968) 285; Meyer, RCA Review 32 (1971) 42;
ngspice 39 manual, MOSFET level 1.
"""

from __future__ import annotations

import math

import numpy as np

from netsim.circuit.circuit import Instance
from netsim.devices import mos_jit
from netsim.devices.base import (
    CHARGE,
    DeviceGroup,
    EvalContext,
    Evaluation,
    Load,
    UnknownSpec,
    register,
)
from netsim.devices.junction import (
    KOQ,
    REFTEMP,
    ROOT2,
    Depletion,
    egfet,
    pbfact,
    temperature_kelvin,
)
from netsim.devices.mos_parts import (
    MAX_EXP_ARG,
    _channel,
    _charges,
    _qmeyer_mode,
    fet_limit,
    stamp_matrix,
)
from netsim.errors import ElaborationError

EPS_LITERAL = 8.854214871e-12  # the permittivity literal of ngspice's level-1 code
DEFW = DEFL = 100e-6
# cost model of one Newton iteration's numpy evaluation and limiting of a group (measured on
# groups of 20, 200 and 2000 level-1 transistors with Meyer capacitances: 231, 322 and 1107 us),
# used only to decide when the compiled kernels pay for their ~0.7 s load (Mosfet1._jit_table)
NUMPY_CALL_SECONDS = 220e-6
NUMPY_INSTANCE_SECONDS = 0.45e-6
NUMPY_SECONDS_BEFORE_JIT = 0.5
_ALIASES = {"vt0": "vto", "uo": "u0"}
_SUPPORTED = {
    "vto", "kp", "gamma", "phi", "lambda", "rd", "rs", "cbd", "cbs", "is", "pb", "cgso", "cgdo",
    "cgbo", "rsh", "cj", "mj", "cjsw", "mjsw", "js", "tox", "ld", "u0", "nsub", "nss", "tpg",
    "fc", "tnom",
}
_IGNORED = {"kf", "af", "level", "nmos", "pmos"}
# level-2/3 parameters that ngspice's level 1 ignores with a warning (vendor cards carry them);
# elaboration warns about them (netsim.circuit.elements.mosfet)
IGNORED_AT_LEVEL_1 = {"xj", "delta", "eta", "theta", "kappa", "vmax", "neff", "ucrit",
                      "uexp", "utra", "nfs", "xqc"}


def model_params(inst: Instance) -> dict[str, float]:
    """Model card parameters with aliases resolved; raise on unsupported ones."""
    card = inst.model
    if card is None or card.type not in ("nmos", "pmos"):
        raise ElaborationError(f"MOSFET '{inst.name}' needs an nmos or pmos model", inst.span)
    level = float(card.params.get("level", 1.0))
    if level != 1.0:
        raise ElaborationError(
            f"MOSFET model '{card.name}': level {level:g} is not supported by family 'mos1'",
            card.span or inst.span, hint="use level=1",
        )
    out: dict[str, float] = {}
    for key, value in card.params.items():
        name = _ALIASES.get(key.lower(), key.lower())
        if name in _IGNORED or name in IGNORED_AT_LEVEL_1:
            continue
        if name not in _SUPPORTED:
            raise ElaborationError(
                f"MOSFET model '{card.name}': parameter '{key}' is not supported at level 1",
                card.span or inst.span, hint="supported: " + " ".join(sorted(_SUPPORTED)),
            )
        out[name] = float(value)
    return out


def _ip(inst: Instance, key: str, default: float) -> float:
    value = inst.params.get(key)
    return default if value is None else float(value)


def _conductances(inst: Instance) -> tuple[float, float]:
    """Drain and source series conductances (S), including m; 0 means no internal node."""
    p = model_params(inst)
    m = _ip(inst, "m", 1.0)
    rsh = p.get("rsh", 0.0)
    out = []
    for rkey, skey in (("rd", "nrd"), ("rs", "nrs")):
        if rkey in p:
            g = m / p[rkey] if p[rkey] != 0 else 0.0
        else:
            sq = _ip(inst, skey, 1.0)
            g = m / (rsh * sq) if rsh != 0 and sq != 0 else 0.0
        out.append(g)
    return out[0], out[1]


@register
class Mosfet1(DeviceGroup):
    """Vectorised level-1 MOSFET group (see the module docstring)."""

    family = "mos1"
    current_test = True
    terminals = ("d", "g", "s", "b")

    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        gd, gs = _conductances(inst)
        out = []
        if gd != 0:
            out.append(UnknownSpec("d_int", "v"))
        if gs != 0:
            out.append(UnknownSpec("s_int", "v"))
        return tuple(out)

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        first = self.internal_unknowns(instances[0])
        names = [s.name for s in first]
        self.dp = 4 if "d_int" in names else 0
        self.sp = 4 + ("d_int" in names) if "s_int" in names else 2
        cols = [self._instance_constants(inst, temp, tnom) for inst in instances]
        for key in cols[0]:
            setattr(self, key, np.array([c[key] for c in cols], dtype=float))
        self.off = np.array([bool(i.params.get("off", False)) for i in instances])
        self._derived()

    def _derived(self) -> None:
        """Constants of the evaluation that depend on the parameters only, and the fixed
        stamp matrices that turn conductances and capacitances into local Jacobians."""
        u, dp, sp = self.n_unknowns, self.dp, self.sp
        self.typ_vbi = self.typ * self.tvbi
        self.sqrt_phi = np.sqrt(self.tphi)
        self.lam_beta = self.lam * self.beta
        self.has_cox = bool(np.any(self.cox))
        # bulk junctions (b-s', b-d') side by side on a trailing axis of 2
        self.j_is = np.stack([self.iss, self.isd], axis=-1)
        self.j_vt = self.vt[:, None]
        self.j_3vt = -3.0 * self.j_vt
        self.vcrit = np.stack([self.vcrit_s, self.vcrit_d], axis=-1)
        pb, fc = self.tpb[:, None], self.fc[:, None]
        self.dep_bottom = Depletion(np.stack([self.czbs, self.czbd], axis=-1), pb,
                                    self.mj[:, None], fc)
        side = np.stack([self.czbssw, self.czbdsw], axis=-1)
        self.dep_side = Depletion(side, pb, self.mjsw[:, None], fc) if np.any(side) else None
        # i = currents @ i_map: (ids, cbs, cbd) times the type sign to rows d', s', b
        i_map = np.zeros((3, u))
        i_map[0, dp], i_map[0, sp] = 1.0, -1.0
        i_map[1, sp], i_map[1, 3] = -1.0, 1.0
        i_map[2, dp], i_map[2, 3] = -1.0, 1.0
        self.i_map = i_map
        # di = (d/dvgs, d/dvds, d/dvbs of ids, gbs, gbd) @ di_map (flattened (u, u))
        chan = np.zeros((3, u, u))
        for row, sgn in ((dp, 1.0), (sp, -1.0)):
            for k, col in enumerate((1, dp, 3)):
                chan[k, row, col] += sgn
                chan[k, row, sp] -= sgn
        junction = stamp_matrix(u, [(3, sp), (3, dp)])
        self.di_map = np.concatenate([chan.reshape(3, u * u), junction])
        self.junction_stamps = junction
        self.q_junction_map = i_map[1:]
        self.res = None
        pairs, gs = [], []
        if dp != 0:
            pairs.append((0, dp))
            gs.append(self.gdr)
        if sp != 2:
            pairs.append((2, sp))
            gs.append(self.gsr)
        self.res_pairs = [(a, b, gr) for (a, b), gr in zip(pairs, gs)]
        if pairs:  # series resistances: constant stamps
            self.res = (np.stack(gs, axis=-1) @ stamp_matrix(u, pairs)).reshape(-1, u, u)
        caps = np.stack([self.cgso, self.cgdo, self.cgbo], axis=-1)
        self.overlap_caps = caps if np.any(caps) else None
        self.overlap_nodes = np.array([sp, dp, 3])
        q_ov = np.zeros((3, u))
        for k, node in enumerate((sp, dp, 3)):
            q_ov[k, 1], q_ov[k, node] = 1.0, -1.0
        self.q_overlap_map = q_ov
        ov = np.zeros((self.n, u, u))
        for k, node in enumerate((sp, dp, 3)):
            ov[:, 1, 1] += caps[:, k]
            ov[:, node, node] += caps[:, k]
            ov[:, 1, node] -= caps[:, k]
            ov[:, node, 1] -= caps[:, k]
        self.overlap_stamp = ov
        self.meyer_stamps = stamp_matrix(u, [(1, sp), (1, dp), (1, 3)])
        self.swap_sd = np.array([1, 0, 2])
        self._jit = None  # compiled kernels and their parameter table, built when worth it
        self._numpy_seconds = 0.0  # estimated time spent so far on the numpy path

    def _jit_table(self, evaluations: int = 0):
        """(kernels, (N, K) parameter table) for the compiled path, or None (no numba, or the
        run has not yet done enough work to pay for loading it).

        evaluations: instance evaluations in the call asking (0 for limiting). Importing numba
        and loading the cached kernels costs about 0.7 s per process, more than a short run
        spends in the numpy path; a group therefore switches once its numpy evaluations have
        cost an estimated NUMPY_SECONDS_BEFORE_JIT (a deterministic estimate from call and
        instance counts, so a run is reproducible)."""
        if self._jit is None and evaluations:
            self._numpy_seconds += NUMPY_CALL_SECONDS + NUMPY_INSTANCE_SECONDS * evaluations
        if self._jit is None and self._numpy_seconds >= NUMPY_SECONDS_BEFORE_JIT:
            kernels = mos_jit.kernels()
            if kernels is None:
                self._jit = False
            else:
                cols = [self.typ, self.typ_vbi, self.tphi, self.sqrt_phi, self.gamma, self.beta,
                        self.lam_beta, self.vt, -3.0 * self.vt, self.iss, self.isd,
                        self.vcrit_s, self.vcrit_d, self.cox, self.cgso, self.cgdo, self.cgbo]
                for dep in (self.dep_bottom, self.dep_side):
                    for j in range(2):
                        for name in mos_jit.DEP_FIELDS:
                            value = getattr(dep, name) if dep is not None else np.zeros(1)
                            cols.append(np.broadcast_to(value, (self.n, 2))[:, j])
                self._jit = (kernels, np.ascontiguousarray(np.stack(cols, axis=-1)))
        return self._jit or None

    # ---------------------------------------------------------------- set-up
    @staticmethod
    def _instance_constants(inst: Instance, temp: float, tnom: float) -> dict[str, float]:
        p = model_params(inst)
        typ = 1.0 if inst.model.type == "nmos" else -1.0
        t_nom = p.get("tnom", tnom) + 273.15
        t = temperature_kelvin(inst.params, temp)
        vtnom = KOQ * t_nom
        eg1 = egfet(t_nom)
        pbf1 = pbfact(t_nom)
        fact1 = t_nom / REFTEMP
        phi = p.get("phi", 0.6)
        gamma = p.get("gamma", 0.0)
        vto = p.get("vto", 0.0)
        kp = p.get("kp", 2e-5)
        cox_f = 0.0
        if p.get("tox", 0.0) != 0.0:
            cox_f = 3.9 * EPS_LITERAL / p["tox"]
            if "kp" not in p:
                kp = p.get("u0", 600.0) * cox_f * 1e-4
            if "nsub" in p:
                nsub = p["nsub"]
                if nsub * 1e6 <= 1.45e16:
                    raise ElaborationError(
                        f"MOSFET model '{inst.model.name}': NSUB below the intrinsic density",
                        inst.model.span or inst.span,
                    )
                if "phi" not in p:
                    phi = max(0.1, 2 * vtnom * np.log(nsub * 1e6 / 1.45e16))
                fermis = typ * 0.5 * phi
                wkfng = 3.2
                tpg = p.get("tpg", 1.0)
                if tpg != 0:
                    fermig = typ * tpg * 0.5 * eg1
                    wkfng = 3.25 + 0.5 * eg1 - fermig
                wkfngs = wkfng - (3.25 + 0.5 * eg1 + fermis)
                if "gamma" not in p:
                    gamma = np.sqrt(2 * 11.70 * EPS_LITERAL * CHARGE * nsub * 1e6) / cox_f
                if "vto" not in p:
                    vfb = wkfngs - p.get("nss", 0.0) * 1e4 * CHARGE / cox_f
                    vto = vfb + typ * (gamma * np.sqrt(phi) + phi)
        if phi <= 0:
            raise ElaborationError(
                f"MOSFET model '{inst.model.name}': PHI must be positive", inst.model.span
            )
        m = _ip(inst, "m", 1.0)
        w = _ip(inst, "w", DEFW)
        length = _ip(inst, "l", DEFL)
        if not (m > 0 and w > 0 and length > 0):
            raise ElaborationError(f"MOSFET '{inst.name}': w, l and m must be positive",
                                   inst.span)
        ad, as_ = _ip(inst, "ad", 0.0), _ip(inst, "as", 0.0)
        pd, ps = _ip(inst, "pd", 0.0), _ip(inst, "ps", 0.0)
        leff = length - 2 * p.get("ld", 0.0)
        if leff <= 0:
            raise ElaborationError(
                f"MOSFET '{inst.name}': effective channel length L - 2 LD = {leff:g} m is not "
                "positive", inst.span, hint="increase L or decrease LD",
            )

        vt = KOQ * t
        ratio = t / t_nom
        fact2 = t / REFTEMP
        eg = egfet(t)
        phio = (phi - pbf1) / fact1
        tphi = fact2 * phio + pbfact(t)
        tvbi = vto - typ * gamma * np.sqrt(phi) + 0.5 * (eg1 - eg) + typ * 0.5 * (tphi - phi)
        tvto = tvbi + typ * gamma * np.sqrt(tphi)
        efac = np.exp(-eg / vt + eg1 / vtnom)
        tis = p.get("is", 1e-14) * efac
        tjs = p.get("js", 0.0) * efac
        if tjs == 0 or ad == 0 or as_ == 0:
            isd = iss = m * tis
        else:
            isd, iss = tjs * m * ad, tjs * m * as_

        # junction capacitance temperature scaling (shared PB, separate gradings)
        pb = p.get("pb", 0.8)
        mj, mjsw = p.get("mj", 0.5), p.get("mjsw", 0.5)
        pbo = (pb - pbf1) / fact1
        gmaold = (pb - pbo) / pbo
        tpb = fact2 * pbo + pbfact(t)
        gmanew = (tpb - pbo) / pbo

        def tscale(c: float, grading: float) -> float:
            c = c / (1 + grading * (4e-4 * (t_nom - REFTEMP) - gmaold))
            return c * (1 + grading * (4e-4 * (t - REFTEMP) - gmanew))

        def bottom(key_c: str, area: float) -> float:
            if key_c in p:
                return tscale(p[key_c], mj) * m
            if "cj" in p:
                return tscale(p["cj"], mj) * m * area
            return 0.0

        cjsw = tscale(p.get("cjsw", 0.0), mjsw) if "cjsw" in p else 0.0
        gdr, gsr = _conductances(inst)
        return {
            "typ": typ, "vt": vt, "beta": kp / ratio**1.5 * m * w / leff,
            "gamma": gamma, "lam": p.get("lambda", 0.0), "tphi": tphi, "tvbi": tvbi,
            "tvto": tvto, "isd": isd, "iss": iss,
            "vcrit_d": vt * np.log(vt / (ROOT2 * isd)), "vcrit_s": vt * np.log(vt / (ROOT2 * iss)),
            "czbd": bottom("cbd", ad), "czbs": bottom("cbs", as_),
            "czbdsw": cjsw * pd * m, "czbssw": cjsw * ps * m,
            "tpb": tpb, "mj": mj, "mjsw": mjsw, "fc": p.get("fc", 0.5),
            "cgso": p.get("cgso", 0.0) * m * w, "cgdo": p.get("cgdo", 0.0) * m * w,
            "cgbo": p.get("cgbo", 0.0) * m * leff, "cox": cox_f * leff * m * w,
            "gdr": gdr, "gsr": gsr,
        }

    def pattern(self) -> np.ndarray:
        u = self.n_unknowns
        core = [self.dp, 1, self.sp, 3]
        pat = np.zeros((u, u), dtype=bool)
        pat[np.ix_(core, core)] = True
        for ext, prime in ((0, self.dp), (2, self.sp)):
            pat[np.ix_([ext, prime], [ext, prime])] = True
        return pat

    # ---------------------------------------------------------------- numerics
    def _normalised(self, x: np.ndarray):
        s = x[..., self.sp]
        t = self.typ
        return t * (x[..., 1] - s), t * (x[..., self.dp] - s), t * (x[..., 3] - s)

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        if x.ndim >= 2:
            jit = self._jit_table(x[..., 0].size)
            if jit is not None:
                return self._evaluate_jit(jit, x, ctx)
        lead = x.shape[:-1]
        u = x.shape[-1]
        dp = self.dp
        t = self.typ
        v = (x[..., [1, dp, 3]] - x[..., self.sp:self.sp + 1]) * t[:, None]
        vgs, vds, vbs = v[..., 0], v[..., 1], v[..., 2]

        gm, gds, gmbs, ids, von, vdsat, normal = _channel(self, vgs, vds, vbs)
        # bulk junctions b-s', b-d' together (SPICE level-1 form, gmin in parallel)
        vb = np.stack([vbs, vbs - vds], axis=-1)
        fwd = vb > self.j_3vt
        ev = np.exp(np.minimum(MAX_EXP_ARG, np.where(fwd, vb / self.j_vt, 0.0)))
        gmin = ctx.gmin
        cj = np.where(fwd, self.j_is * (ev - 1.0) + gmin * vb, gmin * vb - self.j_is)
        gj = np.where(fwd, self.j_is * ev / self.j_vt + gmin, gmin)

        cur = np.empty((*lead, 3))
        cur[..., 0] = ids
        cur[..., 1:] = cj
        i = (cur * t[:, None]) @ self.i_map
        # derivatives of ids w.r.t. the normalised (vgs, vds, vbs), then gbs, gbd
        g = np.empty((*lead, 5))
        g[..., 0] = np.where(normal, gm, -gm)
        g[..., 1] = np.where(normal, gds, gm + gds + gmbs)
        g[..., 2] = np.where(normal, gmbs, -gmbs)
        g[..., 3:] = gj
        di = (g @ self.di_map).reshape(*lead, u, u)
        self._add_series_resistances(x, i, di)

        q, dq = _charges(self, x, vb)
        c_incr = None
        if self.has_cox:
            vgst = vgs - np.minimum(vds, 0.0) - von
            caps = _qmeyer_mode(self, vgst, np.abs(vds), vdsat)
            # in inverse mode the acting source is the drain: swap cgs and cgd
            caps = np.where(normal[..., None], caps, caps[..., self.swap_sd])
            c_incr = (caps @ self.meyer_stamps).reshape(*lead, u, u)
        return Evaluation(i=i, di=di, q=q, dq=dq, c_incr=c_incr)

    def _add_series_resistances(self, x: np.ndarray, i: np.ndarray, di: np.ndarray) -> None:
        """Add the drain/source series resistances (RD/RS) to i and di in place."""
        if self.res is None:
            return
        for a, b, gr in self.res_pairs:  # at most two pairs, vectorised over instances
            ir = gr * (x[..., a] - x[..., b])
            i[..., a] += ir
            i[..., b] -= ir
        di += self.res

    def _evaluate_jit(self, jit, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        """evaluate() through the compiled kernel (same expressions, see mos_jit). Leading
        batch axes are flattened into the instance axis (the parameter table repeated), so a
        batch takes the same arithmetic path as a single evaluation."""
        (kernel, _, _), table = jit
        lead, (n, u) = x.shape[:-2], x.shape[-2:]
        reps = math.prod(lead)  # (np.prod of an empty shape costs ~10 us per call)
        flat = np.ascontiguousarray(x, dtype=float).reshape(reps * n, u)
        if reps > 1:
            table = np.tile(table, (reps, 1))
        m = reps * n
        i = np.empty((m, u))
        q = np.empty((m, u))
        di = np.empty((m, u, u))
        dq = np.empty((m, u, u))
        c = np.empty((m, u, u)) if self.has_cox else np.empty((0, u, u))
        kernel(flat, table, self.dp, self.sp, float(ctx.gmin), self.dep_side is not None,
               self.overlap_caps is not None, self.has_cox, i, di, q, dq, c)
        i, q = i.reshape(*lead, n, u), q.reshape(*lead, n, u)
        di, dq = di.reshape(*lead, n, u, u), dq.reshape(*lead, n, u, u)
        self._add_series_resistances(x, i, di)
        if self.overlap_caps is not None:
            dq += self.overlap_stamp
        c_incr = c.reshape(*lead, n, u, u) if self.has_cox else None
        return Evaluation(i=i, di=di, q=q, dq=dq, c_incr=c_incr)

    def load(self, x: np.ndarray, old: np.ndarray | None, ctx: EvalContext,
             history: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
             meyer: int) -> Load | None:
        """The compiled kernel's fused load (limit, evaluate, extrapolate, Meyer charges) once
        the group uses the kernels; None before that or with series resistances (the
        assembler then takes the separate steps)."""
        if self.res is not None or x.ndim != 2:
            return None
        jit = self._jit_table(x.shape[0])
        if jit is None:
            return None
        (_, _, kernel), table = jit
        n, u = x.shape
        x = np.ascontiguousarray(x, dtype=float)
        old = np.empty((0, u)) if old is None else np.ascontiguousarray(old, dtype=float)
        if meyer == 1 and self.has_cox and history is None:
            return None  # no history to integrate from: the separate steps report it
        if meyer != 1 or not self.has_cox:
            x_prev = q_prev = np.empty((0, u))
            c_prev = np.empty((0, u, u))
        else:
            x_prev, q_prev, c_prev = (np.ascontiguousarray(a, dtype=float) for a in history)
        x_eval, i, q, q_inc = (np.empty((n, u)) for _ in range(4))
        di, dq = np.empty((n, u, u)), np.empty((n, u, u))
        c = np.empty((n, u, u)) if self.has_cox else np.empty((0, u, u))
        overlap = self.overlap_stamp if self.overlap_caps is not None else np.empty((0, u, u))
        limited = kernel(x, old, table, self.dp, self.sp, float(ctx.gmin),
                         self.dep_side is not None, self.overlap_caps is not None,
                         self.has_cox, overlap, meyer, x_prev, q_prev, c_prev, x_eval, i, di,
                         q, dq, c, q_inc)
        integrated = bool(self.has_cox and meyer == 1)
        return Load(x_eval=x_eval, limited=bool(limited), i=i, di=di, q=q, dq=dq,
                    q_inc=q_inc if integrated else None, c_incr=c if integrated else None)

    def limit(self, x_new: np.ndarray, x_old: np.ndarray) -> np.ndarray | None:
        """fetlim on vgs (vgd in inverse mode), limvds on vds, pnjlim on the conducting bulk
        junction; the source' node is kept and g, d', b moved."""
        if x_new.ndim == 2 and x_old.shape == x_new.shape:
            jit = self._jit_table()
            if jit is not None:
                new = np.ascontiguousarray(x_new, dtype=float)
                out = new.copy()
                old = np.ascontiguousarray(x_old, dtype=float)
                changed = jit[0][1](new, old, jit[1], self.dp, self.sp, out)
                return out if changed else None
        cols = [1, self.dp, 3]
        t = self.typ[:, None]
        new = (x_new[..., cols] - x_new[..., self.sp:self.sp + 1]) * t
        old = (x_old[..., cols] - x_old[..., self.sp:self.sp + 1]) * t
        lim = np.stack(fet_limit(self, np.moveaxis(new, -1, 0), np.moveaxis(old, -1, 0)),
                       axis=-1)
        if np.array_equal(lim, new):
            return None
        out = np.array(x_new, dtype=float, copy=True)
        out[..., cols] = x_new[..., self.sp:self.sp + 1] + t * lim
        return out

    def initial_point(self, x: np.ndarray) -> np.ndarray:
        """x moved so that (vgs, vds, vbs) are ngspice's first-iteration values (source' kept)."""
        return self.from_source(x, *np.moveaxis(self.initial_voltages(), -1, 0))

    def from_source(self, x: np.ndarray, vgs: np.ndarray, vds: np.ndarray,
                    vbs: np.ndarray) -> np.ndarray:
        """x (..., N, U) with g, d' and b moved to s' + vgs, vds, vbs ((N,) each, V; a NaN
        entry leaves that terminal where it is)."""
        out = np.array(x, dtype=float, copy=True)
        s = x[..., self.sp]
        for column, v in ((1, vgs), (self.dp, vds), (3, vbs)):
            out[..., column] = np.where(np.isnan(v), x[..., column], s + v)
        return out

    def initial_voltages(self) -> np.ndarray:
        """(N, 3) ngspice's first-iteration (vgs, vds, vbs) in real polarity:
        (vto(T), 0, -1) for on devices, zeros for ``off`` ones."""
        on = ~self.off
        return np.stack(
            [np.where(on, self.tvto, 0.0), np.zeros(self.n), np.where(on, -self.typ, 0.0)],
            axis=-1,
        )

