"""Contract-test examples for the spintronic compact models (spindiode, stno)."""

from __future__ import annotations

from netsim.circuit.circuit import Instance, ModelCard


def _inst(name: str, family: str, model: dict, **params) -> Instance:
    return Instance(name, family, ("p", "n"), dict(params),
                    model=ModelCard(name + "mod", family, model))


def examples() -> dict[str, list[Instance]]:
    """Spin diodes (zero and large ith, symmetric and antisymmetric weights) and STNOs."""
    return {
        "spindiode": [
            _inst("n1", "spindiode", {"fres": 1e9}),
            _inst("n2", "spindiode", {"fres": 2.1e9, "alpha": 0.03, "ksd_s": 3000.0,
                                      "ksd_a": -5000.0, "ith": 1e-3}),
            _inst("n3", "spindiode", {"fres": 5e7, "r0": 300.0, "ith": 0.0}, ksd_s=100.0),
        ],
        "stno": [
            _inst("n4", "stno", {"f0": 3e8}),
            _inst("n5", "stno", {"f0": 2e9, "fnl": -4e8, "q": 1.5, "ith": 2e-3,
                                 "alpha": 0.02, "dr": 800.0}),
            _inst("n6", "stno", {"f0": 1e8, "fnl": 5e7, "c0": 0.0}, r0=2e3),
        ],
    }
