"""Side-by-side speed, memory and accuracy table: netsim against ngspice.

    python benchmarks/run.py [--quick] [--only NAME[,NAME]] [--repeat N] [--timeout S]

For every circuit of ``benchmarks/circuits.py`` this writes the netlist(s) to a work folder,
runs ``netsim run FILE -o DIR --format npz --quiet`` and ``ngspice -b -r FILE.raw FILE`` as whole
processes (startup included; each writes its binary output format: ngspice's raw file is binary
unless ``filetype=ascii``, and netsim's CSV would cost it the text formatting ngspice skips, e.g.
0.3 s of 1.9 s on the 1000-section diode ladder) under ``/usr/bin/time -v``, and reports the
median wall time of N runs (one run when the first takes over 60 s), their ratio, the peak
resident memory of each, and the largest difference between the two results (in % of the
signal range). The table is printed
as Markdown and written to ``benchmarks/results.md`` (``results_quick.md`` with ``--quick``).
A run that exceeds the timeout is stopped (its whole process group) and reported as TIMEOUT.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from circuits import Bench, all_benches  # noqa: E402
from rawfile import Plot, find_plot, read_raw  # noqa: E402

SINGLE_RUN_ABOVE = 60.0  # seconds: a run longer than this is not repeated
GRID_POINTS = 2001  # common time grid for the waveform comparison
# the reference for nonlinear transients (Bench.reference): ngspice at these tolerances, the
# settings of the golden tests' references (tests/golden/make_golden.py)
TIGHT_OPTIONS = ".options reltol=1e-6 abstol=1e-15 vntol=1e-9 chgtol=1e-18"


# ------------------------------------------------------------------------------ measuring
# Python's bytecode cache on, as after a pip install: with PYTHONDONTWRITEBYTECODE set (some
# containers set it), every netsim process would recompile its modules (~0.1 s per run)
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
@dataclass
class Run:
    """One timed process: wall seconds, peak RSS in MB, exit status, stderr tail, timed out."""

    seconds: float
    peak_mb: float
    status: int
    message: str = ""
    timed_out: bool = False


def timed(cmd: list[str], cwd: Path, timeout: float, log: Path) -> Run:
    """Run cmd under ``/usr/bin/time -v`` in its own process group; stdout/stderr go to log."""
    report = log.with_suffix(".time")
    full = ["/usr/bin/time", "-v", "-o", str(report)] + cmd
    start = _now()
    with open(log, "wb") as out:
        proc = subprocess.Popen(full, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env=CHILD_ENV)
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return Run(_now() - start, math.nan, -9, f"TIMEOUT after {timeout:.0f} s", True)
    seconds = _now() - start
    text = report.read_text(errors="replace") if report.exists() else ""
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    peak = int(match.group(1)) / 1024 if match else math.nan
    message = ""
    if status != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-6:]
        message = " / ".join(line.strip() for line in tail)
    return Run(seconds, peak, status, message)


def _now() -> float:
    return time.perf_counter()


def repeated(cmd: list[str], cwd: Path, repeat: int, timeout: float, log: Path) -> list[Run]:
    """Up to ``repeat`` runs; stops after a failure or a run longer than SINGLE_RUN_ABOVE."""
    runs: list[Run] = []
    for _ in range(max(1, repeat)):
        run = timed(cmd, cwd, timeout, log)
        runs.append(run)
        if run.status != 0 or run.seconds > SINGLE_RUN_ABOVE:
            break
    return runs


# ---------------------------------------------------------------------------- comparing
def read_netsim(folder: Path, kind: str) -> dict[str, np.ndarray]:
    """Columns of netsim's <kind> result in folder: <kind>.npz, else <kind>.csv."""
    path = folder / f"{kind}.npz"
    if path.exists():
        with np.load(path) as data:
            return {name.lower(): data[name] for name in data.files}
    return read_netsim_csv(folder / f"{kind}.csv")


def read_netsim_csv(path: Path) -> dict[str, np.ndarray]:
    """Columns of a netsim CSV (op.csv: name,value rows -> 0-d arrays)."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    if rows[0] == ["name", "value"]:
        return {name.lower(): np.array(float(value)) for name, value in rows[1:]}
    data = np.array(rows[1:], dtype=float).reshape(-1, len(rows[0]))
    return {name.lower(): data[:, k] for k, name in enumerate(rows[0])}


def tran_error(ns: dict[str, np.ndarray], ng: Plot, nodes: list[str]) -> float:
    """Max |netsim - ngspice| over the nodes on a common time grid, % of each node's range."""
    t_ng = ng.vectors["time"]
    t_ns = ns["time"]
    grid = np.linspace(0.0, min(t_ng[-1], t_ns[-1]), GRID_POINTS)
    worst = 0.0
    for node in nodes:
        key = f"v({node.lower()})"
        a = np.interp(grid, t_ns, ns[key])
        b = np.interp(grid, t_ng, ng.vectors[key])
        span = max(float(np.ptp(ng.vectors[key])), 1e-12)
        worst = max(worst, float(np.max(np.abs(a - b))) / span * 100)
    return worst


def crossing_times(t: np.ndarray, v: np.ndarray, level: float) -> np.ndarray:
    """Times where v crosses level (linear interpolation between samples)."""
    above = v > level
    k = np.nonzero(above[1:] != above[:-1])[0]
    frac = (level - v[k]) / (v[k + 1] - v[k])
    return t[k] + frac * (t[k + 1] - t[k])


def edge_shift(ns: dict[str, np.ndarray], ng: Plot, nodes: list[str],
               names: tuple[str, str] = ("netsim", "the reference")) -> str:
    """The largest shift of the 50 % crossings between a result and the reference, as text
    (names: how to call the two in a message about a different edge count)."""
    worst, count = 0.0, 0
    for node in nodes:
        key = f"v({node.lower()})"
        ref = ng.vectors[key]
        level = 0.5 * (float(ref.min()) + float(ref.max()))
        a = crossing_times(ns["time"], ns[key], level)
        b = crossing_times(ng.vectors["time"], ref, level)
        if len(a) != len(b):
            return f"{node}: {len(a)} edges in {names[0]}, {len(b)} in {names[1]}"
        if len(a):
            worst = max(worst, float(np.max(np.abs(a - b))))
            count += len(a)
    return f"largest shift of the 50 % crossings: {worst * 1e12:.1f} ps ({count} edges)"


def static_error(ns: dict[str, np.ndarray], ng: Plot) -> float:
    """Max |netsim - ngspice| over every common node voltage (and sweep point), in % of the
    spread of ngspice's node voltages."""
    keys = [k for k in ng.vectors if k.startswith("v(") and k in ns]
    if not keys:
        return math.nan
    a = np.array([np.atleast_1d(ns[k]) for k in keys])
    b = np.array([np.atleast_1d(ng.vectors[k]).real for k in keys])
    if a.shape != b.shape:
        return math.nan
    span = max(float(np.ptp(b)), 1e-12)
    return float(np.max(np.abs(a - b))) / span * 100


def tightened(text: str) -> str:
    """The netlist with TIGHT_OPTIONS added before its ``.end`` card."""
    lines = text.rstrip().splitlines()
    end = next((k for k in range(len(lines) - 1, -1, -1)
                if lines[k].strip().lower() == ".end"), len(lines))
    return "\n".join(lines[:end] + [TIGHT_OPTIONS] + lines[end:]) + "\n"


def plot_columns(plot: Plot) -> dict[str, np.ndarray]:
    """An ngspice plot's vectors in the shape read_netsim_csv gives (real parts)."""
    return {name: np.real(values) for name, values in plot.vectors.items()}


def compare_raws(bench: Bench, raw: Path, ref: Path) -> float:
    """The accuracy figure of an ngspice run (raw) against the reference run (ref)."""
    got, want = find_plot(read_raw(raw), "tran"), find_plot(read_raw(ref), "tran")
    if got is None or want is None:
        return math.nan
    return tran_error(plot_columns(got), want, bench.nodes)


def run_reference(folder: Path, stem: str, text: str, timeout: float,
                  ) -> tuple[Path | None, float]:
    """Run ngspice once on the tightened netlist: (raw file or None when it failed, wall
    seconds)."""
    net = folder / f"{stem}_ref.net"
    net.write_text(tightened(text))
    raw = folder / f"{stem}_ref.raw"
    run = timed(["ngspice", "-b", "-r", raw.name, net.name], folder, timeout,
                folder / f"{stem}_ref.log")
    return (raw if run.status == 0 and raw.exists() else None), run.seconds


def compare(bench: Bench, ns_dir: Path, raw: Path) -> float:
    """The accuracy figure of one netlist: netsim output folder against an ngspice raw file."""
    plots = read_raw(raw)
    if bench.analysis == "tran":
        plot = find_plot(plots, "tran")
        if plot is None:
            return math.nan
        return tran_error(read_netsim(ns_dir, "tran"), plot, bench.nodes)
    errors = []
    for kind in ("op", "dc"):
        plot = find_plot(plots, kind)
        if plot is not None and any(ns_dir.glob(f"{kind}.*")):
            errors.append(static_error(read_netsim(ns_dir, kind), plot))
    return max(errors) if errors else math.nan


# ------------------------------------------------------------------------------- running
@dataclass
class Row:
    """One line of the table."""

    bench: Bench
    label: str
    netsim: list[Run] = field(default_factory=list)
    ngspice: list[Run] = field(default_factory=list)
    error: float = math.nan
    ngspice_error: float = math.nan  # ngspice at default tolerances vs the tight reference
    reference_s: float = math.nan  # wall seconds of the tight reference run(s), one run each
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def _median(runs: list[Run]) -> float:
        ok = [r.seconds for r in runs if r.status == 0]
        return statistics.median(ok) if ok and len(ok) == len(runs) else math.nan

    @property
    def netsim_s(self) -> float:
        """Median wall seconds of netsim (NaN when it failed or timed out)."""
        return self._median(self.netsim)

    @property
    def ngspice_s(self) -> float:
        """Median wall seconds of ngspice (NaN when it failed or timed out)."""
        return self._median(self.ngspice)

    @property
    def ratio(self) -> float:
        """netsim time / ngspice time."""
        return self.netsim_s / self.ngspice_s


def run_bench(bench: Bench, work: Path, repeat: int, timeout: float) -> Row:
    """Write, run and compare one benchmark."""
    folder = work / bench.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if bench.variants > 1:
        return _run_variants(bench, folder, repeat, timeout)
    net = folder / f"{bench.name}.net"
    net.write_text(bench.texts[0])
    row = Row(bench, bench.name)
    ns_out = folder / "netsim.out"
    row.netsim = repeated(["netsim", "run", net.name, "-o", ns_out.name, "--format", "npz",
                           "--quiet"], folder, repeat, timeout, folder / "netsim.log")
    row.ngspice = repeated(["ngspice", "-b", "-r", f"{bench.name}.raw", net.name], folder,
                           repeat, timeout, folder / "ngspice.log")
    _note_failures(row)
    if row.netsim[-1].status == 0 and row.ngspice[-1].status == 0:
        raw = folder / f"{bench.name}.raw"
        ref = raw
        if bench.reference:
            ref, row.reference_s = run_reference(folder, bench.name, bench.texts[0], timeout)
            if ref is None:
                row.notes.append("tight ngspice reference failed or timed out")
                return row
        try:
            row.error = compare(bench, ns_out, ref)
            if bench.reference:
                row.ngspice_error = compare_raws(bench, raw, ref)
            if bench.edges:
                plot = find_plot(read_raw(ref), "tran")
                if plot is not None:
                    ns = read_netsim(ns_out, "tran")
                    row.notes.append("netsim vs reference: " + edge_shift(ns, plot, bench.nodes))
                    ng = find_plot(read_raw(raw), "tran")
                    if bench.reference and ng is not None:
                        row.notes.append("ngspice default vs reference: " + edge_shift(
                            plot_columns(ng), plot, bench.nodes, ("ngspice", "the reference")))
        except (OSError, KeyError, ValueError) as err:
            row.notes.append(f"comparison failed: {type(err).__name__}: {err}")
    return row


def _run_variants(bench: Bench, folder: Path, repeat: int, timeout: float) -> Row:
    nets = folder / "nets"
    nets.mkdir()
    for k, text in enumerate(bench.texts):
        (nets / f"v{k}.net").write_text(text)
    checks = ",".join(str(i) for i in bench.check_variants)
    script = HERE / "variants_netsim.py"
    ns_cmd = [sys.executable, str(script), str(nets), "netsim.out", "--check", checks]
    if bench.runner == "loop":
        ns_cmd.append("--no-batch")
    row = Row(bench, bench.name)
    row.netsim = repeated(ns_cmd, folder, repeat, timeout, folder / "netsim.log")
    log = (folder / "netsim.log").read_text(errors="replace")
    mode = "batched" if "mode: batched" in log else "loop (unbatched)"
    row.label = f"{bench.name}: netsim {mode}"
    # ngspice: one process per netlist, as a shell loop over the files
    loop = folder / "ngspice_loop.sh"
    loop.write_text(
        "#!/bin/sh\nset -e\nmkdir -p raw\n"
        f"for k in $(seq 0 {bench.variants - 1}); do\n"
        "  ngspice -b -r raw/v$k.raw nets/v$k.net > /dev/null 2>&1\n"
        "done\n")
    row.ngspice = repeated(["sh", loop.name], folder, repeat, timeout, folder / "ngspice.log")
    _note_failures(row)
    if row.netsim[-1].status == 0 and row.ngspice[-1].status == 0:
        try:
            errors, ng_errors = [], []
            row.reference_s = 0.0
            for k in bench.check_variants:
                raw = folder / "raw" / f"v{k}.raw"
                ref = raw
                if bench.reference:
                    ref, seconds = run_reference(folder / "raw", f"v{k}", bench.texts[k],
                                                 timeout)
                    row.reference_s += seconds
                    if ref is None:
                        row.notes.append(f"tight ngspice reference of v{k} failed")
                        return row
                    ng_errors.append(compare_raws(bench, raw, ref))
                errors.append(compare(bench, folder / "netsim.out" / f"v{k}", ref))
            row.error = max(errors)
            row.ngspice_error = max(ng_errors, default=math.nan)
        except (OSError, KeyError, ValueError) as err:
            row.notes.append(f"comparison failed: {type(err).__name__}: {err}")
    return row


def _note_failures(row: Row) -> None:
    for tool, runs in (("netsim", row.netsim), ("ngspice", row.ngspice)):
        last = runs[-1]
        if last.timed_out:
            row.notes.append(f"{tool}: {last.message}")
        elif last.status != 0:
            row.notes.append(f"{tool} failed (exit {last.status}): {last.message}")


# ------------------------------------------------------------------------------ reporting
def _fmt_time(runs: list[Run], median: float) -> str:
    if runs and runs[-1].timed_out:
        return "TIMEOUT"
    if math.isnan(median):
        return "FAIL"
    return f"{median:.2f}" if median < 100 else f"{median:.0f}"


def _fmt(value: float, digits: int = 1) -> str:
    return "–" if math.isnan(value) else f"{value:.{digits}f}"


def geomean(values: list[float]) -> float:
    """Geometric mean of the finite, positive values (NaN when none)."""
    good = [v for v in values if math.isfinite(v) and v > 0]
    return math.exp(sum(math.log(v) for v in good) / len(good)) if good else math.nan


def machine_info() -> list[str]:
    """Date, cores, CPU model, Python/numpy/scipy/netsim and ngspice versions."""
    import scipy

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        out = subprocess.run(["ngspice", "-v"], capture_output=True, text=True, timeout=30)
        found = re.search(r"ngspice-\S+", out.stdout + out.stderr)
        ngspice = found.group(0) if found else "unknown"
    except (OSError, subprocess.SubprocessError):
        ngspice = "not found"
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "unknown"
    try:
        import netsim

        netsim_version = netsim.__version__
    except ImportError:
        netsim_version = "not importable"
    return [
        f"- date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- machine: {os.cpu_count()} cores (nproc), {cpu}, {platform.system()} "
        f"{platform.release()}; load average when the report was written: {load}",
        f"- Python {platform.python_version()}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}, netsim {netsim_version}, {ngspice}",
    ]


def render(rows: list[Row], args: argparse.Namespace) -> str:
    """The Markdown report."""
    mode = "quick" if args.quick else "full"
    lines = [f"# netsim vs ngspice ({mode} run)", ""] + machine_info() + [
        f"- command: `python benchmarks/run.py {' '.join(sys.argv[1:])}`".replace("  ", " "),
        f"- times: wall seconds of the whole process (startup and output included), median of "
        f"{args.repeat} runs (1 run when over {SINGLE_RUN_ABOVE:.0f} s); timeout "
        f"{args.timeout:.0f} s per run",
        "- memory: peak resident set size (`/usr/bin/time -v`), MB",
        "- netsim err: max |netsim - reference| in % of the signal range (tran: a few nodes on "
        "a common time grid; op/dc: every node voltage). The reference is ngspice at its "
        "default tolerances for linear circuits and the static crossbars, and ngspice with "
        f"`{TIGHT_OPTIONS}` for the nonlinear transients (inverter chains, diode ladder, "
        "variants), where ngspice's own default-tolerance error is given as ngspice err and "
        "the reference's wall time (one run; for variants, the checked ones only) as "
        "ngspice tight s",
        "",
        "| circuit | unknowns | netsim s | ngspice s | netsim/ngspice | netsim MB | ngspice MB "
        "| netsim err % | ngspice err % | ngspice tight s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        b = row.bench
        unknowns = f"{b.unknowns}" if b.variants == 1 else f"{b.variants} x {b.unknowns}"
        peak_ns = max((r.peak_mb for r in row.netsim), default=math.nan)
        peak_ng = max((r.peak_mb for r in row.ngspice), default=math.nan)
        lines.append(
            f"| {row.label} | {unknowns} | {_fmt_time(row.netsim, row.netsim_s)} | "
            f"{_fmt_time(row.ngspice, row.ngspice_s)} | {_fmt(row.ratio, 2)} | "
            f"{_fmt(peak_ns, 0)} | {_fmt(peak_ng, 0)} | {_fmt(row.error, 3)} | "
            f"{_fmt(row.ngspice_error, 3)} | {_fmt(row.reference_s, 2)} |")
    large = geomean([r.ratio for r in rows if r.bench.large])
    small = geomean([r.ratio for r in rows if not r.bench.large])
    lines += [
        "",
        f"Geometric mean of netsim/ngspice: circuits with >= 2000 unknowns: {_fmt(large, 2)}; "
        f"smaller circuits: {_fmt(small, 2)} (rows without both times left out).",
        "",
        "Circuits:",
        "",
    ]
    lines += [f"- `{r.bench.name}`: {r.bench.description}" for r in rows]
    notes = [f"- `{r.bench.name}`: {n}" for r in rows for n in r.notes]
    if notes:
        lines += ["", "Failures and notes:", ""] + notes
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line entry; returns the exit status."""
    parser = argparse.ArgumentParser(description="netsim vs ngspice benchmark table")
    parser.add_argument("--quick", action="store_true", help="only the small sizes")
    parser.add_argument("--only", default="", help="comma-separated names or name prefixes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds per run")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep netlists and outputs here (default: a temporary folder)")
    parser.add_argument("--out", type=Path, default=None, help="Markdown file to write")
    args = parser.parse_args(argv)
    for tool in ("ngspice", "netsim"):
        if shutil.which(tool) is None:
            print(f"error: '{tool}' is not on PATH", file=sys.stderr)
            return 2
    if not Path("/usr/bin/time").exists():
        print("error: /usr/bin/time is needed (Debian/Ubuntu package 'time')", file=sys.stderr)
        return 2
    benches = all_benches(args.quick)
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        benches = [b for b in benches if any(b.name.startswith(w) for w in wanted)]
        if not benches:
            print(f"error: no benchmark matches {args.only!r}; have: "
                  f"{', '.join(b.name for b in all_benches(args.quick))}", file=sys.stderr)
            return 2
    out = args.out or HERE / ("results_quick.md" if args.quick else "results.md")
    temp = None
    if args.workdir is None:
        temp = tempfile.TemporaryDirectory(prefix="netsim-bench-")
        work = Path(temp.name)
    else:
        work = args.workdir.resolve()
        work.mkdir(parents=True, exist_ok=True)
    env_note = "SPICE_ASCIIRAWFILE" in os.environ
    if env_note:
        os.environ.pop("SPICE_ASCIIRAWFILE")  # both simulators write binary/CSV as usual
    rows = []
    try:
        for bench in benches:
            print(f"running {bench.name} ({bench.unknowns} unknowns"
                  f"{f', {bench.variants} netlists' if bench.variants > 1 else ''}) ...",
                  file=sys.stderr, flush=True)
            row = run_bench(bench, work, args.repeat, args.timeout)
            rows.append(row)
            print(f"  netsim {_fmt_time(row.netsim, row.netsim_s)} s, ngspice "
                  f"{_fmt_time(row.ngspice, row.ngspice_s)} s, err {_fmt(row.error, 3)} %"
                  + "".join(f"\n  note: {n}" for n in row.notes), file=sys.stderr, flush=True)
            out.write_text(render(rows, args))  # keep partial results if interrupted
    finally:
        if temp is not None:
            temp.cleanup()
    report = render(rows, args)
    out.write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
