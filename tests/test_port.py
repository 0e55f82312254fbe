"""RF ports (P cards): Thevenin divider at DC, transient amplitude and delivered power against
the requested dBm, .ac phasor, spectral lines, batched evaluation, card errors."""

from __future__ import annotations

import numpy as np
import pytest

import netsim
from netsim.circuit.circuit import Instance
from netsim.circuit.elaborate import elaborate_text
from netsim.cli import main
from netsim.devices.base import REGISTRY, EvalContext
from netsim.devices.port import Port
from netsim.errors import ElaborationError


def _ports(text: str) -> Port:
    circuit = elaborate_text(text)
    return Port([i for i in circuit.instances if i.family == "port"], 27.0, 27.0)


def _amplitude(dbm: float, z0: float = 50.0) -> float:
    """Thevenin peak voltage of a port with available power dbm into z0."""
    return float(np.sqrt(8.0 * z0 * 1e-3 * 10.0 ** (dbm / 10.0)))


def _tail(t: np.ndarray, v: np.ndarray, t0: float, t1: float, n: int = 400_001):
    """v resampled uniformly on [t0, t1] (linear interpolation of the transient points)."""
    tt = np.linspace(t0, t1, n)
    return tt, np.interp(tt, t, v)


def _phasor(tt: np.ndarray, vv: np.ndarray, f: float) -> complex:
    """Peak phasor X of v = Re X e^{j 2 pi f t} over an integer number of periods."""
    w = np.exp(-2j * np.pi * f * tt)
    return complex(2.0 * np.trapezoid(vv * w, tt) / (tt[-1] - tt[0]))


# ---------------------------------------------------------------------------- registration


def test_family_is_registered_as_a_linear_time_varying_source() -> None:
    cls = REGISTRY["port"]
    assert cls is Port and cls.linear and cls.time_varying
    assert cls.terminals == ("p", "n")


# ---------------------------------------------------------------------------- .op


@pytest.mark.parametrize(("z0", "r", "dc"), [(50.0, 150.0, 2.0), (75.0, 25.0, -1.5)])
def test_op_is_the_thevenin_divider(z0: float, r: float, dc: float) -> None:
    res = netsim.run_text(f"""divider
P1 a 0 z0={z0} freq=1meg power=0dbm dc={dc}
R1 a 0 {r}
.op
.end
""")
    assert float(res.op["v(a)"]) == pytest.approx(dc * r / (r + z0), rel=1e-12)
    # SPICE sign: the port delivers current out of n+ into the load, so i(p1) < 0 for dc > 0
    assert float(res.op["i(p1)"]) == pytest.approx(-dc / (r + z0), rel=1e-12)


def test_port_without_tones_is_a_termination() -> None:
    res = netsim.run_text("""termination
V1 a 0 1
R1 a b 50
P1 b 0 z0=50
.op
.end
""")
    assert float(res.op["v(b)"]) == pytest.approx(0.5, rel=1e-12)
    assert float(res.op["i(p1)"]) == pytest.approx(0.01, rel=1e-12)  # absorbs power


def test_dc_only_port_with_zero_z0_is_an_ideal_source() -> None:
    res = netsim.run_text("""ideal
P1 a 0 z0=0 dc=1.2
R1 a 0 1k
.op
.end
""")
    assert float(res.op["v(a)"]) == pytest.approx(1.2, rel=1e-12)


def test_dc_value_setter_changes_the_dc_value() -> None:
    group = _ports("""setter
P1 a 0 z0=50 dc=5 freq=1g power=0dbm
R1 a 0 50
.end
""")
    assert group.dc_value("p1") == 5.0 and group.dc_value_setter("nope") is None
    group.dc_value_setter("p1")(2.0)
    assert group.dc_value("p1") == 2.0
    x = np.zeros((1, 3))
    assert group.evaluate(x, EvalContext(t=None)).i[0, 2] == -2.0
    t = 0.1e-9
    expected = -(2.0 + _amplitude(0.0) * np.cos(2 * np.pi * 1e9 * t))
    assert group.evaluate(x, EvalContext(t=t)).i[0, 2] == pytest.approx(expected, rel=1e-13)


def test_dc_sweep_of_the_port_dc_value() -> None:
    res = netsim.run_text("""sweep
P1 a 0 z0=50 dc=5
R1 a 0 50
.dc p1 0 2 1
.op
.end
""")
    np.testing.assert_allclose(res.dc["v(a)"], [0.0, 0.5, 1.0], atol=1e-12)
    assert float(res.op["v(a)"]) == pytest.approx(2.5)  # restored after the sweep


# ---------------------------------------------------------------------------- transient


@pytest.mark.parametrize("r", [25.0, 50.0, 200.0])
def test_transient_amplitude_across_load(r: float) -> None:
    f, z0, dbm, ph = 1e6, 50.0, -10.0, 30.0
    res = netsim.run_text(f"""amplitude
P1 a 0 z0={z0} freq={f} power={dbm}dbm phase={ph}
R1 a 0 {r}
.tran 1n 6u 0 2n
.end
""")
    tt, vv = _tail(res.tran["time"], res.tran["v(a)"], 1e-6, 6e-6)
    x = _phasor(tt, vv, f)
    expected = _amplitude(dbm, z0) * r / (r + z0)
    assert abs(x) == pytest.approx(expected, rel=1e-4)
    assert np.angle(x, deg=True) == pytest.approx(ph, abs=0.01)


def _power_over_periods(res, node: str, r: float, t0: float, t1: float) -> float:
    """Mean power into r over [t0, t1] (whole periods), trapezoid on a fine uniform grid."""
    tt, vv = _tail(res.tran["time"], res.tran[node], t0, t1)
    return float(np.trapezoid(vv**2 / r, tt) / (t1 - t0))


@pytest.mark.parametrize("dbm", [-20.0, 0.0, 13.0])
def test_matched_load_receives_the_requested_power(dbm: float) -> None:
    f = 2.1e9
    period = 1.0 / f
    res = netsim.run_text(f"""matched
P1 in 0 z0=50 freq=2.1g power={dbm:g}dbm
R1 in 0 50
.tran {period / 100} {20 * period} 0 {period / 200}
.end
""")
    # 10 whole periods after 10 periods of settling
    p = _power_over_periods(res, "v(in)", 50.0, 10 * period, 20 * period)
    assert p == pytest.approx(1e-3 * 10 ** (dbm / 10), rel=1e-3)


def test_two_tones_deliver_their_powers() -> None:
    f1, f2 = 1e6, 3e6
    res = netsim.run_text("""two tones
P1 in 0 z0=50 freq=[1meg 3meg] power=[-20dbm -26dbm] phase=[0 90]
R1 in 0 50
.tran 2n 4u 0 2n
.end
""")
    p1, p2 = 1e-5, 1e-3 * 10 ** -2.6
    total = _power_over_periods(res, "v(in)", 50.0, 1e-6, 4e-6)
    assert total == pytest.approx(p1 + p2, rel=1e-3)
    tt, vv = _tail(res.tran["time"], res.tran["v(in)"], 1e-6, 4e-6)
    x1, x2 = _phasor(tt, vv, f1), _phasor(tt, vv, f2)
    assert abs(x1) ** 2 / (2 * 50) == pytest.approx(p1, rel=1e-3)
    assert abs(x2) ** 2 / (2 * 50) == pytest.approx(p2, rel=1e-3)
    assert np.angle(x1, deg=True) == pytest.approx(0.0, abs=0.05)
    assert np.angle(x2, deg=True) == pytest.approx(90.0, abs=0.05)


def test_transient_steady_state_matches_ac_phasor() -> None:
    """RC load: the transient's steady state at f1 equals .ac with the default excitation."""
    f = 1e6
    netlist = f"""rc load
P1 a 0 z0=50 freq={f} power=0dbm phase=-40
R1 a 0 100
C1 a 0 2n
.ac lin 1 {f} {f}
.tran 1n 8u 0 1n
.end
"""
    res = netsim.run_text(netlist)
    tt, vv = _tail(res.tran["time"], res.tran["v(a)"], 4e-6, 8e-6)
    assert _phasor(tt, vv, f) == pytest.approx(complex(res.ac["v(a)"][0]), rel=2e-3)


# ---------------------------------------------------------------------------- .ac


def _load(f: float, r: float, c: float) -> complex:
    return 1.0 / (1.0 / r + 2j * np.pi * f * c)


def test_ac_response_at_f1_is_the_tone_phasor() -> None:
    f, z0, r, c = 2.1e9, 50.0, 80.0, 1e-12
    res = netsim.run_text(f"""ac
P1 a 0 z0={z0} freq=[2.1g 2.3g] power=[-20dbm -3dbm] phase=[60 0]
R1 a 0 {r}
C1 a 0 {c}
.ac lin 3 2g 2.2g
.end
""")
    freqs = res.ac["frequency"]
    assert freqs[1] == pytest.approx(f)
    a1 = _amplitude(-20.0, z0) * np.exp(1j * np.deg2rad(60.0))
    zl = _load(freqs, r, c)
    np.testing.assert_allclose(res.ac["v(a)"], a1 * zl / (zl + z0), rtol=1e-10)
    np.testing.assert_allclose(res.ac["i(p1)"], -a1 / (zl + z0), rtol=1e-10)


def test_ac_magnitude_overrides_the_tone() -> None:
    res = netsim.run_text("""ac override
P1 a 0 z0=50 freq=1g power=10dbm ac=1 acphase=90
P2 b 0 z0=50 ac=2
R1 a 0 50
R2 b 0 150
.ac lin 1 1g 1g
.end
""")
    assert complex(res.ac["v(a)"][0]) == pytest.approx(0.5j, abs=1e-12)
    assert complex(res.ac["v(b)"][0]) == pytest.approx(1.5, abs=1e-12)


def test_ac_excitation_default_and_none() -> None:
    group = _ports("""exc
P1 a 0 z0=50 freq=1g power=0dbm phase=90
P2 b 0 z0=50
R1 a 0 50
R2 b 0 50
.end
""")
    exc = group.ac_excitation()
    assert exc.shape == (2, 3)
    assert exc[0, 2] == pytest.approx(-1j * _amplitude(0.0), abs=1e-12)
    assert not np.any(exc[:, :2]) and exc[1, 2] == 0


# ---------------------------------------------------------------------------- spectral lines


def test_spectral_excitation_lines() -> None:
    group = _ports("""lines
P1 a 0 z0=50 dc=0.5 freq=[1g 2g] power=[0dbm 10u] phase=[0 45]
P2 b 0 z0=25 dc=-1
P3 c 0 z0=100 freq=3g power=1m phase=-90
R1 a 0 50
R2 b 0 50
R3 c 0 50
.end
""")
    se = group.spectral_excitation()
    np.testing.assert_array_equal(se.inst, [0, 0, 0, 1, 2, 2])
    np.testing.assert_array_equal(se.row, [2] * 6)
    np.testing.assert_array_equal(se.freq, [0.0, 1e9, 2e9, 0.0, 0.0, 3e9])
    expected = [
        -0.5,
        -_amplitude(0.0),
        -np.sqrt(8 * 50 * 10e-6) * np.exp(1j * np.pi / 4),
        1.0,
        0.0,
        -np.sqrt(8 * 100 * 1e-3) * np.exp(-1j * np.pi / 2),
    ]
    np.testing.assert_allclose(se.value, expected, rtol=1e-14, atol=1e-15)


def test_spectral_lines_reproduce_the_time_waveform() -> None:
    group = _ports("""sum
P1 a 0 z0=50 dc=0.2 freq=[1g 2.5g] power=[-3dbm 2m] phase=[10 -70]
R1 a 0 50
.end
""")
    se = group.spectral_excitation()
    t = np.linspace(0.0, 3e-9, 37)
    from_lines = np.real(np.sum(se.value[:, None] * np.exp(2j * np.pi * se.freq[:, None] * t),
                                axis=0))
    x = np.zeros((len(t), 1, 3))
    ev = group.evaluate(x, EvalContext(t=t[:, None]))
    np.testing.assert_allclose(ev.i[:, 0, 2], from_lines, rtol=1e-12, atol=1e-14)
    # srcfact 0 (how HB evaluates the linear part): no source left
    assert not np.any(group.evaluate(x, EvalContext(t=None, srcfact=0.0)).i)


# ---------------------------------------------------------------------------- evaluation


_THREE = """group
P1 a 0 z0=50 freq=1g power=0dbm phase=30
P2 b 0 z0=75 freq=[1g 2g 3g] power=[-10dbm 1m 0dbm] phase=[0 90 -45] dc=0.3
P3 c 0 z0=10 dc=-1.2
R1 a 0 1k
R2 b 0 1k
R3 c 0 1k
.end
"""


def _expected_vs(group: Port, t: float) -> np.ndarray:
    out = []
    for tones in group.tones:
        v = tones.dc
        for f, a, ph in zip(tones.freq, tones.amplitude, tones.phase):
            v += a * np.cos(2 * np.pi * f * t + np.deg2rad(ph))
        out.append(v)
    return np.array(out)


def test_residual_jacobian_and_source_value() -> None:
    group = _ports(_THREE)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 3)) * [1.0, 1.0, 1e-2]
    t = 0.37e-9
    ev = group.evaluate(x, EvalContext(t=t, srcfact=0.75))
    z0 = np.array([50.0, 75.0, 10.0])
    np.testing.assert_allclose(ev.i[:, 0], x[:, 2])
    np.testing.assert_allclose(ev.i[:, 1], -x[:, 2])
    np.testing.assert_allclose(
        ev.i[:, 2], x[:, 0] - x[:, 1] - z0 * x[:, 2] - 0.75 * _expected_vs(group, t),
        rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(ev.di[:, 2, 2], -z0)
    assert ev.q is None
    static = group.evaluate(x, EvalContext(t=None))
    np.testing.assert_allclose(static.i[:, 2], x[:, 0] - x[:, 1] - z0 * x[:, 2]
                               - np.array([0.0, 0.3, -1.2]), rtol=1e-13)


def test_batched_evaluation_with_leading_axes() -> None:
    group = _ports(_THREE)
    rng = np.random.default_rng(2)
    times = np.linspace(0.0, 2e-9, 5)
    x = rng.normal(size=(4, 5, 3, 3))  # (B, K, N, U)
    for t in (times[:, None], times):  # (K, 1) broadcasts; (K,) is read per batch entry
        ev = group.evaluate(x, EvalContext(t=t))
        assert ev.i.shape == (4, 5, 3, 3) and ev.di.shape == (4, 5, 3, 3, 3)
        for b in range(4):
            for k, tk in enumerate(times):
                one = group.evaluate(x[b, k], EvalContext(t=float(tk)))
                np.testing.assert_allclose(ev.i[b, k], one.i, rtol=1e-13, atol=1e-15)
                np.testing.assert_array_equal(ev.di[b, k], one.di)
    # per-instance times: t of shape (N,) with no batch axis
    ev = group.evaluate(x[0, 0], EvalContext(t=times[:3]))
    for n in range(3):
        one = group.evaluate(x[0, 0], EvalContext(t=float(times[n])))
        assert ev.i[n, 2] == pytest.approx(one.i[n, 2], rel=1e-13)


def test_group_equals_instances_alone_despite_tone_padding() -> None:
    group = _ports(_THREE)
    x = np.random.default_rng(3).normal(size=(3, 3))
    ctx = EvalContext(t=1.234e-9)
    together = group.evaluate(x, ctx)
    for k, inst in enumerate(group.instances):
        alone = Port([inst], 27.0, 27.0).evaluate(x[k:k + 1], ctx)
        np.testing.assert_allclose(alone.i[0], together.i[k], rtol=1e-14, atol=1e-16)


def test_phase_is_exact_at_long_times() -> None:
    group = _ports("""long
P1 a 0 z0=50 freq=2.1g power=0dbm
R1 a 0 50
.end
""")
    t = 1e-3 + 0.25 / 2.1e9  # 2.1e6 periods and a quarter
    v = group.source_values(EvalContext(t=t))
    assert abs(v[0]) < 1e-6 * _amplitude(0.0)


# ---------------------------------------------------------------------------- card values


@pytest.mark.parametrize(("text", "watts"), [
    ("-20dbm", 1e-5), ("0dBm", 1e-3), ("13dbm", 1e-3 * 10 ** 1.3), ("0dbw", 1.0),
    ("-30dbw", 1e-3), ("10u", 1e-5), ("2mw", 2e-3), ("{1e-3*2}", 2e-3), ("0", 0.0),
    ("{pin}", 4e-3),
])
def test_power_units(text: str, watts: float) -> None:
    circuit = elaborate_text(f"""power
.param pin=4m
P1 a 0 freq=1g power={text}
R1 a 0 50
.end
""")
    inst = circuit.instances[0]
    assert inst.params["power"] == pytest.approx((watts,), rel=1e-14)


def test_scalar_power_and_phase_apply_to_every_tone() -> None:
    inst = elaborate_text("""scalars
P1 a 0 freq=[1g 2g 3g] power=-10dbm phase=45
R1 a 0 50
.end
""").instances[0]
    assert inst.params["freq"] == (1e9, 2e9, 3e9)
    assert inst.params["power"] == pytest.approx((1e-4,) * 3)
    assert inst.params["phase"] == (45.0,) * 3
    assert inst.params["z0"] == 50.0 and inst.params["dc"] == 0.0


def test_default_columns_include_the_port_current() -> None:
    res = netsim.run_text("""outputs
P1 a 0 z0=50 freq=1meg power=0dbm
R1 a 0 50
.tran 10n 1u
.end
""")
    assert "i(p1)" in res.tran.keys()
    np.testing.assert_allclose(res.tran["i(p1)"], -res.tran["v(a)"] / 50.0, rtol=1e-9,
                               atol=1e-15)


def test_print_names_the_port_current() -> None:
    res = netsim.run_text("""print
P1 a 0 z0=50 dc=1
R1 a b 50
R2 b 0 50
.print op i(p1) v(b)
.op
.end
""")
    assert float(res.op["i(p1)"]) == pytest.approx(-1 / 150)


# ---------------------------------------------------------------------------- errors


def _error(card: str) -> ElaborationError:
    with pytest.raises(ElaborationError) as info:
        elaborate_text(f"errors\n{card}\nR1 a 0 50\n.end\n", "e.net")
    return info.value


@pytest.mark.parametrize(("card", "message", "col", "hint"), [
    ("P1 a 0 freq=1g pwr=-20dbm", "unknown parameter 'pwr' on RF port 'p1'", 16,
     "did you mean 'power'? valid parameters: ac, acphase, dc, freq, phase, power, z0"),
    ("P1 a 0 power=-20dbm", "RF port 'p1' has power= but no freq=", 8, "freq=2.1g"),
    ("P1 a 0 phase=90 dc=1", "RF port 'p1' has phase= but no freq=", 8, "freq=2.1g"),
    ("P1 a 0 freq=1g", "RF port 'p1' has freq= but no power=", 8, "power=-20dbm"),
    ("P1 a 0 freq=[1g -2g] power=0dbm", "tone frequency must be > 0, got -2e+09", 17,
     "use dc= for a constant voltage"),
    ("P1 a 0 freq=0 power=0dbm", "tone frequency must be > 0, got 0", 13, "Hz"),
    ("P1 a 0 freq=[1g 2g] power=[0dbm 1dbm 2dbm]",
     "RF port 'p1' has 2 frequencies but 3 power values", 27, "one power per tone"),
    ("P1 a 0 freq=1g power=[0dbm 1dbm]",
     "RF port 'p1' has 1 frequency but 2 power values", 22, "single power"),
    ("P1 a 0 freq=[1g 2g 3g] power=0dbm phase=[0 90]",
     "RF port 'p1' has 3 frequencies but 2 phase values", 41, "one phase per tone"),
    ("P1 a 0 z0=0 freq=1g power=0dbm", "RF port 'p1' has power= but z0=0; z0 must be > 0",
     11, "z0=50"),
    ("P1 a 0 z0=-50 dc=1", "z0 must not be negative on RF port 'p1', got -50", 11, "ohms"),
    ("P1 a 0 freq=1g power=-20", "power must be >= 0 W, got -20", 22,
     "for dBm write the unit: power=-20dbm"),
    ("P1 a 0 freq=1g power=-20db", "unknown power unit 'db' in '-20db'", 22,
     "power=-20dbm"),
    ("P1 a 0 freq=1g power=1kdbm", "unknown power unit 'kdbm' in '1kdbm'", 22, "power=1dbm"),
    ("P1 a 0 freq=1g freq=2g power=0dbm", "'freq=' is given twice on RF port 'p1'", 16,
     "freq=[2.1g 2.3g]"),
    ("P1 a 0 z0=[50 75] dc=1", "'z0=' takes one value, found a [list]", 11, "P<name>"),
    ("P1 a 0 freq=[] power=0dbm", "'freq=' has an empty list", 13, "freq=[2.1g 2.3g]"),
    ("P1 a 0 freq=1g power=[0dbm abc]", "expected a tone power (dBm or W), found 'abc'", 28,
     None),
    ("P1 a 0 50 freq=1g power=0dbm", "unexpected '50' on RF port 'p1'", 8, "z0=50"),
    ("P1 a", "RF port 'p1' needs 2 fields after its name, got 1", 1, "P<name> n+ n-"),
])
def test_card_errors_are_located(card: str, message: str, col: int, hint: str | None) -> None:
    err = _error(card)
    assert message in err.message
    assert err.span is not None and err.span.line == 2 and err.span.col == col, err.span
    if hint is not None:
        assert hint in (err.hint or "")


def test_instances_made_in_python_are_checked() -> None:
    bad = Instance("p9", "port", ("a", "0"), {"freq": (1e9, 2e9), "power": (1e-3, 1e-3, 1e-3)})
    with pytest.raises(ElaborationError, match="2 frequencies but 3 powers"):
        Port([bad], 27.0, 27.0)
    with pytest.raises(ElaborationError, match="power is given but no frequency"):
        Port([Instance("p9", "port", ("a", "0"), {"power": 1e-3})], 27.0, 27.0)
    with pytest.raises(ElaborationError, match="did you mean 'power'"):
        Port([Instance("p9", "port", ("a", "0"), {"freq": 1e9, "powr": 1e-3})], 27.0, 27.0)
    ok = Port([Instance("p9", "port", ("a", "0"), {"freq": 1e9, "power": 1e-3})], 27.0, 27.0)
    assert ok.z0[0] == 50.0 and ok.amp[0, 0] == pytest.approx(np.sqrt(0.4))


def test_rendered_diagnostic(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "port.net").write_text("""ports
P1 in 0 z0=50 freq=[2.1g 2.3g] power=[-20dbm -25dbm -30dbm]
R1 in 0 50
.tran 1p 1n
.end
""")
    monkeypatch.chdir(tmp_path)
    rc = main(["run", "port.net", "-o", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert rc == 1 and out == ""
    assert err == """\
port.net:2:38: error: RF port 'p1' has 2 frequencies but 3 power values
   2 | P1 in 0 z0=50 freq=[2.1g 2.3g] power=[-20dbm -25dbm -30dbm]
     |                                      ^^^^^^^^^^^^^^^^^^^^^^
hint: give one power per tone, or a single power for every tone
"""
