"""The harmonic-balance equations of a compiled circuit: spectral residual and its Jacobian.

Unknowns are peak phasors X (L lines, n unknowns), ``x(t) = Re sum_l X_l exp(j w_l t)``, X_0
real. The residual per line is

    F_l = FFT[i(x(t))]_l + j w_l (FFT[q(x(t))]_l) + FFT[C_incr(x(t)) x'(t)]_l
          + (G_lin + j w_l C_lin) X_l + E_l

with the devices evaluated once per time sample through the ordinary device interface (leading
batch axis S), E the sources' spectral lines (DC always, the others times the continuation
factor), and the linear time-invariant part stamped in the spectral domain. Held states (DC
hysteretic memristor/MTJ states) are frozen at their present value over the period: HB gives
the periodic response at that state (the regime where a drive period is much shorter than a
switching time; a state that moves within one period, e.g. a pinched hysteresis loop, is a
transient analysis' job). Holding only their DC line would let x(t) leave its physical bounds
when the present state sits on one.

Real layout: unknown u owns R = 2L - 1 consecutive reals [Re X_0..X_{L-1}, Im X_1..X_{L-1}].
The Jacobian is sparse with the circuit's pattern of (R x R) blocks: a block where a nonlinear
device sits is the conversion matrix of that Jacobian entry's time waveform g(t),

    d Y_l / d X_l' = w_l (G[m_l - m_l'] X_l' + G[m_l + m_l'] conj X_l'),  G = FFT(g) / S,

(w_0 = 1/2, else 1; m the lines' FFT bins), written as a real 2x2 map per line pair; a block of
linear elements only is block-diagonal per line (G + j w C).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netsim.analysis.assembly import limited_point
from netsim.analysis.hb.grid import SpectralGrid
from netsim.circuit.compile import CompiledGroup
from netsim.devices.base import EvalContext, SpectralExcitation
from netsim.errors import AnalysisError


@dataclass
class HBEval:
    """One evaluation: residual (real, n*R), Jacobian CSC data (or None), limited flag,
    the complex residual (L, n) for diagnostics."""

    f: np.ndarray
    jac: np.ndarray | None
    limited: bool
    fc: np.ndarray
    q: np.ndarray | None = None  # (L, n) charge phasors (linear part included)
    ci: np.ndarray | None = None  # (L, n) phasors of C_incr(x) x'(t) (Meyer currents)
    g_avg: np.ndarray | None = None  # (nnz,) time-averaged d i/dx (preconditioner)
    c_avg: np.ndarray | None = None  # (nnz,) time-averaged d q/dx


class HarmonicSystem:
    """Residual and Jacobian of HB for one circuit and grid (see module docstring)."""

    def __init__(self, sim, grid: SpectralGrid) -> None:
        self.sim = sim
        self.grid = grid
        cc = sim.compiled
        self.cc = cc
        self.n = n = cc.n
        self.L = L = grid.lines
        self.R = 2 * L - 1
        self.S = grid.samples
        self.omega = 2 * np.pi * grid.freqs  # (L,) true angular frequencies
        self.gmin = sim.tol.gmin
        asm = sim.assembler
        # ---- linear part: LTI groups plus the homogeneous part of linear time-varying ones
        g_lin, c_lin = asm.g_lin.copy(), asm.c_lin.copy()
        self.nonlinear = []
        excitations: list[tuple[CompiledGroup, SpectralExcitation]] = []
        for _, grp in asm.dynamic:
            dev = grp.device
            if dev.time_varying:
                exc = dev.spectral_excitation()
                if exc is None:
                    inst = dev.instances[0]
                    raise AnalysisError(
                        f"'{inst.name}' ({dev.family}) depends on time in a way harmonic "
                        "balance cannot represent", inst.span,
                        hint="drive HB with DC, SIN or RF port (P) sources")
                excitations.append((grp, exc))
            if dev.linear:
                ev = dev.evaluate(np.zeros(grp.conn.shape), EvalContext(srcfact=0.0,
                                                                        gmin=self.gmin))
                g_lin += asm._scatter_jac(grp, ev.di)
                if ev.dq is not None:
                    c_lin += asm._scatter_jac(grp, ev.dq)
            else:
                self.nonlinear.append(grp)
        self.linear = not self.nonlinear
        self._rows = cc.indices
        self._cols = np.repeat(np.arange(n), np.diff(cc.indptr))
        free = [grp.conn[grp.conn < n] for _, grp in asm.dynamic
                if not grp.device.hold_in_periodic]
        keep = ~np.isin(cc.held, np.concatenate(free)) if free else np.ones(len(cc.held), bool)
        self.held = cc.held[keep]
        self.held_value = cc.held_value[keep]
        self._build_excitation(excitations)
        self._build_pattern(g_lin, c_lin)
        idx = grid.index
        self.conj = idx < 0
        self.bins = np.abs(idx)
        self.diff = (idx[:, None] - idx[None, :]) % self.S
        self.summ = (idx[:, None] + idx[None, :]) % self.S
        self.weight = np.where(np.arange(L) == 0, 0.5, 1.0)
        self.limit_memory: dict[int, np.ndarray] = {}

    # ------------------------------------------------------------------ set-up
    def _build_excitation(self, parts: list[tuple[CompiledGroup, SpectralExcitation]]) -> None:
        """Source lines onto the grid. Harmonics of a PULSE/PWL series beyond the grid are
        dropped; ``self.truncation`` maps each such source to the fraction of its AC power
        (sum of |V_n|^2 / 2 over its lines) that was dropped."""
        n, grid = self.n, self.grid
        e = np.zeros((self.L, n + 1), dtype=complex)
        kept: dict[str, float] = {}
        dropped: dict[str, float] = {}
        for grp, exc in parts:
            lines = grid.lines_of(exc.freq)
            # AC lines of sources that carry a series (fundamental and harmonics)
            source = exc.inst * (int(exc.row.max(initial=0)) + 1) + exc.row
            with_series = np.isin(source, source[exc.series]) & (exc.freq > 0.0)
            for k in range(len(exc.freq)):
                line = None if lines[k] < 0 else int(lines[k])
                if with_series[k]:
                    name = grp.device.instances[int(exc.inst[k])].name
                    book = dropped if line is None and exc.series[k] else kept
                    book[name] = book.get(name, 0.0) + abs(exc.value[k]) ** 2
                if line is None and exc.series[k]:
                    continue  # a harmonic of a PULSE/PWL series beyond the grid
                if line is None:
                    inst = grp.device.instances[int(exc.inst[k])]
                    raise AnalysisError(
                        f"source '{inst.name}' has a line at {exc.freq[k]:g} Hz, which is not "
                        "a mixing product of the .hb tones", inst.span,
                        hint=_missing_tone_hint(grid, float(exc.freq[k])))
                value = exc.value[k]
                e[line, grp.conn[exc.inst[k], exc.row[k]]] += value.real if line == 0 else value
        self.e_dc = e[0, :n].real.copy()
        self.e_ac = e[:, :n].copy()
        self.e_ac[0] = 0.0
        self.truncation = {name: dropped.get(name, 0.0) / total
                           for name in kept if (total := kept[name] + dropped.get(name, 0.0))}

    def _build_pattern(self, g_lin: np.ndarray, c_lin: np.ndarray) -> None:
        """Global real pattern: dense R x R blocks where nonlinear devices sit, per-line
        2x2 blocks elsewhere; CSC data order and the maps into it."""
        cc, n, R, L = self.cc, self.n, self.R, self.L
        nnz = cc.nnz
        col_of = np.repeat(np.arange(n), np.diff(cc.indptr))
        row_of = cc.indices
        dense = np.zeros(nnz, dtype=bool)
        for grp in self.nonlinear:
            dense[grp.jac_pos[grp.jac_keep]] = True
        self.dense_pos = np.nonzero(dense)[0]
        self.sparse_pos = np.nonzero(~dense)[0]
        self.dense_slot = np.full(nnz, -1, dtype=np.int64)
        self.dense_slot[self.dense_pos] = np.arange(len(self.dense_pos))
        # dense blocks: all (r, c)
        r_loc, c_loc = np.meshgrid(np.arange(R), np.arange(R), indexing="ij")
        rows_d = (row_of[self.dense_pos][:, None] * R + r_loc.ravel()[None, :]).ravel()
        cols_d = (col_of[self.dense_pos][:, None] * R + c_loc.ravel()[None, :]).ravel()
        # sparse blocks: (a_l, a_l), (b_l, b_l), (a_l, b_l), (b_l, a_l) for l >= 1; (a_0, a_0)
        a = np.arange(L)
        b = L - 1 + np.arange(1, L)  # real index of Im X_l, l >= 1
        rr = np.concatenate([a, b, a[1:], b])
        c2 = np.concatenate([a, b, b, a[1:]])
        self._pair = (rr, c2)
        rows_s = (row_of[self.sparse_pos][:, None] * R + rr[None, :]).ravel()
        cols_s = (col_of[self.sparse_pos][:, None] * R + c2[None, :]).ravel()
        rows = np.concatenate([rows_d, rows_s])
        cols = np.concatenate([cols_d, cols_s])
        # held states are frozen: every row of theirs becomes the identity
        held_rows = (self.held[:, None] * R + np.arange(R)[None, :]).ravel()
        self.held_drop = np.isin(rows, held_rows) if len(held_rows) else None
        self.held_diag = np.nonzero(np.isin(rows, held_rows) & (rows == cols))[0]
        size = n * R
        key = cols.astype(np.int64) * size + rows
        order = np.argsort(key, kind="stable")
        if np.any(np.diff(key[order]) == 0):
            raise AssertionError("duplicate HB pattern entries")
        self.order = order
        self.size = size
        self.indices = rows[order]
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=size))])
        self.g_lin_all, self.c_lin_all = g_lin, c_lin
        self.g_sparse = g_lin[self.sparse_pos]
        self.c_sparse = c_lin[self.sparse_pos]
        self.g_dense_lin = g_lin[self.dense_pos]
        self.c_dense_lin = c_lin[self.dense_pos]

    # ------------------------------------------------------------------ transforms
    def to_complex(self, z: np.ndarray) -> np.ndarray:
        """Real vector (n*R,) -> phasors (L, n)."""
        zz = z.reshape(self.n, self.R)
        out = zz[:, : self.L].T.astype(complex)
        out[1:] += 1j * zz[:, self.L:].T
        return out

    def to_real(self, x: np.ndarray) -> np.ndarray:
        """Phasors (L, ...) -> real vector, unknown-major."""
        return np.concatenate([x.real.T, x[1:].imag.T], axis=1).ravel()

    def synthesize(self, x: np.ndarray) -> np.ndarray:
        """Phasors (L, m) -> time samples (S, m)."""
        spec = np.zeros((self.S // 2 + 1, x.shape[1]), dtype=complex)
        xc = np.where(self.conj[:, None], np.conj(x), x)
        np.add.at(spec, self.bins[1:], 0.5 * self.S * xc[1:])
        spec[0] = self.S * x[0].real
        return np.fft.irfft(spec, n=self.S, axis=0)

    def analyze(self, y: np.ndarray) -> np.ndarray:
        """Time samples (S, ...) -> phasors (L, ...) of the grid's lines."""
        spec = np.fft.rfft(y, axis=0)[self.bins]
        spec = np.where(self.conj.reshape((-1,) + (1,) * (y.ndim - 1)), np.conj(spec), spec)
        scale = np.where(np.arange(self.L) == 0, 1.0, 2.0) / self.S
        return spec * scale.reshape((-1,) + (1,) * (y.ndim - 1))

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, z: np.ndarray, lam: float = 1.0, jacobian: bool = True,
                 limiting: bool = True) -> HBEval:
        n, S = self.n, self.S
        X = self.to_complex(z)
        xt = self.synthesize(X)
        xt_ext = np.concatenate([xt, np.zeros((S, 1))], axis=1)
        jw = 1j * self.omega[:, None]
        xdot = None  # x'(t), made when a device has incremental (Meyer) charges
        ctx = EvalContext(t=None, srcfact=1.0, gmin=self.gmin)
        i_t = np.zeros((S, n + 1))
        q_t = np.zeros((S, n + 1))
        ic_t = None
        nd = len(self.dense_pos)
        g_t = np.zeros((S, nd)) if jacobian else None
        c_t = np.zeros((S, nd)) if jacobian else None
        ci_t = None
        limited = False
        offsets = (np.arange(S) * (n + 1))[:, None]
        for k, grp in enumerate(self.nonlinear):
            dev = grp.device
            xl = xt_ext[:, grp.conn]
            x_eval = xl
            if limiting:
                old = self.limit_memory.get(k)
                lim = limited_point(dev, xl, old) if old is not None else None
                if lim is not None:
                    limited = True
                    x_eval = lim
                self.limit_memory[k] = x_eval
            ev = dev.evaluate(x_eval, ctx)
            i_loc = ev.i
            q_loc = ev.q
            if x_eval is not xl:
                delta = xl - x_eval
                i_loc = i_loc + np.einsum("...rc,...c->...r", ev.di, delta)
                if q_loc is not None and ev.dq is not None:
                    q_loc = q_loc + np.einsum("...rc,...c->...r", ev.dq, delta)
            flat = (offsets + grp.conn.ravel()[None, :]).ravel()
            size = S * (n + 1)
            i_t += np.bincount(flat, i_loc.reshape(S, -1).ravel(), size).reshape(S, n + 1)
            if q_loc is not None:
                q_t += np.bincount(flat, q_loc.reshape(S, -1).ravel(), size).reshape(S, n + 1)
            if ev.c_incr is not None:
                if xdot is None:
                    xdot = np.concatenate([self.synthesize(jw * X), np.zeros((S, 1))], axis=1)
                xdl = xdot[:, grp.conn]
                ic = np.einsum("...rc,...c->...r", ev.c_incr, xdl)
                part = np.bincount(flat, ic.reshape(S, -1).ravel(), size).reshape(S, n + 1)
                ic_t = part if ic_t is None else ic_t + part
            if jacobian:
                keep = grp.jac_keep
                slot = self.dense_slot[grp.jac_pos[keep]]
                g_t += self._scatter_t(ev.di, grp, keep, slot, nd)
                if ev.dq is not None:
                    c_t += self._scatter_t(ev.dq, grp, keep, slot, nd)
                if ev.c_incr is not None:
                    part = self._scatter_t(ev.c_incr, grp, keep, slot, nd)
                    ci_t = part if ci_t is None else ci_t + part
                    rate = _charge_rate_jacobian(dev, x_eval, ev.c_incr, xdl, ctx)
                    g_t += self._scatter_t(rate, grp, keep, slot, nd)
        Q = self.analyze(q_t[:, :n]) + self._linear(self.c_lin_all, X)
        F = self.analyze(i_t[:, :n]) + self._linear(self.g_lin_all, X) + jw * Q
        CI = self.analyze(ic_t[:, :n]) if ic_t is not None else None
        if CI is not None:
            F += CI
        F[0] += self.e_dc
        F += lam * self.e_ac
        if len(self.held):
            F[:, self.held] = X[:, self.held]
            F[0, self.held] = X[0, self.held].real - self.held_value
        f = self.to_real(F)
        out = HBEval(f=f, jac=None, limited=limited, fc=F, q=Q, ci=CI)
        if jacobian:
            out.jac = self._jacobian(g_t, c_t, ci_t)
            out.g_avg, out.c_avg = self.g_lin_all.copy(), self.c_lin_all.copy()
            out.g_avg[self.dense_pos] += g_t.mean(axis=0)
            c_mean = c_t.mean(axis=0) + (ci_t.mean(axis=0) if ci_t is not None else 0.0)
            out.c_avg[self.dense_pos] += c_mean
        return out

    def _linear(self, data: np.ndarray, X: np.ndarray) -> np.ndarray:
        """(L, n) product of the circuit-pattern matrix with CSC ``data`` and each line of X
        (a scatter-add: scipy.sparse stays out of HB's import path)."""
        out = np.zeros((self.n, X.shape[0]), dtype=complex)
        np.add.at(out, self._rows, data[:, None] * X.T[self._cols])
        return out.T

    @staticmethod
    def _scatter_t(local: np.ndarray, grp, keep, slot, nd) -> np.ndarray:
        S = local.shape[0]
        vals = local[..., grp.rows, grp.cols].reshape(S, -1)[:, keep]
        # sum duplicates (several instances on one position) with one bincount
        flat = (np.arange(S)[:, None] * nd + slot[None, :]).ravel()
        return np.bincount(flat, vals.ravel(), S * nd).reshape(S, nd)

    # ------------------------------------------------------------------ Jacobian
    def conversion(self, g_t: np.ndarray) -> np.ndarray:
        """Real conversion matrices (P, R, R) of time waveforms g_t (S, P)."""
        L = self.L
        G = np.fft.fft(g_t, axis=0) / self.S  # (S, P)
        A = G[self.diff]  # (L, L, P)
        B = G[self.summ]
        w = self.weight[:, None, None]
        apb, amb = w * (A + B), w * (A - B)
        P = g_t.shape[1]
        full = np.empty((P, 2 * L, 2 * L))
        full[:, :L, :L] = np.moveaxis(apb.real, 2, 0)
        full[:, :L, L:] = np.moveaxis(-amb.imag, 2, 0)
        full[:, L:, :L] = np.moveaxis(apb.imag, 2, 0)
        full[:, L:, L:] = np.moveaxis(amb.real, 2, 0)
        keep = np.r_[0:L, L + 1:2 * L]
        return full[:, keep][:, :, keep]

    def _row_jw(self, blocks: np.ndarray) -> np.ndarray:
        """Blocks of a charge Jacobian -> blocks of j w_l times it (rows scaled per line)."""
        L = self.L
        out = np.zeros_like(blocks)
        w = self.omega[1:, None]
        # rows: Re F_l = -w Im Q_l, Im F_l = w Re Q_l
        out[:, 1:L] = -w * blocks[:, L:]
        out[:, L:] = w * blocks[:, 1:L]
        return out

    def _col_jw(self, blocks: np.ndarray) -> np.ndarray:
        """Blocks acting on j w X instead of X (columns mixed per line)."""
        L = self.L
        out = np.zeros_like(blocks)
        w = self.omega[1:]
        out[:, :, 1:L] = w * blocks[:, :, L:]
        out[:, :, L:] = -w * blocks[:, :, 1:L]
        return out

    def _jacobian(self, g_t, c_t, ci_t) -> np.ndarray:
        R, L = self.R, self.L
        blocks = self.conversion(g_t) if len(self.dense_pos) else np.zeros((0, R, R))
        if c_t is not None and len(self.dense_pos) and np.any(c_t):
            blocks += self._row_jw(self.conversion(c_t))
        if ci_t is not None:
            blocks += self._col_jw(self.conversion(ci_t))
        # linear parts on dense positions: G I + C (j w)
        eye = np.eye(R)
        jw_mat = np.zeros((R, R))
        jw_mat[L:, 1:L] = np.diag(self.omega[1:])
        jw_mat[1:L, L:] = -np.diag(self.omega[1:])
        blocks += self.g_dense_lin[:, None, None] * eye + self.c_dense_lin[:, None, None] * jw_mat
        # sparse positions: (a,a) = g, (b,b) = g, (a_l,b_l) = -w c, (b_l,a_l) = w c
        w = self.omega
        g, c = self.g_sparse[:, None], self.c_sparse[:, None]
        sparse_vals = np.concatenate([
            np.broadcast_to(g, (len(g), L)), np.broadcast_to(g, (len(g), L - 1)),
            -c * w[None, 1:], c * w[None, 1:]], axis=1)
        data = np.concatenate([blocks.ravel(), sparse_vals.ravel()])
        if self.held_drop is not None:
            data = np.where(self.held_drop, 0.0, data)
            data[self.held_diag] = 1.0
        return data[self.order]


def _charge_rate_jacobian(dev, x: np.ndarray, c_incr: np.ndarray, xdot: np.ndarray,
                          ctx: EvalContext) -> np.ndarray:
    """The part of d(C(x) x')/dx that varies C at fixed x': (S, N, U, U) matrices
    sum_c dC_rc/dx_j x'_c, by forward differences over the U terminals (one batched
    evaluation each). Without it Newton on circuits with incremental (Meyer) capacitances
    converges only linearly, and not at all at high harmonic counts.

    x: (S, N, U) evaluation points (V); c_incr: (S, N, U, U) capacitances there (F);
    xdot: (S, N, U) terminal voltage rates (V/s)."""
    out = np.empty_like(c_incr)
    for j in range(x.shape[-1]):  # terminals of the family (4 for a MOSFET), not instances
        step = 1e-6 * (1.0 + np.abs(x[..., j]))  # V
        shifted = x.copy()
        shifted[..., j] += step
        dc = dev.evaluate(shifted, ctx).c_incr - c_incr
        out[..., j] = np.einsum("...rc,...c->...r", dc, xdot) / step[..., None]
    return out


def _missing_tone_hint(grid, freq: float) -> str:
    """How to put ``freq`` (Hz) on the grid: as the fundamental when every tone is one of its
    harmonics (a subharmonic drive), else as one more tone."""
    ratios = np.asarray(grid.tones) / freq
    if np.all(np.abs(ratios - np.round(ratios)) <= 1e-9 * ratios) and np.all(ratios >= 1.5):
        harmonics = int(np.max(np.round(ratios)))
        nharm = int(np.max(np.abs(grid.orders))) * harmonics
        return (f"the tones are harmonics of {freq:g} Hz: use it as the fundamental, e.g. "
                f"`.hb {freq:g} nharm={nharm}`")
    return ("add its frequency to the .hb tones, e.g. `.hb "
            + " ".join(f"{f:g}" for f in (*grid.tones, freq)) + "`")
