"""Linear ion-drift memristors: ``hp`` (Joglekar window) and ``biolek`` (Biolek window).

Both are current-controlled (Strukov et al., Nature 453, 80 (2008))::

    v = R(x) i,   R(x) = ron x + roff (1 - x)          (x = 1: fully doped, ron)
    dx/dt = muv ron / d^2 * i * F(x, i)

solved for the current as a state-dependent resistor, ``i = v / R(x)`` (the SPICE
formulation). Windows F:

``hp``  Joglekar & Wolf, Eur. J. Phys. 30, 661 (2009): ``F = 1 - (2x - 1)^(2p)``, applied on
        the half of [0, 1] the state moves towards (x > 1/2 for i > 0, x < 1/2 for i < 0) and
        1 on the other half. Joglekar's window vanishes at *both* bounds, so a state that
        reaches a bound can never leave it (boundary lock); keeping the window only against
        the bound being approached removes the lock and leaves the dynamics towards the
        nearer bound exactly Joglekar's. The two halves join with 2p - 1 continuous
        derivatives at x = 1/2.
``biolek`` Biolek et al., Radioengineering 18, 210 (2009): ``F = 1 - (x - stp(-i))^(2p)``
        with stp the unit step (stp(0) = 1, i.e. i = 0 counts as i >= 0 for the window; the
        rate is zero there anyway). It already vanishes only at the bound ahead.

Parameters (both families; defaults of PHYSICS.md §4, Strukov 2008):

=====  =======  ========  ================================================
name   default  unit      meaning
=====  =======  ========  ================================================
ron    100      ohm       resistance of the fully doped state (x = 1)
roff   16e3     ohm       resistance of the undoped state (x = 0)
d      10e-9    m         film thickness D
muv    1e-14    m^2/(V s) dopant mobility mu_v
p      1        --        window exponent (>= 1)
x0     0.1      --        initial state (held in DC)
=====  =======  ========  ================================================
"""

from __future__ import annotations

from netsim.devices.base import EvalContext, register
from netsim.devices.memristor_base import (
    MemristorGroup,
    biolek_window,
    joglekar_directional,
    windowed,
)

DRIFT_PARAMS = {
    "ron": (100.0, "ohm", "resistance at x = 1"),
    "roff": (16e3, "ohm", "resistance at x = 0"),
    "d": (10e-9, "m", "film thickness"),
    "muv": (1e-14, "m^2/(V s)", "dopant mobility"),
    "p": (1.0, "-", "window exponent"),
    "x0": (0.1, "-", "initial state"),
}


class _LinearDrift(MemristorGroup):
    PARAMS = DRIFT_PARAMS
    POSITIVE = ("ron", "roff", "d", "muv")

    def validate(self) -> None:
        self.fail(self.p["p"] < 1.0, f"window exponent p must be >= 1, got {self.p['p']}")
        self.gain = self.p["muv"] * self.p["ron"] / self.p["d"] ** 2  # 1/(A s)

    def conduction(self, v, xc, ctx: EvalContext):
        ron, roff = self.p["ron"], self.p["roff"]
        r = ron * xc + roff * (1.0 - xc)
        cur = v / r
        return cur, 1.0 / r, -cur * (ron - roff) / r

    def window(self, x, up):
        raise NotImplementedError

    def rate(self, v, x, xc, inside, cur, ctx: EvalContext):
        i_val, i_v, i_x = cur
        f, f_x = self.window(x, i_val >= 0.0)
        return windowed(self.gain * i_val, self.gain * i_v, self.gain * i_x, f, f_x)


@register
class HPMemristor(_LinearDrift):
    """HP linear-drift memristor with a directional Joglekar window (module docstring)."""

    family = "hp"

    def window(self, x, up):
        return joglekar_directional(x, up, self.p["p"])


@register
class BiolekMemristor(_LinearDrift):
    """Linear-drift memristor with Biolek's current-direction window (module docstring)."""

    family = "biolek"

    def window(self, x, up):
        return biolek_window(x, up, self.p["p"])
