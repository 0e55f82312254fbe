"""Benchmark circuit generators.

Every generator returns a :class:`Bench`: plain SPICE3 netlist text that both netsim and
ngspice accept (no netsim-only syntax), the number of MNA unknowns it carries (circuit nodes plus
voltage-source branch currents), the analysis whose waveforms are compared, and the node
voltages used for the accuracy check.

Circuits (see benchmarks/README.md):

- ``rc_mesh_N``: an N x N grid of 1 kOhm resistors with 1 pF to ground at every node, driven at
  one corner by a PULSE source through 100 Ohm; ``.tran`` with 400 output steps.
- ``inv_chain_N``: N level-1 CMOS inverters in a row (Meyer gate capacitances from TOX, overlap
  and junction capacitances), driven by a PULSE; the window lets the first edge reach the end
  of the chain and a few more edges enter it.
- ``diode_ladder_N``: N sections of series resistor and shunt diode (with junction capacitance)
  driven by a 1 MHz SIN source; ``.tran`` over two periods.
- ``crossbar_N``: an N x N resistive crossbar with wire resistance on every row and column
  segment; each row driven by a voltage source through a series resistance, each column ending
  in a sense resistor to ground; ``.op`` plus a ``.dc`` sweep of the first row driver.
- ``variants_K``: K variants of a small nonlinear circuit (diode + RC with random R, C and
  drive amplitude), each a separate netlist with a short ``.tran``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Bench:
    """One benchmark case.

    name: short identifier (``rc_mesh_30``); description: one line for the table;
    texts: one netlist (or K for a many-variant workload); unknowns: MNA unknowns of one
    netlist; analysis: ``tran`` or ``op`` (the result kind used for the accuracy check; ``op``
    cases also compare their ``dc`` sweep); nodes: node names compared; large: counted in the
    ">= 2000 unknowns" geometric mean; quick: part of ``--quick``; check_variants: indices of
    variants whose waveforms are compared; runner: for many-variant workloads, ``auto``
    (netsim's batched API when present) or ``loop`` (one Simulator per netlist); edges: digital
    waveforms, so the report also gives the shift of the 50 % crossings; reference: nonlinear
    transients whose accuracy is judged against a tight-tolerance ngspice run (ngspice at its
    own default tolerances is not accurate enough to be the reference there).
    """

    name: str
    description: str
    texts: list[str]
    unknowns: int
    analysis: str
    nodes: list[str]
    quick: bool = False
    check_variants: list[int] = field(default_factory=lambda: [0])
    runner: str = "auto"
    edges: bool = False
    reference: bool = False

    @property
    def variants(self) -> int:
        """How many netlists make up this workload."""
        return len(self.texts)

    @property
    def large(self) -> bool:
        """True when the circuit has at least 2000 unknowns."""
        return self.unknowns >= 2000


# ---------------------------------------------------------------------------------- RC mesh
def rc_mesh(n: int, quick: bool = False) -> Bench:
    """N x N RC mesh driven at node (0, 0); 400 output steps over 200 ns."""
    lines = [f"RC mesh {n}x{n}: 1k resistors, 1p to ground, PULSE at one corner",
             "V1 in 0 PULSE(0 1 1n 2n 2n 60n 120n)",
             "RIN in n0_0 100"]
    for i in range(n):
        for j in range(n):
            node = f"n{i}_{j}"
            if j + 1 < n:
                lines.append(f"RH{i}_{j} {node} n{i}_{j + 1} 1k")
            if i + 1 < n:
                lines.append(f"RV{i}_{j} {node} n{i + 1}_{j} 1k")
            lines.append(f"C{i}_{j} {node} 0 1p")
    lines += [".tran 0.5n 200n", ".end", ""]
    mid = n // 2
    nodes = ["n0_0", f"n0_{min(3, n - 1)}", f"n{min(2, n - 1)}_{min(2, n - 1)}",
             f"n{mid}_{mid}"]
    return Bench(f"rc_mesh_{n}", f"RC mesh {n}x{n}, PULSE, .tran 400 steps",
                 ["\n".join(lines)], n * n + 2, "tran", nodes, quick)


# ------------------------------------------------------------------------- inverter chain
MOS_MODELS = """\
.model nch nmos (level=1 vto=0.7 kp=110u gamma=0.45 phi=0.7 lambda=0.03 ld=0.05u tox=10n
+ cgso=0.25n cgdo=0.25n cgbo=0.2n cbd=2f cbs=2f mj=0.5 pb=0.85)
.model pch pmos (level=1 vto=-0.8 kp=40u gamma=0.5 phi=0.7 lambda=0.05 ld=0.05u tox=10n
+ cgso=0.3n cgdo=0.3n cgbo=0.2n cbd=4f cbs=4f mj=0.45 pb=0.85)"""

STAGE_DELAY = 0.03e-9  # seconds; average stage delay of the inverter below (ngspice, ~28 ps)


def inverter_chain(n: int, quick: bool = False) -> Bench:
    """N CMOS inverters (flattened, no subcircuits) driven by a PULSE whose period is 60 stage
    delays; the window is the chain delay plus three periods."""
    period = 60 * STAGE_DELAY
    tstop = n * STAGE_DELAY + 3 * period
    tstep = tstop / 400
    lines = [f"CMOS inverter chain, {n} level-1 stages with Meyer capacitances",
             MOS_MODELS,
             "VDD vdd 0 3.3",
             f"VIN s0 0 PULSE(0 3.3 0.1n 0.1n 0.1n {period / 2:.4g} {period:.4g})"]
    for k in range(n):
        a, b = f"s{k}", f"s{k + 1}"
        lines.append(f"MN{k} {b} {a} 0 0 nch w=1u l=0.35u")
        lines.append(f"MP{k} {b} {a} vdd vdd pch w=2.5u l=0.35u")
    lines.append(f"CL {f's{n}'} 0 5f")
    lines += [f".tran {tstep:.4g} {tstop:.4g}", ".end", ""]
    nodes = ["s1", f"s{n // 2}", f"s{n}"]
    return Bench(f"inv_chain_{n}", f"CMOS inverter chain, {n} level-1 stages, .tran",
                 ["\n".join(lines)], n + 4, "tran", nodes, quick, edges=True, reference=True)


# --------------------------------------------------------------------------- diode ladder
def diode_ladder(n: int, quick: bool = False) -> Bench:
    """N sections of 100 Ohm series / diode + 1 pF shunt, 1 MHz 5 V SIN, two periods."""
    lines = [f"Diode ladder, {n} R-D sections driven by a 1 MHz sine",
             ".model dl d (is=1e-14 n=1.05 rs=5 cjo=0.5p vj=0.7 m=0.4 tt=1n)",
             "V1 a0 0 SIN(0 5 1meg)"]
    for k in range(n):
        lines.append(f"R{k} a{k} a{k + 1} 100")
        lines.append(f"D{k} a{k + 1} 0 dl")
        lines.append(f"C{k} a{k + 1} 0 1p")
    lines += [".tran 5n 2u", ".end", ""]
    nodes = ["a1", "a10", f"a{n // 2}", f"a{n}"]
    # each diode with rs carries one internal node
    return Bench(f"diode_ladder_{n}", f"R-D ladder, {n} sections, SIN, .tran",
                 ["\n".join(lines)], 2 * n + 2, "tran", nodes, quick, reference=True)


# ------------------------------------------------------------------------------- crossbar
def crossbar(n: int, quick: bool = False, seed: int = 1) -> Bench:
    """N x N crossbar: random cell resistances 10k..100k, 2 Ohm wire segments, 100 Ohm drivers,
    1 kOhm column sense resistors; ``.op`` and a ``.dc`` sweep of row driver 0."""
    rng = random.Random(seed)
    lines = [f"Resistive crossbar {n}x{n} with wire resistance, row drivers, column sense",
             "* row i, column j: row wire node r<i>_<j>, column wire node c<i>_<j>"]
    for i in range(n):
        lines.append(f"VR{i} d{i} 0 DC {0.1 + 0.4 * rng.random():.4f}")
        lines.append(f"RD{i} d{i} r{i}_0 100")
    for i in range(n):
        for j in range(n):
            lines.append(f"RX{i}_{j} r{i}_{j} c{i}_{j} {rng.uniform(10e3, 100e3):.1f}")
            if j + 1 < n:
                lines.append(f"RW{i}_{j} r{i}_{j} r{i}_{j + 1} 2")
            if i + 1 < n:
                lines.append(f"RC{i}_{j} c{i}_{j} c{i + 1}_{j} 2")
    for j in range(n):
        lines.append(f"RS{j} c{n - 1}_{j} 0 1k")
    lines += [".op", ".dc VR0 0 1 0.25", ".end", ""]
    text = "\n".join(lines)
    unknowns = 2 * n * n + n + n  # wire nodes, driver nodes, driver branch currents
    nodes = ["r0_0", f"r0_{n - 1}", f"c{n - 1}_0", f"c{n - 1}_{n - 1}", f"c{n // 2}_{n // 2}"]
    return Bench(f"crossbar_{n}", f"resistive crossbar {n}x{n} with wires, .op + .dc (5 pts)",
                 [text], unknowns, "op", nodes, quick)


# ------------------------------------------------------------------------- many variants
def variants(k: int, quick: bool = False, seed: int = 7, runner: str = "auto") -> Bench:
    """K variants of a diode + RC circuit (random R, C, amplitude), each with a short .tran.

    The variants share one netlist template and differ only in their ``.param`` line, so a
    batched runner can simulate them as parameter variants of one circuit. runner: ``auto``
    (batched when netsim offers it) or ``loop`` (always one Simulator per netlist)."""
    rng = random.Random(seed)
    texts = []
    for _ in range(k):
        r = rng.uniform(500, 5e3)
        c = rng.uniform(1e-12, 10e-12)
        amp = rng.uniform(1.0, 5.0)
        texts.append("\n".join([
            "Variant of a diode + RC circuit",
            f".param rval={r:.2f} cval={c:.4g} amp={amp:.4f}",
            ".model dv d (is=1e-14 n=1.2 rs=2 cjo=2p tt=2n)",
            "V1 in 0 PULSE(0 {amp} 2n 1n 1n 20n 50n)",
            "R1 in a {rval}",
            "D1 a out dv",
            "C1 out 0 {cval}",
            "RL out 0 20k",
            ".tran 0.5n 100n",
            ".end", ""]))
    name = f"variants_{k}" + ("_loop" if runner == "loop" else "")
    return Bench(name, f"{k} variants of diode + RC, .tran 200 steps, one netlist each",
                 texts, 5, "tran", ["a", "out"], quick, check_variants=[0, 1, k // 2, k - 1],
                 runner=runner, reference=True)


def all_benches(quick: bool = False) -> list[Bench]:
    """The benchmark list; with quick=True only the small sizes."""
    full = [
        rc_mesh(30, quick=True), rc_mesh(50), rc_mesh(100),
        inverter_chain(50, quick=True), inverter_chain(200), inverter_chain(1000),
        diode_ladder(1000, quick=True),
        crossbar(64, quick=True), crossbar(256),
        variants(1000),
    ]
    if quick:
        return [b for b in full if b.quick] + [variants(100, quick=True, runner="loop"),
                                               variants(100, quick=True)]
    return full
