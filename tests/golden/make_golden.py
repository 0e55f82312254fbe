#!/usr/bin/env python3
"""Regenerate the ngspice golden data under ``tests/golden/<case>/``.

For every ``tests/golden/cases/<case>.net`` and every analysis card in it (in file order) this
script

1. writes a temporary copy of the netlist that keeps only that one analysis card (the others are
   commented out), with tight tolerances injected right after the title line::

       .options reltol=1e-6 abstol=1e-15 vntol=1e-9 chgtol=1e-18 [method=gear]

   and, for ``.tran``, a small maximum step (tmax = tstep/10 unless the case table below asks
   for a smaller one, or the card already has a smaller tmax);
2. runs ``ngspice -b -r out.raw`` with ``SPICE_ASCIIRAWFILE=1`` in the cases folder (so
   ``.include``/``.lib`` paths resolve as for a user running the case there);
3. converts the raw plot into netsim's output contract and writes
   ``tests/golden/<case>/<kind>.csv`` (``op``, ``dc``, ``ac``, ``tran``; a second analysis of the
   same kind is ``<kind>_2.csv``) plus ``meta.json`` (ngspice version, options, cards).

One analysis per ngspice run is needed because ngspice groups its output plots by analysis type
instead of writing them in card order.

Name mapping from ngspice to the netsim contract (all lower case):

- node voltages ``v(n)``, ``v(x1.x2.n)`` are kept as they are;
- branch currents: ngspice writes ``i(v1)``, ``i(l1)``, ``i(e1)``, ``i(h1)``, ``i(b1)`` for
  top-level elements and ``i(v.x1.vs)`` (element letter, then the instance path) inside
  subcircuits; the latter becomes ``i(x1.vs)``;
- the DC sweep vector ``v(v-sweep)`` / ``i(i-sweep)`` becomes a column named after the swept
  source (``v1``); for two nested sources the outer source gets a second column;
- AC vectors become ``vr(x),vi(x)`` / ``ir(x),ii(x)`` pairs after ``frequency``;
- device-internal vectors (names with ``#``, e.g. ``d1#dbody``) are dropped;
- ``i(a$poly$e1)``, the current of a ``POLY(n)`` source (ngspice realises it as a code model
  ``a$poly$e1``), becomes ``i(e1)``.

Usage::

    python tests/golden/make_golden.py            # all cases
    python tests/golden/make_golden.py rc_pulse   # selected cases

The test suite never runs ngspice; it only reads the CSV files written here.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
sys.path.insert(0, str(HERE.parent))

from ngspice_raw import RawPlot, read_raw  # noqa: E402

TIGHT_OPTIONS = "reltol=1e-6 abstol=1e-15 vntol=1e-9 chgtol=1e-18"

#: Per-case generator settings. ``method``: ngspice integration method for .tran ("trap" is
#: ngspice's default; "gear" is used where trapezoidal ringing would pollute the reference).
#: ``tmax``: maximum internal step for .tran (default tstep/10).
SETTINGS: dict[str, dict[str, object]] = {}

ANALYSIS_KINDS = ("op", "dc", "ac", "tran")

_SUFFIX = [
    ("meg", 1e6),
    ("mil", 25.4e-6),
    ("t", 1e12),
    ("g", 1e9),
    ("k", 1e3),
    ("m", 1e-3),
    ("u", 1e-6),
    ("n", 1e-9),
    ("p", 1e-12),
    ("f", 1e-15),
    ("a", 1e-18),
]
_NUM_RE = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)([a-zA-Z]*)$")


def spice_number(text: str) -> float:
    """Convert a SPICE number with an optional scale suffix (``1k``, ``2.5meg``, ``10ns``)."""
    m = _NUM_RE.match(text.strip())
    if not m:
        raise ValueError(f"not a SPICE number: {text!r}")
    value = float(m.group(1))
    suffix = m.group(2).lower()
    for name, scale in _SUFFIX:
        if suffix.startswith(name):
            return value * scale
    return value


@dataclass
class Card:
    """One analysis card of a case: its kind, the logical line index and the card tokens."""

    kind: str
    line_index: int
    tokens: list[str]


def logical_lines(text: str) -> list[str]:
    """Join ``+`` continuation lines; the first line (title) is kept as is."""
    out: list[str] = []
    for raw in text.splitlines():
        if raw.lstrip().startswith("+") and out:
            out[-1] = out[-1] + " " + raw.lstrip()[1:]
        else:
            out.append(raw)
    return out


def find_cards(lines: list[str]) -> list[Card]:
    """Return the analysis cards of a netlist in file order (top level only)."""
    cards: list[Card] = []
    depth = 0
    for idx, line in enumerate(lines[1:], start=1):
        tokens = line.split()
        if not tokens:
            continue
        head = tokens[0].lower()
        if head == ".subckt":
            depth += 1
        elif head == ".ends":
            depth -= 1
        elif depth == 0 and head[1:] in ANALYSIS_KINDS and head.startswith("."):
            cards.append(Card(kind=head[1:], line_index=idx, tokens=tokens))
    return cards


def tran_card_tight(tokens: list[str], tmax_override: float | None) -> tuple[str, float]:
    """Rewrite ``.tran tstep tstop [tstart [tmax]] [uic]`` with a small tmax."""
    words = [t for t in tokens[1:] if t.lower() != "uic"]
    uic = any(t.lower() == "uic" for t in tokens[1:])
    tstep = spice_number(words[0])
    tstop = spice_number(words[1])
    tstart = spice_number(words[2]) if len(words) > 2 else 0.0
    tmax_case = spice_number(words[3]) if len(words) > 3 else math.inf
    tmax = min(tmax_case, tstep / 10.0)
    if tmax_override is not None:
        tmax = min(tmax, tmax_override)
    card = f".tran {tstep!r} {tstop!r} {tstart!r} {tmax!r}" + (" uic" if uic else "")
    return card, tmax


def build_deck(lines: list[str], cards: list[Card], keep: int, case: str) -> tuple[str, dict]:
    """Netlist text that runs only ``cards[keep]`` with the tight options injected."""
    settings = SETTINGS.get(case, {})
    opts = TIGHT_OPTIONS
    info: dict[str, object] = {"card": " ".join(cards[keep].tokens)}
    out = list(lines)
    for k, card in enumerate(cards):
        if k != keep:
            out[card.line_index] = "* (other analysis) " + out[card.line_index]
    card = cards[keep]
    if card.kind == "tran":
        method = str(settings.get("method", "trap"))
        opts += f" method={method}"
        tmax_override = settings.get("tmax")
        new_card, tmax = tran_card_tight(
            card.tokens, float(tmax_override) if tmax_override is not None else None
        )
        out[card.line_index] = new_card
        info.update(method=method, tmax=tmax, ngspice_card=new_card)
    info["options"] = opts
    out.insert(1, f".options {opts}")
    return "\n".join(out) + "\n", info


_BRANCH_RE = re.compile(r"^i\(([a-z])\.(.+)\)$")


def map_name(name: str) -> str:
    """Map an ngspice vector name to the netsim contract name (lower case)."""
    low = name.lower()
    if low.startswith("i(a$poly$"):  # ngspice realises POLY(n) E/F/G/H as code models
        return "i(" + low[len("i(a$poly$"):]
    m = _BRANCH_RE.match(low)
    if m and "." in m.group(2):
        letter, path = m.group(1), m.group(2)
        if path.rsplit(".", 1)[-1].startswith(letter):
            return f"i({path})"
    if not low.startswith(("v(", "i(")) and low not in ("time", "frequency"):
        # bare node names (older ngspice) are voltages
        return f"v({low})"
    return low


def sweep_values(start: float, stop: float, step: float) -> np.ndarray:
    """Values of a SPICE ``.dc`` sweep ``start stop step``."""
    if step == 0:
        return np.array([start])
    n = int(math.floor((stop - start) / step * (1 + 1e-12) + 1e-9)) + 1
    return start + step * np.arange(max(n, 1))


def behavioural_eg(lines: list[str]) -> set[str]:
    """Lower-case names of E/G elements written in the behavioural ``value=`` form.

    ngspice rewrites ``E1 o 0 value={...}`` into a B source ``be1`` driving an internal node
    ``e1_int1`` (and a linear E/G from it), and saves those helper vectors. They are not part
    of the circuit the user wrote, so the golden data drop them.
    """
    names: set[str] = set()
    for line in lines[1:]:
        tokens = line.split()
        if tokens and tokens[0][0].lower() in "eg" and re.search(r"\bvalue\s*=", line, re.I):
            names.add(tokens[0].lower())
    return names


def is_artifact(name: str, beh: set[str]) -> bool:
    """True for ngspice helper vectors that netsim's contract does not carry."""
    low = name.lower()
    if "#" in low:
        return True
    m = re.match(r"^v\((.+)_int\d+\)$", low)
    if m and m.group(1) in beh:
        return True
    m = re.match(r"^i\(b(.+)\)$", low)
    return bool(m and m.group(1) in beh)


def convert(plot: RawPlot, card: Card, beh: set[str]) -> list[tuple[str, np.ndarray]]:
    """Turn a raw plot into ordered (column name, values) pairs per the output contract."""
    cols: list[tuple[str, np.ndarray]] = []
    seen: set[str] = set()

    def add(name: str, values: np.ndarray) -> None:
        if name in seen:
            raise ValueError(f"duplicate column {name!r}")
        seen.add(name)
        cols.append((name, values))

    body = [n for n in plot.names if not is_artifact(n, beh)]
    if card.kind == "dc":
        sweep = body[0]
        if sweep.lower() not in ("v(v-sweep)", "i(i-sweep)", "v-sweep", "i-sweep",
                                 "temp-sweep", "v(temp-sweep)"):
            raise ValueError(f"unexpected DC sweep vector {sweep!r}")
        inner = card.tokens[1].lower()
        values = np.real(plot.data[sweep])
        add(inner, values)
        if len(card.tokens) >= 9:
            outer = card.tokens[5].lower()
            ov = sweep_values(*(spice_number(t) for t in card.tokens[6:9]))
            n_in = values.size // ov.size
            if n_in * ov.size != values.size:
                raise ValueError(f"{values.size} points do not split into {ov.size} outer steps")
            add(outer, np.repeat(ov, n_in))
        body = body[1:]
    elif card.kind == "tran":
        add("time", np.real(plot.data[body[0]]))
        body = body[1:]
    elif card.kind == "ac":
        add("frequency", np.real(plot.data[body[0]]))
        body = body[1:]
    for name in body:
        mapped = map_name(name)
        data = plot.data[name]
        if card.kind == "ac":
            kind, rest = mapped[0], mapped[1:]
            add(f"{kind}r{rest}", np.real(data))
            add(f"{kind}i{rest}", np.imag(data))
        else:
            add(mapped, np.real(data))
    return cols


def write_csv(path: Path, kind: str, cols: list[tuple[str, np.ndarray]]) -> None:
    """Write one analysis in the contract's CSV layout."""
    with path.open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        if kind == "op":
            w.writerow(["name", "value"])
            for name, vals in cols:
                w.writerow([name, repr(float(vals[0]))])
        else:
            w.writerow([name for name, _ in cols])
            n = cols[0][1].size
            for r in range(n):
                w.writerow([f"{float(vals[r]):.12g}" for _, vals in cols])


def ngspice_version() -> str:
    """The first version line printed by ``ngspice -v``."""
    out = subprocess.run(["ngspice", "-v"], capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        if "ngspice-" in line:
            return line.strip("* ").strip()
    return out.strip()


def run_case(net: Path, version: str) -> list[str]:
    """Generate the golden CSVs of one case; returns the written file names."""
    case = net.stem
    lines = logical_lines(net.read_text())
    cards = find_cards(lines)
    if not cards:
        raise RuntimeError(f"{net.name}: no analysis card")
    outdir = HERE / case
    outdir.mkdir(exist_ok=True)
    for old in outdir.glob("*.csv"):
        old.unlink()
    counts: dict[str, int] = {}
    written: list[str] = []
    meta: dict[str, object] = {"case": case, "ngspice": version, "analyses": []}
    for k, card in enumerate(cards):
        deck, info = build_deck(lines, cards, k, case)
        with tempfile.TemporaryDirectory() as tmp:
            deck_path = Path(tmp) / f"{case}.net"
            raw_path = Path(tmp) / "out.raw"
            deck_path.write_text(deck)
            env = dict(os.environ, SPICE_ASCIIRAWFILE="1")
            proc = subprocess.run(
                ["ngspice", "-b", "-r", str(raw_path), str(deck_path)],
                cwd=CASES,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            log = proc.stdout + proc.stderr
            bad = [
                ln
                for ln in log.splitlines()
                if re.search(r"\berror\b|fatal|timestep too small|singular", ln, re.I)
            ]
            if proc.returncode != 0 or bad or not raw_path.exists():
                raise RuntimeError(f"{net.name} [{info['card']}]: ngspice failed:\n{log}")
            plots = read_raw(raw_path)
        warnings = sorted({ln.strip() for ln in log.splitlines() if "warning" in ln.lower()})
        if warnings:
            info["ngspice_warnings"] = warnings
            print(f"{net.stem}: " + "\n  ".join(warnings), file=sys.stderr)
        if len(plots) != 1:
            raise RuntimeError(f"{net.name}: expected one plot, got {len(plots)}")
        cols = convert(plots[0], card, behavioural_eg(lines))
        counts[card.kind] = counts.get(card.kind, 0) + 1
        fname = card.kind if counts[card.kind] == 1 else f"{card.kind}_{counts[card.kind]}"
        write_csv(outdir / f"{fname}.csv", card.kind, cols)
        written.append(f"{fname}.csv")
        info.update(file=f"{fname}.csv", points=int(cols[0][1].size))
        meta["analyses"].append(info)  # type: ignore[union-attr]
    (outdir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return written


def main(argv: list[str]) -> int:
    """Regenerate all cases, or the ones named on the command line."""
    version = ngspice_version()
    nets = sorted(CASES.glob("*.net"))
    if argv:
        wanted = {a.removesuffix(".net") for a in argv}
        nets = [n for n in nets if n.stem in wanted]
    failures = 0
    for net in nets:
        try:
            files = run_case(net, version)
            print(f"{net.stem:28s} {' '.join(files)}")
        except Exception as exc:  # report and continue with the other cases
            failures += 1
            print(f"{net.stem:28s} FAILED: {exc}", file=sys.stderr)
    print(f"{version}: {len(nets) - failures}/{len(nets)} cases written")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
