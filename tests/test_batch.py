"""Batched simulation: each variant equals running it alone; .step and .data in netlists."""

import numpy as np
import pytest

import netsim
from netsim.batch import variant_list
from netsim.errors import NetsimError

DIODE_RC = """diode rc
.param rl=1k vin=2
.model dm d(is=1e-14 n=1.2 rs=5 cjo=1p tt=1n)
V1 a 0 dc {vin} ac 1 pulse(0 {vin} 1n 1n 1n 5n 20n)
R1 a b 100
D1 b c dm
R2 c 0 {rl}
C1 c 0 10p
.end
"""
TABLE = {"rl": np.linspace(500.0, 5e3, 12), "vin": np.linspace(1.0, 3.0, 12)}


def alone(variant: dict) -> netsim.Simulator:
    text = DIODE_RC.replace(".param rl=1k vin=2",
                            f".param rl={variant['rl']!r} vin={variant['vin']!r}")
    return netsim.Simulator.from_text(text)


def test_operating_points_equal_standalone_runs() -> None:
    batch = netsim.Simulator.from_text(DIODE_RC).op(batch=TABLE)
    assert len(batch) == 12
    for k, variant in enumerate(variant_list(TABLE)):
        single = alone(variant).op()
        for name in single.columns:
            assert float(batch[k][name]) == pytest.approx(float(single[name]), rel=1e-6,
                                                          abs=1e-12)


def test_dc_and_ac_equal_standalone_runs() -> None:
    sim = netsim.Simulator.from_text(DIODE_RC)
    sweep = [("v1", np.linspace(0.0, 2.0, 9))]
    temps = [("temp", np.array([-40.0, 27.0, 125.0])), ("v1", np.array([0.8, 2.0]))]
    freqs = np.logspace(3, 9, 13)
    dc, ac = sim.dc(sweep, batch=TABLE), sim.ac(freqs, batch=TABLE)
    dc_temp = sim.dc(temps, batch=TABLE)
    for k in (0, 5, 11):
        single = alone(variant_list(TABLE)[k])
        np.testing.assert_allclose(dc[k]["v(c)"], single.dc(sweep)["v(c)"], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(ac[k]["v(c)"], single.ac(freqs)["v(c)"], rtol=1e-6)
        np.testing.assert_allclose(dc_temp[k]["v(c)"], single.dc(temps)["v(c)"], rtol=1e-6,
                                   atol=1e-9)
    assert sim.circuit.temp == 27.0  # the sweep leaves the netlist's temperature


def test_transient_variants_agree_with_standalone_within_tolerance() -> None:
    batch = netsim.Simulator.from_text(DIODE_RC).tran(0.1e-9, 20e-9, batch=TABLE)
    for k in (0, 6, 11):
        single = alone(variant_list(TABLE)[k]).tran(0.1e-9, 20e-9)
        got = np.interp(single["time"], batch[k]["time"], batch[k]["v(c)"])
        assert np.max(np.abs(got - single["v(c)"])) < 5e-3 * np.ptp(single["v(c)"])


def test_step_and_data_cards_run_every_variant(tmp_path) -> None:
    text = """steps
.param r2=1k g=1
.data tab r2 g 1k 1 2k 2 4k 3
V1 a 0 1
R1 a b 1k
R2 b 0 {r2}
E1 c 0 b 0 {g}
R3 c 0 1k
.step data=tab
.op
.end
"""
    res = netsim.run_text(text)
    op = res.op
    np.testing.assert_allclose(op["r2"], [1e3, 2e3, 4e3])
    expected_b = op["r2"] / (op["r2"] + 1e3)
    np.testing.assert_allclose(op["v(b)"], expected_b)
    np.testing.assert_allclose(op["v(c)"], op["g"] * expected_b)
    stepped = netsim.run_text(text.replace(".step data=tab", ".step dec param r2 1k 100k 1"))
    np.testing.assert_allclose(stepped.op["r2"], [1e3, 1e4, 1e5])


def test_batch_of_unknown_parameter_is_an_error() -> None:
    with pytest.raises(NetsimError, match="no top-level .param 'rx'"):
        netsim.Simulator.from_text(DIODE_RC).op(batch={"rx": [1.0, 2.0]})
