"""Pieces of the level-1 MOSFET evaluation (see :mod:`netsim.devices.mosfet` for the equations).

All functions are elementwise over (..., N) arrays of normalised voltages
(``v = type * (V_x - V_s')``); ``dev`` is the :class:`~netsim.devices.mosfet.Mosfet1` group
holding (N,) parameter arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from netsim.devices.junction import depletion, fetlim, limvds, pnjlim

MAX_EXP_ARG = 709.0
MAGIC_VDS = 0.025  # minimum vdsat in the Meyer model (V)


def body_sqrt(vbx: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SPICE's ``sqrt(phi - vbx)`` with its linear continuation for vbx > 0, and d/d vbx."""
    rev = vbx <= 0
    s_rev = np.sqrt(np.where(rev, phi - vbx, phi))
    s0 = np.sqrt(phi)
    s_fwd = s0 - vbx / (s0 + s0)
    pos = s_fwd > 0
    sarg = np.where(rev, s_rev, np.maximum(s_fwd, 0.0))
    dsarg = np.where(rev, -0.5 / s_rev, np.where(pos, -0.5 / s0, 0.0))
    return sarg, dsarg


def von_of(dev: Any, vds: np.ndarray, vbs: np.ndarray) -> np.ndarray:
    """Normalised threshold ``von`` at (vds, vbs) (bulk voltage of the acting source)."""
    vbx = np.where(vds >= 0, vbs, vbs - vds)
    sarg, _ = body_sqrt(vbx, dev.tphi)
    return dev.typ * dev.tvbi + dev.gamma * sarg


def drain_current(dev: Any, vgs: np.ndarray, vds: np.ndarray, vbs: np.ndarray):
    """Channel current d' -> s' (normalised), its derivatives w.r.t. (vgs, vds, vbs) stacked on
    a last axis of 3, and the mode-referred ``von`` and ``vdsat``."""
    normal = vds >= 0
    vgx = np.where(normal, vgs, vgs - vds)
    vbx = np.where(normal, vbs, vbs - vds)
    vdx = np.abs(vds)
    sarg, dsarg = body_sqrt(vbx, dev.tphi)
    von = dev.typ * dev.tvbi + dev.gamma * sarg
    vgst = vgx - von
    vdsat = np.maximum(vgst, 0.0)
    beta, lam = dev.beta, dev.lam
    betap = beta * (1.0 + lam * vdx)
    on = vgst > 0
    sat = vgst <= vdx
    cdrain = np.where(sat, betap * vgst * vgst * 0.5, betap * vdx * (vgst - 0.5 * vdx))
    gm = np.where(sat, betap * vgst, betap * vdx)
    gds = np.where(
        sat,
        lam * beta * vgst * vgst * 0.5,
        betap * (vgst - vdx) + lam * beta * vdx * (vgst - 0.5 * vdx),
    )
    cdrain = np.where(on, cdrain, 0.0)
    gm = np.where(on, gm, 0.0)
    gds = np.where(on, gds, 0.0)
    gmbs = -gm * dev.gamma * dsarg
    ids = np.where(normal, cdrain, -cdrain)
    d_vgs = np.where(normal, gm, -gm)
    d_vds = np.where(normal, gds, gm + gds + gmbs)
    d_vbs = np.where(normal, gmbs, -gmbs)
    return ids, np.stack([d_vgs, d_vds, d_vbs], axis=-1), von, vdsat


def bulk_diode(v: np.ndarray, isat: np.ndarray, vt: np.ndarray, gmin: float):
    """Bulk junction current and conductance (SPICE level-1 form) with gmin in parallel."""
    fwd = v > -3.0 * vt
    ev = np.exp(np.minimum(MAX_EXP_ARG, np.where(fwd, v / vt, 0.0)))
    c = np.where(fwd, isat * (ev - 1.0) + gmin * v, gmin * v - isat)
    g = np.where(fwd, isat * ev / vt + gmin, gmin)
    return c, g


def _cap_stamp(arr: np.ndarray, a: int, b: int, c: np.ndarray) -> None:
    arr[..., a, a] += c
    arr[..., b, b] += c
    arr[..., a, b] -= c
    arr[..., b, a] -= c


def stamp_resistor(i, di, x, a: int, b: int, g: np.ndarray) -> None:
    """Add a conductance g between local unknowns a and b (current a -> b)."""
    ir = g * (x[..., a] - x[..., b])
    i[..., a] += ir
    i[..., b] -= ir
    _cap_stamp(di, a, b, g)


def junction_charges(dev: Any, x: np.ndarray, vbs: np.ndarray, vbd: np.ndarray):
    """Charges q (..., N, U) and dq of the bulk depletion capacitances and overlap caps."""
    lead, u = x.shape[:-1], x.shape[-1]
    dp, sp, t = dev.dp, dev.sp, dev.typ
    q = np.zeros((*lead, u))
    dq = np.zeros((*lead, u, u))
    for v, cz, czsw, node in ((vbs, dev.czbs, dev.czbssw, sp), (vbd, dev.czbd, dev.czbdsw, dp)):
        qb, cb = depletion(v, cz, dev.tpb, dev.mj, dev.fc)
        qs, cs = depletion(v, czsw, dev.tpb, dev.mjsw, dev.fc)
        qj = t * (qb + qs)
        q[..., 3] += qj
        q[..., node] -= qj
        _cap_stamp(dq, 3, node, cb + cs)
    vg = x[..., 1]
    for c, node in ((dev.cgso, sp), (dev.cgdo, dp), (dev.cgbo, 3)):
        qo = c * (vg - x[..., node])
        q[..., 1] += qo
        q[..., node] -= qo
        _cap_stamp(dq, 1, node, c)
    return q, dq


def qmeyer(vgs, vgd, von, vdsat, phi, cox):
    """Meyer's gate capacitances (half values, as SPICE's qmeyer): (cgs, cgd, cgb)."""
    vgst = vgs - von
    vdsat = np.maximum(vdsat, MAGIC_VDS)
    vds = vgs - vgd
    vddif = 2.0 * vdsat - vds
    vddif1 = vdsat - vds
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_d = 1.0 - vdsat * vdsat / (vddif * vddif)
        ratio_s = 1.0 - vddif1 * vddif1 / (vddif * vddif)
    partial = vds < vdsat  # not saturated
    acc = vgst <= -phi
    dep = ~acc & (vgst <= -0.5 * phi)
    weak = ~acc & ~dep & (vgst <= 0)
    strong = vgst > 0
    cgb = np.where(acc, 0.5 * cox, np.where(dep | weak, -vgst * cox / (2 * phi), 0.0))
    cgs_w = vgst * cox / (1.5 * phi) + cox / 3.0
    base = np.where(weak, cgs_w, cox / 3.0)
    cgs = np.where(partial, base * ratio_s, base)
    cgd = np.where(partial, base * ratio_d, 0.0)
    on = weak | strong
    return np.where(on, cgs, 0.0), np.where(on, cgd, 0.0), cgb


def meyer(dev: Any, x, vgs, vds, vbs, von, vdsat):
    """Full Meyer capacitance matrix (..., N, U, U) between g and s', d', b, or None."""
    if not np.any(dev.cox):
        return None
    lead, u = x.shape[:-1], x.shape[-1]
    normal = vds >= 0
    vgd = vgs - vds
    a, b, cgb = qmeyer(
        np.where(normal, vgs, vgd), np.where(normal, vgd, vgs), von, vdsat, dev.tphi, dev.cox
    )
    cgs = 2.0 * np.where(normal, a, b)
    cgd = 2.0 * np.where(normal, b, a)
    c = np.zeros((*lead, u, u))
    _cap_stamp(c, 1, dev.sp, cgs)
    _cap_stamp(c, 1, dev.dp, cgd)
    _cap_stamp(c, 1, 3, 2.0 * cgb)
    return c


def fet_limit(dev: Any, new, old):
    """SPICE level-1 limiting of normalised (vgs, vds, vbs) given the previous iterate."""
    vgs, vds, vbs = new
    vgs_o, vds_o, vbs_o = old
    von = von_of(dev, vds_o, vbs_o)
    vgd = vgs - vds
    vgdo = vgs_o - vds_o
    fwd = vds_o >= 0
    # forward: limit vgs, then vds
    vgs_f = fetlim(vgs, vgs_o, von)
    vds_f = limvds(vgs_f - vgd, vds_o)
    # reverse: limit vgd, then -vds
    vgd_r = fetlim(vgd, vgdo, von)
    vds_r = -limvds(-(vgs - vgd_r), -vds_o)
    vgs_r = vgd_r + vds_r
    vgs = np.where(fwd, vgs_f, vgs_r)
    vds = np.where(fwd, vds_f, vds_r)
    vbd = vbs - vds
    vbs_n = pnjlim(vbs, vbs_o, dev.vt, dev.vcrit_s)
    vbd_n = pnjlim(vbd, vbs_o - vds_o, dev.vt, dev.vcrit_d)
    vbs = np.where(vds >= 0, vbs_n, vbd_n + vds)
    return vgs, vds, vbs
