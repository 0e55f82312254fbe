"""Command line: ``netsim run FILE [-o DIR] [--format csv|npz] [--plot]``, ``netsim check FILE``.

Exit codes: 0 success; 1 a diagnostic about the input or the simulation (printed without a
traceback; ``--traceback`` shows it); 2 bad command-line usage; 3 an internal error.
Each analysis' results are written as soon as it finishes, so an interrupted run keeps what was
done. A progress bar (tqdm) is shown for transients when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

from netsim import __version__
from netsim.errors import NetsimError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="netsim", description="SPICE-style circuit simulator")
    p.add_argument("--version", action="version", version=f"netsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate every analysis of a netlist")
    run.add_argument("file", type=Path)
    run.add_argument("-o", "--output", type=Path, default=None,
                     help="output folder (default: <netlist name>.out)")
    run.add_argument("--format", choices=("csv", "npz"), default="csv")
    run.add_argument("--plot", action="store_true", help="also write one PNG per analysis")
    run.add_argument("--quiet", action="store_true", help="no summary lines")
    run.add_argument("--traceback", action="store_true", help="show Python tracebacks")
    check = sub.add_parser("check", help="parse and check topology only")
    check.add_argument("file", type=Path)
    check.add_argument("--traceback", action="store_true")
    return p


def _progress_bar(sim):
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    bar = tqdm(total=1000, file=sys.stderr, leave=False, desc="tran", unit="‰")

    def update(fraction: float) -> None:
        bar.update(int(fraction * 1000) - bar.n)

    sim.progress = update
    return bar


def cmd_run(args) -> int:
    from netsim.simulator import Simulator

    start = time.perf_counter()
    sim = Simulator.from_file(args.file)
    for w in sim.circuit.warnings:
        print(w.render(), file=sys.stderr)
    outdir = args.output or Path(f"{args.file.stem}.out")
    outdir.mkdir(parents=True, exist_ok=True)
    bar = _progress_bar(sim)
    from netsim.results import RunResults

    def write(res) -> None:  # as each analysis finishes: an interruption keeps what is done
        RunResults([res]).write(outdir, args.format, args.plot)
        for message in res.stats.get("warnings", ()):
            print(f"warning: {message}", file=sys.stderr)
        if not args.quiet:
            print(f"{res.summary()} -> {outdir / f'{res.name}.{args.format}'}")

    from netsim.analysis.rfdc import RfdcValidityWarning

    try:
        with warnings.catch_warnings():  # printed from stats["warnings"] by write()
            warnings.simplefilter("ignore", RfdcValidityWarning)
            sim.run_all(on_result=write)
    finally:
        if bar is not None:
            bar.close()
    if not sim.circuit.analyses:
        print(f"{args.file}: no analysis cards (.op, .dc, .ac, .tran); nothing to run",
              file=sys.stderr)
    elif not args.quiet:
        print(f"done in {time.perf_counter() - start:.3f} s")
    return 0


def cmd_check(args) -> int:
    from netsim.circuit.compile import compile_circuit
    from netsim.circuit.elaborate import elaborate_file

    circuit = elaborate_file(args.file)
    import netsim.devices  # noqa: F401

    compiled = compile_circuit(circuit)
    for w in circuit.warnings:
        print(w.render(), file=sys.stderr)
    print(f"{args.file}: ok: {len(circuit.instances)} elements, {len(compiled.node_index)} "
          f"nodes, {compiled.n} unknowns, {len(circuit.analyses)} analyses")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"run": cmd_run, "check": cmd_check}[args.command]
    # numpy's floating-point notices (a division by zero inside a model) are not for the
    # user: a non-finite value that matters stops Newton with a located error instead
    np.seterr(all="ignore")
    # deeply nested expressions (machine-written sums of a thousand terms) fold recursively
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    try:
        return handler(args)
    except NetsimError as err:
        if args.traceback:
            traceback.print_exc()
        print(err.render(), file=sys.stderr)
        return 1
    except OSError as err:
        hint = "\nhint: -o names a folder to write into" if isinstance(
            err, (FileExistsError, NotADirectoryError)) else ""
        print(f"error: {err.strerror}: {err.filename}{hint}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; results of finished analyses were kept, and the points an "
              "interrupted .tran, .dc or .ac had computed", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - last line of defence: never a bare traceback
        if args.traceback:
            traceback.print_exc()
        print(f"internal error: {type(err).__name__}: {err}\n"
              "hint: rerun with --traceback and report it with the netlist", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
