"""The compiled MOSFET kernels (optional numba path) agree with the numpy evaluation."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import netsim
from netsim.devices import mos_jit, mosfet
from netsim.devices.base import EvalContext

pytestmark = pytest.mark.skipif(mos_jit.kernels() is None, reason="numba is not installed")


@pytest.fixture(autouse=True)
def compiled_from_the_first_call(monkeypatch):
    """Groups normally switch to the kernels after ~0.5 s of numpy work; here at once."""
    monkeypatch.setattr(mosfet, "NUMPY_SECONDS_BEFORE_JIT", 0.0)

NETLIST = """mosfet kernels
.model nrd nmos (level=1 vto=0.7 kp=110u gamma=0.45 phi=0.7 lambda=0.03 ld=0.05u tox=10n
+ cgso=0.25n cgdo=0.25n cgbo=0.2n cbd=2f cbs=2f mj=0.5 pb=0.85 rd=10 rs=5 cjsw=1n mjsw=0.3)
.model prd pmos (level=1 vto=-0.8 kp=40u gamma=0.5 phi=0.7 lambda=0.05 tox=10n
+ cgso=0.3n cgdo=0.3n cbd=4f cbs=4f mj=0.45 pb=0.85 rd=3 cjsw=1n mjsw=0.3 fc=0.3)
.model nplain nmos (level=1 vto=0.5 kp=50u lambda=0.01)
.model ngate nmos (level=1 vto=0.7 kp=110u gamma=0.45 phi=0.7 tox=10n cbd=2f cbs=2f)
VDD vdd 0 3.3
M1 o i 0 0 nrd w=1u l=0.35u pd=2u ps=2u
M2 o i vdd vdd prd w=2.5u l=0.35u pd=2u ps=2u
M3 o2 i 0 0 nplain
M4 o2 o 0 0 ngate w=1u l=0.35u
M5 o3 o2 0 0 ngate w=2u l=0.35u
R1 i 0 1k
R2 o2 0 1k
R3 o3 0 1k
.op
.end
"""


def _groups():
    sim = netsim.Simulator.from_text(NETLIST)
    return [g for g in sim.compiled.groups if g.device.family == "mos1"]


@pytest.mark.parametrize("scale", [0.05, 1.0, 4.0])
def test_evaluate_and_limit_match_numpy(scale: float) -> None:
    rng = np.random.default_rng(7)
    for grp in _groups():
        fast = grp.device
        slow = copy.copy(fast)
        slow._jit = False  # numpy path
        for _ in range(50):
            x = rng.normal(0.0, scale, size=grp.conn.shape)
            x_old = x + rng.normal(0.0, scale, size=x.shape) * rng.choice([0.0, 0.1, 1.0],
                                                                           size=x.shape)
            ctx = EvalContext(t=0.0, gmin=1e-12)
            a, b = fast.evaluate(x, ctx), slow.evaluate(x, ctx)
            for name in ("i", "di", "q", "dq", "c_incr"):
                va, vb = getattr(a, name), getattr(b, name)
                assert (va is None) == (vb is None), name
                if va is not None:
                    np.testing.assert_allclose(va, vb, rtol=1e-12,
                                               atol=1e-14 * (np.max(np.abs(vb)) + 1e-300))
            la, lb = fast.limit(x_old, x), slow.limit(x_old, x)
            assert (la is None) == (lb is None)
            if la is not None:
                np.testing.assert_array_equal(la, lb)


def test_batched_input_takes_the_same_path_as_single() -> None:
    """Leading batch axes (HB samples, Monte-Carlo variants) are flattened into the kernel's
    instance axis: a batch entry equals the single evaluation bit for bit."""
    grp = _groups()[0]
    x = np.random.default_rng(1).normal(0.0, 1.0, size=(3, 2, *grp.conn.shape))
    ev = grp.device.evaluate(x, EvalContext(t=0.0))
    single = grp.device.evaluate(x[2, 1], EvalContext(t=0.0))
    for name in ("i", "di", "q", "dq", "c_incr"):
        a, b = getattr(ev, name), getattr(single, name)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a[2, 1], b)


def test_groups_switch_to_the_kernels_only_after_enough_numpy_work(monkeypatch) -> None:
    monkeypatch.setattr(mosfet, "NUMPY_SECONDS_BEFORE_JIT", 0.01)
    grp = _groups()[0]
    x = np.zeros(grp.conn.shape)
    calls = 0
    while grp.device._jit is None:
        grp.device.evaluate(x, EvalContext(t=0.0))
        calls += 1
    expected = 0.01 / (mosfet.NUMPY_CALL_SECONDS + mosfet.NUMPY_INSTANCE_SECONDS * grp.device.n)
    assert calls == pytest.approx(expected, abs=1.0)
    assert grp.device._jit  # the compiled table, not "unavailable"


def test_a_kernel_that_fails_to_compile_falls_back_to_numpy(monkeypatch) -> None:
    from netsim.devices import mos_numba

    def broken(*args):
        raise RuntimeError("no LLVM here")

    monkeypatch.setattr(mos_jit, "_TRIED", False)
    monkeypatch.setattr(mos_jit, "_KERNELS", None)
    monkeypatch.setattr(mos_numba, "evaluate", broken)
    with pytest.warns(RuntimeWarning, match="compiled MOSFET kernels unavailable"):
        assert mos_jit.kernels() is None
    grp = _groups()[0]
    grp.device.evaluate(np.zeros(grp.conn.shape), EvalContext(t=0.0))
    assert grp.device._jit is False  # the numpy path, for good


FUSED_NETLIST = """fused load
.model n1 nmos (level=1 vto=0.7 kp=110u gamma=0.45 phi=0.7 lambda=0.03 tox=10n cgso=0.25n
+ cgdo=0.25n cgbo=0.2n cbd=2f cbs=2f cjsw=1n mjsw=0.3 mj=0.5 pb=0.85)
.model p1 pmos (level=1 vto=-0.8 kp=40u gamma=0.5 phi=0.7 lambda=0.05 tox=10n cgso=0.3n
+ cgdo=0.3n cbd=4f cbs=4f fc=0.3)
.model nbare nmos (level=1 vto=0.5 kp=50u lambda=0.01 cbd=1f)
VDD vdd 0 3.3
VIN i 0 1
M1 o i 0 0 n1 w=1u l=0.35u pd=2u ps=2u
M2 o i vdd vdd p1 w=2.5u l=0.35u
M3 o2 o 0 0 n1 w=2u l=0.35u
M4 o3 o2 0 0 nbare
R2 o2 vdd 1k
R3 o3 vdd 1k
C1 o 0 1f
.tran 1n 10n
.end
"""


@pytest.mark.parametrize("mode", ["dc", "transient", "ac"])
def test_fused_load_equals_the_separate_steps(mode: str) -> None:
    """DeviceGroup.load (limit, evaluate, extrapolate and the Meyer charges in one kernel)
    gives the assembler the same residual, charges, Jacobians and history as its own steps."""
    from netsim.analysis.assembly import Assembler

    sim = netsim.Simulator.from_text(FUSED_NETLIST)
    fused = sim.assembler
    separate = Assembler(sim.compiled)
    for plan in separate._evaluated:
        plan.fused = False
    assert any(plan.fused for plan in fused._evaluated)
    n = sim.compiled.n
    rng = np.random.default_rng(3)
    ctx = EvalContext(t=1e-9, gmin=1e-12)
    history = fused.initial_history(rng.normal(0.0, 1.0, n), ctx) if mode == "transient" \
        else None
    charges = mode != "dc"
    limited = 0
    for _ in range(30):
        x_old = rng.normal(0.0, 1.5, n)
        x = x_old + rng.normal(0.0, 1.5, n) * rng.choice([0.0, 0.01, 1.0])
        out = []
        for asm in (fused, separate):
            asm.reset_limiting()
            asm.assemble(x_old, ctx)  # the previous iterate, for limiting
            out.append(asm.assemble(x, ctx, charges=charges, history=history))
        a, b = out
        assert a.limited == b.limited
        limited += a.limited
        for name in ("i", "g") + (("q", "c") if charges else ()):
            va, vb = getattr(a, name), getattr(b, name)
            np.testing.assert_allclose(va, vb, rtol=1e-10, atol=1e-12 * np.max(np.abs(vb)))
        assert a.incr.keys() == b.incr.keys()
        for k in a.incr:
            for va, vb in zip(a.incr[k], b.incr[k]):
                np.testing.assert_allclose(va, vb, rtol=1e-10, atol=1e-12 * np.max(np.abs(vb)))
        for k in fused.limit_memory:
            np.testing.assert_array_equal(fused.limit_memory[k], separate.limit_memory[k])
    assert 0 < limited < 30  # both the limited and the unlimited branch were exercised
