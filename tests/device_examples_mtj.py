"""MTJ instances for the device contract test (tests/test_device_contract.py)."""

from __future__ import annotations

from netsim.circuit.circuit import Instance, ModelCard

_ZHAO = {"level": 1.0, "rp": 4e3, "tmr0": 0.7, "vh": 0.5, "alpha": 0.027, "pol": 0.52,
         "ms": 456e3, "hk": 113e3, "tfl": 1.3e-9}


def _mtj(name: str, model: dict, **params) -> Instance:
    return Instance(name, "mtj", ("p", "n"), dict(params), model=ModelCard("mt", "mtj", model))


def examples() -> dict[str, list[Instance]]:
    """Level 1 (P and AP states, thermal and precessional rates, a p-bit) and level 2
    (with field-like torque, applied field, capacitance)."""
    pbit = {"level": 1.0, "rp": 2e3, "tmr0": 1.0, "delta": 3.0, "ic0": 20e-6, "tau0": 1e-9}
    llgs = {"level": 2.0, "rp": 1e3, "tmr0": 1.0, "vh": 0.4, "alpha": 0.01, "ms": 1e6,
            "hk": 60e3, "pol": 0.6, "area": 3.1416e-16, "tfl": 1.5e-9}
    return {"mtj": [
        _mtj("n1", _ZHAO),
        _mtj("n2", _ZHAO, m0=1.0),
        _mtj("n3", {**_ZHAO, "ic0": 1e-3, "delta": 40.0, "cp": 1e-15}),
        _mtj("n4", {**_ZHAO, "ic0": 5e-5, "delta": 1.0, "tau0": 1e-8}),
        _mtj("n5", pbit, m0=1.0),
        _mtj("n6", llgs, theta0=0.1),
        _mtj("n7", {**llgs, "xi": 0.3, "hx": 5e3, "hz": -2e3, "cp": 2e-15}, m0=1.0),
        _mtj("n8", {**_ZHAO, "level": 2.0, "eta": 0.3, "noise": 0.0}),
    ]}
