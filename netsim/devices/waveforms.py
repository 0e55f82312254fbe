"""Transient waveforms of independent sources, with ngspice 39 semantics, vectorised.

Kinds, argument orders and defaults (``tstep``/``tstop`` are the ``.tran`` step and stop time;
a default marked "(also 0)" also replaces an explicit 0, as ngspice does)::

    pulse(v1 v2 [td [tr [tf [pw [per [np]]]]]])   td=0, tr=tf=tstep (also 0), pw=per=tstop
                                                  (also 0), np=0 (unlimited number of pulses)
    sin(vo va [freq [td [theta [phase]]]])        freq=1/tstop (also 0), td=0, theta=0 (1/s),
                                                  phase=0 (degrees)
    exp(v1 v2 [td1 [tau1 [td2 [tau2]]]])          td1=tstep, tau1=tstep, td2=td1+tstep,
                                                  tau2=tstep (all also 0)
    pwl(t1 v1 t2 v2 ...) [r=rt] [td=delay]        r: repeat from time point rt to the end
                                                  (r=-1: no repeat); td: delay (s)
    sffm(vo va [fc [mdi [fs [phasec [phases]]]]]) fc=fs=1/tstop (also 0), mdi=0, phases in deg
    am(va vo [mf [fc [td [phasec [phases]]]]])    mf=1/tstop (also 0), fc=0, td=0, phases deg

Values (t in s; ``tt = t - td``):

- pulse: ``tt`` wraps modulo per once ``tt > per``; v1 for ``tt <= 0`` or after the fall, a linear
  rise over tr, v2 for pw, a linear fall over tf; with np > 0, v1 once ``tt > np * per``.
- sin: ``vo + va sin(phase)`` for ``tt <= 0``, else ``vo + va sin(2 pi freq tt + phase)
  exp(-theta tt)``.
- exp: v1 up to td1, then ``+ (v2 - v1)(1 - exp(-(t - td1)/tau1))``, and after td2
  ``+ (v1 - v2)(1 - exp(-(t - td2)/tau2))``.
- pwl: v1 before the first point, linear between points (equal times make a step; at the step
  time the value before the step), the last value after the end; with r the segment
  [rt, t_last] repeats forever.
- sffm: ``vo + va sin(2 pi fc t + phasec + mdi sin(2 pi fs t + phases))`` (no delay).
- am: 0 for ``tt <= 0``, else ``va (vo + sin(2 pi mf tt + phases)) sin(2 pi fc tt + phases)``.
  ngspice 39 uses ``phases`` (the 7th value) for both sines and ignores ``phasec``; so do we.

Unbound waveforms (no ``.tran``: ``.op``, ``.dc``) use tstep = tstop = 0 with 1/0 frequency
defaults read as 0; their value at t = 0 is what static analyses need and does not depend on it.

Breakpoints are the waveform's true corners in (t0, t1]: every pulse corner of every period (up
to np pulses), every pwl point shifted by td and every point of every repeat, the start (td) of
sin and am, td1 and td2 of exp; none for sffm. (ngspice 39 itself sets pwl breakpoints at the
unshifted points only and none for repeats, sin, exp or am; ours are a superset of useful ones.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from netsim.errors import AnalysisError

# a source with more periods than this in one run has a unit typo in its card
MAX_PERIODS = 1e8

TWO_PI = 2.0 * np.pi

#: Argument names per waveform kind, in ngspice order ('pwl' takes time-value pairs).
ARG_NAMES: dict[str, tuple[str, ...]] = {
    "pulse": ("v1", "v2", "td", "tr", "tf", "pw", "per", "np"),
    "sin": ("vo", "va", "freq", "td", "theta", "phase"),
    "exp": ("v1", "v2", "td1", "tau1", "td2", "tau2"),
    "pwl": ("t1", "v1", "t2", "v2", "..."),
    "sffm": ("vo", "va", "fc", "mdi", "fs", "phasec", "phases"),
    "am": ("va", "vo", "mf", "fc", "td", "phasec", "phases"),
}
KINDS: tuple[str, ...] = tuple(ARG_NAMES)
#: Other spellings ngspice accepts.
ALIASES: dict[str, str] = {"sine": "sin"}


def _arg(args: tuple[float, ...], k: int, default: float, zero_default: bool = False) -> float:
    """args[k] if given (and non-zero when ``zero_default``), else default."""
    if len(args) > k and not (zero_default and args[k] == 0.0):
        return float(args[k])
    return float(default)


def _inv(x: float) -> float:
    """1/x, read as 0 when x is 0 (unbound waveform)."""
    return 1.0 / x if x > 0.0 else 0.0


@dataclass(frozen=True)
class Waveform:
    """One source waveform: kind (see module docstring), args as written (floats, SI units),
    options (pwl only: 'r' repeat start time, 'td' delay; s), and the transient's tstep/tstop (s)
    once bound (0 when unbound).

    Immutable: :meth:`bind` returns a new, bound waveform.
    """

    kind: str
    args: tuple[float, ...]
    options: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
    tstep: float = 0.0
    tstop: float = 0.0

    def __post_init__(self) -> None:
        kind = ALIASES.get(self.kind, self.kind)
        if kind not in ARG_NAMES:
            raise ValueError(f"unknown waveform kind {self.kind!r}")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "args", tuple(float(a) for a in self.args))
        object.__setattr__(self, "options", {k: float(v) for k, v in self.options.items()})

    def __hash__(self) -> int:
        return hash((self.kind, self.args, tuple(sorted(self.options.items())),
                     self.tstep, self.tstop))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Waveform):
            return NotImplemented
        return (self.kind, self.args, self.options, self.tstep, self.tstop) == (
            other.kind, other.args, other.options, other.tstep, other.tstop)

    def bind(self, tstep: float, tstop: float) -> Waveform:
        """This waveform with the defaults that depend on ``.tran tstep tstop`` (s) resolved."""
        return replace(self, tstep=float(tstep), tstop=float(tstop))

    # ------------------------------------------------------------------ resolved parameters
    def params(self) -> np.ndarray:
        """The resolved fixed-length parameter vector of a non-pwl kind (defaults applied)."""
        a, step, stop = self.args, self.tstep, self.tstop
        if self.kind == "pulse":
            return np.array([a[0], a[1], _arg(a, 2, 0.0), _arg(a, 3, step, True),
                             _arg(a, 4, step, True), _arg(a, 5, stop, True),
                             _arg(a, 6, stop, True), _arg(a, 7, 0.0)])
        if self.kind == "sin":
            return np.array([a[0], a[1], _arg(a, 2, _inv(stop), True), _arg(a, 3, 0.0),
                             _arg(a, 4, 0.0), _arg(a, 5, 0.0)])
        if self.kind == "exp":
            td1 = _arg(a, 2, step, True)
            return np.array([a[0], a[1], td1, _arg(a, 3, step, True),
                             _arg(a, 4, td1 + step, True), _arg(a, 5, step, True)])
        if self.kind == "sffm":
            return np.array([a[0], a[1], _arg(a, 2, _inv(stop), True), _arg(a, 3, 0.0),
                             _arg(a, 4, _inv(stop), True), _arg(a, 5, 0.0), _arg(a, 6, 0.0)])
        if self.kind == "am":
            return np.array([a[0], a[1], _arg(a, 2, _inv(stop), True), _arg(a, 3, 0.0),
                             _arg(a, 4, 0.0), _arg(a, 5, 0.0), _arg(a, 6, 0.0)])
        raise ValueError("pwl has no fixed-length parameter vector; use pwl_table()")

    def pwl_table(self) -> tuple[np.ndarray, np.ndarray, float, int]:
        """PWL: (times (M,), values (M,), delay td, index of the repeat start or -1)."""
        t = np.asarray(self.args[0::2], dtype=float)
        v = np.asarray(self.args[1::2], dtype=float)
        r = self.options.get("r", -1.0)
        ridx = -1
        if r > -0.5:
            hits = np.flatnonzero(t == r)
            ridx = int(hits[0]) if hits.size else -1
        return t, v, float(self.options.get("td", 0.0)), ridx

    # ------------------------------------------------------------------ evaluation
    def value(self, t: float | np.ndarray) -> float | np.ndarray:
        """The waveform at time(s) t (s): a float for a scalar t, else an array of t's shape."""
        tt = np.asarray(t, dtype=float)
        out = WaveformBank([self]).values(tt)[..., 0]
        return float(out) if np.ndim(t) == 0 else out

    def corner_estimate(self, t0: float, t1: float) -> float:
        """An upper estimate of how many corners :meth:`breakpoints` finds in (t0, t1]."""
        span = max(0.0, t1 - t0)
        if self.kind == "pulse":
            per = self.params()[6]
            return 4.0 * (span / per + 2.0) if per > 0.0 else 4.0
        if self.kind == "pwl":
            t, _, _, ridx = self.pwl_table()
            if ridx >= 0 and t[-1] > t[ridx]:
                return t.size * (span / (t[-1] - t[ridx]) + 2.0)
            return float(t.size)
        return 2.0

    def breakpoints(self, t0: float, t1: float) -> np.ndarray:
        """Sorted unique corner times in (t0, t1] (s)."""
        if t1 <= t0:
            return np.empty(0)
        if self.kind == "pulse":
            _, _, td, tr, tf, pw, per, npulse = self.params()
            pts = _pulse_corners(td, tr, tf, pw, per, npulse, t0, t1)
        elif self.kind == "pwl":
            pts = _pwl_corners(*self.pwl_table(), t0, t1)
        elif self.kind in ("sin", "am"):
            pts = np.array([self.params()[3 if self.kind == "sin" else 4]])
        elif self.kind == "exp":
            p = self.params()
            pts = np.array([p[2], p[4]])
        else:
            pts = np.empty(0)
        pts = pts[(pts > t0) & (pts <= t1)]
        return np.unique(pts)


def _pulse_corners(td: float, tr: float, tf: float, pw: float, per: float, npulse: float,
                   t0: float, t1: float) -> np.ndarray:
    """Pulse corners td + k per + {0, tr, tr+pw, tr+pw+tf} for the periods meeting (t0, t1]."""
    offs = np.array([0.0, tr, tr + pw, tr + pw + tf])
    if per <= 0.0:
        return td + offs
    offs = offs[offs <= per]  # corners past the period are never reached (the pulse wraps)
    k0 = max(0.0, np.floor((t0 - td - offs[-1]) / per))
    k1 = max(0.0, np.ceil((t1 - td) / per))
    if npulse > 0:
        k1 = min(k1, np.ceil(npulse) - 1)
    if k1 < k0:
        return np.empty(0)
    if k1 - k0 > MAX_PERIODS:
        raise AnalysisError(f"a PULSE with period {per:g} s has {k1 - k0:.3g} periods in the "
                            f"run, more than {MAX_PERIODS:g}",
                            hint="check the units of the PULSE's per (and its tr, pw, tf)")
    k = np.arange(k0, k1 + 1)
    return (td + k[:, None] * per + offs[None, :]).ravel()


def _pwl_corners(t: np.ndarray, v: np.ndarray, td: float, ridx: int, t0: float,
                 t1: float) -> np.ndarray:
    """PWL points shifted by td, plus the points of every repeat meeting (t0, t1]."""
    pts = [t + td]
    if ridx >= 0 and t[-1] > t[ridx]:
        period = t[-1] - t[ridx]
        seg = t[ridx + 1:] - t[ridx]  # offsets within one repeat, (0, period]
        start = td + t[-1]
        n0 = max(0.0, np.floor((t0 - start) / period))
        n1 = max(0.0, np.ceil((t1 - start) / period))
        n = np.arange(n0, n1 + 1)
        pts.append((start + n[:, None] * period + seg[None, :]).ravel())
    return np.concatenate(pts)


# ---------------------------------------------------------------------- vectorised kernels
# Each kernel takes t (..., n) and a parameter matrix p (n, P) and returns (..., n).


def _pulse(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    v1, v2, td, tr, tf, pw, per, npulse = p.T
    tt = t - td
    over = (npulse > 0.0) & (tt > npulse * per)
    wrap = (tt > per) & (per > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tt = np.where(wrap, tt - per * np.floor(tt / np.where(wrap, per, 1.0)), tt)
        rise = v1 + (v2 - v1) * tt / tr
        fall = v2 + (v1 - v2) * (tt - (tr + pw)) / tf
    out = np.where(tt < tr, rise, fall)
    out = np.where((tt >= tr) & (tt <= tr + pw), v2, out)
    out = np.where((tt <= 0.0) | (tt >= tr + pw + tf), v1, out)
    return np.where(over, v1, out)


SCALAR_LIMIT = 8


def _pulse_scalar(t: float, v1: float, v2: float, td: float, tr: float, tf: float, pw: float,
                  per: float, npulse: float) -> float:
    """:func:`_pulse` at one time for one waveform (each branch only where it is selected, so
    no division by a zero rise or fall time happens)."""
    tt = t - td
    if npulse > 0.0 and tt > npulse * per:
        return v1
    if tt > per and per > 0.0:
        tt = tt - per * math.floor(tt / per)
    if tt <= 0.0 or tt >= tr + pw + tf:
        return v1
    if tr <= tt <= tr + pw:
        return v2
    if tt < tr:
        return v1 + (v2 - v1) * tt / tr
    return v2 + (v1 - v2) * (tt - (tr + pw)) / tf


def _sin_scalar(t: float, vo: float, va: float, freq: float, td: float, theta: float,
                phase: float) -> float:
    """:func:`_sin` at one time for one waveform."""
    ph = phase * math.pi / 180.0
    tt = t - td
    if tt > 0.0:
        return vo + va * math.sin(freq * tt * TWO_PI + ph) * math.exp(-tt * theta)
    return vo + va * math.sin(ph)


_SCALAR_KERNELS = {"pulse": _pulse_scalar, "sin": _sin_scalar}


def _sin(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    vo, va, freq, td, theta, phase = p.T
    ph = phase * np.pi / 180.0
    tt = t - td
    on = tt > 0.0
    ts = np.where(on, tt, 0.0)
    running = vo + va * np.sin(freq * ts * TWO_PI + ph) * np.exp(-ts * theta)
    return np.where(on, running, vo + va * np.sin(ph))


def _exp(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    v1, v2, td1, tau1, td2, tau2 = p.T
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rise = v1 + (v2 - v1) * (1.0 - np.exp(-(t - td1) / tau1))
        both = rise + (v1 - v2) * (1.0 - np.exp(-(t - td2) / tau2))
    return np.where(t <= td1, v1, np.where(t <= td2, rise, both))


def _sffm(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    vo, va, fc, mdi, fs, phasec, phases = p.T
    pc, ps = phasec * np.pi / 180.0, phases * np.pi / 180.0
    return vo + va * np.sin((TWO_PI * fc * t + pc) + mdi * np.sin(TWO_PI * fs * t + ps))


def _am(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    va, vo, mf, fc, td, _phasec, phases = p.T
    ps = phases * np.pi / 180.0
    tt = t - td
    on = tt > 0.0
    val = va * (vo + np.sin(TWO_PI * mf * tt + ps)) * np.sin(TWO_PI * fc * tt + ps)
    return np.where(on, val, 0.0)


_KERNELS = {"pulse": _pulse, "sin": _sin, "exp": _exp, "sffm": _sffm, "am": _am}


@dataclass
class _PwlGroup:
    """Padded PWL tables of n instances: times/values (n, M) padded with their last point."""

    times: np.ndarray
    values: np.ndarray
    td: np.ndarray  # (n,)
    ridx: np.ndarray  # (n,) int, -1 = no repeat

    @classmethod
    def build(cls, waves: Sequence[Waveform]) -> _PwlGroup:
        tables = [w.pwl_table() for w in waves]
        m = max(tb[0].size for tb in tables)
        times = np.empty((len(tables), m))
        values = np.empty((len(tables), m))
        for j, (tt, vv, _, _) in enumerate(tables):
            times[j, : tt.size], times[j, tt.size:] = tt, tt[-1]
            values[j, : vv.size], values[j, vv.size:] = vv, vv[-1]
        td = np.array([tb[2] for tb in tables])
        ridx = np.array([tb[3] for tb in tables], dtype=int)
        return cls(times, values, td, ridx)

    def __call__(self, t: np.ndarray, chunk: int = 1 << 22) -> np.ndarray:
        n, m = self.times.shape
        rows = np.arange(n)
        first, last = self.times[:, 0], self.times[:, -1]
        rep = self.ridx >= 0
        rstart = self.times[rows, np.maximum(self.ridx, 0)]
        period = last - rstart
        tau = t - self.td
        wrap = rep & (tau > last) & (period > 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = tau - rstart
            x = x - period * np.floor(x / np.where(wrap, period, 1.0))
        tau = np.where(wrap, x + rstart, tau)
        # index of the first point j >= 1 with times[j] >= tau (count of points below tau)
        count = np.zeros(tau.shape, dtype=np.intp)
        step = max(1, chunk // max(1, tau.size))
        for j0 in range(1, m, step):
            cols = self.times[:, j0: j0 + step]
            count += (cols < tau[..., None]).sum(axis=-1)
        j = np.clip(count + 1, 0, m - 1)
        i = np.maximum(j - 1, 0)
        ta, tb = self.times[rows, i], self.times[rows, j]
        va, vb = self.values[rows, i], self.values[rows, j]
        dt = tb - ta
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(dt > 0.0, va + (tau - ta) / np.where(dt > 0, dt, 1.0) * (vb - va), va)
        out = np.where(tau > last, self.values[:, -1], out)
        return np.where(tau < first, self.values[:, 0], out)


class WaveformBank:
    """Vectorised evaluation of N instances' waveforms, grouped by kind.

    waveforms: one Waveform (or None) per instance. Instances without a waveform take their
    value from ``constant`` (N,) (default 0; owners such as a source family store the DC value
    there). Evaluation loops over the handful of kinds, never over instances.
    """

    def __init__(self, waveforms: Sequence[Waveform | None],
                 constant: np.ndarray | None = None) -> None:
        self.waveforms = list(waveforms)
        self.n = len(self.waveforms)
        self.constant = (np.zeros(self.n) if constant is None
                         else np.asarray(constant, dtype=float).copy())
        self._groups: list[tuple[np.ndarray, object]] = []
        for kind in KINDS:
            idx = np.array([k for k, w in enumerate(self.waveforms)
                            if w is not None and w.kind == kind], dtype=np.intp)
            if idx.size == 0:
                continue
            waves = [self.waveforms[k] for k in idx]
            if kind == "pwl":
                self._groups.append((idx, _PwlGroup.build(waves)))
            else:
                params = np.stack([w.params() for w in waves])
                kernel = _KERNELS[kind]
                self._groups.append((idx, lambda t, p=params, f=kernel: f(t, p)))
        self.has_waveform = np.array([w is not None for w in self.waveforms], dtype=bool)
        # a few PULSE or SIN waveforms at one time point (a transient step): plain floats are
        # ~20x cheaper than the array kernel on one element (same expressions, same results)
        self._scalar = None
        if 0 < sum(idx.size for idx, _ in self._groups) <= SCALAR_LIMIT and all(
                w is None or w.kind in _SCALAR_KERNELS for w in self.waveforms):
            self._scalar = [(k, _SCALAR_KERNELS[w.kind], tuple(float(v) for v in w.params()))
                            for k, w in enumerate(self.waveforms) if w is not None]

    def bind(self, tstep: float, tstop: float) -> WaveformBank:
        """A new bank with every waveform bound to ``.tran tstep tstop`` (s)."""
        return WaveformBank([None if w is None else w.bind(tstep, tstop)
                             for w in self.waveforms], self.constant)

    def values(self, t: float | np.ndarray) -> np.ndarray:
        """Values at common time(s) t (scalar or shape S; s): shape (*S, N)."""
        if self._scalar is not None and np.ndim(t) == 0:
            out = self.constant.copy()
            for k, kernel, params in self._scalar:
                out[k] = kernel(float(t), *params)
            return out
        tt = np.asarray(t, dtype=float)
        return self.values_at(np.broadcast_to(tt[..., None], (*tt.shape, self.n)))

    def values_at(self, t: np.ndarray) -> np.ndarray:
        """Values at per-instance times t (..., N) (s): shape (..., N)."""
        t = np.asarray(t, dtype=float)
        out = np.broadcast_to(self.constant, t.shape).copy()
        for idx, fn in self._groups:
            out[..., idx] = fn(t[..., idx])
        return out

    def corner_estimate(self, t0: float, t1: float) -> float:
        """An upper estimate of the number of corners in (t0, t1] over all instances."""
        return sum(w.corner_estimate(t0, t1) for w in {w for w in self.waveforms if w})

    def breakpoints(self, t0: float, t1: float) -> np.ndarray:
        """Sorted unique corner times in (t0, t1] over all instances (s)."""
        unique = {w for w in self.waveforms if w is not None}
        if not unique:
            return np.empty(0)
        return np.unique(np.concatenate([w.breakpoints(t0, t1) for w in unique]))
