"""Topology checks on the flat circuit graph, with errors naming the culprits.

- every node needs a DC path to ground (otherwise the DC matrix is singular): nodes that
  connect only through capacitors, current sources or MOSFET gates are reported together with
  those elements (this also covers cut-sets of current sources and capacitors);
- no loop of V sources (and inductors, unless every analysis is a uic transient); a loop
  through E, H or a voltage-output B may be solvable and is left to the solver;
- a node with a single connection is a warning.

When every analysis is a ``.tran ... uic`` (no operating point), capacitors count as paths.

The checks run on a union-find of the nodes (no graph library: most circuits pass, and
importing networkx costs more than checking); networkx is imported only to describe a voltage
loop that was found.
"""

from __future__ import annotations

from netsim.circuit.circuit import GROUND, Circuit, Instance
from netsim.errors import Diagnostic, TopologyError

# terminal pairs (indices into Instance.nodes) that conduct at DC, per family;
# families not listed connect all their terminals
DC_PATHS: dict[str, tuple[tuple[int, int], ...]] = {
    "capacitor": (),
    "isource": (),
    "vccs": (),
    "cccs": (),
    "mutual": (),
    "vcvs": ((0, 1),),
    "ccvs": ((0, 1),),
    "mos1": ((0, 2), (0, 3), (2, 3)),
}
VOLTAGE_DEFINING = {"vsource", "inductor", "vcvs", "ccvs"}
# elements whose voltage no other unknown changes: a loop of them (inductors: in DC) is
# singular whatever the values. A loop through E, H or a B source may be solvable (its value
# can depend on the loop's own unknowns, as in ngspice's behavioural inductor); a singular one
# is reported by the solver, naming the unknown.
FIXED_VOLTAGE = {"vsource", "inductor"}


def _dc_pairs(inst: Instance, uic_only: bool) -> tuple[tuple[int, int], ...]:
    if inst.family == "behavioural":
        return ((0, 1),) if inst.extra.get("output") == "v" else ()
    if uic_only and inst.family == "capacitor":
        return ((0, 1),)
    if inst.family in DC_PATHS:
        return DC_PATHS[inst.family]
    n = len(inst.nodes)
    return tuple((a, b) for a in range(n) for b in range(a + 1, n))


def check_topology(circuit: Circuit) -> None:
    """Raise TopologyError for ill-posed circuits; append warnings to circuit.warnings."""
    uic_only = bool(circuit.analyses) and all(
        a.kind == "tran" and a.args.get("uic") for a in circuit.analyses)
    dc = UnionFind()
    dc.add(GROUND)
    attached: dict[str, list[str]] = {}
    for inst in circuit.instances:
        for node in inst.nodes:
            dc.add(node)
            attached.setdefault(node, []).append(inst.name)
        for a, b in _dc_pairs(inst, uic_only):
            dc.union(inst.nodes[a], inst.nodes[b])

    _check_voltage_loops(circuit, uic_only)

    for component in dc.components():
        if GROUND in component:
            continue
        nodes = sorted(component)
        elements = sorted({e for n in nodes for e in attached.get(n, [])})
        first = next(i for i in circuit.instances if i.name in elements)
        shown = ", ".join(f"'{n}'" for n in nodes[:6]) + (" ..." if len(nodes) > 6 else "")
        raise TopologyError(
            f"no DC path to ground from node{'s' if len(nodes) > 1 else ''} {shown}"
            f" (connected only through {', '.join(elements[:6])}"
            f"{' ...' if len(elements) > 6 else ''})",
            first.span,
            hint="add a DC path, e.g. a large resistor to ground: "
            f"`Rleak {nodes[0]} 0 1e9`",
        )

    for node, names in attached.items():
        if node != GROUND and len(names) == 1:
            inst = next(i for i in circuit.instances if i.name == names[0])
            circuit.warnings.append(Diagnostic(
                f"node '{node}' has only one connection ({names[0]})", inst.span))


class UnionFind:
    """Disjoint sets of nodes (names or indices; path halving, union by size), in insertion
    order."""

    def __init__(self) -> None:
        self.parent: dict = {}
        self.size: dict = {}

    def add(self, node: str) -> None:
        if node not in self.parent:
            self.parent[node] = node
            self.size[node] = 1

    def find(self, node: str) -> str:
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(self, a: str, b: str) -> bool:
        """Join the sets of a and b (added if new); False when they were already joined."""
        self.add(a)
        self.add(b)
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        return True

    def components(self) -> list[set[str]]:
        groups: dict[str, set[str]] = {}
        for node in self.parent:
            groups.setdefault(self.find(node), set()).add(node)
        return list(groups.values())


def _check_voltage_loops(circuit: Circuit, uic_only: bool) -> None:
    """A loop of V sources (and inductors when an operating point is solved: a DC short; a uic
    transient integrates L di/dt = v around the loop) is singular; so is any voltage-defining
    element with both terminals on one node."""
    sets = UnionFind()
    edges: list[tuple[str, str, str]] = []
    for inst in circuit.instances:
        voltage_out = inst.family in VOLTAGE_DEFINING or (
            inst.family == "behavioural" and inst.extra.get("output") == "v")
        if not voltage_out or (uic_only and inst.family == "inductor"):
            continue
        a, b = inst.nodes[0], inst.nodes[1]
        if a == b:
            raise TopologyError(f"'{inst.name}' is shorted: both terminals on node '{a}'",
                                inst.span, hint="connect its terminals to different nodes")
        if inst.family not in FIXED_VOLTAGE:
            continue
        if sets.union(a, b):
            edges.append((a, b, inst.name))
            continue
        _report_voltage_loop(edges, inst)


def _report_voltage_loop(edges: list[tuple[str, str, str]], inst: Instance) -> None:
    """Raise the TopologyError for ``inst`` closing a loop with the earlier ``edges``."""
    import networkx as nx

    graph = nx.Graph()
    for a, b, name in edges:
        graph.add_edge(a, b, name=name)
    path = nx.shortest_path(graph, inst.nodes[0], inst.nodes[1])
    loop = [graph.edges[u, v]["name"] for u, v in zip(path, path[1:])] + [inst.name]
    raise TopologyError(
        f"loop of voltage sources/inductors: {' -> '.join(loop)}",
        inst.span,
        hint="the loop fixes the same voltage twice; add a small series resistance "
        "to one of them",
    )
