"""Memristor device families (two terminals, one internal state x in [0, 1]).

Netlist: ``N<name> p n <model> [param=value ...]`` with ``.model <model> <type>(...)``; the
model type selects the family, instance parameters override the card's. Model cards for common
devices are in ``devices/memristors.lib`` (``.lib memristors.lib hfo2`` etc.).

=================  =================================================  ===========================
type               model                                              module
=================  =================================================  ===========================
``hp``             HP linear drift, directional Joglekar window       :mod:`.memristor_drift`
``biolek``         HP linear drift, Biolek window                     :mod:`.memristor_drift`
``vteam``          VTEAM threshold model, soft-clip window            :mod:`.memristor_threshold`
``yakopcic``       Yakopcic generalised model (its own window)        :mod:`.memristor_threshold`
``stanford_rram``  Stanford/PKU HfO2 RRAM, Joule heating, gap noise   :mod:`.memristor_rram`
=================  =================================================  ===========================

Sources: Strukov et al., Nature 453, 80 (2008); Joglekar & Wolf, Eur. J. Phys. 30, 661 (2009);
Biolek et al., Radioengineering 18, 210 (2009); Kvatinsky et al., IEEE TCAS-II 62, 786 (2015);
Yakopcic et al., IEEE TCAD 32, 1201 (2013); Guan et al., IEEE EDL 33, 1405 (2012) and Jiang
et al., IEEE TED 63, 1884 (2016).

Formulation (all analyses). Local unknowns ``(v_p, v_n, x)``; terminal rows carry the device
current ``I(v, x)`` (current-controlled models are solved for ``i = v / R(x)``); the state row
is ``d/dt x - r(v, x, t) = 0`` (``q = x``, ``i = -r``), so DC, AC, transient and harmonic
balance share the same code. The state is held at ``x0`` in DC (.op, .dc, the transient's
operating point); AC linearises around that point (at ``v = 0`` the threshold models have no
state response, the drift models respond with ``dr/dv``).

Bounds. Each rate is a signed drive times a window selected by the direction of motion; the
window of the upward motion has a simple zero at x = 1 only, that of the downward motion at
x = 0 only, and each is negative beyond its bound. x therefore approaches a bound under
over-drive without reaching or crossing it, leaves it as soon as the drive reverses (no lock),
and Newton's device limiting (evaluation at x clipped to [0, 1]; iterates outside count as
not converged) keeps every accepted transient point inside [0, 1] whatever the integration
method. Details and the proof sketch in :mod:`netsim.devices.memristor_base`.

Accuracy of abrupt switching. The transient bounds the state's truncation error per step by
``reltol * |x|`` (SPICE's charge criterion with q = x) and Newton's by ``reltol |x| + vntol``:
about 1e-3 of the state range per step at the default tolerances. Smooth drift is reproduced
within 1 % of the peak current at those defaults (tests/test_memristor.py). Switching events
that amplify small state errors do not: the Stanford RRAM SET (thermal runaway; a state error
of 1e-6 one period earlier moves the current by 0.27 % of its peak) or VTEAM's on-switching
arrive slightly early or late, which at the near-vertical current jump is a large pointwise
error (90 % and 1.4 % of the peak current in the tests' cases) while each half period's peak
current stays within 1 %. For waveform-exact switching times tighten the tolerances, e.g.
``.options reltol=1e-7 vntol=1e-9`` (RRAM, 0.3 %) or ``.options reltol=1e-5`` (VTEAM, 0.09 %).
Scaling the state's charge would not help: the criterion is invariant under it.
"""

from __future__ import annotations

from netsim.devices.memristor_base import MemristorGroup
from netsim.devices.memristor_drift import BiolekMemristor, HPMemristor
from netsim.devices.memristor_rram import StanfordRRAM
from netsim.devices.memristor_threshold import VTEAMMemristor, YakopcicMemristor

__all__ = [
    "BiolekMemristor",
    "HPMemristor",
    "MemristorGroup",
    "StanfordRRAM",
    "VTEAMMemristor",
    "YakopcicMemristor",
]
