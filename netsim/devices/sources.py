"""Independent voltage (V) and current (I) sources, ngspice 39 semantics.

Card syntax after the two nodes, in any order ngspice accepts::

    [[dc] value] [dc=value] [ac [mag [phase]]] [waveform(args...)] [r=rt] [td=delay]

- a bare value is only accepted as the first item (ngspice reads it as the DC value);
- ``ac`` alone means magnitude 1, phase 0; phase is in degrees;
- the waveform is one of pulse, sin (sine), exp, pwl, sffm, am (see :mod:`.waveforms`), with or
  without parentheses (``sin 0 1 1k``); ``r=`` / ``td=`` apply to pwl only;
- ``distof1`` / ``distof2`` (distortion analysis inputs) are rejected: netsim has no ``.disto``.

Which value a source has (ngspice): a static analysis (``ctx.t is None``: .op, .dc, the AC
operating point) uses the DC value when given, else the waveform at t = 0, else 0. Transient
(``ctx.t`` a time, including the t = 0 operating point that starts it) uses the waveform, or the
DC value when there is none. Every value is multiplied by ``ctx.srcfact`` (source stepping).
A DC value equal to neither is legal (ngspice notes "dc value used for op instead of transient
time=0 value") and kept as is.

PWL time points must not decrease; equal consecutive times make a step (ngspice warns but
computes the same step).

Instances: family 'vsource' / 'isource', nodes (n+, n-), ``params={'spec': SourceSpec}``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from netsim.circuit.circuit import Instance
from netsim.devices.base import (
    BRANCH,
    DeviceGroup,
    EvalContext,
    Evaluation,
    SpectralExcitation,
    UnknownSpec,
    register,
)
from netsim.devices.waveforms import ALIASES, ARG_NAMES, KINDS, Waveform, WaveformBank
from netsim.errors import AnalysisError, ElaborationError, NetsimError, Span, did_you_mean
from netsim.syntax.ast import Atom, Braced, Group, ListValue, Param, Token

# ---------------------------------------------------------------------------- the spec


@dataclass
class SourceSpec:
    """What a V/I card says about its value.

    dc: DC value (V or A), None when not given. ac_mag (V or A) and ac_phase (degrees): the AC
    small-signal excitation (0 when no ``ac``). waveform: the transient waveform or None.
    """

    dc: float | None = None
    ac_mag: float = 0.0
    ac_phase: float = 0.0
    waveform: Waveform | None = None


WAVE_NAMES: tuple[str, ...] = KINDS + tuple(ALIASES)
KEYWORDS: tuple[str, ...] = ("dc", "ac", "distof1", "distof2") + WAVE_NAMES
PARAM_NAMES: tuple[str, ...] = ("dc", "ac", "acmag", "acphase", "r", "td")
MAX_ARGS = {kind: len(names) for kind, names in ARG_NAMES.items() if kind != "pwl"}
NONNEGATIVE = {"pulse": (3, 4, 5, 6, 7)}  # tr tf pw per np
_NUMBER_START = re.compile(r"^[+-]?(\d|\.\d)")

EvalAtom = Callable[[Atom], float]


def _atom_text(atom: Atom) -> str:
    """The atom as written (for messages)."""
    if isinstance(atom, Token):
        return atom.text
    sp = atom.span
    text = sp.source[sp.col - 1: sp.end_col - 1] if sp.source else ""
    return text or (f"{atom.name}(...)" if isinstance(atom, Group) else "...")


def _is_numeric(atom: Atom) -> bool:
    """Whether the atom can be a number (a value-like token or a braced expression)."""
    if isinstance(atom, Braced):
        return True
    return isinstance(atom, Token) and bool(_NUMBER_START.match(atom.text))


def _number(atom: Atom, eval_atom: EvalAtom, what: str) -> float:
    """Evaluate a numeric atom through the elaboration callback, with a clear error."""
    if not isinstance(atom, (Token, Braced)):
        raise ElaborationError(
            f"expected a number for {what}, found '{_atom_text(atom)}'", atom.span,
            hint="write a number like 1.5, 2n, 3meg or a parameter expression like {vdd/2}")
    try:
        return float(eval_atom(atom))
    except NetsimError:
        raise
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        raise ElaborationError(
            f"expected a number for {what}, found '{_atom_text(atom)}'", atom.span,
            hint="write a number like 1.5, 2n, 3meg or a parameter expression like {vdd/2}",
        ) from exc


def _wave_signature(kind: str) -> str:
    return f"{kind}({' '.join(ARG_NAMES[kind])})"


def _build_waveform(kind: str, args: Sequence[Atom], span: Span,
                    eval_atom: EvalAtom) -> Waveform:
    """Check the argument count/values of one waveform and build it (options added later)."""
    kind = ALIASES.get(kind, kind)
    label = kind.upper()
    n = len(args)
    if n < 2:
        need = "two values (t1 v1)" if kind == "pwl" else (
            f"at least 2 values ({' '.join(ARG_NAMES[kind][:2])})")
        raise ElaborationError(f"{label} needs {need}, got {n}", span,
                               hint=f"write {_wave_signature(kind)}")
    if kind != "pwl" and n > MAX_ARGS[kind]:
        raise ElaborationError(
            f"{label} takes at most {MAX_ARGS[kind]} values "
            f"({' '.join(ARG_NAMES[kind])}), got {n}", span,
            hint=f"remove the extra values: {_wave_signature(kind)}")
    if kind == "pwl" and n % 2:
        raise ElaborationError(
            f"PWL needs time-value pairs, got an odd number of values ({n})", span,
            hint="write pwl(t1 v1 t2 v2 ...)")
    names = ARG_NAMES[kind]
    values = []
    for k, atom in enumerate(args):
        what = (f"PWL {'time' if k % 2 == 0 else 'value'} #{k // 2 + 1}" if kind == "pwl"
                else f"{label} {names[k]}")
        values.append(_number(atom, eval_atom, what))
    for k in NONNEGATIVE.get(kind, ()):
        if k < n and values[k] < 0.0:
            raise ElaborationError(
                f"{label} {names[k]} must not be negative, got {values[k]:g}", args[k].span,
                hint=f"{names[k]} is a time (s)" if k < 7 else "np counts pulses (0: no limit)")
    if kind == "pwl":
        for k in range(2, n, 2):
            if values[k] < values[k - 2]:
                raise ElaborationError(
                    f"PWL time points must not decrease: t={values[k]:g} follows "
                    f"t={values[k - 2]:g}", args[k].span,
                    hint="list the (time, value) pairs in increasing time order")
    return Waveform(kind, tuple(values))


def parse_source_spec(atoms: Sequence[Atom], params: Sequence[Param], eval_atom: EvalAtom,
                      span: Span | None) -> SourceSpec:
    """Interpret the atoms and ``k=v`` params after the two nodes of a V or I card.

    eval_atom: evaluates a Token or Braced atom to a float (numbers with SPICE suffixes and
    ``{expr}`` with parameters). span: the card (for errors not tied to one atom).
    Raises ElaborationError (with the offending atom's span, what was expected, a hint).
    """
    spec = SourceSpec()
    dc_span: Span | None = None
    ac_seen = False
    wave_span: Span | None = None
    atoms, ac_phase = _phase_after_ac_param(atoms, params)
    i, n = 0, len(atoms)

    def set_dc(value: float, where: Span) -> None:
        nonlocal dc_span
        if dc_span is not None:
            raise ElaborationError("the DC value is given twice", where,
                                   hint="keep one DC value (`dc 1` or a bare value first)")
        spec.dc, dc_span = value, where

    def set_wave(wave: Waveform, where: Span) -> None:
        nonlocal wave_span
        if wave_span is not None:
            raise ElaborationError(
                "a source takes one waveform, found a second one", where,
                hint="keep one of pulse/sin/exp/pwl/sffm/am (sum sources in series instead)")
        spec.waveform, wave_span = wave, where

    while i < n:
        atom = atoms[i]
        if isinstance(atom, Group):
            name = atom.name
            if name in WAVE_NAMES:
                set_wave(_build_waveform(name, atom.args, atom.span, eval_atom), atom.span)
                i += 1
                continue
            hint = did_you_mean(name, WAVE_NAMES) if name else None
            raise ElaborationError(
                f"unknown waveform '{name}(...)': expected one of "
                f"{', '.join(KINDS)}" if name else
                f"unexpected parenthesised list '{_atom_text(atom)}' on a source",
                atom.span, hint=hint or "supported waveforms: pulse(v1 v2 td tr tf pw per), "
                "sin(vo va freq), exp(v1 v2 td1 tau1 td2 tau2), pwl(t1 v1 ...), "
                "sffm(vo va fc mdi fs), am(va vo mf fc td)")
        if isinstance(atom, ListValue):
            raise ElaborationError(f"unexpected list '{_atom_text(atom)}' on a source",
                                   atom.span, hint="lists are for RF ports (P cards)")
        if _is_numeric(atom):
            if i == 0:
                set_dc(_number(atom, eval_atom, "the DC value"), atom.span)
                i += 1
                continue
            raise ElaborationError(
                f"unexpected value '{_atom_text(atom)}'", atom.span,
                hint="a bare DC value must come first; otherwise write `dc <value>`, "
                "`ac <mag> <phase>` or put it inside the waveform's parentheses")
        word = atom.text  # a Token that is not a number
        if word == "dc":
            if i + 1 >= n or not _is_numeric(atoms[i + 1]):
                raise ElaborationError("expected a value after 'dc'", atom.span,
                                       hint="write e.g. `dc 1.8`")
            set_dc(_number(atoms[i + 1], eval_atom, "the DC value"), atoms[i + 1].span)
            i += 2
        elif word == "ac":
            if ac_seen:
                raise ElaborationError("'ac' is given twice", atom.span,
                                       hint="keep one `ac <mag> <phase>`")
            ac_seen = True
            vals = []
            i += 1
            while i < n and len(vals) < 2 and _is_numeric(atoms[i]):
                what = "the AC magnitude" if not vals else "the AC phase (degrees)"
                vals.append(_number(atoms[i], eval_atom, what))
                i += 1
            spec.ac_mag = vals[0] if vals else 1.0
            spec.ac_phase = vals[1] if len(vals) > 1 else 0.0
        elif word in ("distof1", "distof2"):
            raise ElaborationError(
                f"'{word}' (a distortion-analysis input) is not supported", atom.span,
                hint=f"remove '{word}' and its values: netsim has no .disto analysis")
        elif word in WAVE_NAMES and i + 1 < n and isinstance(atoms[i + 1], Group) \
                and not atoms[i + 1].name:  # `pulse (0 1 1n)`: a space before the list
            where = atom.span.to(atoms[i + 1].span)
            set_wave(_build_waveform(word, atoms[i + 1].args, where, eval_atom), where)
            i += 2
        elif word in WAVE_NAMES:  # waveform written without parentheses
            j = i + 1
            while j < n and _is_numeric(atoms[j]):
                j += 1
            where = atom.span.to(atoms[j - 1].span)
            set_wave(_build_waveform(word, atoms[i + 1: j], where, eval_atom), where)
            i = j
        else:
            hint = did_you_mean(word, KEYWORDS) or (
                f"use braces for a parameter, e.g. {{{word}}}")
            raise ElaborationError(
                f"unknown source keyword '{word}': expected a value, dc, ac or a waveform "
                f"({', '.join(KINDS)})", atom.span, hint=hint)

    options: dict[str, float] = {}
    for p in params:
        name = p.name
        if name not in PARAM_NAMES:
            raise ElaborationError(
                f"unknown source parameter '{name}=': expected one of "
                f"{', '.join(PARAM_NAMES)}", p.span,
                hint=did_you_mean(name, PARAM_NAMES) or "remove it")
        value = _number(p.value, eval_atom, f"'{name}='")
        if name == "dc":
            set_dc(value, p.span)
        elif name in ("ac", "acmag"):
            spec.ac_mag = value
            if ac_phase is not None:
                spec.ac_phase = _number(ac_phase, eval_atom, "the AC phase (degrees)")
        elif name == "acphase":
            spec.ac_phase = value
            if not ac_seen and spec.ac_mag == 0.0:
                spec.ac_mag = 1.0
        else:  # r, td
            if spec.waveform is None or spec.waveform.kind != "pwl":
                raise ElaborationError(
                    f"'{name}=' applies to a pwl waveform only", p.span,
                    hint=f"remove '{name}=' or give a pwl(...) waveform")
            options[name] = value
        if name == "ac":
            ac_seen = True
    if options:
        spec.waveform = _pwl_with_options(spec.waveform, options, params)
    return spec


def _phase_after_ac_param(atoms: Sequence[Atom], params: Sequence[Param]
                          ) -> tuple[list[Atom], Atom | None]:
    """``V1 1 0 AC=0.5 180``: the value right after an ``ac=`` param is its phase (ngspice),
    not a bare DC value. (atoms without it, the phase atom or None)."""
    ac = next((p for p in params if p.name in ("ac", "acmag")), None)
    if ac is None:
        return list(atoms), None
    end = (ac.span.line, ac.span.end_col)
    after = [k for k, a in enumerate(atoms) if (a.span.line, a.span.col) >= end]
    if not after or not _is_numeric(atoms[after[0]]):
        return list(atoms), None
    k = after[0]
    between = [p for p in params if end <= (p.span.line, p.span.col) < (atoms[k].span.line,
                                                                          atoms[k].span.col)]
    if between:
        return list(atoms), None
    return [a for j, a in enumerate(atoms) if j != k], atoms[k]


def _pwl_with_options(wave: Waveform, options: dict[str, float],
                      params: Sequence[Param]) -> Waveform:
    """Attach r=/td= to a pwl waveform, checking r as ngspice does (r=-1: no repeat)."""
    r = options.get("r")
    if r is not None and r > -0.5:
        where = next(p.span for p in params if p.name == "r")
        times = wave.args[0::2]
        if r >= times[-1]:
            raise ElaborationError(
                f"PWL repeat start r={r:g} must be before the last time point "
                f"({times[-1]:g})", where,
                hint="r names the time point the repetition restarts from; r=0 repeats all")
        if r not in times:
            raise ElaborationError(
                f"PWL repeat start r={r:g} is not one of the time points", where,
                hint="r must equal one of: " + " ".join(f"{t:g}" for t in times[:8]) +
                (" ..." if len(times) > 8 else ""))
    return Waveform("pwl", wave.args, options)


# ---------------------------------------------------------------------------- shared pieces


def timed_values(group, ctx: EvalContext, lead: tuple[int, ...], static: np.ndarray,
                 at_scalar: Callable, at_array: Callable) -> np.ndarray:
    """A source group's values at ctx, times ctx.srcfact, broadcastable to (*lead, N).

    ctx.t may be None (static: ``static``), a scalar (``at_scalar(t)``, cached in the group's
    ``_cache_t``/``_cache_v`` because Newton calls repeat the same time), or an array
    broadcasting against (*lead, N) (e.g. (K, 1) with lead (K,); an array with the shape of
    lead is read per batch entry) passed to ``at_array`` broadcast to (*lead, N).
    """
    if ctx.t is None:
        return static * ctx.srcfact
    t = np.asarray(ctx.t, dtype=float)
    if t.ndim == 0:
        if group._cache_t != float(t):
            group._cache_v, group._cache_t = at_scalar(t), float(t)
        v = group._cache_v
    else:
        if t.ndim <= len(lead) and t.shape[-1:] != (1,):
            t = t[..., None]
        v = at_array(np.broadcast_to(t, np.broadcast_shapes(t.shape, (*lead, group.n))))
    return v * ctx.srcfact


def voltage_branch(x: np.ndarray, v: np.ndarray, jac: np.ndarray,
                   r: np.ndarray | float = 0.0) -> Evaluation:
    """A voltage source with series resistance r (ohm) on unknowns (v_p, v_n, i_branch):
    i[p] = +ibr, i[n] = -ibr, branch row v_p - v_n - r ibr - v = 0; jac (…, 3, 3) its
    constant Jacobian. x (..., N, 3), v broadcastable to (..., N). The returned di is a
    read-only broadcast view of jac (sources are evaluated at every time point; the copy
    cost more than the rest)."""
    shape = x.shape if np.shape(v) == x.shape[:-1] else \
        np.broadcast_shapes(x.shape, (*np.shape(v), 1))
    i = np.empty(shape)
    i[..., 0] = x[..., 2]
    i[..., 1] = -x[..., 2]
    i[..., 2] = x[..., 0] - x[..., 1] - r * x[..., 2] - v
    return Evaluation(i=i, di=np.broadcast_to(jac, (*shape[:-1], 3, 3)))


def branch_excitation(phasor: np.ndarray) -> np.ndarray:
    """(N, 3) complex AC term of a voltage-defined branch: -phasor on the branch row."""
    out = np.zeros((len(phasor), 3), dtype=complex)
    out[:, 2] = -phasor
    return out


# ---------------------------------------------------------------------------- the families


class _SourceGroup(DeviceGroup):
    """Shared machinery of V and I sources: values, AC excitation, breakpoints, sweeps."""

    linear = True
    time_varying = True
    fixed_jacobian = True

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        specs = [self._spec_of(inst) for inst in instances]
        self.index = {name: k for k, name in enumerate(self.names)}
        self.dc_given = np.array([s.dc is not None for s in specs], dtype=bool)
        self.dc = np.array([0.0 if s.dc is None else s.dc for s in specs])
        phase = np.deg2rad([s.ac_phase for s in specs])
        self.ac = np.array([s.ac_mag for s in specs]) * np.exp(1j * phase)  # (N,) complex
        self.bank = WaveformBank([s.waveform for s in specs], constant=self.dc)
        self._update_static()

    @staticmethod
    def _spec_of(inst: Instance) -> SourceSpec:
        spec = inst.params.get("spec")
        if isinstance(spec, SourceSpec):
            return spec
        if spec is None and isinstance(inst.params.get("dc"), (int, float)):
            return SourceSpec(dc=float(inst.params["dc"]))
        raise ElaborationError(f"source '{inst.name}' has no SourceSpec in params['spec']",
                               inst.span, hint="build it with parse_source_spec()")

    def _update_static(self) -> None:
        """Static-analysis values (N,): dc if given, else the waveform at t=0, else 0."""
        self.static = np.where(self.dc_given, self.dc, self.bank.values(0.0))
        self._cache_t: float | None = None
        self._cache_v = self.static

    # ---- values
    def source_values(self, ctx: EvalContext, lead: tuple[int, ...] = ()) -> np.ndarray:
        """Source values (V or A) at ctx, times ctx.srcfact: broadcastable to (*lead, N)."""
        return timed_values(self, ctx, lead, self.static, self.bank.values, self.bank.values_at)

    def bind_transient(self, tstep: float, tstop: float) -> None:
        """Resolve waveform defaults that depend on ``.tran tstep tstop`` (s)."""
        self.bank = self.bank.bind(tstep, tstop)
        self._tstop = float(tstop)
        self._bp_cache = None
        self._update_static()

    _tstop: float = 0.0
    _bp_cache: tuple[float, float, np.ndarray] | None = None
    BP_CACHE_LIMIT = 2_000_000

    def breakpoints(self, t_start: float, t_stop: float) -> np.ndarray:
        """Sorted unique waveform corners in (t_start, t_stop] over all instances (s).

        The corners of the whole run (0, tstop] are computed once (when not too many) and
        windows are sliced from them; other requests are computed directly.
        """
        cache = self._bp_cache
        if cache is None and t_stop <= self._tstop:
            lo = min(0.0, t_start)
            if self.bank.corner_estimate(lo, self._tstop) <= self.BP_CACHE_LIMIT:
                cache = self._bp_cache = (lo, self._tstop, self.bank.breakpoints(lo, self._tstop))
        if cache is not None and cache[0] <= t_start and t_stop <= cache[1]:
            pts = cache[2]
            return pts[np.searchsorted(pts, t_start, "right"): np.searchsorted(pts, t_stop,
                                                                               "right")]
        return self.bank.breakpoints(t_start, t_stop)

    # ---- harmonic balance
    #: local rows and signs of the source term in the residual (set by each family)
    SOURCE_ROWS: tuple[tuple[int, float], ...] = ()

    def spectral_excitation(self) -> SpectralExcitation:
        """The periodic steady state of each source as spectral lines (peak phasors).

        A constant source is a DC line. SIN(vo va freq td theta phase) is a DC line vo and a
        line at freq with phasor va exp(j(phase - 90 deg - 2 pi freq td)) (the steady state of
        a sine that started at td). A PULSE with a period, or a PWL with a repeat (r=), is its
        exact Fourier series (netsim.devices.fourier): DC, the fundamental 1/period and
        SERIES_HARMONICS - 1 higher harmonics marked ``series``. Other waveforms (EXP, SFFM,
        AM, a damped SIN, a single pulse) are not periodic and raise AnalysisError naming the
        source.
        """
        inst, freq, value, series = [], [], [], []
        for k, wave in enumerate(self.bank.waveforms):
            if wave is None:
                inst.append(k)
                freq.append(0.0)
                value.append(self.dc[k])
                series.append(False)
                continue
            if wave.kind in ("pulse", "pwl"):
                period, dc, phasors = self._periodic_series(k, wave)
                count = len(phasors)
                inst += [k] * (count + 1)
                freq += [0.0, *(np.arange(1, count + 1) / period)]
                value += [dc, *phasors]
                series += [False, False] + [True] * (count - 1)
                continue
            if wave.kind != "sin":
                raise AnalysisError(
                    f"source '{self.names[k]}': its {wave.kind.upper()} waveform is not "
                    "periodic",
                    self.instances[k].span,
                    hint="use SIN(vo va freq), a periodic PULSE, a PWL with r=, or an RF port "
                         "(P) for periodic excitation")
            vo, va, f, td, theta, phase = wave.params()
            if theta != 0.0 or f <= 0.0:
                raise AnalysisError(
                    f"source '{self.names[k]}': SIN needs freq > 0 and no damping (theta = 0) "
                    "in harmonic balance", self.instances[k].span,
                    hint="write SIN(vo va freq) with an explicit frequency")
            ph = np.deg2rad(phase) - np.pi / 2 - 2 * np.pi * f * td
            inst += [k, k]
            freq += [0.0, f]
            value += [vo, va * np.exp(1j * ph)]
            series += [False, False]
        rows, signs = zip(*self.SOURCE_ROWS)
        m = len(rows)
        return SpectralExcitation(
            inst=np.repeat(np.array(inst, dtype=np.int64), m),
            row=np.tile(np.array(rows, dtype=np.int64), len(inst)),
            freq=np.repeat(np.array(freq, dtype=float), m),
            value=(np.array(value, dtype=complex)[:, None] * np.array(signs)).ravel(),
            series=np.repeat(np.array(series, dtype=bool), m))

    #: harmonics of a PULSE/PWL series handed to a spectral analysis (it keeps those on its
    #: grid; the rest are reported as truncated)
    SERIES_HARMONICS = 1024

    def _periodic_series(self, k: int, wave) -> tuple[float, float, np.ndarray]:
        """(period s, DC value, peak phasors of harmonics 1..SERIES_HARMONICS) of instance
        k's periodic PULSE or repeating PWL; AnalysisError when it does not repeat."""
        from netsim.devices.fourier import piecewise_linear_series, pulse_period_points

        where = self.instances[k].span
        if wave.kind == "pulse":
            a = wave.args
            per = a[6] if len(a) > 6 else 0.0
            if not per > 0.0 or (len(a) > 7 and a[7] > 0.0) or len(a) < 6:
                raise AnalysisError(
                    f"source '{self.names[k]}': a PULSE in a periodic analysis needs its width "
                    "and period (and no pulse count)", where,
                    hint="write PULSE(v1 v2 td tr tf pw per)")
            v1, v2, td, tr, tf, pw = (float(a[i]) if len(a) > i else 0.0 for i in range(6))
            if tr + pw + tf > per * (1.0 + 1e-12):
                raise AnalysisError(
                    f"source '{self.names[k]}': tr + pw + tf = {tr + pw + tf:g} s is longer "
                    f"than the period {per:g} s", where)
            times, values = pulse_period_points(v1, v2, td, tr, tf, pw, per)
        else:
            t, v, td, ridx = wave.pwl_table()
            if ridx < 0 or not t[-1] > t[ridx]:
                raise AnalysisError(
                    f"source '{self.names[k]}': a PWL in a periodic analysis must repeat",
                    where, hint="add r=<time> (the repeat start) to the PWL")
            per = float(t[-1] - t[ridx])
            times, values = td + t[-1] + (t[ridx:] - t[ridx]), v[ridx:]
        dc, phasors = piecewise_linear_series(times, values, per, self.SERIES_HARMONICS)
        return per, dc, phasors

    # ---- .dc sweeps
    def _k(self, name: str) -> int:
        try:
            return self.index[name.lower()]
        except KeyError:
            hint = did_you_mean(name, self.names)
            raise AnalysisError(f"no {self.family} named '{name}'", hint=hint) from None

    def dc_value(self, name: str) -> float:
        """The named instance's static value (V or A): its DC value, else its waveform at 0."""
        return float(self.static[self._k(name)])

    def dc_value_setter(self, name: str) -> Callable[[float], None] | None:
        """``set(value)`` making the named instance's DC value ``value`` (given from then on),
        or None when the name is not in this group. Restore with ``set(dc_value(name))``."""
        if name.lower() not in self.index:
            return None
        k = self.index[name.lower()]

        def set_value(value: float) -> None:
            self.dc[k] = value
            self.dc_given[k] = True
            self.bank.constant[k] = value
            self.static[k] = value
            self._cache_t = None

        return set_value


@register
class VoltageSource(_SourceGroup):
    """Independent voltage source V: unknowns (v_p, v_n, i_branch).

    The branch current flows into + through the source to -: i[p] = +ibr, i[n] = -ibr, and the
    branch row is v_p - v_n - V(t) = 0. Reported as ``i(name)`` (SPICE sign convention).
    """

    family = "vsource"
    terminals = ("p", "n")
    voltage_defining = True

    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        return (BRANCH,)

    _JAC = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0], [1.0, -1.0, 0.0]])
    SOURCE_ROWS = ((2, -1.0),)

    def pattern(self) -> np.ndarray:
        return self._JAC != 0.0

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        """i (..., N, 3), di (..., N, 3, 3) at x (..., N, 3) (V, V, A)."""
        return voltage_branch(x, self.source_values(ctx, x.shape[:-2]), self._JAC)

    def ac_excitation(self) -> np.ndarray:
        """(N, 3) complex: -mag e^{j phase} on the branch row (V)."""
        return branch_excitation(self.ac)


@register
class CurrentSource(_SourceGroup):
    """Independent current source I: unknowns (v_p, v_n); I(t) flows from n+ through the source
    to n-, so i[p] = +I, i[n] = -I (current leaving each node into the device)."""

    family = "isource"
    terminals = ("p", "n")
    SOURCE_ROWS = ((0, 1.0), (1, -1.0))

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        self.mult = np.array([float(inst.params.get("m", 1.0)) for inst in instances])
        self.ac = self.ac * self.mult  # (N,): m parallel copies (ngspice's m=)

    def pattern(self) -> np.ndarray:
        return np.zeros((2, 2), dtype=bool)

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        """i (..., N, 2), di (..., N, 2, 2) = 0 at x (..., N, 2) (V)."""
        lead = x.shape[:-2]
        v = self.source_values(ctx, lead) * self.mult
        shape = np.broadcast_shapes(x.shape, (*np.shape(v), 1))
        i = np.empty(shape)
        i[..., 0] = v
        i[..., 1] = -v
        return Evaluation(i=i, di=np.zeros((*shape, 2)))

    def spectral_excitation(self) -> SpectralExcitation:
        exc = super().spectral_excitation()
        return dataclasses.replace(exc, value=exc.value * self.mult[exc.inst])

    def ac_excitation(self) -> np.ndarray:
        """(N, 2) complex: +mag e^{j phase} on the + row, - on the - row (A)."""
        return np.stack([self.ac, -self.ac], axis=1)
