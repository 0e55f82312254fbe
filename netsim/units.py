"""SPICE numbers and power units.

SPICE numbers are an optional sign, a mantissa (``1``, ``1.5``, ``.5``, ``1.``), an optional
exponent (``1e-3``, ``2.2E+6``) and an optional scale suffix, case-insensitive::

    t=1e12  g=1e9  meg=1e6  k=1e3  m=1e-3  u=1e-6  n=1e-9  p=1e-12  f=1e-15  mil=25.4e-6

``meg`` and ``mil`` are recognised before ``m``. Any letters after the number (and its suffix) are
units and are ignored: ``10pF`` = 1e-11, ``1kohm`` = 1e3, ``5V`` = 5, ``3meg`` = 3e6 and, as in
every SPICE, ``1Mohm`` = 1e-3 (M is milli) and ``1F`` = 1e-15 (F is femto).

Decisions (checked against ngspice 39):

- ``a`` is a unit letter, not atto: ``2A`` = 2 (an amp), ``1mA`` = 1e-3.
- ``mil`` is 25.4e-6 in element values only; in parameter definitions and expressions
  (``.param w=1mil``, ``{2mil}``), which ngspice's numparam reads, it is ``m`` followed by
  unit letters: 1e-3 (``parse_number(text, expression=True)``).

- After the first letter, the rest of the word is a unit and is ignored even when it contains
  digits: ``1k2`` = 1e3, not 1.2e3 (ngspice reads it the same way).
- ``1.5e`` (an ``e`` without exponent digits) is 1.5: the ``e`` is read as a unit letter.
- An exponent and a suffix may be combined: ``1e3k`` = 1e6.
- Anything else is not a number and gives None: ``abc``, ``1.2.3``, ``--1``, ``1 k``, ``1-2``.
"""

from __future__ import annotations

import math
import re

import numpy as np

_NUMBER = re.compile(
    r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+))?([A-Za-z_][A-Za-z0-9_]*)?\s*\Z"
)

#: scale suffixes as powers of ten, keyed by the first letter (``meg`` and ``mil`` are read
#: before ``m``)
_DECADE = {"t": 12, "g": 9, "k": 3, "m": -3, "u": -6, "n": -9, "p": -12, "f": -15}
MIL = 25.4e-6


def parse_number(text: str, expression: bool = False) -> float | None:
    """The value of a SPICE number such as ``2.2u`` or ``10pF``; None if ``text`` is not one.
    expression: read as ngspice's numparam reads parameters and expressions (no ``mil``)."""
    m = _NUMBER.match(text)
    if m is None:
        return None
    mantissa, exponent, letters = m.groups()
    decade = int(exponent) if exponent else 0
    scale = 1.0
    if letters:
        low = letters.lower()
        if low.startswith("meg"):
            decade += 6
        elif low.startswith("mil") and not expression:
            scale = MIL
        else:
            decade += _DECADE.get(low[0], 0)
    # one decimal conversion, so 2.5u is exactly the double nearest 2.5e-6
    value = float(f"{mantissa}e{decade}") if decade else float(mantissa)
    value = value * scale if letters and scale != 1.0 else value
    return value if math.isfinite(value) else None  # 1e400 is not a number netsim can use


def dbm_to_watts(x):
    """Power in watts of ``x`` dBm (0 dBm = 1 mW). Accepts floats or numpy arrays."""
    w = np.power(10.0, np.asarray(x, dtype=float) / 10.0) * 1e-3
    return float(w) if np.ndim(w) == 0 else w


def watts_to_dbm(x):
    """Power in dBm of ``x`` watts (must be > 0). Accepts floats or numpy arrays."""
    arr = np.asarray(x, dtype=float)
    if np.any(arr <= 0):
        raise ValueError("watts_to_dbm needs a positive power")
    d = 10.0 * np.log10(arr) + 30.0
    return float(d) if np.ndim(d) == 0 else d


def parse_power(text: str) -> float | None:
    """A power in watts from ``-20dbm`` (dBm, case-insensitive) or a plain SPICE number (W)."""
    low = text.strip().lower()
    if low.endswith("dbm"):
        value = parse_number(low[:-3]) if low[:-3] else None
        if value is None or not math.isfinite(value):
            return None
        return dbm_to_watts(value)
    return parse_number(low)
