"""Compiled (numba) kernels of the level-1 MOSFET: the optional fast path of
:class:`netsim.devices.mosfet.Mosfet1` for unbatched evaluations (x of shape (N, U)).

Why: on small circuits a Newton iteration is dominated by per-call overhead, not arithmetic.
The numpy evaluation and limiting of a MOSFET group take about 120 numpy calls (~250 us per
iteration for 100 transistors, 60 % of an inverter-chain transient); one loop over the
instances takes a few microseconds. The kernels compute exactly the expressions of
:mod:`netsim.devices.mos_parts` and :mod:`netsim.devices.junction` in the same order (the two
paths agree to rounding; ``tests/test_mos_jit.py`` checks it), so results do not depend on
whether numba is installed.

numba is optional (``pip install netsim[fast]``); without it, or with ``NETSIM_NUMBA=0`` in the
environment, every evaluation takes the numpy path. The kernels live in
:mod:`netsim.devices.mos_numba`; they are compiled on first use and cached on disk by numba
(``cache=True``), so later processes skip the compilation. If numba fails to compile or load
them, a RuntimeWarning says so and the numpy path runs.
"""

from __future__ import annotations

import os
import warnings

_KERNELS: tuple | None = None
_TRIED = False

# columns of the per-instance parameter table (see Mosfet1._jit_table)
(TYP, TYP_VBI, TPHI, SQRT_PHI, GAMMA, BETA, LAM_BETA, VT, M3VT, IS_S, IS_D, VCRIT_S, VCRIT_D,
 COX, CGSO, CGDO, CGBO, DEP) = range(18)
DEP_FIELDS = ("pb", "fcpb", "fcpb2", "mj", "cz", "pbcz", "one_mj", "czf1", "czof2", "f3",
              "mj_2pb")
NDEP = len(DEP_FIELDS)  # per junction (b-s', b-d'): 2 * NDEP columns per depletion table
MAX_EXP_ARG = 709.0
MAGIC_VDS = 0.025


def kernels() -> tuple | None:
    """(evaluate, limit, load) compiled kernels, or None when numba is unavailable or
    disabled."""
    global _KERNELS, _TRIED
    if _TRIED:
        return _KERNELS
    _TRIED = True
    if os.environ.get("NETSIM_NUMBA", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        import numba  # noqa: F401 - only whether it is installed
    except ImportError:
        return None
    from netsim.devices import mos_numba
    try:  # compile (or load from numba's cache) now, where a failure can fall back cleanly
        _smoke_test(mos_numba.evaluate, mos_numba.limit, mos_numba.load)
    except Exception as err:  # noqa: BLE001 - any numba failure means: use the numpy path
        warnings.warn(f"compiled MOSFET kernels unavailable ({type(err).__name__}: {err}); "
                      "using the numpy evaluation", RuntimeWarning, stacklevel=2)
        return None
    _KERNELS = (mos_numba.evaluate, mos_numba.limit, mos_numba.load)
    return _KERNELS


def _smoke_test(evaluate, limit, load) -> None:
    """One call of each kernel on a single instance, with the argument types real calls use
    (so the compiled specialisation is the one the simulation needs)."""
    import numpy as np

    u = 4
    x = np.zeros((1, u))
    table = np.ones((1, DEP + 4 * NDEP))
    out = [np.empty((1, u)), np.empty((1, u, u)), np.empty((1, u)), np.empty((1, u, u)),
           np.empty((1, u, u))]
    evaluate(x, table, 0, 2, 1e-12, True, True, True, *out)
    limit(x, x, table, 0, 2, np.empty((1, u)))
    for old in (x, np.empty((0, u))):
        load(x, old, table, 0, 2, 1e-12, True, True, True, out[1], 1, x, x, out[1],
             np.empty((1, u)), *out, np.empty((1, u)))
