"""Golden comparison of netsim against ngspice 39.

Every netlist in ``tests/golden/cases/`` is run through ``netsim.run_file`` with netsim's default
tolerances and each analysis is compared with the CSV that ``tests/golden/make_golden.py``
produced from ngspice with tight tolerances. ngspice is never run here.

Acceptance tolerances (the "reference" is the ngspice golden value):

- op:   |netsim - ref| <= 1e-6 |ref| + floor, floor 1e-9 V for ``v(..)``, 1e-12 A for ``i(..)``.
- dc:   voltages within 1 mV; currents within 1e-6 |ref| + 1e-12 A + 1e-9 max|column|.
        The sweep columns must be the same grid.
- ac:   on the same frequency grid, magnitude within 0.01 dB and phase within 0.1 degree at
        every point whose reference magnitude is above a floor: 200 dB below the column's
        maximum and above max(1e-15, 1e-12 x the largest magnitude of any voltage (current)
        of the analysis), the level of round-off. A column that is identically zero in the
        reference must stay below that same level in netsim.
- tran: each waveform within 0.5 % of its reference range (1 % for currents ``i(..)`` of cases
        flagged ``switching_currents``). The two simulators choose different time points, so
        both waveforms are taken as piecewise linear and compared on the union of both grids:
        netsim interpolated onto ngspice's points and ngspice onto netsim's, keeping the worse.
        Near a sharp edge a tiny time shift is a large value error, so cases that check edge
        timing also compare waveforms inside a time "tube": a point counts as matching when
        the other waveform takes the value anywhere within +-``time_slack`` (the same 2 ps
        allowed for the edges themselves). The range used for the tolerance is
        max(peak-to-peak, 1 % of max|ref|, 1 uV or 1 nA).
        ``period``: oscillation period from the rising crossings of mid-supply, averaged over
        the last 3 periods, within 1 %; ``edges``: every 50 % crossing time (rising and
        falling, 10 % hysteresis band) within 2 ps.

Which extra checks apply to which case is the ``CHECKS`` table below. Failure messages name the
case, the file, the column, the worst point and the error against its tolerance.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = GOLDEN / "cases"

# --------------------------------------------------------------------------------------------
# Per-case checks. Every analysis is compared column by column by default; entries here add
# or relax checks for a case.
#   waveform: False        skip the point-wise transient comparison (oscillators drift in phase)
#   period: [cols]         oscillation period check on these columns
#   edges: [cols]          50 % crossing-time check on these columns (also sets time_slack)
#   switching_currents     1 % instead of 0.5 % for i(..) waveforms
#   time_slack: seconds    time tube for the waveform comparison (default 0, or 2 ps with edges)
#   ac_floor_db: dB        magnitude floor below the column max for AC (default 200)
# --------------------------------------------------------------------------------------------
CHECKS: dict[str, dict[str, object]] = {
    "ring5": {"waveform": False, "period": ["v(n1)", "v(n3)"]},
    "inv_chain": {"edges": ["v(o1)", "v(o3)", "v(o10)"], "switching_currents": True},
    "cmos_inv_tran": {"edges": ["v(out)"], "switching_currents": True},
    "mos_switch_tran": {"edges": ["v(d)"], "switching_currents": True},
    "diode_rectifier": {"switching_currents": True},
    "diode_clamp": {"switching_currents": True},
}

OP_REL = 1e-6
OP_ABS_V = 1e-9
OP_ABS_I = 1e-12
DC_ABS_V = 1e-3
DC_REL_I = 1e-6
DC_ABS_I = 1e-12
DC_COLREL_I = 1e-9
AC_DB = 0.01
AC_DEG = 0.1
AC_FLOOR_DB = 200.0
AC_ZERO = 1e-15
AC_ZERO_REL = 1e-12
TRAN_FRAC = 5e-3
TRAN_FRAC_SWITCHING_I = 1e-2
TRAN_RANGE_FLOOR_V = 1e-6
TRAN_RANGE_FLOOR_I = 1e-9
PERIOD_REL = 1e-2
PERIOD_COUNT = 3
EDGE_TOL = 2e-12
EDGE_HYSTERESIS = 0.1
GRID_REL = 1e-9


# ------------------------------------------------------------------------------ golden files


@dataclass
class GoldenAnalysis:
    """One golden CSV: its kind, file name and columns (op: one value per name)."""

    kind: str
    file: str
    columns: dict[str, np.ndarray]


def read_golden_csv(path: Path) -> dict[str, np.ndarray]:
    """Read a golden CSV. ``op.csv`` (``name,value``) gives 0-d arrays, others 1-D columns."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    if header == ["name", "value"]:
        return {name: np.asarray(float(val)) for name, val in body}
    table = np.array([[float(x) for x in row] for row in body], dtype=float).reshape(
        len(body), len(header)
    )
    return {name: table[:, k].copy() for k, name in enumerate(header)}


def golden_case(case: str) -> list[GoldenAnalysis]:
    """All golden analyses of a case, in netlist order (as listed in its meta.json)."""
    meta = json.loads((GOLDEN / case / "meta.json").read_text())
    out = []
    for entry in meta["analyses"]:
        fname = entry["file"]
        kind = re.sub(r"_\d+$", "", fname.removesuffix(".csv"))
        out.append(GoldenAnalysis(kind, fname, read_golden_csv(GOLDEN / case / fname)))
    return out


def case_names() -> list[str]:
    """Names of all golden cases (netlists in tests/golden/cases)."""
    return sorted(p.stem for p in CASES.glob("*.net"))


# -------------------------------------------------------------------------------- comparator


def _is_current(name: str) -> bool:
    return name.startswith("i")


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _as_float(v: object) -> float:
    return float(np.asarray(v, dtype=float).reshape(-1)[0])


def compare_op(
    where: str, ref: Mapping[str, np.ndarray], got: Mapping[str, np.ndarray]
) -> list[str]:
    """Compare operating points: 1e-6 relative with a 1e-9 V / 1e-12 A floor."""
    errors = []
    for name, rv in ref.items():
        if name not in got:
            errors.append(f"{where} {name}: missing in netsim (has {sorted(got)[:12]}...)")
            continue
        r, g = _as_float(rv), _as_float(got[name])
        tol = OP_REL * abs(r) + (OP_ABS_I if _is_current(name) else OP_ABS_V)
        err = abs(g - r)
        if not err <= tol:
            errors.append(
                f"{where} {name}: netsim={_fmt(g)} ngspice={_fmt(r)} "
                f"error={_fmt(err)} > tol={_fmt(tol)}"
            )
    return errors


def _check_grid(where: str, name: str, r: np.ndarray, g: np.ndarray) -> str | None:
    if g.shape != r.shape:
        return f"{where} {name}: grid has {g.size} points in netsim, {r.size} in ngspice"
    scale = max(float(np.max(np.abs(r))) if r.size else 0.0, 1e-30)
    err = np.abs(g - r)
    k = int(np.argmax(err)) if err.size else 0
    if err.size and err[k] > GRID_REL * scale + 1e-15:
        return (
            f"{where} {name}: grid differs at index {k}: netsim={_fmt(g[k])} ngspice={_fmt(r[k])}"
        )
    return None


def _missing(where: str, name: str, got: Mapping[str, np.ndarray]) -> str:
    return f"{where} {name}: missing in netsim (netsim columns: {', '.join(sorted(got))})"


def compare_dc(
    where: str, ref: Mapping[str, np.ndarray], got: Mapping[str, np.ndarray]
) -> list[str]:
    """Compare DC sweeps: same sweep grid; voltages within 1 mV, currents 1e-6 relative."""
    names = list(ref)
    sweeps = [n for n in names if not n.startswith(("v(", "i("))]
    errors = []
    for s in sweeps:
        if s not in got:
            return [_missing(where, s, got)]
        msg = _check_grid(where, s, ref[s], np.asarray(got[s], dtype=float))
        if msg:
            return [msg]
    for name in names:
        if name in sweeps:
            continue
        if name not in got:
            errors.append(_missing(where, name, got))
            continue
        r = ref[name]
        g = np.asarray(got[name], dtype=float).reshape(-1)
        if g.shape != r.shape:
            errors.append(f"{where} {name}: {g.size} points in netsim, {r.size} in ngspice")
            continue
        if _is_current(name):
            tol = DC_REL_I * np.abs(r) + DC_ABS_I + DC_COLREL_I * float(np.max(np.abs(r)))
        else:
            tol = np.full(r.shape, DC_ABS_V)
        err = np.abs(g - r)
        ratio = err / tol
        k = int(np.nanargmax(np.where(np.isnan(ratio), np.inf, ratio)))
        if not ratio[k] <= 1.0:
            at = ", ".join(f"{s}={_fmt(ref[s][k])}" for s in sweeps)
            errors.append(
                f"{where} {name}: worst at {at}: netsim={_fmt(g[k])} ngspice={_fmt(r[k])} "
                f"error={_fmt(err[k])} > tol={_fmt(tol[k])}"
            )
    return errors


def compare_ac(
    where: str,
    ref: Mapping[str, np.ndarray],
    got: Mapping[str, np.ndarray],
    floor_db: float = AC_FLOOR_DB,
) -> list[str]:
    """Compare AC sweeps: 0.01 dB magnitude and 0.1 degree phase above the magnitude floor."""
    if "frequency" not in got:
        return [_missing(where, "frequency", got)]
    f = ref["frequency"]
    msg = _check_grid(where, "frequency", f, np.asarray(got["frequency"], dtype=float))
    if msg:
        return [msg]
    errors = []
    kind_peak = {"v": 0.0, "i": 0.0}
    for name in ref:
        m = re.match(r"^([vi])r(\(.*\))$", name)
        if m and f"{m.group(1)}i{m.group(2)}" in ref:
            z = np.hypot(ref[name], ref[f"{m.group(1)}i{m.group(2)}"])
            kind_peak[m.group(1)] = max(kind_peak[m.group(1)], float(np.max(z, initial=0.0)))
    for name in ref:
        m = re.match(r"^([vi])r(\(.*\))$", name)
        if not m:
            continue
        zero = max(AC_ZERO, AC_ZERO_REL * kind_peak[m.group(1)])
        im_name = f"{m.group(1)}i{m.group(2)}"
        label = f"{m.group(1)}{m.group(2)}"
        missing = [n for n in (name, im_name) if n not in got]
        if missing:
            errors.extend(_missing(where, n, got) for n in missing)
            continue
        r = ref[name] + 1j * ref[im_name]
        g = np.asarray(got[name], dtype=float) + 1j * np.asarray(got[im_name], dtype=float)
        if g.shape != r.shape:
            errors.append(f"{where} {label}: {g.size} points in netsim, {r.size} in ngspice")
            continue
        rmag = np.abs(r)
        peak = float(np.max(rmag))
        if peak == 0.0:
            k = int(np.argmax(np.abs(g)))
            if np.abs(g[k]) > zero:
                errors.append(
                    f"{where} {label}: ngspice is zero, netsim |x|={_fmt(abs(g[k]))} at "
                    f"frequency={_fmt(f[k])} > {_fmt(zero)}"
                )
            continue
        mask = rmag > max(peak * 10.0 ** (-floor_db / 20.0), zero)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = g / r
            db = np.abs(20.0 * np.log10(np.abs(ratio)))
            deg = np.abs(np.degrees(np.angle(ratio)))
        db = np.where(mask, np.nan_to_num(db, nan=np.inf, posinf=np.inf), 0.0)
        deg = np.where(mask, np.nan_to_num(deg, nan=np.inf), 0.0)
        for what, err, tol in (("magnitude", db, AC_DB), ("phase", deg, AC_DEG)):
            k = int(np.argmax(err))
            if not err[k] <= tol:
                unit = "dB" if what == "magnitude" else "deg"
                errors.append(
                    f"{where} {label} {what}: worst at frequency={_fmt(f[k])}: "
                    f"netsim={_fmt(g[k].real)}{g[k].imag:+.6g}j "
                    f"ngspice={_fmt(r[k].real)}{r[k].imag:+.6g}j "
                    f"error={_fmt(err[k])} {unit} > tol={tol} {unit}"
                )
    return errors


def _tube_error(
    t_pts: np.ndarray, y_pts: np.ndarray, t: np.ndarray, y: np.ndarray, slack: float
) -> np.ndarray:
    """Distance of the points (t_pts, y_pts) from the piecewise-linear curve (t, y).

    With ``slack`` = 0 this is |y_pts - interp(t_pts)|. With slack > 0 it is the distance from
    y_pts to the range of values the curve takes on [t_pts - slack, t_pts + slack] (a
    continuous curve takes every value between its min and max on an interval).
    """
    yi = np.interp(t_pts, t, y)
    if slack <= 0.0:
        return np.abs(y_pts - yi)
    lo_t, hi_t = t_pts - slack, t_pts + slack
    y_lo = np.interp(lo_t, t, y)
    y_hi = np.interp(hi_t, t, y)
    vmin = np.minimum(np.minimum(y_lo, y_hi), yi)
    vmax = np.maximum(np.maximum(y_lo, y_hi), yi)
    i0 = np.searchsorted(t, lo_t, side="right")
    i1 = np.searchsorted(t, hi_t, side="left")
    for k in np.nonzero(i1 > i0)[0]:
        seg = y[i0[k] : i1[k]]
        vmin[k] = min(vmin[k], float(seg.min()))
        vmax[k] = max(vmax[k], float(seg.max()))
    return np.maximum(0.0, np.maximum(y_pts - vmax, vmin - y_pts))


def _clean_time(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop repeated time points (keep the last value) so that interpolation is defined."""
    keep = np.ones(t.size, dtype=bool)
    keep[:-1] = np.diff(t) > 0
    return t[keep], y[keep]


def compare_waveform(
    where: str,
    name: str,
    t_ref: np.ndarray,
    y_ref: np.ndarray,
    t_got: np.ndarray,
    y_got: np.ndarray,
    frac: float,
    slack: float = 0.0,
) -> str | None:
    """Point-wise waveform comparison on the union of both time grids (see module doc)."""
    t_ref, y_ref = _clean_time(t_ref, y_ref)
    t_got, y_got = _clean_time(t_got, y_got)
    floor = TRAN_RANGE_FLOOR_I if _is_current(name) else TRAN_RANGE_FLOOR_V
    span = max(float(np.ptp(y_ref)), 0.01 * float(np.max(np.abs(y_ref))), floor)
    tol = frac * span
    t0, t1 = max(t_ref[0], t_got[0]), min(t_ref[-1], t_got[-1])
    a = (t_ref >= t0) & (t_ref <= t1)
    b = (t_got >= t0) & (t_got <= t1)
    err_a = _tube_error(t_ref[a], y_ref[a], t_got, y_got, slack)  # ngspice pts vs netsim curve
    err_b = _tube_error(t_got[b], y_got[b], t_ref, y_ref, slack)  # netsim pts vs ngspice curve
    worst_a = float(err_a.max()) if err_a.size else 0.0
    worst_b = float(err_b.max()) if err_b.size else 0.0
    if not max(worst_a, worst_b) <= tol:
        if worst_a >= worst_b:
            k = int(np.argmax(err_a))
            tk, r, g = t_ref[a][k], y_ref[a][k], np.interp(t_ref[a][k], t_got, y_got)
        else:
            k = int(np.argmax(err_b))
            tk, g, r = t_got[b][k], y_got[b][k], np.interp(t_got[b][k], t_ref, y_ref)
        err = max(worst_a, worst_b)
        return (
            f"{where} {name}: worst at time={_fmt(tk)}: netsim={_fmt(g)} ngspice={_fmt(r)} "
            f"error={_fmt(err)} > tol={_fmt(tol)} ({frac:.2%} of range {_fmt(span)}"
            + (f", time slack {_fmt(slack)} s)" if slack else ")")
        )
    return None


def crossings(
    t: np.ndarray, y: np.ndarray, level: float, band: float
) -> tuple[np.ndarray, np.ndarray]:
    """Times of rising and falling crossings of ``level``, with a +-``band`` hysteresis.

    A transition counts once the signal has gone from below ``level - band`` to above
    ``level + band`` (or back); its time is the linearly interpolated crossing of ``level``
    that belongs to it (the last one before the band is left).
    """
    rising: list[float] = []
    falling: list[float] = []
    state = 0  # -1 low, +1 high, 0 unknown
    last_cross = None
    for k in range(1, t.size):
        y0, y1 = y[k - 1], y[k]
        if (y0 - level) * (y1 - level) < 0 or (y1 == level and y0 != level):
            last_cross = t[k - 1] + (level - y0) * (t[k] - t[k - 1]) / (y1 - y0)
        if y1 > level + band and state != 1:
            if state == -1 and last_cross is not None:
                rising.append(last_cross)
            state = 1
        elif y1 < level - band and state != -1:
            if state == 1 and last_cross is not None:
                falling.append(last_cross)
            state = -1
    return np.asarray(rising), np.asarray(falling)


def _levels(y_ref: np.ndarray) -> tuple[float, float]:
    lo, hi = float(np.min(y_ref)), float(np.max(y_ref))
    return 0.5 * (lo + hi), EDGE_HYSTERESIS * (hi - lo)


def compare_period(
    where: str,
    name: str,
    t_ref: np.ndarray,
    y_ref: np.ndarray,
    t_got: np.ndarray,
    y_got: np.ndarray,
) -> str | None:
    """Oscillation period from rising mid-supply crossings, last PERIOD_COUNT periods, 1 %."""
    half = t_ref >= 0.5 * (t_ref[0] + t_ref[-1])
    level, band = _levels(y_ref[half])
    periods = []
    for label, t, y in (("ngspice", t_ref, y_ref), ("netsim", t_got, y_got)):
        rise, _ = crossings(t, y, level, band)
        if rise.size < PERIOD_COUNT + 1:
            return (
                f"{where} {name}: {label} has {rise.size} rising crossings of {_fmt(level)}, "
                f"need {PERIOD_COUNT + 1} to measure the period"
            )
        periods.append((rise[-1] - rise[-1 - PERIOD_COUNT]) / PERIOD_COUNT)
    p_ref, p_got = periods
    err = abs(p_got - p_ref) / p_ref
    if not err <= PERIOD_REL:
        return (
            f"{where} {name} period: netsim={_fmt(p_got)} s ngspice={_fmt(p_ref)} s "
            f"error={err:.3%} > tol={PERIOD_REL:.0%}"
        )
    return None


def compare_edges(
    where: str,
    name: str,
    t_ref: np.ndarray,
    y_ref: np.ndarray,
    t_got: np.ndarray,
    y_got: np.ndarray,
) -> str | None:
    """Every 50 % crossing (rising and falling) at the same time within EDGE_TOL."""
    level, band = _levels(y_ref)
    t0, t1 = max(t_ref[0], t_got[0]), min(t_ref[-1], t_got[-1])
    out = []
    for ref_edges, got_edges, sense in zip(
        crossings(t_ref, y_ref, level, band),
        crossings(t_got, y_got, level, band),
        ("rising", "falling"),
        strict=True,
    ):
        ref_edges = ref_edges[(ref_edges >= t0) & (ref_edges <= t1)]
        got_edges = got_edges[(got_edges >= t0) & (got_edges <= t1)]
        if ref_edges.size != got_edges.size:
            out.append(
                f"{where} {name}: {got_edges.size} {sense} edges in netsim, "
                f"{ref_edges.size} in ngspice (level {_fmt(level)})"
            )
            continue
        if ref_edges.size == 0:
            continue
        d = np.abs(got_edges - ref_edges)
        k = int(np.argmax(d))
        if not d[k] <= EDGE_TOL:
            out.append(
                f"{where} {name}: {sense} edge {k} at {_fmt(ref_edges[k])} s: "
                f"netsim={_fmt(got_edges[k])} s error={_fmt(d[k])} s > tol={_fmt(EDGE_TOL)} s"
            )
    return "; ".join(out) if out else None


def compare_tran(
    where: str,
    ref: Mapping[str, np.ndarray],
    got: Mapping[str, np.ndarray],
    checks: Mapping[str, object],
) -> list[str]:
    """Compare a transient analysis: waveforms, and the period/edge checks the case asks for."""
    if "time" not in got:
        return [_missing(where, "time", got)]
    t_ref = ref["time"]
    t_got = np.asarray(got["time"], dtype=float).reshape(-1)
    if t_got.size < 2:
        return [f"{where} time: netsim returned {t_got.size} time points"]
    errors: list[str] = []
    span_tol = max(1e-12, 1e-6 * (t_ref[-1] - t_ref[0]))
    dt_max = float(np.max(np.diff(t_ref))) if t_ref.size > 1 else 0.0
    if t_got[0] > t_ref[0] + max(span_tol, dt_max) or t_got[-1] < t_ref[-1] - span_tol:
        errors.append(
            f"{where} time: netsim covers [{_fmt(t_got[0])}, {_fmt(t_got[-1])}] s, "
            f"ngspice [{_fmt(t_ref[0])}, {_fmt(t_ref[-1])}] s"
        )
    edges = list(checks.get("edges", []))  # type: ignore[call-overload]
    slack = float(checks.get("time_slack", EDGE_TOL if edges else 0.0))  # type: ignore[arg-type]
    switching = bool(checks.get("switching_currents", False))
    for name in ref:
        if name == "time":
            continue
        if name not in got:
            errors.append(_missing(where, name, got))
            continue
        y_got = np.asarray(got[name], dtype=float)
        if y_got.shape != t_got.shape:
            errors.append(f"{where} {name}: {y_got.size} values for {t_got.size} time points")
            continue
        if checks.get("waveform", True):
            frac = TRAN_FRAC_SWITCHING_I if (switching and _is_current(name)) else TRAN_FRAC
            msg = compare_waveform(where, name, t_ref, ref[name], t_got, y_got, frac, slack)
            if msg:
                errors.append(msg)
        if name in checks.get("period", []):  # type: ignore[operator]
            msg = compare_period(where, name, t_ref, ref[name], t_got, y_got)
            if msg:
                errors.append(msg)
        if name in edges:
            msg = compare_edges(where, name, t_ref, ref[name], t_got, y_got)
            if msg:
                errors.append(msg)
    return errors


def compare_analysis(
    case: str,
    golden: GoldenAnalysis,
    got: Mapping[str, np.ndarray],
    checks: Mapping[str, object] | None = None,
) -> list[str]:
    """Compare one netsim analysis with its golden data; returns failure messages."""
    checks = checks if checks is not None else CHECKS.get(case, {})
    where = f"[{case} {golden.file}]"
    if golden.kind == "op":
        return compare_op(where, golden.columns, got)
    if golden.kind == "dc":
        return compare_dc(where, golden.columns, got)
    if golden.kind == "ac":
        floor = float(checks.get("ac_floor_db", AC_FLOOR_DB))  # type: ignore[arg-type]
        return compare_ac(where, golden.columns, got, floor)
    if golden.kind == "tran":
        return compare_tran(where, golden.columns, got, checks)
    raise ValueError(f"unknown analysis kind {golden.kind!r}")


# ------------------------------------------------------------------------ the golden test


@pytest.mark.parametrize("case", case_names())
def test_golden_ngspice(case: str) -> None:
    """netsim (default tolerances) reproduces ngspice's tight-tolerance results for ``case``."""
    import netsim  # imported here so the comparator self-tests run without netsim

    goldens = golden_case(case)
    res = netsim.run_file(str(CASES / f"{case}.net"))
    analyses = list(res.analyses)
    kinds = [a.kind for a in analyses]
    assert kinds == [g.kind for g in goldens], (
        f"[{case}] analyses in netsim {kinds} != golden {[g.kind for g in goldens]}"
    )
    errors: list[str] = []
    for golden, a in zip(goldens, analyses, strict=True):
        errors.extend(compare_analysis(case, golden, a.columns))
    assert not errors, f"{len(errors)} mismatches:\n" + "\n".join(errors)


# ------------------------------------------------------------ comparator self-tests


def _all_golden() -> list[tuple[str, GoldenAnalysis]]:
    return [(c, g) for c in case_names() for g in golden_case(c)]


def test_every_case_has_golden_data() -> None:
    """Each case has meta.json and one CSV per analysis card; cases are plain SPICE."""
    names = case_names()
    assert len(names) >= 28
    for case in names:
        text = (CASES / f"{case}.net").read_text().lower()
        assert ".options" not in text and ".control" not in text, case
        meta = json.loads((GOLDEN / case / "meta.json").read_text())
        assert meta["analyses"], case
        for entry in meta["analyses"]:
            assert (GOLDEN / case / entry["file"]).is_file(), (case, entry["file"])


@pytest.mark.parametrize(
    "case,golden", _all_golden(), ids=lambda x: x if isinstance(x, str) else x.file
)
def test_comparator_accepts_golden_itself(case: str, golden: GoldenAnalysis) -> None:
    """The comparator passes a golden result compared with itself (all checks active)."""
    assert compare_analysis(case, golden, golden.columns) == []


def _golden(case: str, file: str) -> GoldenAnalysis:
    return next(g for g in golden_case(case) if g.file == file)


def _copy(cols: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=float, copy=True) for k, v in cols.items()}


def test_comparator_op_tolerance() -> None:
    """OP: 1e-7 relative passes, 1e-5 relative fails and names the quantity."""
    g = _golden("r_divider_op", "op.csv")
    ok = {k: v * (1 + 1e-7) for k, v in _copy(g.columns).items()}
    assert compare_analysis("r_divider_op", g, ok) == []
    bad = _copy(g.columns)
    bad["v(mid)"] = bad["v(mid)"] * (1 + 1e-5)
    errs = compare_analysis("r_divider_op", g, bad)
    assert len(errs) == 1 and "r_divider_op" in errs[0] and "v(mid)" in errs[0]
    del bad["i(v1)"]
    assert any("missing" in e and "i(v1)" in e for e in compare_analysis("r_divider_op", g, bad))


def test_comparator_dc_tolerance() -> None:
    """DC: 0.5 mV passes, 2 mV fails at the perturbed sweep point; currents 1e-6 relative."""
    g = _golden("nmos_iv", "dc.csv")
    cols = _copy(g.columns)
    cols["v(d)"] += 0.5e-3
    assert compare_analysis("nmos_iv", g, cols) == []
    cols["v(d)"][17] += 1.5e-3
    errs = compare_analysis("nmos_iv", g, cols)
    assert len(errs) == 1 and "v(d)" in errs[0] and "vd=" in errs[0] and "vg=" in errs[0]
    cols = _copy(g.columns)
    k = int(np.argmax(np.abs(cols["i(vd)"])))
    cols["i(vd)"][k] *= 1 + 3e-6
    errs = compare_analysis("nmos_iv", g, cols)
    assert len(errs) == 1 and "i(vd)" in errs[0]
    cols = _copy(g.columns)
    cols["vd"] = cols["vd"][:-1]
    assert "grid" in compare_analysis("nmos_iv", g, cols)[0]


def test_comparator_ac_tolerance() -> None:
    """AC: 0.005 dB / 0.05 deg pass; 0.02 dB or 0.2 deg fail."""
    g = _golden("rlc_ac", "ac.csv")

    def scaled(factor: complex) -> dict[str, np.ndarray]:
        cols = _copy(g.columns)
        z = (cols["vr(out)"] + 1j * cols["vi(out)"]) * factor
        cols["vr(out)"], cols["vi(out)"] = z.real, z.imag
        return cols

    small = 10 ** (0.005 / 20) * np.exp(1j * np.radians(0.05))
    assert compare_analysis("rlc_ac", g, scaled(small)) == []
    errs = compare_analysis("rlc_ac", g, scaled(10 ** (0.02 / 20)))
    assert len(errs) == 1 and "magnitude" in errs[0] and "v(out)" in errs[0]
    errs = compare_analysis("rlc_ac", g, scaled(np.exp(1j * np.radians(0.2))))
    assert len(errs) == 1 and "phase" in errs[0]


def _resample(cols: Mapping[str, np.ndarray], t_new: np.ndarray) -> dict[str, np.ndarray]:
    out = {"time": t_new}
    for k, v in cols.items():
        if k != "time":
            out[k] = np.interp(t_new, cols["time"], v)
    return out


def test_comparator_tran_waveform() -> None:
    """Tran: a resampled copy passes; a 1 % bump at one time fails at that time."""
    g = _golden("rc_pulse_tran", "tran.csv")
    t = g.columns["time"]
    fine = np.union1d(t, np.linspace(t[0], t[-1], 5 * t.size))
    assert compare_analysis("rc_pulse_tran", g, _resample(g.columns, fine)) == []
    cols = _copy(g.columns)
    k = t.size // 2
    span = float(np.ptp(cols["v(out)"]))
    cols["v(out)"][k] += 0.004 * span
    assert compare_analysis("rc_pulse_tran", g, cols) == []
    cols["v(out)"][k] += 0.006 * span
    errs = compare_analysis("rc_pulse_tran", g, cols)
    assert len(errs) == 1 and "v(out)" in errs[0] and _fmt(t[k]) in errs[0]


def test_comparator_tran_edges() -> None:
    """Edges: a 1 ps time shift passes (edges and tube), a 5 ps shift fails."""
    case = "inv_chain"
    g = _golden(case, "tran.csv")
    for shift, ok in ((1e-12, True), (5e-12, False)):
        cols = _copy(g.columns)
        cols["time"] = cols["time"] + shift
        errs = compare_analysis(case, g, cols)
        if ok:
            assert errs == []
        else:
            assert any("edge" in e and "v(o10)" in e for e in errs)


def test_comparator_period() -> None:
    """Period: 0.5 % time stretch passes, 2 % fails."""
    case = "ring5"
    g = _golden(case, "tran.csv")
    for stretch, ok in ((1.005, True), (1.02, False)):
        cols = _copy(g.columns)
        cols["time"] = cols["time"] * stretch
        errs = compare_analysis(case, g, cols)
        assert (errs == []) == ok, errs
        if not ok:
            assert all("period" in e for e in errs)


def test_crossings_hysteresis() -> None:
    """Noise around the threshold does not add crossings; interpolation is linear."""
    t = np.array([0.0, 1.0, 2.0, 2.1, 2.2, 3.0, 4.0, 5.0])
    y = np.array([0.0, 0.0, 0.51, 0.49, 0.52, 1.0, 1.0, 0.0])
    rise, fall = crossings(t, y, 0.5, 0.1)
    assert rise.size == 1 and fall.size == 1
    assert abs(rise[0] - (2.1 + 0.1 / 3)) < 1e-12  # last crossing before leaving the band
    assert abs(fall[0] - 4.5) < 1e-12


def test_tube_error() -> None:
    """The time tube accepts a shifted step within the slack and rejects it outside."""
    t = np.array([0.0, 1.0, 1.001, 2.0])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    ts = t + 0.0005
    assert np.max(_tube_error(ts, y, t, y, 0.0)) > 0.4
    assert np.max(_tube_error(ts, y, t, y, 0.0006)) == 0.0
    assert np.max(_tube_error(ts, y, t, y, 0.0002)) > 0.1


def test_raw_reader_and_name_mapping() -> None:
    """The ASCII raw reader and the ngspice -> netsim name mapping of make_golden."""
    from ngspice_raw import parse_raw_text

    text = (
        "Title: t\nDate: x\nPlotname: AC Analysis\nFlags: complex\nNo. Variables: 3\n"
        "No. Points: 2\nVariables:\n\t0\tfrequency\tfrequency grid=3\n\t1\tv(x1.a)\tvoltage\n"
        "\t2\ti(v.x1.vs)\tcurrent\nValues:\n0\t\t1.0e+00,0.0e+00\n\t1.0e+00,-2.0e+00\n"
        "\t3.0e-03,0.0e+00\n1\t\t1.0e+01,0.0e+00\n\t5.0e-01,-1.0e+00\n\t1.0e-03,1.0e-03\n"
    )
    (plot,) = parse_raw_text(text)
    assert plot.complex and plot.names == ["frequency", "v(x1.a)", "i(v.x1.vs)"]
    assert plot.data["v(x1.a)"][1] == 0.5 - 1j
    spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
    assert spec and spec.loader
    mg = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_golden", mg)
    spec.loader.exec_module(mg)
    assert mg.map_name("i(v.x1.vs)") == "i(x1.vs)"
    assert mg.map_name("i(e.x1.x2.e3)") == "i(x1.x2.e3)"
    assert mg.map_name("V(X1.N)") == "v(x1.n)"
    assert mg.map_name("i(vdd)") == "i(vdd)"
    assert mg.spice_number("2.5meg") == 2.5e6 and mg.spice_number("10ns") == 10e-9
