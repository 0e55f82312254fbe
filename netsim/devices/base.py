"""The device interface: one vectorised code path per device family, used by every analysis.

A *family* (subclass of :class:`DeviceGroup`) evaluates a whole group of N instances at once.
Each instance of a group sees U local unknowns, in this order:

1. its terminal node voltages (``terminals``; V),
2. the branch currents of the elements it reads (``Instance.controls``; A),
3. its own internal unknowns (``internal_unknowns``): internal nodes (kind 'v', V), its own
   branch current (named 'branch', kind 'i', A: reported as ``i(name)``), or internal states
   (kind 's', e.g. a memristor's x).

``evaluate(x, ctx)`` gets x of shape (..., N, U) and returns an :class:`Evaluation` with

- ``i``  (..., N, U): for a terminal row, the current leaving the node into the device (A); for a
  branch or state row, the residual of its equation in the form ``d/dt q + i = 0``;
- ``q``  (..., N, U): charges (C) on terminal rows, fluxes or state "mass" on other rows;
- ``di``, ``dq`` (..., N, U, U): their Jacobians d i[r] / d x[c] (row r, column c).

Leading ``...`` axes are batch axes (HB time samples, Monte-Carlo variants). Devices never see
the analysis: DC uses i and di; transient i + d/dt q; AC di + jw dq.

ngspice-compatible capacitance-defined charges (Meyer gate capacitances) are not functions of
the present voltages alone: ngspice integrates them incrementally,
``q_n = q_{n-1} + C_avg (v_n - v_{n-1})`` with ``C_avg = (C(v_n) + C(v_{n-1})) / 2``.
A family reproduces that by returning ``c_incr`` (..., N, U, U): the transient engine then adds
that incremental charge to ``q`` and ``C_avg`` to ``dq``; AC adds ``c_incr`` to ``dq``.

Junction voltage limiting (SPICE pnjlim/fetlim): a family may implement
``limit(x_new, x_old) -> x_lim``. Newton then evaluates at ``x_lim`` and linearly extrapolates
to the true x (``i(x_lim) + di(x_lim) (x - x_lim)``), exactly SPICE's companion model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from netsim.circuit.circuit import Instance


@dataclass
class EvalContext:
    """What a device may know about the moment it is evaluated.

    t: time in s (scalar, or an array broadcasting against the batch axes, e.g. (K, 1) for HB),
       or None for a static analysis (.op, .dc, the AC operating point): sources then use their
       DC value when one was given, else their waveform at t = 0 (as ngspice does). The
       operating point that starts a transient passes t = 0.0 (waveform at 0, as ngspice).
    srcfact: source-stepping factor in [0, 1] that independent sources multiply their value by.
    gmin: conductance (S) that SPICE puts across every pn junction (raised by gmin stepping).
    """

    t: float | np.ndarray | None = None
    srcfact: float = 1.0
    gmin: float = 1e-12


@dataclass
class Evaluation:
    """Result of :meth:`DeviceGroup.evaluate`; ``q``/``dq``/``c_incr`` are None when absent.

    unsettled: the family replaced values it could not compute at x (outside an expression's
    domain, e.g. log(0) at a zero starting point); Newton takes the step but does not
    converge on such a load, as on a junction-limited one."""

    i: np.ndarray
    di: np.ndarray
    q: np.ndarray | None = None
    dq: np.ndarray | None = None
    c_incr: np.ndarray | None = None
    unsettled: bool = False


@dataclass
class Load:
    """Result of :meth:`DeviceGroup.load`: one Newton load of a group at x (N, U), arrays
    (N, U) and (N, U, U) as in :class:`Evaluation`.

    x_eval: the (junction-limited) point the group was evaluated at; limited: x_eval is not x.
    i, q: extrapolated linearly from x_eval to x; di, dq: at x_eval, dq with the Meyer average
    capacitance added (transient) or the capacitance itself (AC); q and dq are None when the
    load has no charges. q_inc, c_incr: the
    incremental Meyer charge and the capacitance at x_eval, for the transient history (None
    when the family has none or no history was given)."""

    x_eval: np.ndarray
    limited: bool
    i: np.ndarray
    di: np.ndarray
    q: np.ndarray | None
    dq: np.ndarray | None
    q_inc: np.ndarray | None = None
    c_incr: np.ndarray | None = None


@dataclass(frozen=True)
class UnknownSpec:
    """An internal unknown of an instance: name ('branch' = the element's branch current) and
    kind: 'v' (node voltage, V), 'i' (current, A) or 's' (dimensionless state).

    held: the state keeps its initial value in every DC solve (.op, .dc, the transient's
    operating point) instead of solving its equation f = 0 (hysteretic memristor and MTJ
    states); ``initial`` is that value, also the start of a ``uic`` transient.
    """

    name: str
    kind: str
    held: bool = False
    initial: float = 0.0


BRANCH = UnknownSpec("branch", "i")


@dataclass
class SpectralExcitation:
    """Periodic source terms of a group, for harmonic balance and weak-RF analyses.

    Entry k adds the peak phasor ``value[k]`` (residual convention, as ``i``: a V source's
    branch row gets -V, an I source's + row +I) to local row ``row[k]`` of instance
    ``inst[k]`` at frequency ``freq[k]`` (Hz; 0 is the DC term, whose value is real), so that
    the source term in time is ``Re sum_k value[k] exp(j 2 pi freq[k] t)``.
    ``series[k]`` marks a harmonic of a non-sinusoidal periodic waveform (PULSE, repeating
    PWL) above its fundamental: an analysis may drop it when its frequency is beyond its grid
    (the series is infinite), where any other line must be represented.
    Shapes: all (L,).
    """

    inst: np.ndarray
    row: np.ndarray
    freq: np.ndarray
    value: np.ndarray
    series: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.series is None:
            self.series = np.zeros(len(self.freq), dtype=bool)

    @staticmethod
    def concatenate(parts: list[SpectralExcitation]) -> SpectralExcitation:
        return SpectralExcitation(*(np.concatenate([getattr(p, f) for p in parts])
                                    for f in ("inst", "row", "freq", "value", "series")))


class DeviceGroup:
    """Base class of all device families (subclasses register with ``@register``).

    Class attributes a family sets:

    family: registry key (e.g. 'resistor').
    terminals: terminal names in netlist order (e.g. ('d', 'g', 's', 'b')).
    linear: True when i and q are linear in x and constant in time (stamped once).
    time_varying: True when evaluate depends on ctx.t (independent sources).
    current_test: SPICE's device convergence test applies (DIOconvTest, MOS1convTest): Newton
        converges only when the terminal currents, extrapolated along di by the last step,
        change by at most reltol * max(|i|, |i_new|) + abstol (junction devices).
    fixed_jacobian: di and dq never change, whatever x, t or the context (independent sources):
        the assembler then stamps a time-varying linear group's Jacobian once instead of
        comparing it at every time point.
    compact: True for families instantiated as ``N<name> nodes <model>`` where the .model type
        equals ``family`` (memristors, MTJs, spin diodes, oscillators).
    hold_in_periodic: held states also keep their DC line in harmonic balance (hysteretic
        states: the periodic steady state is the one around the present state). False for
        states held only to seed a transient (an oscillator's start-up amplitude).
    """

    family: ClassVar[str] = ""
    terminals: ClassVar[tuple[str, ...]] = ()
    linear: ClassVar[bool] = False
    time_varying: ClassVar[bool] = False
    fixed_jacobian: ClassVar[bool] = False
    current_test: ClassVar[bool] = False
    compact: ClassVar[bool] = False
    hold_in_periodic: ClassVar[bool] = True
    # each instance ties its first two terminals by an ideal voltage (V, E, H, B with V=)
    voltage_defining: bool = False

    def __init__(self, instances: list[Instance], temp: float, tnom: float) -> None:
        """Build parameter arrays (shape (N,)) from the instances.

        temp, tnom: circuit temperature and nominal temperature in degrees Celsius.
        Raise ElaborationError (with the instance's span) on invalid parameters.
        """
        self.instances = instances
        self.names = [inst.name for inst in instances]
        self.n = len(instances)

    # ---- structure (class-level decisions per instance, used by compile to form groups)
    @classmethod
    def internal_unknowns(cls, inst: Instance) -> tuple[UnknownSpec, ...]:
        """The internal unknowns this instance needs (default: none)."""
        return ()

    @classmethod
    def group_key(cls, inst: Instance) -> Any:
        """Instances with equal keys share one group (same U and pattern). Default: structure
        (terminal and control counts, internal unknown names/kinds; not initial values)."""
        specs = tuple((s.name, s.kind, s.held) for s in cls.internal_unknowns(inst))
        return (len(inst.nodes), len(inst.controls), specs)

    def pattern(self) -> np.ndarray:
        """(U, U) bool: which Jacobian entries (of di, dq or c_incr) can be non-zero.

        Default: all of them. Families should narrow it (it sets the sparsity pattern).
        """
        u = self.n_unknowns
        return np.ones((u, u), dtype=bool)

    @property
    def n_unknowns(self) -> int:
        inst = self.instances[0]
        return len(inst.nodes) + len(inst.controls) + len(self.internal_unknowns(inst))

    # ---- numerics
    def evaluate(self, x: np.ndarray, ctx: EvalContext) -> Evaluation:
        """Currents, charges and Jacobians at local unknowns x (..., N, U)."""
        raise NotImplementedError

    def limit(self, x_new: np.ndarray, x_old: np.ndarray) -> np.ndarray | None:
        """Junction-limited version of x_new (..., N, U) given the previous iterate, or None."""
        return None

    def load(self, x: np.ndarray, old: np.ndarray | None, ctx: EvalContext,
             history: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
             meyer: int) -> Load | None:
        """Optional fused Newton load: limiting against ``old``, evaluate, the linear
        extrapolation and the Meyer charge treatment of ``meyer`` (0 none, 1 integrate from
        ``history`` = (x_prev, q_prev, c_prev), 2 add the capacitance to dq) in one call; it
        must equal what the assembler computes from :meth:`limit` and :meth:`evaluate`. x is
        (N, U), unbatched. None (the default): the assembler does those steps itself."""
        return None

    def bind_transient(self, tstep: float, tstop: float) -> None:
        """Called before a transient: resolve defaults that depend on tstep/tstop (s), as
        SPICE's waveforms do. Default: nothing."""

    def start(self, rng: np.random.Generator) -> None:
        """Called when a transient starts, with the analysis' seeded generator (stochastic
        devices draw their first random numbers here). Default: nothing."""

    def accept(self, x: np.ndarray, t: float, rng: np.random.Generator) -> bool:
        """Called after every accepted transient time point with the local unknowns x (N, U).

        A stochastic device may update discrete internal state here (e.g. draw a new switching
        threshold after a switching event) using ``rng``. Return True when the device changed
        its equations discontinuously: the time-step control then restarts as after a source
        corner (backward Euler, small step). Default: nothing, False.
        """
        return False

    def initial_point(self, x: np.ndarray) -> np.ndarray | None:
        """Local unknowns (..., N, U) at which to evaluate the device in the first Newton
        iteration of an operating point (SPICE's MODEINITJCT: junctions at their critical
        voltage, MOSFETs at vgs = vto, vds = 0, vbs = -1), or None for x itself."""
        return None

    def breakpoints(self, t_start: float, t_stop: float) -> np.ndarray:
        """Times in (t_start, t_stop] where the device's inputs have corners (sources)."""
        return np.empty(0)

    def dc_value_setter(self, name: str):
        """For sweepable families (V, I, R): a function ``set(value)`` changing the named
        instance's DC value in place, or None when not sweepable."""
        return None

    def dc_value(self, name: str) -> float:
        """Present DC value of a sweepable instance (restored after a .dc sweep)."""
        raise NotImplementedError(f"{self.family} instances cannot be swept")

    def ac_excitation(self) -> np.ndarray | None:
        """(N, U) complex: the AC small-signal source term added to i (sources only)."""
        return None

    def spectral_excitation(self) -> SpectralExcitation | None:
        """Periodic source terms for harmonic balance (families with ``time_varying``).

        A family that returns them must make ``evaluate`` with ``ctx.srcfact == 0`` (and
        ``ctx.t`` None) give its response without them: HB and the weak-RF analysis evaluate
        the group that way and add these terms on the frequency grid. A time-varying family
        that returns None cannot take part in those analyses (they stop with an error).
        """
        return None


REGISTRY: dict[str, type[DeviceGroup]] = {}


def register(cls: type[DeviceGroup]) -> type[DeviceGroup]:
    """Class decorator adding a family to the registry under ``cls.family``."""
    if not cls.family:
        raise ValueError(f"{cls.__name__} has no family name")
    REGISTRY[cls.family] = cls
    return cls


def compact_params(inst: Instance, family: str,
                   known: dict[str, float | None]) -> dict[str, float]:
    """Model-card parameters overridden by the instance's ``k=v`` values, over ``known``'s
    defaults (a default of None: absent unless given). ``level`` is skipped unless known.

    Raises ElaborationError (at the card) for a parameter the family does not know.
    """
    from netsim.errors import ElaborationError

    out = {k: v for k, v in known.items() if v is not None}
    sources = [(inst.model.params if inst.model is not None else {}, inst.model),
               (inst.params, None)]
    for params, card in sources:
        for key, value in params.items():
            name = key.lower()
            if name == "level" and name not in known:
                continue
            if name not in known:
                where = f"model '{card.name}'" if card is not None else f"'{inst.name}'"
                span = (card.span if card is not None else None) or inst.span
                raise ElaborationError(
                    f"{family} {where}: parameter '{key}' is not supported", span,
                    hint="supported: " + " ".join(sorted(known)))
            out[name] = float(value)
    return out


def kelvin(celsius: float) -> float:
    """Degrees Celsius to kelvin (SPICE's CONSTCtoK = 273.15)."""
    return celsius + 273.15


# Physical constants exactly as ngspice uses them (src/include/ngspice/const.h).
CHARGE = 1.6021766208e-19  # C
BOLTZMANN = 1.38064852e-23  # J/K
EPS0 = 8.854187817e-12  # F/m
EPS_SI = 11.7 * EPS0  # F/m  (ngspice uses 11.7 for silicon)
EPS_OX = 3.9 * EPS0  # F/m
