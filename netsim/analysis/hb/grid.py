"""The spectral grid of harmonic balance: which mixing products are unknowns, and how they map
onto one FFT.

A line is a mixing product ``f = k . tones`` of integer orders k (one per tone) with
``|k_i| <= nharm`` and ``sum |k_i| <= mix`` (diamond truncation; ``mix >= d * nharm`` is the
box), kept once with f > 0 (plus DC). Lines of equal frequency (commensurate tones) are one
line.

Every line gets an integer index ``m`` on a single 1-D FFT of S time samples, ``m = k . n``
with integer weights n per tone:

- commensurate tones (all f_i = n_i f0 with small integers n_i) use n_i themselves: the FFT
  samples are true time points over one period 1/f0;
- otherwise, *frequency mapping* picks the smallest weights that keep every retained product
  on its own index (greedy, tone by tone). The samples are then not physical times, which is
  exact for devices that are algebraic in the unknowns (all netsim devices: dynamics enter only
  through d/dt q, applied with the true frequencies in the spectral domain).

S is the smallest FFT-friendly size above ``oversample * (2 max m + 1)``, so products of the
retained lines up to that order do not alias onto retained lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm

import numpy as np

from netsim.errors import AnalysisError

#: commensurate tones whose common-period weights exceed this are mapped instead
MAX_WEIGHT = 256
#: largest number of mixing products (both signs) a grid may enumerate
MAX_PRODUCTS = 400_000


@dataclass(frozen=True)
class SpectralGrid:
    """tones (d,) Hz; orders (L, d) int, line 0 is DC; freqs (L,) Hz ascending;
    index (L,) FFT bin of each line; samples S; physical: FFT samples are true times over
    ``period`` s (commensurate tones), else frequency-mapped."""

    tones: np.ndarray
    orders: np.ndarray
    freqs: np.ndarray
    index: np.ndarray
    samples: int
    physical: bool
    period: float

    @property
    def lines(self) -> int:
        return len(self.freqs)

    def line_of(self, freq: float, rtol: float = 1e-9) -> int | None:
        """The line at ``freq`` Hz (>= 0), or None when it is not on the grid."""
        k = int(self.lines_of(np.array([freq]), rtol)[0])
        return None if k < 0 else k

    def lines_of(self, freqs: np.ndarray, rtol: float = 1e-9) -> np.ndarray:
        """The lines at ``freqs`` (Hz, >= 0; grid frequencies ascend): line indices, -1 where
        a frequency is off the grid (further than rtol of the larger of it and the top
        tone)."""
        f = np.asarray(freqs, dtype=float)
        right = np.clip(np.searchsorted(self.freqs, f), 0, self.lines - 1)
        left = np.clip(right - 1, 0, self.lines - 1)
        near = np.where(np.abs(self.freqs[left] - f) <= np.abs(self.freqs[right] - f),
                        left, right)
        scale = np.maximum(f, float(self.tones.max()))
        return np.where(np.abs(self.freqs[near] - f) <= rtol * scale, near, -1)

    def label(self, line: int) -> str:
        """'DC', '2*f1', 'f1-f2', ... for messages."""
        if line == 0:
            return "DC"
        terms = []
        for i, k in enumerate(self.orders[line]):
            if k:
                sign = "-" if k < 0 else ("+" if terms else "")
                mag = abs(int(k))
                terms.append(f"{sign}{'' if mag == 1 else f'{mag}*'}f{i + 1}")
        return "".join(terms)


def _products(d: int, nharm: int, mix: int) -> np.ndarray:
    """(P, d) integer orders within the truncation, lowest total order first (zero first).

    Built tone by tone, dropping partial products beyond ``mix`` at each step, so the work
    is bounded by the products kept, not by the (2 nharm + 1)^d box."""
    r = np.arange(-nharm, nharm + 1)
    ks = np.zeros((1, 0), dtype=np.int64)
    for _ in range(d):
        ks = np.concatenate([np.repeat(ks, len(r), axis=0), np.tile(r, len(ks))[:, None]],
                            axis=1)
        ks = ks[np.abs(ks).sum(axis=1) <= mix]
        if len(ks) > MAX_PRODUCTS:
            raise AnalysisError(
                f"{d} tones with nharm={nharm}, mix={mix} give more than {MAX_PRODUCTS} mixing "
                "products: too many for harmonic balance",
                hint="lower nharm/mix, or use .rfdc for many weak tones")
    order = np.argsort(np.abs(ks).sum(axis=1), kind="stable")
    return ks[order]


def _commensurate(tones: np.ndarray) -> np.ndarray | None:
    """Integer weights n (tones = n f0) when the tones share a period with small weights."""
    base = tones[0]
    fracs = []
    for f in tones:
        if not 1.0 / MAX_WEIGHT <= f / base <= MAX_WEIGHT:  # no small common period
            return None
        fr = Fraction(float(f / base)).limit_denominator(MAX_WEIGHT)
        if abs(float(fr) - f / base) > 1e-12 * f / base:
            return None
        fracs.append(fr)
    den = lcm(*(fr.denominator for fr in fracs))
    weights = np.array([int(fr * den) for fr in fracs], dtype=np.int64)
    if weights.max() > MAX_WEIGHT:
        return None
    return weights


def _mapped_weights(ks: np.ndarray, tones: np.ndarray) -> np.ndarray:
    """Smallest greedy integer weights n such that two retained products share an index
    k . n exactly when they share a frequency k . tones (coincident products of tones with
    linear relations, e.g. equally spaced tones, stay one line)."""
    d = ks.shape[1]
    weights = np.zeros(d, dtype=np.int64)
    weights[0] = 1
    for i in range(1, d):
        sub = np.unique(ks[np.all(ks[:, i + 1:] == 0, axis=1)][:, : i + 1], axis=0)
        fkey = _frequency_key(sub @ tones[: i + 1], tones.max())
        n_f = len(np.unique(fkey))
        w = weights[i - 1] + 1
        # beyond 2 V + 1 (V: the largest index of the tones before) every (k_i, earlier
        # index) pair has its own index, so products that coincide in frequency can no
        # longer share one: the search ends there
        last = 2 * int(np.abs(sub[:, :i] @ weights[:i]).max(initial=0)) + 2
        while True:
            weights[i] = w
            values = sub @ weights[: i + 1]
            if len(np.unique(values)) == n_f == _pairs(values, fkey):
                break
            w += 1
            if w > max(last, weights[i - 1] + 1):
                raise AnalysisError(
                    "cannot map these tones onto one FFT grid: products of different orders "
                    "fall within 1e-9 of the largest tone without coinciding (tones nearly "
                    "at a ratio of small integers, or many decades apart)",
                    hint="give the tones an exact small-integer ratio, lower nharm/mix, or use "
                         "fewer tones")
    return weights


def _frequency_key(f: np.ndarray, scale: float) -> np.ndarray:
    """Integer key equal for frequencies equal to 1e-9 of the largest tone."""
    return np.round(f / (scale * 1e-9)).astype(np.int64)


def _pairs(a: np.ndarray, b: np.ndarray) -> int:
    return len(np.unique(np.stack([a, b], axis=1), axis=0))


def _fft_size(minimum: int) -> int:
    """Smallest 2^a 3^b 5^c >= minimum."""
    best = 1 << int(np.ceil(np.log2(max(minimum, 1))))
    p2 = 1
    while p2 < best:
        p3 = p2
        while p3 < best:
            p5 = p3
            while p5 < best:
                if p5 >= minimum:
                    best = p5
                p5 *= 5
            p3 *= 3
        p2 *= 2
    return best


def build_grid(tones: list[float], nharm: int, mix: int | None = None,
               oversample: float = 2.0) -> SpectralGrid:
    """The HB grid for tones (Hz), ``nharm`` harmonics per tone and mixing order ``mix``."""
    t = np.asarray(tones, dtype=float)
    d = len(t)
    if d == 0 or np.any(t <= 0):
        raise AnalysisError("harmonic balance needs tone frequencies > 0")
    if len(np.unique(t)) != d:
        raise AnalysisError("harmonic balance tones must be distinct",
                            hint="list each tone frequency once on the .hb card")
    mix = nharm if mix is None else mix
    ks = _products(d, nharm, mix)
    weights = _commensurate(t)
    mapped = _mapped_weights(ks, t)
    physical = weights is not None and (
        np.abs(ks @ weights).max(initial=0) <= 4 * np.abs(ks @ mapped).max(initial=0))
    n = weights if physical else mapped
    f = ks @ t
    idx = ks @ n
    scale = t.max()
    # one representative per frequency (positive half; commensurate duplicates merged)
    keep = (f > 1e-9 * scale) | np.all(ks == 0, axis=1)
    ks, f, idx = ks[keep], f[keep], idx[keep]
    _, first = np.unique(_frequency_key(f, scale), return_index=True)
    first = np.sort(first)
    ks, f, idx = ks[first], f[first], idx[first]
    order = np.argsort(f, kind="stable")
    ks, f, idx = ks[order], f[order], idx[order]
    top = int(np.abs(idx).max(initial=0))
    samples = _fft_size(int(np.ceil(oversample * (2 * top + 1))))
    samples = max(samples, 2 * top + 2)
    period = 1.0 / (t[0] / n[0]) if physical else 1.0 / t[0]
    return SpectralGrid(tones=t, orders=ks, freqs=f, index=idx, samples=samples,
                        physical=bool(physical), period=period)
