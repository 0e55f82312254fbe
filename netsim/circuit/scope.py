"""Lexical scopes of elaboration: parameters, functions, models and subcircuit definitions.

The top level is one scope; each subcircuit instance opens a child scope whose parameters are
the definition's defaults, overridden by the instance's values, then its local ``.param``
cards. Models and subcircuits defined inside a ``.subckt`` are visible only inside it (and its
children); lookups walk outwards.
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field

from netsim.errors import ElaborationError, Span, did_you_mean
from netsim.syntax import ast
from netsim.syntax.expr import evaluate
from netsim.units import parse_number

# names every expression may use (SPICE's temperature variables are set per run)
BUILTIN_PARAMS = {"pi": 3.141592653589793}


@dataclass
class Scope:
    """One level of names. ``prefix`` is the hierarchical prefix of instances ('' or 'x1.')."""

    prefix: str = ""
    parent: Scope | None = None
    params: dict[str, float] = field(default_factory=dict)
    funcs: dict[str, ast.FuncDef] = field(default_factory=dict)
    models: dict[str, ast.ModelDef] = field(default_factory=dict)
    subckts: dict[str, ast.SubcktDef] = field(default_factory=dict)
    overrides: dict[str, float] = field(default_factory=dict)  # values replacing .param cards

    def chain(self) -> ChainMap:
        maps = []
        s: Scope | None = self
        while s is not None:
            maps.append(s.params)
            s = s.parent
        return ChainMap(*maps, BUILTIN_PARAMS)

    def all_funcs(self) -> ChainMap:
        maps = []
        s: Scope | None = self
        while s is not None:
            maps.append(s.funcs)
            s = s.parent
        return ChainMap(*maps)

    def find(self, table: str, name: str):
        """(definition, defining scope) of a model or subckt, walking outwards, or None."""
        s: Scope | None = self
        while s is not None:
            found = getattr(s, table).get(name)
            if found is not None:
                return found, s
            s = s.parent
        return None

    def names(self, table: str) -> set[str]:
        out: set[str] = set()
        s: Scope | None = self
        while s is not None:
            out.update(getattr(s, table))
            s = s.parent
        return out

    # ---------------------------------------------------------------- evaluation
    def value(self, atom, what: str = "a number", definition: bool = False) -> float:
        """Evaluate a numeric atom: a number token, a parameter name, or an expression.
        definition: the atom defines a parameter, so a number is read as ngspice's numparam
        reads it (``1mil`` is 1e-3 there, see netsim.units)."""
        if isinstance(atom, ast.Token):
            number = parse_number(atom.text, expression=definition)
            if number is not None:
                return number
            chain = self.chain()
            if atom.text in chain:
                return float(chain[atom.text])
            hint = did_you_mean(atom.text, set(chain))
            raise ElaborationError(
                f"expected {what}, found '{atom.text}'",
                atom.span,
                hint=hint or "numbers take SPICE suffixes (1k, 2.2u, 3meg); "
                "expressions go in braces: {2*rload}",
            )
        if isinstance(atom, ast.Braced):
            return float(evaluate(atom.expr, self.chain(), self.all_funcs()))
        raise ElaborationError(f"expected {what}, found {describe(atom)}", span_of(atom))

    def define_params(self, params: list[ast.Param]) -> None:
        """Evaluate the ``.param`` assignments of this scope in dependency order (a parameter
        may use one defined further down); a circular definition is an error."""
        pending = {p.name: p for p in params}
        for name in dependency_order(pending):
            if name in self.overrides:
                self.params[name] = float(self.overrides[name])
                continue
            p = pending[name]
            self.params[name] = self.value(p.value, f"a value for parameter '{name}'", True)

    def define_subckt_params(self, formals: list[ast.Param], given: dict[str, ast.Param],
                             caller: Scope) -> None:
        """The parameters of a subcircuit instance, as ngspice (numparam) evaluates them: each
        is its instance value (``given``) or its default, in dependency order; a name of
        another parameter of the subcircuit means that parameter's final value, any other name
        (and the parameter's own, as in ``x1 ... gain={gain}``) is looked up outside: in the
        caller's scope for an instance value, the definition's for a default. So
        ``x1 a b div r2={r1}`` gives r2 the subcircuit's r1, not the caller's."""
        chosen = {p.name: given.get(p.name, p) for p in formals}
        for name in dependency_order(chosen):
            outside = caller if name in given else self.parent
            view = Scope(parent=outside, params=dict(self.params))
            self.params[name] = view.value(chosen[name].value, f"a value for '{name}'", True)


def dependency_order(pending: dict[str, ast.Param]) -> list[str]:
    """Names of ``pending`` ordered so that each comes after the others its value uses (a
    name's use of itself refers outside); a circular definition is an error."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name):] + [name]
            raise ElaborationError(
                f"circular parameter definition: {' -> '.join(cycle)}",
                pending[name].span, hint="break the cycle by giving one of them a number")
        state[name] = 1
        for dep in sorted(names_in(pending[name].value)):
            if dep in pending and dep != name:
                visit(dep, [*path, name])
        state[name] = 2
        order.append(name)

    for name in pending:
        visit(name, [])
    return order


def names_in(atom) -> set[str]:
    """Parameter names an atom's expression refers to (empty for plain numbers)."""
    if isinstance(atom, ast.Token):
        return set() if parse_number(atom.text) is not None else {atom.text}
    if not isinstance(atom, ast.Braced):
        return set()
    found: set[str] = set()
    stack: list = [atom.expr]
    while stack:
        e = stack.pop()
        if isinstance(e, ast.Name):
            found.add(e.name)
        elif isinstance(e, ast.Unary):
            stack.append(e.operand)
        elif isinstance(e, ast.Binary):
            stack.extend((e.left, e.right))
        elif isinstance(e, ast.Ternary):
            stack.extend((e.cond, e.then, e.otherwise))
        elif isinstance(e, ast.Call):
            stack.extend(e.args)
    return found


def span_of(atom) -> Span | None:
    return getattr(atom, "span", None)


def describe(atom) -> str:
    """Short human description of an atom for messages."""
    if isinstance(atom, ast.Token):
        return f"'{atom.text}'"
    if isinstance(atom, ast.Group):
        return f"'{atom.name}(...)'"
    if isinstance(atom, ast.ListValue):
        return f"a list of {len(atom.items)} values"
    if isinstance(atom, ast.Braced):
        return "an expression"
    return "something else"
