"""Weak-RF DC response (``.rfdc``): the DC outputs of a circuit driven by many RF tones, exact to
second order in the RF amplitudes, without a harmonic-balance mixing grid.

Equations (docs/rfdc.md has the derivation and usage). The periodic sources describe themselves
as spectral lines (:meth:`DeviceGroup.spectral_excitation`, residual-convention peak phasors);
the lines at frequency 0 form the DC source vector e_0, the others are grouped by frequency into
tones k with excitation vectors E_k (several sources at one frequency add). With
``x(t) = x0 + Re sum_k X_k e^{j w_k t} + (second order) + ...``:

1. operating point with the DC terms only, ``i(x0) + e_0 = 0``: the time-varying groups are
   evaluated with srcfact = 0 (their own source terms vanish) and e_0 is added explicitly;
2. first order, one factorisation per tone: ``(G + j w_k C) X_k = -E_k`` with G = di/dx and
   C = dq/dx at x0 (Meyer ``c_incr`` added to C, as in AC);
3. second-order DC shift, the time average of the quadratic terms of the static currents:
   ``G dx = -(1/4) sum_k H[X_k, conj X_k]``, H the Hessian of i (H[X, conj X] = H[a, a] +
   H[b, b] for X = a + j b). Charges add nothing at DC (dq/dt averages to 0 over a period).
   Two distinct tones j != k mix only to lines at f_j +- f_k, never to DC; tones whose
   frequencies coincide (relative difference below ``MERGE_RTOL``) are one tone and are merged.
   The DC output is ``x0 + dx``.

Held states (hysteretic memristor/MTJ states) stay held throughout: their rows are
``x_k = initial`` in G, in every small-signal matrix (C zeroed there) and in the DC shift.

Second derivatives. Each nonlinear group's local Hessian tensor T[n, r, c, d] =
d^2 i_r / dx_c dx_d is built once from the devices' analytic Jacobians, by Richardson-
extrapolated central differences along each local unknown (all instances at once, batch axis):

    D(h) = (J(x + h e_d) - J(x - h e_d)) / 2h = T[..., d] + h^2 J'''/6 + h^4 J^(5)/120 + ...
    T[..., d] ~ (4 D(h/2) - D(h)) / 3          (error ~ h^4 J^(5)/480)

with h = ``DELTA`` x the unknown's unit (1 mV, 1 uA, 1e-3 for states). For an exponential of
scale V_T = 26 mV the truncation error is (h/V_T)^4/480 ~ 5e-9 relative and the rounding error
about eps V_T / h ~ 1e-14; devices quadratic in their unknowns (the spin diode's V = I R(states))
are exact. T is kept sparse (its nonzero (r, c, d) entries), so the sum over tones is a
contraction with each instance's Gram matrix ``M = sum_k Re(X_k X_k^H)``:
``sum_k H[X_k, conj X_k] = T : M`` -- a cost independent of the number of tones.

Validity (``validity=True``; one more factorisation per tone, A(2 w_k)). The neglected terms
start at the fourth power of the amplitude. Their estimate adds in magnitude (docs/rfdc.md):
each tone's own loops through its DC shift dx_k and its second harmonic Y_k (exact for one tone
but for the compression terms), pairs of tones bounded by adding those coherently
(``2 (sum_k sqrt|e_k|)^2 - sum_k |e_k|``), the third derivative along the whole shift
(Hessian at x0 + dx), and the static quartic term from the secant along the actual swings.
It is compared with each output's RF-induced shift (:func:`_relative`). When it exceeds
``maxrel`` the results are still returned, with a :class:`RfdcValidityWarning` naming the
outputs, the device whose neglected terms dominate the worst one and the tone (and sources)
driving it hardest; ``stats['warnings']`` keeps the message. Measured against transients: a
diode rectifier 2.7-4x conservative, a port-driven spin diode 0.65-1.0x, two tones 1.4-12x.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from netsim.analysis.linalg import LinearSolver, SingularMatrixError, make_solver
from netsim.analysis.op import solve_op
from netsim.circuit.compile import CompiledGroup
from netsim.errors import AnalysisError, ConvergenceError
from netsim.results import AnalysisResult

DELTA = 1e-3  # Hessian step, in units of UNIT
UNIT = {"v": 1.0, "i": 1e-3, "s": 1.0}  # unknown scale per kind (V, A, state)
MERGE_RTOL = 1e-12  # tones closer than this (relative) are one tone
EVAL_ENTRIES = 4_000_000  # Jacobian entries per batched device evaluation
BLOCK_ENTRIES = 4_000_000  # entries of per-tone vectors held at once
FLOOR = 1e-3  # an output's shift is compared with at least FLOOR x the largest of its kind


class RfdcValidityWarning(UserWarning):
    """The weak-signal estimate of the neglected orders exceeds ``maxrel``."""


@dataclass
class Tones:
    """Spectral excitation on the global grid.

    dc: (n,) DC source vector; freq: (K,) distinct tone frequencies (Hz, ascending);
    the excitation of tone k is ``value[ptr[k]:ptr[k+1]]`` on unknowns ``row[...]``
    (residual convention); sources: names of the sources per tone.
    """

    dc: np.ndarray
    freq: np.ndarray
    ptr: np.ndarray
    row: np.ndarray
    value: np.ndarray
    sources: list[list[str]]

    def rhs(self, k: int) -> np.ndarray:
        """(n,) complex right-hand side -E_k of tone k."""
        out = np.zeros(self.dc.size, dtype=complex)
        lo, hi = self.ptr[k], self.ptr[k + 1]
        np.add.at(out, self.row[lo:hi], -self.value[lo:hi])
        return out


def collect_tones(sim) -> Tones:
    """Gather the time-varying groups' spectral lines into a DC vector and per-tone vectors."""
    cc = sim.compiled
    n = cc.n
    dc = np.zeros(n + 1)
    idx, freq, val, who = [], [], [], []
    for grp in cc.groups:
        dev = grp.device
        if not dev.time_varying:
            continue
        try:
            spec = dev.spectral_excitation()
        except AnalysisError as err:
            raise AnalysisError(
                f".rfdc needs sources made of DC and sine lines: {err.message}", err.span,
                hint=err.hint) from None
        if spec is None:
            first = dev.instances[0]
            names = ", ".join(f"'{nm}'" for nm in dev.names[:5])
            more = f" and {dev.n - 5} more" if dev.n > 5 else ""
            raise AnalysisError(
                f".rfdc cannot represent the time-varying {dev.family} {names}{more}: it has "
                "no spectral (DC + sine) description", first.span,
                hint="drive the circuit with V/I sources (DC or SIN) or RF ports (P), or run "
                     "a transient")
        if np.any(spec.series):
            k = int(spec.inst[np.argmax(spec.series)])
            raise AnalysisError(
                f".rfdc needs sources made of DC and sine lines: source '{dev.names[k]}' has a "
                "PULSE/PWL waveform (a strong, many-harmonic drive)", dev.instances[k].span,
                hint="use SIN or RF port (P) sources for weak RF drive, or run .hb")
        rows = grp.conn[spec.inst, spec.row]
        f = np.asarray(spec.freq, dtype=float)
        v = np.asarray(spec.value, dtype=complex)
        neg = f < 0  # Re(v e^{-jwt}) = Re(conj(v) e^{jwt})
        v = np.where(neg, np.conj(v), v)
        f = np.abs(f)
        at_dc = f == 0.0
        np.add.at(dc, rows[at_dc], v[at_dc].real)
        keep = ~at_dc & (v != 0)
        idx.append(rows[keep])
        freq.append(f[keep])
        val.append(v[keep])
        who += [dev.names[k] for k in spec.inst[keep]]
    if idx:
        rows, f, v = np.concatenate(idx), np.concatenate(freq), np.concatenate(val)
    else:
        rows, f, v = np.zeros(0, np.int64), np.zeros(0), np.zeros(0, complex)
    order = np.argsort(f, kind="stable")
    rows, f, v = rows[order], f[order], v[order]
    who = [who[k] for k in order]
    new = np.ones(f.size, dtype=bool)
    if f.size:
        new[1:] = np.diff(f) > MERGE_RTOL * f[1:]
    tone = np.cumsum(new) - 1
    heads = f[new]
    sources: list[list[str]] = [[] for _ in range(heads.size)]
    for k, name in zip(tone, who):
        if name not in sources[k]:
            sources[k].append(name)
    keep = rows < n  # lines on ground rows vanish
    ptr = np.concatenate([[0], np.cumsum(np.bincount(tone[keep], minlength=heads.size))])
    return Tones(dc[:n], heads, ptr.astype(np.int64), rows[keep], v[keep], sources)


class _Hessian:
    """A group's local second-derivative tensor T[n, r, c, d], kept as its nonzero (r, c, d)
    entries (the union over instances): ``val`` (N, E)."""

    def __init__(self, dense: np.ndarray) -> None:
        u = dense.shape[-1]
        self.r, self.c, self.d = np.nonzero(np.any(dense != 0.0, axis=0))
        self.val = dense[:, self.r, self.c, self.d]
        self.onehot = np.zeros((self.r.size, u))
        self.onehot[np.arange(self.r.size), self.r] = 1.0

    def apply(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """T[a, b] (..., N, U) for local vectors a, b (..., N, U)."""
        return (self.val * a[..., self.c] * b[..., self.d]) @ self.onehot

    def gram(self, m: np.ndarray) -> np.ndarray:
        """sum_cd T[:, r, c, d] m[:, c, d] (N, U) for m (N, U, U)."""
        return (self.val * m[:, self.c, self.d]) @ self.onehot


@dataclass
class _Local:
    """A nonlinear group's share of the work."""

    grp: CompiledGroup
    unit: np.ndarray  # (N, U) scale of each local unknown
    active: np.ndarray  # (N, U) local unknowns that move (not ground, not held)
    ti: _Hessian  # Hessian of the currents at x0
    tq: _Hessian | None  # Hessian of the charges at x0 (None: linear charges)
    gram: np.ndarray  # (N, U, U) sum_k Re(X_k X_k^H)
    amp: list[np.ndarray] = field(default_factory=list)  # per tone (N,) scaled amplitude
    h: np.ndarray | None = None  # (N, U) T : gram
    q: np.ndarray | None = None  # (N, U) quartic estimate (residual form)
    d3: np.ndarray | None = None  # (N, U) third-derivative term along dx (residual form)
    b: np.ndarray | None = None  # (N, U) magnitude of the loop terms (residual form)


def _derivatives(dev, ctx, xl: np.ndarray, unit: np.ndarray, active: np.ndarray):
    """Dense Hessians (N, U, U, U) of the currents and of the charges (None when zero) of a
    group at local unknowns xl, by Richardson central differences of its Jacobians.

    Only ``active`` (N, U) columns are differentiated: ground and held unknowns never move
    (their small-signal values are exactly 0), so their columns stay 0."""
    nn, u = xl.shape
    ti = np.zeros((nn, u, u, u))
    tq = np.zeros((nn, u, u, u))
    with np.errstate(all="ignore"):
        for d in range(u):
            if not np.any(active[:, d]):
                continue
            h = np.where(active[:, d], DELTA * unit[:, d], 0.0)
            step = np.zeros((4, nn, u))
            step[:, :, d] = np.array([1.0, -1.0, 0.5, -0.5])[:, None] * h
            ev = dev.evaluate(xl + step, ctx)
            caps = [m for m in (ev.dq, ev.c_incr) if m is not None]
            inv = np.where(active[:, d], 1.0 / np.where(active[:, d], h, 1.0), 0.0)
            for jac, out in ((ev.di, ti), (sum(caps) if caps else None, tq)):
                if jac is None:
                    continue
                jac = np.broadcast_to(jac, (4, nn, u, u))
                d1 = 0.5 * (jac[0] - jac[1]) * inv[:, None, None]
                d2 = (jac[2] - jac[3]) * inv[:, None, None]
                out[..., d] = (4.0 * d2 - d1) / 3.0
    if not (np.all(np.isfinite(ti)) and np.all(np.isfinite(tq))):
        bad = int(np.nonzero(~np.all(np.isfinite(ti) & np.isfinite(tq), axis=(1, 2, 3)))[0][0])
        raise AnalysisError(f".rfdc: the second derivatives of {dev.family} "
                            f"'{dev.names[bad]}' are not finite at the operating point",
                            dev.instances[bad].span,
                            hint="check the device's operating point (.op) and parameters")
    return ti, (tq if np.any(tq) else None)


def _jv(dev, ctx, xs: np.ndarray, vs: np.ndarray) -> np.ndarray:
    """J(xs) vs for a batch (B, N, U), evaluated in chunks along the batch axis."""
    b, nn, u = xs.shape
    step = max(1, EVAL_ENTRIES // max(1, nn * u * u))
    out = np.empty_like(xs)
    with np.errstate(all="ignore"):
        for lo in range(0, b, step):
            ev = dev.evaluate(xs[lo:lo + step], ctx)
            out[lo:lo + step] = np.einsum("...rc,...c->...r", ev.di, vs[lo:lo + step])
    return out


def _scatter(grp: CompiledGroup, local: np.ndarray, n: int) -> np.ndarray:
    """Sum local (N, U) row values (real or complex) into a global (n,) vector."""
    idx = grp.conn.ravel()
    if np.iscomplexobj(local):
        return (np.bincount(idx, local.real.ravel(), minlength=n + 1)[:n]
                + 1j * np.bincount(idx, local.imag.ravel(), minlength=n + 1)[:n])
    return np.bincount(idx, local.ravel(), minlength=n + 1)[:n]


def _hold(sim, data: np.ndarray, diag: float) -> np.ndarray:
    """Held-state rows of CSC data replaced by ``diag`` on the diagonal, 0 elsewhere."""
    cc = sim.compiled
    if not cc.held.size:
        return data
    data = data.copy()
    data[sim.held_entries] = 0.0
    data[cc.diag_pos[cc.held]] = diag
    return data


def _pruned_solver(sim, keep: np.ndarray) -> tuple[LinearSolver, np.ndarray]:
    """A solver on the compiled CSC pattern without the entries that are zero here (``keep``
    false), and the data positions it uses.

    G and C are fixed for the whole analysis, so entries that vanish at the operating point
    (e.g. d(I R)/dstate at zero current) stay zero; dropping them lets the sparse LU's
    structural transversal use true nonzeros only (on a spin-diode chain KLU's fill fell from
    3e5 to 1.4e4 entries and the complex refactorisation from 4 ms to 0.8 ms)."""
    cc = sim.compiled
    pos = np.nonzero(keep)[0]
    indptr = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])[cc.indptr]
    solver = make_solver(cc.n, indptr, cc.indices[pos].astype(np.int64),
                         sim.circuit.options.get("solver"))
    return solver, pos


class _Tones:
    """Factor-and-solve of the small-signal systems A(f) X = rhs on a pruned pattern."""

    def __init__(self, sim, g: np.ndarray, c: np.ndarray) -> None:
        self.sim = sim
        self.solver, pos = _pruned_solver(sim, (g != 0.0) | (c != 0.0))
        self.g, self.c = g[pos], c[pos]

    def factor(self, f: float) -> None:
        try:
            self.solver.factor(self.g + 2j * np.pi * f * self.c)
        except SingularMatrixError as err:
            cc = self.sim.compiled
            raise ConvergenceError(
                f"singular .rfdc small-signal matrix at f={f:g} Hz; check unknown "
                f"{cc.names[err.index]}",
                hint="a node may have no path to ground at this frequency") from None

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """Solution padded with the ground entry (n + 1,); held rows of rhs are zeroed."""
        rhs = np.array(rhs, dtype=complex)
        rhs[self.sim.compiled.held] = 0.0
        return np.append(self.solver.solve(rhs), 0.0)


def run_rfdc(sim, maxrel: float = 0.01, validity: bool = True) -> AnalysisResult:
    """The ``.rfdc`` analysis: DC outputs to second order in the RF amplitudes (module doc).

    validity: estimate the neglected orders (one more factorisation per tone)."""
    start = time.perf_counter()
    if not maxrel > 0:
        raise AnalysisError(f".rfdc maxrel must be > 0, got {maxrel:g}",
                            hint="e.g. `.rfdc maxrel=0.01` (1 % relative error)")
    cc = sim.compiled
    n = cc.n
    tones = collect_tones(sim)
    nodeset = sim.clamp(sim.circuit.nodeset) if sim.circuit.nodeset else None
    x0, iters = solve_op(sim, sim.ctx(None), nodeset=nodeset, source=tones.dc,
                         where="in the .rfdc operating point")
    ctx0 = sim.ctx(None, srcfact=0.0)
    a = sim.assembler.assemble(x0, ctx0, charges=True, limiting=False)
    g, c = _hold(sim, a.g, 1.0), _hold(sim, a.c, 0.0)
    dc_solver, pos = _pruned_solver(sim, g != 0.0)
    try:
        dc_solver.factor(g[pos])
    except SingularMatrixError as err:
        raise ConvergenceError(f"singular .rfdc DC matrix; check unknown {cc.names[err.index]}",
                               hint="a node may have no DC path to ground") from None

    x0_ext = np.append(x0, 0.0)
    kinds = np.append(cc.kinds, "v")
    locals_ = []
    for _, grp in sim.assembler.dynamic:
        if grp.device.linear:
            continue  # no second derivatives
        unit = np.vectorize(UNIT.get, otypes=[float])(kinds[grp.conn])
        active = (grp.conn < n) & ~np.isin(grp.conn, cc.held)
        ti, tq = _derivatives(grp.device, ctx0, x0_ext[grp.conn], unit, active)
        nn, u = grp.conn.shape
        locals_.append(_Local(grp, unit, active, _Hessian(ti),
                              None if tq is None else _Hessian(tq), np.zeros((nn, u, u))))

    # first order, one factorisation per tone: the Gram matrices of the local swings
    small = _Tones(sim, g, c)
    check = _Validity(sim, g, c, locals_, dc_solver) if validity else None
    for k, f in enumerate(tones.freq):
        small.factor(f)
        xk = small.solve(tones.rhs(k))
        xls = [xk[loc.grp.conn] for loc in locals_]
        for loc, xl in zip(locals_, xls):
            loc.gram += (xl[:, :, None] * xl.conj()[:, None, :]).real
            loc.amp.append(np.max(np.abs(xl) / loc.unit, axis=-1))
        if check is not None:
            check.tone(f, xls, small)
    h2 = np.zeros(n)
    for loc in locals_:
        loc.h = loc.ti.gram(loc.gram)
        h2 += _scatter(loc.grp, loc.h, n)
    h2[cc.held] = 0.0
    dx = dc_solver.solve(-0.25 * h2)
    x = x0 + dx

    cols = {k: np.asarray(v) for k, v in sim.output_columns("rfdc", x).items()}
    k_total = int(tones.freq.size)
    stats = {"points": 1, "tones": k_total, "newton_iterations": iters,
             "factorizations": (2 if validity else 1) * k_total + 1, "maxrel": float(maxrel)}
    if check is not None:
        est = check.finish(ctx0, x0, dx, tones.freq.size)
        rel = _relative(sim, maxrel, sim.output_columns("rfdc", dx), est)
        worst = max(rel, key=rel.get) if rel else None
        stats["validity"] = float(rel[worst]) if worst is not None else 0.0
        stats["validity_output"] = worst
        over = sorted((k for k, v in rel.items() if v > maxrel), key=rel.get, reverse=True)
        if over:
            message = _warning(sim, tones, over, rel, maxrel, g, locals_)
            stats["warnings"] = [message]
            warnings.warn(message, RfdcValidityWarning, stacklevel=3)
    stats["seconds"] = time.perf_counter() - start
    return AnalysisResult("rfdc", "rfdc", cols, stats, raw=x)


class _Validity:
    """The fourth-order error estimate (module doc), accumulated tone by tone alongside the
    first-order solutions, then completed with the static terms."""

    def __init__(self, sim, g, c, locals_, dc_solver) -> None:
        self.sim, self.locals_, self.dc_solver = sim, locals_, dc_solver
        self.n = sim.compiled.n
        self.second = _Tones(sim, g, c)  # the second-harmonic systems A(2 w)
        self.block = max(1, BLOCK_ENTRIES // max(1, self.n))
        self.acc: dict[str, list[float]] = {}  # output -> [sum sqrt|e_k|, sum |e_k|]
        self.pending: list[np.ndarray] = []
        for loc in locals_:
            loc.b = np.zeros(loc.grp.conn.shape)

    def tone(self, f: float, xls: list[np.ndarray], first: _Tones) -> None:
        """The tone's own loops; ``first`` holds the factorisation of A(w) at this tone."""
        n, locals_ = self.n, self.locals_
        held = self.sim.compiled.held
        w = 2.0 * np.pi * f
        hk, s2 = np.zeros(n), np.zeros(n, dtype=complex)
        for loc, xl in zip(locals_, xls):
            hk += _scatter(loc.grp, loc.ti.apply(xl, xl.conj()).real, n)
            part = loc.ti.apply(xl, xl)
            if loc.tq is not None:
                part = part + 2j * w * loc.tq.apply(xl, xl)
            s2 += _scatter(loc.grp, 0.25 * part, n)
        hk[held] = 0.0
        dxk = np.append(self.dc_solver.solve(-0.25 * hk), 0.0)
        self.second.factor(2.0 * f)
        yk = self.second.solve(-s2)
        wv = np.zeros(n, dtype=complex)
        for loc, xl in zip(locals_, xls):
            dxl, yl = dxk[loc.grp.conn], yk[loc.grp.conn]
            part = loc.ti.apply(dxl, xl) + 0.5 * loc.ti.apply(xl.conj(), yl)
            if loc.tq is not None:
                part = part + 1j * w * (loc.tq.apply(dxl, xl) + 0.5 * loc.tq.apply(xl.conj(), yl))
            wv += _scatter(loc.grp, part, n)
        zk = first.solve(-wv)
        r = np.zeros(n)
        for loc, xl in zip(locals_, xls):
            dxl, yl, zl = dxk[loc.grp.conn], yk[loc.grp.conn], zk[loc.grp.conn]
            part = (0.5 * loc.ti.apply(xl, zl.conj()) + 0.25 * loc.ti.apply(yl, yl.conj())).real
            part = part + 0.5 * loc.ti.apply(dxl, dxl)
            r += _scatter(loc.grp, part, n)
            loc.b += np.abs(part)
        r[held] = 0.0
        self.pending.append(r)
        if len(self.pending) >= self.block:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        with np.errstate(all="ignore"):
            e = self.dc_solver.solve(-np.array(self.pending).T).T
        for name, v in self.sim.output_columns("rfdc", e).items():
            a = np.abs(np.asarray(v, dtype=float))
            s = self.acc.setdefault(name, [0.0, 0.0])
            s[0] += float(np.sqrt(a).sum())
            s[1] += float(a.sum())
        self.pending.clear()

    def finish(self, ctx0, x0, dx, k_total: int) -> dict[str, float]:
        """Estimated fourth-order error (absolute) of each output."""
        self._flush()
        sim, n = self.sim, self.n
        held = sim.compiled.held
        x0_ext, dx_ext = np.append(x0, 0.0), np.append(dx, 0.0)
        q4, d4 = np.zeros(n), np.zeros(n)
        for loc in self.locals_:
            dev, conn = loc.grp.device, loc.grp.conn
            xl0 = x0_ext[conn]
            # static quartic: secant along the eigen-directions of the scaled Gram matrix
            scale = loc.unit[:, :, None] * loc.unit[:, None, :]
            lam, vec = np.linalg.eigh(loc.gram / scale)
            dirs = (vec * np.sqrt(np.maximum(lam, 0.0))[:, None, :]).transpose(2, 0, 1)
            dirs = dirs * loc.unit
            jv = _jv(dev, ctx0, np.concatenate([xl0 + dirs, xl0 - dirs]),
                     np.concatenate([dirs, dirs])).reshape(2, *dirs.shape)
            sec = (0.5 * (jv[0] - jv[1]) - loc.ti.apply(dirs, dirs)).sum(axis=0)
            p2 = np.stack(loc.amp) ** 2 if k_total else np.zeros((1, len(conn)))
            with np.errstate(all="ignore"):
                keff = np.where(p2.sum(0) > 0, p2.sum(0) ** 2 / (p2**2).sum(0), 1.0)
            loc.q = 0.25 * 0.75 * (1.0 - 0.5 / keff)[:, None] * sec
            # all tones through the operating-point shift: (1/4) D3[dx, X, conj X]
            ti1, _ = _derivatives(dev, ctx0, xl0 + dx_ext[conn], loc.unit, loc.active)
            loc.d3 = 0.25 * (np.einsum("nrcd,ncd->nr", ti1, loc.gram) - loc.h)
            loc.b += np.abs(loc.d3)
            q4 += _scatter(loc.grp, loc.q, n)
            d4 += _scatter(loc.grp, loc.d3, n)
        q4[held] = 0.0
        d4[held] = 0.0
        with np.errstate(all="ignore"):
            e = self.dc_solver.solve(np.column_stack([-q4, -d4]))
        eq, ed = (sim.output_columns("rfdc", e[:, j]) for j in range(2))
        est = {}
        for name in eq:
            root, total = self.acc.get(name, (0.0, 0.0))
            value = abs(float(eq[name])) + abs(float(ed[name])) + 2.0 * root**2 - total
            est[name] = float("inf") if not np.isfinite(value) else value
        return est


def _relative(sim, maxrel: float, shift: dict, est: dict) -> dict[str, float]:
    """Estimated error over the accepted error scale, per output (SPICE's test form):

        validity = e / (max(|shift|, FLOOR * largest shift of its kind) + atol / maxrel)

    so validity <= maxrel exactly when e <= maxrel * max(...) + atol (vntol for voltages and
    states, abstol for currents): an output whose RF shift vanishes (a line's zero crossing)
    is judged against the others of its kind and the absolute tolerance."""
    big: dict[str, float] = {}
    for name, v in shift.items():
        big[name[0]] = max(big.get(name[0], 0.0), abs(float(v)))
    out = {}
    for name, v in shift.items():
        atol = sim.tol.abstol if name[0] == "i" else sim.tol.vntol
        den = max(abs(float(v)), FLOOR * big[name[0]]) + atol / maxrel
        out[name] = est[name] / den
    return out


class _Probe:
    """Stands for the identity matrix in :meth:`Simulator._quantity`: ``probe[..., k]`` is
    the unit vector e_k, so an output's linear functional comes out as a vector."""

    def __init__(self, n: int) -> None:
        self.shape = (n, n)
        self.n = n

    def __getitem__(self, key):
        e = np.zeros(self.n)
        e[key[-1]] = 1.0
        return e


def _functional(sim, name: str) -> np.ndarray:
    """(n,) coefficients of output ``name`` as a linear function of the unknowns."""
    for col, k in sim.public_columns():
        if col == name:
            e = np.zeros(sim.compiled.n)
            e[k] = 1.0
            return e
    return np.asarray(sim._quantity(name, _Probe(sim.compiled.n)), dtype=float)


def _warning(sim, tones, over, rel, maxrel, g, locals_) -> str:
    """The validity warning: worst outputs, the device whose neglected terms dominate the
    worst one (adjoint weights) and the tone driving that device hardest."""
    cc = sim.compiled
    shown = ", ".join(f"{k} ({rel[k]:.2g})" for k in over[:5])
    more = f" and {len(over) - 5} more" if len(over) > 5 else ""
    text = (f".rfdc weak-signal bound exceeded: estimated relative error of the RF-induced "
            f"DC shift above maxrel={maxrel:g} at {shown}{more}")
    import scipy.sparse as sp  # only on this path (scipy is not loaded at start-up)
    import scipy.sparse.linalg as spla

    try:
        gt = sp.csc_matrix((g, cc.indices, cc.indptr), shape=(cc.n, cc.n)).T.tocsc()
        lam = np.append(spla.splu(gt).solve(_functional(sim, over[0])), 0.0)
    except (RuntimeError, KeyError, ValueError, IndexError):
        return text
    best = (-1.0, None, 0)
    for loc in locals_:
        la = lam[loc.grp.conn]
        with np.errstate(all="ignore"):
            share = np.abs(np.sum(la * loc.q, axis=-1)) + np.sum(np.abs(la) * loc.b, axis=-1)
        share = np.where(np.isnan(share), np.inf, share)
        j = int(np.argmax(share))
        if share[j] > best[0]:
            best = (float(share[j]), loc, j)
    _, loc, j = best
    if loc is None or not loc.amp:
        return text
    k = int(np.argmax(np.stack(loc.amp)[:, j]))
    srcs = ", ".join(tones.sources[k][:4]) + (" ..." if len(tones.sources[k]) > 4 else "")
    return (f"{text}; the neglected orders come mostly from {loc.grp.device.family} "
            f"'{loc.grp.device.names[j]}', driven hardest by the tone at "
            f"{tones.freq[k]:.6g} Hz (sources {srcs}): lower the drive (the relative error "
            "scales as the RF power)")
