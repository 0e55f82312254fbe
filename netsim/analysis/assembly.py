"""Assembly: evaluate every device group at x and scatter into the residual and CSC data arrays.

Linear, time-invariant groups (R, C, L, K, linear E/F/G/H) are stamped once: their Jacobians
become fixed data arrays and their currents/charges are sparse mat-vecs (``i = G x``,
``q = C x``). Linear time-varying groups (independent sources) are evaluated once per
evaluation context (time, source factor, gmin) and reused by every Newton iteration at that
context: ``i = i(0) + G x``. Every other group is evaluated each call, vectorised over its
instances; one ``np.bincount`` per quantity scatters all groups together through maps
precomputed here (the flat position of each kept Jacobian entry in the device's (N, U, U)
array and its CSC data position).

A caller that changes the values of a linear device (a .dc sweep setting a source or a
resistor) calls :meth:`Assembler.restamp_linear` afterwards.

Junction limiting follows SPICE's companion model: a group that limits is evaluated at x_lim and
its currents/charges are extrapolated linearly to the true x.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netsim.circuit.compile import CompiledCircuit, CompiledGroup
from netsim.devices.base import DeviceGroup, EvalContext, Evaluation, Load

# relative rounding of a node voltage: a Newton change below it is no change (current test)
ROUNDING = 8.0 * np.finfo(float).eps


@dataclass
class Assembled:
    """System quantities at one x.

    i, q: (n,) residual currents / charges. g, c: (nnz,) CSC data of d i/dx and d q/dx.
    q_nl, c_nl: the part of q and c from the groups evaluated each call (not the fixed linear
    stamps), None when they have none; with ``x_ref``, q = C_lin (x - x_ref) + q_nl.
    limited: True when some device limited its junction voltages (SPICE "noncon").
    local_q: per-group local charges (flattened), for the per-device truncation error.
    local_rows: the system row (n for ground) of each entry of the concatenated local_q.
    local_dq: per-group (N, U, U) d local_q / d x_local (None when the group has none), with
    local_conn its (N, U) unknown indices: to carry local_q along x.
    """

    i: np.ndarray
    g: np.ndarray
    q: np.ndarray | None = None
    c: np.ndarray | None = None
    limited: bool = False
    incr: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    local_q: list[np.ndarray] = field(default_factory=list)
    q_nl: np.ndarray | None = None
    c_nl: np.ndarray | None = None
    local_rows: np.ndarray | None = None
    local_dq: list[np.ndarray | None] = field(default_factory=list)
    local_conn: list[np.ndarray] = field(default_factory=list)


@dataclass
class IncrementalHistory:
    """Per-group history of ngspice-style incremental (Meyer) charges, keyed by group index:
    (x_prev (N, U), q_prev (N, U), c_prev (N, U, U)) at the last accepted time point."""

    groups: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)


class SparseMatVec:
    """``y = A x`` for a fixed sparse (m, n) matrix given by its non-zero triplets (numpy only:
    a gather, a product and one ``np.bincount``)."""

    def __init__(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, m: int) -> None:
        keep = vals != 0.0
        self.rows = np.ascontiguousarray(rows[keep], dtype=np.intp)
        self.cols = np.ascontiguousarray(cols[keep], dtype=np.intp)
        self.vals = np.ascontiguousarray(vals[keep], dtype=float)
        self.m = m

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        if not self.rows.size:
            return np.zeros(self.m)
        return np.bincount(self.rows, self.vals * x[self.cols], minlength=self.m)


class _Plan:
    """Precomputed scatter data of one dynamic group (see the module docstring)."""

    def __init__(self, k: int, grp: CompiledGroup) -> None:
        self.k = k
        self.grp = grp
        self.dev = grp.device
        nn, u = grp.conn.shape
        self.conn = grp.conn
        self.i_idx = grp.conn.ravel()
        flat = (np.arange(nn)[:, None] * (u * u) + (grp.rows * u + grp.cols)[None, :]).ravel()
        self.take = np.ascontiguousarray(flat[grp.jac_keep], dtype=np.intp)
        self.pos = grp.jac_pos[grp.jac_keep]
        cls = type(self.dev)
        # linear families without limiting are evaluated once per context (sources)
        self.cached = (self.dev.linear and cls.limit is DeviceGroup.limit
                       and cls.initial_point is DeviceGroup.initial_point)
        self.fused = cls.load is not DeviceGroup.load  # the family has its own fused load
        self.test_rows: np.ndarray | None = None  # (N, U) rows of the current test, if any
        off = getattr(self.dev, "off", None)  # (N,) instances flagged ``off`` (D, M)
        self.off = off if off is not None and np.any(off) else None

    def jac(self, local: np.ndarray) -> np.ndarray:
        """The kept entries of a (N, U, U) local Jacobian, in ``pos`` order."""
        return local.reshape(-1)[self.take]


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
        plans = [_Plan(k, g) for k, g in self.dynamic]
        node_kind = np.append(cc.kinds == "v", False)  # ground (index n) is not tested
        for plan in plans:
            if plan.dev.current_test:
                # terminal rows only: an internal node's (rs, rd) current is the sum of two
                # branch currents that cancel at the solution, so its relative bound is nil
                # and rounding alone (1e-7 V at 1e10 V) would fail it for ever; SPICE tests
                # the branch currents (cd, cbs, cbd), which the terminals carry
                rows = node_kind[plan.conn]
                rows[:, len(type(plan.dev).terminals):] = False
                plan.test_rows = rows
        self._tested: list[tuple[_Plan, np.ndarray, np.ndarray]] = []  # last assembly's
        self._cached = [p for p in plans if p.cached]
        self._evaluated = [p for p in plans if not p.cached]
        self._fixed_jacobians = all(type(p.dev).fixed_jacobian for p in self._cached)
        self.limit_memory: dict[int, np.ndarray] = {}
        self.initial_junctions = False
        # SPICE's MODEINITFIX: instances flagged ``off`` are evaluated at their zero-bias
        # point (linearised from it) until a first operating point converges without them
        self.fix_off = False
        self.has_off = any(p.off is not None for p in self._evaluated)
        # every family linear in x: one Newton step solves the system exactly
        self.is_linear = all(g.device.linear for g in cc.groups)
        self._col_of = np.repeat(np.arange(self.n), np.diff(cc.indptr))
        self._x_ext = np.zeros(self.n + 1)
        self._dx_ext = np.zeros(self.n + 1)  # the current test's step, ground appended
        self._index_cache: dict[tuple, tuple[np.ndarray, ...]] = {}
        # whether a source-like (cached) group has charges: then the linear charges depend on
        # time and are not C_lin x (set by every assembly with charges)
        self.cached_charges = False
        self.restamp_linear()

    # ------------------------------------------------------------------ linear part
    def restamp_linear(self) -> None:
        """(Re)compute the fixed G and C of the linear time-invariant groups and forget the
        cached source terms (after a sweep changes the value of a linear device)."""
        n = self.n
        ctx = EvalContext()
        g = np.zeros(self.nnz)
        c = np.zeros(self.nnz)
        rows, cols, vals = [], [], []
        state_rows = []
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
                state_rows.append(grp.conn.ravel())
                self.state_offsets[id(grp)] = offset
                offset += nn * u
        self.state_matrix = SparseMatVec(
            np.concatenate(rows) if rows else np.zeros(0, np.intp),
            np.concatenate(cols) if cols else np.zeros(0, np.intp),
            np.concatenate(vals) if vals else np.zeros(0), offset)
        # the system row each static state is stamped into (n: ground)
        self.state_rows = np.concatenate(state_rows) if state_rows else np.zeros(0, np.intp)
        self.g_lin = g
        self.c_lin = c
        self._lin_key: tuple | None = None
        self._lin: tuple | None = None
        self._stamps: dict[str, tuple[np.ndarray, np.ndarray, SparseMatVec]] = {}

    @property
    def G_lin(self):
        """d i/dx of the linear time-invariant groups as a scipy CSC matrix."""
        return self._csc(self.g_lin)

    @property
    def C_lin(self):
        """d q/dx of the linear time-invariant groups as a scipy CSC matrix."""
        return self._csc(self.c_lin)

    def _csc(self, data: np.ndarray):
        import scipy.sparse as sp

        return sp.csc_matrix((data, self.cc.indices, self.cc.indptr), shape=(self.n, self.n))

    def linear_charges(self, dx: np.ndarray) -> np.ndarray:
        """(n,) charge change C_lin dx of the fixed linear stamps for a change dx (n,)."""
        return self.matvec(self.c_lin, dx)

    def matvec(self, data: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``A x`` for the matrix with CSC values ``data`` on the circuit's pattern."""
        return np.bincount(self.cc.indices, data * x[self._col_of], minlength=self.n)

    def _linear_terms(self, ctx: EvalContext, charges: bool):
        """(g, c, G x, C x, i0, q0) of every linear group at ctx: fixed data arrays, mat-vecs
        over their non-zeros, and the source terms (residual at x = 0). Cached per context;
        the mat-vecs are rebuilt only when the sources' Jacobian entries change."""
        t = ctx.t
        cacheable = t is None or isinstance(t, float) or np.ndim(t) == 0
        key = (None if t is None else float(t), ctx.srcfact, ctx.gmin) if cacheable else None
        if key is not None and key == self._lin_key and (self._lin[1] is not None
                                                         or not charges):
            return self._lin
        n = self.n
        i0 = np.zeros(n + 1)
        q0 = np.zeros(n + 1) if charges else None
        g_vals, c_vals = [], []
        # fixed source Jacobians, once stamped, need neither gathering nor comparing
        fixed = self._fixed_jacobians and "g" in self._stamps and (
            not charges or "c" in self._stamps)
        for plan in self._cached:
            ev = plan.dev.evaluate(np.zeros(plan.conn.shape), ctx)
            i0 += np.bincount(plan.i_idx, ev.i.reshape(-1), minlength=n + 1)
            if charges and ev.q is not None:
                q0 += np.bincount(plan.i_idx, ev.q.reshape(-1), minlength=n + 1)
            if fixed:
                continue
            g_vals.append(plan.jac(ev.di))
            if charges:
                c_vals.append(plan.jac(ev.dq) if ev.dq is not None
                              else np.zeros(plan.pos.size))
        if fixed:
            g, g_mv = self._stamps["g"][1:]
            c, c_mv = self._stamps["c"][1:] if charges else (None, None)
        else:
            g, g_mv = self._stamped("g", self.g_lin, g_vals)
            c, c_mv = self._stamped("c", self.c_lin, c_vals) if charges else (None, None)
        i0 = i0[:n] if np.any(i0) else None
        q0 = q0[:n] if charges and np.any(q0) else None
        if charges:
            self.cached_charges = self.cached_charges or q0 is not None \
                or any(np.any(v) for v in c_vals)
        out = (g, c, g_mv, c_mv, i0, q0)
        if key is not None:
            self._lin_key, self._lin = key, out
        return out

    def _stamped(self, which: str, fixed: np.ndarray, vals: list[np.ndarray]):
        """(data, mat-vec) of the fixed stamps plus the cached groups' entries ``vals``;
        reused while those entries stay the same (sources: always)."""
        vals = np.concatenate(vals) if vals else np.zeros(0)
        last = self._stamps.get(which)
        if last is not None and np.array_equal(last[0], vals):
            return last[1], last[2]
        data = fixed.copy()
        if vals.size:
            pos = np.concatenate([p.pos for p in self._cached])
            data += np.bincount(pos, vals, minlength=self.nnz)
        mv = SparseMatVec(self.cc.indices, self._col_of, data, self.n)
        self._stamps[which] = (vals, data, mv)
        return data, mv

    def charge_states(self, a: Assembled, x: np.ndarray,
                      x_from: np.ndarray | None = None) -> np.ndarray:
        """Every device's own charges (static groups from x, others from the assembly ``a``),
        the quantities whose truncation error the time-step control bounds (as SPICE does per
        device, so a small charge is not hidden behind a large one on the same node).
        x_from: the point ``a`` was assembled at; the assembled charges are then carried to x
        along their Jacobian, as the system charges are after Newton's last update."""
        if not a.local_q:
            return self.state_matrix @ x
        local = a.local_q
        if x_from is not None:
            dx = np.append(x - x_from, 0.0)
            local = [q if dq is None else q + _bmv(dq, dx[conn]).reshape(-1)
                     for q, dq, conn in zip(local, a.local_dq, a.local_conn)]
        return np.concatenate([self.state_matrix @ x, *local])

    def scatter_states(self, a: Assembled, s: np.ndarray) -> np.ndarray:
        """(n,) system rows of per-device quantities s laid out as :meth:`charge_states`
        (charges, or their time derivatives): each device's own terms summed into its rows."""
        rows = self.state_rows if a.local_rows is None or not a.local_rows.size else \
            np.concatenate([self.state_rows, a.local_rows])
        return np.bincount(rows, s, minlength=self.n + 1)[:self.n]

    def _scatter_jac(self, grp: CompiledGroup, local: np.ndarray) -> np.ndarray:
        vals = local[..., grp.rows, grp.cols].reshape(-1)[grp.jac_keep]
        return np.bincount(grp.jac_pos[grp.jac_keep], vals, minlength=self.nnz)

    def reset_limiting(self, initial: bool = False) -> None:
        """Forget the previous iterate; with ``initial``, the next evaluation of each device is
        at its SPICE first-iteration point (the start of an operating point)."""
        self.limit_memory.clear()
        self.initial_junctions = initial

    def _indices(self, i_parts: tuple, g_parts: tuple, q_parts: tuple, c_parts: tuple):
        """Concatenated scatter indices for the groups that contributed (cached)."""
        key = (i_parts, g_parts, q_parts, c_parts)
        hit = self._index_cache.get(key)
        if hit is None:
            plans = self._evaluated
            def cat(sel: tuple, attr: str) -> np.ndarray:
                if not sel:
                    return np.zeros(0, np.intp)
                return np.concatenate([getattr(plans[j], attr) for j in sel])

            hit = (cat(i_parts, "i_idx"), cat(g_parts, "pos"), cat(q_parts, "i_idx"),
                   cat(c_parts, "pos"))
            self._index_cache[key] = hit
        return hit

    # ------------------------------------------------------------------ assembly
    def assemble(
        self,
        x: np.ndarray,
        ctx: EvalContext,
        *,
        charges: bool = False,
        limiting: bool = True,
        history: IncrementalHistory | None = None,
        x_ref: np.ndarray | None = None,
        local: dict[int, np.ndarray] | None = None,
    ) -> Assembled:
        """Residual currents, Jacobian data (and charges when ``charges``) at x (n,).

        history: when given (transient), incremental charges are integrated from it; without
        it (AC), ``c_incr`` is added to the charge Jacobian as a plain capacitance.
        x_ref: (n,) the charges of the fixed linear stamps are measured from x_ref (the
        transient's previous point, so that a small step's charge change is not the rounded
        difference of two large charges).
        local: {group index: (N, U) local unknowns} evaluated instead of x's (a uic start's
        device ic= voltages).
        """
        n = self.n
        x_ext = self._x_ext
        x_ext[:n] = x
        i_val, g_val, q_val, c_val = [], [], [], []
        i_sel, g_sel, q_sel, c_sel = [], [], [], []
        limited = False
        local_q: list[np.ndarray] = []
        local_dq: list[np.ndarray | None] = []
        local_conn: list[np.ndarray] = []
        incr_now: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        tested = self._tested = []
        for j, plan in enumerate(self._evaluated):
            xl = x_ext[plan.conn] if local is None or plan.k not in local else local[plan.k]
            ld = self._fused_load(plan, xl, ctx, charges, limiting, history) \
                if plan.fused and not (self.fix_off and plan.off is not None) else None
            if ld is None:
                ld = self._separate_load(plan, xl, ctx, charges, limiting, history)
            limited = limited or ld.limited
            if plan.test_rows is not None:
                tested.append((plan, ld.i, ld.di))
            i_sel.append(j)
            i_val.append(ld.i.reshape(-1))
            g_sel.append(j)
            g_val.append(plan.jac(ld.di))
            if not charges:
                continue
            if ld.q_inc is not None:
                incr_now[plan.k] = (xl, ld.q_inc, ld.c_incr)
            if ld.q is not None:
                q_sel.append(j)
                q_val.append(ld.q.reshape(-1))
                local_q.append(q_val[-1])
                local_dq.append(ld.dq)
                local_conn.append(plan.conn)
            if ld.dq is not None:
                c_sel.append(j)
                c_val.append(plan.jac(ld.dq))

        g_lin, c_lin, g_mv, c_mv, i0, q0 = self._linear_terms(ctx, charges)
        i_idx, g_pos, q_idx, c_pos = self._indices(tuple(i_sel), tuple(g_sel), tuple(q_sel),
                                                   tuple(c_sel))
        i = g_mv @ x
        if i0 is not None:
            i += i0
        if i_val:
            i += np.bincount(i_idx, _cat(i_val), minlength=n + 1)[:n]
            g = np.bincount(g_pos, _cat(g_val), minlength=self.nnz)
            g += g_lin
        else:
            g = g_lin.copy()
        out = Assembled(i=i, g=g, limited=limited, incr=incr_now, local_q=local_q,
                        local_rows=q_idx, local_dq=local_dq, local_conn=local_conn)
        if charges:
            q = c_mv @ (x if x_ref is None else x - x_ref)
            q_nl = q0
            if q_val:
                q_loc = np.bincount(q_idx, _cat(q_val), minlength=n + 1)[:n]
                q_nl = q_loc if q_nl is None else q_nl + q_loc
            if q_nl is not None:
                q += q_nl
            if c_val:
                out.c_nl = np.bincount(c_pos, _cat(c_val), minlength=self.nnz)
                c = out.c_nl + c_lin
            else:
                c = c_lin.copy()
            out.q, out.c, out.q_nl = q, c, q_nl
        return out

    def currents_converged(self, dx: np.ndarray, reltol: float, abstol: float) -> bool:
        """SPICE's device convergence test (DIOconvTest, MOS1convTest) for the Newton step dx
        (n,) taken from the last assembly: every node current of a junction device, moved along
        its Jacobian, ``|di dx| <= reltol max(|i|, |i + di dx|) + abstol``. A node test on the
        voltages alone passes a forward-biased junction whose current is still moving (a
        tenth of a millivolt is several percent of its current)."""
        if not self._tested:
            return True
        dx_ext = self._dx_ext
        # a change within the rounding of the node voltages is none: at 1e12 V it is 1e-4 V,
        # which a junction's exponential would otherwise read as a current still moving
        noise = ROUNDING * np.abs(self._x_ext[:self.n])
        dx_ext[:self.n] = np.sign(dx) * np.maximum(np.abs(dx) - noise, 0.0)
        for plan, i_loc, di in self._tested:
            step = _bmv(di, dx_ext[plan.conn])
            bound = reltol * np.maximum(np.abs(i_loc), np.abs(i_loc + step)) + abstol
            if np.any((np.abs(step) > bound) & plan.test_rows):
                return False
        return True

    def _separate_load(self, plan: _Plan, xl: np.ndarray, ctx: EvalContext, charges: bool,
                       limiting: bool, history: IncrementalHistory | None) -> Load:
        """One group's load in separate steps: limiting (SPICE's first-iteration point at a
        cold start), evaluate, the linear extrapolation to xl and the incremental (Meyer)
        charges; q and dq are None without ``charges``."""
        k, dev = plan.k, plan.dev
        x_eval = xl
        limited = False
        if limiting:
            old = self.limit_memory.get(k)
            if old is None and self.initial_junctions:
                start = dev.initial_point(xl)
                if start is not None:
                    limited = True
                    x_eval = start
            elif old is not None:
                lim = limited_point(dev, xl, old)
                if lim is not None:
                    limited = True
                    x_eval = lim
        pinned = self.fix_off and plan.off is not None
        if pinned:  # remembered there too, as SPICE keeps the off device's voltages at 0;
            # only the other instances' limiting holds Newton back
            x_eval = np.where(plan.off[:, None], dev.initial_point(x_eval), x_eval)
            limited = limited and bool(np.any(np.abs(x_eval - xl)[~plan.off] > 1e-12))
        if limiting:
            self.limit_memory[k] = x_eval
        ev: Evaluation = dev.evaluate(x_eval, ctx)
        delta = xl - x_eval if limited or pinned else None
        i_loc = ev.i if delta is None else ev.i + _bmv(ev.di, delta)
        ld = Load(x_eval=x_eval, limited=limited or ev.unsettled, i=i_loc, di=ev.di, q=None,
                  dq=None)
        if not charges:
            return ld
        q_loc, dq_loc = ev.q, ev.dq
        if ev.c_incr is not None:
            if history is not None:
                x_prev, q_prev, c_prev = history.groups[k]
                c_avg = 0.5 * (ev.c_incr + c_prev)
                ld.q_inc = q_prev + _bmv(c_avg, xl - x_prev)
                ld.c_incr = ev.c_incr
                q_loc = ld.q_inc if q_loc is None else q_loc + ld.q_inc
                dq_loc = c_avg if dq_loc is None else dq_loc + c_avg
            else:
                dq_loc = ev.c_incr if dq_loc is None else dq_loc + ev.c_incr
        if q_loc is not None and delta is not None and ev.dq is not None:
            q_loc = q_loc + _bmv(ev.dq, delta)
        ld.q, ld.dq = q_loc, dq_loc
        return ld

    def _fused_load(self, plan: _Plan, xl: np.ndarray, ctx: EvalContext, charges: bool,
                    limiting: bool, history: IncrementalHistory | None) -> Load | None:
        """The group's own fused load (DeviceGroup.load), or None for the separate steps
        (also for SPICE's first-iteration junction point, which it does not handle)."""
        old = None
        if limiting:
            old = self.limit_memory.get(plan.k)
            if old is None and self.initial_junctions:
                return None
        meyer = 0 if not charges else (2 if history is None else 1)
        entry = history.groups.get(plan.k) if meyer == 1 else None
        ld = plan.dev.load(xl, old, ctx, entry, meyer)
        if ld is not None and limiting:
            self.limit_memory[plan.k] = ld.x_eval
        return ld

    def initial_history(self, x: np.ndarray, ctx: EvalContext,
                        local: dict[int, np.ndarray] | None = None) -> IncrementalHistory:
        """History at a starting point: q_incr = C(x0) x0, as ngspice's first time step
        (local: as in :meth:`assemble`)."""
        hist = IncrementalHistory()
        x_ext = np.append(x, 0.0)
        for k, grp in self.dynamic:
            xl = x_ext[grp.conn] if local is None or k not in local else local[k]
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


def limited_point(dev, x: np.ndarray, old: np.ndarray) -> np.ndarray | None:
    """The device's junction-limited version of x (..., N, U) given its previous evaluation
    point, or None when limiting left x unchanged (limiters rebuild the vector
    arithmetically, so the comparison has a tolerance)."""
    lim = dev.limit(x, old)
    if lim is not None and np.max(np.abs(lim - x), initial=0.0) > 1e-12:
        return lim
    return None


def _bmv(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Batched small mat-vec ``a[..., r, c] x[..., c]`` (einsum: stacked ``@`` calls BLAS once
    per (U, U) matrix and was 1.5x slower)."""
    return np.einsum("...rc,...c->...r", a, x)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
