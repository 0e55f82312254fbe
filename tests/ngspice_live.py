"""Run ngspice on a netlist text and return its vectors under netsim's output-contract names.

This helper is self-contained (it carries its own ASCII raw-file reader) so that the live
differential test depends on nothing but numpy and the ``ngspice`` executable.

Usage::

    analyses = run_ngspice(netlist_text)          # one NgAnalysis per analysis card, netlist order
    op = analyses[0]
    op.vectors["v(out)"], op.vectors["i(v1)"]     # float arrays (complex for .ac)
    op.columns()                                  # CSV-style columns: ac split into vr()/vi()

Name mapping (ngspice -> netsim contract), always lower case:

- node voltage ``v(n1)`` or bare ``n1``                  -> ``v(n1)``
- branch current ``i(v1)`` or ``v1#branch``              -> ``i(v1)``  (also E, H, L branches)
- DC sweep scale ``v(v-sweep)`` / ``i(i-sweep)``         -> the swept source's name, e.g. ``v1``
- ``time`` and ``frequency`` scales keep their names.

Before running, tight tolerances are injected (``DEFAULT_OPTIONS``, placed just before ``.end``)
and every ``.tran`` card gets a small maximum step (``tstop / tran_points``) unless it already
names one, so that ngspice serves as a reference much more accurate than the default settings.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_OPTIONS = ".options reltol=1e-6 abstol=1e-15 vntol=1e-9"
"""Options card injected into every netlist handed to ngspice (pass ``options=None`` to skip)."""

DEFAULT_TRAN_POINTS = 2000
"""``.tran`` maximum step is ``tstop / DEFAULT_TRAN_POINTS`` unless the card gives one."""

_PLOT_KINDS = {
    "operating point": "op",
    "dc transfer characteristic": "dc",
    "ac analysis": "ac",
    "transient analysis": "tran",
}

# Log lines that mean the reference solution cannot be trusted.
_TROUBLE = re.compile(
    r"singular matrix|timestep too small|no convergence|gmin stepping failed|"
    r"source stepping failed|^\s*error\b|fatal",
    re.IGNORECASE | re.MULTILINE,
)

_SCALE = {
    "t": 1e12,
    "g": 1e9,
    "meg": 1e6,
    "k": 1e3,
    "mil": 25.4e-6,
    "m": 1e-3,
    "u": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
}
_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(meg|mil|[tgkmunpf])?", re.I)


class NgspiceError(RuntimeError):
    """ngspice failed, produced no usable raw file, or reported numerical trouble."""

    def __init__(self, message: str, log: str = "", netlist: str = "") -> None:
        super().__init__(message)
        self.log = log
        self.netlist = netlist

    def __str__(self) -> str:
        text = super().__str__()
        if self.netlist:
            text += "\n--- netlist ---\n" + self.netlist
        if self.log:
            text += "\n--- ngspice log (tail) ---\n" + self.log[-3000:]
        return text


@dataclass
class RawPlot:
    """One plot of an ASCII raw file, with ngspice's own (lower-cased) vector names."""

    plotname: str
    flags: str
    names: list[str]
    types: list[str]
    data: np.ndarray  # (n_points, n_vars), complex if the plot is complex


@dataclass
class NgAnalysis:
    """One analysis of an ngspice run, vectors keyed by netsim contract names.

    ``scale`` names the independent variable (``time``, ``frequency``, the swept source) or is
    None for ``op``. ``vectors`` holds 1-D arrays, the scale first; complex for ``ac``.
    """

    kind: str
    plotname: str
    scale: str | None
    vectors: dict[str, np.ndarray] = field(default_factory=dict)

    def columns(self) -> dict[str, np.ndarray]:
        """Vectors as netsim CSV columns: complex ``v(x)`` becomes ``vr(x)`` and ``vi(x)``."""
        out: dict[str, np.ndarray] = {}
        for name, vec in self.vectors.items():
            if np.iscomplexobj(vec) and name != self.scale:
                head, rest = name[0], name[1:]
                out[f"{head}r{rest}"] = vec.real.copy()
                out[f"{head}i{rest}"] = vec.imag.copy()
            elif np.iscomplexobj(vec):
                out[name] = vec.real.copy()
            else:
                out[name] = vec
        return out


@dataclass
class NgspiceRun:
    """Everything one ngspice invocation produced."""

    analyses: list[NgAnalysis]
    log: str
    netlist: str  # the text actually given to ngspice (with injected options)


def parse_spice_number(token: str) -> float:
    """Value of a SPICE number such as ``2.2k``, ``10pF``, ``3meg``, ``1e-9`` (units ignored)."""
    m = _NUMBER.match(token.strip())
    if not m:
        raise ValueError(f"not a SPICE number: {token!r}")
    value = float(m.group(1))
    if m.group(2):
        value *= _SCALE[m.group(2).lower()]
    return value


def read_ascii_raw(text: str) -> list[RawPlot]:
    """Parse every plot of an ngspice ASCII raw file."""
    plots: list[RawPlot] = []
    lines = text.splitlines()
    i = 0
    n = len(lines)
    while i < n:
        header: dict[str, str] = {}
        while i < n and not lines[i].lower().startswith("variables:"):
            key, _, value = lines[i].partition(":")
            if value or key:
                header[key.strip().lower()] = value.strip()
            i += 1
        if i >= n:
            break
        i += 1  # past "Variables:"
        nvars = int(header.get("no. variables", "0"))
        names: list[str] = []
        types: list[str] = []
        for _ in range(nvars):
            parts = lines[i].split()
            names.append(parts[1].lower())
            types.append(parts[2].lower() if len(parts) > 2 else "")
            i += 1
        while i < n and not lines[i].lower().startswith("values:"):
            i += 1
        i += 1
        tokens: list[str] = []
        while i < n and not lines[i].lower().startswith("title:"):
            tokens.extend(lines[i].split())
            i += 1
        complex_plot = "complex" in header.get("flags", "").lower()
        npts = len(tokens) // (nvars + 1) if nvars else 0
        table = np.asarray(tokens[: npts * (nvars + 1)], dtype=object).reshape(npts, nvars + 1)
        values = table[:, 1:]
        if complex_plot:
            data = np.empty((npts, nvars), dtype=complex)
            for r in range(npts):
                for c in range(nvars):
                    re_s, _, im_s = values[r, c].partition(",")
                    data[r, c] = complex(float(re_s), float(im_s or 0.0))
        else:
            data = values.astype(float) if npts else np.zeros((0, nvars))
        plots.append(
            RawPlot(
                plotname=header.get("plotname", ""),
                flags=header.get("flags", ""),
                names=names,
                types=types,
                data=data,
            )
        )
    return plots


def contract_name(ng_name: str) -> str:
    """Map an ngspice vector name to netsim's contract name (lower case)."""
    name = ng_name.strip().lower()
    if name.endswith("#branch"):
        return f"i({name[: -len('#branch')]})"
    if name.startswith(("v(", "i(")) and name.endswith(")"):
        return name
    if name in ("time", "frequency"):
        return name
    return f"v({name})"


def _analysis_cards(netlist: str) -> list[tuple[str, list[str]]]:
    """(kind, tokens) of each analysis card, in netlist order (continuations joined)."""
    cards: list[tuple[str, list[str]]] = []
    logical: list[str] = []
    for raw in netlist.splitlines()[1:]:
        if raw.startswith("+") and logical:
            logical[-1] += " " + raw[1:]
        else:
            logical.append(raw)
    for line in logical:
        tokens = line.split()
        if not tokens:
            continue
        head = tokens[0].lower()
        if head in (".op", ".dc", ".ac", ".tran"):
            cards.append((head[1:], tokens))
    return cards


def prepare_netlist(
    netlist: str,
    options: str | None = DEFAULT_OPTIONS,
    tran_points: int | None = DEFAULT_TRAN_POINTS,
) -> str:
    """Return the netlist with the options card injected and ``.tran`` max steps added."""
    out: list[str] = []
    injected = False
    for line in netlist.splitlines():
        tokens = line.split()
        head = tokens[0].lower() if tokens else ""
        if head == ".tran" and tran_points and out:
            flags = [t for t in tokens[1:] if t.lower() == "uic"]
            nums = [t for t in tokens[1:] if t.lower() != "uic"]
            if len(nums) in (2, 3):
                tstop = parse_spice_number(nums[1])
                tstart = nums[2] if len(nums) == 3 else "0"
                tmax = tstop / tran_points
                line = " ".join([tokens[0], nums[0], nums[1], tstart, f"{tmax:.6g}", *flags])
        if head == ".end" and options and not injected:
            out.append(options)
            injected = True
        out.append(line)
    if options and not injected:
        out.append(options)
        out.append(".end")
    return "\n".join(out) + "\n"


def _to_analysis(plot: RawPlot, kind: str, card: list[str] | None) -> NgAnalysis:
    vectors: dict[str, np.ndarray] = {}
    scale: str | None = None
    for idx, ng_name in enumerate(plot.names):
        vec = plot.data[:, idx]
        if kind == "dc" and idx == 0:
            name = card[1].lower() if card and len(card) > 1 else ng_name
            vec = vec.real if np.iscomplexobj(vec) else vec
            scale = name
        elif kind == "ac" and idx == 0:
            name = "frequency"
            vec = vec.real
            scale = name
        elif kind == "tran" and idx == 0:
            name = "time"
            scale = name
        else:
            name = contract_name(ng_name)
        vectors[name] = np.array(vec)
    return NgAnalysis(kind=kind, plotname=plot.plotname, scale=scale, vectors=vectors)


def run_ngspice(
    netlist: str,
    *,
    options: str | None = DEFAULT_OPTIONS,
    tran_points: int | None = DEFAULT_TRAN_POINTS,
    timeout: float = 120.0,
    strict: bool = True,
    executable: str = "ngspice",
) -> NgspiceRun:
    """Run ``ngspice -b`` on ``netlist`` in a temporary directory and collect every analysis.

    Analyses are returned in netlist order (ngspice writes its plots in its own order; they are
    matched to the cards by kind). With ``strict`` (the default) any sign of numerical trouble in
    the log (singular matrix, failed stepping, time step too small, errors) raises NgspiceError,
    as does a missing plot.
    """
    text = prepare_netlist(netlist, options, tran_points)
    cards = _analysis_cards(text)
    with tempfile.TemporaryDirectory(prefix="ngspice_live_") as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "circuit.net").write_text(text)
        env = dict(os.environ, SPICE_ASCIIRAWFILE="1")
        try:
            proc = subprocess.run(
                [executable, "-b", "-r", "out.raw", "circuit.net"],
                cwd=tmpdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise NgspiceError(f"ngspice timed out after {timeout} s", "", text) from exc
        log = proc.stdout + proc.stderr
        raw_path = tmpdir / "out.raw"
        if proc.returncode != 0 or not raw_path.exists():
            raise NgspiceError(f"ngspice exited with status {proc.returncode}", log, text)
        if strict and (m := _TROUBLE.search(log)):
            raise NgspiceError(f"ngspice reported trouble: {m.group(0)!r}", log, text)
        plots = read_ascii_raw(raw_path.read_text())
    by_kind: dict[str, list[RawPlot]] = {}
    for plot in plots:
        kind = _PLOT_KINDS.get(plot.plotname.strip().lower())
        if kind is not None:
            by_kind.setdefault(kind, []).append(plot)
    analyses: list[NgAnalysis] = []
    for kind, tokens in cards:
        queue = by_kind.get(kind, [])
        if not queue:
            raise NgspiceError(f"ngspice produced no plot for the .{kind} card", log, text)
        analyses.append(_to_analysis(queue.pop(0), kind, tokens))
    return NgspiceRun(analyses=analyses, log=log, netlist=text)
