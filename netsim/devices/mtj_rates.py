"""Switching hazard of the behavioural MTJ (``level=1``): Néel–Brown below ``ic0``, Sun above.

The rate ``r(I) = 1/tau(I)`` (1/s) at which a free layer leaves its present state, as a function
of the *effective* current ``Ie = s I`` (A), where ``s = +1`` in the parallel state and ``-1`` in
the antiparallel state, so that ``Ie > 0`` is the current that destabilises the present state
(positive device current, terminal p -> n, switches P -> AP; negative switches AP -> P):

=====================  =====================================================================
``Ie <= ic0``          ``r = exp(-delta (1 - Ie/ic0)) / tau0``       (Néel–Brown, thermal)
``Ie > ic0``           ``r = max(1/tau0, ksun (Ie - ic0))``          (Sun, precessional)
=====================  =====================================================================

``ksun = [2 / (C + ln(pi^2 delta / 4))] [mu_B P / (e m (1 + P^2))]`` (1/(A s)), C = 0.5772
(Euler's constant), ``m = Ms V`` the free layer's moment (A m^2):
J. Z. Sun, Phys. Rev. B 62, 570 (2000); Néel–Brown: W. F. Brown, Phys. Rev. 130, 1677 (1963).

Joining the regimes (a decision of this model, not of the papers): the thermal rate reaches
``1/tau0`` at ``Ie = ic0`` where the barrier vanishes, while Sun's rate starts from zero there.
Taking the larger of the two above ``ic0`` keeps the rate continuous and non-decreasing in the
current; wherever Sun's switching is faster than ``tau0`` (the precessional regime proper) the
rate is exactly Sun's and wherever ``Ie <= ic0`` exactly Néel–Brown's.
"""

from __future__ import annotations

import numpy as np

from netsim.devices.base import CHARGE

EULER_GAMMA = 0.5772156649015329
MU_B = 9.2740100783e-24  # J/T, Bohr magneton


def sun_coefficient(delta: np.ndarray, pol: np.ndarray, moment: np.ndarray) -> np.ndarray:
    """Sun's ``ksun`` (1/(A s)): ``1/tau = ksun (I - ic0)``.

    delta: thermal stability factor (-); pol: spin polarisation P (-); moment: Ms V (A m^2).
    """
    log_term = EULER_GAMMA + np.log(np.pi ** 2 * np.maximum(delta, 1e-3) / 4.0)
    log_term = np.maximum(log_term, 1e-3)  # ln(pi^2 delta / 4) is only meaningful for delta > 1
    return (2.0 / log_term) * MU_B * pol / (CHARGE * moment * (1.0 + pol ** 2))


def hazard_rate(ieff: np.ndarray, ic0: np.ndarray, delta: np.ndarray, tau0: np.ndarray,
                ksun: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rate 1/s, d rate / d Ie in 1/(A s)) of leaving the present state at effective current
    ``ieff`` (A, broadcasting against the (N,) parameter arrays)."""
    u = ieff / ic0
    thermal = u <= 1.0
    with np.errstate(over="ignore"):
        nb = np.exp(-delta * (1.0 - np.minimum(u, 1.0))) / tau0
    sun = ksun * (ieff - ic0)
    sun_wins = sun > 1.0 / tau0
    rate = np.where(thermal, nb, np.where(sun_wins, sun, 1.0 / tau0))
    drate = np.where(thermal, nb * delta / ic0, np.where(sun_wins, ksun, 0.0))
    return rate, drate


def mean_switching_time(i: float, ic0: float, delta: float, tau0: float, ksun: float) -> float:
    """Closed-form mean switching time (s) at a constant destabilising current ``i`` (A):
    ``tau0 exp(delta (1 - i/ic0))`` below ``ic0``, Sun's ``1/(ksun (i - ic0))`` above (capped at
    ``tau0`` as described in the module docstring)."""
    rate, _ = hazard_rate(np.array(i, dtype=float), np.array(ic0), np.array(delta),
                          np.array(tau0), np.array(ksun))
    return float(1.0 / rate)
