"""The elaborated circuit: flat instances with hierarchical names, evaluated parameters, models.

Produced by :mod:`netsim.circuit.elaborate` from the AST; consumed by
:mod:`netsim.circuit.compile`. Nothing here refers back to AST nodes except Spans (for
diagnostics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netsim.errors import Span

GROUND = "0"


@dataclass
class ModelCard:
    """A ``.model`` card after parameter evaluation.

    type is lower-case ('d', 'nmos', 'pmos', 'sw', 'mtj', ...); params are floats keyed by
    lower-case name (``level`` included when given).
    """

    name: str
    type: str
    params: dict[str, float]
    span: Span | None = None

    def get(self, key: str, default: float) -> float:
        return float(self.params.get(key, default))


@dataclass
class Instance:
    """One flat device instance.

    name: hierarchical lower-case name, e.g. 'x1.x2.m3' (the element letter is the first
        character of the last component).
    family: registry key of the device family that evaluates it ('resistor', 'diode', ...).
    nodes: hierarchical node names of the terminals in the family's terminal order; ground is
        '0' (also for 'gnd' and for subcircuit ports tied to ground).
    params: evaluated instance parameters (floats, or structured values such as a source's
        waveform description: see each family's docstring).
    model: the resolved model card, if the family takes one.
    controls: hierarchical names of elements whose branch currents this instance reads
        (F/H controlling source, ``i(vx)`` in a behavioural expression).
    extra: family-specific structured data (e.g. a compiled behavioural expression).
    """

    name: str
    family: str
    nodes: tuple[str, ...]
    params: dict[str, Any]
    span: Span | None = None
    model: ModelCard | None = None
    controls: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class AnalysisRequest:
    """One analysis card: kind in 'op','dc','ac','tran' (later 'hb'); args are evaluated."""

    kind: str
    args: dict[str, Any]
    span: Span | None = None


@dataclass
class Circuit:
    """A flat circuit ready for compilation.

    temp and tnom are in degrees Celsius (SPICE convention; families convert to kelvin).
    ic / nodeset map hierarchical node names to volts. prints lists output quantity names
    (lower case, e.g. 'v(out)', 'i(v1)'); empty means "everything".
    """

    title: str
    instances: list[Instance]
    analyses: list[AnalysisRequest] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    temp: float = 27.0
    tnom: float = 27.0
    ic: dict[str, float] = field(default_factory=dict)
    nodeset: dict[str, float] = field(default_factory=dict)
    prints: dict[str, list[str]] = field(default_factory=dict)  # analysis kind -> names
    plot_x: dict[str, str] = field(default_factory=dict)  # kind -> x quantity (.plot ... vs x)
    warnings: list[Any] = field(default_factory=list)
    file: str = ""
    steps: list[dict[str, float]] = field(default_factory=list)  # .step variants
    source: Any = None  # the parsed netlist (re-elaborated for parameter variants)
