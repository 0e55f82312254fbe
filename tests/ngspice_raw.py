"""Reader for ngspice ASCII raw files (``SPICE_ASCIIRAWFILE=1 ngspice -b -r out.raw``).

An ASCII raw file is a sequence of plots. Each plot has a header::

    Title: ...
    Date: ...
    Plotname: Transient Analysis
    Flags: real            (or ``complex``)
    No. Variables: 6
    No. Points: 66
    Variables:
    \t0\ttime\ttime
    \t1\tv(in)\tvoltage
    ...
    Values:
    0\t\t0.000000000000000e+00
    \t1.000000000000000e+00
    ...

followed by ``No. Points`` records; each record starts with the point index and holds one value
per variable (``re,im`` for complex plots). Note that ngspice does not write the plots in the
order of the analysis cards: it groups them by analysis type. The golden generator therefore
runs one analysis per ngspice invocation.

This module only parses; it never runs ngspice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class RawPlot:
    """One plot (one analysis result) of a raw file.

    Attributes:
        title: circuit title line.
        plotname: ngspice's plot name, e.g. ``"Transient Analysis"``.
        complex: True when the values are complex (AC analysis).
        names: vector names as ngspice wrote them (case preserved), in file order.
        kinds: vector types (``time``, ``voltage``, ``current``, ``frequency``, ...).
        data: vector name -> 1-D array (float64 or complex128) of length ``npoints``.
    """

    title: str
    plotname: str
    complex: bool
    names: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    data: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def npoints(self) -> int:
        """Number of points (rows) in the plot."""
        if not self.names:
            return 0
        return int(self.data[self.names[0]].shape[0])


def _parse_value(token: str, is_complex: bool) -> complex | float:
    """Parse one value token, ``re,im`` for complex plots."""
    if is_complex:
        re_s, _, im_s = token.partition(",")
        return complex(float(re_s), float(im_s) if im_s else 0.0)
    return float(token)


def parse_raw_text(text: str) -> list[RawPlot]:
    """Parse the text of an ASCII raw file into its plots, in file order."""
    lines = text.splitlines()
    plots: list[RawPlot] = []
    i = 0
    n = len(lines)
    title = ""
    while i < n:
        line = lines[i]
        if line.startswith("Title:"):
            title = line.split(":", 1)[1].strip()
            i += 1
            continue
        if not line.startswith("Plotname:"):
            i += 1
            continue
        plotname = line.split(":", 1)[1].strip()
        flags = ""
        nvars = npts = 0
        i += 1
        while i < n and not lines[i].startswith("Variables:"):
            key, _, val = lines[i].partition(":")
            key = key.strip().lower()
            if key == "flags":
                flags = val.strip().lower()
            elif key == "no. variables":
                nvars = int(val)
            elif key == "no. points":
                npts = int(val)
            i += 1
        i += 1  # skip "Variables:"
        plot = RawPlot(title=title, plotname=plotname, complex="complex" in flags)
        for _ in range(nvars):
            parts = lines[i].split()
            plot.names.append(parts[1])
            plot.kinds.append(parts[2] if len(parts) > 2 else "")
            i += 1
        while i < n and not lines[i].startswith("Values:"):
            i += 1
        i += 1  # skip "Values:"
        # Gather the value tokens: every record is "idx value" then nvars-1 lines "value".
        tokens: list[str] = []
        need = npts * (nvars + 1)
        while i < n and len(tokens) < need:
            stripped = lines[i].strip()
            if stripped:
                if stripped.startswith(("Title:", "Plotname:")):
                    break
                tokens.extend(stripped.split())
            i += 1
        if len(tokens) < need:
            raise ValueError(
                f"raw plot '{plotname}': expected {need} tokens "
                f"({npts} points x {nvars} vectors + index), found {len(tokens)}"
            )
        dtype = np.complex128 if plot.complex else np.float64
        table = np.empty((npts, nvars), dtype=dtype)
        for p in range(npts):
            rec = tokens[p * (nvars + 1) : (p + 1) * (nvars + 1)]
            if int(rec[0]) != p:
                raise ValueError(f"raw plot '{plotname}': point index {rec[0]} != {p}")
            table[p, :] = [_parse_value(tok, plot.complex) for tok in rec[1:]]
        for k, name in enumerate(plot.names):
            plot.data[name] = table[:, k].copy()
        plots.append(plot)
    return plots


def read_raw(path: str | Path) -> list[RawPlot]:
    """Read an ASCII raw file written by ngspice and return its plots in file order."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    if "Binary:" in text[:4096] and "Values:" not in text[:4096]:
        raise ValueError(f"{path}: binary raw file; set SPICE_ASCIIRAWFILE=1 when running ngspice")
    return parse_raw_text(text)
