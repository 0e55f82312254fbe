"""Elaboration: hierarchy names, parameters, models, outputs, topology diagnostics."""

import numpy as np
import pytest

import netsim
from netsim.circuit.elaborate import elaborate_text
from netsim.errors import ElaborationError, TopologyError

NESTED = """nested subcircuits with parameters
.param rtop=1k
.subckt leg a b params: r=2k
R1 a mid {r}
R2 mid b {r}
.ends
.subckt pair in out params: k=1
X1 in out leg r={k*rtop}
X2 in out leg
.ends
V1 in 0 2
Xa in 0 pair k=3
.op
.end
"""


def test_hierarchical_names_and_parameter_overrides() -> None:
    circuit = elaborate_text(NESTED)
    names = {inst.name: inst for inst in circuit.instances}
    assert names["xa.x1.r1"].params["r"] == pytest.approx(3e3)
    assert names["xa.x2.r1"].params["r"] == pytest.approx(2e3)
    assert names["xa.x1.r1"].nodes == ("in", "xa.x1.mid")
    res = netsim.run_text(NESTED)
    # two legs of 6k and 4k in parallel: 2.4k; midpoints at half the input
    assert float(res.op["i(v1)"]) == pytest.approx(-2 / 2.4e3)
    assert float(res.op["v(xa.x1.mid)"]) == pytest.approx(1.0)


def test_global_nodes_are_not_prefixed() -> None:
    circuit = elaborate_text("""globals
.global vdd
.subckt load a
R1 a vdd 1k
.ends
V1 vdd 0 1
X1 n load
R2 n 0 1k
.end
""")
    r1 = next(i for i in circuit.instances if i.name == "x1.r1")
    assert r1.nodes == ("n", "vdd")


def test_print_selects_and_orders_columns() -> None:
    res = netsim.run_text("""print
V1 a 0 3
R1 a b 1k
R2 b 0 2k
.print dc v(b) v(a,b) i(v1)
.dc v1 0 3 1
.end
""")
    assert list(res.dc.columns) == ["v1", "v(b)", "v(a,b)", "i(v1)"]
    np.testing.assert_allclose(res.dc["v(a,b)"], res.dc["v1"] / 3)


def test_behavioural_source_with_time_and_current_probe() -> None:
    res = netsim.run_text("""behavioural
V1 a 0 2
Vs a b 0
R1 b 0 1k
B1 o 0 v={1000*i(vs) + v(a)**2 + 0*time}
R2 o 0 1k
E1 e 0 value={v(a, b) + 1}
R3 e 0 1k
.op
.end
""")
    assert float(res.op["v(o)"]) == pytest.approx(2.0 + 4.0)
    assert float(res.op["v(e)"]) == pytest.approx(1.0)


def test_braced_parameter_pieces_inside_expressions() -> None:
    """``v={g}*v(a)``, ``value=v(a)*{g}`` and ``.param x={g}+{g}``: ngspice substitutes each
    {..} piece, so they are parenthesised sub-expressions."""
    res = netsim.run_text("""braced pieces
.param g=2 x={g}+{g}*3
V1 a 0 1
R1 a 0 1k
B1 b 0 v={g}*v(a)
R2 b 0 1k
B3 d 0 v=v(a)*{g} + {x}
R4 d 0 1k
E3 e 0 value={g} * v(a)
R5 e 0 1k
.op
.end
""")
    for name, value in (("v(b)", 2.0), ("v(d)", 10.0), ("v(e)", 2.0)):
        assert float(res.op[name]) == pytest.approx(value), name


@pytest.mark.parametrize(
    ("text", "error", "phrase"),
    [
        ("t\nR1 a 0 1k\nR2 a 0 1k\nr1 a 0 2k\n.end\n", ElaborationError,
         "duplicate element name 'r1'"),
        ("t\nV1 a 0 1\nC1 a b 1p\nR1 b c 1k\nC2 c 0 1p\n.op\n.end\n", TopologyError,
         "no DC path to ground"),
        ("t\nV1 a 0 1\nV2 a 0 2\nR1 a 0 1\n.op\n.end\n", TopologyError,
         "loop of voltage sources/inductors: v1 -> v2"),
        ("t\nM1 d g 0 nch\n.model nch nmos\n.end\n", ElaborationError,
         "needs 4 terminals (d g s b), got 3"),
        ("t\nD1 a 0 dmod\nR1 a 0 1\n.model dnod d\n.end\n", ElaborationError,
         "unknown model 'dmod'"),
    ],
)
def test_diagnostics_name_the_culprit(text: str, error: type, phrase: str) -> None:
    with pytest.raises(error) as info:
        elaborate_text(text)
    assert phrase in info.value.message
    assert info.value.span is not None


def test_mosfet_terminal_count_diagnostic_is_rendered_with_caret_and_hint() -> None:
    with pytest.raises(ElaborationError) as info:
        elaborate_text("amp\n.model nch nmos\nM3 out in 0 nch W=1u\n.end\n", "amp.net")
    assert info.value.render() == (
        "amp.net:3:1: error: MOSFET 'm3' needs 4 terminals (d g s b), got 3\n"
        "   3 | M3 out in 0 nch W=1u\n"
        "     | ^^^^^^^^^^^^^^^\n"
        "hint: add the bulk node, e.g. `M3 out in 0 0 nch W=1u`"
    )


def test_capacitor_only_node_is_allowed_with_uic() -> None:
    res = netsim.run_text("""uic
I1 0 a pulse(0 1m 0 1n 1n 5n 10n)
C1 a 0 1p ic=0
.tran 1n 10n uic
.end
""")
    assert res.tran["v(a)"][-1] > 0


def test_device_state_can_be_printed() -> None:
    res = netsim.run_text("""state
V1 a 0 sin(0 1 1)
N1 a 0 mem
.model mem hp(ron=100 roff=16k d=10n muv=1e-14 p=1 x0=0.1)
.print tran x(n1, x) i(v1)
.tran 5m 1
.end
""")
    x = res.tran["x(n1#x)"]
    assert x[0] == pytest.approx(0.1)
    assert 0.1 < x.max() <= 1.0
    with pytest.raises(ElaborationError, match="'n1' has no state 'y'"):
        elaborate_text("t\nV1 a 0 1\nN1 a 0 mem\n.model mem hp\n.print tran x(n1, y)\n"
                       ".tran 1m 1\n.end\n")


def test_plot_vs_sets_the_x_axis_of_the_plot(tmp_path) -> None:
    res = netsim.run_text("""xy
V1 a 0 sin(0 1 1k)
R1 a 0 1k
.plot tran i(v1) vs v(a)
.tran 10u 1m
.end
""")
    tran = res.tran
    assert tran.plot_x == "v(a)"
    assert list(tran.columns) == ["time", "i(v1)", "v(a)"]
    tran.plot(tmp_path / "xy.png")
    assert (tmp_path / "xy.png").stat().st_size > 0
    with pytest.raises(ElaborationError, match="'vs' goes once"):
        elaborate_text("t\nV1 a 0 1\nR1 a 0 1\n.plot tran vs v(a)\n.tran 1 2\n.end\n")


@pytest.mark.parametrize("card", [".op", ".dc V1 0 1 0.5", ".ac dec 2 1k 1meg",
                                  ".tran 1u 5u", ".hb 1meg nharm=2"])
def test_plots_of_stepped_results_draw_every_variant(tmp_path, card) -> None:
    """A .step table's leading parameter columns are neither the x axis nor a quantity: each
    variant is drawn (the stepped op against the parameter); before, --plot stopped with an
    internal error on .ac and .hb and drew .dc against the parameter."""
    res = netsim.run_text(f"""stepped
.param c=1p
V1 in 0 dc 0.5 ac 1 sin(0.5 0.1 1meg)
R1 in out 1k
C1 out 0 {{c}}
.step param c list 1p 2p
{card}
.end
""")
    [result] = res.analyses
    assert result.step_columns == ["c"]
    parts = result._variants(["c"])
    assert [label for _, label in parts] == [" (c=1e-12)", " (c=2e-12)"]
    result.plot(tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 0


def test_ngspice_names_of_subcircuit_elements_are_accepted_as_references() -> None:
    """ngspice calls source vs of instance x1.x2 ``v.x1.x2.vs``: F/H/B controls and .print
    i() accept that spelling for netsim's ``x1.x2.vs``."""
    text = """ngspice names
.subckt inner a b
VS a m 0
R1 m b 1k
.ends
.subckt outer a b
X2 a b inner
.ends
V1 in 0 1
X1 in 0 outer
H1 h 0 v.x1.x2.vs 1k
F1 0 f v.x1.x2.vs 3
B1 bb 0 v=i(v.x1.x2.vs)*2000
RL h 0 1k
RF f 0 1k
RB bb 0 1k
.print dc i(v.x1.x2.vs) v(h) v(f) v(bb)
.dc v1 1 2 1
"""
    res = netsim.run_text(text).dc
    assert list(res.columns) == ["v1", "i(x1.x2.vs)", "v(h)", "v(f)", "v(bb)"]
    assert np.allclose(res["v(h)"], [1.0, 2.0]) and np.allclose(res["v(f)"], [3.0, 6.0])
    assert np.allclose(res["v(bb)"], [2.0, 4.0])


def test_subcircuit_instance_values_see_the_subcircuit_parameters_as_ngspice() -> None:
    """ngspice 39 (numparam) evaluates an X card's values with the subcircuit's parameters in
    view (defaults, or the values the card gives them, in any order); a parameter's own name
    and other names come from the caller. Voltages measured with ngspice 39."""
    text = """scope
.param gain=10 r1=7k r2=3k
.subckt amp a b params: gain=1
ea b 0 a 0 {gain}
.ends
.subckt div a b params: r1=1k r2=5k
ra a m {r1}
rb m b {r2}
.ends
.subckt outer a b params: p=4k r1=6k
xi a b div r1={p} r2={r1}
.ends
v1 in 0 1
x1 in o1 amp gain={gain*2}
r1 o1 0 1k
x4 in 0 div r1=2k r2={r1}
x6 in 0 div r2={r1}
x7 in 0 div r1={r1*2}
x8 in 0 div r1={r2}
x10 in 0 div r1={r2} r2=2k
xo in 0 outer
.op
"""
    op = netsim.run_text(text).op
    expected = {"v(o1)": 20.0, "v(x4.m)": 0.5, "v(x6.m)": 0.5, "v(x7.m)": 5 / 19,
                "v(x8.m)": 0.5, "v(x10.m)": 0.5, "v(xo.xi.m)": 0.5}
    for name, value in expected.items():
        assert float(op[name]) == pytest.approx(value, rel=1e-9), name


def test_save_and_print_cards_select_together() -> None:
    """A .save (any analysis) and a .print of one analysis both keep their quantities, as
    ngspice's output keeps both; `.save all` adds every node voltage and branch current."""
    base = "sp\nv1 in 0 dc 1\nr1 in a 1k\nr2 a b 1k\nr3 b 0 1k\n.print dc v(b)\n.dc v1 0 1 0.5\n"
    res = netsim.run_text(base + ".save v(a)\n.op\n")
    assert list(res.dc.columns) == ["v1", "v(a)", "v(b)"]
    assert list(res.op.columns) == ["v(a)"]
    res = netsim.run_text(base + ".save all v(a,b)\n")
    assert list(res.dc.columns) == ["v1", "v(in)", "v(a)", "v(b)", "i(v1)", "v(a,b)"]


def test_rshunt_interp_and_savecurrents_options() -> None:
    """rshunt adds R from every node to ground (a capacitor-only node gets its DC path; the
    divider reads 1/3, as ngspice); interp writes the transient at tstart + k tstep (ngspice's
    grid, values interpolated linearly); savecurrents, whose device currents netsim does not
    write, is accepted with a warning."""
    op = netsim.run_text("rs\n.options rshunt=10k\nv1 in 0 1\nr1 in a 10k\nr2 a 0 10k\n"
                         "c1 a b 1n\nc2 b 0 1n\n.op\n").op
    assert float(op["v(a)"]) == pytest.approx(1 / 3, rel=1e-12)
    assert float(op["v(b)"]) == pytest.approx(0.0, abs=1e-15)
    text = ("interp\n.options interp savecurrents\nv1 in 0 PULSE(0 1 1n 1n 1n 5n 20n)\n"
            "r1 in a 1k\nc1 a 0 1p\n.tran 0.7n 10n 2n\n")
    sim = netsim.Simulator.from_text(text)
    assert any("savecurrents" in w.message for w in sim.circuit.warnings)
    tran = sim.run_all().tran
    assert np.allclose(tran["time"], 2e-9 + 0.7e-9 * np.arange(12), rtol=0, atol=1e-21)
    assert float(tran["v(a)"][3]) == pytest.approx(0.922598, rel=2e-4)  # ngspice 39


def test_rshunt_must_be_positive() -> None:
    with pytest.raises(ElaborationError, match="rshunt"):
        elaborate_text("r\n.options rshunt=0\nv1 a 0 1\nr1 a 0 1\n.op\n")


def test_controlled_sources_with_node_pairs_in_parentheses_and_type_words() -> None:
    """ngspice reads ``E1 o 0 (a,b) 3``, ``(o,0)`` output pairs and the optional type word
    (``vcvs``, ``vccs``, ``ccvs``); values as ngspice 39 gives them."""
    op = netsim.run_text("""eg
v1 a 0 1.5
v2 b 0 0.5
e1 o1 0 (a,b) 3
r1 o1 0 1k
e2 o2 0 vcvs a b 2
r2 o2 0 1k
g1 0 o3 (a, 0) 1m
r3 o3 0 1k
g2 0 o4 vccs a b 2m
r4 o4 0 1k
e3 (o5, 0) (a,b) 4
r5 o5 0 1k
h1 o6 0 ccvs v2 1k
r6 o6 0 1k
rb b 0 500
.op
""").op
    expected = {"v(o1)": 3.0, "v(o2)": 2.0, "v(o3)": 1.5, "v(o4)": 2.0, "v(o5)": 4.0,
                "v(o6)": -1.0}
    for name, value in expected.items():
        assert float(op[name]) == pytest.approx(value, abs=1e-12), name


def test_print_forms_of_complex_values() -> None:
    """.print ac vdb/vp/vm/vr/vi (and the i forms) write one real column each, as ngspice's
    (phase in radians); values of an RC low-pass, 1/(1 + j w RC)."""
    ac = netsim.run_text("rc\nv1 in 0 ac 1\nr1 in a 1k\nc1 a 0 1u\n.ac lin 3 100 1000\n"
                         ".print ac vdb(a) vp(a) vm(a) vr(a) vi(a) im(v1)\n").ac
    assert list(ac.columns) == ["frequency", "vdb(a)", "vp(a)", "vm(a)", "vr(a)", "vi(a)",
                                "im(v1)"]
    h = 1.0 / (1.0 + 2j * np.pi * ac["frequency"] * 1e-3)
    assert np.allclose(ac["vdb(a)"], 20 * np.log10(np.abs(h)), rtol=1e-9)
    assert np.allclose(ac["vp(a)"], np.angle(h), rtol=1e-9)
    assert np.allclose(ac["vm(a)"], np.abs(h), rtol=1e-9)
    assert np.allclose(ac["vr(a)"] + 1j * ac["vi(a)"], h, rtol=1e-9)
    assert np.allclose(ac["im(v1)"], np.abs(1.0 - h) / 1e3, rtol=1e-9)


def test_capacitor_inductor_temperature_coefficients_and_current_source_multiplier() -> None:
    """C and L take tc1/tc2 as R does (at .temp 77: C x 1.75, L x 0.75), and I m=3 is three
    sources in parallel, in .op and in .ac; values as ngspice 39 gives them."""
    run = netsim.run_text("""tc
.temp 77
v1 in 0 ac 1
r1 in a 1k
c1 a 0 1n tc1=0.01 tc2=1e-4
r2 in b 1k
l1 b 0 1m tc1=-0.005
i1 0 c dc 1m ac 1m m=3
r3 c 0 1k
.op
.ac lin 2 100k 200k
""")
    assert float(run.op["v(c)"]) == pytest.approx(3.0, rel=1e-12)
    w = 2 * np.pi * run.ac["frequency"]
    a = run.ac["vr(a)"] + 1j * run.ac["vi(a)"]
    b = run.ac["vr(b)"] + 1j * run.ac["vi(b)"]
    assert np.allclose(a, 1 / (1 + 1j * w * 1e3 * 1.75e-9), rtol=1e-9)
    assert np.allclose(b, 1j * w * 0.75e-3 / (1e3 + 1j * w * 0.75e-3), rtol=1e-9)
    assert np.allclose(run.ac["vr(c)"], 3.0, rtol=1e-12)


def test_mutual_inductance_couples_the_temperature_scaled_inductances() -> None:
    """M = k sqrt(L1(T) L2(T)): with tc1=0.01 at .temp 77 both inductances are 1.5x (ngspice
    39: v(b) = 0.8574574 + 0.6059802j at 10 kHz)."""
    ac = netsim.run_text("k\n.temp 77\nv1 in 0 ac 1\nr1 in a 100\nl1 a 0 1m tc1=0.01\n"
                         "l2 b 0 4m tc1=0.01\nr2 b 0 1k\nk1 l1 l2 0.9\n"
                         ".ac lin 2 10k 20k\n").ac
    assert complex(ac["vr(b)"][0], ac["vi(b)"][0]) == pytest.approx(
        complex(0.8574574, 0.6059802), abs=2e-7)


def test_subcircuit_instance_m_makes_parallel_copies() -> None:
    """X1 ... m=3 multiplies R, G, D and C inside (ngspice 39: i(v1) = -3.50746 mA in .op,
    -7.28830 - 18.8496j mA in .ac); a B source is not copied, as in ngspice. Nested m
    multiply (5 x 2 copies of 1 kOhm)."""
    run = netsim.run_text("""m
.model dd d(is=1e-14)
.subckt sub1 a b
R1 a b 1k
G1 a b a b 1m
B1 a b i=v(a,b)*1m
D1 a b dd
C1 a b 1u
.ends
.subckt sub2 a b
R1 a b 1k
.ends
.subckt sub3 a b
X1 a b sub2 m=2
.ends
V1 in 0 0.5 ac 1
X1 in 0 sub1 m=3
V2 in2 0 1
X2 in2 0 sub3 m=5
.op
.ac lin 1 1k 1k
""")
    assert float(run.op["i(v1)"]) == pytest.approx(-3.50746e-3, rel=2e-6)
    assert float(run.op["i(v2)"]) == pytest.approx(-10e-3, rel=1e-12)
    assert complex(run.ac["ir(v1)"][0], run.ac["ii(v1)"][0]) == pytest.approx(
        complex(-7.28830e-3, -18.8496e-3), rel=1e-5)  # ngspice prints 6 digits
    with pytest.raises(ElaborationError, match="must be positive"):
        elaborate_text("m\n.subckt s a\nR1 a 0 1\n.ends\nX1 n s m=0\nV1 n 0 1\n.op\n")


def test_quoted_pieces_and_solvable_loops_through_controlled_sources() -> None:
    """ngspice's behavioural inductor (manual 3.3): a B source in a loop with V sources whose
    value depends on the loop's own unknowns is solvable, ' ' pieces inside an expression are
    parenthesised sub-expressions, and an inductor across a V source is fine in a uic
    transient. ngspice 39 at t = 90.96 us: v(int21) = 0.4, i(vm33) = 3.6384e-4."""
    text = """variable inductor
.param Ll=0.5m Lh=5m It=50u Vi=2m
.ic v(int21) = 0
L3 33 331 {Ll}
vm33 331 0 dc 0
V3 33 0 {Vi}
F21 int21 0 B21 -1
L21 int21 0 1
B21 n1 n2 V = '(i(Vm21) < {It} ? {Ll} : {Lh})' * v(int21)
vm21 n2 0 dc 0
V21 n1 0 {Vi}
.tran 1u 100u uic
"""
    tran = netsim.run_text(text).tran
    t = 90.96e-6
    assert np.interp(t, tran["time"], tran["v(int21)"]) == pytest.approx(0.4, rel=1e-6)
    assert np.interp(t, tran["time"], tran["i(vm33)"]) == pytest.approx(3.6384e-4, rel=1e-4)
    with pytest.raises(TopologyError, match="loop of voltage sources/inductors"):
        elaborate_text(text.replace(".tran 1u 100u uic", ".tran 1u 100u"))


def test_behavioural_source_m_multiplies_its_value() -> None:
    """ngspice multiplies a B source's value by m, current and voltage alike (measured:
    v(2) = 20 V, v(3) = 6 V)."""
    op = netsim.run_text("bm\nV1 1 0 1\nB1 0 2 I={v(1)*0.02} M=10\nR2 2 0 100\n"
                         "B2 3 0 V={v(1)*2} m=3\nR3 3 0 1k\n.op\n").op
    assert float(op["v(2)"]) == pytest.approx(20.0, rel=1e-12)
    assert float(op["v(3)"]) == pytest.approx(6.0, rel=1e-12)


def test_print_accepts_commas_between_quantities() -> None:
    """ngspice reads `.print dc v(1), v(2)`; the comma inside v(1,2) still pairs nodes."""
    dc = netsim.run_text("pc\nV1 1 0 1\nR1 1 2 1k\nR2 2 0 1k\n"
                         ".print dc v(1), v(2) , i(v1),v(1,2)\n.dc v1 0 1 1\n").dc
    assert list(dc.columns) == ["v1", "v(1)", "v(2)", "i(v1)", "v(1,2)"]
    assert float(dc["v(1,2)"][1]) == pytest.approx(0.5)


def test_options_of_other_simulators_are_ignored_with_a_warning() -> None:
    """ngspice runs `.options dcstep=1e3 trans` (HSPICE's) with a warning; so does netsim.
    A near-miss of a netsim option (abstoll) stays an error: a typo would change the run."""
    sim = netsim.Simulator.from_text("o\n.options post=2 dcstep=1e3 trans\nV1 1 0 1\n"
                                     "R1 1 0 1k\n.op\n")
    warned = [w.message for w in sim.circuit.warnings]
    assert any("'dcstep' ignored" in m for m in warned)
    assert any("'trans' ignored" in m for m in warned)
    with pytest.raises(ElaborationError, match="did you mean 'abstol'"):
        elaborate_text("o\n.options abstoll=1e-15\nV1 1 0 1\nR1 1 0 1k\n.op\n")


def test_print_of_a_device_current_is_left_out_with_a_warning() -> None:
    """.print i(c1) i(d1) i(r1): ngspice leaves device currents out of its output and runs; so
    does netsim, with a located warning. An element that does not exist stays an error."""
    sim = netsim.Simulator.from_text("pi\nV1 a 0 1\nR1 a b 1k\nD1 b 0 dd\n.model dd d\n"
                                     "C1 b 0 1n\n.print tran i(C1) i(D1) I(R1) v(b) i(v1)\n"
                                     ".tran 1n 10n\n")
    assert sum("carries no branch current; left out" in w.message
               for w in sim.circuit.warnings) == 3
    assert list(sim.run_all().tran.columns) == ["time", "v(b)", "i(v1)"]
    with pytest.raises(ElaborationError, match="no element 'nosuch'"):
        elaborate_text("pi\nV1 a 0 1\nR1 a 0 1k\n.print dc i(nosuch)\n.dc v1 0 1 1\n")
