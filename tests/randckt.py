"""Hypothesis strategies for random, well-posed SPICE netlists (R C L V I E G D M).

The generated circuits are meant to be solved by two simulators and compared, so they must have
exactly one operating point that both can find. Well-posedness is built in, not filtered:

* **Stages.** Nodes are split into 1-3 stages. Each stage is its own resistive network to ground;
  stages couple only through controlled sources (E, G) and MOSFET gates that *sense* nodes of
  earlier stages. Hence there is no feedback: each stage sees its controlling voltages as fixed.
* **DC path.** Every regular node gets a spanning-tree resistor to an earlier node of its stage or
  to ground, so no node floats and no capacitor/current-source cut-set exists (current sources,
  G outputs and capacitors are always in parallel with that resistive tree).
* **No V/L/E loops.** Voltage sources, inductors and E outputs are only placed on node pairs that
  a union-find over such elements (ground included) still sees as disconnected.
* **Bounded nonlinear currents.** Each diode and each MOSFET channel hangs on its own
  "protected" node: reached only through a series resistor of at least 1 kOhm and never touched
  by a V, L or E, so no junction can be forward biased by a stiff source.
* **Reverse-biased MOSFET bulks.** A MOSFET's other channel terminal and its return resistor sit
  on two "rails" ``top`` > ``other``, nodes whose DC difference is fixed by V sources and
  inductors (e.g. the stage supply over ground). NMOS: drain on the protected node fed from
  ``top``, source and bulk on ``other``; or, for the body effect, a source follower (drain on
  ``top``, source on the protected node loaded down to ``other``, bulk on ``other``). PMOS:
  source and bulk on ``top``, drain on the protected node loaded down to ``other``. No current
  source or G output touches a protected MOSFET node, so (maximum principle) its voltage stays
  between ``other`` and ``top`` at every operating and sweep point: no bulk junction is forward
  biased, and an NMOS (PMOS) never runs with its drain below (above) its source.
* Within one stage the Jacobian is a column-diagonally-dominant matrix with non-positive
  off-diagonals (resistors, diodes, MOSFET channels with fixed gates) with voltage-source
  constraints merged in, so the operating point is unique.

Values: R 100..100k (series resistors >= 1k), C 1p..1n, L 1n..1u, V -5..5, |I| <= 1 mA and small
enough to keep its tree voltage drop under ~5 V, |E gain| <= 2, G transconductance likewise
bounded by the tree resistance. Numbers are printed in assorted SPICE spellings (``4.7k``,
``4700``, ``4.7e3``, ``1.5M`` = milli, ``2.2Meg``, ``10pF``), names and nodes in assorted case.

Every netlist has ``.op``; some add ``.dc`` (sweep of a stage-0 source), ``.ac`` (one source gets
an AC magnitude/phase) and, for linear circuits (or when asked for), a short ``.tran`` with a
PULSE source.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from hypothesis import strategies as st

__all__ = ["RandomCircuit", "circuits", "spice_number", "linear_modes", "MODEL_CARDS"]

_E6 = (1.0, 1.5, 2.2, 3.3, 4.7, 6.8)


def _decades(lo_exp: int, hi_exp: int) -> tuple[float, ...]:
    """E6 values from 10**lo_exp up to and including 10**hi_exp."""
    vals = [float(f"{m}e{d}") for d in range(lo_exp, hi_exp) for m in _E6]
    vals.append(float(f"1e{hi_exp}"))
    return tuple(vals)


R_VALUES = _decades(2, 5)  # 100 .. 100k
RSER_VALUES = _decades(3, 5)  # 1k .. 100k, in series with diodes and MOSFET drains
C_VALUES = _decades(-12, -9)  # 1p .. 1n
L_VALUES = _decades(-9, -6)  # 1n .. 1u
V_VALUES = tuple(k / 4 for k in range(-20, 21))  # -5 .. 5 in 0.25 steps
BIASED_V_VALUES = tuple(v for v in V_VALUES if v > 0) * 2 + V_VALUES  # mostly positive
E_GAINS = (-2.0, -1.0, -0.5, -0.25, 0.25, 0.5, 0.8, 1.0, 1.5, 2.0)
FRACTIONS = (0.1, 0.2, 0.5, 1.0)
I_MAX = 1e-3
DROP_MAX = 5.0  # volts a current source may drop over its tree resistance
W_VALUES = (1e-6, 2e-6, 5e-6, 10e-6, 20e-6)
L_CH_VALUES = (0.5e-6, 1e-6, 2e-6)
SUPPLY_VALUES = (1.5, 2.5, 3.3, 5.0)
MAX_CYCLES = 3.0  # .tran: at most this many periods of any lively oscillatory mode

MODEL_CARDS: dict[str, str] = {
    "dmod1": ".model dmod1 d(is=1e-14 n=1 rs=10)",
    "dmod2": ".model dmod2 d(is=5e-15 n=1.3 rs=25 cjo=2p vj=0.7 m=0.4 tt=1n)",
    "dbrk": ".model dbrk d(is=1e-13 n=1.1 rs=5 bv=4 ibv=1u cjo=1p)",
    "nch1": ".model nch1 nmos(level=1 vto=0.7 kp=110u lambda=0.04)",
    "nch2": (
        ".model nch2 nmos(level=1 vto=0.5 kp=60u gamma=0.45 phi=0.7 lambda=0.02"
        " cgso=0.3n cgdo=0.3n cbd=5f cbs=5f)"
    ),
    "pch1": ".model pch1 pmos(level=1 vto=-0.7 kp=40u lambda=0.05)",
    "pch2": (
        ".model pch2 pmos(level=1 vto=-0.9 kp=25u gamma=0.5 phi=0.65 lambda=0.01"
        " cgso=0.3n cgdo=0.3n)"
    ),
}
DIODE_MODELS = ("dmod1", "dmod2", "dbrk")
NMOS_MODELS = ("nch1", "nch2")
PMOS_MODELS = ("pch1", "pch2")

_SUFFIXES = (
    (1e9, ("g", "G")),
    (1e6, ("meg", "Meg", "MEG")),
    (1e3, ("k", "K")),
    (1.0, ("",)),
    (1e-3, ("m", "M")),  # SPICE: M is milli
    (1e-6, ("u", "U")),
    (1e-9, ("n", "N")),
    (1e-12, ("p", "P")),
    (1e-15, ("f", "F")),
)
_WORDS = ("in", "out", "mid", "a", "b", "x", "bias", "fb", "tap", "top", "bot", "s")


def spice_number(value: float, style: str = "eng", variant: int = 0, unit: str = "") -> str:
    """Format ``value`` as a SPICE number.

    ``style``: ``eng`` (scale suffix, e.g. ``4.7k``), ``sci`` (``4.7e3``) or ``plain``
    (``4700``, ``0.0047``). ``variant`` picks among the case spellings of a suffix (``M``/``m``
    both mean milli). ``unit`` (``F``, ``H``, ``V``, ``A``) is appended after a suffix only.
    """
    if value == 0:
        return "0"
    if style == "sci":
        return f"{value:.5e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")
    if style == "plain":
        text = f"{value:.12f}".rstrip("0").rstrip(".")
        return text if float(text) == float(f"{value:.6g}") else f"{value:.6g}"
    mag = abs(value)
    scale, spellings = next(
        ((sc, sp) for sc, sp in _SUFFIXES if mag >= sc * (1 - 1e-9)), _SUFFIXES[-1]
    )
    mant = f"{value / scale:.5g}"
    suffix = spellings[variant % len(spellings)]
    return f"{mant}{suffix}{unit if suffix else ''}"


class _UnionFind:
    """Union-find over node names, used for the V/L/E connectivity."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


@dataclass(frozen=True)
class RandomCircuit:
    """A generated netlist with the facts a test needs about it."""

    netlist: str
    nodes: tuple[str, ...]  # lower-case node names, ground excluded
    branches: tuple[str, ...]  # lower-case names of V, E and L (their currents are unknowns)
    element_counts: dict[str, int]
    analyses: tuple[str, ...]  # kinds in netlist order
    linear: bool
    stages: int
    swept: str | None = None  # source swept by .dc
    ac_source: str | None = None
    pulse_source: str | None = None
    modes: tuple[complex, ...] = ()  # natural frequencies (1/s) of a linear circuit
    notes: dict[str, str] = field(default_factory=dict)


class _Builder:
    """Accumulates cards while keeping the bookkeeping that guarantees well-posedness."""

    def __init__(self, draw: st.DrawFn, num_style: str, upper: int) -> None:
        self.draw = draw
        self.num_style = num_style
        self.upper = upper  # 0 lower, 1 upper, 2 alternate
        self.cards: list[str] = []
        self.uf = _UnionFind()
        self.rpath: dict[str, float] = {"0": 0.0}
        self.counts: Counter[str] = Counter()
        self.branches: list[str] = []
        self.models: set[str] = set()
        self.r_values: list[float] = []
        self.c_values: list[float] = []
        self.l_values: list[float] = []
        self.sources: list[tuple[int, str, float]] = []  # (card index, name, dc) of stage-0 V
        self.elements: list[tuple[str, tuple[str, ...], float]] = []  # linear ones, for modes
        self._fmt_counter = 0

    # -- formatting ---------------------------------------------------------------------
    def num(self, value: float, unit: str = "") -> str:
        self._fmt_counter += 1
        style = self.num_style
        if style == "mixed":
            style = ("eng", "sci", "plain", "eng")[self._fmt_counter % 4]
        return spice_number(value, style, self._fmt_counter, unit)

    def name(self, letter: str) -> str:
        self.counts[letter] += 1
        n = self.counts[letter]
        up = self.upper == 1 or (self.upper == 2 and n % 2 == 1)
        return (letter.upper() if up else letter.lower()) + str(n)

    # -- elements -----------------------------------------------------------------------
    def resistor(self, a: str, b: str, value: float) -> str:
        name = self.name("r")
        self.r_values.append(value)
        self.elements.append(("r", (a, b), value))
        self.cards.append(f"{name} {a} {b} {self.num(value)}")
        return name

    def capacitor(self, a: str, b: str, value: float) -> None:
        self.c_values.append(value)
        self.elements.append(("c", (a, b), value))
        unit = "F" if self.draw(st.booleans()) else ""
        self.cards.append(f"{self.name('c')} {a} {b} {self.num(value, unit)}")

    def inductor(self, a: str, b: str, value: float) -> None:
        name = self.name("l")
        self.l_values.append(value)
        self.elements.append(("l", (a, b), value))
        self.uf.union(a, b)
        self.branches.append(name.lower())
        self.cards.append(f"{name} {a} {b} {self.num(value, 'H')}")

    def vsource(self, a: str, b: str, value: float, stage: int) -> str:
        name = self.name("v")
        self.elements.append(("v", (a, b), value))
        self.uf.union(a, b)
        self.branches.append(name.lower())
        self.cards.append(f"{name} {a} {b} DC {self.num(value, 'V')}")
        if stage == 0:
            self.sources.append((len(self.cards) - 1, name, value))
        return name

    def isource(self, a: str, b: str, value: float) -> None:
        self.cards.append(f"{self.name('i')} {a} {b} DC {self.num(value, 'A')}")

    def vcvs(self, a: str, b: str, c: str, d: str, gain: float) -> None:
        name = self.name("e")
        self.elements.append(("e", (a, b, c, d), gain))
        self.uf.union(a, b)
        self.branches.append(name.lower())
        self.cards.append(f"{name} {a} {b} {c} {d} {self.num(gain)}")

    def vccs(self, a: str, b: str, c: str, d: str, gm: float) -> None:
        self.elements.append(("g", (a, b, c, d), gm))
        self.cards.append(f"{self.name('g')} {a} {b} {c} {d} {self.num(gm)}")

    def diode(self, anode: str, cathode: str, model: str, area: float | None) -> None:
        self.models.add(model)
        tail = f" area={area:g}" if area else ""
        self.cards.append(f"{self.name('d')} {anode} {cathode} {model}{tail}")

    def mosfet(self, d: str, g: str, s: str, b: str, model: str, w: float, ln: float) -> None:
        self.models.add(model)
        wk, lk = ("W", "L") if self.upper else ("w", "l")
        self.cards.append(
            f"{self.name('m')} {d} {g} {s} {b} {model} "
            f"{wk}={spice_number(w, 'eng')} {lk}={spice_number(ln, 'eng')}"
        )


def _node_names(draw: st.DrawFn, n: int) -> list[str]:
    style = draw(st.sampled_from(("num", "n", "upper", "word")))
    if style == "num":
        return [str(k + 1) for k in range(n)]
    if style == "n":
        return [f"n{k + 1}" for k in range(n)]
    if style == "upper":
        return [f"N{k + 1}" for k in range(n)]
    return [
        f"{_WORDS[k % len(_WORDS)]}{k + 1}" if k % 3 else f"{_WORDS[k % 12].upper()}{k + 1}"
        for k in range(n)
    ]


def _pick(draw: st.DrawFn, options: list, weighted_first: int = 0):
    """Draw one of ``options``; the first one repeated ``weighted_first`` extra times."""
    pool = [options[0]] * weighted_first + list(options)
    return draw(st.sampled_from(pool))


@st.composite
def circuits(
    draw: st.DrawFn,
    min_nodes: int = 2,
    max_nodes: int = 12,
    nonlinear: bool | None = None,
    want: tuple[str, ...] | None = None,
) -> RandomCircuit:
    """Strategy for a random well-posed circuit (see the module docstring).

    ``nonlinear``: force diodes/MOSFETs allowed (True) or excluded (False); None draws it.
    ``want``: analyses to include besides ``.op`` (``dc``, ``ac``, ``tran``); None draws them
    (``tran`` only for linear circuits; asked for, also for nonlinear ones: its stop time then
    follows the linear elements' modes).
    """
    n_total = draw(st.integers(min_nodes, max_nodes))
    is_nonlinear = draw(st.booleans()) if nonlinear is None else nonlinear
    names = _node_names(draw, n_total)
    b = _Builder(
        draw,
        num_style=draw(st.sampled_from(("eng", "mixed", "sci", "plain"))),
        upper=draw(st.integers(0, 2)),
    )

    # ---- stages --------------------------------------------------------------------------
    max_stages = 1 if n_total < 3 else min(3, n_total // 2)
    n_stages = draw(st.integers(1, max_stages))
    sizes: list[int] = []
    remaining = n_total
    for s in range(n_stages - 1):
        left = n_stages - 1 - s
        sizes.append(draw(st.integers(1, remaining - left)))
        remaining -= sizes[-1]
    sizes.append(remaining)

    earlier: list[str] = []  # nodes of previous stages (sensing candidates)
    pos = 0
    for stage, size in enumerate(sizes):
        stage_nodes = names[pos : pos + size]
        pos += size
        n_prot = draw(st.integers(0, size - 1)) if is_nonlinear and size > 1 else 0
        regular = stage_nodes[: size - n_prot]
        protected = stage_nodes[size - n_prot :]

        # spanning tree of resistors to ground
        placed: list[str] = []
        for node in regular:
            parent = "0" if not placed else _pick(draw, ["0", *placed])
            r = draw(st.sampled_from(R_VALUES))
            b.resistor(node, parent, r)
            b.rpath[node] = b.rpath[parent] + r
            placed.append(node)
        gnd_reg = ["0", *regular]

        def free_pairs(pool: list[str]) -> list[tuple[str, str]]:
            return [
                (x, y)
                for i, x in enumerate(pool)
                for y in pool[i + 1 :]
                if b.uf.find(x) != b.uf.find(y)
            ]

        # a supply for MOSFET stages / at least one source in stage 0
        has_mos = is_nonlinear and stage > 0 and bool(protected)
        supply: str | None = None
        supply_value = 0.0
        if stage == 0 or has_mos:
            node = regular[0]
            supply_value = (
                draw(st.sampled_from(SUPPLY_VALUES))
                if has_mos
                else draw(st.sampled_from(BIASED_V_VALUES))
            )
            b.vsource(node, "0", supply_value, stage)
            supply = node

        for _ in range(draw(st.integers(0, 2))):  # more independent voltage sources
            pairs = free_pairs(gnd_reg)
            if not pairs:
                break
            x, y = draw(st.sampled_from(pairs))
            b.vsource(x, y, draw(st.sampled_from(BIASED_V_VALUES)), stage)

        for _ in range(draw(st.integers(0, 2))):  # inductors
            pairs = free_pairs(gnd_reg)
            if not pairs:
                break
            x, y = draw(st.sampled_from(pairs))
            b.inductor(x, y, draw(st.sampled_from(L_VALUES)))

        if stage > 0:
            sense = ["0", *earlier]
            sense_pairs = [(x, y) for i, x in enumerate(sense) for y in sense[i + 1 :]]
            for _ in range(draw(st.integers(0, 2))):  # VCVS
                pairs = free_pairs(gnd_reg)
                if not pairs:
                    break
                x, y = draw(st.sampled_from(pairs))
                c, d = draw(st.sampled_from(sense_pairs))
                b.vcvs(x, y, c, d, draw(st.sampled_from(E_GAINS)))

        # protected nodes: diodes and MOSFET channels behind >= 1k
        rails = _rail_potentials(b.elements)
        channel_nodes: set[str] = set()  # protected nodes of MOSFETs: no I or G on them
        for node in protected:
            if supply is None:
                top = draw(st.sampled_from(regular))
            else:
                top = _pick(draw, [supply, *[r for r in regular if r != supply]], 2)
            other = _pick(draw, [g for g in gnd_reg if g != top], 1)
            rser = draw(st.sampled_from(RSER_VALUES))
            device = draw(st.sampled_from(("d", "n", "n", "p", "p") if stage > 0 else ("d",)))
            if device != "d" and not _rail_above(rails, top, other):
                # a MOSFET needs `top` held above `other` by V sources / inductors, so that its
                # channel node, which lies between them, keeps every bulk junction reverse biased
                top, other = _pick(draw, _rail_pairs(rails, regular, gnd_reg, supply), 2)
            follower = device == "n" and draw(st.integers(0, 7)) == 0  # body effect
            if device == "p" or follower:  # channel node loaded down to `other`
                b.resistor(node, other, rser)
                b.rpath[node] = b.rpath[other] + rser
            else:  # diode or common-source NMOS: fed from `top` through the series resistor
                b.resistor(top, node, rser)
                b.rpath[node] = b.rpath[top] + rser
            if device == "d":
                model = draw(st.sampled_from(DIODE_MODELS))
                area = draw(st.sampled_from((None, None, None, 2.0, 0.5)))
                forward = draw(st.integers(0, 3)) > 0
                if top == supply and supply_value < 0:
                    forward = not forward  # fed from a negative supply: point the other way
                if forward:
                    b.diode(node, other, model, area)  # anode on the fed node
                else:
                    b.diode(other, node, model, area)
            else:
                channel_nodes.add(node)
                # a grounded gate turns a PMOS fully on (and an NMOS off)
                gate = draw(st.sampled_from(earlier if device == "n" else [*earlier, "0"]))
                w = draw(st.sampled_from(W_VALUES))
                ln = draw(st.sampled_from(L_CH_VALUES))
                if follower:  # drain on the `top` rail, source on the node, bulk on `other`
                    model = draw(st.sampled_from(NMOS_MODELS))
                    b.mosfet(top, gate, node, other, model, w, ln)
                elif device == "n":  # drain on the node, source and bulk on `other`
                    model = draw(st.sampled_from(NMOS_MODELS))
                    b.mosfet(node, gate, other, other, model, w, ln)
                else:  # PMOS: source and bulk on `top`, drain on the node
                    b.mosfet(node, gate, top, top, draw(st.sampled_from(PMOS_MODELS)), w, ln)
            if draw(st.integers(0, 3)) == 0:
                # a MOSFET's channel node must stay between its rails: return to `other`
                low = other if device != "d" else "0"
                b.resistor(node, low, draw(st.sampled_from(RSER_VALUES)))

        everyone = ["0", *regular, *protected]
        all_pairs = [(x, y) for i, x in enumerate(everyone) for y in everyone[i + 1 :]]
        for _ in range(draw(st.integers(0, 2))):  # extra resistors between regular nodes
            if len(gnd_reg) < 2:
                break
            x, y = draw(
                st.sampled_from([(x, y) for i, x in enumerate(gnd_reg) for y in gnd_reg[i + 1 :]])
            )
            b.resistor(x, y, draw(st.sampled_from(R_VALUES)))
        for _ in range(draw(st.integers(0, 3))):  # capacitors
            x, y = draw(st.sampled_from(all_pairs))
            b.capacitor(x, y, draw(st.sampled_from(C_VALUES)))
        # no current source or VCCS may push a MOSFET channel node past its rails
        inject_pairs = [p for p in all_pairs if not channel_nodes.intersection(p)]
        for _ in range(draw(st.integers(0, 2))):  # current sources
            x, y = draw(st.sampled_from(inject_pairs))
            bound = min(I_MAX, DROP_MAX / (b.rpath[x] + b.rpath[y]))
            frac = draw(st.sampled_from(FRACTIONS)) * draw(st.sampled_from((1, -1)))
            b.isource(x, y, float(f"{frac * bound:.3g}"))
        if stage > 0:
            for _ in range(draw(st.integers(0, 2))):  # VCCS
                x, y = draw(st.sampled_from(inject_pairs))
                c, d = draw(st.sampled_from(sense_pairs))
                bound = 0.5 / (b.rpath[x] + b.rpath[y])
                frac = draw(st.sampled_from(FRACTIONS)) * draw(st.sampled_from((1, -1)))
                b.vccs(x, y, c, d, float(f"{frac * bound:.3g}"))
        earlier.extend(stage_nodes)

    # ---- analyses ------------------------------------------------------------------------
    linear = not b.models
    if want is None:
        kinds = ["dc"] if draw(st.integers(0, 9)) < 4 else []
        if draw(st.integers(0, 9)) < 4:
            kinds.append("ac")
        if linear and draw(st.integers(0, 9)) < 5:
            kinds.append("tran")
    else:
        kinds = [k for k in want if k != "op"]
    if "tran" in kinds and not b.c_values and not b.l_values:
        # a capacitor where it creates a mode: across a pair not tied together by V/L/E
        pool = ["0", *names[: sizes[0]]]  # within stage 0: keeps stages free of feedback
        loose = [
            (x, y)
            for i, x in enumerate(pool)
            for y in pool[i + 1 :]
            if b.uf.find(x) != b.uf.find(y)
        ]
        x, y = draw(st.sampled_from(loose)) if loose else (names[0], "0")
        b.capacitor(x, y, draw(st.sampled_from(C_VALUES)))

    src_idx = {name: idx for idx, name, _ in b.sources}
    src_dc = {name: value for _, name, value in b.sources}
    stage0_sources = [name for _, name, _ in b.sources]
    swept = ac_src = pulse_src = None
    analysis_cards: list[tuple[str, str]] = [("op", ".op")]
    if "dc" in kinds:
        swept = draw(st.sampled_from(stage0_sources))
        step = draw(st.sampled_from((0.1, 0.25, 0.5, 0.125, 1.0)))
        npts = draw(st.integers(2, 16))
        start = draw(st.sampled_from(V_VALUES))
        direction = draw(st.sampled_from((1, 1, 1, -1)))
        stop = start + direction * step * (npts - 1)
        analysis_cards.append(("dc", f".dc {swept} {start:g} {stop:g} {direction * step:g}"))
    if "ac" in kinds:
        ac_src = draw(st.sampled_from(stage0_sources))
        mag = draw(st.sampled_from((1.0, 1.0, 0.5, 2.0)))
        phase = draw(st.sampled_from((None, None, 0.0, 30.0, -90.0)))
        i = src_idx[ac_src]
        b.cards[i] += f" AC {mag:g}" + ("" if phase is None else f" {phase:g}")
        sweep = draw(st.sampled_from(("dec", "dec", "oct", "lin")))
        fstart = draw(st.sampled_from((1.0, 1e3, 1e5)))
        fstop = draw(st.sampled_from((1e6, 1e8, 1e9, 1e10)))
        if sweep == "lin":
            # ngspice 39 writes a single point for `.ac lin 2` (its stop test rounds off)
            npts = draw(st.integers(3, 20))
            fstart = fstop / 100
        elif sweep == "dec":
            npts = draw(st.sampled_from((2, 3, 5, 10)))
        else:
            npts = draw(st.sampled_from((1, 2, 3)))
        analysis_cards.append(
            ("ac", f".ac {sweep} {npts} {spice_number(fstart)} {spice_number(fstop)}")
        )
    if "tran" in kinds:
        pulse_src = draw(st.sampled_from(stage0_sources))
        modes = linear_modes(b.elements)
        tstop = _tran_stop(modes)
        i = src_idx[pulse_src]
        v1 = src_dc[pulse_src]
        v2 = draw(st.sampled_from([v for v in V_VALUES if v != v1]))
        tr = tstop * draw(st.sampled_from((0.01, 0.02, 0.05)))
        pulse = (
            f"PULSE({v1:g} {v2:g} {spice_number(tstop * 0.05)} {spice_number(tr)} "
            f"{spice_number(tr)} {spice_number(tstop * 0.25)} {spice_number(tstop * 0.5)})"
        )
        b.cards[i] += " " + pulse
        analysis_cards.append(("tran", f".tran {spice_number(tstop / 100)} {spice_number(tstop)}"))
    head = analysis_cards[:1]
    rest = analysis_cards[1:]
    order = draw(st.permutations(range(len(rest)))) if len(rest) > 1 else range(len(rest))
    ordered = head + [rest[k] for k in order]
    if draw(st.booleans()) and len(ordered) > 1:  # .op need not come first
        ordered = ordered[1:] + ordered[:1]

    # ---- text --------------------------------------------------------------------------
    body = list(b.cards)
    if draw(st.integers(0, 3)) == 0 and body:  # a continuation line
        k = draw(st.integers(0, len(body) - 1))
        parts = body[k].split(" ")
        cut = max(2, len(parts) - 1)
        body[k] = " ".join(parts[:cut]) + "\n+ " + " ".join(parts[cut:])
    if draw(st.integers(0, 3)) == 0 and body:  # an inline comment
        k = draw(st.integers(0, len(body) - 1))
        body[k] += " $ inline comment"
    lines = [f"random circuit: {n_total} nodes, {n_stages} stage(s)", "* generated test netlist"]
    lines += body
    lines += [MODEL_CARDS[m] for m in sorted(b.models)]
    lines += [card for _, card in ordered]
    lines.append(".end")
    text = "\n".join(lines) + "\n"

    counts = {k: v for k, v in sorted(b.counts.items())}
    return RandomCircuit(
        netlist=text,
        nodes=tuple(n.lower() for n in names),
        branches=tuple(b.branches),
        element_counts=counts,
        analyses=tuple(kind for kind, _ in ordered),
        linear=linear,
        stages=n_stages,
        modes=tuple(modes) if "tran" in kinds else (),
        swept=swept.lower() if swept else None,
        ac_source=ac_src.lower() if ac_src else None,
        pulse_source=pulse_src.lower() if pulse_src else None,
    )


def _rail_potentials(
    elements: list[tuple[str, tuple[str, ...], float]],
) -> dict[str, tuple[str, float]]:
    """DC potential of every node held by V sources and inductors: node -> (root, volts above
    root). Nodes sharing a root differ by a fixed voltage (the V/L graph is a forest)."""
    # V: v(a) - v(c) = val; L: a DC short
    return fixed_potentials([(pins[0], pins[1], val if kind == "v" else 0.0)
                             for kind, pins, val in elements if kind in "vl"])


def fixed_potentials(ties: list[tuple[str, str, float]]) -> dict[str, tuple[str, float]]:
    """node -> (root, volts above root) for nodes tied by fixed DC drops ``(a, c, v(a) - v(c))``
    (a forest: each tree's root sits at 0)."""
    adj: dict[str, list[tuple[str, float]]] = {}
    for a, c, drop in ties:
        adj.setdefault(a, []).append((c, -drop))
        adj.setdefault(c, []).append((a, drop))
    pots: dict[str, tuple[str, float]] = {}
    for root in sorted(adj):
        if root in pots:
            continue
        pots[root] = (root, 0.0)
        todo = [root]
        while todo:
            x = todo.pop()
            for y, step in adj[x]:
                if y not in pots:
                    pots[y] = (root, pots[x][1] + step)
                    todo.append(y)
    return pots


def _rail_above(rails: dict[str, tuple[str, float]], top: str, other: str) -> bool:
    """True if V sources / inductors hold ``top`` strictly above ``other`` at DC."""
    return (
        top in rails
        and other in rails
        and rails[top][0] == rails[other][0]
        and rails[top][1] - rails[other][1] > 1e-9
    )


def _rail_pairs(
    rails: dict[str, tuple[str, float]], regular: list[str], gnd_reg: list[str], supply: str | None
) -> list[tuple[str, str]]:
    """(top, other) pairs for a MOSFET: ``top`` a regular node held above ``other``; the stage
    supply over ground first (it always qualifies: supplies are positive)."""
    pairs = [(t, o) for t in regular for o in gnd_reg if _rail_above(rails, t, o)]
    if supply is not None and (supply, "0") in pairs:
        pairs.remove((supply, "0"))
        pairs.insert(0, (supply, "0"))
    return pairs


def linear_modes(elements: list[tuple[str, tuple[str, ...], float]]) -> np.ndarray:
    """Natural frequencies of a linear R C L V I E G circuit (finite generalized eigenvalues).

    MNA ``G x + C x' = s``: unknowns are node voltages then V/E/L branch currents; the modes
    are the finite ``lam`` with ``(G + lam C) x = 0``.
    """
    nodes = sorted({n for _, pins, _ in elements for n in pins if n != "0"})
    index = {n: k for k, n in enumerate(nodes)}
    n_branch = sum(1 for kind, _, _ in elements if kind in "vle")
    size = len(nodes) + n_branch
    g = np.zeros((size, size))
    c = np.zeros((size, size))

    def stamp(mat: np.ndarray, row: str | int, col: str | int, val: float) -> None:
        r = index.get(row) if isinstance(row, str) else row
        k = index.get(col) if isinstance(col, str) else col
        if r is not None and k is not None:
            mat[r, k] += val

    br = len(nodes)
    for kind, pins, val in elements:
        a, b = pins[0], pins[1]
        if kind in "rc":
            mat, y = (g, 1.0 / val) if kind == "r" else (c, val)
            stamp(mat, a, a, y)
            stamp(mat, b, b, y)
            stamp(mat, a, b, -y)
            stamp(mat, b, a, -y)
        elif kind == "g":
            cp, cn = pins[2], pins[3]
            stamp(g, a, cp, val)
            stamp(g, a, cn, -val)
            stamp(g, b, cp, -val)
            stamp(g, b, cn, val)
        elif kind in "vle":
            stamp(g, a, br, 1.0)
            stamp(g, b, br, -1.0)
            stamp(g, br, a, 1.0)
            stamp(g, br, b, -1.0)
            if kind == "l":
                c[br, br] -= val
            if kind == "e":
                stamp(g, br, pins[2], -val)
                stamp(g, br, pins[3], val)
            br += 1
    if size == 0 or not c.any():
        return np.zeros(0, dtype=complex)
    lam = scipy.linalg.eigvals(-g, c)
    return lam[np.isfinite(lam) & (np.abs(lam) < 1e18)]


def _tran_stop(modes: np.ndarray) -> float:
    """A stop time showing the slowest mode settle, capped to MAX_CYCLES of lively ringing."""
    sigma = -modes.real
    omega = np.abs(modes.imag)
    decaying = sigma > 0
    tau_slow = float(np.max(1.0 / sigma[decaying])) if decaying.any() else 2e-9
    tstop = min(max(5 * tau_slow, 1e-9), 20e-6)
    for s_k, w_k in zip(sigma[decaying], omega[decaying], strict=True):
        alive = min(tstop, 5.0 / s_k)
        if w_k * alive / (2 * math.pi) > MAX_CYCLES:
            tstop = min(tstop, MAX_CYCLES * 2 * math.pi / w_k)
    exp = math.floor(math.log10(tstop))
    best = float(f"1e{exp}")
    for m in (2, 5):
        if m * 10**exp <= tstop * (1 + 1e-9):
            best = float(f"{m}e{exp}")
    return best
