"""Reader for ngspice raw files (binary, the default of ``ngspice -b -r out.raw``, or ASCII).

A raw file is a sequence of plots; each has a text header (``Plotname:``, ``Flags:``,
``No. Variables:``, ``No. Points:``, ``Variables:`` with one ``index name type`` line per
vector) followed by ``Binary:`` and ``points x variables`` float64 values (two per value for
complex plots), or ``Values:`` and the same numbers as text. ngspice groups plots by analysis
type, not by card order, so plots are looked up by their ``Plotname``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Plot:
    """One analysis in a raw file: plotname and lower-case vector name -> values."""

    plotname: str
    vectors: dict[str, np.ndarray]


def _normalise(name: str) -> str:
    """Lower-case vector name in the netsim spelling: bare node names become ``v(name)``."""
    name = name.strip().lower()
    if "(" not in name and name not in ("time", "frequency"):
        name = f"v({name})"
    return name


def read_raw(path: str | Path) -> list[Plot]:
    """All plots of a raw file, in file order."""
    data = Path(path).read_bytes()
    plots: list[Plot] = []
    pos = 0
    while pos < len(data):
        header: dict[str, str] = {}
        names: list[str] = []
        marker = ""
        while pos < len(data):
            end = data.index(b"\n", pos)
            line = data[pos:end].decode("latin-1")
            pos = end + 1
            if line.startswith("Variables:"):
                count = int(header["no. variables"])
                for _ in range(count):
                    end = data.index(b"\n", pos)
                    fields = data[pos:end].decode("latin-1").split()
                    pos = end + 1
                    names.append(_normalise(fields[1]))
                continue
            if line.startswith(("Binary:", "Values:")):
                marker = line.split(":")[0]
                break
            if ":" in line:
                key, _, value = line.partition(":")
                header[key.strip().lower()] = value.strip()
        if not marker:
            break
        nvar = len(names)
        npts = int(header["no. points"])
        complex_plot = "complex" in header.get("flags", "")
        width = 2 if complex_plot else 1
        if marker == "Binary":
            nbytes = 8 * width * nvar * npts
            raw = np.frombuffer(data[pos:pos + nbytes], dtype="<f8")
            pos += nbytes
        else:
            values: list[float] = []
            while len(values) < width * nvar * npts:
                end = data.find(b"\n", pos)
                end = len(data) if end < 0 else end
                tokens = data[pos:end].decode("latin-1").split()
                pos = end + 1
                if not tokens:
                    continue
                if len(values) % (width * nvar) == 0:
                    tokens = tokens[1:]  # the point index
                for tok in tokens:
                    values.extend(float(x) for x in tok.split(","))
            raw = np.array(values)
        table = raw.reshape(npts, nvar, width)
        cols = table[..., 0] + 1j * table[..., 1] if complex_plot else table[..., 0]
        plots.append(Plot(header.get("plotname", ""),
                          {n: cols[:, k] for k, n in enumerate(names)}))
        while pos < len(data) and data[pos:pos + 1] in (b"\n", b"\r"):
            pos += 1
    return plots


def find_plot(plots: list[Plot], kind: str) -> Plot | None:
    """The first plot of an analysis kind: ``op``, ``dc``, ``tran`` or ``ac``."""
    words = {"op": "operating point", "dc": "dc transfer", "tran": "transient",
             "ac": "ac analysis"}[kind]
    for plot in plots:
        if plot.plotname.lower().startswith(words):
            return plot
    return None
