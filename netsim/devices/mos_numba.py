"""The numba kernels of the level-1 MOSFET (imported only through :func:`mos_jit.kernels`).

Module-level functions, so that numba's on-disk cache (``cache=True``) finds them again in the
next process: compiled closures are recompiled every time (about 2 s per process).
"""

import math

import numba

from netsim.devices.mos_jit import (
    BETA,
    CGBO,
    CGDO,
    CGSO,
    COX,
    DEP,
    GAMMA,
    IS_S,
    LAM_BETA,
    M3VT,
    MAGIC_VDS,
    MAX_EXP_ARG,
    NDEP,
    SQRT_PHI,
    TPHI,
    TYP,
    TYP_VBI,
    VCRIT_D,
    VCRIT_S,
    VT,
)

# error_model="numpy": a division by zero gives inf/nan as in the numpy path, no exception
njit = numba.njit(cache=True, nogil=True, error_model="numpy")


@njit
def depletion(v, p, base):
    """Depletion charge and capacitance (junction.Depletion) from table columns."""
    pb = p[base]
    fcpb = p[base + 1]
    fcpb2 = p[base + 2]
    mj = p[base + 3]
    cz = p[base + 4]
    pbcz = p[base + 5]
    one_mj = p[base + 6]
    czf1 = p[base + 7]
    czof2 = p[base + 8]
    f3 = p[base + 9]
    mj_2pb = p[base + 10]
    if v < fcpb:
        arg = 1.0 - v / pb
        sarg = math.exp(-mj * math.log(arg))
        return pbcz * (1.0 - arg * sarg) / one_mj, cz * sarg
    q = czf1 + czof2 * (f3 * (v - fcpb) + mj_2pb * (v * v - fcpb2))
    return q, czof2 * (f3 + mj * v / pb)

@njit
def body(vbx, tphi, s0):
    """(sarg, dsarg) of mos_parts.body_sqrt."""
    if vbx <= 0.0:
        s = math.sqrt(tphi - vbx)
        return s, -0.5 / s
    s_fwd = s0 - vbx / (s0 + s0)
    if s_fwd > 0.0:
        return s_fwd, -0.5 / s0
    return 0.0, 0.0

@njit
def normalised(x, k, t, dp, sp):
    """(vgs, vds, vbs) of instance k, sign-normalised by its type t (as _normalised)."""
    s = x[k, sp]
    return (x[k, 1] - s) * t, (x[k, dp] - s) * t, (x[k, 3] - s) * t

@njit
def capacitor(m, k, a, b, cap):
    """Add a capacitance cap between local unknowns a and b to instance k's matrix m."""
    m[k, a, a] += cap
    m[k, a, b] -= cap
    m[k, b, a] -= cap
    m[k, b, b] += cap


@njit
def evaluate(x, p, dp, sp, gmin, side, has_ov, has_cox, i, di, q, dq, c):
    n = x.shape[0]
    for k in range(n):
        t = p[k, TYP]
        vgs, vds, vbs = normalised(x, k, t, dp, sp)
        # channel (mos_parts._channel)
        shift = vds if vds < 0.0 else 0.0
        normal = vds >= 0.0
        vdx = abs(vds)
        sarg, dsarg = body(vbs - shift, p[k, TPHI], p[k, SQRT_PHI])
        gamma = p[k, GAMMA]
        von = p[k, TYP_VBI] + gamma * sarg
        vgst = vgs - shift - von
        vg = vgst if vgst > 0.0 else 0.0
        vdm = vg if vg < vdx else vdx
        lam_beta = p[k, LAM_BETA]
        betap = p[k, BETA] + lam_beta * vdx
        core = vdm * (vg - 0.5 * vdm)
        gm = betap * vdm
        gds = lam_beta * core + betap * (vg - vdm)
        gmbs = -gm * gamma * dsarg
        cdrain = betap * core
        ids = cdrain if normal else -cdrain
        if normal:
            g0, g1, g2 = gm, gds, gmbs
        else:
            g0, g1, g2 = -gm, gm + gds + gmbs, -gmbs
        # bulk junctions b-s' (0) and b-d' (1)
        vt = p[k, VT]
        cj0 = 0.0
        cj1 = 0.0
        gj0 = 0.0
        gj1 = 0.0
        for j in range(2):
            vb = vbs if j == 0 else vbs - vds
            isat = p[k, IS_S + j]
            if vb > p[k, M3VT]:
                ev = math.exp(min(MAX_EXP_ARG, vb / vt))
                cur = isat * (ev - 1.0) + gmin * vb
                cond = isat * ev / vt + gmin
            else:
                cur = gmin * vb - isat
                cond = gmin
            if j == 0:
                cj0, gj0 = cur, cond
            else:
                cj1, gj1 = cur, cond
        # currents: (ids, cbs, cbd) times the type sign to rows d', s', b
        i[k, :] = 0.0
        i[k, dp] = t * ids - t * cj1
        i[k, sp] = -(t * ids) - t * cj0
        i[k, 3] = t * cj0 + t * cj1
        # Jacobian: channel columns g, d', b, s'; junction stamps (b, s'), (b, d')
        di[k, :, :] = 0.0
        di[k, dp, 1] = g0
        di[k, dp, dp] = g1 + gj1
        di[k, dp, 3] = g2 - gj1
        di[k, dp, sp] = -g0 - g1 - g2
        di[k, sp, 1] = -g0
        di[k, sp, dp] = -g1
        di[k, sp, 3] = -g2 - gj0
        di[k, sp, sp] = g0 + g1 + g2 + gj0
        di[k, 3, 3] = gj0 + gj1
        di[k, 3, sp] = -gj0
        di[k, 3, dp] = -gj1
        # junction charges (bottom + sidewall), b-s' and b-d'
        qj0, cq0 = depletion(vbs, p[k], DEP)
        qj1, cq1 = depletion(vbs - vds, p[k], DEP + NDEP)
        if side:
            qs0, cs0 = depletion(vbs, p[k], DEP + 2 * NDEP)
            qs1, cs1 = depletion(vbs - vds, p[k], DEP + 3 * NDEP)
            qj0 += qs0
            qj1 += qs1
            cq0 += cs0
            cq1 += cs1
        q[k, :] = 0.0
        q[k, 3] = t * qj0 + t * qj1
        q[k, sp] = -(t * qj0)
        q[k, dp] = -(t * qj1)
        dq[k, :, :] = 0.0
        capacitor(dq, k, 3, sp, cq0)
        capacitor(dq, k, 3, dp, cq1)
        if has_ov:  # overlap charges (cgso, cgdo, cgbo) to (s', d', b)
            vg_abs = x[k, 1]
            qo0 = p[k, CGSO] * (vg_abs - x[k, sp])
            qo1 = p[k, CGDO] * (vg_abs - x[k, dp])
            qo2 = p[k, CGBO] * (vg_abs - x[k, 3])
            q[k, 1] += qo0 + qo1 + qo2
            q[k, sp] += -qo0
            q[k, dp] += -qo1
            q[k, 3] += -qo2
        if not has_cox:
            continue
        # Meyer gate capacitances in the acting mode (mos_parts._qmeyer_mode)
        phi = p[k, TPHI]
        cox = p[k, COX]
        vdsat = vg if vg > MAGIC_VDS else MAGIC_VDS
        vddif = 2.0 * vdsat - vdx
        vddif1 = vdsat - vdx
        dd = vddif * vddif
        partial = vdx < vdsat
        if vgst <= -phi:
            cgb = 0.5 * cox
        elif vgst <= 0.0:
            cgb = -vgst * cox / (2 * phi)
        else:
            cgb = 0.0
        if vgst > -0.5 * phi:
            if vgst <= 0.0:
                base = vgst * cox / (1.5 * phi) + cox / 3.0
            else:
                base = cox / 3.0
        else:
            base = 0.0
        if partial:
            ca = base * (1.0 - vddif1 * vddif1 / dd)
            cb = base * (1.0 - vdsat * vdsat / dd)
        else:
            ca = base
            cb = 0.0
        ca *= 2.0
        cb *= 2.0
        cgb *= 2.0
        cgs, cgd = (ca, cb) if normal else (cb, ca)
        c[k, :, :] = 0.0
        capacitor(c, k, 1, sp, cgs)
        capacitor(c, k, 1, dp, cgd)
        capacitor(c, k, 1, 3, cgb)

@njit
def pnjlim(vnew, vold, vt, vcrit):
    pos = vold > 0.0
    floor = -vold - 1.0 if pos else 2.0 * vold - 1.0
    if (vnew > vcrit) and (abs(vnew - vold) > (vt + vt)):
        arg = (vnew - vold) / vt
        if pos:
            if arg > 0.0:
                return vold + vt * (2.0 + math.log(arg - 2.0 if arg > 2.0 else 1.0))
            return vold - vt * (2.0 + math.log(2.0 - arg if arg < 2.0 else 1.0))
        return vt * math.log(vnew / vt if vnew > 0.0 else 1.0)
    return floor if vnew < floor else vnew

@njit
def fetlim(vnew, vold, vto):
    dist = abs(vold - vto)
    vtsthi = dist + dist + 2.0
    vtstlo = dist + 1.0
    delv = vnew - vold
    down = delv <= 0.0
    if vold >= vto:
        vtox = vto + 3.5
        if vold >= vtox:
            if down:
                if vnew >= vtox:
                    return vold - vtstlo if -delv > vtstlo else vnew
                return max(vnew, vto + 2.0)
            return vold + vtsthi if delv >= vtsthi else vnew
        if down:
            return max(vnew, vto - 0.5)
        return min(vnew, vto + 4.0)
    if down:
        return vold - vtsthi if -delv > vtsthi else vnew
    vtemp = vto + 0.5
    if vnew <= vtemp:
        return vold + vtstlo if delv > vtstlo else vnew
    return vtemp

@njit
def limvds(vnew, vold):
    up = vnew > vold
    if vold >= 3.5:
        if up:
            return min(vnew, 3.0 * vold + 2.0)
        if vnew < 3.5:
            return max(vnew, 2.0)
        return vnew
    if up:
        return min(vnew, 4.0)
    return max(vnew, -0.5)

@njit
def limit(x_new, x_old, p, dp, sp, out):
    """Limited x (written to out); returns True when some voltage changed."""
    n = x_new.shape[0]
    changed = False
    for k in range(n):
        t = p[k, TYP]
        s = x_new[k, sp]
        vgs, vds, vbs = normalised(x_new, k, t, dp, sp)
        vgs_o, vds_o, vbs_o = normalised(x_old, k, t, dp, sp)
        shift_o = vds_o if vds_o < 0.0 else 0.0
        sarg, _ = body(vbs_o - shift_o, p[k, TPHI], p[k, SQRT_PHI])
        von = p[k, TYP_VBI] + p[k, GAMMA] * sarg
        fwd = vds_o >= 0.0
        vgd = vgs - vds
        if fwd:
            gate = fetlim(vgs, vgs_o, von)
            vds_n = 1.0 * limvds(gate - vgd, 1.0 * vds_o)
            vgs_n = gate
        else:
            gate = fetlim(vgd, vgs_o - vds_o, von)
            vds_n = -1.0 * limvds(gate - vgs, -1.0 * vds_o)
            vgs_n = gate + vds_n
        vt = p[k, VT]
        if vds_n < 0.0:
            jn = pnjlim(vbs - vds_n, vbs_o - vds_o, vt, p[k, VCRIT_D])
            vbs_n = jn + vds_n
        else:
            vbs_n = pnjlim(vbs, vbs_o, vt, p[k, VCRIT_S])
        if vgs_n != vgs or vds_n != vds or vbs_n != vbs:
            changed = True
        out[k, 1] = s + t * vgs_n
        out[k, dp] = s + t * vds_n
        out[k, 3] = s + t * vbs_n
    return changed


@njit
def load(x, old, p, dp, sp, gmin, side, has_ov, has_cox, overlap, meyer, x_prev, q_prev,
         c_prev, x_eval, i, di, q, dq, c, q_inc):
    """One Newton load of a group, as the assembler's generic path does it in numpy steps:
    limit x against old (an empty old: no limiting), evaluate at the limited point x_eval,
    add the overlap stamp ``overlap`` (N, U, U) to dq when has_ov, extrapolate i and q linearly
    back to x, and treat the Meyer capacitances c by ``meyer``: 0 leave them, 1 integrate
    them from the history (x_prev, q_prev, c_prev): ``q_inc = q_prev + C_avg (x - x_prev)``
    added to q and ``C_avg`` to dq, 2 add c to dq (AC). Returns True when x was limited."""
    n, u = x.shape
    x_eval[:, :] = x
    limited = False
    if old.shape[0] == n:
        limit(x, old, p, dp, sp, x_eval)
        worst = 0.0
        for k in range(n):
            for a in range(u):
                d = abs(x_eval[k, a] - x[k, a])
                if d > worst:
                    worst = d
        limited = worst > 1e-12  # limiters rebuild x arithmetically (assembly.limited_point)
        if not limited:
            x_eval[:, :] = x
    evaluate(x_eval, p, dp, sp, gmin, side, has_ov, has_cox, i, di, q, dq, c)
    for k in range(n):
        if has_ov:
            for a in range(u):
                for b in range(u):
                    dq[k, a, b] += overlap[k, a, b]
        if limited:
            for a in range(u):
                si = 0.0
                sq = 0.0
                for b in range(u):
                    d = x[k, b] - x_eval[k, b]
                    si += di[k, a, b] * d
                    sq += dq[k, a, b] * d
                i[k, a] += si
                q[k, a] += sq
        if not has_cox or meyer == 0:
            continue
        if meyer == 2:
            for a in range(u):
                for b in range(u):
                    dq[k, a, b] += c[k, a, b]
            continue
        for a in range(u):
            acc = 0.0
            for b in range(u):
                avg = 0.5 * (c[k, a, b] + c_prev[k, a, b])
                acc += avg * (x[k, b] - x_prev[k, b])
                dq[k, a, b] += avg
            q_inc[k, a] = q_prev[k, a] + acc
            q[k, a] += q_inc[k, a]
    return limited
