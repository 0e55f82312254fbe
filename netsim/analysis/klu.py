"""KLU sparse LU (SuiteSparse) through ctypes, with true numeric refactorisation.

KLU is the circuit-matrix LU: a block-triangular pre-ordering (BTF), AMD on each block and
left-looking partial pivoting. Its ``klu_refactor`` reuses the pivot sequence of the last full
factorisation and only recomputes values, which is what a Newton loop on a fixed pattern needs.

The shared libraries come from the optional ``kvxopt`` wheel, which ships ``libklu`` together
with ``libamd``, ``libcolamd``, ``libbtf`` and ``libsuitesparseconfig`` (SuiteSparse 4.4,
KLU 1.3). Nothing of kvxopt's Python API is used: only the libraries are loaded. When kvxopt is
not installed or its libraries cannot be loaded, :func:`klu_available` is False and
:class:`KLUSolver` raises :class:`KLUUnavailableError`.

The compiler's CSC arrays are int64, so the ``klu_l_*`` (SuiteSparse_long) entry points are
used: ``klu_l_*`` for real and ``klu_zl_*`` for complex values (AC analysis). The symbolic
analysis is shared by both.

Refactorisation keeps the old pivot order, which can collapse when the values move far (a
diode switching off, a large frequency step in AC). After each refactor two cheap estimates are
compared with those of the last full factorisation: the pivot ratio ``klu_rcond``
(min |U_kk| / max |U_kk|) and the reciprocal pivot growth ``klu_rgrowth``. A drop of either by
more than a factor 1000 (:data:`RCOND_DROP`, :data:`RGROWTH_DROP`), or a zero pivot, triggers a
full ``klu_factor`` with fresh pivoting. The growth test is the one that catches an unstable
reused order: in a test sequence where rcond stayed within 30x of its reference, rgrowth fell
by 1e5 and the residual rose to 1e-6; a full factor then restored it to 1e-16.
"""

from __future__ import annotations

import ctypes
import glob
import math
import os

import numpy as np

from netsim.analysis.linalg import LinearSolver, SingularMatrixError, weakest_unknown

# a refactor is accepted while rcond >= RCOND_DROP * (rcond of the last full factorisation) and
# rgrowth >= RGROWTH_DROP * (rgrowth of the last full factorisation); otherwise KLU factors afresh
RCOND_DROP = 1e-3
RGROWTH_DROP = 1e-3

# load order: each library needs the ones before it (RTLD_GLOBAL makes their symbols visible)
_LIBRARIES = ("libsuitesparseconfig", "libamd", "libcolamd", "libbtf", "libklu")

_KLU_OK = 0
_KLU_SINGULAR = 1


class KLUUnavailableError(ImportError):
    """The KLU backend was requested but kvxopt (which ships libklu) is not usable."""


def _common_fields(integer) -> list[tuple[str, object]]:
    """Fields of KLU 1.3's (SuiteSparse 4.4) ``klu_common``: parameters then statistics; the
    integer type is int for ``klu_*`` and int64 for ``klu_l_*``."""
    def ints(*names: str) -> list[tuple[str, object]]:
        return [(n, integer) for n in names]

    def doubles(*names: str) -> list[tuple[str, object]]:
        return [(n, ctypes.c_double) for n in names]

    return [
        *doubles("tol", "memgrow", "initmem_amd", "initmem", "maxwork"),
        *ints("btf", "ordering", "scale"),
        ("user_order", ctypes.c_void_p),
        ("user_data", ctypes.c_void_p),
        *ints("halt_if_singular", "status", "nrealloc", "structural_rank", "numerical_rank",
              "singular_col", "noffdiag"),
        *doubles("flops", "rcond", "condest", "rgrowth", "work"),
        ("memusage", ctypes.c_size_t),
        ("mempeak", ctypes.c_size_t),
    ]


class KLUCommonLong(ctypes.Structure):
    """``klu_l_common``: int64 fields, 192 bytes on LP64; the layout is checked against
    ``klu_l_defaults`` when the library is loaded (see :func:`_check_layout`)."""

    _fields_ = _common_fields(ctypes.c_int64)


class KLUCommon(ctypes.Structure):
    """``klu_common`` (int fields, 160 bytes on LP64); only used to verify the layout."""

    _fields_ = _common_fields(ctypes.c_int)


_lib: ctypes.CDLL | None = None
_load_error: str | None = None


def _library_dirs() -> list[str]:
    """Folders where the kvxopt wheel keeps its bundled shared libraries."""
    import kvxopt  # optional dependency: imported only here

    pkg = os.path.dirname(os.path.abspath(kvxopt.__file__))
    parent = os.path.dirname(pkg)
    return [os.path.join(parent, "kvxopt.libs"), os.path.join(pkg, ".libs"), pkg]


def _find(dirs: list[str], stem: str) -> str:
    """Path of the shared library ``stem`` (possibly name-mangled, e.g. libklu-1a2b.so.1.3)."""
    for d in dirs:
        hits = sorted(glob.glob(os.path.join(d, stem + ".so*"))
                      + glob.glob(os.path.join(d, stem + "-*.so*"))
                      + glob.glob(os.path.join(d, stem + "*.dylib"))
                      + glob.glob(os.path.join(d, stem + "*.dll")))
        if hits:
            return hits[0]
    raise OSError(f"{stem} not found in {', '.join(dirs)}")


def _declare(lib: ctypes.CDLL) -> None:
    """Argument and result types of the entry points used (pointers passed as addresses)."""
    vp, i64, common = ctypes.c_void_p, ctypes.c_int64, ctypes.POINTER(KLUCommonLong)
    pvp = ctypes.POINTER(ctypes.c_void_p)
    table: dict[str, tuple[type | None, list]] = {
        "klu_defaults": (ctypes.c_int, [ctypes.POINTER(KLUCommon)]),
        "klu_l_defaults": (i64, [common]),
        "klu_l_analyze": (vp, [i64, vp, vp, common]),
        "klu_l_factor": (vp, [vp, vp, vp, vp, common]),
        "klu_zl_factor": (vp, [vp, vp, vp, vp, common]),
        "klu_l_refactor": (i64, [vp, vp, vp, vp, vp, common]),
        "klu_zl_refactor": (i64, [vp, vp, vp, vp, vp, common]),
        "klu_l_solve": (i64, [vp, vp, i64, i64, vp, common]),
        "klu_zl_solve": (i64, [vp, vp, i64, i64, vp, common]),
        "klu_l_rcond": (i64, [vp, vp, common]),
        "klu_zl_rcond": (i64, [vp, vp, common]),
        "klu_l_rgrowth": (i64, [vp, vp, vp, vp, vp, common]),
        "klu_zl_rgrowth": (i64, [vp, vp, vp, vp, vp, common]),
        "klu_l_free_symbolic": (i64, [pvp, common]),
        "klu_l_free_numeric": (i64, [pvp, common]),
        "klu_zl_free_numeric": (i64, [pvp, common]),
    }
    for name, (restype, argtypes) in table.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def _check_layout(lib: ctypes.CDLL) -> None:
    """Verify the declared ``klu_common`` layouts against what ``klu_*_defaults`` writes.

    Each defaults routine fills a sentinel-initialised buffer larger than the structure: the
    last byte it writes must be the last byte of the declared structure, and the fields must
    read back KLU's documented defaults.
    """
    for struct, fn in ((KLUCommon, lib.klu_defaults), (KLUCommonLong, lib.klu_l_defaults)):
        size = ctypes.sizeof(struct)
        buf = (ctypes.c_ubyte * (size + 64))(*([0xA5] * (size + 64)))
        fn(ctypes.cast(buf, ctypes.POINTER(struct)))
        raw = bytes(buf)
        last = max(i for i, v in enumerate(raw) if v != 0xA5)
        c = struct.from_buffer_copy(raw[:size])
        ok = (last == size - 1 and c.tol == 0.001 and c.memgrow == 1.2 and c.initmem == 10.0
              and c.btf == 1 and c.ordering == 0 and c.scale == 2 and c.halt_if_singular == 1
              and c.rcond == -1.0 and c.user_order is None)
        if not ok:
            raise OSError(f"{struct.__name__} layout does not match the loaded libklu")


def load_klu() -> ctypes.CDLL | None:
    """The loaded and checked libklu, or None when kvxopt or its libraries are not usable."""
    global _lib, _load_error
    if _lib is not None or _load_error is not None:
        return _lib
    try:
        dirs = _library_dirs()
        lib = None
        for stem in _LIBRARIES:
            lib = ctypes.CDLL(_find(dirs, stem), mode=ctypes.RTLD_GLOBAL)
        assert lib is not None
        _declare(lib)
        _check_layout(lib)
    except (ImportError, OSError, AttributeError) as err:
        _load_error = f"{type(err).__name__}: {err}"
        return None
    _lib = lib
    return lib


def klu_available() -> bool:
    """True when the KLU backend can be used (kvxopt installed, libklu loadable)."""
    return load_klu() is not None


def unavailable_reason() -> str | None:
    """Why KLU could not be loaded (None when it is available or not tried yet)."""
    load_klu()
    return _load_error


class KLUSolver(LinearSolver):
    """KLU LU on the fixed CSC pattern: analyse once, factor once, then refactor.

    Real and complex values share the symbolic analysis; switching between them drops the
    numeric object and factors afresh. ``full_factorizations`` and ``refactorizations`` count
    the two numeric paths (``factorizations`` counts both).
    """

    name = "klu"

    def __init__(self, n: int, indptr: np.ndarray, indices: np.ndarray) -> None:
        super().__init__(n, indptr, indices)
        lib = load_klu()
        if lib is None:
            raise KLUUnavailableError(f"KLU backend unavailable ({_load_error})")
        self._lib = lib
        self._ap = np.ascontiguousarray(indptr, dtype=np.int64)
        self._ai = np.ascontiguousarray(indices, dtype=np.int64)
        # the pattern's addresses, read once (``.ctypes.data`` costs ~1 us per access)
        self._ap_ptr, self._ai_ptr = self._ap.ctypes.data, self._ai.ctypes.data
        self._common = KLUCommonLong()
        lib.klu_l_defaults(ctypes.byref(self._common))
        self._symbolic = ctypes.c_void_p()
        self._numeric = ctypes.c_void_p()
        self._complex = False
        self._rcond_full = 0.0
        self._rgrowth_full = 0.0
        self.rcond = 0.0
        self.rgrowth = 0.0
        self.full_factorizations = 0
        self.refactorizations = 0
        if n:
            self._symbolic.value = lib.klu_l_analyze(n, self._ap.ctypes.data,
                                                     self._ai.ctypes.data,
                                                     ctypes.byref(self._common))
            if not self._symbolic.value:
                raise RuntimeError(f"klu_l_analyze failed (status {self._common.status})")

    # ------------------------------------------------------------------ numeric
    def _factor(self, data: np.ndarray) -> None:
        if self.n == 0:
            return
        cplx = np.iscomplexobj(data)
        ax = np.ascontiguousarray(data, dtype=np.complex128 if cplx else np.float64)
        if self._numeric.value and cplx == self._complex:
            if self._refactor(ax):
                self.refactorizations += 1
                return
        self._full_factor(ax, cplx)

    def _refactor(self, ax: np.ndarray) -> bool:
        """Same pivot order, new values; False when the result must not be trusted."""
        lib, common = self._lib, ctypes.byref(self._common)
        re = lib.klu_zl_refactor if self._complex else lib.klu_l_refactor
        ok = re(self._ap_ptr, self._ai_ptr, ax.ctypes.data,
                self._symbolic, self._numeric, common)
        if not ok or self._common.status != _KLU_OK:
            return False
        rc = self._estimate_rcond()
        if not (math.isfinite(rc) and rc > 0.0 and rc >= RCOND_DROP * self._rcond_full):
            return False
        rg = self._pivot_growth(ax)
        return math.isfinite(rg) and rg >= RGROWTH_DROP * self._rgrowth_full

    def _full_factor(self, ax: np.ndarray, cplx: bool) -> None:
        self._free_numeric()
        lib, common = self._lib, ctypes.byref(self._common)
        fa = lib.klu_zl_factor if cplx else lib.klu_l_factor
        num = fa(self._ap_ptr, self._ai_ptr, ax.ctypes.data, self._symbolic,
                 common)
        if not num:
            status = self._common.status
            if status == _KLU_SINGULAR:
                # KLU's singular_col depends on its ordering; name the weakest unknown instead,
                # as the other backends do (a floating node, not the column that met it)
                raise SingularMatrixError(weakest_unknown(self.matrix(ax)))
            if status == -2:
                raise MemoryError("KLU ran out of memory")
            raise RuntimeError(f"klu_factor failed (status {status})")
        self._numeric.value = num
        self._complex = cplx
        self.full_factorizations += 1
        rc = self._estimate_rcond()
        if not (np.isfinite(rc) and rc > 0.0):
            self._free_numeric()
            raise SingularMatrixError(weakest_unknown(self.matrix(ax)))
        self._rcond_full = rc
        self._rgrowth_full = self._pivot_growth(ax)

    def _pivot_growth(self, ax: np.ndarray) -> float:
        """``klu_rgrowth``: min over columns of max |A_ij| / max |U_ij| (1 = no growth); a
        reused pivot order that has become unstable shows up here as a collapse."""
        fn = self._lib.klu_zl_rgrowth if self._complex else self._lib.klu_l_rgrowth
        if not fn(self._ap_ptr, self._ai_ptr, ax.ctypes.data, self._symbolic,
                  self._numeric, ctypes.byref(self._common)):
            return 0.0
        self.rgrowth = float(self._common.rgrowth)
        return self.rgrowth

    def _estimate_rcond(self) -> float:
        """``klu_rcond``: min |U_kk| / max |U_kk| of the current factors (0 when singular)."""
        fn = self._lib.klu_zl_rcond if self._complex else self._lib.klu_l_rcond
        if not fn(self._symbolic, self._numeric, ctypes.byref(self._common)):
            return 0.0
        self.rcond = float(self._common.rcond)
        return self.rcond

    # -------------------------------------------------------------------- solve
    def _solve(self, b: np.ndarray) -> np.ndarray:
        dtype = np.complex128 if self._complex else np.float64
        x = np.array(b, dtype=dtype, order="F", copy=True)
        nrhs = 1 if x.ndim == 1 else x.shape[1]
        if self.n == 0 or nrhs == 0:
            return x
        sv = self._lib.klu_zl_solve if self._complex else self._lib.klu_l_solve
        if not sv(self._symbolic, self._numeric, self.n, nrhs, x.ctypes.data,
                  ctypes.byref(self._common)):
            raise RuntimeError(f"klu_solve failed (status {self._common.status})")
        return x

    # ------------------------------------------------------------------ cleanup
    def _free_numeric(self) -> None:
        if self._numeric.value:
            fn = self._lib.klu_zl_free_numeric if self._complex else self._lib.klu_l_free_numeric
            fn(ctypes.byref(self._numeric), ctypes.byref(self._common))
            self._numeric.value = None

    def __del__(self) -> None:
        try:
            if getattr(self, "_numeric", None) is not None:
                self._free_numeric()
            sym = getattr(self, "_symbolic", None)
            if sym is not None and sym.value:
                self._lib.klu_l_free_symbolic(ctypes.byref(sym), ctypes.byref(self._common))
        except Exception:  # at interpreter shutdown the library may be gone
            pass

    def __reduce__(self) -> tuple:
        """Pickle as a fresh solver for the same pattern (the C factors do not travel): the
        copy analyses again and needs a ``factor`` call before ``solve``."""
        return (self.__class__, (self.n, self.indptr, self.indices))
