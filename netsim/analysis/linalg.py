"""Linear-solver backends behind one interface: factor(data) then solve(b).

The matrix pattern is fixed (CSC ``indptr``/``indices`` from the compiler); only the data array
changes between Newton steps. Backends:

- ``dense``: LAPACK LU (scipy.linalg.lu_factor) on a dense copy; fastest for small systems.
- ``superlu``: scipy.sparse.linalg.splu with COLAMD ordering.

``make_solver`` picks dense up to ``DENSE_LIMIT`` unknowns (measured: dense LU of a 150-unknown
system costs about as much as SuperLU's setup), superlu above; ``.options solver=`` overrides.
A singular matrix raises :class:`SingularMatrixError` naming the suspect unknown.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
import scipy.sparse.linalg as spla

DENSE_LIMIT = 150


class SingularMatrixError(Exception):
    """The Jacobian is singular; ``index`` is the unknown whose pivot vanished (or -1)."""

    def __init__(self, index: int = -1) -> None:
        super().__init__("singular matrix")
        self.index = index


class LinearSolver:
    """Interface: ``factor(data)`` for a new matrix with the fixed pattern, ``solve(b)``.

    ``factor`` skips the work when the values equal those of the last factorisation (a linear
    circuit at a fixed step factorises once). Subclasses implement ``_factor``.
    """

    name = ""

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray) -> None:
        self.n = n
        self.indptr = indptr
        self.indices = indices
        self._last: np.ndarray | None = None
        self.factorizations = 0

    def factor(self, data: np.ndarray) -> None:
        if self._last is not None and self._last.dtype == data.dtype and np.array_equal(
                self._last, data):
            return
        self._last = None
        self._factor(data)
        self._last = data.copy()
        self.factorizations += 1

    def _factor(self, data: np.ndarray) -> None:
        raise NotImplementedError

    def solve(self, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def matrix(self, data: np.ndarray) -> sp.csc_matrix:
        return sp.csc_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))


class DenseSolver(LinearSolver):
    name = "dense"

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray) -> None:
        super().__init__(n, indptr, indices)
        self.rows = indices
        self.cols = np.repeat(np.arange(n), np.diff(indptr))

    def _factor(self, data: np.ndarray) -> None:
        a = np.zeros((self.n, self.n), dtype=data.dtype)
        a[self.rows, self.cols] = data
        with warnings.catch_warnings():
            warnings.simplefilter("error", la.LinAlgWarning)
            try:
                self.lu = la.lu_factor(a, check_finite=False)
            except (la.LinAlgWarning, ValueError):
                self._raise_singular(a)
        diag = np.abs(np.diag(self.lu[0]))
        if self.n and (not np.all(np.isfinite(diag)) or diag.min() == 0.0):
            self._raise_singular(a)

    def _raise_singular(self, a: np.ndarray) -> None:
        # the row/column with the smallest norm is the most likely culprit
        norms = np.abs(a).sum(axis=0) * np.abs(a).sum(axis=1)
        raise SingularMatrixError(int(np.argmin(norms)) if self.n else -1)

    def solve(self, b: np.ndarray) -> np.ndarray:
        return la.lu_solve(self.lu, b, check_finite=False)


class SuperLUSolver(LinearSolver):
    name = "superlu"

    def _factor(self, data: np.ndarray) -> None:
        a = self.matrix(data)
        try:
            self.lu = spla.splu(a, permc_spec="COLAMD")
        except RuntimeError:
            norms = np.asarray(abs(a).sum(axis=0)).ravel() * np.asarray(abs(a).sum(axis=1)).ravel()
            raise SingularMatrixError(int(np.argmin(norms))) from None

    def solve(self, b: np.ndarray) -> np.ndarray:
        return self.lu.solve(b)


BACKENDS: dict[str, type[LinearSolver]] = {"dense": DenseSolver, "superlu": SuperLUSolver}


def make_solver(n: int, indptr: np.ndarray, indices: np.ndarray, name: str | None = None):
    """A solver for the fixed pattern: ``name`` from BACKENDS, or chosen by size."""
    if name is None or name == "auto":
        name = "dense" if n <= DENSE_LIMIT else "superlu"
    return BACKENDS[name](n, indptr, indices)
