"""Threshold-type memristors: ``vteam`` and ``yakopcic`` (voltage-controlled state rates).

VTEAM (Kvatinsky et al., IEEE TCAS-II 62, 786 (2015)); state x = (w - won)/(woff - won)::

    dw/dt = koff (v/voff - 1)^aoff   for v > voff  (> 0, towards roff)
          = kon  (v/von  - 1)^aon    for v < von   (< 0, towards ron)
          = 0                        otherwise
    dx/dt = dw/dt / (woff - won) * F(x, direction)
    i = v / R(x),  R = ron + (roff - ron) x  (rexp = 0)  or  R = ron exp(ln(roff/ron) x)
                                               (rexp = 1)

VTEAM leaves the window open; the paper's Kvatinsky window exp(-exp(.)) never reaches zero, so
it cannot keep x inside [0, 1]. netsim uses the soft-clip window
``F = 1 - exp(-(1 - x)/wc)`` moving up, ``1 - exp(-x/wc)`` moving down: 1 in the bulk, a
simple zero only at the bound ahead (see memristor_base for the bounds argument).

=====  =======  =====  ================================================
name   default  unit   meaning (VTEAM defaults of PHYSICS.md §4)
=====  =======  =====  ================================================
ron    50       ohm    on resistance (x = 0)
roff   1e3      ohm    off resistance (x = 1)
won    0        m      state variable w at the on bound
woff   3e-9     m      state variable w at the off bound (x_off)
kon    -10      m/s    on rate constant (< 0)
koff   5e-4     m/s    off rate constant (> 0)
aon    3        --     on exponent alpha_on
aoff   1        --     off exponent alpha_off
von    -0.2     V      on threshold (< 0)
voff   0.02     V      off threshold (> 0)
rexp   0        --     0: R linear in x, 1: R = ron exp(lambda x)
wc     0.05     --     width of the soft-clip window
x0     0.5      --     initial state (held in DC)
=====  =======  =====  ================================================

Yakopcic (Yakopcic et al., IEEE TCAD 32, 1201 (2013))::

    I = a1 x sinh(b V)  (V >= 0),   a2 x sinh(b V)  (V < 0)      [+ gmin V]
    g(V) = ap (e^V - e^vp)  for V > vp;   -an (e^-V - e^vn)  for V < -vn;  0 otherwise
    dx/dt = eta g(V) F(x)

with the paper's window: moving up (eta g > 0) ``F = exp(-alphap (x - xp)) (1 - x)/(1 - xp)``
for x >= xp, else 1; moving down ``F = exp(alphan (x + xn - 1)) x / (1 - xn)`` for
x <= 1 - xn, else 1. It already vanishes only at the bound ahead (the exponentials are in
units of 1 V). The ``gmin`` conductance (ctx.gmin, 1e-12 S) keeps a device at x = 0 from
floating its nodes.

======  =======  =====  ==========================================================
name    default  unit   meaning (device fit of Yakopcic 2013, PHYSICS.md §4)
======  =======  =====  ==========================================================
a1      0.17     A      conduction amplitude, V >= 0
a2      0.17     A      conduction amplitude, V < 0
b       0.05     1/V    conduction curvature
vp      0.16     V      positive threshold
vn      0.15     V      negative threshold (magnitude)
ap      4000     1/s    positive rate amplitude
an      4000     1/s    negative rate amplitude
xp      0.3      --     onset of the upper window
xn      0.5      --     onset of the lower window (at x = 1 - xn)
alphap  1        --     upper window decay
alphan  5        --     lower window decay
eta     1        --     direction of motion (+1 or -1)
x0      0.11     --     initial state (held in DC)
======  =======  =====  ==========================================================
"""

from __future__ import annotations

import numpy as np

from netsim.devices.base import EvalContext, register
from netsim.devices.memristor_base import (
    MemristorGroup,
    soft_clip_window,
    windowed,
    yakopcic_window,
)


def _power_above(u: np.ndarray, a: np.ndarray, active: np.ndarray):
    """(u^a, d(u^a)/du) where active (u > 0), zeros elsewhere."""
    us = np.where(active, u, 1.0)
    val = np.where(active, us**a, 0.0)
    der = np.where(active, a * us ** (a - 1.0), 0.0)
    return val, der


@register
class VTEAMMemristor(MemristorGroup):
    """VTEAM threshold memristor with a soft-clip window (module docstring)."""

    family = "vteam"
    PARAMS = {
        "ron": (50.0, "ohm", "on resistance"),
        "roff": (1e3, "ohm", "off resistance"),
        "won": (0.0, "m", "w at the on bound"),
        "woff": (3e-9, "m", "w at the off bound"),
        "kon": (-10.0, "m/s", "on rate constant"),
        "koff": (5e-4, "m/s", "off rate constant"),
        "aon": (3.0, "-", "on exponent"),
        "aoff": (1.0, "-", "off exponent"),
        "von": (-0.2, "V", "on threshold"),
        "voff": (0.02, "V", "off threshold"),
        "rexp": (0.0, "-", "0 linear, 1 exponential resistance"),
        "wc": (0.05, "-", "window width"),
        "x0": (0.5, "-", "initial state"),
    }
    POSITIVE = ("ron", "roff", "koff", "aon", "aoff", "voff", "wc")

    def validate(self) -> None:
        p = self.p
        self.fail(~(p["woff"] > p["won"]), "woff must exceed won")
        self.fail(~(p["kon"] < 0.0), "kon must be < 0")
        self.fail(~(p["von"] < 0.0), "von must be < 0")
        self.fail(~np.isin(p["rexp"], (0.0, 1.0)), "rexp must be 0 (linear) or 1 (exponential)")
        self.span = p["woff"] - p["won"]
        self.lam = np.log(p["roff"] / p["ron"])

    def conduction(self, v, xc, ctx: EvalContext):
        p = self.p
        expo = p["rexp"] == 1.0
        r_lin = p["ron"] + (p["roff"] - p["ron"]) * xc
        r_exp = p["ron"] * np.exp(self.lam * xc)
        r = np.where(expo, r_exp, r_lin)
        dr = np.where(expo, self.lam * r_exp, p["roff"] - p["ron"])
        cur = v / r
        return cur, 1.0 / r, -cur * dr / r

    def rate(self, v, x, xc, inside, cur, ctx: EvalContext):
        p = self.p
        off = v > p["voff"]
        on = v < p["von"]
        u_off, du_off = _power_above(v / p["voff"] - 1.0, p["aoff"], off)
        u_on, du_on = _power_above(v / p["von"] - 1.0, p["aon"], on)
        k = (p["koff"] * u_off + p["kon"] * u_on) / self.span
        k_v = (p["koff"] * du_off / p["voff"] + p["kon"] * du_on / p["von"]) / self.span
        f, f_x = soft_clip_window(x, k > 0.0, p["wc"])
        return windowed(k, k_v, np.zeros_like(k), f, f_x)


@register
class YakopcicMemristor(MemristorGroup):
    """Yakopcic generalised memristor model (module docstring)."""

    family = "yakopcic"
    PARAMS = {
        "a1": (0.17, "A", "conduction amplitude, V >= 0"),
        "a2": (0.17, "A", "conduction amplitude, V < 0"),
        "b": (0.05, "1/V", "conduction curvature"),
        "vp": (0.16, "V", "positive threshold"),
        "vn": (0.15, "V", "negative threshold"),
        "ap": (4000.0, "1/s", "positive rate amplitude"),
        "an": (4000.0, "1/s", "negative rate amplitude"),
        "xp": (0.3, "-", "upper window onset"),
        "xn": (0.5, "-", "lower window onset"),
        "alphap": (1.0, "-", "upper window decay"),
        "alphan": (5.0, "-", "lower window decay"),
        "eta": (1.0, "-", "direction of motion"),
        "x0": (0.11, "-", "initial state"),
    }
    POSITIVE = ("a1", "a2", "b", "ap", "an")

    def validate(self) -> None:
        p = self.p
        self.fail(~np.isin(p["eta"], (1.0, -1.0)), "eta must be +1 or -1")
        for key in ("xp", "xn"):
            self.fail(~((p[key] >= 0.0) & (p[key] < 1.0)), f"{key} must lie in [0, 1)")
        self.fail(~((p["vp"] >= 0.0) & (p["vn"] >= 0.0)), "vp and vn must be >= 0")

    def conduction(self, v, xc, ctx: EvalContext):
        p = self.p
        a = np.where(v >= 0.0, p["a1"], p["a2"])
        bv = p["b"] * v
        sh = np.sinh(bv)
        cur = a * xc * sh + ctx.gmin * v
        return cur, a * xc * p["b"] * np.cosh(bv) + ctx.gmin, a * sh

    def rate(self, v, x, xc, inside, cur, ctx: EvalContext):
        p = self.p
        pos = v > p["vp"]
        neg = v < -p["vn"]
        ev = np.exp(np.where(pos | neg, v, 0.0))
        g = np.where(pos, p["ap"] * (ev - np.exp(p["vp"])),
                     np.where(neg, -p["an"] * (1.0 / ev - np.exp(p["vn"])), 0.0))
        g_v = np.where(pos, p["ap"] * ev, np.where(neg, p["an"] / ev, 0.0))
        k = p["eta"] * g
        f, f_x = yakopcic_window(x, k > 0.0, p["xp"], p["xn"], p["alphap"], p["alphan"])
        return windowed(k, p["eta"] * g_v, np.zeros_like(k), f, f_x)
