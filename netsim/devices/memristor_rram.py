"""Stanford/PKU filamentary RRAM (HfO2): family ``stanford_rram``.

Guan, Yu, Wong, IEEE Electron Device Lett. 33, 1405 (2012); Jiang et al., SISPAD 2014 /
IEEE TED 63, 1884 (2016) (the "Stanford/PKU RRAM model"). The state is the tunnelling gap g
between filament tip and electrode, normalised as ``x = (g - gmin)/(gmax - gmin)``
(x = 0: smallest gap, low resistance; x = 1: largest gap, high resistance)::

    I     = i0 exp(-g/g0) sinh(V/v0)
    dg/dt = -vel0 exp(-Ea/(kB T)) sinh(gamma a0 q V / (tox kB T))  [+ noise]
    gamma = gamma0 - beta (g / 1 nm)^3
    T     = t0 + |V I| rth                                (Joule heating, quasi-static)
    dx/dt = (dg/dt) / (gmax - gmin) * F(x, direction)

V I >= 0 always (sinh is odd), so ``|V I| = V I`` is smooth. The paper's hard clip of g at
gmin/gmax is replaced by the soft-clip window ``F = 1 - exp(-(1 - x)/wc)`` moving up and
``1 - exp(-x/wc)`` moving down (a simple zero only at the bound ahead; see memristor_base).
The conduction law and gamma see g clipped to [gmin, gmax].

Gap noise (optional, ``gnoise > 0``). The paper adds ``delta_g N(0, 1)`` to g at every time
step, which makes the result depend on the step size. netsim instead adds a piecewise-constant
rate ``gnoise xi_k / tnoise`` on the intervals ``(k tnoise, (k+1) tnoise]``: over each interval
the gap receives an extra Gaussian kick of standard deviation gnoise, whatever the steps. The
xi_k are a deterministic function of (key, k): the key of each instance is drawn from the
analysis' seeded generator in :meth:`start` (``.options seed=``), the normal deviates come from
a counter-based hash (splitmix64 finaliser + Box-Muller). A run is thus reproducible from its
seed and independent of the time step; interval edges are reported as breakpoints so steps
never straddle a jump of the rate. The noise enters the drive before the window, so it cannot
push x out of [0, 1]. Static analyses (no time) and runs without :meth:`start` are noise-free.

=======  =========  =====  =================================================
name     default    unit   meaning (PHYSICS.md §4; gap limits from Jiang 2016)
=======  =========  =====  =================================================
i0       1e-3       A      current amplitude
g0       0.25e-9    m      gap decay length
v0       0.25       V      conduction voltage scale
vel0     10         m/s    gap velocity prefactor
ea       0.6        eV     activation energy
a0       0.25e-9    m      atomic hopping distance
gamma0   16         --     field enhancement factor at g = 0
beta     0.8        --     field enhancement reduction (g in nm, cubed)
tox      12e-9      m      oxide thickness
rth      2.1e3      K/W    thermal resistance
t0       circuit T  K      ambient temperature (default: .temp, 27 °C)
gmin     0.1e-9     m      smallest gap (x = 0)
gmax     1.7e-9     m      largest gap (x = 1)
wc       0.02       --     soft-clip window width
gnoise   0          m      gap noise per interval (standard deviation)
tnoise   1e-9       s      noise interval
x0       1          --     initial state (held in DC): fully reset
=======  =========  =====  =================================================
"""

from __future__ import annotations

import numpy as np

from netsim.devices.base import BOLTZMANN, CHARGE, EvalContext, register
from netsim.devices.memristor_base import MemristorGroup, soft_clip_window, windowed

KB_EV = BOLTZMANN / CHARGE  # eV/K
NM = 1e-9
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def hashed_normal(key: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Standard normal deviates, a deterministic function of (key, counter) (broadcast)."""
    with np.errstate(over="ignore"):
        c = np.asarray(counter, dtype=np.uint64) * np.uint64(2)
        k = np.asarray(key, dtype=np.uint64)
        z1 = _mix(k + c * _GOLDEN)
        z2 = _mix(k + (c + np.uint64(1)) * _GOLDEN)
    u1 = ((z1 >> np.uint64(11)).astype(float) + 0.5) / 2.0**53
    u2 = ((z2 >> np.uint64(11)).astype(float) + 0.5) / 2.0**53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@register
class StanfordRRAM(MemristorGroup):
    """Stanford/PKU HfO2 RRAM with Joule heating and optional gap noise (module docstring)."""

    family = "stanford_rram"
    PARAMS = {
        "i0": (1e-3, "A", "current amplitude"),
        "g0": (0.25e-9, "m", "gap decay length"),
        "v0": (0.25, "V", "conduction voltage scale"),
        "vel0": (10.0, "m/s", "gap velocity prefactor"),
        "ea": (0.6, "eV", "activation energy"),
        "a0": (0.25e-9, "m", "hopping distance"),
        "gamma0": (16.0, "-", "field enhancement at g = 0"),
        "beta": (0.8, "-", "field enhancement reduction"),
        "tox": (12e-9, "m", "oxide thickness"),
        "rth": (2.1e3, "K/W", "thermal resistance"),
        "t0": (np.nan, "K", "ambient temperature"),
        "gmin": (0.1e-9, "m", "smallest gap"),
        "gmax": (1.7e-9, "m", "largest gap"),
        "wc": (0.02, "-", "window width"),
        "gnoise": (0.0, "m", "gap noise per interval"),
        "tnoise": (1e-9, "s", "noise interval"),
        "x0": (1.0, "-", "initial state"),
    }
    POSITIVE = ("i0", "g0", "v0", "vel0", "a0", "tox", "gmax", "wc", "tnoise")

    def validate(self) -> None:
        p = self.p
        p["t0"] = np.where(np.isnan(p["t0"]), self.temp_k, p["t0"])
        self.fail(~(p["t0"] > 0.0), "t0 must be > 0 K")
        self.fail(~(p["gmin"] >= 0.0), "gmin must be >= 0")
        self.fail(~(p["gmax"] > p["gmin"]), "gmax must exceed gmin")
        self.fail(~(p["rth"] >= 0.0), "rth must be >= 0")
        self.fail(~(p["gnoise"] >= 0.0), "gnoise must be >= 0")
        self.gspan = p["gmax"] - p["gmin"]
        self.noisy = p["gnoise"] > 0.0
        self.noise_key: np.ndarray | None = None

    def start(self, rng: np.random.Generator) -> None:
        """Draw one noise key per instance from the analysis' generator."""
        self.noise_key = rng.integers(0, 2**63, size=self.n, dtype=np.uint64)

    def breakpoints(self, t_start: float, t_stop: float) -> np.ndarray:
        """Edges of the noise intervals of noisy instances."""
        out = [np.empty(0)]
        for tn in np.unique(self.p["tnoise"][self.noisy]):
            k = np.arange(np.floor(t_start / tn) + 1, np.floor(t_stop / tn) + 1)
            out.append(k * tn)
        return np.unique(np.concatenate(out))

    def conduction(self, v, xc, ctx: EvalContext):
        p = self.p
        g = p["gmin"] + xc * self.gspan
        amp = p["i0"] * np.exp(-g / p["g0"])
        u = v / p["v0"]
        cur = amp * np.sinh(u)
        return cur, amp * np.cosh(u) / p["v0"], -cur * self.gspan / p["g0"]

    def noise_rate(self, ctx: EvalContext, shape: tuple[int, ...]) -> np.ndarray | float:
        """Piecewise-constant gap-noise rate (m/s), broadcast to shape, or 0."""
        if ctx.t is None or self.noise_key is None or not np.any(self.noisy):
            return 0.0
        tn = self.p["tnoise"]
        t = np.asarray(ctx.t, dtype=float)
        k = np.maximum(np.ceil(t / tn - 1e-9) - 1.0, 0.0)
        xi = hashed_normal(self.noise_key, np.broadcast_to(k, shape))
        return self.p["gnoise"] * xi / tn

    def rate(self, v, x, xc, inside, cur, ctx: EvalContext):
        p = self.p
        i_val, i_v, i_x = cur
        g = p["gmin"] + xc * self.gspan
        temp = p["t0"] + p["rth"] * v * i_val
        t_v = p["rth"] * (i_val + v * i_v)
        t_x = p["rth"] * v * i_x
        kt = KB_EV * temp
        arr = np.exp(-p["ea"] / kt)
        arr_t = arr * p["ea"] / (kt * temp)
        gn = g / NM
        gamma = p["gamma0"] - p["beta"] * gn**3
        gamma_x = np.where(inside, -3.0 * p["beta"] * gn**2 * self.gspan / NM, 0.0)
        scale = p["a0"] / (p["tox"] * kt)
        arg = gamma * scale * v
        sh, ch = np.sinh(arg), np.cosh(arg)
        arg_t = -arg / temp
        rg = -p["vel0"] * arr * sh
        rg_v = -p["vel0"] * (arr_t * t_v * sh + arr * ch * (gamma * scale + arg_t * t_v))
        rg_x = -p["vel0"] * (arr_t * t_x * sh + arr * ch * (scale * v * gamma_x + arg_t * t_x))
        drive = rg + self.noise_rate(ctx, np.shape(rg))
        f, f_x = soft_clip_window(x, drive > 0.0, p["wc"])
        return windowed(drive / self.gspan, rg_v / self.gspan, rg_x / self.gspan, f, f_x)
