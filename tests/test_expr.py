"""Expression evaluation, .func inlining and behavioural derivatives (netsim.syntax.expr)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsim.errors import ElaborationError
from netsim.syntax.ast import FuncDef, Probe
from netsim.syntax.expr import compile_behavioural, evaluate
from netsim.syntax.parser import parse_text


def parse_expr(text):
    """The expression of `B1 o 0 v=<text>` (probes allowed)."""
    (b,) = parse_text(f"t\nB1 o 0 v={text}\n", "e.net").statements
    return b.params[0].value.expr


def funcs_of(*defs):
    n = parse_text("t\n" + "\n".join(defs) + "\n")
    return {f.name: f for f in n.statements if isinstance(f, FuncDef)}


def ev(text, scope=None, funcs=None):
    return evaluate(parse_expr(text), scope or {}, funcs)


# --------------------------------------------------------------------------- evaluate


@pytest.mark.parametrize(
    "text, value",
    [
        ("1 + 2*3", 7.0),
        ("(1 + 2)*3", 9.0),
        ("2.2u * 1k", 2.2e-3),
        ("3meg / 1Mohm", 3e9),
        ("-2**2", -4.0),  # ngspice: -(2**2)
        ("-2^2", -4.0),
        ("2**3**2", 64.0),  # ngspice: left-associative
        ("2^-1", 0.5),
        ("2*-3", -6.0),
        ("10/4", 2.5),
        ("1 - 2 - 3", -4.0),
        ("1 == 1", 1.0),
        ("1 != 1", 0.0),
        ("1 < 2", 1.0),
        ("2 <= 2", 1.0),
        ("1 > 2", 0.0),
        ("2 >= 3", 0.0),
        ("1 && 0", 0.0),
        ("1 || 0", 1.0),
        ("!0", 1.0),
        ("!3", 0.0),
        ("1 + 1 == 2 && 3 > 2", 1.0),
        ("1 ? 2 : 3", 2.0),
        ("0 ? 2 : 0 ? 4 : 5", 5.0),
        ("sqrt(16)", 4.0),
        ("exp(0)", 1.0),
        ("ln(e)", 1.0),
        ("log(100)", math.log(100)),  # natural log, as ngspice
        ("log10(100)", 2.0),
        ("abs(-2)", 2.0),
        ("min(3, 1, 2)", 1.0),
        ("max(3, 1, 2)", 3.0),
        ("pow(2, 10)", 1024.0),
        ("pow(-2, 2)", 4.0),
        ("pwr(-2, 2)", 4.0),  # numparam: |x|**y (a B source: sign(x)|x|**y)
        ("pow(-2, 3)", -8.0),
        ("(-2)**3", 8.0),  # numparam: |x|**y
        ("(-2)^3", 8.0),
        ("pwr(4, 0.5)", 2.0),
        ("sin(0) + cos(0)", 1.0),
        ("tan(0)", 0.0),
        ("asin(1)", math.pi / 2),
        ("acos(1)", 0.0),
        ("atan(1)", math.pi / 4),
        ("atan2(1, 1)", math.pi / 4),
        ("sinh(0) + cosh(0) + tanh(0)", 1.0),
        ("asinh(1)", math.asinh(1)),
        ("acosh(2)", math.acosh(2)),
        ("atanh(0.5)", math.atanh(0.5)),
        ("uramp(2.5) + uramp(-1)", 2.5),
        ("17 % 5", 2.0),
        ("-7 % 3", -1.0),  # C fmod: the sign of the dividend
        ("2 + 7 % 4 * 2", 8.0),  # % binds as * and /, left to right
        ("floor(-1.5)", -2.0),
        ("ceil(-1.5)", -1.0),
        ("int(-2.7)", -2.0),
        ("int(2.7)", 2.0),
        ("nint(2.5)", 2.0),  # half to even, as ngspice
        ("nint(3.5)", 4.0),
        ("nint(-2.5)", -2.0),
        ("sgn(-3)", -1.0),
        ("sgn(0)", 0.0),
        ("u(1)", 1.0),
        ("u(0)", 0.5),
        ("u(-1)", 0.0),
        ("limit(5, 0, 2)", 2.0),
        ("limit(-5, 0, 2)", 0.0),
        ("limit(1, 0, 2)", 1.0),
        ("if(1, 2, 3)", 2.0),
        ("if(0, 2, 3)", 3.0),
        ("pi", math.pi),
        ("e", math.e),
    ],
)
def test_evaluate(text, value):
    assert ev(text) == pytest.approx(value, rel=1e-14, abs=1e-300)


def test_scope_and_shadowed_constants():
    assert ev("a*b + 1", {"a": 2.0, "b": 3.0}) == 7.0
    assert ev("pi + e", {"pi": 3.0, "e": 2.0}) == 5.0


def test_untaken_branch_is_not_evaluated():
    assert ev("1 ? 2 : 1/0") == 2.0
    assert ev("0 ? undefined_name : 4") == 4.0


def test_param_decl_chain():
    n = parse_text("t\n.param a=2 b={a*2} c='a+b' d = 2*a\n")
    scope = {}
    for p in n.statements[0].params:
        scope[p.name] = evaluate(p.value.expr, scope)
    assert scope == {"a": 2.0, "b": 4.0, "c": 6.0, "d": 4.0}
    assert evaluate(n.statements[0].params[1].value, {"a": 1.0}) == 2.0  # Braced accepted


def test_func_inline():
    funcs = funcs_of(".func sq(x) {x*x}", ".func hyp(a, b) = sqrt(sq(a) + sq(b))",
                     ".func k() {scale*2}")
    assert ev("hyp(3, 4)", funcs=funcs) == 5.0
    assert ev("k() + 1", {"scale": 2.0}, funcs) == 5.0
    # a .func argument shadows a parameter of the same name
    assert ev("sq(3)", {"x": 100.0}, funcs) == 9.0


def test_func_overrides_builtin():
    funcs = funcs_of(".func limit(x, a, b) {x + a + b}")
    assert ev("limit(5, 0, 2)", funcs=funcs) == 7.0


# --------------------------------------------------------------------------- errors


def elab_error(text, scope=None, funcs=None):
    with pytest.raises(ElaborationError) as info:
        evaluate(parse_expr(text), scope or {}, funcs)
    return info.value


def test_undefined_name_render():
    err = elab_error("wdth*2", {"width": 1.0, "length": 2.0})
    assert err.render() == (
        "e.net:2:10: error: undefined parameter 'wdth'\n"
        "   2 | B1 o 0 v=wdth*2\n"
        "     |          ^^^^\n"
        "hint: did you mean 'width'?"
    )
    err = elab_error("zzz")
    assert err.hint == "define it first, e.g. `.param zzz=1`"


def test_probe_in_constant_context_render():
    err = elab_error("1 + v(out)")
    assert err.render() == (
        "e.net:2:14: error: v()/i() are only allowed in behavioural sources\n"
        "   2 | B1 o 0 v=1 + v(out)\n"
        "     |              ^^^^^^\n"
        "hint: use a B source (`B1 out 0 v={...}`) or E/G with value={...}"
    )
    assert elab_error("i(v1)").message == "v()/i() are only allowed in behavioural sources"


def test_argument_count():
    assert elab_error("sqrt(1, 2)").message == "sqrt() takes 1 argument, got 2"
    assert elab_error("atan2(1)").message == "atan2() takes 2 arguments, got 1"
    assert elab_error("limit(1, 2)").message == "limit() takes 3 arguments, got 2"
    assert elab_error("max(1)").message == "max() takes 2 or more arguments, got 1"
    funcs = funcs_of(".func f(x, y) {x+y}")
    err = elab_error("f(1)", funcs=funcs)
    assert err.message == "function 'f' takes 2 arguments (x, y), got 1"
    assert err.notes == ("'f' is defined at <string>:2:1",)


def test_unknown_function():
    err = elab_error("sqr(4)")
    assert err.message == "unknown function 'sqr'"
    assert err.hint == "did you mean 'sqrt'?"
    assert (err.span.col, err.span.end_col) == (10, 16)


def test_recursive_func():
    funcs = funcs_of(".func f(x) {g(x)}", ".func g(x) {f(x) + 1}")
    err = elab_error("f(1)", funcs=funcs)
    assert err.message == "recursive .func 'f' (f -> g -> f)"


def test_domain_errors():
    err = elab_error("1 + 1/0")
    assert err.message.startswith("expression has no finite value")
    assert (err.span.col, err.span.end_col) == (14, 17)
    assert elab_error("sqrt(-1)").message.startswith("expression has no finite value")
    assert elab_error("pow(-2, 0.5)").message.startswith("expression has no finite value")
    assert elab_error("ln(0)").message.startswith("expression has no finite value")


# --------------------------------------------------------------------------- behavioural


def test_probes_distinct_in_order():
    b = compile_behavioural(parse_expr("v(b)*v(a) + v(b) + i(vx) + v(a,b) + par"),
                            {"par": 2.0})
    assert [(p.kind, p.nodes) for p in b.probes] == [
        ("v", ("b",)), ("v", ("a",)), ("i", ("vx",)), ("v", ("a", "b"))]
    assert all(isinstance(p, Probe) for p in b.probes)
    x = np.array([2.0, 3.0, 0.5, 7.0])
    assert b.value(x) == pytest.approx(6 + 2 + 0.5 + 7 + 2)
    assert b.gradient(x) == pytest.approx([3 + 1, 2, 1, 1])


def test_shapes_and_batch_axes():
    b = compile_behavioural(parse_expr("v(a)**2 + 3*v(b)"), {})
    x = np.random.default_rng(1).normal(size=(5, 4, 2))
    assert b.value(x).shape == (5, 4)
    assert b.gradient(x).shape == (5, 4, 2)
    assert np.allclose(b.gradient(x)[..., 0], 2 * x[..., 0])
    assert np.allclose(b.gradient(x)[..., 1], 3.0)


def test_constant_behavioural():
    b = compile_behavioural(parse_expr("2*k"), {"k": 3.0})
    assert b.probes == ()
    assert b.value(np.zeros((3, 0))).tolist() == [6.0, 6.0, 6.0]
    assert b.gradient(np.zeros((3, 0))).shape == (3, 0)


def test_powers_in_behavioural_sources_follow_ngspice_b_sources():
    """In B sources ngspice evaluates x**y, x^y and pow(x, y) as |x|**y and pwr(x, y) as
    sign(x)|x|**y, braced or not, constant or not (ngspice 39, v(in) = -2 and m = -2: 8, 8, 8,
    -8); .param uses numparam's rules (test_constant_values)."""
    cases = {"v(a)**3": 8.0, "v(a)^3": 8.0, "pow(v(a), 3)": 8.0, "pwr(v(a), 3)": -8.0,
             "v(a)**2.5": 2.0 ** 2.5, "pow(m, 3) + 0*v(a)": 8.0, "pwr(m, 3) + 0*v(a)": -8.0}
    for text, value in cases.items():
        b = compile_behavioural(parse_expr(text), {"m": -2.0})
        assert b.value(np.array([-2.0])) == pytest.approx(value), text


def test_pwl_interpolates_and_extends_its_end_segments():
    """ngspice's B-source pwl(): linear between the points, the end segments extended
    (ngspice 39 gives -2 at x = -4 and 5 at x = 4 for these points)."""
    b = compile_behavioural(parse_expr("pwl(v(a), -2, -1, 0, 0, 1, 2, 2, k)"), {"k": 3.0})
    x = np.array([-4.0, -2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 4.0])[:, None]
    assert b.value(x).tolist() == pytest.approx([-2, -1, -0.5, 0, 1, 2, 3, 5])
    assert b.gradient(x)[:, 0].tolist() == pytest.approx([0.5, 0.5, 0.5, 2, 2, 1, 1, 1])
    for text, phrase in (("pwl(v(a), 0, 1)", "two or more"), ("pwl(v(a), 0, 1, 2)", "two or"),
                         ("pwl(v(a), 0, v(a), 1, 2)", "constants"),
                         ("pwl(v(a), 1, 0, 0, 2)", "increase")):
        with pytest.raises(ElaborationError, match=phrase):
            compile_behavioural(parse_expr(text), {})


def test_parameters_folded_and_funcs_inlined():
    funcs = funcs_of(".func gain(x) {k*x}")
    b = compile_behavioural(parse_expr("gain(v(a)) + k"), {"k": 2.0}, funcs)
    assert b.value(np.array([1.5])) == pytest.approx(5.0)
    assert b.gradient(np.array([1.5])) == pytest.approx([2.0])
    assert "Name" not in repr(b.expr)  # every parameter became a number


def test_behavioural_errors():
    with pytest.raises(ElaborationError, match="undefined parameter 'q'"):
        compile_behavioural(parse_expr("v(a)*q"), {})
    with pytest.raises(ElaborationError, match="no finite value"):
        compile_behavioural(parse_expr("v(a)*(1/0)"), {})


def test_piecewise_derivatives():
    cases = {
        "abs(v(a))": ([-2.0], [-1.0]),
        "min(v(a), 1)": ([0.5], [1.0]),
        "min(v(a), 1) ": ([2.0], [0.0]),
        "max(v(a), v(b))": ([1.0, 3.0], [0.0, 1.0]),
        "limit(v(a), 0, 1)": ([0.5], [1.0]),
        "limit(v(a), 0, 1) ": ([1.5], [0.0]),
        "floor(v(a)) + int(v(a)) + nint(v(a)) + sgn(v(a)) + u(v(a))": ([1.3], [0.0]),
        "v(a) > 1 ? v(a)**2 : -v(a)": ([2.0], [4.0]),
        "v(a) > 1 ? v(a)**2 : -v(a) ": ([0.0], [-1.0]),
        "if(v(a) > 1, 3*v(a), 0)": ([2.0], [3.0]),
        "(v(a) > 1) + (v(a) == 2) + (v(a) && 1) + !v(a)": ([2.0], [0.0]),
        "uramp(v(a)) + 3*uramp(-v(a))": ([2.0], [1.0]),
        "v(a) % v(b)": ([7.5, 2.0], [1.0, -3.0]),  # a - trunc(a/b) b
    }
    for text, (x, grad) in cases.items():
        b = compile_behavioural(parse_expr(text), {})
        assert b.gradient(np.array(x)) == pytest.approx(grad), text


SMOOTH = [
    "v(a)*v(b) - v(a)/v(b) + 3",
    "sqrt(v(a)) + exp(v(b)) + ln(v(a)) + log(v(b)) + log10(v(a))",
    "pow(v(a), v(b)) + v(a)**3 + v(b)^v(a) + pwr(v(a), 1.5) + pwr(v(a), v(b))",
    "sin(v(a)) * cos(v(b)) + tan(v(a)/4)",
    "asin(v(a)/4) + acos(v(b)/4) + atan(v(a)*v(b)) + atan2(v(a), v(b))",
    "sinh(v(a)) + cosh(v(b)) + tanh(v(a) - v(b))",
    "asinh(v(a)) + acosh(v(b) + 1.5) + atanh(v(a)/4)",
    "-v(a) + +v(b) - (v(a) - v(b))**2",
    "abs(v(a) - 5) + min(v(a), 9) + max(v(b), -9) + limit(v(a)*v(b), -100, 100)",
    "v(a,b)*i(vx) + 1/(1 + v(a,b)**2)",
    "v(a) + v(b) + pwr(v(c), 3) + v(c)**3 + pow(v(c), 2) + v(c)^2.5",
    "f(v(a), v(b)) + g(v(a))",
]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(SMOOTH),
    st.floats(0.3, 3.0),
    st.floats(0.3, 3.0),
    st.floats(-2.0, 2.0),
)
def test_gradient_matches_central_differences(text, a, b, c):
    funcs = funcs_of(".func f(x, y) {x*exp(-y) + y**2}", ".func g(x) {f(x, 2*x)}")
    beh = compile_behavioural(parse_expr(text), {}, funcs)
    x = np.array([a, b, c][: len(beh.probes)])
    grad = beh.gradient(x)
    h = 1e-6
    for j in range(len(x)):
        step = np.zeros_like(x)
        step[j] = h
        numeric = (beh.value(x + step) - beh.value(x - step)) / (2 * h)
        assert grad[j] == pytest.approx(numeric, rel=1e-5, abs=1e-6), (text, j)


def test_gradient_batched_equals_single():
    beh = compile_behavioural(parse_expr(SMOOTH[2]), {})
    x = np.random.default_rng(3).uniform(0.5, 2.0, size=(6, 2))
    batched = beh.gradient(x)
    for k in range(6):
        assert np.allclose(batched[k], beh.gradient(x[k]))
        assert beh.value(x)[k] == pytest.approx(float(beh.value(x[k])))
