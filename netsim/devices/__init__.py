"""Device families; importing this package registers every family in base.REGISTRY."""

from netsim.devices import (  # noqa: F401
    behavioural,
    controlled,
    diode,
    memristor,
    mosfet,
    mtj,
    passive,
    port,
    sources,
    spindiode,
    stno,
)
