"""Built-in functions of netlist expressions: values (numpy, vectorised) and derivative rules.

Semantics follow ngspice (checked against ngspice 39, B sources and .param):

- ``log`` is the natural logarithm (same as ``ln``); ``log10`` is base 10.
- ``int`` truncates toward zero; ``nint`` rounds half to even (nint(2.5)=2, nint(3.5)=4, as C
  ``rint``); ``sgn(0)`` = 0; ``u(x)`` is the unit step with u(0) = 0.5.
- Powers differ between the two evaluators of ngspice, and netsim follows each:

  ===========  ==============================  ===================================
  form         ``.param``, element values      B sources, E/G ``value=`` (braced
               (numparam)                      or not)
  ===========  ==============================  ===================================
  ``x**y``,    abs(x)**y                       abs(x)**y
  ``x^y``
  ``pow(x,y)`` x**y (no real value for x < 0   abs(x)**y
               and non-integer y: an error)
  ``pwr(x,y)`` abs(x)**y                       sign(x) * abs(x)**y
  ===========  ==============================  ===================================

  (ngspice 39: ``.param p={(-2)**3}`` is 8, ``{pow(-2,3)}`` -8, ``{pwr(-2,3)}`` 8; in a B
  source with v(in) = -2, ``v(in)**3`` and ``pow(v(in),3)`` are 8, ``pwr(v(in),3)`` -8.) The
  folder (:mod:`netsim.syntax.expr`) rewrites each form to ``pow``, ``pwr`` or the internal
  ``$powabs``.
- ``min``/``max`` take two or more arguments.
- ``limit(x, lo, hi)`` clips x to [lo, hi]; ``if(c, a, b)`` is ``c ? a : b``.
- ``pwl(x, x1, y1, x2, y2, ...)`` interpolates constant points linearly and extends the first
  and last segments beyond them (ngspice B sources).
- Constants ``pi`` and ``e`` exist when no parameter of that name is defined (ngspice B sources
  know both; ngspice .param predefines neither, so this is a superset).

Derivative rules return expression trees (:mod:`netsim.syntax.ast` nodes) built from the
arguments and their derivatives; functions whose names start with ``$`` are internal helpers
used only inside derivative trees.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from netsim.syntax.ast import Binary, Call, Expr, Num, Ternary, Unary


def _pwr(x, y):
    return np.sign(x) * np.abs(x) ** y


def _powabs(x, y):
    return np.abs(x) ** y


def _pwl_segment(x, points):
    """(segment start index, xs, ys) of ngspice's pwl(x, x1, y1, x2, y2, ...): the last
    segment whose start is <= x, the first or last segment beyond the ends."""
    xs = np.array(points[0::2], dtype=float)
    ys = np.array(points[1::2], dtype=float)
    k = np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 2)
    return k, xs, ys


def _pwl(x, *points):
    k, xs, ys = _pwl_segment(x, points)
    return ys[k] + (ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k]) * (x - xs[k])


def _pwl_slope(x, *points):
    k, xs, ys = _pwl_segment(x, points)
    return (ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k])


def _limit(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


def _logpos(x):
    """log(x) where x > 0, else 0 (the d/dy of x**y term, finite where x**y is)."""
    xa = np.asarray(x, dtype=float)
    return np.where(xa > 0, np.log(np.where(xa > 0, xa, 1.0)), 0.0)


def _if(c, a, b):
    return np.where(np.asarray(c) != 0, a, b)


#: pwl(x, x1, y1, x2, y2, ...): x and two or more (x, y) points (constants, x increasing),
#: linear between them and extrapolated along the first and last segments (ngspice's PTpwl)
PWL_ARGS = -1

#: name -> (number of arguments (None: two or more; PWL_ARGS: pwl's), numpy implementation)
FUNCTIONS: dict[str, tuple[int | None, Callable]] = {
    "sqrt": (1, np.sqrt),
    "exp": (1, np.exp),
    "ln": (1, np.log),
    "log": (1, np.log),
    "log10": (1, np.log10),
    "abs": (1, np.abs),
    "min": (None, np.minimum),
    "max": (None, np.maximum),
    "pow": (2, np.power),
    "pwr": (2, _pwr),
    "sin": (1, np.sin),
    "cos": (1, np.cos),
    "tan": (1, np.tan),
    "asin": (1, np.arcsin),
    "acos": (1, np.arccos),
    "atan": (1, np.arctan),
    "atan2": (2, np.arctan2),
    "asinh": (1, np.arcsinh),
    "acosh": (1, np.arccosh),
    "atanh": (1, np.arctanh),
    "sinh": (1, np.sinh),
    "cosh": (1, np.cosh),
    "tanh": (1, np.tanh),
    "floor": (1, np.floor),
    "ceil": (1, np.ceil),
    "int": (1, np.trunc),
    "nint": (1, np.rint),
    "sgn": (1, np.sign),
    "u": (1, lambda x: np.heaviside(x, 0.5)),
    "uramp": (1, lambda x: np.maximum(x, 0.0)),
    "limit": (3, _limit),
    "pwl": (PWL_ARGS, _pwl),
    "if": (3, _if),
}

#: internal helpers that appear only in derivative trees
HELPERS: dict[str, Callable] = {"$logpos": _logpos, "$sign": np.sign, "$powabs": _powabs,
                                "$pwlslope": _pwl_slope}

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

BINARY: dict[str, Callable] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "%": np.fmod,  # C's fmod: the sign of the dividend (an extension; ngspice has no %)
    "**": np.power,
    "==": lambda a, b: np.asarray(a == b, dtype=float),
    "!=": lambda a, b: np.asarray(a != b, dtype=float),
    "<": lambda a, b: np.asarray(a < b, dtype=float),
    "<=": lambda a, b: np.asarray(a <= b, dtype=float),
    ">": lambda a, b: np.asarray(a > b, dtype=float),
    ">=": lambda a, b: np.asarray(a >= b, dtype=float),
    "&&": lambda a, b: np.asarray((a != 0) & (b != 0), dtype=float),
    "||": lambda a, b: np.asarray((a != 0) | (b != 0), dtype=float),
}

UNARY: dict[str, Callable] = {
    "-": np.negative,
    "+": lambda a: a,
    "!": lambda a: np.asarray(a == 0, dtype=float),
}


# --------------------------------------------------------------------------- tree builders
# Small constant folding keeps derivative trees short (d(2*x) is 2, not 0*x + 2*1).


def num(value: float, like: Expr) -> Num:
    return Num(like.span, float(value))


def is_num(e: Expr, value: float | None = None) -> bool:
    return isinstance(e, Num) and (value is None or e.value == value)


def add(a: Expr, b: Expr) -> Expr:
    if is_num(a, 0.0):
        return b
    if is_num(b, 0.0):
        return a
    if is_num(a) and is_num(b):
        return num(a.value + b.value, a)
    return Binary(a.span, "+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    if is_num(b, 0.0):
        return a
    if is_num(a, 0.0):
        return neg(b)
    if is_num(a) and is_num(b):
        return num(a.value - b.value, a)
    return Binary(a.span, "-", a, b)


def mul(a: Expr, b: Expr) -> Expr:
    if is_num(a, 0.0) or is_num(b, 0.0):
        return num(0.0, a)
    if is_num(a, 1.0):
        return b
    if is_num(b, 1.0):
        return a
    if is_num(a) and is_num(b):
        return num(a.value * b.value, a)
    return Binary(a.span, "*", a, b)


def div(a: Expr, b: Expr) -> Expr:
    if is_num(a, 0.0):
        return a
    if is_num(b, 1.0):
        return a
    return Binary(a.span, "/", a, b)


def neg(a: Expr) -> Expr:
    if is_num(a):
        return num(-a.value, a)
    return Unary(a.span, "-", a)


def call(name: str, *args: Expr) -> Expr:
    return Call(args[0].span, name, tuple(args))


def power(a: Expr, b: Expr) -> Expr:
    if is_num(b, 1.0):
        return a
    if is_num(b, 0.0):
        return num(1.0, a)
    return Binary(a.span, "**", a, b)


def choose(cond: Expr, a: Expr, b: Expr) -> Expr:
    if is_num(a, 0.0) and is_num(b, 0.0):
        return a
    return Ternary(cond.span, cond, a, b)


def pow_derivative(u: Expr, v: Expr, du: Expr, dv: Expr) -> Expr:
    """d(u**v) = v*u**(v-1)*du + u**v*ln(u)*dv (the ln term taken as 0 where u <= 0)."""
    first = mul(mul(v, power(u, sub(v, num(1.0, v)))), du) if not is_num(du, 0.0) else du
    if is_num(dv, 0.0):
        return first
    return add(first, mul(mul(power(u, v), call("$logpos", u)), dv))


def call_derivative(name: str, args: tuple[Expr, ...], dargs: list[Expr]) -> Expr:
    """d f(args) given the argument derivatives (same variable)."""
    if all(is_num(d, 0.0) for d in dargs):
        return num(0.0, args[0])
    u = args[0]
    du = dargs[0]
    one = num(1.0, u)
    if name == "sqrt":
        return div(mul(num(0.5, u), du), call("sqrt", u))
    if name == "exp":
        return mul(call("exp", u), du)
    if name in ("ln", "log"):
        return div(du, u)
    if name == "log10":
        return div(du, mul(u, num(math.log(10.0), u)))
    if name == "abs":
        return mul(call("$sign", u), du)
    if name in ("min", "max"):
        v, dv = args[1], dargs[1]
        cond = Binary(u.span, "<=" if name == "min" else ">=", u, v)
        return choose(cond, du, dv)
    if name == "pow":
        return pow_derivative(u, args[1], du, dargs[1])
    if name in ("pwr", "$powabs"):  # sign(u)|u|**v and |u|**v
        v, dv = args[1], dargs[1]
        au = call("abs", u)
        slope = mul(v, power(au, sub(v, one)))
        first = mul(slope if name == "pwr" else mul(slope, call("$sign", u)), du)
        if is_num(dv, 0.0):
            return first
        return add(first, mul(mul(call(name, u, v), call("$logpos", au)), dv))
    if name == "pwl":  # the points are constants
        return mul(Call(u.span, "$pwlslope", args), du)
    if name == "sin":
        return mul(call("cos", u), du)
    if name == "cos":
        return neg(mul(call("sin", u), du))
    if name == "tan":
        return div(du, power(call("cos", u), num(2.0, u)))
    if name == "asin":
        return div(du, call("sqrt", sub(one, mul(u, u))))
    if name == "acos":
        return neg(div(du, call("sqrt", sub(one, mul(u, u)))))
    if name == "atan":
        return div(du, add(one, mul(u, u)))
    if name == "atan2":  # atan2(y, x)
        x, dx = args[1], dargs[1]
        return div(sub(mul(x, du), mul(u, dx)), add(mul(x, x), mul(u, u)))
    if name == "asinh":
        return div(du, call("sqrt", add(mul(u, u), one)))
    if name == "acosh":
        return div(du, call("sqrt", sub(mul(u, u), one)))
    if name == "atanh":
        return div(du, sub(one, mul(u, u)))
    if name == "uramp":
        return mul(call("u", u), du)
    if name == "sinh":
        return mul(call("cosh", u), du)
    if name == "cosh":
        return mul(call("sinh", u), du)
    if name == "tanh":
        t = call("tanh", u)
        return mul(sub(one, mul(t, t)), du)
    if name == "limit":
        lo, hi = args[1], args[2]
        return choose(
            Binary(u.span, "<", u, lo),
            dargs[1],
            choose(Binary(u.span, ">", u, hi), dargs[2], du),
        )
    # floor, ceil, int, nint, sgn, u: piecewise constant
    return num(0.0, u)
