"""Assembly: evaluate every device group at x and scatter into the residual and CSC data arrays.

Linear, time-invariant groups (R, C, L, K, linear E/F/G/H) are stamped once: their Jacobians
become fixed data arrays and their currents/charges are sparse mat-vecs (``i = G x``,
``q = C x``). Every other group is evaluated each call, vectorised over its instances; one
``np.bincount`` per quantity scatters all groups together through the precomputed maps.

Junction limiting follows SPICE's companion model: a group that limits is evaluated at x_lim and
its currents/charges are extrapolated linearly to the true x.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from netsim.circuit.compile import CompiledCircuit, CompiledGroup
from netsim.devices.base import EvalContext, Evaluation


@dataclass
class Assembled:
    """System quantities at one x.

    i, q: (n,) residual currents / charges. g, c: (nnz,) CSC data of d i/dx and d q/dx.
    limited: True when some device limited its junction voltages (SPICE "noncon").
    local_q: per-group local charges (flattened), for the per-device truncation error.
    """

    i: np.ndarray
    g: np.ndarray
    q: np.ndarray | None = None
    c: np.ndarray | None = None
    limited: bool = False
    incr: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    local_q: list[np.ndarray] = field(default_factory=list)


@dataclass
class IncrementalHistory:
    """Per-group history of ngspice-style incremental (Meyer) charges, keyed by group index:
    (x_prev (N, U), q_prev (N, U), c_prev (N, U, U)) at the last accepted time point."""

    groups: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)


class Assembler:
    """Builds residuals and Jacobians for a compiled circuit."""

    def __init__(self, cc: CompiledCircuit) -> None:
        self.cc = cc
        self.n = cc.n
        self.nnz = cc.nnz
        self.dynamic: list[tuple[int, CompiledGroup]] = []
        self.static: list[CompiledGroup] = []
        for k, g in enumerate(cc.groups):
            if g.device.linear and not g.device.time_varying:
                self.static.append(g)
            else:
                self.dynamic.append((k, g))
        self.limit_memory: dict[int, np.ndarray] = {}
        self.initial_junctions = False
        # every family linear in x: one Newton step solves the system exactly
        self.is_linear = all(g.device.linear for g in cc.groups)
        self.restamp_linear()

    # ------------------------------------------------------------------ linear part
    def restamp_linear(self) -> None:
        """(Re)compute the fixed G and C of the linear time-invariant groups (after a sweep
        changes one of their values)."""
        n = self.n
        ctx = EvalContext()
        g = np.zeros(self.nnz)
        c = np.zeros(self.nnz)
        rows, cols, vals = [], [], []
        offset = 0
        self.state_offsets: dict[int, int] = {}  # id(static group) -> first charge state
        for grp in self.static:
            ev = grp.device.evaluate(np.zeros(grp.conn.shape), ctx)
            g += self._scatter_jac(grp, ev.di)
            if ev.dq is not None:
                c += self._scatter_jac(grp, ev.dq)
                # per-device charges q_loc = dq_loc x_loc, one state per (instance, row)
                nn, u = grp.conn.shape
                state = offset + np.arange(nn * u).reshape(nn, u)
                r_ = np.broadcast_to(state[:, :, None], (nn, u, u))
                c_ = np.broadcast_to(grp.conn[:, None, :], (nn, u, u))
                keep = (ev.dq != 0.0) & (c_ < n)
                rows.append(r_[keep])
                cols.append(c_[keep])
                vals.append(ev.dq[keep])
                self.state_offsets[id(grp)] = offset
                offset += nn * u
        self.state_matrix = sp.csr_matrix(
            (np.concatenate(vals) if vals else np.zeros(0),
             (np.concatenate(rows) if rows else np.zeros(0, int),
              np.concatenate(cols) if cols else np.zeros(0, int))), shape=(offset, n))
        self.g_lin = g
        self.c_lin = c
        shape = (n, n)
        self.G_lin = sp.csc_matrix((g, self.cc.indices, self.cc.indptr), shape=shape)
        self.C_lin = sp.csc_matrix((c, self.cc.indices, self.cc.indptr), shape=shape)

    def charge_states(self, a: Assembled, x: np.ndarray) -> np.ndarray:
        """Every device's own charges (static groups from x, others from the assembly), the
        quantities whose truncation error the time-step control bounds (as SPICE does per
        device, so a small charge is not hidden behind a large one on the same node)."""
        return np.concatenate([self.state_matrix @ x, *a.local_q])

    def _scatter_jac(self, grp: CompiledGroup, local: np.ndarray) -> np.ndarray:
        vals = local[..., grp.rows, grp.cols].reshape(-1)[grp.jac_keep]
        return np.bincount(grp.jac_pos[grp.jac_keep], vals, minlength=self.nnz)

    def reset_limiting(self, initial: bool = False) -> None:
        """Forget the previous iterate; with ``initial``, the next evaluation of each device is
        at its SPICE first-iteration point (the start of an operating point)."""
        self.limit_memory.clear()
        self.initial_junctions = initial

    # ------------------------------------------------------------------ assembly
    def assemble(
        self,
        x: np.ndarray,
        ctx: EvalContext,
        *,
        charges: bool = False,
        limiting: bool = True,
        history: IncrementalHistory | None = None,
    ) -> Assembled:
        """Residual currents, Jacobian data (and charges when ``charges``) at x (n,).

        history: when given (transient), incremental charges are integrated from it; without
        it (AC), ``c_incr`` is added to the charge Jacobian as a plain capacitance.
        """
        n = self.n
        x_ext = np.append(x, 0.0)
        i_idx, i_val = [], []
        g_pos, g_val = [], []
        q_idx, q_val, c_pos, c_val = [], [], [], []
        limited = False
        local_q: list[np.ndarray] = []
        incr_now: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for k, grp in self.dynamic:
            dev = grp.device
            xl = x_ext[grp.conn]
            x_eval = xl
            if limiting:
                old = self.limit_memory.get(k)
                if old is None and self.initial_junctions:
                    start = dev.initial_point(xl)
                    if start is not None:
                        limited = True
                        x_eval = start
                elif old is not None:
                    lim = dev.limit(xl, old)
                    # limiters rebuild the vector arithmetically: compare with a tolerance
                    if lim is not None and np.max(np.abs(lim - xl), initial=0.0) > 1e-12:
                        limited = True
                        x_eval = lim
                self.limit_memory[k] = x_eval
            ev: Evaluation = dev.evaluate(x_eval, ctx)
            delta = xl - x_eval if x_eval is not xl else None
            i_loc = ev.i
            if delta is not None:
                i_loc = i_loc + np.einsum("...rc,...c->...r", ev.di, delta)
            i_idx.append(grp.conn.ravel())
            i_val.append(i_loc.ravel())
            keep = grp.jac_keep
            g_pos.append(grp.jac_pos[keep])
            g_val.append(ev.di[..., grp.rows, grp.cols].reshape(-1)[keep])
            if not charges:
                continue
            q_loc, dq_loc = ev.q, ev.dq
            if ev.c_incr is not None:
                if history is not None:
                    x_prev, q_prev, c_prev = history.groups[k]
                    c_avg = 0.5 * (ev.c_incr + c_prev)
                    q_inc = q_prev + np.einsum("...rc,...c->...r", c_avg, xl - x_prev)
                    incr_now[k] = (xl, q_inc, ev.c_incr)
                    q_loc = q_inc if q_loc is None else q_loc + q_inc
                    dq_loc = c_avg if dq_loc is None else dq_loc + c_avg
                else:
                    dq_loc = ev.c_incr if dq_loc is None else dq_loc + ev.c_incr
            if q_loc is not None:
                if delta is not None and ev.dq is not None:
                    q_loc = q_loc + np.einsum("...rc,...c->...r", ev.dq, delta)
                q_idx.append(grp.conn.ravel())
                q_val.append(q_loc.ravel())
                local_q.append(q_loc.ravel())
            if dq_loc is not None:
                c_pos.append(grp.jac_pos[keep])
                c_val.append(dq_loc[..., grp.rows, grp.cols].reshape(-1)[keep])

        i_lin = self.G_lin @ x
        i = i_lin + _bincount(i_idx, i_val, n + 1)[:n]
        g = self.g_lin + _bincount(g_pos, g_val, self.nnz)
        out = Assembled(i=i, g=g, limited=limited, incr=incr_now, local_q=local_q)
        if charges:
            out.q = self.C_lin @ x + _bincount(q_idx, q_val, n + 1)[:n]
            out.c = self.c_lin + _bincount(c_pos, c_val, self.nnz)
        return out

    def initial_history(self, x: np.ndarray, ctx: EvalContext) -> IncrementalHistory:
        """History at a starting point: q_incr = C(x0) x0, as ngspice's first time step."""
        hist = IncrementalHistory()
        x_ext = np.append(x, 0.0)
        for k, grp in self.dynamic:
            xl = x_ext[grp.conn]
            ev = grp.device.evaluate(xl, ctx)
            if ev.c_incr is not None:
                q0 = np.einsum("...rc,...c->...r", ev.c_incr, xl)
                hist.groups[k] = (xl, q0, ev.c_incr)
        return hist

    def accept(self, history: IncrementalHistory, assembled: Assembled) -> None:
        """Store the incremental-charge state of an accepted time point."""
        history.groups.update(assembled.incr)

    def ac_excitation(self) -> np.ndarray:
        """(n,) complex small-signal source vector (residual convention)."""
        parts_idx, parts_val = [], []
        for grp in self.cc.groups:
            exc = grp.device.ac_excitation()
            if exc is not None:
                parts_idx.append(grp.conn.ravel())
                parts_val.append(np.asarray(exc, dtype=complex).ravel())
        out = np.zeros(self.n + 1, dtype=complex)
        for idx, val in zip(parts_idx, parts_val):
            np.add.at(out, idx, val)
        return out[: self.n]


def _bincount(idx: list[np.ndarray], val: list[np.ndarray], size: int) -> np.ndarray:
    if not idx:
        return np.zeros(size)
    return np.bincount(np.concatenate(idx), np.concatenate(val), minlength=size)
