"""Evaluation and symbolic differentiation of netlist expressions.

- :func:`evaluate` computes a constant expression (``.param`` values, element values) from a
  scope of parameter values; circuit probes ``v()``/``i()`` are errors there.
- :func:`compile_behavioural` prepares an expression of a behavioural source (B, E/G value=):
  parameters are folded to constants, ``.func`` calls inlined, and the value and the gradient
  with respect to the probes (built once by differentiating the tree) are compiled to numpy
  closures that work on any leading batch axes.

Operators follow C precedence, except ``**``/``^`` which bind tighter than unary minus and
associate to the left (ngspice: ``-2**2`` = -4, ``2**3**2`` = 64). Comparisons and ``&&``, ``||``,
``!`` give 1.0 or 0.0; ``c ? a : b`` picks by ``c != 0``. Non-differentiable points use the
one-sided piecewise derivative (``abs``: sgn(x), ``min``: the derivative of the smaller argument,
``floor``/``int``/comparisons: 0). Built-in functions: :mod:`netsim.syntax.builtins`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from netsim.errors import ElaborationError, did_you_mean
from netsim.syntax import builtins as bi
from netsim.syntax.ast import (
    Binary,
    Braced,
    Call,
    Expr,
    FuncDef,
    Name,
    Num,
    Probe,
    Ternary,
    Unary,
)

__all__ = ["evaluate", "compile_behavioural", "Behavioural", "derivative"]


# how each evaluator of ngspice reads x**y (also written x^y), pow and pwr
_PARAM_POWERS = {"**": "$powabs", "pow": "pow", "pwr": "$powabs"}
_B_SOURCE_POWERS = {"**": "$powabs", "pow": "$powabs", "pwr": "pwr"}


def _plural(n: int) -> str:
    return f"{n} argument" + ("" if n == 1 else "s")


class _Folder:
    """Folds parameters to numbers and inlines .func calls; collects probes."""

    def __init__(self, scope: Mapping[str, float], funcs: Mapping[str, FuncDef] | None,
                 allow_probes: bool) -> None:
        self.scope = scope
        self.funcs = funcs or {}
        self.allow_probes = allow_probes
        # the power functions each evaluator of ngspice means (netsim.syntax.builtins):
        # B sources (the expressions that may probe the circuit) or numparam
        self.powers = _B_SOURCE_POWERS if allow_probes else _PARAM_POWERS
        self.probes: dict[tuple[str, tuple[str, ...]], Probe] = {}
        self.active: list[str] = []

    def fold(self, e: Expr, bound: Mapping[str, Expr]) -> Expr:
        t = type(e)
        if t is Num:
            return e
        if t is Name:
            return self._name(e, bound)
        if t is Probe:
            if not self.allow_probes:
                raise ElaborationError(
                    "v()/i() are only allowed in behavioural sources",
                    e.span,
                    hint="use a B source (`B1 out 0 v={...}`) or E/G with value={...}",
                )
            self.probes.setdefault((e.kind, e.nodes), e)
            return e
        if t is Unary:
            operand = self.fold(e.operand, bound)
            out = Unary(e.span, e.op, operand)
            return self._const(out) if type(operand) is Num else out
        if t is Binary:
            left = self.fold(e.left, bound)
            right = self.fold(e.right, bound)
            if e.op == "**":
                out = Call(e.span, self.powers["**"], (left, right))
                return self._const(out) if type(left) is Num and type(right) is Num else out
            out = Binary(e.span, e.op, left, right)
            return self._const(out) if type(left) is Num and type(right) is Num else out
        if t is Ternary:
            cond = self.fold(e.cond, bound)
            if type(cond) is Num:  # fold the branch, so only it must be well defined
                return self.fold(e.then if cond.value != 0 else e.otherwise, bound)
            return Ternary(e.span, cond, self.fold(e.then, bound), self.fold(e.otherwise, bound))
        if t is Call:
            return self._call(e, bound)
        if t is Braced:  # tolerated: evaluate(Braced) is convenient for callers
            return self.fold(e.expr, bound)
        raise TypeError(f"not an expression: {e!r}")  # pragma: no cover

    def _name(self, e: Name, bound: Mapping[str, Expr]) -> Expr:
        if e.name in bound:
            return bound[e.name]
        if e.name in self.scope:
            return Num(e.span, float(self.scope[e.name]))
        if e.name in bi.CONSTANTS:
            return Num(e.span, bi.CONSTANTS[e.name])
        if e.name in SIMULATOR_VARIABLES:
            raise ElaborationError(
                f"ngspice's '{e.name}' variable ({SIMULATOR_VARIABLES[e.name]}) is not "
                "supported in expressions", e.span,
                hint="write the value as a parameter that .step or a batch varies")
        known = list(self.scope) + list(bound)
        close = did_you_mean(e.name, known)
        raise ElaborationError(
            f"undefined parameter '{e.name}'",
            e.span,
            hint=close or f"define it first, e.g. `.param {e.name}=1`",
        )

    def _const(self, e: Expr) -> Num:
        value = _closure(e)(None)
        value = float(np.asarray(value))
        if not np.isfinite(value):
            raise ElaborationError(
                "expression has no finite value (division by zero, or a function outside "
                "its domain)",
                e.span,
                hint="check the operands of this sub-expression",
            )
        return Num(e.span, value)

    def _call(self, e: Call, bound: Mapping[str, Expr]) -> Expr:
        name = e.func
        if name in self.funcs:
            return self._inline(e, self.funcs[name], bound)
        if name not in bi.FUNCTIONS:
            candidates = list(bi.FUNCTIONS) + list(self.funcs)
            raise ElaborationError(
                f"unknown function '{name}'",
                e.span,
                hint=did_you_mean(name, candidates) or "define it with `.func name(x) {...}`",
            )
        count, _ = bi.FUNCTIONS[name]
        args = [self.fold(a, bound) for a in e.args]
        if count == bi.PWL_ARGS:
            return self._pwl(e, args)
        if count is None and len(args) < 2:
            raise ElaborationError(
                f"{name}() takes 2 or more arguments, got {len(args)}", e.span
            )
        if count is not None and len(args) != count:
            raise ElaborationError(
                f"{name}() takes {_plural(count)}, got {len(args)}", e.span
            )
        if name == "if":
            return self.fold(Ternary(e.span, args[0], args[1], args[2]), {})
        if count is None:  # min/max of many -> nested pairs
            out: Expr = args[0]
            for arg in args[1:]:
                pair = Call(e.span, name, (out, arg))
                out = self._const(pair) if type(out) is Num and type(arg) is Num else pair
            return out
        out = Call(e.span, self.powers.get(name, name), tuple(args))
        return self._const(out) if all(type(a) is Num for a in args) else out

    def _pwl(self, e: Call, args: list[Expr]) -> Expr:
        """pwl(x, x1, y1, ...): the points must be numbers with increasing x."""
        hint = "write pwl(x, x1, y1, x2, y2, ...) with constant points, x1 < x2 < ..."
        if len(args) < 5 or len(args) % 2 == 0:
            raise ElaborationError(
                f"pwl() takes x and two or more (x, y) points, got {len(args)} arguments",
                e.span, hint=hint)
        if any(type(a) is not Num for a in args[1:]):
            raise ElaborationError("pwl() points must be constants", e.span, hint=hint)
        xs = [a.value for a in args[1::2]]
        if any(b <= a for a, b in zip(xs, xs[1:])):
            raise ElaborationError("pwl() x points must increase", e.span, hint=hint)
        out = Call(e.span, "pwl", tuple(args))
        return self._const(out) if type(args[0]) is Num else out

    def _inline(self, e: Call, f: FuncDef, bound: Mapping[str, Expr]) -> Expr:
        if len(e.args) != len(f.args):
            raise ElaborationError(
                f"function '{f.name}' takes {_plural(len(f.args))} "
                f"({', '.join(f.args)}), got {len(e.args)}",
                e.span,
                notes=(f"'{f.name}' is defined at {f.span}",),
            )
        if f.name in self.active:
            chain = " -> ".join(self.active + [f.name])
            raise ElaborationError(
                f"recursive .func '{f.name}' ({chain})",
                e.span,
                hint=".func definitions cannot call themselves, directly or indirectly",
            )
        args = {name: self.fold(a, bound) for name, a in zip(f.args, e.args, strict=True)}
        self.active.append(f.name)
        try:
            return self.fold(f.body, args)
        finally:
            self.active.pop()


def evaluate(expr: Expr, scope: Mapping[str, float],
             funcs: Mapping[str, FuncDef] | None = None) -> float:
    """The value of a constant expression, names looked up in ``scope`` (lower-case keys).

    Raises ElaborationError for an undefined name, an unknown function or wrong argument
    count, a v()/i() probe, or a non-finite result (at the offending sub-expression).
    """
    with np.errstate(all="ignore"):
        result = _Folder(scope, funcs, allow_probes=False).fold(expr, {})
    assert type(result) is Num
    return result.value


# --------------------------------------------------------------------------- differentiation


def derivative(e: Expr, key: tuple[str, tuple[str, ...]]) -> Expr:
    """The tree of d e / d probe ``key`` (``(kind, nodes)``) for a folded expression."""
    t = type(e)
    if t is Num:
        return bi.num(0.0, e)
    if t is Probe:
        return bi.num(1.0 if (e.kind, e.nodes) == key else 0.0, e)
    if t is Unary:
        d = derivative(e.operand, key)
        if e.op == "-":
            return bi.neg(d)
        if e.op == "+":
            return d
        return bi.num(0.0, e)
    if t is Binary:
        a, b = e.left, e.right
        da, db = derivative(a, key), derivative(b, key)
        op = e.op
        if op == "+":
            return bi.add(da, db)
        if op == "-":
            return bi.sub(da, db)
        if op == "*":
            return bi.add(bi.mul(da, b), bi.mul(a, db))
        if op == "/":
            if bi.is_num(db, 0.0):
                return bi.div(da, b)
            return bi.div(bi.sub(bi.mul(da, b), bi.mul(a, db)), bi.mul(b, b))
        if op == "**":
            return bi.pow_derivative(a, b, da, db)
        if op == "%":  # a - trunc(a / b) b
            return bi.sub(da, bi.mul(bi.call("int", bi.div(a, b)), db))
        return bi.num(0.0, e)  # comparisons and logic are piecewise constant
    if t is Ternary:
        return bi.choose(e.cond, derivative(e.then, key), derivative(e.otherwise, key))
    if t is Call:
        return bi.call_derivative(e.func, e.args, [derivative(a, key) for a in e.args])
    raise TypeError(f"cannot differentiate {e!r}")  # pragma: no cover


# names ngspice's expressions read from the running analysis
SIMULATOR_VARIABLES = {"hertz": "the AC frequency", "temper": "the circuit temperature"}


def _closure(e: Expr, index: Mapping[tuple[str, tuple[str, ...]], int] | None = None
             ) -> Callable:
    """A function x -> value of ``e`` (numpy, broadcasting over x's leading axes)."""
    t = type(e)
    if t is Num:
        value = e.value
        return lambda x: value
    if t is Probe:
        j = index[(e.kind, e.nodes)]
        return lambda x: x[..., j]
    if t is Unary:
        f = _closure(e.operand, index)
        op = bi.UNARY[e.op]
        return lambda x: op(f(x))
    if t is Binary:
        fa, fb = _closure(e.left, index), _closure(e.right, index)
        op = bi.BINARY[e.op]
        return lambda x: op(fa(x), fb(x))
    if t is Ternary:
        fc, fa, fb = (_closure(n, index) for n in (e.cond, e.then, e.otherwise))
        return lambda x: np.where(np.asarray(fc(x)) != 0, fa(x), fb(x))
    if t is Call:
        fn = bi.HELPERS[e.func] if e.func in bi.HELPERS else bi.FUNCTIONS[e.func][1]
        fs = [_closure(a, index) for a in e.args]
        if len(fs) == 1:
            f0 = fs[0]
            return lambda x: fn(f0(x))
        return lambda x: fn(*[f(x) for f in fs])
    raise TypeError(f"cannot compile {e!r}")  # pragma: no cover


@dataclass(frozen=True)
class Behavioural:
    """A compiled behavioural expression f(p_1..p_P) of P circuit probes.

    ``x`` has shape (..., P) with the probe values in the order of ``probes`` (volts for v(),
    amperes for i()); ``value(x)`` has shape (...), ``gradient(x)`` shape (..., P) with
    d f / d p_j in column j.
    """

    expr: Expr
    probes: tuple[Probe, ...]
    derivatives: tuple[Expr, ...]
    _value: Callable = field(repr=False)
    _grads: tuple[Callable, ...] = field(repr=False)

    def value(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            out = self._value(x)
        return np.broadcast_to(np.asarray(out, dtype=float), x.shape[:-1]).copy()

    def gradient(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        out = np.empty(x.shape, dtype=float)
        with np.errstate(all="ignore"):
            for j, g in enumerate(self._grads):
                out[..., j] = g(x)
        return out


def compile_behavioural(expr: Expr, scope: Mapping[str, float],
                        funcs: Mapping[str, FuncDef] | None = None) -> Behavioural:
    """Fold parameters, inline .func calls, differentiate once and compile to numpy."""
    folder = _Folder(scope, funcs, allow_probes=True)
    with np.errstate(all="ignore"):
        folded = folder.fold(expr, {})
    probes = tuple(folder.probes.values())
    keys = list(folder.probes)
    index = {key: j for j, key in enumerate(keys)}
    derivs = tuple(derivative(folded, key) for key in keys)
    return Behavioural(
        folded,
        probes,
        derivs,
        _closure(folded, index),
        tuple(_closure(d, index) for d in derivs),
    )
