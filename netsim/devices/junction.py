"""pn-junction mathematics shared by the diode and the MOSFET bulk junctions (SPICE3 / ngspice 39).

Everything here is elementwise numpy, so it works on arrays of any shape (instances, batch
axes). Temperatures are in kelvin, voltages in volts.

Contents
--------
- physical constants as ngspice uses them (``KOQ`` = k/q, ``REFTEMP`` = 300.15 K);
- :func:`egfet` silicon band gap ``Eg(T) = 1.16 - 7.02e-4 T^2 / (T + 1108)`` (eV);
- :func:`pbfact` the built-in-potential temperature term of SPICE3;
- :func:`scale_junction` temperature scaling of a junction potential and its zero-bias capacitance
  (``pb(T)``, ``cj(T)``) with the SPICE3 grading-coefficient correction;
- :func:`depletion` depletion charge and capacitance with the forward-bias linearisation beyond
  ``fc * pb``;
- the Newton limiting functions :func:`pnjlim`, :func:`fetlim`, :func:`limvds` (SPICE3 with
  Gillespie's negative-voltage pn limiting).

Source: ngspice 39 manual (diode and MOSFET chapters); Nagel, "SPICE2" (1975) for the limiting
and the depletion-capacitance linearisation.
"""

from __future__ import annotations

import math

import numpy as np

from netsim.devices.base import BOLTZMANN, CHARGE

KOQ = BOLTZMANN / CHARGE  # V/K
REFTEMP = 300.15  # K, SPICE's reference temperature (27 °C)
ROOT2 = math.sqrt(2.0)
E = math.e


def egfet(t: np.ndarray | float) -> np.ndarray | float:
    """Silicon band gap (eV) at temperature t (K): ``1.16 - 7.02e-4 t^2 / (t + 1108)``."""
    return 1.16 - (7.02e-4 * t * t) / (t + 1108.0)


def pbfact(t: np.ndarray | float) -> np.ndarray | float:
    """SPICE3 built-in-potential temperature term (V) at t (K).

    ``-2 vt (1.5 ln(t/Tref) + q (-Eg(t)/(2 k t) + 1.1150877/(2 k Tref)))`` with vt = k t / q.
    """
    vt = KOQ * t
    arg = -egfet(t) / (2.0 * BOLTZMANN * t) + 1.1150877 / (BOLTZMANN * (REFTEMP + REFTEMP))
    return -2.0 * vt * (1.5 * np.log(t / REFTEMP) + CHARGE * arg)


def scale_junction(
    pb: np.ndarray, cj: np.ndarray, mj: np.ndarray, t: np.ndarray, tnom: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Temperature-scaled junction potential and zero-bias capacitance.

    pb (V), cj (F or F/m^2), mj: values at tnom (K); t: device temperature (K). Returns
    (pb(t), cj(t)) following SPICE3::

        pbo = (pb - pbfact(tnom)) / (tnom/Tref)
        cj(t) = cj (1 + mj (4e-4 (t - Tref) - gnew)) / (1 + mj (4e-4 (tnom - Tref) - gold))
        pb(t) = (t/Tref) pbo + pbfact(t)

    with gold = (pb - pbo)/pbo and gnew = (pb(t) - pbo)/pbo.
    """
    fact1 = tnom / REFTEMP
    pbo = (pb - pbfact(tnom)) / fact1
    gmaold = (pb - pbo) / pbo
    cj_t = cj / (1.0 + mj * (4e-4 * (tnom - REFTEMP) - gmaold))
    pb_t = pbfact(t) + (t / REFTEMP) * pbo
    gmanew = (pb_t - pbo) / pbo
    cj_t = cj_t * (1.0 + mj * (4e-4 * (t - REFTEMP) - gmanew))
    return pb_t, cj_t


def depletion(
    v: np.ndarray, cz: np.ndarray, pb: np.ndarray, mj: np.ndarray, fc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Depletion charge q (C) and capacitance dq/dv (F) of a junction at voltage v.

    For ``v < fc pb``: ``q = pb cz (1 - (1 - v/pb)^(1-mj)) / (1 - mj)``, ``c = cz (1-v/pb)^-mj``.
    Beyond, the capacitance is continued linearly:
    ``c = cz / F2 (F3 + mj v / pb)`` with ``F2 = (1-fc)^(1+mj)``, ``F3 = 1 - fc (1 + mj)``, and q
    its integral, continuous at ``fc pb``. Shapes broadcast; cz = 0 gives zeros.
    """
    return Depletion(cz, pb, mj, fc)(v)


class Depletion:
    """:func:`depletion` with its parameter-only terms computed once (cz, pb, mj, fc arrays
    broadcasting against the voltages it is called with)."""

    def __init__(self, cz, pb, mj, fc) -> None:
        cz, pb, mj, fc = (np.asarray(a, dtype=float) for a in (cz, pb, mj, fc))
        self.pb = pb
        self.fcpb = fc * pb
        self.fcpb2 = self.fcpb * self.fcpb
        self.mj = mj
        self.cz = cz
        self.pbcz = pb * cz
        self.one_mj = 1.0 - mj
        xfc = np.log(1.0 - fc)
        self.czf1 = cz * (pb * (1.0 - np.exp((1.0 - mj) * xfc)) / (1.0 - mj))
        self.czof2 = cz / np.exp((1.0 + mj) * xfc)
        self.f3 = 1.0 - fc * (1.0 + mj)
        self.mj_2pb = mj / (pb + pb)

    def __call__(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        below = v < self.fcpb
        arg = np.where(below, 1.0 - v / self.pb, 1.0)
        sarg = np.exp(-self.mj * np.log(arg))
        q_lo = self.pbcz * (1.0 - arg * sarg) / self.one_mj
        c_lo = self.cz * sarg
        q_hi = self.czf1 + self.czof2 * (self.f3 * (v - self.fcpb)
                                         + self.mj_2pb * (v * v - self.fcpb2))
        c_hi = self.czof2 * (self.f3 + self.mj * v / self.pb)
        return np.where(below, q_lo, q_hi), np.where(below, c_lo, c_hi)


def _as_arrays(*values):
    """float64 arrays of a common shape (no copy when they already are)."""
    first = values[0]
    if all(type(v) is np.ndarray and v.dtype == np.float64 and v.shape == first.shape
           for v in values):
        return values
    return np.broadcast_arrays(*(np.asarray(v, float) for v in values))


def pnjlim(vnew: np.ndarray, vold: np.ndarray, vt: np.ndarray, vcrit: np.ndarray) -> np.ndarray:
    """SPICE pn-junction limiting of a Newton update (elementwise).

    Above vcrit, a step larger than 2 vt is compressed logarithmically
    (``vold + vt (2 + ln((vnew-vold)/vt - 2))`` when vold > 0, else ``vt ln(vnew/vt)``);
    a negative vnew is kept above ``-vold - 1`` (vold > 0) or ``2 vold - 1`` (vold <= 0).
    """
    vnew, vold = _as_arrays(vnew, vold)
    pos = vold > 0
    floor = np.where(pos, -vold - 1.0, 2.0 * vold - 1.0)  # always < 0
    lim_small = np.where(vnew < floor, floor, vnew)
    big = (vnew > vcrit) & (np.abs(vnew - vold) > (vt + vt))
    if not big.any():
        return lim_small
    with np.errstate(invalid="ignore", divide="ignore"):
        arg = (vnew - vold) / vt
        up = vold + vt * (2.0 + np.log(np.where(arg > 2.0, arg - 2.0, 1.0)))
        down = vold - vt * (2.0 + np.log(np.where(arg < 2.0, 2.0 - arg, 1.0)))
        from_low = vt * np.log(np.where(vnew > 0, vnew / vt, 1.0))
        lim_big = np.where(pos, np.where(arg > 0, up, down), from_low)
    return np.where(big, lim_big, lim_small)


def fetlim(vnew: np.ndarray, vold: np.ndarray, vto: np.ndarray) -> np.ndarray:
    """SPICE FET gate-voltage limiting (elementwise) around the threshold vto.

    Keeps a step from crossing the threshold region too fast: steps are bounded by
    ``|2 (vold - vto)| + 2`` and ``|vold - vto| + 1`` depending on the region, with fixed stops at
    ``vto - 0.5``, ``vto + 0.5``, ``vto + 2`` and ``vto + 4`` (SPICE3 with Gillespie's vtstlo).
    """
    vnew, vold, vto = _as_arrays(vnew, vold, vto)
    dist = np.abs(vold - vto)
    vtsthi = dist + dist + 2.0  # |2 (vold - vto)| + 2
    vtstlo = dist + 1.0
    delv = vnew - vold
    down = delv <= 0
    # on, strongly (vold >= vto + 3.5)
    vtox = vto + 3.5
    off_going = np.where(
        vnew >= vtox,
        np.where(-delv > vtstlo, vold - vtstlo, vnew),
        np.maximum(vnew, vto + 2.0),
    )
    on_strong = np.where(down, off_going, np.where(delv >= vtsthi, vold + vtsthi, vnew))
    middle = np.where(down, np.maximum(vnew, vto - 0.5), np.minimum(vnew, vto + 4.0))
    on = np.where(vold >= vtox, on_strong, middle)
    vtemp = vto + 0.5
    off_up = np.where(vnew <= vtemp, np.where(delv > vtstlo, vold + vtstlo, vnew), vtemp)
    off = np.where(down, np.where(-delv > vtsthi, vold - vtsthi, vnew), off_up)
    return np.where(vold >= vto, on, off)


def limvds(vnew: np.ndarray, vold: np.ndarray) -> np.ndarray:
    """SPICE drain-source voltage limiting (elementwise).

    From ``vold >= 3.5``: increases limited to ``3 vold + 2``, decreases below 3.5 stop at 2.
    Otherwise increases stop at 4 and decreases at -0.5.
    """
    vnew, vold = _as_arrays(vnew, vold)
    up = vnew > vold
    high = np.where(
        up,
        np.minimum(vnew, 3.0 * vold + 2.0),
        np.where(vnew < 3.5, np.maximum(vnew, 2.0), vnew),
    )
    low = np.where(up, np.minimum(vnew, 4.0), np.maximum(vnew, -0.5))
    return np.where(vold >= 3.5, high, low)


def temperature_kelvin(params: dict, circuit_temp_c: float) -> float:
    """Instance temperature (K): ``temp`` (°C) if given, else circuit temperature + ``dtemp``."""
    if params.get("temp") is not None:
        return float(params["temp"]) + 273.15
    return circuit_temp_c + float(params.get("dtemp") or 0.0) + 273.15
