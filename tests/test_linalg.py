"""Linear-solver backends: accuracy (real/complex, one and many right-hand sides), refactoring,
the unchanged-matrix skip, singular matrices, and make_solver's automatic choice."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import netsim
from netsim.analysis import linalg
from netsim.analysis.linalg import (
    BACKENDS,
    DENSE_LIMIT,
    LinearSolver,
    SingularMatrixError,
    make_solver,
)
from netsim.errors import AnalysisError

HAVE_KVXOPT = importlib.util.find_spec("kvxopt") is not None
RTOL = 1e-10


def _backend_param(name: str):
    marks = []
    if name == "klu" and not HAVE_KVXOPT:
        marks.append(pytest.mark.skip(reason="kvxopt (which ships libklu) is not installed"))
    return pytest.param(name, marks=marks, id=name)


ALL = [_backend_param(name) for name in BACKENDS]


def circuit_like(n: int, seed: int, vsources: int = 3, cplx: bool = False) -> sp.csc_matrix:
    """An MNA-like matrix: a random conductance graph (nodal block, symmetric pattern,
    diagonally dominant), a few transconductances (unsymmetric entries), and voltage-source
    rows/columns with a zero diagonal (the entries that need pivoting)."""
    rng = np.random.default_rng(seed)
    nodes = n - vsources
    rows, cols, vals = [], [], []
    # a spanning chain keeps the nodal block connected, plus random extra branches
    edges = [(k, k + 1) for k in range(nodes - 1)]
    edges += [tuple(rng.choice(nodes, 2, replace=False)) for _ in range(2 * nodes)]
    for a, b in edges:
        g = 10.0 ** rng.uniform(-4, 0)
        rows += [a, b, a, b]
        cols += [a, b, b, a]
        vals += [g, g, -g, -g]
    for k in range(nodes):  # leak to ground
        rows.append(k)
        cols.append(k)
        vals.append(10.0 ** rng.uniform(-6, -3))
    for _ in range(nodes // 4):  # transconductances
        a, b = rng.choice(nodes, 2, replace=False)
        rows.append(a)
        cols.append(b)
        vals.append(rng.uniform(-1e-3, 1e-3))
    for s in range(vsources):  # V source between node p and ground: branch unknown nodes + s
        p, br = int(rng.integers(nodes)), nodes + s
        rows += [p, br, br]
        cols += [br, p, br]
        vals += [1.0, 1.0, 0.0]
    a = sp.coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsc()
    a.sum_duplicates()  # keeps the explicit zeros: the pattern is what a compiler would build
    a.sort_indices()
    if cplx:  # G + jwC, capacitances on the node rows, same pattern
        c = rng.uniform(1e-12, 1e-11, a.data.size) * (a.indices < nodes)
        a = sp.csc_matrix((a.data + 1j * 2 * np.pi * 1e6 * c, a.indices, a.indptr),
                          shape=(n, n))
    return a


def pattern(a: sp.csc_matrix) -> tuple[int, np.ndarray, np.ndarray]:
    """(n, indptr, indices) as the compiler produces them (int64)."""
    return a.shape[0], a.indptr.astype(np.int64), a.indices.astype(np.int64)


def relres(a: sp.spmatrix, x: np.ndarray, b: np.ndarray) -> float:
    """max over right-hand sides of ||A x - b|| / (||A|| ||x|| + ||b||)."""
    r = a @ x - b
    anorm = spla.norm(a, 1)
    if b.ndim == 1:
        return float(np.linalg.norm(r) / (anorm * np.linalg.norm(x) + np.linalg.norm(b)))
    return max(float(np.linalg.norm(r[:, k]) / (anorm * np.linalg.norm(x[:, k])
                                                + np.linalg.norm(b[:, k])))
               for k in range(b.shape[1]))


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("cplx", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("n", [12, 80, 400])
def test_solves_circuit_like_matrices(name: str, cplx: bool, n: int) -> None:
    rng = np.random.default_rng(n)
    a = circuit_like(n, seed=n, cplx=cplx)
    solver = make_solver(*pattern(a), name=name)
    assert solver.name == name
    solver.factor(a.data)
    dtype = complex if cplx else float
    b1 = rng.standard_normal(n).astype(dtype)
    bk = rng.standard_normal((n, 5)).astype(dtype)
    if cplx:
        b1 += 1j * rng.standard_normal(n)
        bk += 1j * rng.standard_normal((n, 5))
    x1 = solver.solve(b1)
    xk = solver.solve(bk)
    assert x1.shape == (n,) and xk.shape == (n, 5)
    assert relres(a, x1, b1) < RTOL
    assert relres(a, xk, bk) < RTOL
    # plain ||Ax - b|| / ||b|| as well: these matrices are well enough conditioned
    assert np.linalg.norm(a @ x1 - b1) / np.linalg.norm(b1) < 1e-8
    # multi-RHS agrees with column-by-column solves
    for k in range(5):
        np.testing.assert_allclose(xk[:, k], solver.solve(bk[:, k]), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", ALL)
def test_mixed_dtypes(name: str) -> None:
    """A complex right-hand side on a real factorisation, and a real one on a complex."""
    rng = np.random.default_rng(3)
    a = circuit_like(60, seed=3)
    solver = make_solver(*pattern(a), name=name)
    solver.factor(a.data)
    b = rng.standard_normal((60, 2)) + 1j * rng.standard_normal((60, 2))
    x = solver.solve(b)
    assert np.iscomplexobj(x) and relres(a, x, b) < RTOL
    x = solver.solve(b[:, 0])
    assert x.shape == (60,) and relres(a, x, b[:, 0]) < RTOL
    ac = circuit_like(60, seed=3, cplx=True)
    solver.factor(ac.data)
    br = rng.standard_normal(60)
    assert relres(ac, solver.solve(br), br) < RTOL
    assert solver.solve(np.zeros((60, 0))).shape == (60, 0)
    with pytest.raises(ValueError):
        solver.solve(np.ones(59))


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("cplx", [False, True], ids=["real", "complex"])
def test_refactor_with_new_values(name: str, cplx: bool) -> None:
    """Newton-like sequence: same pattern, values scaled by up to 1e3 either way."""
    rng = np.random.default_rng(11)
    a = circuit_like(150, seed=11, cplx=cplx)
    solver = make_solver(*pattern(a), name=name)
    for step in range(6):
        data = a.data * 10.0 ** rng.uniform(-3, 3, a.data.size) if step else a.data
        # keep the voltage-source entries (exactly +-1 or 0) as they are
        fixed = np.isin(np.abs(a.data), [0.0, 1.0])
        data = np.where(fixed, a.data, data)
        solver.factor(data)
        m = sp.csc_matrix((data, a.indices, a.indptr), shape=a.shape)
        b = rng.standard_normal((150, 2))
        assert relres(m, solver.solve(b), b) < RTOL
    assert solver.factorizations == 6


def collapsing_pivot_matrix(a00: float) -> sp.csc_matrix:
    """3x3 with a full first block: the pivot that KLU picks for a large a00 collapses when a00
    becomes tiny (the row that must be the pivot then changes)."""
    data = np.array([a00, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0])
    return sp.csc_matrix((data, np.array([0, 1, 0, 1, 2, 1, 2]), np.array([0, 2, 5, 7])),
                         shape=(3, 3))


@pytest.mark.parametrize("name", ALL)
def test_pivot_collapse_is_survived(name: str) -> None:
    solver = make_solver(*pattern(collapsing_pivot_matrix(1e3)), name=name)
    b = np.array([1.0, 2.0, 3.0])
    for a00 in (1e3, 4.0, 1e-13, 0.0, 1e-9, 1e3):
        m = collapsing_pivot_matrix(a00)
        solver.factor(m.data)
        x = solver.solve(b)
        np.testing.assert_allclose(m @ x, b, rtol=0, atol=1e-12)


@pytest.mark.skipif(not HAVE_KVXOPT, reason="kvxopt (which ships libklu) is not installed")
def test_klu_refactors_and_refactors_fully_on_collapse() -> None:
    a = circuit_like(200, seed=5)
    solver = make_solver(*pattern(a), name="klu")
    for scale in (1.0, 1.5, 0.7, 2.0):
        solver.factor(a.data * scale)
    assert solver.full_factorizations == 1 and solver.refactorizations == 3
    c = make_solver(*pattern(collapsing_pivot_matrix(1e3)), name="klu")
    c.factor(collapsing_pivot_matrix(1e3).data)
    c.factor(collapsing_pivot_matrix(4.0).data)
    assert (c.full_factorizations, c.refactorizations) == (1, 1)
    c.factor(collapsing_pivot_matrix(1e-13).data)  # refactor collapses: a fresh factor follows
    assert c.full_factorizations == 2


@pytest.mark.skipif(not HAVE_KVXOPT, reason="kvxopt (which ships libklu) is not installed")
def test_klu_common_layout_verified() -> None:
    from netsim.analysis import klu

    assert klu.klu_available()
    assert klu.unavailable_reason() is None
    assert klu.ctypes.sizeof(klu.KLUCommonLong) == 192  # checked against klu_l_defaults


@pytest.mark.parametrize("name", ALL)
def test_unchanged_matrix_is_not_refactored(name: str) -> None:
    a = circuit_like(40, seed=2)
    solver = make_solver(*pattern(a), name=name)
    calls = []
    original = solver._factor

    def counting(data: np.ndarray) -> None:
        calls.append(1)
        original(data)

    solver._factor = counting  # type: ignore[method-assign]
    solver.factor(a.data)
    solver.factor(a.data.copy())  # equal values: skipped
    assert len(calls) == 1 and solver.factorizations == 1
    changed = a.data.copy()
    changed[0] *= 2
    solver.factor(changed)
    solver.factor(changed.astype(complex))  # same numbers, other dtype: factored
    assert len(calls) == 3 and solver.factorizations == 3


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("cplx", [False, True], ids=["real", "complex"])
def test_singular_matrix_raises(name: str, cplx: bool) -> None:
    a = circuit_like(30, seed=4, cplx=cplx).tolil()
    # unknown 7 loses every entry of its row and column (a floating node)
    a[7, :] = 0
    a[:, 7] = 0
    a = a.tocsc()
    full = circuit_like(30, seed=4, cplx=cplx)  # the compiled pattern keeps the entries
    data = _values_on(full, a)
    solver = make_solver(*pattern(full), name=name)
    with pytest.raises(SingularMatrixError) as info:
        solver.factor(data)
    assert info.value.index == 7
    with pytest.raises(RuntimeError):
        solver.solve(np.ones(30))  # no valid factorisation
    solver.factor(full.data)  # recovers with good values
    b = np.ones(30)
    assert relres(full, solver.solve(b), b) < RTOL


def _values_on(pattern_matrix: sp.csc_matrix, values: sp.csc_matrix) -> np.ndarray:
    """The entries of ``values`` at the positions of ``pattern_matrix``'s CSC data."""
    cols = np.repeat(np.arange(pattern_matrix.shape[1]), np.diff(pattern_matrix.indptr))
    return np.asarray(values[pattern_matrix.indices, cols]).ravel()


def test_structurally_singular_numerically_zero_matrix_raises() -> None:
    a = sp.csc_matrix(np.array([[1.0, 2.0], [2.0, 4.0]]))
    for name in BACKENDS:
        if name == "klu" and not HAVE_KVXOPT:
            continue
        solver = make_solver(*pattern(a), name=name)
        with pytest.raises(SingularMatrixError):
            solver.factor(a.data)


# ------------------------------------------------------------------ automatic choice
def _auto(n: int) -> LinearSolver:
    a = circuit_like(n, seed=n)
    return make_solver(*pattern(a))


def test_make_solver_auto_choice() -> None:
    """The rule of docs/solvers.md: KLU at every size when kvxopt is usable; without it dense
    up to DENSE_LIMIT unknowns and SuperLU above."""
    small, large = _auto(20), _auto(DENSE_LIMIT + 50)
    if HAVE_KVXOPT:
        assert small.name == "klu" and large.name == "klu"
    else:
        assert small.name == "dense" and large.name == "superlu"
    assert make_solver(*pattern(circuit_like(20, 1)), name="auto").name == small.name


def test_make_solver_auto_without_klu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linalg, "klu_available", lambda: False)
    assert _auto(DENSE_LIMIT).name == "dense"
    assert _auto(DENSE_LIMIT + 1).name == "superlu"
    with pytest.raises(AnalysisError) as info:
        make_solver(*pattern(circuit_like(20, 1)), name="klu")
    assert "pip install kvxopt" in (info.value.hint or "")


def test_make_solver_explicit_and_unknown() -> None:
    for name in ("dense", "superlu"):
        assert make_solver(*pattern(circuit_like(300, 1)), name=name).name == name
    with pytest.raises(AnalysisError):
        make_solver(*pattern(circuit_like(20, 1)), name="pardiso")


def test_simulator_matrices_all_backends_agree() -> None:
    """A real netsim Jacobian (diode ladder, G + a0 C at the operating point)."""
    lines = ["ladder", ".model dl d (is=1e-14 n=1.05 rs=5 cjo=0.5p)", "V1 a0 0 DC 2"]
    for k in range(40):
        lines += [f"R{k} a{k} a{k + 1} 100", f"D{k} a{k + 1} 0 dl", f"C{k} a{k + 1} 0 1p"]
    sim = netsim.Simulator.from_text("\n".join(lines + [".end", ""]))
    cc = sim.compiled
    x, _ = sim.operating_point(0.0)
    asm = sim.assembler.assemble(x, sim.ctx(0.0), charges=True)
    data = asm.g + 2e10 * asm.c
    m = sp.csc_matrix((data, cc.indices, cc.indptr), shape=(cc.n, cc.n))
    b = np.random.default_rng(0).standard_normal((cc.n, 3))
    for name in BACKENDS:
        if name == "klu" and not HAVE_KVXOPT:
            continue
        solver = make_solver(cc.n, cc.indptr, cc.indices, name)
        solver.factor(data)
        assert relres(m, solver.solve(b), b) < RTOL
        solver.factor(asm.g + 2j * np.pi * 1e8 * asm.c)
        mc = sp.csc_matrix((asm.g + 2j * np.pi * 1e8 * asm.c, cc.indices, cc.indptr),
                           shape=(cc.n, cc.n))
        assert relres(mc, solver.solve(b[:, 0]), b[:, 0]) < RTOL


@pytest.mark.parametrize("name", ALL)
def test_empty_system_and_pickle(name: str) -> None:
    import pickle

    solver = make_solver(0, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), name)
    solver.factor(np.zeros(0))
    assert solver.solve(np.zeros(0)).shape == (0,)
    a = circuit_like(30, seed=8)
    solver = make_solver(*pattern(a), name=name)
    copy = pickle.loads(pickle.dumps(solver))  # before any factorisation
    copy.factor(a.data)
    b = np.ones(30)
    assert relres(a, copy.solve(b), b) < RTOL


def test_without_kvxopt_falls_back_silently() -> None:
    """In a process where kvxopt cannot be imported: auto falls back without a word, an explicit
    request for klu is an error with the install hint."""
    import subprocess
    import sys

    code = "\n".join([
        "import sys; sys.modules['kvxopt'] = None  # makes `import kvxopt` fail",
        "import numpy as np",
        "from netsim.analysis.linalg import make_solver",
        "from netsim.analysis.klu import klu_available",
        "from netsim.errors import AnalysisError",
        "ip, ix = np.arange(301, dtype=np.int64), np.arange(300, dtype=np.int64)",
        "assert not klu_available()",
        "print(make_solver(300, ip, ix).name, make_solver(300, ip, ix, 'auto').name)",
        "try:",
        "    make_solver(300, ip, ix, 'klu')",
        "except AnalysisError as err:",
        "    print(err.hint)",
    ])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    first, hint = out.stdout.splitlines()
    assert first == "superlu superlu"
    assert "pip install kvxopt" in hint
