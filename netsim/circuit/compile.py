"""Circuit -> CompiledCircuit: unknown numbering, device groups, sparsity pattern, scatter maps.

Numbering: node voltages first (order of first appearance), then each instance's internal
unknowns (branch currents, internal nodes, states) in instance order. Ground is not an unknown;
in the per-group connection arrays it is the sentinel index ``n`` (one past the last unknown), so
gathering from ``x_ext = [x, 0]`` gives 0 V, and scattered contributions to it are dropped.

Scatter maps are computed once: for every group, the local Jacobian entries allowed by the
family's ``pattern()`` are mapped to positions in the data array of a fixed CSC matrix, so one
Newton step assembles with a single ``np.bincount`` (DESIGN.md: "The device interface").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netsim.circuit.circuit import GROUND, Circuit, Instance
from netsim.devices.base import REGISTRY, DeviceGroup
from netsim.errors import ElaborationError


@dataclass
class CompiledGroup:
    """One device group with its global connection array and scatter positions.

    conn: (N, U) global unknown index per local unknown (ground -> n).
    rows, cols: (E,) local pattern entries.
    jac_pos: (N*E,) CSC data position of each (instance, entry), -1 where it touches ground.
    """

    device: DeviceGroup
    conn: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    jac_pos: np.ndarray
    jac_keep: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.jac_keep = self.jac_pos >= 0

    @property
    def family(self) -> str:
        return self.device.family


@dataclass
class CompiledCircuit:
    """Arrays and name tables only: everything an analysis needs.

    n: number of unknowns. names[k]: output name of unknown k ('v(out)', 'i(v1)', or an
    internal name such as 'd1#a_int'). kinds[k]: 'v', 'i' or 's'. indptr/indices: CSC pattern
    of the (n, n) Jacobian with nnz entries (every diagonal entry included).
    """

    circuit: Circuit
    n: int
    names: list[str]
    kinds: np.ndarray
    public: np.ndarray  # (n,) bool: unknown is written to outputs by default
    node_index: dict[str, int]
    branch_index: dict[str, int]
    groups: list[CompiledGroup]
    indptr: np.ndarray
    indices: np.ndarray
    nnz: int
    diag_pos: np.ndarray  # (n,) data position of each diagonal entry
    held: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    held_value: np.ndarray = field(default_factory=lambda: np.zeros(0))



def _family_class(inst: Instance) -> type[DeviceGroup]:
    try:
        return REGISTRY[inst.family]
    except KeyError:
        raise ElaborationError(
            f"no device family '{inst.family}' for '{inst.name}'", inst.span
        ) from None


def compile_circuit(circuit: Circuit) -> CompiledCircuit:
    """Number unknowns, build device groups and the Jacobian's fixed sparsity pattern."""
    node_index: dict[str, int] = {}
    names: list[str] = []
    kinds: list[str] = []
    public: list[bool] = []

    def add_unknown(name: str, kind: str, is_public: bool) -> int:
        names.append(name)
        kinds.append(kind)
        public.append(is_public)
        return len(names) - 1

    for inst in circuit.instances:
        for node in inst.nodes:
            if node != GROUND and node not in node_index:
                node_index[node] = add_unknown(f"v({node})", "v", True)

    # internal unknowns, in instance order
    internal: dict[str, list[int]] = {}
    branch_index: dict[str, int] = {}
    held: list[int] = []
    held_value: list[float] = []
    for inst in circuit.instances:
        cls = _family_class(inst)
        idx = []
        for spec in cls.internal_unknowns(inst):
            if spec.name == "branch":
                k = add_unknown(f"i({inst.name})", "i", True)
                branch_index[inst.name] = k
            else:
                k = add_unknown(f"{inst.name}#{spec.name}", spec.kind, False)
            if spec.held:
                held.append(k)
                held_value.append(spec.initial)
            idx.append(k)
        internal[inst.name] = idx
    n = len(names)

    # groups: by family, then by the family's structural key, in order of first appearance
    buckets: dict[tuple, list[Instance]] = {}
    for inst in circuit.instances:
        cls = _family_class(inst)
        buckets.setdefault((inst.family, cls.group_key(inst)), []).append(inst)

    groups: list[CompiledGroup] = []
    coo_rows: list[np.ndarray] = []
    coo_cols: list[np.ndarray] = []
    pending: list[tuple[DeviceGroup, np.ndarray, np.ndarray, np.ndarray]] = []
    for (family, _), members in buckets.items():
        device = REGISTRY[family](members, circuit.temp, circuit.tnom)
        conn = np.array(
            [_connections(inst, node_index, branch_index, internal, n) for inst in members],
            dtype=np.int64,
        ).reshape(len(members), -1)
        pattern = np.asarray(device.pattern(), dtype=bool)
        rows, cols = np.nonzero(pattern)
        grow = conn[:, rows].ravel()
        gcol = conn[:, cols].ravel()
        keep = (grow < n) & (gcol < n)
        coo_rows.append(grow[keep])
        coo_cols.append(gcol[keep])
        pending.append((device, conn, rows, cols))

    diag = np.arange(n)
    all_rows = np.concatenate([*coo_rows, diag])
    all_cols = np.concatenate([*coo_cols, diag])
    # unique entries sorted column-major -> CSC structure
    keys = np.unique(all_cols.astype(np.int64) * n + all_rows)
    ucols, urows = np.divmod(keys, n) if n else (keys, keys)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, ucols + 1, 1)
    indptr = np.cumsum(indptr)
    indices = urows.astype(np.int64)

    def positions(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        pos = np.full(r.shape, -1, dtype=np.int64)
        ok = (r < n) & (c < n)
        pos[ok] = np.searchsorted(keys, c[ok] * n + r[ok])
        return pos

    for device, conn, rows, cols in pending:
        jac_pos = positions(conn[:, rows].ravel(), conn[:, cols].ravel())
        groups.append(CompiledGroup(device, conn, rows, cols, jac_pos))

    return CompiledCircuit(
        circuit=circuit,
        n=n,
        names=names,
        kinds=np.array(kinds),
        public=np.array(public, dtype=bool),
        node_index=node_index,
        branch_index=branch_index,
        groups=groups,
        indptr=indptr,
        indices=indices,
        nnz=len(keys),
        diag_pos=positions(diag, diag),
        held=np.array(held, dtype=np.int64),
        held_value=np.array(held_value, dtype=float),
    )


def _connections(
    inst: Instance,
    node_index: dict[str, int],
    branch_index: dict[str, int],
    internal: dict[str, list[int]],
    n: int,
) -> list[int]:
    """Global unknown indices of an instance's local unknowns (terminals, controls, internal)."""
    conn = [n if node == GROUND else node_index[node] for node in inst.nodes]
    for ctl in inst.controls:
        if ctl not in branch_index:
            raise ElaborationError(
                f"'{inst.name}' reads the current of '{ctl}', which has no branch current",
                inst.span,
                hint="sense currents with a voltage source (e.g. a 0 V source in series), "
                "an inductor, or an E/H source",
            )
        conn.append(branch_index[ctl])
    conn.extend(internal[inst.name])
    return conn
