"""Block-diagonal linear solver for batches of identical circuits.

A batch of B variants of one circuit is simulated as one circuit made of B disconnected copies;
its Jacobian is block diagonal with B blocks of the same size nb. For small blocks, the blocks
are gathered into a (B, nb, nb) array and solved with LAPACK's batched dense LU
(``numpy.linalg.solve``), which is far cheaper than a sparse LU of the whole matrix. For large
blocks the ordinary sparse solver handles the block-diagonal matrix (its ordering keeps the
blocks apart).
"""

from __future__ import annotations

import numpy as np

from netsim.analysis.linalg import LinearSolver, SingularMatrixError


class BlockDenseSolver(LinearSolver):
    """Solver for a block-diagonal matrix with B equal blocks of nb unknowns.

    block (n,): the block of each unknown; local (n,): its index inside the block.
    """

    name = "block-dense"

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray, block: np.ndarray,
                 local: np.ndarray, nblocks: int, nb: int) -> None:
        super().__init__(n, indptr, indices)
        cols = np.repeat(np.arange(n), np.diff(indptr))
        rows = indices
        if np.any(block[rows] != block[cols]):
            raise ValueError("the matrix is not block diagonal")
        self.entry_block = block[rows]
        self.entry_row = local[rows]
        self.entry_col = local[cols]
        self.block = block
        self.local = local
        self.nblocks = nblocks
        self.nb = nb

    def _factor(self, data: np.ndarray) -> None:
        a = np.zeros((self.nblocks, self.nb, self.nb), dtype=data.dtype)
        a[self.entry_block, self.entry_row, self.entry_col] = data
        self.a = a

    def solve(self, b: np.ndarray) -> np.ndarray:
        rhs = np.zeros((self.nblocks, self.nb), dtype=np.result_type(self.a, b))
        rhs[self.block, self.local] = b
        try:
            x = np.linalg.solve(self.a, rhs[..., None])[..., 0]
        except np.linalg.LinAlgError:
            raise SingularMatrixError(-1) from None
        return x[self.block, self.local]
