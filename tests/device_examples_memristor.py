"""Contract-test instances of the memristor families (hp, biolek, vteam, yakopcic,
stanford_rram): defaults, non-default windows and instance overrides."""

from __future__ import annotations

from netsim.circuit.circuit import Instance, ModelCard


def _mem(name: str, mtype: str, model: dict, **params) -> Instance:
    return Instance(name, mtype, ("p", "n"), dict(params),
                    model=ModelCard(f"{mtype}_{name}", mtype, model))


def examples() -> dict[str, list[Instance]]:
    return {
        "hp": [
            _mem("n1", "hp", {}),
            _mem("n2", "hp", {"ron": 50.0, "roff": 5e3, "p": 2.0}, x0=0.7),
            _mem("n3", "hp", {"d": 3e-9, "muv": 1e-13, "p": 1.5}),
        ],
        "biolek": [
            _mem("n4", "biolek", {}),
            _mem("n5", "biolek", {"p": 3.0, "ron": 1e3, "roff": 1e5}, x0=0.3),
        ],
        "vteam": [
            _mem("n6", "vteam", {}),
            _mem("n7", "vteam", {"rexp": 1.0, "aoff": 3.0, "koff": 1e-2, "wc": 0.1}, x0=0.2),
            _mem("n8", "vteam", {"von": -0.5, "voff": 0.4, "aon": 1.0}),
        ],
        "yakopcic": [
            _mem("n9", "yakopcic", {}),
            _mem("n10", "yakopcic", {"a1": 0.1, "a2": 0.3, "b": 1.2, "eta": -1.0, "xp": 0.6,
                                     "xn": 0.2, "alphan": 1.0}, x0=0.5),
        ],
        "stanford_rram": [
            _mem("n11", "stanford_rram", {}),
            _mem("n12", "stanford_rram", {"rth": 0.0, "beta": 1.5, "t0": 350.0}, x0=0.3),
            _mem("n13", "stanford_rram", {"gnoise": 1e-11, "tnoise": 1e-8}),
        ],
    }
