"""Device families; importing this package registers every family in base.REGISTRY."""

import importlib

from netsim.devices import (  # noqa: F401
    behavioural,
    controlled,
    diode,
    mosfet,
    passive,
    sources,
)

# neuromorphic device families (compact models instantiated with N elements)
for _name in ("memristor", "mtj", "spindiode", "stno"):
    try:
        importlib.import_module(f"netsim.devices.{_name}")
    except ModuleNotFoundError as _err:  # only a family that does not exist yet is skipped
        if _err.name != f"netsim.devices.{_name}":
            raise
