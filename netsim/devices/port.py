"""RF ports (``P`` cards): a Thevenin source defined by its available power.

Netlist form (see :mod:`netsim.circuit.elements` for the card)::

    P1 n+ n- z0=50 freq=2.1g power=-20dbm [phase=0] [dc=0] [ac=<mag> [acphase=<deg>]]
    P2 n+ n- freq=[2.1g 2.3g] power=[-20dbm -25dbm] phase=[0 90]

Model. The open-circuit voltage is

    V_s(t) = dc + sum_k A_k cos(2 pi f_k t + phase_k),    A_k = sqrt(8 z0 P_k)

(phase in degrees, cosine reference), in series with the port impedance z0 (ohms). P_k is the
*available* power of tone k: the power the port delivers into a matched load R = z0 (whose
voltage amplitude is A_k / 2). A port without tones is a plain z0 resistor in series with dc
(a matched termination when dc = 0).

Unknowns (v_p, v_n, i_br). The branch current flows into n+ through the port to n- (SPICE source
convention; a port delivering power reads negative) and is reported as ``i(p1)``:

    i[p] = +i_br,  i[n] = -i_br,  branch row: v_p - v_n - z0 i_br - V_s(t) = 0.

Values per analysis (as :mod:`netsim.devices.sources`): a static analysis (``ctx.t`` None: .op,
.dc, the AC operating point, HB's linear part) sees only ``dc``; transient (``ctx.t`` a time,
including the t = 0 operating point that starts it) sees the sum of tones. Every value is
multiplied by ``ctx.srcfact``, so with srcfact 0 the port is the bare z0 resistor.

Card values. ``power`` takes ``-20dbm`` (dBm: 1e-3 * 10**(dBm/10) W), ``3dbw`` (dBW) or plain
watts with SPICE suffixes (``10u``, ``1mw``, ``{expr}``); any other ``db...`` unit is an error,
and so is a negative value in watts (usually a dBm value written without its unit). Plain
numbers would read ``-20dbm`` as -20 (SPICE ignores unit letters), so the card is read here,
not by :func:`netsim.units.parse_number`. A scalar ``power``/``phase`` applies to every tone.
``z0`` must be > 0 when the port has tones (z0 = 0 is allowed for a dc-only port: an ideal
source) and never negative. ``ac=`` alone (or ``acphase=`` alone, magnitude 1) replaces the
default AC excitation, as on V sources.

AC small-signal excitation (branch row, residual sign): ``-ac e^{j acphase}`` when ``ac=`` is
given, else the Thevenin phasor of the first tone ``-A_1 e^{j phase_1}`` (so .ac at f_1 gives the
linear steady state of the transient), else 0. Harmonic balance gets a DC line ``-dc`` and one
line ``-A_k e^{j phase_k}`` at f_k per tone.

Instances: family 'port', nodes (n+, n-), params (plain values, so a Python builder can make
them directly)::

    z0: float (ohm, default 50)       dc: float (V, default 0)
    freq: tuple of Hz                 power: tuple of W (available power; a scalar applies to
    phase: tuple of degrees                  every tone, as does a scalar phase)
    ac: float (V, optional)           acphase: float (degrees, optional)
"""

from __future__ import annotations

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
from netsim.devices.sources import branch_excitation, timed_values, voltage_branch
from netsim.errors import AnalysisError, ElaborationError, did_you_mean
from netsim.syntax.ast import Atom, Braced, ListValue, Param, Token
from netsim.units import dbm_to_watts

DEFAULT_Z0 = 50.0
PARAM_NAMES = ("z0", "freq", "power", "phase", "dc", "ac", "acphase")
LIST_PARAMS = ("freq", "power", "phase")
_DB = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)([a-z]*db[a-z]*)$")

# ---------------------------------------------------------------------------- the card

EvalAtom = Callable[[Atom, str], float]


def _describe(atom: Atom) -> str:
    if isinstance(atom, Token):
        return f"'{atom.text}'"
    if isinstance(atom, ListValue):
        return "a [list]"
    if isinstance(atom, Braced):
        return "an expression"
    return f"'{atom.name}(...)'"


def _power_watts(atom: Atom, eval_atom: EvalAtom, what: str) -> float:
    """One power value in W: ``-20dbm``, ``3dbw`` or watts (``10u``, ``{p}``)."""
    if isinstance(atom, Token):
        m = _DB.match(atom.text)
        if m is not None:
            number, unit = float(m.group(1)), m.group(2)
            if unit == "dbm":
                return dbm_to_watts(number)
            if unit == "dbw":
                return float(10.0 ** (number / 10.0))
            raise ElaborationError(
                f"unknown power unit '{unit}' in '{atom.text}': expected dbm or dbw",
                atom.span, hint=f"write e.g. power={m.group(1)}dbm (or plain watts: 10u)")
    value = eval_atom(atom, what)
    if not value >= 0.0:
        raise ElaborationError(
            f"power must be >= 0 W, got {value:g}", atom.span,
            hint=f"for dBm write the unit: power={value:g}dbm" if value < 0 else None)
    return value


def parse_port_card(name: str, params: Sequence[Param], eval_atom: EvalAtom,
                    form: str) -> dict:
    """The instance parameters of a ``P`` card from its ``k=v`` params (see the module
    docstring for the result). eval_atom(atom, what) evaluates a number or expression; form
    is the card's syntax for hints.

    Raises ElaborationError located at the offending value: unknown or repeated parameters,
    lists where one value is expected, frequencies <= 0, negative or unit-less dB powers,
    power/phase without freq (and freq without power), list lengths that differ, z0 <= 0 with
    tones (z0 < 0 always).
    """
    given: dict[str, Param] = {}
    for p in params:
        if p.name not in PARAM_NAMES:
            close = did_you_mean(p.name, PARAM_NAMES)
            raise ElaborationError(
                f"unknown parameter '{p.name}' on RF port '{name}'", p.span,
                hint=(close + " " if close else "") + "valid parameters: "
                + ", ".join(sorted(PARAM_NAMES)))
        if p.name in given:
            raise ElaborationError(f"'{p.name}=' is given twice on RF port '{name}'", p.span,
                                   hint="keep one (several tones go in one list: "
                                   "freq=[2.1g 2.3g])")
        if p.name not in LIST_PARAMS and isinstance(p.value, ListValue):
            raise ElaborationError(f"'{p.name}=' takes one value, found a [list]",
                                   p.value.span, hint=f"write it as `{form}`")
        given[p.name] = p

    def items(key: str) -> tuple[Atom, ...]:
        if key not in given:
            return ()
        value = given[key].value
        if not isinstance(value, ListValue):
            return (value,)
        if not value.items:
            raise ElaborationError(f"'{key}=' has an empty list", value.span,
                                   hint="give one value per tone, e.g. freq=[2.1g 2.3g]")
        return value.items

    def number(atom: Atom, what: str) -> float:
        if not isinstance(atom, (Token, Braced)):
            raise ElaborationError(f"expected {what}, found {_describe(atom)}", atom.span,
                                   hint="lists hold numbers or {expressions}")
        return eval_atom(atom, what)

    out: dict = {}
    freq = []
    for atom in items("freq"):
        f = number(atom, "a tone frequency (Hz)")
        if not f > 0.0:
            raise ElaborationError(f"tone frequency must be > 0, got {f:g}", atom.span,
                                   hint="frequencies are in Hz; use dc= for a constant "
                                   "voltage")
        freq.append(f)
    power = [_power_watts(a, lambda a, w: number(a, w), "a tone power (dBm or W)")
             for a in items("power")]
    phase = [number(a, "a tone phase (degrees)") for a in items("phase")]
    n = len(freq)
    if "power" in given and not n:
        raise ElaborationError(f"RF port '{name}' has power= but no freq=", given["power"].span,
                               hint="add the tone frequency, e.g. `freq=2.1g`")
    if "phase" in given and not n:
        raise ElaborationError(f"RF port '{name}' has phase= but no freq=", given["phase"].span,
                               hint="add the tone frequency, e.g. `freq=2.1g`")
    if n and "power" not in given:
        raise ElaborationError(f"RF port '{name}' has freq= but no power=", given["freq"].span,
                               hint="add the available power, e.g. `power=-20dbm`")
    for key, values in (("power", power), ("phase", phase)):
        if len(values) > 1 and len(values) != n:
            what = "frequency" if n == 1 else "frequencies"
            raise ElaborationError(
                f"RF port '{name}' has {n} {what} but {len(values)} {key} values",
                given[key].value.span,
                hint=f"give one {key} per tone, or a single {key} for every tone")
    z0 = DEFAULT_Z0
    if "z0" in given:
        z0 = number(given["z0"].value, "the port impedance z0 (ohms)")
        if z0 < 0.0 or (n and not z0 > 0.0):
            raise ElaborationError(
                f"RF port '{name}' has power= but z0={z0:g}; z0 must be > 0" if n else
                f"z0 must not be negative on RF port '{name}', got {z0:g}",
                given["z0"].value.span, hint="z0 is the port's internal resistance in ohms, "
                "e.g. z0=50")
    out["z0"] = z0
    out["dc"] = number(given["dc"].value, "the DC voltage") if "dc" in given else 0.0
    if n:
        out["freq"] = tuple(freq)
        out["power"] = tuple(power * n if len(power) == 1 else power)
        out["phase"] = tuple(phase * n if len(phase) == 1 else phase) or (0.0,) * n
    for key, what in (("ac", "the AC magnitude (V)"), ("acphase", "the AC phase (degrees)")):
        if key in given:
            out[key] = number(given[key].value, what)
    return out


# ---------------------------------------------------------------------------- the family


@dataclass(frozen=True)
class Tones:
    """The checked settings of one port: z0 (ohm), dc (V), per-tone freq (Hz), power (W),
    phase (degrees), and the AC phasor (V) the port excites in .ac."""

    z0: float
    dc: float
    freq: tuple[float, ...]
    power: tuple[float, ...]
    phase: tuple[float, ...]
    ac: complex

    @property
    def amplitude(self) -> tuple[float, ...]:
        """Thevenin peak amplitudes A_k = sqrt(8 z0 P_k) (V)."""
        return tuple(float(np.sqrt(8.0 * self.z0 * p)) for p in self.power)


def _as_tuple(value) -> tuple[float, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(float(v) for v in np.ravel(value))
    return (float(value),)


def port_tones(inst: Instance) -> Tones:
    """Read and check an instance's parameters (ElaborationError at the card when invalid).

    The netlist handler reports the same problems located at the offending value; this check
    covers instances made in Python.
    """
    p = inst.params
    for key in p:
        if key not in PARAM_NAMES:
            raise ElaborationError(f"RF port '{inst.name}': unknown parameter '{key}'", inst.span,
                                   hint=did_you_mean(key, PARAM_NAMES)
                                   or "valid: " + ", ".join(PARAM_NAMES))

    def fail(msg: str, hint: str) -> None:
        raise ElaborationError(f"RF port '{inst.name}': {msg}", inst.span, hint=hint)

    z0 = float(p.get("z0", DEFAULT_Z0))
    dc = float(p.get("dc", 0.0))
    freq, power, phase = (_as_tuple(p.get(k)) for k in ("freq", "power", "phase"))
    n = len(freq)
    if power and not freq:
        fail("power is given but no frequency", "add freq=<Hz> for each tone")
    if freq and not power:
        fail("a frequency is given but no power", "add power=<dBm or W> for each tone")
    if phase and not freq:
        fail("phase is given but no frequency", "add freq=<Hz> or remove phase")
    power = power * n if len(power) == 1 else power
    phase = (phase * n if len(phase) == 1 else phase) or (0.0,) * n
    if len(power) != n or len(phase) != n:
        fail(f"{n} frequencies but {len(power)} powers and {len(phase)} phases",
             "give one power and phase per tone, or one value for all")
    if any(not f > 0.0 for f in freq):
        fail("tone frequencies must be > 0", "use dc= for a constant voltage")
    if any(not w >= 0.0 for w in power):
        fail("tone powers must be >= 0 W", "write dBm with its unit: power=-20dbm")
    if z0 < 0.0 or (n and not z0 > 0.0):
        fail(f"z0 must be > 0, got {z0:g}", "z0 is the port's internal resistance in ohms")
    amp = np.sqrt(8.0 * z0 * np.array(power))
    if "ac" in p or "acphase" in p:
        ac = float(p.get("ac", 1.0)) * np.exp(1j * np.deg2rad(float(p.get("acphase", 0.0))))
    elif n:
        ac = amp[0] * np.exp(1j * np.deg2rad(phase[0]))
    else:
        ac = 0.0
    return Tones(z0, dc, freq, power, phase, complex(ac))


@register
class Port(DeviceGroup):
    """RF port P: Thevenin source dc + sum_k A_k cos(2 pi f_k t + phase_k) behind z0.

    Unknowns (v_p, v_n, i_br) (V, V, A); see the module docstring for the equations.
    Instances with different tone counts share a group: tones are padded with zero amplitude.
    """

    family = "port"
    terminals = ("p", "n")
    linear = True
    time_varying = True
    fixed_jacobian = True

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        super().__init__(instances, temp, tnom)
        self.tones = [port_tones(inst) for inst in instances]
        self.index = {name: k for k, name in enumerate(self.names)}
        k_max = max((len(s.freq) for s in self.tones), default=0)
        self.n_tones = np.array([len(s.freq) for s in self.tones], dtype=np.int64)
        self.z0 = np.array([s.z0 for s in self.tones])
        self.dc = np.array([s.dc for s in self.tones])
        self.freq = np.zeros((self.n, k_max))  # (N, K) Hz, padding 0
        self.amp = np.zeros((self.n, k_max))  # (N, K) V peak, padding 0
        self.phase = np.zeros((self.n, k_max))  # (N, K) rad
        for k, s in enumerate(self.tones):
            m = len(s.freq)
            self.freq[k, :m] = s.freq
            self.amp[k, :m] = s.amplitude
            self.phase[k, :m] = np.deg2rad(s.phase)
        self.ac = np.array([s.ac for s in self.tones], dtype=complex)
        jac = np.zeros((self.n, 3, 3))
        jac[:, 0, 2], jac[:, 1, 2] = 1.0, -1.0
        jac[:, 2, 0], jac[:, 2, 1] = 1.0, -1.0
        jac[:, 2, 2] = -self.z0
        self._jac = jac
        self._cache_t: float | None = None
        self._cache_v = self.dc

    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        return (BRANCH,)

    def pattern(self) -> np.ndarray:
        return np.array([[0, 0, 1], [0, 0, 1], [1, 1, 1]], dtype=bool)

    # ---- values
    def _waveform(self, t: np.ndarray) -> np.ndarray:
        """Open-circuit voltage (V) at t broadcastable to (..., N), without srcfact."""
        t = np.asarray(t, dtype=float)[..., None]
        cycles = np.mod(self.freq * t, 1.0)  # reduce before 2 pi: exact phase at long times
        return self.dc + np.sum(self.amp * np.cos(2.0 * np.pi * cycles + self.phase), axis=-1)

    def source_values(self, ctx: EvalContext, lead: tuple[int, ...] = ()) -> np.ndarray:
        """V_s (V) times ctx.srcfact, broadcastable to (*lead, N) (None: dc only)."""
        return timed_values(self, ctx, lead, self.dc, self._waveform, self._waveform)

    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        """i (..., N, 3), di (..., N, 3, 3) at x (..., N, 3) (V, V, A)."""
        return voltage_branch(x, self.source_values(ctx, x.shape[:-2]), self._jac, self.z0)

    # ---- small signal and harmonic balance
    def ac_excitation(self) -> np.ndarray:
        """(N, 3) complex: -(AC phasor) on the branch row (V)."""
        return branch_excitation(self.ac)

    def spectral_excitation(self) -> SpectralExcitation:
        """A DC line -dc and a line -A_k e^{j phase_k} at f_k per tone, on the branch row."""
        inst, freq, value = [], [], []
        for k in range(self.n):
            m = int(self.n_tones[k])
            inst += [k] * (m + 1)
            freq += [0.0, *self.freq[k, :m]]
            value += [-self.dc[k], *(-self.amp[k, :m] * np.exp(1j * self.phase[k, :m]))]
        return SpectralExcitation(
            inst=np.array(inst, dtype=np.int64),
            row=np.full(len(inst), 2, dtype=np.int64),
            freq=np.array(freq, dtype=float),
            value=np.array(value, dtype=complex))

    # ---- .dc sweeps of the port's dc value
    def _k(self, name: str) -> int:
        try:
            return self.index[name.lower()]
        except KeyError:
            raise AnalysisError(f"no RF port named '{name}'",
                                hint=did_you_mean(name, self.names)) from None

    def dc_value(self, name: str) -> float:
        """The named port's dc value (V)."""
        return float(self.dc[self._k(name)])

    def dc_value_setter(self, name: str) -> Callable[[float], None] | None:
        """``set(value)`` changing the named port's dc (V), or None when not in this group."""
        if name.lower() not in self.index:
            return None
        k = self.index[name.lower()]

        def set_value(value: float) -> None:
            self.dc[k] = value
            self._cache_t = None

        return set_value
