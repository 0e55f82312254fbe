"""Pieces of the level-1 MOSFET evaluation (see :mod:`netsim.devices.mosfet` for the equations).

All functions are elementwise over (..., N) arrays of normalised voltages
(``v = type * (V_x - V_s')``); ``dev`` is the :class:`~netsim.devices.mosfet.Mosfet1` group
holding (N,) parameter arrays (and the derived constants it computes once, see
``Mosfet1._derived``).

The code is written for few numpy calls per evaluation (a Newton iteration on a small circuit
costs about one microsecond per call): branches are merged into single expressions where that is
exact (e.g. saturation and linear region through ``min(vgst, vds)``), both bulk junctions are
evaluated together on a trailing axis of 2, and the Jacobians are built as one small matrix
product of the device's conductances with fixed stamp matrices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from netsim.devices.junction import fetlim, limvds, pnjlim

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


def _body(dev: Any, vbx: np.ndarray, derivative: bool = True):
    """body_sqrt(vbx, dev.tphi) with the device's precomputed sqrt(phi)."""
    rev = vbx <= 0
    if rev.all():  # the usual case: reverse-biased bulk
        sarg = np.sqrt(dev.tphi - vbx)
        return sarg, (-0.5 / sarg if derivative else None)
    s_rev = np.sqrt(np.where(rev, dev.tphi - vbx, dev.tphi))
    s0 = dev.sqrt_phi
    s_fwd = s0 - vbx / (s0 + s0)
    sarg = np.where(rev, s_rev, np.maximum(s_fwd, 0.0))
    if not derivative:
        return sarg, None
    dsarg = np.where(rev, -0.5 / s_rev, np.where(s_fwd > 0, -0.5 / s0, 0.0))
    return sarg, dsarg


def von_of(dev: Any, vds: np.ndarray, vbs: np.ndarray) -> np.ndarray:
    """Normalised threshold ``von`` at (vds, vbs) (bulk voltage of the acting source)."""
    sarg, _ = _body(dev, vbs - np.minimum(vds, 0.0), derivative=False)
    return dev.typ_vbi + dev.gamma * sarg


def drain_current(dev: Any, vgs: np.ndarray, vds: np.ndarray, vbs: np.ndarray):
    """Channel current d' -> s' (normalised), its derivatives w.r.t. (vgs, vds, vbs) stacked on
    a last axis of 3, and the mode-referred ``von`` and ``vdsat``."""
    gm, gds, gmbs, ids, von, vdsat, normal = _channel(dev, vgs, vds, vbs)
    sgn = np.where(normal, 1.0, -1.0)
    d_vds = np.where(normal, gds, gm + gds + gmbs)
    return ids, np.stack([sgn * gm, d_vds, sgn * gmbs], axis=-1), von, vdsat


def _channel(dev: Any, vgs: np.ndarray, vds: np.ndarray, vbs: np.ndarray):
    """(gm, gds, gmbs) of the acting mode, the current ids (d' -> s'), von, vdsat, normal.

    In the acting mode (vgx, vdx = |vds|, vbx), with vg = max(vgst, 0) and vdm = min(vg, vdx):
    ``I = betap vdm (vg - vdm/2)``, ``gm = betap vdm``,
    ``gds = lambda beta vdm (vg - vdm/2) + betap (vg - vdm)``: saturation (vdm = vg),
    the linear region (vdm = vdx) and cut-off (vg = 0) in one expression.
    """
    shift = np.minimum(vds, 0.0)  # inverse mode: referred to the drain
    normal = vds >= 0
    vdx = np.abs(vds)
    sarg, dsarg = _body(dev, vbs - shift)
    von = dev.typ_vbi + dev.gamma * sarg
    vgst = vgs - shift - von
    vg = np.maximum(vgst, 0.0)
    vdm = np.minimum(vg, vdx)
    betap = dev.beta + dev.lam_beta * vdx
    core = vdm * (vg - 0.5 * vdm)
    gm = betap * vdm
    gds = dev.lam_beta * core + betap * (vg - vdm)
    gmbs = -gm * dev.gamma * dsarg
    cdrain = betap * core
    ids = np.where(normal, cdrain, -cdrain)
    return gm, gds, gmbs, ids, von, vg, normal


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


def stamp_matrix(u: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """(len(pairs), u*u): row k is the flattened (u, u) stamp of a conductance between the
    local unknowns of ``pairs[k]`` (+1 on both diagonals, -1 off the diagonal)."""
    out = np.zeros((len(pairs), u, u))
    for k, (a, b) in enumerate(pairs):
        _cap_stamp(out[k], a, b, np.ones(()))
    return out.reshape(len(pairs), u * u)


def junction_charges(dev: Any, x: np.ndarray, vbs: np.ndarray, vbd: np.ndarray):
    """Charges q (..., N, U) and dq of the bulk depletion capacitances and overlap caps."""
    vb = np.stack([vbs, vbd], axis=-1)
    return _charges(dev, x, vb)


def _charges(dev: Any, x: np.ndarray, vb: np.ndarray):
    """q (..., N, U), dq (..., N, U, U) of the junction charges at vb = (vbs, vbd) (..., N, 2)
    and the overlap capacitances (linear in x)."""
    lead, u = x.shape[:-1], x.shape[-1]
    qj, cj = dev.dep_bottom(vb)
    if dev.dep_side is not None:
        qs, cs = dev.dep_side(vb)
        qj = qj + qs
        cj = cj + cs
    q = (dev.typ[:, None] * qj) @ dev.q_junction_map  # rows b, s', d'
    dq = (cj @ dev.junction_stamps).reshape(*lead, u, u)
    if dev.overlap_caps is not None:  # (cgso, cgdo, cgbo) to (s', d', b)
        qo = dev.overlap_caps * (x[..., 1:2] - x[..., dev.overlap_nodes])
        q += qo @ dev.q_overlap_map
        dq += dev.overlap_stamp
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


def _qmeyer_mode(dev: Any, vgst: np.ndarray, vdx: np.ndarray, vdsat: np.ndarray):
    """qmeyer in the acting mode, as full capacitances (2x SPICE's halves): (cgs, cgd, cgb2)
    stacked on a last axis of 3, with vgst = vgx - von and vdx = |vds| (the same expressions
    as :func:`qmeyer`)."""
    phi, cox = dev.tphi, dev.cox
    vdsat = np.maximum(vdsat, MAGIC_VDS)
    vddif = 2.0 * vdsat - vdx
    vddif1 = vdsat - vdx
    dd = vddif * vddif
    partial = vdx < vdsat  # not saturated
    acc = vgst <= -phi
    low = vgst <= -0.5 * phi  # accumulation or depletion
    weak = ~low & (vgst <= 0)
    on = vgst > -0.5 * phi  # weak or strong inversion
    cgb = np.where(acc, 0.5 * cox, np.where(vgst <= 0, -vgst * cox / (2 * phi), 0.0))
    base = np.where(weak, vgst * cox / (1.5 * phi) + cox / 3.0, cox / 3.0)
    base = np.where(on, base, 0.0)
    out = np.empty((*vgst.shape, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        out[..., 0] = np.where(partial, base * (1.0 - vddif1 * vddif1 / dd), base)
        out[..., 1] = np.where(partial, base * (1.0 - vdsat * vdsat / dd), 0.0)
    out[..., 2] = cgb
    out *= 2.0
    return out


def meyer(dev: Any, x, vgs, vds, vbs, von, vdsat):
    """Full Meyer capacitance matrix (..., N, U, U) between g and s', d', b, or None."""
    if not dev.has_cox:
        return None
    lead, u = x.shape[:-1], x.shape[-1]
    normal = vds >= 0
    vgst = vgs - np.minimum(vds, 0.0) - von
    caps = _qmeyer_mode(dev, vgst, np.abs(vds), vdsat)
    # in inverse mode the acting source is the drain: swap cgs and cgd
    caps = np.where(normal[..., None], caps, caps[..., dev.swap_sd])
    return (caps @ dev.meyer_stamps).reshape(*lead, u, u)


def fet_limit(dev: Any, new, old):
    """SPICE level-1 limiting of normalised (vgs, vds, vbs) given the previous iterate.

    Forward mode (old vds >= 0) limits vgs with fetlim, then vds with limvds; inverse mode
    limits vgd, then -vds (the same functions on the mode's own voltages). The conducting bulk
    junction (b-s' for vds >= 0, else b-d') is limited with pnjlim."""
    vgs, vds, vbs = new
    vgs_o, vds_o, vbs_o = old
    von = von_of(dev, vds_o, vbs_o)
    fwd = vds_o >= 0
    vgd = vgs - vds
    sgn = np.where(fwd, 1.0, -1.0)
    gate = fetlim(np.where(fwd, vgs, vgd), np.where(fwd, vgs_o, vgs_o - vds_o), von)
    vds_n = sgn * limvds(gate - np.where(fwd, vgd, vgs), sgn * vds_o)
    vgs_n = np.where(fwd, gate, gate + vds_n)
    drain = vds_n < 0
    vbd = vbs - vds_n
    jn = pnjlim(np.where(drain, vbd, vbs), np.where(drain, vbs_o - vds_o, vbs_o), dev.vt,
                np.where(drain, dev.vcrit_d, dev.vcrit_s))
    vbs_n = np.where(drain, jn + vds_n, jn)
    return vgs_n, vds_n, vbs_n
