"""Device contract, run over every registered family that has examples in device_examples.

For hypothesis-drawn local unknowns x:
- di and dq equal finite differences of i and q (central, or a second-order one-sided
  difference when x sits next to a region boundary where the model has a kink);
- currents and charges of node rows (terminals and internal nodes) sum to zero (KCL);
- a batched evaluation (leading axis B) equals the per-sample evaluations, and a group equals
  its instances evaluated one by one;
- shapes of i, q, di, dq, c_incr, and limit() keeps the shape.
"""

from __future__ import annotations

import numpy as np
import pytest
from device_examples import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsim.devices.base import REGISTRY, DeviceGroup, EvalContext

TEMP, TNOM = 27.0, 27.0
RTOL = 1e-6
RANGES = {"v": (-3.0, 3.0), "i": (-1e-2, 1e-2), "s": (0.02, 0.98)}
STEPS = {"v": 1e-6, "i": 1e-9, "s": 1e-7}


def test_every_registered_family_has_contract_examples() -> None:
    assert sorted(REGISTRY) == sorted(examples())


def _groups() -> list[tuple[str, int, DeviceGroup]]:
    out = []
    ex = examples()
    for family in sorted(ex):
        if family not in REGISTRY:
            continue
        cls = REGISTRY[family]
        by_key: dict = {}
        for inst in ex[family]:
            by_key.setdefault(repr(cls.group_key(inst)), []).append(inst)
        for k, insts in enumerate(by_key.values()):
            out.append((family, k, cls(insts, TEMP, TNOM)))
    return out


GROUPS = _groups()
IDS = [f"{family}-{k}" for family, k, _ in GROUPS]


def _kinds(group: DeviceGroup) -> list[str]:
    inst = group.instances[0]
    return (["v"] * len(inst.nodes) + ["i"] * len(inst.controls)
            + [spec.kind for spec in group.internal_unknowns(inst)])


def _node_rows(group: DeviceGroup) -> list[int]:
    inst = group.instances[0]
    nt, nc = len(inst.nodes), len(inst.controls)
    internal = group.internal_unknowns(inst)
    return list(range(nt)) + [nt + nc + k for k, s in enumerate(internal) if s.kind == "v"]


def _draw_x(data, group: DeviceGroup, lead: tuple[int, ...] = ()) -> np.ndarray:
    kinds = _kinds(group)
    shape = (*lead, group.n, len(kinds))
    flat = []
    for _ in range(int(np.prod(shape[:-1]))):
        for kind in kinds:
            lo, hi = RANGES.get(kind, (-1.0, 1.0))
            flat.append(data.draw(st.floats(lo, hi, allow_nan=False), label=kind))
    return np.array(flat, dtype=float).reshape(shape)


def _check_jacobian(f, jac, x, kinds, name):
    """Compare jac (N, U, U) with finite differences of f: x (N, U) -> (N, U)."""
    n, u = x.shape
    scale = np.max(np.abs(jac), axis=-1, keepdims=True)  # per row
    tol = RTOL * scale + 1e-18
    for c in range(u):
        h = STEPS.get(kinds[c], 1e-6) * np.maximum(1.0, np.abs(x[:, c]))
        def at(k, c=c, h=h):
            xp = x.copy()
            xp[:, c] += k * h
            return f(xp)

        f0, fp1, fp2, fm1, fm2 = at(0), at(1), at(2), at(-1), at(-2)
        hh = h[:, None]
        central = (fp1 - fm1) / (2 * hh)
        right = (-3 * f0 + 4 * fp1 - fp2) / (2 * hh)
        left = (3 * f0 - 4 * fm1 + fm2) / (2 * hh)
        got = jac[:, :, c]
        ok = ((np.abs(got - central) <= tol[:, :, 0]) | (np.abs(got - right) <= tol[:, :, 0])
              | (np.abs(got - left) <= tol[:, :, 0]))
        assert ok.all(), (
            f"{name}[:, :, {c}] differs from finite differences:\n"
            f"analytic={got[~ok]}\ncentral={central[~ok]}\nx={x[np.any(~ok, axis=1)]}"
        )


@pytest.mark.parametrize("group", [g for _, _, g in GROUPS], ids=IDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_jacobians_match_finite_differences(group: DeviceGroup, data) -> None:
    ctx = EvalContext(t=0.0)
    x = _draw_x(data, group)
    kinds = _kinds(group)
    ev = group.evaluate(x, ctx)
    _check_jacobian(lambda xx: group.evaluate(xx, ctx).i, ev.di, x, kinds, "di")
    if ev.q is not None:
        _check_jacobian(lambda xx: group.evaluate(xx, ctx).q, ev.dq, x, kinds, "dq")


@pytest.mark.parametrize("group", [g for _, _, g in GROUPS], ids=IDS)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_shapes_kcl_and_limit(group: DeviceGroup, data) -> None:
    ctx = EvalContext(t=0.0)
    x = _draw_x(data, group)
    n, u = x.shape
    ev = group.evaluate(x, ctx)
    assert ev.i.shape == (n, u) and ev.di.shape == (n, u, u)
    for arr in (ev.q, ev.dq, ev.c_incr):
        if arr is not None:
            assert arr.shape[:2] == (n, u)
    assert ev.dq is None or ev.dq.shape == (n, u, u)
    assert ev.c_incr is None or ev.c_incr.shape == (n, u, u)
    pattern = group.pattern()
    for arr in (ev.di, ev.dq, ev.c_incr):
        if arr is not None:
            assert not np.any(arr[:, ~pattern]), "non-zero Jacobian entry outside pattern()"
    rows = _node_rows(group)
    if not rows:  # no terminals (mutual inductance couples branch rows only)
        return
    scale = np.max(np.abs(ev.i[:, rows]), axis=-1) + 1e-30
    assert np.all(np.abs(ev.i[:, rows].sum(axis=-1)) <= 1e-12 * scale), "KCL violated"
    if ev.q is not None:
        qscale = np.max(np.abs(ev.q[:, rows]), axis=-1) + 1e-45
        assert np.all(np.abs(ev.q[:, rows].sum(axis=-1)) <= 1e-12 * qscale), "charge not conserved"
    y = x + _draw_x(data, group) * 0.5
    lim = group.limit(y, x)
    assert lim is None or lim.shape == y.shape


@pytest.mark.parametrize("group", [g for _, _, g in GROUPS], ids=IDS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_batched_equals_single(group: DeviceGroup, data) -> None:
    ctx = EvalContext(t=0.0)
    xb = _draw_x(data, group, lead=(3,))
    batched = group.evaluate(xb, ctx)
    cls = type(group)
    for b in range(xb.shape[0]):
        single = group.evaluate(xb[b], ctx)
        for name in ("i", "di", "q", "dq", "c_incr"):
            a, s = getattr(batched, name), getattr(single, name)
            assert (a is None) == (s is None)
            if a is not None:
                np.testing.assert_allclose(a[b], s, rtol=1e-13, atol=0, err_msg=name)
    # a group of one instance sums some terms in another order: a current that is itself a
    # rounding residue (1.2e-26 A from a MOSFET, off by 1.1e-30 A) needs an absolute floor,
    # here twelve decades below SPICE's abstol (A, S, C)
    for k, inst in enumerate(group.instances):
        alone = cls([inst], TEMP, TNOM).evaluate(xb[:, k : k + 1], ctx)
        np.testing.assert_allclose(alone.i[:, 0], batched.i[:, k], rtol=1e-13, atol=1e-24)
        np.testing.assert_allclose(alone.di[:, 0], batched.di[:, k], rtol=1e-13, atol=1e-24)
        if alone.q is not None:
            np.testing.assert_allclose(alone.q[:, 0], batched.q[:, k], rtol=1e-13, atol=1e-36)
