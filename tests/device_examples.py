"""Representative instances per device family, used by the device contract test.

``examples()`` maps a family name to a list of instances. The instances of one family may have
different structures (e.g. a diode with and without series resistance): the contract test splits
them into groups with the family's ``group_key``. Add a family by writing a small function
returning its instances and one entry in the dict below.
"""

from __future__ import annotations

from netsim.circuit.circuit import Instance, ModelCard


def _diode(name: str, model: dict, **params) -> Instance:
    return Instance(name, "diode", ("a", "k"), dict(params), model=ModelCard("dm", "d", model))


def diode_plain() -> list[Instance]:
    """rs = 0: ideal junction, caps, breakdown, temperature, area/m scaling."""
    return [
        _diode("d1", {"is": 1e-14}),
        _diode("d2", {"is": 1e-12, "n": 1.8, "cjo": 2e-12, "vj": 0.7, "m": 0.4, "tt": 5e-9},
               area=2.0, m=3.0),
        _diode("d3", {"is": 1e-13, "bv": 5.0, "ibv": 1e-4, "cjo": 1e-12, "fc": 0.6}),
        _diode("d4", {"is": 1e-14, "eg": 0.69, "xti": 2.0, "cjo": 1e-12, "ikf": 1e-3},
               temp=85.0),
    ]


def diode_rs() -> list[Instance]:
    """rs > 0: internal anode node."""
    return [
        _diode("d5", {"is": 1e-14, "rs": 10.0, "cjo": 1e-12, "tt": 1e-9}),
        _diode("d6", {"is": 1e-15, "rs": 2.0, "n": 1.2, "bv": 8.0, "ikr": 1e-3}, area=0.5,
               dtemp=20.0),
    ]


_NMOS = {"level": 1, "vto": 0.7, "kp": 1.1e-4, "gamma": 0.45, "phi": 0.7, "lambda": 0.03}
_PMOS = {"level": 1, "vto": -0.8, "kp": 4e-5, "gamma": 0.5, "phi": 0.65, "lambda": 0.05}
_CAPS = {"tox": 2e-8, "cgso": 3e-10, "cgdo": 3e-10, "cgbo": 2e-10, "cj": 2e-4, "cjsw": 1e-9,
         "mj": 0.45, "mjsw": 0.3, "pb": 0.75, "ld": 5e-8}


def _mos(name: str, mtype: str, model: dict, **params) -> Instance:
    return Instance(name, "mos1", ("d", "g", "s", "b"), dict(params),
                    model=ModelCard(mtype + "mod", mtype, model))


def mos_plain() -> list[Instance]:
    """No series resistances: nmos/pmos, with and without capacitances."""
    geo = {"w": 10e-6, "l": 1e-6, "ad": 2e-11, "as": 2e-11, "pd": 2.4e-5, "ps": 2.4e-5}
    return [
        _mos("m1", "nmos", _NMOS, w=5e-6, l=1e-6),
        _mos("m2", "nmos", {**_NMOS, **_CAPS}, **geo),
        _mos("m3", "pmos", _PMOS, w=20e-6, l=2e-6, m=2.0),
        _mos("m4", "pmos", {**_PMOS, **_CAPS, "cbd": 5e-14, "cbs": 5e-14}, **geo, temp=75.0),
        _mos("m5", "nmos", {"level": 1, "tox": 1.5e-8, "nsub": 1e16, "u0": 500, "js": 1e-4,
                            "cj": 1e-4}, **geo),
    ]


def mos_rd_rs() -> list[Instance]:
    """Drain and source resistances (internal d' and s' nodes)."""
    return [
        _mos("m6", "nmos", {**_NMOS, **_CAPS, "rd": 20.0, "rs": 15.0}, w=10e-6, l=1e-6),
        _mos("m7", "pmos", {**_PMOS, "rsh": 30.0, "tox": 3e-8}, w=4e-6, l=1e-6, nrd=2.0,
             nrs=1.5),
    ]


def _two(name: str, family: str, **params) -> Instance:
    return Instance(name, family, ("p", "n"), dict(params))


def linear_elements() -> dict[str, list[Instance]]:
    """R (with temperature coefficients), C, L, K and the linear controlled sources."""
    return {
        "resistor": [_two("r1", "resistor", r=1e3), _two("r2", "resistor", r=50.0, tc1=1e-3,
                                                           tc2=1e-5, temp=80.0, m=2.0)],
        "capacitor": [_two("c1", "capacitor", c=1e-12), _two("c2", "capacitor", c=3e-9, m=2)],
        "inductor": [_two("l1", "inductor", l=1e-6), _two("l2", "inductor", l=2e-9, m=2)],
        "mutual": [Instance("k1", "mutual", (), {"k": 0.7, "l1": 1e-6, "l2": 4e-6},
                            controls=("l1", "l2"))],
        "vcvs": [Instance("e1", "vcvs", ("p", "n", "cp", "cn"), {"gain": 3.0})],
        "vccs": [Instance("g1", "vccs", ("p", "n", "cp", "cn"), {"gain": 2e-3, "m": 2})],
        "cccs": [Instance("f1", "cccs", ("p", "n"), {"gain": 5.0}, controls=("vs",))],
        "ccvs": [Instance("h1", "ccvs", ("p", "n"), {"gain": 1e3}, controls=("vs",))],
    }


def sources() -> dict[str, list[Instance]]:
    from netsim.circuit.elaborate import elaborate_text

    circuit = elaborate_text("""sources
V1 a 0 dc 1 ac 1 sin(0 1 1meg)
V2 b 0 pulse(0 2 1n 1n 1n 5n 20n)
I1 a b dc 1m ac 2 90
R1 a 0 1k
R2 b 0 1k
.end
""")
    by_family: dict[str, list[Instance]] = {}
    for inst in circuit.instances:
        if inst.family in ("vsource", "isource"):
            by_family.setdefault(inst.family, []).append(inst)
    return by_family


def behavioural() -> list[Instance]:
    from netsim.circuit.elaborate import elaborate_text

    circuit = elaborate_text("""behavioural
V1 a 0 1
Vs a b 0
R1 b 0 1k
B1 o 0 v={v(a)**2 + 100*i(vs)*sin(v(b)) + 1e6*time}
R2 o 0 1k
B2 p 0 i={tanh(v(a, o)) * 1m}
R3 p 0 1k
.end
""")
    return [inst for inst in circuit.instances if inst.family == "behavioural"]


def _plugins() -> dict[str, list[Instance]]:
    """Examples contributed by tests/device_examples_<topic>.py modules (their examples())."""
    import importlib
    import pkgutil
    from pathlib import Path

    out: dict[str, list[Instance]] = {}
    for mod in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if mod.name.startswith("device_examples_"):
            out.update(importlib.import_module(mod.name).examples())
    return out


def examples() -> dict[str, list[Instance]]:
    """Family name -> representative instances (any mix of structures); other device families
    add theirs in a tests/device_examples_<topic>.py module with an examples() function."""
    return {
        **_plugins(),
        "diode": diode_plain() + diode_rs(),
        "mos1": mos_plain() + mos_rd_rs(),
        **linear_elements(),
        **sources(),
        "behavioural": behavioural(),
    }
