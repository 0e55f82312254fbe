"""Macrospin Landau–Lifshitz–Gilbert–Slonczewski dynamics of the MTJ free layer (``level=2``).

State: the unit magnetisation ``m = (mx, my, mz)`` (three internal states; the reference layer
points along ``p = +z``). Landau–Lifshitz form (PHYSICS.md §3), fields in A/m::

    dm/dt = -g' [ m x H + alpha m x (m x H) + tau1 m x (m x p) + tau2 m x p ]
            + lam (1 - |m|^2) m,                    g' = gamma mu0 / (1 + alpha^2)

    H     = (hx, hy, hz + hk mz) + H_th(t)          (effective PMA anisotropy along z)
    tau1  = -a I,   tau2 = -xi a I,   a = hbar eta / (2 e mu0 Ms V)   (A/m per A)

Slonczewski's damping-like torque ``tau1`` (J. Slonczewski, JMMM 159, L1 (1996)) with the sign
chosen so that a positive current (terminal p -> n) destabilises the parallel state ``m = +p``
and pushes towards ``-p`` (P -> AP), as in the behavioural level. ``xi`` is the ratio of the
field-like torque to the damping-like one. The efficiency ``eta`` is angle independent
(``eta = P / (2 (1 + P^2))`` unless given). The zero-temperature critical current of this
macrospin is ``Ic = 2 e alpha mu0 Ms V hk / (hbar eta)``, equal to PHYSICS.md's thermal
``Ic0 = 4 e alpha Delta kB T / (hbar g)`` with ``Delta = mu0 Ms hk V / (2 kB T)``.

|m| = 1 without renormalisation: every LLGS term is perpendicular to m, so ``|m|`` is invariant
of the exact flow; the last term (rate ``lam = g' max(|hk|, |H_ext|, 1 kA/m)``, the precession
rate) vanishes on the unit sphere and pulls the integrator's O(h^3) drift back onto it. No
coordinate singularity (unlike spherical angles at the easy-axis poles).

Thermal field (Brown): ``H_th`` is piecewise constant over intervals ``(k tcorr, (k+1) tcorr]``
with independent Gaussian components of standard deviation
``sigma = sqrt(2 alpha kB T / (g0 mu0 Ms V tcorr))`` (A/m) with ``g0 = gamma mu0`` (m/(A s)),
i.e. ``sqrt(2 alpha kB T / (gamma mu0^2 Ms V tcorr))`` with gamma in rad/(s T) (PHYSICS.md
writes gamma for g0 there: only then is sigma in A/m), so its integral over each interval has
the variance of Brown's white noise (W. F. Brown, Phys. Rev. 130, 1677 (1963)).
The device declares a breakpoint at every interval boundary, so the ODE between breakpoints is
smooth and the implicit integrator's error control is valid. As ``tcorr -> 0`` the solution
converges to the Stratonovich solution of the stochastic LLGS (Wong–Zakai theorem: E. Wong,
M. Zakai, Ann. Math. Stat. 36, 1560 (1965)), the interpretation in which Brown's thermal field
is physical and |m| is conserved. Choose ``tcorr`` well below the precession period
``2 pi / (gamma mu0 hk)``.

The values of interval k come from a counter-based generator (Philox, key drawn from the
analysis' seeded generator when the transient starts, counter = k): the field is a function of
time only, reproducible from ``.options seed``, and independent of the step sizes the
integrator takes and of the order of its evaluations. The instances of one group share the
smallest ``tcorr`` among them.
"""

from __future__ import annotations

import numpy as np

MU0 = 1.25663706212e-6  # T m / A
GAMMA = 1.76085963023e11  # rad / (s T), electron gyromagnetic ratio
HBAR = 1.054571817e-34  # J s

_LEVI = np.zeros((3, 3, 3))
_LEVI[0, 1, 2] = _LEVI[1, 2, 0] = _LEVI[2, 0, 1] = 1.0
_LEVI[0, 2, 1] = _LEVI[2, 1, 0] = _LEVI[1, 0, 2] = -1.0


def _cross_matrix(u: np.ndarray) -> np.ndarray:
    """[u]x (..., 3, 3) with [u]x v = u x v."""
    return -np.einsum("ijk,...k->...ij", _LEVI, u)


def llgs_rhs(m: np.ndarray, current: np.ndarray, h_fixed: np.ndarray, prm: dict[str, np.ndarray],
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(f, df/dm, df/dI) of dm/dt = f(m, I) at magnetisation m (..., N, 3), current I (..., N)
    (A) and the field without the anisotropy h_fixed (..., N, 3) (A/m, applied + thermal).

    prm holds (N,) arrays: gp = gamma mu0/(1+alpha^2) (m/(A s)), alpha, hk (A/m), a (A/m per A),
    xi, lam (1/s). Shapes: f (..., N, 3), df/dm (..., N, 3, 3), df/dI (..., N, 3).
    """
    gp, alpha, hk, a, xi, lam = (prm[k][..., None] for k in ("gp", "alpha", "hk", "a", "xi",
                                                             "lam"))
    eye = np.eye(3)
    ez = np.zeros(3)
    ez[2] = 1.0
    mz = m[..., 2:3]
    h = h_fixed + hk * mz * ez
    dh = hk[..., None] * np.outer(ez, ez)  # dH/dm (..., N, 3, 3)
    cur = current[..., None]
    tau1 = -a * cur
    tau2 = -xi * a * cur

    mm = np.sum(m * m, axis=-1, keepdims=True)
    mh = np.sum(m * h, axis=-1, keepdims=True)
    mp = mz
    m_x_h = np.cross(m, h)
    mmh = m * mh - h * mm  # m x (m x H)
    mmp = m * mp - ez * mm  # m x (m x p)
    m_x_p = np.cross(m, np.broadcast_to(ez, m.shape))
    f = -gp * (m_x_h + alpha * mmh + tau1 * mmp + tau2 * m_x_p) + lam * (1.0 - mm) * m

    outer = np.einsum("...i,...j->...ij", m, m)
    cm = _cross_matrix(m)
    d_mxh = cm @ dh - _cross_matrix(h)
    dmh_row = h + np.einsum("...ki,...k->...i", dh, m)  # d(m.H)/dm
    d_mmh = (mh[..., None] * eye + np.einsum("...i,...j->...ij", m, dmh_row)
             - 2.0 * np.einsum("...i,...j->...ij", h, m) - mm[..., None] * dh)
    pz = np.broadcast_to(ez, m.shape)
    d_mmp = (mp[..., None] * eye + np.einsum("...i,...j->...ij", m, pz)
             - 2.0 * np.einsum("...i,...j->...ij", pz, m))
    d_mxp = -_cross_matrix(pz)
    g3 = gp[..., None]
    dfdm = (-g3 * (d_mxh + alpha[..., None] * d_mmh + tau1[..., None] * d_mmp
                   + tau2[..., None] * d_mxp)
            + lam[..., None] * ((1.0 - mm)[..., None] * eye - 2.0 * outer))
    dfdi = gp * a * (mmp + xi * m_x_p)
    return f, dfdm, dfdi


class ThermalField:
    """Piecewise-constant Brown field: (N, 3) Gaussian values per interval of length tcorr (s)
    with standard deviations sigma (N,) (A/m), zero until :meth:`start` is called."""

    CACHE = 64

    def __init__(self, sigma: np.ndarray, tcorr: np.ndarray) -> None:
        self.sigma = np.asarray(sigma, dtype=float)
        self.tcorr = float(np.min(tcorr)) if np.size(tcorr) else 0.0
        self.active = bool(np.any(self.sigma > 0.0)) and self.tcorr > 0.0
        self.key: np.ndarray | None = None
        self._cache: dict[int, np.ndarray] = {}

    def start(self, rng: np.random.Generator) -> None:
        """Draw the 128-bit Philox key of this run from the analysis' seeded generator."""
        self.key = rng.integers(0, 2 ** 63, size=2, dtype=np.uint64)
        self._cache = {}

    def interval(self, t: float) -> int:
        """Index k of the interval (k tcorr, (k+1) tcorr] holding t (an interval's right end
        belongs to it: steps end exactly on the breakpoints)."""
        return max(int(np.ceil(t / self.tcorr - 1e-9)) - 1, 0)

    def values(self, k: int) -> np.ndarray:
        """(N, 3) field of interval k (A/m)."""
        out = self._cache.get(k)
        if out is None:
            bitgen = np.random.Philox(key=self.key, counter=np.array([0, k, 0, 0],
                                                                     dtype=np.uint64))
            out = np.random.Generator(bitgen).standard_normal((self.sigma.size, 3))
            out *= self.sigma[:, None]
            if len(self._cache) >= self.CACHE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[k] = out
        return out

    def at(self, t: float | np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
        """Field at time t broadcast to ``shape`` (..., N, 3); zero in static analyses and
        before a transient started."""
        if not self.active or self.key is None or t is None:
            return np.zeros(shape)
        t_arr = np.asarray(t, dtype=float)
        if t_arr.ndim == 0:
            return np.broadcast_to(self.values(self.interval(float(t_arr))), shape)
        # several times (batch axes, e.g. HB samples (K, 1)): one lookup per distinct interval
        ks = np.vectorize(self.interval)(t_arr)
        out = np.zeros(shape)
        lead = np.broadcast_to(ks[..., None], shape)  # t broadcasts against (..., N)
        for k in np.unique(ks):
            mask = lead == k
            out[mask] = np.broadcast_to(self.values(int(k)), shape)[mask]
        return out

    def breakpoints(self, t_start: float, t_stop: float) -> np.ndarray:
        """Interval boundaries in (t_start, t_stop] (s)."""
        if not self.active:
            return np.empty(0)
        k0 = int(np.floor(t_start / self.tcorr)) + 1
        k1 = int(np.floor(t_stop / self.tcorr * (1 + 1e-12)))
        return np.arange(k0, k1 + 1) * self.tcorr
