"""Independent V/I sources: waveform values and breakpoints against ngspice 39, card parsing
(every error message pinned), and the device contract (Jacobians, batch axes, AC, srcfact).

The ngspice tests write a small netlist (one source into 1 kOhm), run
``SPICE_ASCIIRAWFILE=1 ngspice -b -r out.raw``, and compare ``value(t)`` at ngspice's time points.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from netsim.circuit.circuit import Instance
from netsim.devices.base import BRANCH, REGISTRY, EvalContext
from netsim.devices.sources import (
    CurrentSource,
    SourceSpec,
    VoltageSource,
    parse_source_spec,
)
from netsim.devices.waveforms import Waveform, WaveformBank
from netsim.errors import AnalysisError, ElaborationError, Span
from netsim.syntax.ast import Braced, Group, Name, Param, Token
from netsim.units import parse_number

# ---------------------------------------------------------------------------- card helpers

PARAMS = {"vdd": 1.8, "tr": 2e-9}


def eval_atom(atom) -> float:
    """What elaboration passes: SPICE numbers and {name} parameter references."""
    if isinstance(atom, Token):
        value = parse_number(atom.text)
        if value is None:
            raise ValueError(atom.text)
        return value
    if isinstance(atom, Braced) and isinstance(atom.expr, Name):
        if atom.expr.name not in PARAMS:
            raise ElaborationError(f"undefined parameter '{atom.expr.name}'", atom.span)
        return PARAMS[atom.expr.name]
    raise TypeError(atom)


_ITEM = re.compile(
    r"(?P<group>(?P<gname>\w*)\((?P<gargs>[^)]*)\))"
    r"|(?P<param>(?P<pname>\w+)=(?P<pval>\S+))"
    r"|(?P<brace>\{(?P<bname>\w+)\})"
    r"|(?P<tok>[^\s(){}=,]+)"
)


def _span(line: str, start: int, end: int) -> Span:
    return Span("t.net", 1, start + 1, end + 1, line)


def _atom(line: str, m: re.Match, base: int = 0):
    s, e = m.start() + base, m.end() + base
    if m.group("brace"):
        sp = _span(line, s, e)
        return Braced(Name(sp, m.group("bname")), sp)
    return Token(m.group("tok").lower(), _span(line, s, e))


def card(rest: str):
    """(atoms, params, line) of ``V1 a 0 <rest>`` as the parser would give them."""
    line = "V1 a 0 " + rest
    atoms, params = [], []
    for m in _ITEM.finditer(line, len("V1 a 0 ")):
        if m.group("group") is not None:
            inner_base = m.start("gargs")
            args = tuple(_atom(line, mm, inner_base)
                         for mm in _ITEM.finditer(m.group("gargs")))
            atoms.append(Group(m.group("gname").lower(), args, _span(line, m.start(), m.end())))
        elif m.group("param") is not None:
            vm = _ITEM.fullmatch(m.group("pval"))
            value = _atom(line, vm, m.start("pval"))
            params.append(Param(m.group("pname").lower(), value,
                                _span(line, m.start(), m.end())))
        else:
            atoms.append(_atom(line, m))
    return tuple(atoms), tuple(params), line


def spec_of(rest: str) -> SourceSpec:
    atoms, params, line = card(rest)
    return parse_source_spec(atoms, params, eval_atom, _span(line, 0, len(line)))


def error_of(rest: str) -> ElaborationError:
    with pytest.raises(ElaborationError) as info:
        spec_of(rest)
    return info.value


# ---------------------------------------------------------------------------- ngspice

ngspice = pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice not installed")


def run_ngspice(tmp_path: Path, element: str, analysis: str) -> dict[str, np.ndarray]:
    """Run ``element`` into 1k from node 1 under ``analysis``; return the raw vectors."""
    net = tmp_path / "src.net"
    net.write_text(f"source test\n{element}\nr1 1 0 1k\n{analysis}\n.end\n")
    raw = tmp_path / "out.raw"
    env = dict(os.environ, SPICE_ASCIIRAWFILE="1")
    proc = subprocess.run(["ngspice", "-b", "-r", str(raw), str(net)], env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert raw.exists(), proc.stdout + proc.stderr
    from ngspice_raw import read_raw

    plot = read_raw(raw)[0]
    return {k.lower(): v for k, v in plot.data.items()}


TRAN = ".tran 0.1u 20u 0 0.05u"
CASES = [
    # (id, source text, .tran card)
    ("pulse", "pulse(0 1 1u 0.2u 0.3u 2u 5u)", TRAN),
    ("pulse_defaults", "pulse(0 2)", ".tran 0.5u 10u 0 0.1u"),
    ("pulse_zero_defaults", "pulse(-1 1 1u 0 0 0 0)", ".tran 0.2u 10u 0 0.1u"),
    ("pulse_space", "pulse (0 1 1u 0.2u)", TRAN),
    ("pulse_np", "pulse(0 1 1u 0 0 2u 5u 2)", TRAN),
    ("pulse_no_tmax", "pulse(0 1.5 0.5u 0.1u 0.1u 1u 3u)", ".tran 0.1u 10u"),
    ("sin", "sin(0.5 1 100k 3.3u 2e4 30)", TRAN),
    ("sin_defaults", "sin(0 1)", TRAN),
    ("sin_no_parens", "sin 0 1 100k", TRAN),
    ("sine_alias", "sine(1 2 50k 1u)", TRAN),
    ("exp", "exp(0 1 1u 0.5u 4u 1u)", TRAN),
    ("exp_defaults", "exp(-1 1)", ".tran 1u 20u 0 0.05u"),
    ("exp_zero_defaults", "exp(0 1 2u 0 0 0)", ".tran 1u 20u 0 0.05u"),
    ("pwl_step", "pwl(0 0 1u 0 1u 1 2u 1 3u 0)", TRAN),
    ("pwl_late_start", "pwl(1u 1 2u 2 4u -1)", TRAN),
    ("pwl_td", "pwl(0 0 1u 0 1.3u 1 2u 1 3u 0) td=0.5u", TRAN),
    ("pwl_r0", "pwl(0 0 1u 1 2u 0) r=0", TRAN),
    ("pwl_r_td", "pwl(0 0 1u 0 1.3u 1 2u 1 3u 0) r=1u td=0.5u", TRAN),
    ("pwl_r_minus1", "pwl(0 0 1u 1 2u 0) r=-1", TRAN),
    ("pwl_braced", "pwl(0 0 {tr} {vdd} 3u 0)", TRAN),
    ("sffm", "sffm(0 1 100k 2 10k 30 60)", TRAN),
    ("sffm_defaults", "sffm(0.5 1)", TRAN),
    ("sffm_fs_default", "sffm(0 1 100k 3)", TRAN),
    ("am", "am(1 0.5 20k 100k 2u 45 30)", TRAN),
    ("am_defaults", "am(2 1 0 100k)", TRAN),
    ("dc_ac_pulse", "dc 0 ac 1 pulse(0 1 1u)", TRAN),
]


def _ngspice_text(text: str) -> str:
    return text.replace("{tr}", "2n").replace("{vdd}", "1.8")


@ngspice
@pytest.mark.ngspice
@pytest.mark.parametrize("text,tran", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_waveform_matches_ngspice(tmp_path, text, tran):
    data = run_ngspice(tmp_path, f"v1 1 0 {_ngspice_text(text)}", tran)
    tstep, tstop = (parse_number(w) for w in tran.split()[1:3])
    wave = spec_of(text).waveform.bind(tstep, tstop)
    t = data["time"]
    ref = data["v(1)"]
    scale = max(1.0, np.abs(ref).max())
    np.testing.assert_allclose(wave.value(t), ref, rtol=0, atol=1e-9 * scale)
    # the scalar path agrees with the array path
    assert wave.value(float(t[7])) == pytest.approx(ref[7], abs=1e-9 * scale)


@ngspice
@pytest.mark.ngspice
def test_current_source_matches_ngspice(tmp_path):
    data = run_ngspice(tmp_path, "i1 0 1 pulse(0 1m 1u 0.2u 0.3u 2u 5u)", TRAN)
    group = CurrentSource([Instance("i1", "isource", ("0", "1"),
                                    {"spec": spec_of("pulse(0 1m 1u 0.2u 0.3u 2u 5u)")})],
                          27.0, 27.0)
    group.bind_transient(0.1e-6, 20e-6)
    t = data["time"]
    x = np.zeros((t.size, 1, 2))
    ev = group.evaluate(x, EvalContext(t=t[:, None]))
    # current leaves node '0' into the source and enters node 1: v(1) = +I R
    np.testing.assert_allclose(ev.i[:, 0, 0] * 1e3, data["v(1)"], atol=1e-9)


@ngspice
@pytest.mark.ngspice
@pytest.mark.parametrize("text", ["pulse(0 1 1u 0.2u 0.3u 2u 5u)", "pulse(0 1 1u 0 0 2u 5u 2)",
                                  "pwl(0.2u 0 1u 0 1.3u 1 2u 1 3u 0)"])
def test_breakpoints_are_ngspice_time_points(tmp_path, text):
    """ngspice steps exactly onto every corner it registers; ours must be among its points."""
    data = run_ngspice(tmp_path, f"v1 1 0 {text}", TRAN)
    bps = spec_of(text).waveform.bind(0.1e-6, 20e-6).breakpoints(0.0, 20e-6)
    assert bps.size > 0
    gap = np.abs(data["time"][None, :] - bps[:, None]).min(axis=1)
    assert gap.max() < 1e-15


@ngspice
@pytest.mark.ngspice
@pytest.mark.parametrize("text", ["sin(0.5 1 1k 0 0 30)", "exp(1 2) dc 3", "pwl(0 2 1u 3)",
                                  "pulse(1 2 1u)", "am(1 1 1k 1k 0 0 30)", "sffm(1 1 1k 1 1k 0 90)",
                                  "ac 1"])
def test_static_value_matches_ngspice_op(tmp_path, text):
    data = run_ngspice(tmp_path, f"v1 1 0 {text}", ".op")
    group = VoltageSource([Instance("v1", "vsource", ("1", "0"), {"spec": spec_of(text)})],
                          27.0, 27.0)
    ev = group.evaluate(np.zeros((1, 3)), EvalContext(t=None))
    assert -ev.i[0, 2] == pytest.approx(data["v(1)"][0], abs=1e-12)


# ---------------------------------------------------------------------------- waveform units


def test_breakpoints_pwl_repeat_and_delay():
    w = Waveform("pwl", (0, 0, 1e-6, 1, 2e-6, 0), {"r": 1e-6, "td": 0.5e-6})
    got = w.breakpoints(0.0, 4.6e-6)
    np.testing.assert_allclose(got, np.array([0.5, 1.5, 2.5, 3.5, 4.5]) * 1e-6, rtol=1e-12)
    assert w.breakpoints(1.5e-6, 3.5e-6).min() > 1.5e-6  # window is (t0, t1]


def test_breakpoints_pulse_periods_and_kinds():
    w = Waveform("pulse", (0, 1, 1, 1, 1, 1, 10)).bind(0.1, 100)
    np.testing.assert_allclose(w.breakpoints(5, 25), [11, 12, 13, 14, 21, 22, 23, 24])
    w_np = Waveform("pulse", (0, 1, 1, 1, 1, 1, 10, 1)).bind(0.1, 100)
    np.testing.assert_allclose(w_np.breakpoints(0, 100), [1, 2, 3, 4])
    assert Waveform("sin", (0, 1, 1e3, 2e-3)).breakpoints(0, 1).tolist() == [2e-3]
    assert Waveform("exp", (0, 1, 1, 2, 3, 4)).breakpoints(0, 10).tolist() == [1, 3]
    assert Waveform("sffm", (0, 1, 1e3)).breakpoints(0, 1).size == 0
    overlap = Waveform("pulse", (0, 1, 0, 1, 1, 5, 4))  # tr + pw > per: wraps at per
    np.testing.assert_allclose(overlap.breakpoints(0, 9), [1, 4, 5, 8, 9])


def test_bank_groups_kinds_and_constant():
    waves = [Waveform("sin", (0, 1, 1.0)), None, Waveform("pwl", (0, 0, 1, 2)),
             Waveform("pwl", (0, 5)), Waveform("sin", (1, 1, 2.0))]
    bank = WaveformBank(waves, constant=np.array([0, 7.0, 0, 0, 0]))
    t = np.array([0.1, 0.25, 2.0])
    got = bank.values(t)
    assert got.shape == (3, 5)
    for j, w in enumerate(waves):
        ref = np.full(3, 7.0) if w is None else w.value(t)
        np.testing.assert_allclose(got[:, j], ref)
    # per-instance times
    tt = np.array([[0.1, 0.2, 0.5, 9.0, 0.3]])
    np.testing.assert_allclose(bank.values_at(tt)[0, 2], 1.0)


def test_bank_scalar_path_equals_the_array_kernels() -> None:
    """A few PULSE and SIN sources at one time take plain-float kernels; they must give what
    the array kernels give, before, at and after delays and corners."""
    waves = [Waveform("pulse", (0, 1, 1e-6, 2e-7, 3e-7, 1e-6, 4e-6)), None,
             Waveform("sin", (0.5, 2, 1e5, 3e-6, 1e4, 30)), Waveform("sin", (0, 1, 1e6)),
             Waveform("pulse", (1, -1, 0, 0, 1e-7, 2e-6, 0))]
    bank = WaveformBank(waves, constant=np.array([0, 7.0, 0, 0, 0]))
    assert bank._scalar is not None
    times = np.concatenate([[0.0, 1e-6, 1.2e-6, 3e-6, 2.5e-6], np.linspace(0, 2e-5, 97)])
    for t in times:
        np.testing.assert_allclose(bank.values(float(t)), bank.values_at(np.full(5, t)),
                                   rtol=1e-14, atol=1e-15)


def test_pwl_single_point_and_step_value():
    assert Waveform("pwl", (1e-6, 3.0)).value(0.0) == 3.0
    assert Waveform("pwl", (1e-6, 3.0)).value(1.0) == 3.0
    step = Waveform("pwl", (0, 0, 1, 0, 1, 1, 2, 1))
    assert step.value(1.0) == 0.0  # at the step time: the value before the step (ngspice)
    assert step.value(1.0 + 1e-12) == 1.0


# ---------------------------------------------------------------------------- parsing


def test_parse_forms():
    s = spec_of("1.5")
    assert (s.dc, s.ac_mag, s.ac_phase, s.waveform) == (1.5, 0.0, 0.0, None)
    s = spec_of("dc 2 ac")
    assert (s.dc, s.ac_mag, s.ac_phase) == (2.0, 1.0, 0.0)
    s = spec_of("ac 2 45 dc {vdd}")
    assert (s.dc, s.ac_mag, s.ac_phase) == (1.8, 2.0, 45.0)
    s = spec_of("0.5 ac 3 pulse(0 1 1n)")
    assert (s.dc, s.ac_mag, s.waveform.kind, s.waveform.args) == (0.5, 3.0, "pulse", (0, 1, 1e-9))
    s = spec_of("pwl(0 0 1n 1) td=1n r=0")
    assert s.dc is None and s.waveform.options == {"td": 1e-9, "r": 0.0}
    s = spec_of("dc=2 ac=0.5 acphase=90")
    assert (s.dc, s.ac_mag, s.ac_phase) == (2.0, 0.5, 90.0)
    s = spec_of("sin 0 1 1k ac 1")
    assert s.waveform.args == (0, 1, 1e3) and s.ac_mag == 1.0
    assert spec_of("pulse (0 1 1n)").waveform.args == (0, 1, 1e-9)
    assert spec_of("").dc is None


def test_pwl_options_inside_the_parentheses_equal_those_after_them():
    """ngspice reads ``pwl(... r=0 td=1u)`` like ``pwl(...) r=0 td=1u``; other name=value
    pairs inside a waveform's parentheses stay errors."""
    import netsim
    from netsim.errors import NetlistSyntaxError

    body = "R1 a b 1k\nC1 b 0 300p\n.tran 10n 10u\n.end\n"
    inside = netsim.run_text("in\nV1 a 0 PWL(0 0 1u 1 2u 0 r=0 td=0.5u)\n" + body).tran
    after = netsim.run_text("after\nV1 a 0 PWL(0 0 1u 1 2u 0) r=0 td=0.5u\n" + body).tran
    np.testing.assert_array_equal(inside["v(b)"], after["v(b)"])
    assert np.ptp(inside["v(a)"][inside["time"] > 5e-6]) > 0.9  # it repeats
    with pytest.raises(NetlistSyntaxError, match="unexpected parameter 'td='"):
        netsim.run_text("bad\nV1 a 0 SIN(0 1 1k td=1u)\n" + body)


ERRORS = [
    ("foo", "unknown source keyword 'foo': expected a value, dc, ac or a waveform "
     "(pulse, sin, exp, pwl, sffm, am)", "use braces for a parameter, e.g. {foo}"),
    ("pulze(0 1)", "unknown waveform 'pulze(...)': expected one of pulse, sin, exp, pwl, sffm, "
     "am", "did you mean 'pulse'?"),
    ("trnoise(1n 1n)", "unknown waveform 'trnoise(...)': expected one of pulse, sin, exp, pwl, "
     "sffm, am", None),
    ("sin(0 1 1k 0 0 0 9)", "SIN takes at most 6 values (vo va freq td theta phase), got 7",
     "remove the extra values: sin(vo va freq td theta phase)"),
    ("pulse(0)", "PULSE needs at least 2 values (v1 v2), got 1",
     "write pulse(v1 v2 td tr tf pw per np)"),
    ("pwl()", "PWL needs two values (t1 v1), got 0", "write pwl(t1 v1 t2 v2 ...)"),
    ("pwl(0 0 1n)", "PWL needs time-value pairs, got an odd number of values (3)",
     "write pwl(t1 v1 t2 v2 ...)"),
    ("pulse(0 1 abc)", "expected a number for PULSE td, found 'abc'", None),
    ("pulse(0 1 0 1n 1n 5n -1n)", "PULSE per must not be negative, got -1e-09",
     "per is a time (s)"),
    ("pwl(0 0 2u 1 1u 0)", "PWL time points must not decrease: t=1e-06 follows t=2e-06",
     "list the (time, value) pairs in increasing time order"),
    ("pwl(0 0 1u 1 3u 0) r=0.5u", "PWL repeat start r=5e-07 is not one of the time points",
     "r must equal one of: 0 1e-06 3e-06"),
    ("pwl(0 0 1u 1 3u 0) r=3u", "PWL repeat start r=3e-06 must be before the last time point "
     "(3e-06)", None),
    ("sin(0 1 1k) td=1n", "'td=' applies to a pwl waveform only", None),
    ("1 r=0", "'r=' applies to a pwl waveform only", None),
    ("dc 1 distof1 0.1 -90", "'distof1' (a distortion-analysis input) is not supported",
     "remove 'distof1' and its values: netsim has no .disto analysis"),
    ("distof2", "'distof2' (a distortion-analysis input) is not supported", None),
    ("dc", "expected a value after 'dc'", "write e.g. `dc 1.8`"),
    ("dc ac 1", "expected a value after 'dc'", None),
    ("1 dc 2", "the DC value is given twice", None),
    ("1 dc=2", "the DC value is given twice", None),
    ("ac 1 0 2", "unexpected value '2'", None),
    ("pulse(0 1) sin(0 1)", "a source takes one waveform, found a second one", None),
    ("ac 1 ac 2", "'ac' is given twice", None),
    ("1 foo=2", "unknown source parameter 'foo=': expected one of dc, ac, acmag, acphase, r, "
     "td", "remove it"),
    ("1 dcc=2", "unknown source parameter 'dcc=': expected one of dc, ac, acmag, acphase, r, "
     "td", "did you mean 'dc'?"),
]


@pytest.mark.parametrize("text,message,hint", ERRORS, ids=[e[0] for e in ERRORS])
def test_parse_errors(text, message, hint):
    err = error_of(text)
    assert err.message == message
    assert err.span is not None
    if hint is not None:
        assert err.hint == hint


def test_parse_error_spans_point_at_the_atom():
    err = error_of("pwl(0 0 2u 1 1u 0)")
    line = err.span.source
    assert line[err.span.col - 1: err.span.end_col - 1] == "1u"
    err = error_of("sin(0 1 1k 0 0 0 9)")
    assert err.span.source[err.span.col - 1: err.span.end_col - 1] == "sin(0 1 1k 0 0 0 9)"
    err = error_of("dc 1 distof1")
    assert err.span.source[err.span.col - 1: err.span.end_col - 1] == "distof1"


def test_parse_propagates_elaboration_errors():
    assert error_of("dc {nope}").message == "undefined parameter 'nope'"


# ---------------------------------------------------------------------------- devices


def _group(cls, texts, family):
    insts = [Instance(f"{family[0]}{k}", family, (f"a{k}", "0"), {"spec": spec_of(t)})
             for k, t in enumerate(texts)]
    return cls(insts, 27.0, 27.0)


def _central_jacobian(group, x, ctx, h=1e-6):
    n, u = x.shape
    jac = np.zeros((n, u, u))
    for c in range(u):
        dx = np.zeros_like(x)
        dx[:, c] = h
        jac[:, :, c] = (group.evaluate(x + dx, ctx).i - group.evaluate(x - dx, ctx).i) / (2 * h)
    return jac


TEXTS = ["1.5", "pulse(0 1 1u 0.2u 0.3u 2u 5u)", "sin(0 1 100k) dc 0.3", "pwl(0 0 1u 2)"]


@pytest.mark.parametrize("cls,family,u", [(VoltageSource, "vsource", 3),
                                           (CurrentSource, "isource", 2)])
def test_device_residual_and_jacobian(cls, family, u):
    group = _group(cls, TEXTS, family)
    group.bind_transient(0.1e-6, 20e-6)
    assert REGISTRY[family] is cls and cls.linear and cls.time_varying
    assert group.n_unknowns == u
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, u))
    for ctx in (EvalContext(t=None), EvalContext(t=1.1e-6), EvalContext(t=0.0, srcfact=0.3)):
        ev = group.evaluate(x, ctx)
        assert ev.i.shape == (4, u) and ev.di.shape == (4, u, u)
        np.testing.assert_allclose(ev.di, _central_jacobian(group, x, ctx), atol=1e-8)
        assert not np.any(ev.di[:, ~group.pattern()])
        np.testing.assert_allclose(ev.i[:, 0] + ev.i[:, 1], 0.0)  # KCL
    value = group.source_values(EvalContext(t=1.1e-6))
    np.testing.assert_allclose(value, [1.5, 0.5, np.sin(2 * np.pi * 100e3 * 1.1e-6), 2.0])
    ev = group.evaluate(x, EvalContext(t=1.1e-6))
    if cls is VoltageSource:
        assert cls.internal_unknowns(group.instances[0]) == (BRANCH,)
        np.testing.assert_allclose(ev.i[:, 0], x[:, 2])
        np.testing.assert_allclose(ev.i[:, 2], x[:, 0] - x[:, 1] - value)
    else:
        np.testing.assert_allclose(ev.i[:, 0], value)
        np.testing.assert_allclose(ev.i[:, 1], -value)


def test_static_transient_and_srcfact_semantics():
    group = _group(VoltageSource, ["exp(1 2) dc 3", "pulse(4 5 1u)", "2", "", "sin(1 2 1k 0 0 30)"],
                   "vsource")
    group.bind_transient(1e-7, 1e-5)
    static = group.source_values(EvalContext(t=None))
    np.testing.assert_allclose(static, [3, 4, 2, 0, 2])  # dc, else waveform(0), else 0
    tran0 = group.source_values(EvalContext(t=0.0))
    np.testing.assert_allclose(tran0, [1, 4, 2, 0, 2])  # transient op: waveform at 0
    half = group.source_values(EvalContext(t=None, srcfact=0.5))
    np.testing.assert_allclose(half, static * 0.5)
    np.testing.assert_allclose(group.source_values(EvalContext(t=2e-6, srcfact=0.5)),
                               0.5 * group.source_values(EvalContext(t=2e-6)))


def test_batch_axes_and_array_time():
    group = _group(VoltageSource, TEXTS, "vsource")
    group.bind_transient(0.1e-6, 20e-6)
    times = np.array([0.0, 1.05e-6, 3.4e-6, 7e-6, 12e-6])
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 4, 3))
    batched = group.evaluate(x, EvalContext(t=times[:, None]))
    flat = group.evaluate(x, EvalContext(t=times))  # (K,) read per batch entry
    for k, tk in enumerate(times):
        single = group.evaluate(x[k], EvalContext(t=float(tk)))
        np.testing.assert_allclose(batched.i[k], single.i)
        np.testing.assert_allclose(flat.i[k], single.i)
        np.testing.assert_allclose(batched.di[k], single.di)
    # a Monte-Carlo axis in front of HB samples: x (B, K, N, U), t (K, 1)
    xb = np.broadcast_to(x, (2, 5, 4, 3))
    ev = group.evaluate(xb, EvalContext(t=times[:, None]))
    np.testing.assert_allclose(ev.i[1], batched.i)
    # a scalar t with batch axes
    ev = group.evaluate(x, EvalContext(t=1e-6))
    assert ev.i.shape == (5, 4, 3)


def test_ac_excitation_signs():
    v = _group(VoltageSource, ["dc 1 ac 2 90", "1", "ac"], "vsource")
    exc = v.ac_excitation()
    assert exc.shape == (3, 3)
    np.testing.assert_allclose(exc[:, 2], [-2j, 0, -1], atol=1e-15)
    assert not np.any(exc[:, :2])
    i = _group(CurrentSource, ["ac 1 180", "ac 3"], "isource")
    exc = i.ac_excitation()
    np.testing.assert_allclose(exc[:, 0], [-1, 3], atol=1e-15)
    np.testing.assert_allclose(exc[:, 1], -exc[:, 0])


def test_dc_sweep_setter_and_breakpoints():
    group = _group(VoltageSource, ["1", "pulse(0 1 1u 0.2u 0.3u 2u 5u)", "pwl(0 0 2u 1)"],
                   "vsource")
    group.bind_transient(0.1e-6, 20e-6)
    assert group.dc_value("v1") == 0.0  # no dc: the static (t = 0) value
    set_v1 = group.dc_value_setter("V1")
    set_v1(2.5)
    assert group.dc_value("v1") == 2.5
    assert group.source_values(EvalContext(t=None))[1] == 2.5
    assert group.source_values(EvalContext(t=1.5e-6))[1] == 1.0  # transient keeps the waveform
    group.dc_value_setter("v0")(-1.0)
    assert group.source_values(EvalContext(t=1e-6))[0] == -1.0  # no waveform: dc in transient
    assert group.dc_value_setter("nope") is None
    with pytest.raises(AnalysisError):
        group.dc_value("nope")
    bps = group.breakpoints(0.0, 6.5e-6)
    np.testing.assert_allclose(bps, np.array([1, 1.2, 2, 3.2, 3.5, 6, 6.2]) * 1e-6)
    # windows sliced from the cached run, and a window past tstop computed directly
    np.testing.assert_allclose(group.breakpoints(1.3e-6, 3.6e-6), np.array([2, 3.2, 3.5]) * 1e-6)
    direct = group.bank.breakpoints(19e-6, 22e-6)
    np.testing.assert_allclose(group.breakpoints(19e-6, 22e-6), direct)
    assert group.breakpoints(21.1e-6, 22e-6).tolist() == [pytest.approx(21.2e-6)]


def test_tstep_defaults_follow_bind():
    group = _group(VoltageSource, ["pulse(0 1)"], "vsource")
    group.bind_transient(1e-6, 1e-3)
    assert group.source_values(EvalContext(t=0.5e-6))[0] == pytest.approx(0.5)
    group.bind_transient(2e-6, 1e-3)
    assert group.source_values(EvalContext(t=0.5e-6))[0] == pytest.approx(0.25)


def test_value_after_ac_param_is_its_phase() -> None:
    """`V1 1 0 AC=0.5 180`: 180 is the AC phase (ngspice), not a bare DC value (which made a
    180 V source, silently); with DC= as well it used to be 'DC given twice'."""
    import netsim

    run = netsim.run_text("acp\nVin 1 0 AC=0.5 180\nR1 1 0 1k\nV2 2 0 DC=1 AC=0.5 90\n"
                          "R2 2 0 1k\nV3 3 0 AC=2\nR3 3 0 1k\n.op\n.ac dec 1 1 10\n")
    assert [float(run.op[f"v({k})"]) for k in (1, 2, 3)] == [0.0, 1.0, 0.0]
    ac = run.ac
    assert complex(ac["vr(1)"][0], ac["vi(1)"][0]) == pytest.approx(-0.5, abs=1e-12)
    assert complex(ac["vr(2)"][0], ac["vi(2)"][0]) == pytest.approx(0.5j, abs=1e-12)
    assert complex(ac["vr(3)"][0], ac["vi(3)"][0]) == pytest.approx(2.0, abs=1e-12)
