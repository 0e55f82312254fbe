"""The netlist abstract syntax tree: frozen dataclasses, each with the Span it came from.

The parser produces a :class:`Netlist` whose ``statements`` keep source order. Names are
lower-cased by the parser (SPICE is case-insensitive); ``Token.text`` keeps the text as written
(lower-cased too) so that elaboration decides by position whether a word is a node, a number or
a model name (SPICE node names may be numbers, e.g. ``R1 1 2 1k``).

``.include`` and ``.lib file section`` are resolved by the parser: the statements of the included
file (or library section) are spliced in place, each keeping a Span into its own file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netsim.errors import Span

# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Expr:
    span: Span


@dataclass(frozen=True)
class Num(Expr):
    value: float


@dataclass(frozen=True)
class Name(Expr):
    """A parameter (or .func argument) reference, lower-cased."""

    name: str


@dataclass(frozen=True)
class Unary(Expr):
    op: str  # '-', '+', '!'
    operand: Expr


@dataclass(frozen=True)
class Binary(Expr):
    # '+','-','*','/','**' ('^' is normalised to '**'),'==','!=','<','<=','>','>=','&&','||'
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Ternary(Expr):
    cond: Expr
    then: Expr
    otherwise: Expr


@dataclass(frozen=True)
class Call(Expr):
    """A built-in or ``.func`` function call: ``sqrt(x)``, ``max(a, b)``, ``myf(1, 2)``."""

    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Probe(Expr):
    """A circuit quantity inside an expression: ``v(a)``, ``v(a, b)``, ``i(vsense)``.

    kind is 'v' or 'i'; nodes holds one or two node names (kind 'v') or one element name
    (kind 'i'), lower-cased, as written (node names may look like numbers: ``v(1)``).
    """

    kind: str
    nodes: tuple[str, ...]


# --------------------------------------------------------------------------- element atoms


@dataclass(frozen=True)
class Token:
    """A bare word or number on a card: a node name, a value like ``1k``, a model name, a
    keyword like ``dc``/``ac``/``uic``. Lower-cased."""

    text: str
    span: Span


@dataclass(frozen=True)
class Braced:
    """An expression written ``{...}`` or ``'...'``."""

    expr: Expr
    span: Span


@dataclass(frozen=True)
class Group:
    """A word followed by a parenthesised list: ``pulse(0 1 1n)``, ``sin(0 1 1meg)``,
    ``v(out)``, ``pwl(0 0 1n 1) r=0``; also a bare parenthesised list (name '').

    args are atoms; commas are accepted as separators and dropped.
    """

    name: str
    args: tuple[Atom, ...]
    span: Span


@dataclass(frozen=True)
class ListValue:
    """A bracketed list ``[2.1g 2.3g]`` (multi-tone RF ports)."""

    items: tuple[Atom, ...]
    span: Span


Atom = Token | Braced | Group | ListValue


@dataclass(frozen=True)
class Param:
    """``name=value`` on a card. ``value`` is an atom (a Token, Braced, Group or ListValue)."""

    name: str
    value: Atom
    span: Span


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Statement:
    span: Span  # the whole first physical line of the card (for carets: the card's name)


@dataclass(frozen=True)
class Element(Statement):
    """An element card ``R1 a b 1k tc1=1m``: name, positional atoms, then key=value params.

    ``name`` is lower-cased (e.g. 'r1'); ``name_span`` covers the name. Positional atoms may be
    interleaved with params in the source (``V1 a 0 dc 1 ac 1``, ``M1 d g s b nch w=1u l=1u``):
    params keeps every ``k=v`` in order, atoms every other item in order.
    """

    name: str
    name_span: Span
    atoms: tuple[Atom, ...]
    params: tuple[Param, ...]


@dataclass(frozen=True)
class ParamDecl(Statement):
    """``.param a=1 b={a*2}`` (also ``.param a 1`` is rejected by the parser)."""

    params: tuple[Param, ...]


@dataclass(frozen=True)
class FuncDef(Statement):
    """``.func name(arg1, arg2) {expr}`` (or ``= expr`` / ``'expr'``)."""

    name: str
    args: tuple[str, ...]
    body: Expr


@dataclass(frozen=True)
class ModelDef(Statement):
    """``.model name type(k=v ...)`` with or without parentheses; type lower-cased."""

    name: str
    type: str
    params: tuple[Param, ...]


@dataclass(frozen=True)
class SubcktDef(Statement):
    """``.subckt name port... [params: a=1 b=2]`` ... ``.ends``; body in source order.

    Nested ``.subckt`` definitions inside the body are allowed (they are local to it).
    ``params`` also collects ``k=v`` written without the ``params:`` keyword.
    """

    name: str
    ports: tuple[str, ...]
    port_spans: tuple[Span, ...]
    params: tuple[Param, ...]
    body: tuple[Statement, ...]


@dataclass(frozen=True)
class Directive(Statement):
    """Any other dot card, interpreted by elaboration: ``.op``, ``.dc``, ``.ac``, ``.tran``,
    ``.options``, ``.ic``, ``.nodeset``, ``.temp``, ``.print``, ``.save``, ``.end``, ``.hb``,
    ``.energy``, ``.step``...

    ``name`` is lower-cased without the dot ('tran'); atoms and params as on an Element.
    ``.ic v(a)=1`` is represented as a Param whose name is 'v(a)'.
    """

    name: str
    name_span: Span
    atoms: tuple[Atom, ...]
    params: tuple[Param, ...]


@dataclass(frozen=True)
class Netlist:
    """A parsed netlist: title (first line, verbatim) and statements (includes spliced)."""

    title: str
    statements: tuple[Statement, ...]
    file: str
    files: tuple[str, ...] = field(default=())  # every file read (main first), for diagnostics
