"""Logical cards -> items (lark LALR with an in-parser transformer, so no parse tree is built).

:func:`parse_cards` parses many cards in one lark call (one card per line of the batch text) and
returns, per card, ``[head_token, item, item, ...]`` where items are AST atoms and Params (and
:class:`ParamGroup` for ``type(k=v ...)`` on ``.model`` cards). :func:`parse_expression` parses
one expression (``{...}``, ``'...'`` or bare) inside a card. Every lark error becomes a
:class:`~netsim.errors.NetlistSyntaxError` pointing at the physical line and column.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from lark import Lark, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from netsim.errors import NetlistSyntaxError, Span
from netsim.syntax.ast import (
    Binary,
    Braced,
    Call,
    Expr,
    Group,
    ListValue,
    Name,
    Num,
    Param,
    Probe,
    Ternary,
    Token,
    Unary,
)
from netsim.syntax.lines import LogicalLine
from netsim.units import parse_number


@dataclass(frozen=True)
class ParamGroup:
    """A parenthesised list holding ``k=v`` items (only valid as ``.model name type(k=v ...)``)."""

    name: str
    args: tuple
    span: Span


class _Build(Transformer):
    """Builds AST nodes while lark reduces; ``lls``/``offset`` map lark positions to Spans."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.lls: list[LogicalLine] = []
        self.offset = 0

    def _span(self, tok) -> Span:
        off = self.offset
        return self.lls[tok.line - 1].span(tok.column - 1 + off, tok.end_column - 1 + off)

    def _span2(self, first, last) -> Span:
        off = self.offset
        ll = self.lls[first.line - 1]
        return ll.span(first.column - 1 + off, last.end_column - 1 + off)

    # ------------------------------------------------------------------ cards
    def start(self, children):
        return children

    def card(self, children):
        return children

    def token(self, children):
        tok = children[0]
        return Token(str(tok), self._span(tok))

    def param(self, children):
        tok, value = children
        span = self._span(tok)
        return Param(str(tok), value, span.to(_atom_span(value)))

    def vparam(self, children):
        tok, *items = children
        span = self._span(tok)
        value = ListValue(tuple(items), _atom_span(items[0]).to(_atom_span(items[-1])))
        return Param(str(tok), value, span.to(value.span))

    def gparam(self, children):
        group, value = children
        if isinstance(group, ParamGroup):
            _raise_param_in_group(group)
        return Param(group_text(group), value, group.span.to(_atom_span(value)))

    def braced(self, children):
        first, expr, last = children
        return Braced(expr, self._span2(first, last))

    def group(self, children):
        tok, _, *items, last = children
        return _make_group(str(tok), items, self._span2(tok, last))

    def bgroup(self, children):
        first, *items, last = children
        return _make_group("", items, self._span2(first, last))

    def list(self, children):
        first, *items, last = children
        return ListValue(tuple(items), self._span2(first, last))

    # ------------------------------------------------------------------ expressions
    def num(self, children):
        tok = children[0]
        return Num(self._span(tok), parse_number(str(tok), expression=True))

    def name(self, children):
        tok = children[0]
        return Name(self._span(tok), str(tok))

    def paren(self, children):
        return children[1]

    def binop(self, children):
        left, op, right = children
        text = "**" if op == "^" else str(op)
        return Binary(left.span.to(right.span), text, left, right)

    def unop(self, children):
        op, operand = children
        return Unary(self._span(op).to(operand.span), str(op), operand)

    def ternary(self, children):
        cond, _, then, _, otherwise = children
        return Ternary(cond.span.to(otherwise.span), cond, then, otherwise)

    def call(self, children):
        tok, _, *args, last = children
        args = [a for a in args if a is not None]
        span = self._span2(tok, last)
        func = str(tok)
        if func in ("v", "i"):
            return _make_probe(func, args, span)
        return Call(span, func, tuple(args))


def _atom_span(atom) -> Span:
    return atom.span


def group_text(group: Group) -> str:
    """``v(a,b)`` for the group v(a b): the name of a ``.ic v(a)=1`` style parameter."""
    parts = []
    for arg in group.args:
        if isinstance(arg, Token):
            parts.append(arg.text)
        elif isinstance(arg, Group):
            parts.append(group_text(arg))
        else:
            raise NetlistSyntaxError(
                "expected a node or element name inside a parameter name",
                arg.span,
                hint="write e.g. `.ic v(out)=1`",
            )
    return f"{group.name}({','.join(parts)})"


def _make_group(name: str, items: list, span: Span):
    if any(isinstance(item, Param) for item in items):
        return ParamGroup(name, tuple(items), span)
    return Group(name, tuple(items), span)


def _raise_param_in_group(group: ParamGroup):
    param = next(item for item in group.args if isinstance(item, Param))
    label = f"'{group.name}(...)'" if group.name else "'(...)'"
    raise NetlistSyntaxError(
        f"unexpected parameter '{param.name}=' inside {label}",
        param.span,
        hint="name=value lists in parentheses are only allowed on .model cards; "
        "write parameters outside the parentheses",
    )


def _make_probe(kind: str, args: list[Expr], span: Span) -> Probe:
    nodes = []
    for arg in args:
        if isinstance(arg, Name):
            nodes.append(arg.name)
        elif isinstance(arg, Num):
            s = arg.span
            nodes.append(s.source[s.col - 1 : s.end_col - 1].lower())
        else:
            what = "a node name" if kind == "v" else "an element name"
            raise NetlistSyntaxError(
                f"{kind}() takes {what}, not an expression",
                arg.span,
                hint="write v(node), v(node1, node2) or i(vsource)",
            )
    allowed = (1, 2) if kind == "v" else (1,)
    if len(nodes) not in allowed:
        want = "one or two node names" if kind == "v" else "one element name"
        raise NetlistSyntaxError(
            f"{kind}() takes {want}, got {len(nodes)}",
            span,
            hint="write v(node), v(node1, node2) or i(vsource)",
        )
    return Probe(span, kind, tuple(nodes))


_GRAMMAR = (Path(__file__).parent / "grammar.lark").read_text()
_LOCK = threading.Lock()
_BUILD = _Build()
_PARSER = Lark(
    _GRAMMAR,
    parser="lalr",
    lexer="contextual",
    start=["start", "braced", "expr"],
    transformer=_BUILD,
    maybe_placeholders=False,
    # the LALR tables are cached in the temp folder (keyed by grammar, options and lark
    # version): building them costs ~0.1 s on every start-up, loading them ~0.01 s
    cache=True,
)


_SPECIAL = re.compile(r"[(){}\[\]'\",]")
_FAST_TOKEN = re.compile(r"[^\s=]+|=")


def _fast_card(ll: LogicalLine, text: str) -> list | None:
    """Items of a card made only of words and ``name=word`` (no brackets, quotes or commas),
    read with one regex: the same result the grammar gives, without lark (the common case).
    None when the card needs the full grammar (or is malformed, so lark reports the error)."""
    if _SPECIAL.search(text) is not None:
        return None
    found = [(m.start(), m.end(), m.group()) for m in _FAST_TOKEN.finditer(text)]
    head = found[0][2]
    if head == "=":
        return None
    items: list = [head]
    single = ll.pieces is None
    if single:
        file, line, base, source = ll.file, ll.line, ll.col + 1, ll.source
    n = len(found)
    k = 1
    while k < n:
        start, end, word = found[k]
        if word == "=":
            return None
        span = Span(file, line, base + start, base + end, source) if single else ll.span(start, end)
        if k + 1 < n and found[k + 1][2] == "=":
            if k + 2 >= n or found[k + 2][2] == "=":
                return None
            vs, ve, value = found[k + 2]
            vspan = Span(file, line, base + vs, base + ve, source) if single else ll.span(vs, ve)
            items.append(Param(word, Token(value, vspan), span.to(vspan)))
            k += 3
        else:
            items.append(Token(word, span))
            k += 1
    return items


def parse_cards(lls: list[LogicalLine]) -> list[list]:
    """Parse every card of ``lls``; per card ``[head, item, ...]`` (head: the first word).

    Cards of plain words and ``name=word`` items take a regex fast path; the others are parsed
    together in one lark call.
    """
    out: list = [None] * len(lls)
    slow: list[int] = []
    for index, ll in enumerate(lls):
        items = _fast_card(ll, ll.text.lower())
        if items is None:
            slow.append(index)
        else:
            out[index] = items
    if not slow:
        return out
    hard = [lls[i] for i in slow]
    text = "\n".join(ll.text for ll in hard).lower()
    with _LOCK:
        _BUILD.lls = hard
        _BUILD.offset = 0
        try:
            parsed = _PARSER.parse(text, start="start")
        except UnexpectedInput as err:
            raise _diagnose(err, hard, 0, text) from None
        finally:
            _BUILD.lls = []
    for index, items in zip(slow, parsed, strict=True):
        items[0] = str(items[0])
        out[index] = items
    return out


def parse_expression(ll: LogicalLine, start: int, end: int) -> Braced:
    """The expression written in ``ll.text[start:end]``, with or without ``{}`` / ``''``."""
    sub = ll.text[start:end].lower()
    with _LOCK:
        _BUILD.lls = [ll]
        _BUILD.offset = start
        try:  # quotes are a primary of the grammar: 'a' * v(b) is one expression
            expr = _PARSER.parse(sub, start="expr")
            lead = len(sub) - len(sub.lstrip())
            return Braced(expr, ll.span(start + lead, start + len(sub.rstrip())))
        except UnexpectedInput as err:
            raise _diagnose(err, [ll], start, sub) from None
        finally:
            _BUILD.lls = []


# --------------------------------------------------------------------------- diagnostics

_OPEN = {"(": ")", "{": "}", "[": "]"}
_CLOSE = {")": "(", "}": "{", "]": "["}

_FRIENDLY = {
    "WORD": "a name or value",
    "NUMBER": "a number",
    "NAME": "a name",
    "LPAR": "'('",
    "RPAR": "')'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LBRACK": "'['",
    "RBRACK": "']'",
    "QUOTE": "a closing quote (')",
    "COLON": "':'",
    "EQUAL": "'='",
    "COMMA": "','",
}


def check_brackets(text: str) -> tuple[str, int, str | None] | None:
    """The first bracket problem of a card: (message, offset, hint), or None if balanced."""
    stack: list[tuple[str, int]] = []
    quote = -1
    for pos, ch in enumerate(text):
        if ch == "'":
            quote = pos if quote < 0 else -1
        elif ch in _OPEN:
            stack.append((ch, pos))
        elif ch in _CLOSE:
            if stack and stack[-1][0] == _CLOSE[ch]:
                stack.pop()
            elif any(opener == _CLOSE[ch] for opener, _ in stack):
                opener, at = stack[-1]
                return (f"unclosed '{opener}'", at, f"add '{_OPEN[opener]}' before '{ch}'")
            else:
                return (f"unexpected '{ch}'", pos, f"remove it, or add the matching '{_CLOSE[ch]}'")
    if quote >= 0:
        return ("unclosed quote (')", quote, "close the expression with a second '")
    if stack:
        opener, at = stack[-1]
        return (
            f"unclosed '{opener}'",
            at,
            f"add '{_OPEN[opener]}' (a card ends at the end of its line and its '+' lines)",
        )
    return None


_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "PERCENT", "POW", "EQ", "NE", "LT", "LE", "GT",
              "GE", "AND", "OR", "QMARK"}
_EXPR_TERMS = _OPERATORS | {"NAME", "NUMBER", "NOT"}


def _describe_expected(expected) -> str:
    expected = set(expected)
    if expected & {"NAME", "NUMBER"}:
        return ", expected a number, a name or '('"
    if expected & (_OPERATORS - {"PLUS", "MINUS"}):
        return ", expected an operator"
    names = sorted({_FRIENDLY.get(t, "") for t in expected} - {""})
    if not names or len(names) > 4:
        return ""
    return ", expected " + " or ".join(names)


def _diagnose(
    err: UnexpectedInput, lls: list[LogicalLine], offset: int, text: str
) -> NetlistSyntaxError:
    """Turn a lark error into a NetlistSyntaxError at the right physical place."""
    line = getattr(err, "line", -1)
    column = getattr(err, "column", -1)
    if isinstance(err, UnexpectedToken) and err.token.type == "$END":
        line, column = len(lls), len(text.split("\n")[-1]) + 1
    if line is None or line < 1:
        line, column = len(lls), len(text.split("\n")[-1]) + 1
    ll = lls[line - 1]
    base = offset if len(lls) == 1 else 0
    brackets = check_brackets(ll.text)
    if brackets is not None:
        message, at, hint = brackets
        return NetlistSyntaxError(message, ll.span(at, at + 1), hint=hint)
    pos = column - 1 + base
    if isinstance(err, UnexpectedCharacters):
        ch = ll.text[pos] if pos < len(ll.text) else ""
        in_expr = "NAME" in err.allowed or "NUMBER" in err.allowed
        where = " in expression" if in_expr else ""
        hint = None
        if ch == '"':
            hint = "double quotes are only allowed around .include/.lib paths"
        elif ch == "=":
            hint = "write parameters as name=value after the positional items"
        elif in_expr:
            hint = "expressions use + - * / ** ^ == != < <= > >= && || ! ?: and f(x)"
        return NetlistSyntaxError(
            f"unexpected '{ch}'{where}", ll.span(pos, pos + 1), hint=hint
        )
    if isinstance(err, UnexpectedToken):
        tok = err.token
        expected = _describe_expected(err.expected)
        if tok.type in ("$END", "_NL"):
            span = ll.span(max(0, len(ll.text) - 1), len(ll.text))
            return NetlistSyntaxError(f"unexpected end of card{expected}", span)
        value = str(tok)
        tpos = tok.column - 1 + base
        in_expr = bool(set(err.expected) & _EXPR_TERMS)
        hint = None
        if in_expr and tok.type == "WORD":
            value = value[0]  # a character no expression token starts with
            hint = "expressions use + - * / ** ^ == != < <= > >= && || ! ?: and f(x)"
        span = ll.span(tpos, tpos + max(1, len(value)))
        if value == "=":
            hint = "write parameters as name=value (the name is a single word)"
        where = " in expression" if in_expr else ""
        return NetlistSyntaxError(f"unexpected '{value}'{where}{expected}", span, hint=hint)
    return NetlistSyntaxError("invalid syntax", ll.card_span())  # pragma: no cover
