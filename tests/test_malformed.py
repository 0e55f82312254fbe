"""Malformed netlists (tests/malformed/*.net), one problem each, with pinned diagnostics.

Every file must make ``netsim run`` exit with code 1 and print exactly one diagnostic
``<file>:<line>:<col>: error: ...`` at the offending card, never a traceback or an internal error.
EXPECTED gives, per file, the line of the error and a phrase its message must contain (and, for
errors located in an included file, that file's name). RENDERED pins the complete text of some
representative diagnostics. Helper files (``*.inc``, ``*.lib``) in the folder are only included.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from netsim.cli import main

MALFORMED = Path(__file__).parent / "malformed"

# file -> (line, phrase in the message) or (line, phrase, file the error is located in)
EXPECTED: dict[str, tuple] = {
    # elements
    "unknown_element_letter.net": (4, "unknown element type '1'"),
    "unsupported_bjt.net": (4, "bipolar transistors (Q) are not supported"),
    "unsupported_jfet.net": (4, "JFETs (J) are not supported"),
    "unsupported_switch.net": (4, "voltage-controlled switches (S) are not supported"),
    "unsupported_table_source.net": (4, "TABLE controlled sources are not supported"),
    "missing_node_r.net": (4, "resistor 'r1' needs 2 fields after its name, got 1"),
    "missing_node_c.net": (4, "'1p'"),
    "missing_node_l.net": (4, "'1u'"),
    "missing_node_v.net": (3, "voltage source 'v1' needs 2 fields after its name, got 1"),
    "missing_node_d.net": (4, "diode 'd1' needs 3 fields after its name, got 2"),
    "missing_node_m.net": (6, "MOSFET 'm3' needs 4 terminals (d g s b), got 3"),
    "missing_node_x.net": (7, "subcircuit 'div' has 2 ports (a b), 'x1' connects 1"),
    "missing_node_e.net": (4, "'e1' needs 5 fields after its name, got 4"),
    "missing_value.net": (3, "resistor 'r1' needs two nodes and a value"),
    # numbers
    "bad_number_dots.net": (3, "expected a resistor value, found '1.2.3'"),
    "bad_number_exponent.net": (3, "expected a resistor value, found '1e3.5'"),
    "bad_number_word.net": (3, "expected a resistor value, found 'abc'"),
    "number_overflow.net": (4, "expected a number, found '1e400'"),
    "option_negative.net": (2, "option 'reltol' must be a positive number, got -1"),
    "step_param_twice.net": (6, "parameter 'r' is already varied by another .step"),
    "data_column_twice.net": (5, "'.data t' names parameter 'r' twice"),
    "dc_same_source_twice.net": (4, "'.dc' sweeps 'v1' twice"),
    "dc_too_many_points.net": (4, "has 1e+300 points, more than 1e+07"),
    "temp_below_absolute_zero.net": (4, ".temp must be above -273.15"),
    "diode_n_zero.net": (5, "diode model 'dd': n must be positive, got 0"),
    "step_unknown_parameter.net": (4, "cannot vary parameter 'zz'"),
    "behavioural_outside_domain.net": (4, "Newton did not converge in the operating point"),
    "hb_equal_tones.net": (4, "harmonic balance tones must be distinct"),
    "hb_tones_not_mappable.net": (5, "cannot map these tones onto one FFT grid"),
    "tran_too_many_points.net": (5, "needs more than 1e+09 time points"),
    "hb_nharm_too_large.net": (4, "'.hb nharm' is at most 100000, got 1e+09"),
    "pulse_period_too_small.net": (4, "a PULSE with period 1e-300 s has"),
    # instance and model parameters, models
    "unknown_param_r.net": (3, "unknown parameter 'tcx' on resistor 'r1'"),
    "unknown_param_c.net": (4, "unknown parameter 'foo' on capacitor 'c1'"),
    "poly_no_coefficients.net": (3, "'e1' needs 4 controlling nodes and at least one coefficient"),
    "poly_zero_dimension.net": (3, "POLY(n) needs a whole number of controlling inputs n >= 1"),
    "func_argument_twice.net": (2, "argument 'x' of .func 'f' is named twice"),
    "hertz_variable.net": (3, "ngspice's 'hertz' variable (the AC frequency) is not supported"),
    "conditional_if.net": (3, "conditional netlists (.if) are not supported"),
    "resistor_model.net": (3, "resistor models (.model myres ...) are not supported"),
    "mos_ic_too_many.net": (4, "'ic=' of MOSFET 'm1' takes at most 3 values, found 4"),
    "diode_ic_vector.net": (5, "expected a value for 'ic', found a list of 2 values"),
    "unknown_param_d.net": (4, "unknown parameter 'areax' on diode 'd1'"),
    "unknown_param_m.net": (5, "unknown parameter 'wdith' on MOSFET 'm1'"),
    "model_unknown_param.net": (2, "parameter 'iss' is not supported"),
    "unknown_model.net": (5, "unknown model 'nchh'"),
    "model_wrong_type.net": (5, "model 'nch' is of type 'nmos', but a diode needs 'd'"),
    "mosfet_level3.net": (2, "only level 1 is supported"),
    # subcircuits
    "unknown_subckt.net": (7, "unknown subcircuit 'divv'"),
    "subckt_port_mismatch.net": (7, "subcircuit 'div' has 2 ports (a b), 'x1' connects 3"),
    "subckt_unknown_param.net": (7, "subcircuit 'div' has no parameter 'rr'"),
    "unclosed_subckt.net": (3, ".subckt 'div' is never closed"),
    "ends_without_subckt.net": (4, ".ends without a matching .subckt"),
    "ends_wrong_name.net": (5, ".ends 'dvi' does not match .subckt 'div'"),
    "recursive_subckt_direct.net": (4, "recursive subcircuit 'loop' (loop -> loop)"),
    "recursive_subckt_indirect.net": (8, "recursive subcircuit 'ping' (ping -> pong -> ping)"),
    # parameters and expressions
    "undefined_param.net": (4, "undefined parameter 'r1'"),
    "param_cycle.net": (2, "circular"),
    "func_arg_count.net": (4, "function 'par' takes 2 arguments (a, b), got 1"),
    "builtin_arg_count.net": (3, "sqrt() takes 1 argument, got 2"),
    "param_div_zero.net": (3, "division by zero"),
    # names
    "duplicate_element.net": (4, "duplicate element name 'r1'"),
    "duplicate_element_case.net": (4, "duplicate element name 'r1'"),
    "duplicate_in_subckt_body.net": (4, "duplicate element name 'x1.r1'"),
    "duplicate_hier_name.net": (10, "x1.x2"),
    # files
    "include_missing.net": (4, "cannot find file 'does_not_exist.inc'"),
    "include_cycle.net": (3, "include cycle", "cycle_b.inc"),
    "lib_missing_section.net": (4, "library section 'nosuchcorner' not found"),
    # dot cards and analyses
    "unknown_dot_card.net": (4, "unknown control card '.foo'"),
    "unsupported_noise.net": (5, "noise analysis (.noise) is not supported"),
    "bad_tran_tstop.net": (4, "'.tran' needs tstep > 0, tstop > 0"),
    "bad_tran_args.net": (4, "'.tran' takes 2 to 4 values (and uic), got 5"),
    "bad_ac_sweep.net": (4, "'log'"),
    "bad_dc_source.net": (4, "'v2'"),
    "bad_dc_step.net": (4, "sweep step 0 does not lead from 0 to 1"),
    "dc_sweep_r_zero.net": (4, "r1"),
    "unknown_option.net": (2, "unknown option 'abstoll'"),
    "option_bad_method.net": (5, "unknown integration method 'foo'"),
    "option_bad_solver.net": (4, "'foo'"),
    "ic_unknown_node.net": (5, "nosuch"),
    "print_unknown_node.net": (5, "cannot output v(nosuch): no node 'nosuch' in the circuit"),
    "control_block.net": (4, "control blocks (.control/.endc) are not supported"),
    # topology
    "floating_capacitors.net": (4, "no DC path to ground from node 'mid'"),
    "floating_isource.net": (4, "no DC path to ground from node 'n1'"),
    "vsource_loop.net": (4, "loop of voltage sources/inductors: v2 -> v1 -> v3"),
    "inductors_parallel_v.net": (3, "loop of voltage sources/inductors: v1 -> l1"),
    "shorted_vsource.net": (3, "'v1' is shorted: both terminals on node 'a'"),
    "cccs_missing_control.net": (4, "no element 'vsense'"),
    "ccvs_nonbranch_control.net": (4, "senses the current of 'r1', which carries no branch"),
    "mutual_non_inductor.net": (5, "couples two inductors, found 'r1'"),
    "mutual_missing_inductor.net": (4, "refers to 'l1', which is not an inductor"),
    # syntax
    "unbalanced_paren.net": (2, "unclosed '('"),
    "unbalanced_brace.net": (4, "unclosed '{'"),
    "continuation_first.net": (2, "continuation line '+' before any card"),
    # sources and waveforms
    "pwl_decreasing.net": (2, "PWL time points must not decrease"),
    "pwl_odd_values.net": (2, "PWL needs time-value pairs"),
    "sin_too_many_args.net": (2, "SIN takes at most 6 values"),
    "unknown_waveform.net": (2, "unknown waveform 'pulsee(...)'"),
    # RF ports
    "port_power_without_freq.net": (3, "RF port 'p1' has power= but no freq="),
    "port_list_mismatch.net": (2, "RF port 'p1' has 2 frequencies but 3 power values"),
    "port_unknown_param.net": (4, "unknown parameter 'pwr' on RF port 'p1'"),
    "port_bad_freq.net": (2, "tone frequency must be > 0, got -2.3e+09"),
    "port_z0_zero.net": (2, "RF port 'p1' has power= but z0=0; z0 must be > 0"),
    # harmonic balance and weak-signal rectification
    "hb_settle_without_osc.net": (4, "'.hb settle=' sets the start-up transient"),
    "hb_pulse_without_period.net": (2, "a PULSE in a periodic analysis needs its width and"),
    "hb_source_off_grid.net": (3, "source 'vrf' has a line at 1.1e+09 Hz"),
    "hb_unknown_param.net": (4, "unknown .hb parameter 'nharms'"),
    "rfdc_pulse_source.net": (2, "has a PULSE/PWL waveform"),
    "port_negative_watts.net": (2, "power must be >= 0 W, got -20"),
}

ERROR_LINE = re.compile(r"(?m)^(?:\S+: )?error: ")


def run_cli(name: str, tmp_path: Path, capsys, monkeypatch) -> tuple[int, str, str]:
    """Run ``netsim run NAME`` from the corpus folder; (exit code, stdout, stderr)."""
    monkeypatch.chdir(MALFORMED)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rc = main(["run", name, "-o", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    for w in caught:
        err += f"\n{w.category.__name__}: {w.message}"
    return rc, out, err


def test_corpus_matches_table():
    files = sorted(p.name for p in MALFORMED.glob("*.net"))
    assert len(files) >= 40
    assert files == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_netlist(name, tmp_path, capsys, monkeypatch):
    line, phrase, *located = EXPECTED[name]
    where = located[0] if located else name
    rc, out, err = run_cli(name, tmp_path, capsys, monkeypatch)
    text = out + err
    assert "Traceback" not in text, text
    assert "internal error" not in text, text
    assert "Warning" not in err, err
    assert rc == 1, text
    assert len(ERROR_LINE.findall(err)) == 1, err
    head = re.compile(rf"(?m)^(?:\S*/)?{re.escape(where)}:(\d+):(\d+): error: (.*)$")
    found = head.search(err)
    assert found is not None, f"no '{where}:<line>:<col>: error:' in:\n{err}"
    assert int(found.group(1)) == line, err
    assert phrase in found.group(3), err


# complete diagnostics, exactly as printed
RENDERED = {
    "missing_node_m.net": """\
missing_node_m.net:6:1: error: MOSFET 'm3' needs 4 terminals (d g s b), got 3
   6 | M3 out in 0 nch W=1u
     | ^^^^^^^^^^^^^^^
hint: add the bulk node, e.g. `M3 out in 0 0 nch W=1u`
""",
    "unknown_model.net": """\
unknown_model.net:5:16: error: unknown model 'nchh' for MOSFET
   5 | M1 out vdd 0 0 nchh w=1u l=1u
     |                ^^^^
hint: did you mean 'nch'?
""",
    "unknown_param_r.net": """\
unknown_param_r.net:3:11: error: unknown parameter 'tcx' on resistor 'r1'
   3 | R1 a 0 1k tcx=1
     |           ^^^^^
hint: valid parameters: dtemp, m, r, resistance, tc, tc1, tc2, temp
""",
    "subckt_unknown_param.net": """\
subckt_unknown_param.net:7:15: error: subcircuit 'div' has no parameter 'rr'
   7 | X1 in out div rr=2k
     |               ^^^^^
hint: did you mean 'r'?
""",
    "func_arg_count.net": """\
func_arg_count.net:4:9: error: function 'par' takes 2 arguments (a, b), got 1
   4 | R1 a 0 {par(1k)}
     |         ^^^^^^^
note: 'par' is defined at func_arg_count.net:2:1
""",
    "duplicate_element.net": """\
duplicate_element.net:4:1: error: duplicate element name 'r1'
   4 | R1 b 0 1k
     | ^^^^^^^^^
note: first defined at duplicate_element.net:3:1
hint: element names must be unique (case-insensitive)
""",
    "unbalanced_paren.net": """\
unbalanced_paren.net:2:13: error: unclosed '('
   2 | V1 a 0 pulse(0 1 1n 1n 1n 5n 10n
     |             ^
hint: add ')' (a card ends at the end of its line and its '+' lines)
""",
    "floating_capacitors.net": """\
floating_capacitors.net:4:1: error: no DC path to ground from node 'mid' \
(connected only through c1, c2)
   4 | C1 a mid 1p
     | ^^^^^^^^^^^
hint: add a DC path, e.g. a large resistor to ground: `Rleak mid 0 1e9`
""",
    "vsource_loop.net": """\
vsource_loop.net:4:1: error: loop of voltage sources/inductors: v2 -> v1 -> v3
   4 | V3 b 0 2
     | ^^^^^^^^
hint: the loop fixes the same voltage twice; add a small series resistance to one of them
""",
    "pwl_decreasing.net": """\
pwl_decreasing.net:2:21: error: PWL time points must not decrease: t=1e-09 follows t=2e-09
   2 | V1 a 0 pwl(0 0 2n 1 1n 0)
     |                     ^^
hint: list the (time, value) pairs in increasing time order
""",
    "unknown_waveform.net": """\
unknown_waveform.net:2:8: error: unknown waveform 'pulsee(...)': expected one of pulse, sin, \
exp, pwl, sffm, am
   2 | V1 a 0 pulsee(0 1 1n 1n 1n 5n 10n)
     |        ^^^^^^^^^^^^^^^^^^^^^^^^^^^
hint: did you mean 'pulse'?
""",
    "recursive_subckt_indirect.net": """\
recursive_subckt_indirect.net:8:1: error: recursive subcircuit 'ping' (ping -> pong -> ping)
   8 | X1 a b ping
     | ^^^^^^^^^^^
hint: a subcircuit cannot contain an instance of itself
""",
    "continuation_first.net": """\
continuation_first.net:2:1: error: continuation line '+' before any card
   2 | + R1 a 0 1k
     | ^
hint: a '+' line continues the card above it; put it after the card it belongs to, \
or remove the '+'
""",
}


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_rendered_diagnostic(name, tmp_path, capsys, monkeypatch):
    rc, out, err = run_cli(name, tmp_path, capsys, monkeypatch)
    assert rc == 1
    assert out == ""
    assert err == RENDERED[name]
