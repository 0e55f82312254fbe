"""Run many netlist variants in one netsim process.

    python benchmarks/variants_netsim.py DIR OUTDIR [--check 0,1,500] [--no-batch]

Runs every ``DIR/v*.net`` (in numeric order) and writes the results of the variants listed in
``--check`` to ``OUTDIR/v<i>/<kind>.csv``. When the netlists differ only in one top-level
``.param`` line and netsim has a batched API (``Simulator.batch``, used by ``op(batch=...)``
and ``tran(..., batch=...)``), all variants run as one batch: the parameter sets become the
batch's variants. Otherwise (or with ``--no-batch``) it loops over
``Simulator.from_text(text).run_all()``. The first line printed names the mode used
(``mode: batched`` or ``mode: loop``) so the benchmark table can label the row.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from netsim.results import RunResults
from netsim.simulator import Simulator

Runner = Callable[[Sequence[str]], list[RunResults]]
PARAM_LINE = re.compile(r"^\.param\s+(.*)$", re.IGNORECASE | re.MULTILINE)


def run_unbatched(texts: Sequence[str]) -> list[RunResults]:
    """One Simulator per netlist, one after the other."""
    return [Simulator.from_text(text, f"<variant {k}>").run_all() for k, text in enumerate(texts)]


def split_params(text: str) -> tuple[str, dict[str, float]] | None:
    """(template, {param: value}) of a netlist with exactly one ``.param`` line of plain
    numbers; None when the netlist does not have that form."""
    lines = PARAM_LINE.findall(text)
    if len(lines) != 1:
        return None
    values: dict[str, float] = {}
    for item in lines[0].split():
        name, sep, value = item.partition("=")
        if not sep:
            return None
        try:
            values[name.lower()] = float(value)
        except ValueError:
            return None
    return PARAM_LINE.sub(".param", text, count=1), values


def run_batched(texts: Sequence[str]) -> list[RunResults]:
    """All variants as one netsim batch; the texts must differ only in their ``.param`` line
    (ValueError otherwise)."""
    split = [split_params(t) for t in texts]
    if any(s is None for s in split) or len({s[0] for s in split if s}) != 1:
        raise ValueError("the variants differ in more than one .param line")
    params = [s[1] for s in split if s]
    sim = Simulator.from_text(texts[0], "<variants>")
    batch = sim.batch(params)
    per_variant = [RunResults(title=sim.circuit.title) for _ in texts]
    for request in batch.sim.circuit.analyses:
        result = batch.run(request)
        for k, res in enumerate(per_variant):
            res.add(result[k])
    return per_variant


def batched_runner(texts: Sequence[str]) -> Runner | None:
    """run_batched when this netsim has a batched API and the texts fit it, else None."""
    has_batch = hasattr(Simulator, "batch") and any(
        "batch" in inspect.signature(getattr(Simulator, meth)).parameters
        for meth in ("op", "tran") if hasattr(Simulator, meth))
    if not has_batch:
        return None
    split = [split_params(t) for t in texts]
    if any(s is None for s in split) or len({s[0] for s in split if s}) != 1:
        return None
    return run_batched


def main(argv: list[str] | None = None) -> int:
    """Command line entry; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--check", default="", help="comma-separated variant indices to write")
    parser.add_argument("--no-batch", action="store_true", help="force the unbatched loop")
    args = parser.parse_args(argv)
    files = sorted(args.folder.glob("v*.net"), key=lambda p: int(p.stem[1:]))
    texts = [f.read_text() for f in files]
    runner = None if args.no_batch else batched_runner(texts)
    print("mode: batched" if runner else "mode: loop", flush=True)
    results = (runner or run_unbatched)(texts)
    for index in (int(s) for s in args.check.split(",") if s.strip()):
        out = args.outdir / f"v{index}"
        out.mkdir(parents=True, exist_ok=True)
        results[index].write(out, "csv", False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
