"""Netlist parser: logical lines, every card type, spans, includes/libraries, errors."""

import os

import pytest

from netsim.errors import NetlistSyntaxError
from netsim.syntax.ast import (
    Binary,
    Braced,
    Directive,
    Element,
    FuncDef,
    Group,
    ListValue,
    ModelDef,
    Name,
    Num,
    Param,
    ParamDecl,
    Probe,
    SubcktDef,
    Ternary,
    Token,
    Unary,
)
from netsim.syntax.parser import parse_file, parse_text


def one(text):
    """The only statement of a netlist whose title is 't'."""
    (stmt,) = parse_text("t\n" + text, "x.net").statements
    return stmt


def expr_of(text):
    """The expression of `.param p=<text>`."""
    return one(f".param p={text}").params[0].value.expr


def error(text, filename="x.net"):
    with pytest.raises(NetlistSyntaxError) as info:
        parse_text(text, filename)
    return info.value


# --------------------------------------------------------------------------- lines


def test_title_comments_blank_lines():
    n = parse_text("My *Title*; not a comment\n* comment\n\n   * indented comment\nR1 a b 1k\n")
    assert n.title == "My *Title*; not a comment"
    assert len(n.statements) == 1
    assert n.file == "<string>" and n.files == ("<string>",)


def test_empty_and_title_only():
    assert parse_text("").statements == ()
    assert parse_text("just a title").title == "just a title"


def test_inline_comments():
    r = one("R1 a b 1k ; the load\n")
    assert [a.text for a in r.atoms] == ["a", "b", "1k"]
    r = one("R1 a b 1k $ the load\n")
    assert [a.text for a in r.atoms] == ["a", "b", "1k"]
    r = one("R1 a$x b 1k\n")  # '$' not after blank: part of the name
    assert r.atoms[0].text == "a$x"
    r = one("R1 a b 1k;x=1\n")
    assert r.params == ()


def test_continuation_and_spans():
    n = parse_text("t\nR1 a b\n* comment between\n\n  +  1k tc1=1m ; c\n+ tc2=0\n", "f.net")
    (r,) = n.statements
    assert [a.text for a in r.atoms] == ["a", "b", "1k"]
    assert [p.name for p in r.params] == ["tc1", "tc2"]
    one_k = r.atoms[2].span
    assert (one_k.line, one_k.col, one_k.end_col) == (5, 6, 8)
    assert one_k.source == "  +  1k tc1=1m ; c"
    assert one_k.file == "f.net"
    tc2 = r.params[1]
    assert (tc2.span.line, tc2.span.col, tc2.span.end_col) == (6, 3, 8)
    assert tc2.value.span.col == 7
    assert (r.span.line, r.span.col, r.span.end_col) == (2, 1, 7)
    assert (r.name_span.col, r.name_span.end_col) == (1, 3)


def test_continuation_inside_braces_keeps_spans():
    e = one("E1 o 0 value={v(a)*2 +\n+ v(b)}\n")
    expr = e.params[0].value.expr
    assert isinstance(expr, Binary) and expr.op == "+"
    assert isinstance(expr.right, Probe)
    assert (expr.right.span.line, expr.right.span.col) == (3, 3)


def test_case_insensitive_names():
    r = one("R1 NodeA GND 1K TC1=1M\n")
    assert r.name == "r1"
    assert [a.text for a in r.atoms] == ["nodea", "gnd", "1k"]
    assert r.params[0].name == "tc1" and r.params[0].value.text == "1m"


def test_crlf_and_tabs():
    n = parse_text("t\r\nR1\ta\tb\t1k\r\n+\ttc1=1\r\n")
    (r,) = n.statements
    assert [a.text for a in r.atoms] == ["a", "b", "1k"]
    assert r.params[0].span.source == "+\ttc1=1"


# --------------------------------------------------------------------------- elements


def test_resistor():
    r = one("R1 a b 1k tc1=1m")
    assert isinstance(r, Element)
    assert r.name == "r1"
    assert [a.text for a in r.atoms] == ["a", "b", "1k"]
    assert r.params == (Param("tc1", r.params[0].value, r.params[0].span),)
    a = r.atoms[0]
    assert (a.span.line, a.span.col, a.span.end_col) == (2, 4, 5)


def test_source_with_group():
    v = one("V1 in 0 dc 1 ac 1 0 pulse(0 1 1n 1n 1n 5n 10n)")
    assert [a.text for a in v.atoms[:7]] == ["in", "0", "dc", "1", "ac", "1", "0"]
    g = v.atoms[7]
    assert isinstance(g, Group) and g.name == "pulse"
    assert [a.text for a in g.args] == ["0", "1", "1n", "1n", "1n", "5n", "10n"]
    assert (g.span.col, g.span.end_col) == (21, 47)


def test_group_commas_space_and_trailing_param():
    v = one("V1 a 0 pwl(0 0, 1n 1) r=0")
    assert [a.text for a in v.atoms[2].args] == ["0", "0", "1n", "1"]
    assert v.params[0].name == "r"
    v = one("V1 a 0 sin (0, 1, 1meg)")
    assert v.atoms[2].name == "sin" and len(v.atoms[2].args) == 3
    d = one(".print dc (1 2)")  # a word followed by '(' (even after blanks) is a group
    assert d.atoms[0].name == "dc" and len(d.atoms[0].args) == 2
    d = one(".print (1 2) x=(3)")
    assert d.atoms[0].name == "" and len(d.atoms[0].args) == 2
    assert d.params[0].value.name == ""


def test_mosfet_braced_param():
    m = one("M1 d g s b nch w=1u l={2*lmin}")
    assert [a.text for a in m.atoms] == ["d", "g", "s", "b", "nch"]
    w, ln = m.params
    assert w.value == Token("1u", w.value.span)
    assert isinstance(ln.value, Braced)
    assert ln.value.expr.op == "*" and ln.value.expr.right == Name(ln.value.expr.right.span, "lmin")
    assert (ln.value.span.col, ln.value.span.end_col) == (23, 31)


def test_quoted_expression_and_spaces_around_equals():
    m = one("M1 d g s b nch w = 'wmin*2' l= 1u")
    assert isinstance(m.params[0].value, Braced)
    assert m.params[0].value.expr.op == "*"
    assert m.params[1].value.text == "1u"


def test_subckt_instance_params_keyword_dropped():
    x = one("X1 a b inv params: w=2 l={lmin}")
    assert [a.text for a in x.atoms] == ["a", "b", "inv"]
    assert [p.name for p in x.params] == ["w", "l"]
    x = one("X1 a b inv params:w=2")
    assert [p.name for p in x.params] == ["w"]


def test_behavioural_sources():
    e = one("E1 out 0 value={v(a)*2}")
    assert e.params[0].name == "value"
    assert e.params[0].value.expr.left == Probe(e.params[0].value.expr.left.span, "v", ("a",))
    b = one("B1 out 0 v={v(a,b) + i(vx)}")
    expr = b.params[0].value.expr
    assert expr.left.nodes == ("a", "b") and expr.right.kind == "i"
    b = one("B1 out 0 I=cos(v(1))+sin(v(2)) tc1=1m")
    assert [a.text for a in b.atoms] == ["out", "0"]
    assert b.params[0].name == "i" and isinstance(b.params[0].value, Braced)
    assert b.params[0].value.expr.op == "+"
    assert b.params[1].value == Token("1m", b.params[1].value.span)
    g = one("G1 out 0 value = v(a) * 1m")
    assert g.params[0].value.expr.op == "*"


def test_probe_digit_nodes():
    b = one("B1 1 0 v=v(1)-v(2,0)")
    assert b.params[0].value.expr.left.nodes == ("1",)
    assert b.params[0].value.expr.right.nodes == ("2", "0")


def test_list_value():
    p = one("P1 in 0 z0=50 freq=[2.1g 2.3g] power=[-20dbm, -25dbm]")
    freq = p.params[1].value
    assert isinstance(freq, ListValue)
    assert [i.text for i in freq.items] == ["2.1g", "2.3g"]
    assert [i.text for i in p.params[2].value.items] == ["-20dbm", "-25dbm"]


def test_n_element():
    n = one("N1 a b rf1")
    assert n.name == "n1" and [a.text for a in n.atoms] == ["a", "b", "rf1"]


# --------------------------------------------------------------------------- dot cards


def test_param_decl():
    d = one(".param a=1 b={a*2} c='a+b' d = 2*a e=-1k")
    assert isinstance(d, ParamDecl)
    assert [p.name for p in d.params] == ["a", "b", "c", "d", "e"]
    assert all(isinstance(p.value, Braced) for p in d.params)
    assert d.params[0].value.expr.value == 1.0
    assert d.params[3].value.expr.op == "*"
    assert d.params[4].value.expr == Unary(d.params[4].value.expr.span, "-",
                                           d.params[4].value.expr.operand)
    assert d.params[4].value.expr.operand.value == 1e3
    sp = d.params[3].span
    assert (sp.col, sp.end_col) == (28, 35)


def test_param_spaces_inside_expression():
    d = one(".param x = 2 * a + 1 y=a == b z = (a > 1) ? 1 : 2")
    assert [p.name for p in d.params] == ["x", "y", "z"]
    assert d.params[1].value.expr.op == "=="
    assert isinstance(d.params[2].value.expr, Ternary)


def test_func_def():
    for text in (".func f(a, b) = {a*b+1}", ".func f(a,b) {a*b+1}", ".func f(a, b) 'a*b+1'",
                 ".func F(A, B) = a*b + 1"):
        f = one(text)
        assert isinstance(f, FuncDef)
        assert f.name == "f" and f.args == ("a", "b")
        assert f.body.op == "+"
    assert one(".func k() {3}").args == ()


def test_model():
    m = one(".model nch NMOS(level=1 vto=0.7)")
    assert isinstance(m, ModelDef)
    assert (m.name, m.type) == ("nch", "nmos")
    assert [(p.name, p.value.text) for p in m.params] == [("level", "1"), ("vto", "0.7")]
    m = one(".model d1 d is=1e-14\n+ n=1.5 rs={rser}")
    assert m.type == "d" and [p.name for p in m.params] == ["is", "n", "rs"]
    assert m.params[1].span.line == 3
    m = one(".model d1 d (is=1e-14, n=1)")
    assert [p.name for p in m.params] == ["is", "n"]
    m = one(".model sw1 sw")
    assert m.params == ()
    m = one(".model r1 spindiode(\n+ fres=2.1g\n+ q=100)")
    assert m.type == "spindiode" and len(m.params) == 2


def test_subckt_nested():
    n = parse_text(
        "t\n.subckt inv in out vdd params: w=1u l={lmin}\nM1 out in 0 0 nch w={w}\n"
        ".subckt inner a\nR1 a 0 1\n.ends\nX1 a inner\n.ends inv\nX9 a b c inv\n"
    )
    s, x = n.statements
    assert isinstance(s, SubcktDef)
    assert s.name == "inv" and s.ports == ("in", "out", "vdd")
    assert [p.name for p in s.params] == ["w", "l"]
    assert [sp.col for sp in s.port_spans] == [13, 16, 20]
    assert [type(b).__name__ for b in s.body] == ["Element", "SubcktDef", "Element"]
    assert s.body[1].name == "inner" and s.body[1].body[0].name == "r1"
    assert x.name == "x9"


def test_subckt_params_without_keyword():
    s = one(".subckt r a b val=1k\nR1 a b {val}\n.ends r")
    assert s.ports == ("a", "b") and s.params[0].name == "val"


def test_directives():
    tran = one(".tran 1n 100n 0 1p uic")
    assert isinstance(tran, Directive) and tran.name == "tran"
    assert [a.text for a in tran.atoms] == ["1n", "100n", "0", "1p", "uic"]
    assert one(".ac dec 10 1 1g").name == "ac"
    dc = one(".dc v1 0 5 0.1 v2 0 1 0.5")
    assert len(dc.atoms) == 8
    opts = one(".options reltol=1e-4 method=gear")
    assert [(p.name, p.value.text) for p in opts.params] == [("reltol", "1e-4"), ("method", "gear")]
    ic = one(".ic v(a)=1 v(b) = 0 V(X1.N2)=2")
    assert [p.name for p in ic.params] == ["v(a)", "v(b)", "v(x1.n2)"]
    pr = one(".print tran v(out) i(v1) v(a,b)")
    assert pr.atoms[0].text == "tran"
    assert [(g.name, [a.text for a in g.args]) for g in pr.atoms[1:]] == [
        ("v", ["out"]), ("i", ["v1"]), ("v", ["a", "b"])]
    assert one(".save all").atoms[0].text == "all"
    assert one(".temp 27").atoms[0].text == "27"
    op = one(".op")
    assert op.name == "op" and op.atoms == () and op.params == ()
    hb = one(".hb 1g 1.1g nharm=8")
    assert [a.text for a in hb.atoms] == ["1g", "1.1g"] and hb.params[0].name == "nharm"
    st = one(".step param r list 1k 2k")
    assert [a.text for a in st.atoms] == ["param", "r", "list", "1k", "2k"]
    assert one(".nodeset v(a)=1").params[0].name == "v(a)"
    assert one(".energy").name == "energy"
    assert (op.name_span.col, op.name_span.end_col) == (1, 4)


def test_dot_end_stops_reading():
    n = parse_text("t\nR1 a b 1\n.end\nR2 a b 1\n+ (((\n")
    assert [s.name for s in n.statements] == ["r1"]


def test_lib_block_in_main_file_is_ignored():
    n = parse_text("t\n.lib tt\nR9 a b {\n.endl tt\nR1 a b 1\n")
    assert [s.name for s in n.statements] == ["r1"]


# --------------------------------------------------------------------------- expressions


def test_expression_precedence():
    e = expr_of("{1 + 2*3}")
    assert e.op == "+" and e.right.op == "*"
    e = expr_of("{-2**2}")  # ngspice: -(2**2)
    assert isinstance(e, Unary) and e.operand.op == "**"
    e = expr_of("{2^3^2}")  # ngspice: left-associative, (2**3)**2
    assert e.op == "**" and e.left.op == "**"
    e = expr_of("{2**-1}")
    assert e.right.op == "-"
    e = expr_of("{a || b && c}")
    assert e.op == "||" and e.right.op == "&&"
    e = expr_of("{a == b < c}")
    assert e.op == "==" and e.right.op == "<"
    e = expr_of("{a ? b : c ? d : e}")
    assert isinstance(e, Ternary) and isinstance(e.otherwise, Ternary)
    e = expr_of("{!a + -b}")
    assert e.left.op == "!" and e.right.op == "-"
    for op in ("!=", "<=", ">=", ">", "<", "/", "-"):
        assert expr_of("{a " + op + " b}").op == op
    e = expr_of("{(1 + 2) * 3}")
    assert e.op == "*" and e.left.op == "+"


def test_expression_atoms():
    e = expr_of("{max(2.2u, 1k) + f(x.y)}")
    assert e.left.func == "max"
    assert [a.value for a in e.left.args] == [2.2e-6, 1e3]
    assert e.right.args[0] == Name(e.right.args[0].span, "x.y")
    assert isinstance(expr_of("{3meg}"), Num) and expr_of("{3meg}").value == 3e6
    assert expr_of("{1Mohm}").value == 1e-3
    assert expr_of("{rand()}").args == ()


def test_expression_spans():
    e = expr_of("{aa + bbb}")
    assert (e.left.span.col, e.left.span.end_col) == (11, 13)
    assert (e.right.span.col, e.right.span.end_col) == (16, 19)
    assert (e.span.col, e.span.end_col) == (11, 19)


# --------------------------------------------------------------------------- includes


def write(path, text):
    path.write_text(text)
    return path


def test_include_splices(tmp_path, monkeypatch):
    monkeypatch.delenv("NETSIM_PATH", raising=False)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "models.inc", "* models\n.model d1 d is=1e-14\nR5 x y 1\n")
    main = write(tmp_path / "Main.net",
                 "title\nR1 a b 1\n.include sub/models.inc\n.INC \"sub/models.inc\"\nR2 a b 2\n")
    n = parse_file(main)
    assert [type(s).__name__ for s in n.statements] == [
        "Element", "ModelDef", "Element", "ModelDef", "Element", "Element"]
    m = n.statements[1]
    assert m.span.file.endswith("models.inc") and m.span.line == 2
    assert n.files[0] == str(main) and n.files[1].endswith("models.inc")
    assert len(n.files) == 2


def test_include_path_keeps_case(tmp_path, monkeypatch):
    write(tmp_path / "MixedCase.LIB", "R7 a b 1\n")
    monkeypatch.chdir(tmp_path)
    n = parse_text("t\n.include MixedCase.LIB\n")
    assert n.statements[0].name == "r7"


def test_netsim_path(tmp_path, monkeypatch):
    libdir = tmp_path / "libs"
    libdir.mkdir()
    write(libdir / "mtj.lib",
          ".lib rf20nm\n.model mtj1 mtj(ra=5)\n.endl\n.lib other\nR1 a b 1\n.endl\n")
    (tmp_path / "work").mkdir()
    main = write(tmp_path / "work" / "a.net", "t\n.lib mtj.lib rf20nm\n")
    monkeypatch.setenv("NETSIM_PATH", str(tmp_path / "nothing") + os.pathsep + str(libdir))
    n = parse_file(main)
    (m,) = n.statements
    assert m.name == "mtj1" and m.type == "mtj"


def test_lib_section(tmp_path):
    write(tmp_path / "corners.lib",
          "* corners\nR0 outside 0 1\n.lib tt\n.param vth=0.4\n.lib corners.lib common\n.endl tt\n"
          ".lib ff\n.param vth=0.3\n.endl\n.lib common\n.model nch nmos(vto={vth})\n.endl\n")
    main = write(tmp_path / "a.net", "t\n.lib 'corners.lib' TT\nR1 a b 1\n")
    n = parse_file(main)
    assert [type(s).__name__ for s in n.statements] == ["ParamDecl", "ModelDef", "Element"]
    assert n.statements[0].params[0].value.expr.value == 0.4


def test_lib_section_of_own_file(tmp_path):
    main = write(tmp_path / "a.net", "t\n.lib a.net tt\n.lib tt\nR3 a b 1\n.endl\n")
    assert [s.name for s in parse_file(main).statements] == ["r3"]


def test_lib_section_missing(tmp_path):
    write(tmp_path / "c.lib", ".lib typical\n.endl\n.lib fast\n.endl\n")
    main = write(tmp_path / "a.net", "t\n.lib c.lib typcal\n")
    err = pytest.raises(NetlistSyntaxError, parse_file, main).value
    assert err.message == (
        f"library section 'typcal' not found in '{tmp_path / 'c.lib'}'; did you mean 'typical'?"
    )
    assert err.span.line == 2
    assert err.notes == (f"sections in '{tmp_path / 'c.lib'}': typical, fast",)


def test_include_cycle(tmp_path):
    write(tmp_path / "a.inc", "R1 a b 1\n.include b.inc\n")
    write(tmp_path / "b.inc", "R2 a b 1\n.include a.inc\n")
    main = write(tmp_path / "main.net", "t\n.include a.inc\n")
    err = pytest.raises(NetlistSyntaxError, parse_file, main).value
    assert err.message == "include cycle: " + " -> ".join(
        [str(main), "a.inc", "b.inc", "a.inc"])
    assert err.span.file == str(tmp_path / "b.inc") and err.span.line == 2


def test_self_include(tmp_path):
    main = write(tmp_path / "main.net", "t\n.include main.net\n")
    err = pytest.raises(NetlistSyntaxError, parse_file, main).value
    assert err.message.startswith("include cycle:")


def test_missing_include(tmp_path, monkeypatch):
    monkeypatch.setenv("NETSIM_PATH", str(tmp_path / "extra"))
    main = write(tmp_path / "main.net", "t\n.include models/none.lib\n")
    err = pytest.raises(NetlistSyntaxError, parse_file, main).value
    assert err.message == "cannot find file 'models/none.lib'"
    assert err.notes[0] == f"tried {tmp_path / 'models/none.lib'}"
    assert err.notes[1] == f"tried {tmp_path / 'extra' / 'models/none.lib'}"
    assert err.notes[2].endswith("netsim/library/models/none.lib")
    assert "NETSIM_PATH" in err.hint
    assert (err.span.line, err.span.col, err.span.end_col) == (2, 10, 25)


def test_error_in_included_file_points_there(tmp_path):
    write(tmp_path / "bad.inc", "R1 a b 1\nR2 a b {1+\n")
    main = write(tmp_path / "main.net", "t\n.include bad.inc\n")
    err = pytest.raises(NetlistSyntaxError, parse_file, main).value
    assert err.span.file == str(tmp_path / "bad.inc") and err.span.line == 2


def test_unreadable_netlist(tmp_path):
    err = pytest.raises(NetlistSyntaxError, parse_file, tmp_path / "nope.net").value
    assert err.message.startswith("cannot read netlist")


# --------------------------------------------------------------------------- errors (pinned)


def test_error_unexpected_paren():
    assert error("t\nR1 a b 1k)\n").render() == (
        "x.net:2:10: error: unexpected ')'\n"
        "   2 | R1 a b 1k)\n"
        "     |          ^\n"
        "hint: remove it, or add the matching '('"
    )


def test_error_unclosed_brace():
    assert error("t\nR1 a b {1+2\n+ *3\n").render() == (
        "x.net:2:8: error: unclosed '{'\n"
        "   2 | R1 a b {1+2\n"
        "     |        ^\n"
        "hint: add '}' (a card ends at the end of its line and its '+' lines)"
    )


def test_error_subckt_never_closed():
    assert error("t\n.subckt inv a b\nR1 a b 1\n").render() == (
        "x.net:2:1: error: .subckt 'inv' is never closed (missing .ends)\n"
        "   2 | .subckt inv a b\n"
        "     | ^^^^^^^^^^^^^^^\n"
        "hint: end the subcircuit with `.ends inv`"
    )


def test_error_param_missing_equals():
    assert error("t\n.param a 1\n").render() == (
        "x.net:2:8: error: expected '=' after parameter name 'a'\n"
        "   2 | .param a 1\n"
        "     |        ^\n"
        "hint: write .param values as name=value, e.g. `a=1`"
    )


def test_error_control_block():
    err = error("t\n.control\nrun\n.endc\n")
    assert err.message == "ngspice control blocks (.control/.endc) are not supported"
    assert ".tran" in err.hint and "netsim run" in err.hint


@pytest.mark.parametrize(
    "text, message, where",
    [
        ("t\n+ r1 a b 1", "continuation line '+' before any card", (2, 1)),
        ("t\n.ends\n", ".ends without a matching .subckt", (2, 1)),
        ("t\n.endl\n", ".endl without .lib", (2, 1)),
        ("t\n.lib tt\nR1 a b 1\n", ".lib section 'tt' is never closed (missing .endl)", (2, 1)),
        ("t\n.lib x\n.lib y\n.endl\n", ".lib section 'y' starts inside section 'x'", (3, 1)),
        ("t\n.lib a b c\n", ".lib call needs a file and one section, got 3 words", (2, 1)),
        ("t\n.subckt a x\n.ends b\n", ".ends 'b' does not match .subckt 'a'", (3, 1)),
        ("t\n.ends a b\n", "unexpected item after .ends, expected at most the subcircuit name",
         (2, 9)),
        ("t\n.param a=\n", "expected a value after 'a='", (2, 8)),
        ("t\n.param\n", ".param needs at least one name=value", (2, 1)),
        ("t\n.param 1=2\n", "expected a parameter name, found '1=2'", (2, 8)),
        ("t\nR1 a b {1+}\n", "unexpected '}' in expression, expected a number, a name or '('",
         (2, 11)),
        ("t\nR1 a b {a b}\n", "unexpected 'b' in expression, expected an operator", (2, 11)),
        ("t\nR1 a b {a @ b}\n", "unexpected '@' in expression, expected an operator", (2, 11)),
        ("t\nR1 a b {a ? b}\n", "unexpected '}', expected ':'", (2, 14)),
        ("t\nR1 a b 'a+b\n", "unclosed quote (')", (2, 8)),
        ("t\nR1 a b [1 2\n", "unclosed '['", (2, 8)),
        ("t\nR1 a b {(1}\n", "unclosed '('", (2, 9)),
        ("t\nR1 a b \"x\"\n", "unexpected '\"'", (2, 8)),
        ("t\nR1 a b 1 = 2\n", "expected a parameter name before '=', found '1'", (2, 8)),
        ("t\nR1 a b = = 2\n", "unexpected '='", (2, 10)),
        ("t\nV1 a 0 pulse(0 1 td=1n)\n", "unexpected parameter 'td=' inside 'pulse(...)'",
         (2, 18)),
        ("t\n.model\n", ".model needs a name and a type", (2, 1)),
        ("t\n.model d1\n", ".model 'd1' needs a type (d, nmos, pmos, r, c, sw, mtj, ...)",
         (2, 8)),
        ("t\n.model d1 d(is 1)\n", "unexpected item in .model 'd1', expected name=value",
         (2, 13)),
        ("t\n.model d1 d is=1 3\n", "unexpected item in .model 'd1', expected name=value",
         (2, 18)),
        ("t\n.func f(x\n", "expected `.func name(arguments) {expression}`", (2, 1)),
        ("t\n.func f(1) {x}\n", "expected an argument name in .func 'f', found '1'", (2, 9)),
        ("t\n.func f(x)\n", ".func 'f' has no body", (2, 1)),
        ("t\nB1 a 0 v=1 tc1=a b\n", "expected a single value for 'tc1', found 'a b'", (2, 16)),
        ("t\nB1 a (0) v=1\n", "unexpected '(0)' on behavioural source 'b1'", (2, 6)),
        ("t\n.subckt\n", ".subckt needs a name", (2, 1)),
        ("t\n.subckt s a {b}\n", "expected a port name on .subckt", (2, 13)),
        ("t\n.ic v({a})=2\n", "expected a node or element name inside a parameter name", (2, 7)),
        ("t\n. foo\n", "expected a directive name after '.'", (2, 1)),
        ("t\nR1 a b {v(a,b,c)}\n", "v() takes one or two node names, got 3", (2, 9)),
        ("t\nR1 a b {i(a,b)}\n", "i() takes one element name, got 2", (2, 9)),
        ("t\nR1 a b {v(a+b)}\n", "v() takes a node name, not an expression", (2, 11)),
        ("t\n.include\n", ".include needs a file name", (2, 1)),
        ("t\n.include a b\n", "unexpected 'b' after the file name of .include", (2, 1)),
        ("t\n.include 'a\n", "unclosed quote (') in file name", (2, 10)),
        ("t\n.endc\n", "ngspice control blocks (.control/.endc) are not supported", (2, 1)),
        ("t\nR1 a b c=(1\n+ 2 3\n", "unclosed '('", (2, 10)),
    ],
)
def test_errors(text, message, where):
    err = error(text)
    assert err.message == message
    assert (err.span.line, err.span.col) == where
    assert err.span.file == "x.net"
    assert err.render().startswith(f"x.net:{where[0]}:{where[1]}: error: {message}")


def test_no_lark_exception_escapes():
    for junk in ["t\nR1 a b {{}}\n", "t\nR1 ) (\n", "t\n=\n", "t\nR1 a b {1 ? }\n",
                 "t\nR1 a b ''\n", "t\nR1 a b {}\n", "t\nR1 a [=]\n", "t\nR1 a (x=1)=2\n",
                 "t\n.func f(x) {x\n", "t\n.param a={1+}\n", "t\nR1 a b {1e}\n"]:
        try:
            parse_text(junk)
        except NetlistSyntaxError as err:
            assert err.span is not None and err.span.line == 2
            err.render()


# --------------------------------------------------------------------------- scale


def test_scale_20k_cards():
    lines = ["scale"]
    for i in range(20_000):
        kind = i % 4
        if kind == 0:
            lines.append(f"R{i} n{i} n{i + 1} 1k")
        elif kind == 1:
            lines.append(f"C{i} n{i} 0 10p")
        elif kind == 2:
            lines.append(f"V{i} n{i} 0 dc 1 pulse(0 1 1n)")
        else:
            lines.append(f"M{i} n{i} g 0 0 nch w=1u l={{2*lmin}}")
    n = parse_text("\n".join(lines))
    assert len(n.statements) == 20_000
    last = n.statements[-1]
    assert last.name == "m19999" and last.span.line == 20_001
