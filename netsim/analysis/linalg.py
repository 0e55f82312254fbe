"""Linear-solver backends behind one interface: factor(data) then solve(b).

The matrix pattern is fixed (CSC ``indptr``/``indices`` from the compiler); only the data array
changes between Newton steps (real), or between frequencies (complex, AC analysis). Backends:

- ``dense``: LAPACK LU (scipy.linalg.lu_factor) on a dense copy; fastest for small systems.
- ``superlu``: scipy.sparse.linalg.splu with COLAMD ordering; a new factorisation every time.
- ``klu``: SuiteSparse KLU through ctypes (:mod:`netsim.analysis.klu`), analysed once per
  pattern and *refactored* (same pivot order, new values) on later calls. Needs the optional
  ``kvxopt`` package, which ships the library.

``make_solver`` chooses automatically (``.options solver=auto``, see docs/solvers.md for the
measurements): KLU at every size when it is available; otherwise dense up to ``DENSE_LIMIT``
unknowns and SuperLU above. ``.options solver=`` or the ``name`` argument overrides.

``solve`` accepts one right-hand side of shape (n,) or several of shape (n, k). A singular
matrix raises :class:`SingularMatrixError` naming the suspect unknown.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from netsim.errors import AnalysisError

# scipy is imported where a backend needs it (dense, superlu), not at start-up: the KLU path
# runs without it, and importing scipy.sparse costs ~0.1-0.2 s per process

DENSE_LIMIT = 100
# above this size the dense backend runs LAPACK with one BLAS thread: two OpenBLAS threads on two
# cores were no faster at n ~ 200 and 5-10x slower (median) at n ~ 400-900 on a loaded machine;
# below it, entering the thread limit (~20-30 us) would cost more than it could save
DENSE_THREAD_MIN = 200


class SingularMatrixError(Exception):
    """The Jacobian is singular; ``index`` is the unknown whose pivot vanished (or -1)."""

    def __init__(self, index: int = -1) -> None:
        super().__init__("singular matrix")
        self.index = index


_blas_controller = None


@contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread inside the block.

    SuperLU's multi-RHS triangular solves call BLAS level-3 kernels on thin blocks; with two
    OpenBLAS threads they run 10-40x slower than with one on this machine class. The
    threadpoolctl controller is built once (about 0.5 ms); entering a limit costs ~10 us.
    """
    global _blas_controller
    if _blas_controller is None:
        from threadpoolctl import ThreadpoolController

        _blas_controller = ThreadpoolController()
    with _blas_controller.limit(limits=1, user_api="blas"):
        yield


class LinearSolver:
    """Interface: ``factor(data)`` for a new matrix with the fixed pattern, ``solve(b)``.

    ``factor`` skips the work when the values equal those of the last factorisation (a linear
    circuit at a fixed step factorises once). Subclasses implement ``_factor(data)`` and
    ``_solve(b)``; ``solve`` validates ``b`` and handles a complex right-hand side on a real
    factorisation, so ``_solve`` always receives an array of the factor's dtype, of shape
    (n,) or (n, k).
    """

    name = ""

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray) -> None:
        self.n = n
        self.indptr = indptr
        self.indices = indices
        self._last: np.ndarray | None = None
        self.is_complex = False
        self.factorizations = 0

    def factor(self, data: np.ndarray) -> None:
        """Factorise the matrix with values ``data`` (CSC order); no-op if unchanged."""
        if self._last is not None and self._last.dtype == data.dtype and np.array_equal(
                self._last, data):
            return
        if data.shape != (int(self.indptr[-1]),):
            raise ValueError(f"{data.shape} values for a pattern of {self.indptr[-1]} entries")
        self._last = None
        self._factor(data)
        self.is_complex = bool(np.iscomplexobj(data))
        self._last = data.copy()
        self.factorizations += 1

    def _factor(self, data: np.ndarray) -> None:
        raise NotImplementedError

    def solve(self, b: np.ndarray) -> np.ndarray:
        """x with ``A x = b`` for the last factorised A; b of shape (n,) or (n, k)."""
        b = np.asarray(b)
        if b.ndim not in (1, 2) or b.shape[0] != self.n:
            raise ValueError(f"right-hand side of shape {b.shape} for a {self.n}-unknown system")
        if self._last is None:
            raise RuntimeError("solve() before a successful factor()")
        if np.iscomplexobj(b) and not self.is_complex:
            # real factors, complex b: solve the real and imaginary parts together
            k = 1 if b.ndim == 1 else b.shape[1]
            parts = np.column_stack([b.real, b.imag]).astype(np.float64, copy=False)
            xs = self._solve(parts)
            x = xs[:, :k] + 1j * xs[:, k:]
            return x[:, 0] if b.ndim == 1 else x
        dtype = np.complex128 if self.is_complex else np.float64
        b = np.asarray(b, dtype=dtype)
        if b.ndim == 2 and b.shape[1] == 0:
            return b.copy()
        return self._solve(b)

    def _solve(self, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def matrix(self, data: np.ndarray):
        """The CSC matrix (scipy.sparse.csc_matrix) with values ``data`` on the fixed
        pattern."""
        import scipy.sparse as sp

        return sp.csc_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))


def weakest_unknown(a) -> int:
    """The unknown whose row and column have the smallest norms: the likely singular one."""
    a = abs(a)
    norms = np.asarray(a.sum(axis=0)).ravel() * np.asarray(a.sum(axis=1)).ravel()
    return int(np.argmin(norms)) if norms.size else -1


class DenseSolver(LinearSolver):
    """LAPACK getrf/getrs on a dense copy of the matrix."""

    name = "dense"

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray) -> None:
        super().__init__(n, indptr, indices)
        self.rows = indices
        self.cols = np.repeat(np.arange(n), np.diff(indptr))

    def _factor(self, data: np.ndarray) -> None:
        import scipy.linalg as la

        a = np.zeros((self.n, self.n), dtype=data.dtype)
        a[self.rows, self.cols] = data
        with warnings.catch_warnings():
            warnings.simplefilter("error", la.LinAlgWarning)
            try:
                if self.n > DENSE_THREAD_MIN:
                    with single_blas_thread():
                        self.lu = la.lu_factor(a, check_finite=False)
                else:
                    self.lu = la.lu_factor(a, check_finite=False)
            except (la.LinAlgWarning, ValueError):
                raise SingularMatrixError(weakest_unknown(a)) from None
        diag = np.abs(np.diag(self.lu[0]))
        if self.n and (not np.all(np.isfinite(diag)) or diag.min() == 0.0):
            raise SingularMatrixError(weakest_unknown(a))

    def _solve(self, b: np.ndarray) -> np.ndarray:
        import scipy.linalg as la

        if self.n > DENSE_THREAD_MIN and b.ndim == 2:
            with single_blas_thread():
                return la.lu_solve(self.lu, b, check_finite=False)
        return la.lu_solve(self.lu, b, check_finite=False)


class SuperLUSolver(LinearSolver):
    """scipy's SuperLU (COLAMD column ordering), a fresh factorisation on every change."""

    name = "superlu"

    def _factor(self, data: np.ndarray) -> None:
        import scipy.sparse.linalg as spla

        a = self.matrix(data)
        try:
            self.lu = spla.splu(a, permc_spec="COLAMD")
        except RuntimeError:
            raise SingularMatrixError(weakest_unknown(a)) from None

    def _solve(self, b: np.ndarray) -> np.ndarray:
        if b.ndim == 2 and b.shape[1] > 1:
            with single_blas_thread():
                return self.lu.solve(b)
        return self.lu.solve(b)


BACKENDS: dict[str, type[LinearSolver]] = {"dense": DenseSolver, "superlu": SuperLUSolver}

from netsim.analysis.klu import KLUSolver, klu_available  # noqa: E402 - needs LinearSolver

BACKENDS["klu"] = KLUSolver

KLU_HINT = "pip install kvxopt (it ships SuiteSparse's libklu), or use .options solver=superlu"


def auto_backend(n: int) -> str:
    """The backend ``solver=auto`` uses for ``n`` unknowns (measured rule, docs/solvers.md).

    KLU's refactor+solve was the fastest at every size measured (14 to 10,000 unknowns), so it
    is used whenever kvxopt is usable; without it, dense LAPACK up to ``DENSE_LIMIT`` unknowns
    and SuperLU above.
    """
    if klu_available():
        return "klu"
    return "dense" if n <= DENSE_LIMIT else "superlu"


def make_solver(n: int, indptr: np.ndarray, indices: np.ndarray,
                name: str | None = None) -> LinearSolver:
    """A solver for the fixed pattern: ``name`` from BACKENDS, or chosen by size (``auto``).

    Asking for ``klu`` without a usable kvxopt raises :class:`AnalysisError` with an install
    hint; ``auto`` silently falls back to SuperLU.
    """
    if name is None or name == "auto":
        name = auto_backend(n)
    elif name not in BACKENDS:
        raise AnalysisError(f"unknown linear solver '{name}'",
                            hint="choose one of: auto, " + ", ".join(BACKENDS))
    elif name == "klu" and not klu_available():
        raise AnalysisError("linear solver 'klu' is not available: kvxopt is not installed "
                            "or its KLU library cannot be loaded", hint=KLU_HINT)
    return BACKENDS[name](n, indptr, indices)
