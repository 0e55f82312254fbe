"""Result objects: named numpy arrays per analysis, CSV/NPZ writers and plots.

Column naming follows the output contract (DESIGN.md): ``v(node)``, ``i(vsource)``; complex
analyses store real and imaginary parts as ``vr(x)``/``vi(x)`` (``ir``/``ii`` for currents);
``result["v(out)"]`` on such a result returns the complex array.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FIRST_COLUMN = {"tran": "time", "ac": "frequency", "hb": "frequency"}


def complex_names(name: str) -> tuple[str, str]:
    """('vr(x)', 'vi(x)') for 'v(x)'; ('ir(x)', 'ii(x)') for 'i(x)'."""
    kind, rest = name[0], name[1:]
    return f"{kind}r{rest}", f"{kind}i{rest}"


@dataclass
class AnalysisResult:
    """One analysis' output. columns: ordered name -> array (0-d for op); stats: counters
    (points, newton_iterations, seconds, ...)."""

    kind: str
    name: str
    columns: dict[str, np.ndarray]
    stats: dict[str, Any] = field(default_factory=dict)
    raw: np.ndarray | None = field(default=None, repr=False)  # solutions (points, n), unwritten
    plot_x: str | None = None  # the x axis of --plot (`.plot tran i(v1) vs v(a)`)
    # leading columns holding the varied parameters of a .step/.data table (BatchResult.table)
    step_columns: list[str] = field(default_factory=list)
    # results written alongside this one (hb -> hb_time waveforms)
    companions: list[AnalysisResult] = field(default_factory=list, repr=False)

    def __getitem__(self, key: str) -> np.ndarray:
        key = key.lower()
        if key in self.columns:
            return self.columns[key]
        re_name, im_name = complex_names(key) if len(key) > 1 else (key, key)
        if re_name in self.columns:
            return self.columns[re_name] + 1j * self.columns[im_name]
        raise KeyError(f"{key!r} is not a column of the {self.name} result; "
                       f"columns: {', '.join(self.columns)}")

    def __contains__(self, key: str) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    def keys(self) -> list[str]:
        return list(self.columns)

    def to_csv(self, path: str | Path) -> None:
        """Write the contract CSV (op, rfdc: name,value rows; others: a column per quantity)."""
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            if self.kind in ("op", "rfdc") and all(np.size(v) == 1
                                                   for v in self.columns.values()):
                w.writerow(["name", "value"])
                for name, value in self.columns.items():
                    w.writerow([name, _fmt(float(np.asarray(value).reshape(-1)[0]))])
                return
            names = list(self.columns)
            w.writerow(names)
            data = np.column_stack([np.atleast_1d(np.asarray(self.columns[n], dtype=float))
                                    for n in names])
            # tolist() gives Python floats, written with repr(): the same text as _fmt and as
            # the csv module writes (its \r\n rows too), 1.5x faster than csv.writerows (in
            # blocks of ~64k values: Python floats take 4x the memory of the array)
            block = max(1, 65536 // max(1, data.shape[1]))
            for start in range(0, len(data), block):
                fh.writelines(",".join(map(repr, row)) + "\r\n"
                              for row in data[start:start + block].tolist())

    def summary(self) -> str:
        """One line: name, points, Newton iterations, rejected steps, time."""
        s = self.stats
        bits = [f"{s[key]} {label}" for key, label in (
            ("variants", "variants"), ("points", "points"), ("tones", "tones"),
            ("newton_iterations", "Newton iterations"),
            ("rejected", "rejected steps")) if key in s]
        if s.get("validity") is not None:
            bits.append(f"validity {s['validity']:.2g}")
        if self.kind == "hb" and "residual" in s:
            bits.append(f"residual {s['residual']:.2g}")
        if self.kind == "hb" and "frequency" in s:
            bits.append(f"oscillating at {s['frequency']:.9g} Hz")
        if "seconds" in s:
            bits.append(f"{s['seconds']:.3f} s")
        if s.get("interrupted"):  # the first column is time or the inner sweep
            name, x = next(iter(self.columns.items()))
            bits.append(f"INTERRUPTED: the points up to {name} = {float(x[-1]):g}")
        return f"{self.name}: " + ", ".join(bits)

    def plot(self, path: str | Path) -> None:
        """Save a PNG of every quantity against the first column (op: a bar chart; hb: a
        line spectrum in dB). A .step table draws each variant (its parameter values in the
        legend); a stepped .op draws each quantity against the first parameter."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4.5))
        steps = [n for n in self.step_columns if n in self.columns]
        if steps and self.kind in ("op", "rfdc"):
            xs = self.columns[steps[0]]
            quantities = [n for n in self.columns if n not in steps]
            for n in quantities:
                ax.plot(xs, self.columns[n], "o-", ms=3, label=n)
            ax.set_xlabel(steps[0])
            if len(quantities) <= 12:
                ax.legend(fontsize=8)
        else:
            for part, label in self._variants(steps):
                part._draw(ax, label)
        ax.set_title(self.name)
        ax.grid(True, alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)

    def _variants(self, steps: list[str]) -> list[tuple[AnalysisResult, str]]:
        """(rows of one variant without the step columns, its legend suffix) per variant:
        runs of equal step-parameter values; the whole result when there are none."""
        if not steps:
            return [(self, "")]
        keys = np.stack([np.asarray(self.columns[n]) for n in steps], axis=1)
        cut = np.nonzero(np.any(keys[1:] != keys[:-1], axis=1))[0] + 1
        bounds = [0, *cut.tolist(), len(keys)]
        rest = {k: v for k, v in self.columns.items() if k not in steps}
        out = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            part = AnalysisResult(self.kind, self.name, {k: v[a:b] for k, v in rest.items()},
                                  plot_x=self.plot_x)
            label = " (" + ", ".join(f"{n}={keys[a, j]:g}" for j, n in enumerate(steps)) + ")"
            out.append((part, label))
        return out

    def _draw(self, ax, suffix: str) -> None:
        """Draw this result's quantities on ax; ``suffix`` ends each legend label."""
        names = list(self.columns)
        if self.kind in ("op", "rfdc"):
            vals = [float(np.asarray(self.columns[n]).reshape(-1)[0]) for n in names]
            ax.barh(names, vals)
        elif self.kind == "hb":  # line spectrum: |phasor| in dB per quantity
            xs = self.columns[names[0]]
            quantities = [n[0] + n[2:] for n in names[1:] if n[1] == "r"]
            for k, n in enumerate(quantities):
                mag = 20 * np.log10(np.maximum(np.abs(self[n]), 1e-30))
                ax.vlines(xs + 0.004 * k * xs.max(), -400, mag, color=f"C{k}", lw=1.2)
                ax.plot(xs + 0.004 * k * xs.max(), mag, "o", ms=3, color=f"C{k}",
                        label=n + suffix)
            peak = max((20 * np.log10(np.abs(self[n]).max() + 1e-30) for n in quantities),
                       default=0.0)
            ax.set_ylim(peak - 120, peak + 10)
            ax.set_xlabel(f"{names[0]} (Hz)")
            ax.set_ylabel("peak amplitude (dBV / dBA)")
            if len(quantities) <= 12:
                ax.legend(fontsize=8)
        else:
            xname = self.plot_x if self.plot_x in self.columns else names[0]
            xs = self.columns[xname]
            for n in [n for n in names[1:] if n != xname]:
                if self.kind == "ac" and n[1] == "i":
                    continue
                ys = self[n[0] + n[2:]] if self.kind == "ac" and n[1] == "r" else self.columns[n]
                if np.iscomplexobj(ys):
                    ys = 20 * np.log10(np.maximum(np.abs(ys), 1e-300))
                ax.plot(xs, ys, label=(n if self.kind != "ac" else n[0] + n[2:]) + suffix)
            ax.set_xlabel(xname)
            if self.kind == "ac":
                ax.set_xscale("log")
                ax.set_ylabel("magnitude (dB)")
            if len(names) <= 12:
                ax.legend(fontsize=8)


def _fmt(value: float) -> str:
    return repr(float(value))


class InterruptedAnalysis(KeyboardInterrupt):
    """An interrupt (Ctrl-C) inside a point-by-point analysis (.tran, .dc, .ac); ``partial`` holds
    the points finished before it, with ``stats["interrupted"]`` True. ``Simulator.run_all``
    hands it on like a finished result before the interrupt goes on: what was computed is
    kept."""

    def __init__(self, partial) -> None:
        super().__init__()
        self.partial = partial  # an AnalysisResult (a BatchResult for InterruptedBatch)


def kept(result: AnalysisResult, interrupted: bool) -> AnalysisResult:
    """``result`` when the analysis ran to its end; after an interrupt, raise it marked
    ``stats["interrupted"]`` inside an InterruptedAnalysis (the caller keeps the points)."""
    if interrupted:
        result.stats["interrupted"] = True
        raise InterruptedAnalysis(result) from None
    return result


@dataclass
class RunResults:
    """All analyses of a run, in netlist order. ``res.tran`` is the first transient,
    ``res['tran_2']`` the second."""

    analyses: list[AnalysisResult] = field(default_factory=list)
    title: str = ""

    def __getitem__(self, name: str) -> AnalysisResult:
        for a in self.analyses:
            if a.name == name:
                return a
        raise KeyError(f"no analysis named {name!r}; have: {[a.name for a in self.analyses]}")

    def __getattr__(self, kind: str) -> AnalysisResult:
        if kind.startswith("_"):
            raise AttributeError(kind)
        for a in self.analyses:
            if a.kind == kind:
                return a
        raise AttributeError(f"no {kind} analysis in this run")

    def add(self, result: AnalysisResult) -> AnalysisResult:
        count = sum(1 for a in self.analyses if a.kind == result.kind)
        result.name = result.kind if count == 0 else f"{result.kind}_{count + 1}"
        self.analyses.append(result)
        return result

    def write(self, outdir: str | Path, fmt: str = "csv", plot: bool = False) -> list[Path]:
        """Write every analysis to outdir/<name>.<fmt> (and <name>.png with plot)."""
        out = Path(outdir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for a in self.analyses:
            path = out / f"{a.name}.{fmt}"
            if fmt == "csv":
                a.to_csv(path)
            elif fmt == "npz":
                np.savez(path, **{k: np.asarray(v) for k, v in a.columns.items()})
            else:
                raise ValueError(f"unknown format {fmt!r}")
            written.append(path)
            if plot:
                png = out / f"{a.name}.png"
                a.plot(png)
                written.append(png)
        return written
