"""Parsed cards -> AST statements, plus the cards whose right-hand sides are raw expressions.

:func:`card_statement` turns ``[head, item...]`` from :func:`netsim.syntax.cards.parse_cards`
into an Element, Directive or ModelDef, or a :class:`SubcktOpen` / :class:`SubcktClose` marker
(the parser nests the bodies). :func:`param_decl`, :func:`func_def` and :func:`expr_element`
read ``.param``, ``.func`` and behavioural cards (``B1 out 0 v=v(a)*2``, ``E1 o 0 value=...``)
straight from the card text, because their right-hand sides are expressions without braces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netsim.errors import NetlistSyntaxError, Span
from netsim.syntax.ast import (
    Directive,
    Element,
    FuncDef,
    Group,
    ModelDef,
    Param,
    ParamDecl,
    Statement,
    Token,
)
from netsim.syntax.cards import ParamGroup, _raise_param_in_group, parse_expression
from netsim.syntax.lines import LogicalLine


@dataclass(frozen=True)
class SubcktOpen:
    """A ``.subckt`` header; the parser collects the body up to the matching ``.ends``."""

    name: str
    ports: tuple[str, ...]
    port_spans: tuple[Span, ...]
    params: tuple[Param, ...]
    span: Span


@dataclass(frozen=True)
class SubcktClose:
    """An ``.ends [name]`` card (name '' when omitted)."""

    name: str
    span: Span


def _check_name(param: Param) -> Param:
    """A parameter name starts with a letter or '_' (``v(a)`` style names included)."""
    first = param.name[:1]
    if not (first.isalpha() or first == "_"):
        span = param.span
        raise NetlistSyntaxError(
            f"expected a parameter name before '=', found '{param.name}'",
            Span(span.file, span.line, span.col, span.col + len(param.name), span.source),
            hint="parameter names start with a letter; write name=value",
        )
    return param


def _split(items: list, card: str) -> tuple[list, list[Param]]:
    atoms: list = []
    params: list[Param] = []
    for item in items:
        if type(item) is Param:
            params.append(_check_name(item))
        elif type(item) is ParamGroup and _pwl_options_inside(item):
            # ngspice also reads PWL's r= and td= inside the parentheses
            atoms.append(Group(item.name, tuple(a for a in item.args if type(a) is not Param),
                               item.span))
            params.extend(_check_name(a) for a in item.args if type(a) is Param)
        elif type(item) is ParamGroup:
            _raise_param_in_group(item)
        else:
            atoms.append(item)
    return atoms, params


def _pwl_options_inside(group: ParamGroup) -> bool:
    """``pwl(t1 v1 ... r=.. td=..)``: only r= / td= parameters, after the values."""
    if group.name != "pwl":
        return False
    first = next(k for k, a in enumerate(group.args) if type(a) is Param)
    rest = group.args[first:]
    return all(type(a) is Param and a.name in ("r", "td") for a in rest)


def card_statement(items: list, ll: LogicalLine):
    """The statement (or subcircuit marker) of one parsed card."""
    head = str(items[0])
    rest = items[1:]
    if head[0] != ".":
        atoms, params = _split(rest, head)
        if head[0] == "x":
            atoms = [a for a in atoms if not (type(a) is Token and a.text == "params:")]
            params = [_unprefix(p) for p in params]
        return Element(ll.card_span(), head, ll.span(0, len(head)), tuple(atoms), tuple(params))
    if head == ".model":
        return _model(rest, ll)
    if head == ".subckt":
        return _subckt(rest, ll)
    if head == ".ends":
        atoms, params = _split(rest, head)
        if params or len(atoms) > 1 or (atoms and type(atoms[0]) is not Token):
            extra = (params or atoms[1:] or atoms)[0]
            raise NetlistSyntaxError(
                "unexpected item after .ends, expected at most the subcircuit name",
                extra.span,
                hint="write `.ends` or `.ends name`",
            )
        name = atoms[0].text if atoms else ""
        return SubcktClose(name, ll.card_span())
    if head == ".":
        raise NetlistSyntaxError(
            "expected a directive name after '.'", ll.span(0, 1), hint="e.g. `.op` or `.tran 1n 1u`"
        )
    atoms, params = _split(rest, head)
    return Directive(
        ll.card_span(), head[1:], ll.span(0, len(head)), tuple(atoms), tuple(params)
    )


def _unprefix(param: Param) -> Param:
    if param.name.startswith("params:"):
        return Param(param.name[len("params:"):], param.value, param.span)
    return param


def _model(rest: list, ll: LogicalLine) -> ModelDef:
    hint = "write e.g. `.model d1 d(is=1e-14 n=1)` or `.model d1 d is=1e-14`"
    if not rest or type(rest[0]) is not Token:
        where = rest[0].span if rest else ll.card_span()
        raise NetlistSyntaxError(".model needs a name and a type", where, hint=hint)
    name = rest[0].text
    if len(rest) < 2 or type(rest[1]) is Param:
        raise NetlistSyntaxError(
            f".model '{name}' needs a type (d, nmos, pmos, r, c, sw, mtj, ...)",
            rest[0].span, hint=hint,
        )
    kind = rest[1]
    params: list[Param] = []
    if type(kind) is Token:
        mtype = kind.text
    elif type(kind) in (Group, ParamGroup) and kind.name:
        mtype = kind.name
        for arg in kind.args:
            if type(arg) is not Param:
                _not_param(arg, name)
            params.append(_check_name(arg))
    else:
        raise NetlistSyntaxError(f".model '{name}' needs a type", kind.span, hint=hint)
    for item in rest[2:]:
        if type(item) is Param:
            params.append(_check_name(item))
        elif type(item) in (Group, ParamGroup) and not item.name:
            for arg in item.args:
                if type(arg) is not Param:
                    _not_param(arg, name)
                params.append(_check_name(arg))
        else:
            _not_param(item, name)
    return ModelDef(ll.card_span(), name, mtype, tuple(params))


def _not_param(item, model: str):
    raise NetlistSyntaxError(
        f"unexpected item in .model '{model}', expected name=value",
        item.span,
        hint="model parameters are written name=value",
    )


def _subckt(rest: list, ll: LogicalLine) -> SubcktOpen:
    atoms, params = _split(rest, ".subckt")
    if not atoms or type(atoms[0]) is not Token:
        where = atoms[0].span if atoms else ll.card_span()
        raise NetlistSyntaxError(
            ".subckt needs a name", where, hint="write e.g. `.subckt inv in out vdd`"
        )
    ports: list[Token] = []
    for atom in atoms[1:]:
        if type(atom) is not Token:
            raise NetlistSyntaxError(
                "expected a port name on .subckt", atom.span,
                hint="ports are plain node names; parameters go after `params:` as name=value",
            )
        if atom.text != "params:":
            ports.append(atom)
    params = [_unprefix(p) for p in params]
    return SubcktOpen(
        atoms[0].text,
        tuple(p.text for p in ports),
        tuple(p.span for p in ports),
        tuple(params),
        ll.card_span(),
    )


# --------------------------------------------------------------------------- raw cards

_WS = re.compile(r"\s*")
_NAME_EQ = re.compile(r"([a-z_][a-z0-9_.]*)\s*=(?!=)", re.IGNORECASE)
_NAME = re.compile(r"[a-z_][a-z0-9_.]*", re.IGNORECASE)
_NEXT = re.compile(r"\s+[a-z_][a-z0-9_.]*\s*=(?!=)", re.IGNORECASE)
_WORD = re.compile(r"\S+")


def _value_end(text: str, i: int) -> int:
    """End offset of the value starting at text[i]: up to the next top-level ``name=`` (so
    ``d = 2 * a e=3`` gives ``2 * a``), with {..} and '..' blocks kept whole (so
    ``v={g}*v(a)`` is one value, as ngspice substitutes the block)."""
    n = len(text)
    depth = 0
    k = i
    while k < n:
        ch = text[k]
        if ch == "'":
            close = text.find("'", k + 1)
            k = n if close < 0 else close + 1
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth <= 0 and ch in " \t" and _NEXT.match(text, k):
            break
        k += 1
    return len(text[:k].rstrip())


def assignments(ll: LogicalLine, pos: int, what: str) -> list[tuple[str, int, int, int]]:
    """The ``name = value`` pairs of ll.text from ``pos``: (name, name_start, vstart, vend)."""
    text = ll.text
    n = len(text)
    out = []
    while True:
        pos = _WS.match(text, pos).end()
        if pos >= n:
            return out
        m = _NAME_EQ.match(text, pos)
        if m is None:
            word = _WORD.match(text, pos).group()
            name = _NAME.match(text, pos)
            if name is not None:
                end = name.end()
                raise NetlistSyntaxError(
                    f"expected '=' after parameter name '{name.group().lower()}'",
                    ll.span(pos, end),
                    hint=f"write {what} as name=value, e.g. `{name.group().lower()}=1`",
                )
            raise NetlistSyntaxError(
                f"expected a parameter name, found '{word}'",
                ll.span(pos, pos + len(word)),
                hint=f"write {what} as name=value",
            )
        vstart = _WS.match(text, m.end()).end()
        if vstart >= n:
            raise NetlistSyntaxError(
                f"expected a value after '{m.group(1).lower()}='",
                ll.span(m.start(), m.end()),
                hint=f"write {what} as name=value",
            )
        vend = _value_end(text, vstart)
        out.append((m.group(1).lower(), pos, vstart, vend))
        pos = vend


def param_decl(ll: LogicalLine, head_len: int) -> ParamDecl:
    """``.param a=1 b={a*2} c='a+b' d = 2*a``: every value becomes Braced(expr)."""
    params = []
    for name, start, vstart, vend in assignments(ll, head_len, ".param values"):
        value = parse_expression(ll, vstart, vend)
        params.append(Param(name, value, ll.span(start, start + len(name)).to(value.span)))
    if not params:
        raise NetlistSyntaxError(
            ".param needs at least one name=value", ll.span(0, head_len), hint="e.g. `.param w=1u`"
        )
    return ParamDecl(ll.card_span(), tuple(params))


_FUNC = re.compile(
    r"\.func\s+([a-z_][a-z0-9_]*)\s*\(([^()]*)\)\s*(=?)\s*", re.IGNORECASE
)


def func_def(ll: LogicalLine) -> FuncDef:
    """``.func name(a, b) = {expr}`` (also ``{expr}``, ``'expr'`` or ``= expr``)."""
    text = ll.text
    m = _FUNC.match(text)
    hint = "write e.g. `.func f(x, y) {x*y + 1}`"
    if m is None:
        raise NetlistSyntaxError(
            "expected `.func name(arguments) {expression}`", ll.card_span(), hint=hint
        )
    args = []
    arg_text = m.group(2)
    for raw in arg_text.split(","):
        arg = raw.strip().lower()
        if not arg and arg_text.strip() == "":
            break
        if not _NAME.fullmatch(arg):
            at = m.start(2)
            raise NetlistSyntaxError(
                f"expected an argument name in .func '{m.group(1).lower()}', found '{arg}'",
                ll.span(at, m.end(2)),
                hint=hint,
            )
        if arg in args:
            raise NetlistSyntaxError(
                f"argument '{arg}' of .func '{m.group(1).lower()}' is named twice",
                ll.span(m.start(2), m.end(2)), hint="give every argument its own name")
        args.append(arg)
    if m.end() >= len(text):
        raise NetlistSyntaxError(
            f".func '{m.group(1).lower()}' has no body", ll.card_span(), hint=hint
        )
    body = parse_expression(ll, m.end(), len(text))
    return FuncDef(ll.card_span(), m.group(1).lower(), tuple(args), body.expr)


#: parameters of B/E/G cards whose value is an expression even without braces
EXPR_PARAMS = frozenset({"v", "i", "value", "vol", "cur"})


def expr_element(ll: LogicalLine) -> Element:
    """A behavioural card (``B1 out 0 v=...``, ``E1 out 0 value=...``): nodes, then name=value
    pairs where v / i / value / vol / cur are expressions (braces optional)."""
    text = ll.text
    head = _WORD.match(text).group()
    pos = len(head)
    atoms: list[Token] = []
    n = len(text)
    while True:
        pos = _WS.match(text, pos).end()
        if pos >= n or _NAME_EQ.match(text, pos):
            break
        word = _WORD.match(text, pos).group()
        if any(c in word for c in "={}'()[]\""):
            raise NetlistSyntaxError(
                f"unexpected '{word}' on behavioural source '{head.lower()}'",
                ll.span(pos, pos + len(word)),
                hint=f"write e.g. `{head.lower()} out 0 v={{v(a)*2}}`",
            )
        atoms.append(Token(word.lower(), ll.span(pos, pos + len(word))))
        pos += len(word)
    params = []
    for name, start, vstart, vend in assignments(ll, pos, "source parameters"):
        raw = text[vstart:vend]
        if name in EXPR_PARAMS or raw[:1] in ("{", "'"):
            value = parse_expression(ll, vstart, vend)
        elif any(c.isspace() or c in "(){}[]'\"" for c in raw):
            raise NetlistSyntaxError(
                f"expected a single value for '{name}', found '{raw}'",
                ll.span(vstart, vend),
                hint=f"put an expression in braces: `{name}={{...}}`",
            )
        else:
            value = Token(raw.lower(), ll.span(vstart, vend))
        params.append(Param(name, value, ll.span(start, start + len(name)).to(value.span)))
    return Element(
        ll.card_span(), head.lower(), ll.span(0, len(head)), tuple(atoms), tuple(params)
    )


def is_expr_element(text: str) -> bool:
    """Whether a card is read by :func:`expr_element` (B cards; E/G cards with value=)."""
    c = text[0]
    if c in "bB":
        return True
    return c in "eEgG" and _VALUE.search(text) is not None


_VALUE = re.compile(r"\s(value|vol|cur)\s*=", re.IGNORECASE)
_TABLE = re.compile(r"^\S+(?:\s+\S+){2}\s+(table)\b", re.IGNORECASE)


def reject_table_source(ll: LogicalLine) -> None:
    """``E1 out 0 TABLE {expr} = (x1, y1) ...`` is not supported: say so (the generic parse
    would stop at its '=')."""
    m = _TABLE.match(ll.text)
    if m is not None:
        raise NetlistSyntaxError(
            "TABLE controlled sources are not supported", ll.span(m.start(1), m.end(1)),
            hint="write it as value={pwl(v(in), x1, y1, x2, y2, ...)}; pwl extends its end "
                 "segments, so add far points (e.g. -1e6, y1 and 1e6, yn) to hold the ends")

__all__ = [
    "SubcktOpen",
    "SubcktClose",
    "card_statement",
    "param_decl",
    "func_def",
    "expr_element",
    "is_expr_element",
    "reject_table_source",
    "assignments",
    "Statement",
]
