"""Contract-test examples for RF ports (family 'port'): one tone, several tones, dc only, a
bare termination, made from a netlist so the P card handler is exercised too."""

from __future__ import annotations

from netsim.circuit.circuit import Instance


def examples() -> dict[str, list[Instance]]:
    """Ports with 0, 1 and 3 tones in one group (tones padded), different z0 and dc."""
    from netsim.circuit.elaborate import elaborate_text

    circuit = elaborate_text("""ports
P1 a 0 z0=50 freq=2.1g power=-20dbm phase=30
P2 b 0 z0=75 freq=[1g 2g 3.5g] power=[-10dbm 1m 0dbw] phase=[0 90 -45] dc=0.3
P3 c 0 z0=10 dc=-1.2
P4 d e z0=50
R1 a 0 50
R2 b 0 75
R3 c 0 1k
R4 d 0 1k
R5 e 0 1k
.end
""")
    return {"port": [inst for inst in circuit.instances if inst.family == "port"]}
