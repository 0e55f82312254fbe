"""AST -> Circuit: parameters, models, subcircuit flattening, hierarchical names, directives.

Decisions (ngspice-compatible unless noted):

- Names are case-insensitive (the parser lower-cases them). Inside subcircuit instance ``x1``,
  element ``r1`` becomes ``x1.r1`` and local node ``n`` becomes ``x1.n``; ports map to the
  nodes given on the X card; ``0``/``gnd`` and ``.global`` nodes are never prefixed.
- ``.param`` cards are evaluated in source order before the elements of their scope (so an
  element may use a parameter defined below it). Subcircuit parameters: the definition's
  defaults, overridden by the X card's values, then the body's own ``.param`` cards. As in
  ngspice, a value on the X card that names another parameter of the subcircuit gets that
  parameter's final value (``x1 a b div r2={r1}``: the subcircuit's r1); other names, and a
  parameter's own (``gain={gain}``), come from the caller (Scope.define_subckt_params).
- ``m=`` on an X card (not a declared parameter) is that many parallel copies: it multiplies
  the m of every R, C, L, D, M, I, G and F inside, as ngspice does (B, E, H and V sources have
  no m there and are left alone). Nested X cards' m multiply (ngspice keeps only the outer
  one, which copies the inner subcircuit fewer times than the netlist says).
- A bare word where a value is expected may name a parameter (an extension: ngspice needs
  braces); a word that is neither a number nor a parameter is an error.
- Models and subcircuits are looked up from the innermost scope outwards; a model defined
  inside a ``.subckt`` is local to it.
- Every directive netsim cannot honour is an error at its location (see directives.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from netsim.circuit import directives, elements
from netsim.circuit.circuit import GROUND, Circuit, Instance, ModelCard
from netsim.circuit.graph import check_topology
from netsim.circuit.scope import Scope, describe, span_of
from netsim.devices.base import REGISTRY
from netsim.devices.behavioural import TIME_COLUMN
from netsim.errors import Diagnostic, ElaborationError, did_you_mean
from netsim.syntax import ast
from netsim.syntax.expr import compile_behavioural
from netsim.syntax.parser import parse_file, parse_text

GROUND_NAMES = {"0", "gnd"}
BRANCH_FAMILIES = {"vsource", "inductor", "vcvs", "ccvs", "port"}


# families whose m= counts parallel copies, so an X card's m= multiplies it (as in ngspice;
# B sources, E, H and V have no m there and are not copied)
PARALLEL_FAMILIES = {"resistor", "capacitor", "inductor", "diode", "mos1", "isource", "vccs",
                     "cccs"}


class Elaborator:
    """Walks the AST once, producing flat instances and the circuit's directives."""

    def __init__(self, netlist: ast.Netlist, overrides: dict[str, float] | None = None) -> None:
        self.netlist = netlist
        self.overrides = dict(overrides or {})
        self.instances: list[Instance] = []
        self.seen: dict[str, Instance] = {}
        self.global_nodes: set[str] = set()
        self.options: dict = {}
        self.pending_mutuals: list[tuple[Instance, ast.Element]] = []
        self.control_spans: dict = {}
        self.output_spans: dict = {}
        self.ic_spans: dict = {}
        self.step_cards: list[list[dict[str, float]]] = []
        self.step_spans: list = []  # the .step card of each entry of step_cards
        self.warned_models: set[str] = set()  # models already warned about (once each)
        self.data_tables: dict[str, list[dict[str, float]]] = {}
        self.model_cache: dict[tuple[int, int], ModelCard] = {}
        self.circuit = Circuit(title=netlist.title, instances=self.instances, file=netlist.file)
        # per-instance state while walking a subcircuit body
        self.prefix = ""
        self.port_map: dict[str, str] = {}
        self.stack: list[str] = []
        self.multiplier = 1.0  # product of the enclosing X cards' m= (parallel copies)

    # ---------------------------------------------------------------- naming
    def node(self, token: ast.Token) -> str:
        name = token.text
        if name in GROUND_NAMES:
            return GROUND
        if name in self.port_map:
            return self.port_map[name]
        if name in self.global_nodes:
            return name
        return self.prefix + name

    def element_name(self, name: str) -> str:
        return self.prefix + name

    def reference_name(self, name: str) -> str:
        """The element a reference names (F/H/K controls, i() probes and outputs, .dc
        sources): ngspice's name of an element inside a subcircuit instance, its letter then
        the path (``v.x1.x2.vs``), is netsim's ``x1.x2.vs``."""
        parts = name.split(".")
        if len(parts) >= 3 and len(parts[0]) == 1 and parts[-1].startswith(parts[0]) \
                and all(part.startswith("x") for part in parts[1:-1]):
            name = name[2:]
        return self.prefix + name

    def instance(self, el: ast.Element, family: str, nodes, params, model=None) -> Instance:
        mapped = tuple(self.node(t) for t in nodes)
        if self.multiplier != 1.0 and family in PARALLEL_FAMILIES:
            params = {**params, "m": float(params.get("m", 1.0)) * self.multiplier}
        return Instance(self.element_name(el.name), family, mapped, params, el.span, model)

    # ---------------------------------------------------------------- models
    def model(self, atom, scope: Scope, types: tuple[str, ...], what: str) -> ModelCard:
        if not isinstance(atom, ast.Token):
            raise ElaborationError(f"expected a model name for {what}, found {describe(atom)}",
                                   span_of(atom))
        found = scope.find("models", atom.text)
        if found is None:
            known = {n for n in scope.names("models")}
            raise ElaborationError(
                f"unknown model '{atom.text}' for {what}",
                atom.span,
                hint=did_you_mean(atom.text, known)
                or f"define it with `.model {atom.text} {types[0]}(...)`",
            )
        mdef, mscope = found
        if mdef.type not in types:
            raise ElaborationError(
                f"model '{mdef.name}' is of type '{mdef.type}', but a {what} needs "
                + " or ".join(f"'{t}'" for t in types),
                atom.span,
            )
        # a top-level model is evaluated once; a model local to a subcircuit is evaluated in
        # the scope of each instance, so it may use that instance's parameters
        top_level = mscope is self.top
        key = (id(mdef), 0 if top_level else id(scope))
        card = self.model_cache.get(key)
        if card is None:
            eval_scope = self.top if top_level else scope
            params = {}
            for p in mdef.params:
                params[p.name] = eval_scope.value(
                    p.value, f"a value for model parameter '{p.name}'")
            card = ModelCard(mdef.name, mdef.type, params, mdef.span)
            self.model_cache[key] = card
        return card

    # ---------------------------------------------------------------- behavioural
    def behavioural_instance(self, el, nodes, expr: ast.Braced, output: str, scope: Scope):
        # 'time' (s) is a variable of the expression, fed from the analysis, not a parameter
        tree = _time_as_probe(expr.expr) if "time" not in scope.chain() else expr.expr
        function = compile_behavioural(tree, scope.chain(), scope.all_funcs())
        local_nodes = [self.node(t) for t in nodes]
        all_nodes = list(local_nodes)
        controls: list[str] = []
        refs: list[list] = []
        for probe in function.probes:
            if probe.kind == "t":
                refs.append([("time", "")])
            elif probe.kind == "v":
                mapped = [self.node(ast.Token(n, probe.span)) for n in probe.nodes]
                for m in mapped:
                    if m != GROUND and m not in all_nodes:
                        all_nodes.append(m)
                refs.append([None if m == GROUND else ("node", m) for m in mapped])
            else:
                name = self.reference_name(probe.nodes[0])
                if name not in controls:
                    controls.append(name)
                refs.append([("ctl", name)])

        def column(ref) -> int:
            if ref is None:
                return -1
            kind, name = ref
            if kind == "time":
                return TIME_COLUMN
            if kind == "node":
                return all_nodes.index(name)
            return len(all_nodes) + controls.index(name)

        # (plus, minus) local columns per probe; v(0, b) is fed as -v(b) through sign -1
        probe_columns = []
        for r in refs:
            plus, minus = column(r[0]), (column(r[1]) if len(r) > 1 else -1)
            probe_columns.append((plus, minus, 1.0) if plus != -1 else (minus, -1, -1.0))
        return Instance(self.element_name(el.name), "behavioural", tuple(all_nodes), {},
                        el.span, controls=tuple(controls),
                        extra={"function": function, "probe_columns": probe_columns,
                               "output": output})

    # ---------------------------------------------------------------- walking
    def _cannot_vary(self, name: str, span) -> ElaborationError:
        """The error for a .step/batch parameter the netlist does not define at top level."""
        params = set(self.top.params)
        return ElaborationError(
            f"cannot vary parameter '{name}': the netlist has no top-level .param '{name}'",
            span, hint=did_you_mean(name, params)
            or f"top-level parameters: {', '.join(sorted(params)) or 'none'}")

    def run(self) -> Circuit:
        self.top = Scope(overrides=self.overrides)
        self.walk(self.netlist.statements, self.top, top=True)
        for card, span in zip(self.step_cards, self.step_spans):
            for name in card[0]:
                if name not in self.top.params:
                    raise self._cannot_vary(name, span)
        unknown = set(self.overrides) - set(self.top.params)
        if unknown:
            raise self._cannot_vary(sorted(unknown)[0], None)
        self.resolve_mutuals()
        circuit = self.circuit
        circuit.options = self.options
        circuit.source = self.netlist
        circuit.steps = _combine_steps(self.step_cards)
        self.check_outputs()
        self.check_controls()
        self.check_sweeps()
        if "rshunt" in self.options:
            self.add_shunts(float(self.options["rshunt"]))
        check_topology(circuit)
        return circuit

    def add_shunts(self, resistance: float) -> None:
        """``.options rshunt=R``: a resistor R from every node to ground, as ngspice adds (it
        gives nodes joined only through capacitors or current sources a DC path)."""
        nodes = dict.fromkeys(n for inst in self.instances for n in inst.nodes if n != GROUND)
        for node in nodes:
            self.instances.append(Instance(f"rshunt({node})", "resistor", (node, GROUND),
                                           {"r": resistance}))

    def declare(self, statements, scope: Scope) -> None:
        """First pass over a body: definitions (params, funcs, models, subckts, globals)."""
        for st in statements:
            if isinstance(st, ast.FuncDef):
                scope.funcs[st.name] = st
            elif isinstance(st, ast.ModelDef):
                _define_once(scope.models, st, "model")
            elif isinstance(st, ast.SubcktDef):
                _define_once(scope.subckts, st, "subcircuit")
            elif isinstance(st, ast.Directive) and st.name == "global":
                for a in st.atoms:
                    if isinstance(a, ast.Token):
                        self.global_nodes.add(a.text)
        scope.define_params([p for st in statements if isinstance(st, ast.ParamDecl)
                             for p in st.params])

    def walk(self, statements, scope: Scope, top: bool = False) -> None:
        self.declare(statements, scope)
        for st in statements:
            if isinstance(st, ast.Element):
                self.element(st, scope)
            elif isinstance(st, ast.Directive):
                if st.name == "global":
                    continue
                if not top:
                    raise ElaborationError(
                        f"'.{st.name}' is not allowed inside a .subckt", st.name_span,
                        hint="move analysis and control cards to the top level")
                directives.apply(self, st, scope)

    def element(self, el: ast.Element, scope: Scope) -> None:
        letter = el.name[0]
        if "." in el.name:
            raise ElaborationError(
                f"element name '{el.name}' contains '.', which separates hierarchy levels",
                el.name_span, hint="rename the element without '.'")
        if letter == "x":
            self.subckt_instance(el, scope)
            return
        handler = elements.HANDLERS.get(letter)
        if handler is None:
            what = elements.UNSUPPORTED.get(letter)
            if what:
                raise ElaborationError(f"{what} are not supported ('{el.name}')", el.name_span,
                                       hint="supported elements: R C L K V I E F G H B D M N P X")
            raise ElaborationError(f"unknown element type '{letter.upper()}' ('{el.name}')",
                                   el.name_span,
                                   hint="element names start with one of R C L K V I E F G H B D "
                                   "M N P X")
        self.add(handler(el, scope, self))

    def add(self, inst: Instance) -> None:
        prev = self.seen.get(inst.name)
        if prev is not None:
            raise ElaborationError(
                f"duplicate element name '{inst.name}'", inst.span,
                notes=(f"first defined at {prev.span}",),
                hint="element names must be unique (case-insensitive)")
        self.seen[inst.name] = inst
        self.instances.append(inst)

    def subckt_instance(self, el: ast.Element, scope: Scope) -> None:
        tokens = [a for a in el.atoms]
        if not tokens or not isinstance(tokens[-1], ast.Token):
            raise ElaborationError(f"subcircuit instance '{el.name}' names no subcircuit",
                                   el.span, hint=f"write it as `{elements.FORMS['x']}`")
        name_tok = tokens[-1]
        found = scope.find("subckts", name_tok.text)
        if found is None:
            raise ElaborationError(
                f"unknown subcircuit '{name_tok.text}'", name_tok.span,
                hint=did_you_mean(name_tok.text, scope.names("subckts"))
                or f"define it with `.subckt {name_tok.text} ...` / `.ends`")
        sdef, def_scope = found
        if sdef.name in self.stack:
            chain = " -> ".join([*self.stack, sdef.name])
            raise ElaborationError(f"recursive subcircuit '{sdef.name}' ({chain})", el.span,
                                   hint="a subcircuit cannot contain an instance of itself")
        ports = tokens[:-1]
        for p in ports:
            if not isinstance(p, ast.Token):
                raise ElaborationError(f"expected a node name, found {describe(p)}", span_of(p))
        if len(ports) != len(sdef.ports):
            raise ElaborationError(
                f"subcircuit '{sdef.name}' has {len(sdef.ports)} ports "
                f"({' '.join(sdef.ports)}), '{el.name}' connects {len(ports)}",
                el.span, notes=(f"'{sdef.name}' is defined at {sdef.span}",))
        # parameters: defaults, overridden by the instance (Scope.define_subckt_params)
        child = Scope(prefix=self.prefix + el.name + ".", parent=def_scope)
        overrides = {p.name: p for p in el.params}
        declared = {p.name for p in sdef.params}
        copies = 1.0
        if "m" in overrides and "m" not in declared:  # SPICE's m= on an X card
            copies = scope.value(overrides.pop("m").value, "the multiplier m")
            if not copies > 0.0:
                raise ElaborationError(f"m= of '{el.name}' must be positive, got {copies:g}",
                                       el.span, hint="m is the number of parallel copies")
        for name, p in overrides.items():
            if name not in declared:
                raise ElaborationError(
                    f"subcircuit '{sdef.name}' has no parameter '{name}'", p.span,
                    hint=did_you_mean(name, declared)
                    or f"declared parameters: {', '.join(sorted(declared)) or 'none'}")
        child.define_subckt_params(sdef.params, overrides, scope)
        saved = (self.prefix, self.port_map, self.multiplier)
        new_map = {port: self.node(tok) for port, tok in zip(sdef.ports, ports)}
        self.prefix = child.prefix
        self.port_map = new_map
        self.multiplier *= copies
        self.stack.append(sdef.name)
        try:
            self.walk(sdef.body, child)
        finally:
            self.stack.pop()
            self.prefix, self.port_map, self.multiplier = saved

    def check_outputs(self) -> None:
        """Every .print/.save quantity must name an existing node or a branch current."""
        nodes = {n for inst in self.instances for n in inst.nodes}
        branches = {i.name for i in self.instances
                    if i.family in BRANCH_FAMILIES
                    or (i.family == "behavioural" and i.extra.get("output") == "v")}
        for name, span in list(self.output_spans.items()):
            inner = name[name.index("(") + 1:-1]  # vdb(a): the plain quantity's inside
            if name[0] == "x":
                device, state = inner.split("#")
                inst = self.seen.get(device)
                states = ([s.name for s in REGISTRY[inst.family].internal_unknowns(inst)
                           if s.kind == "s"] if inst is not None and inst.family in REGISTRY
                          else [])
                if state not in states:
                    raise ElaborationError(
                        f"cannot output {name}: " + (f"'{device}' has no state '{state}'"
                                                     if inst else f"no device '{device}'"),
                        span, hint=f"states of '{device}': {', '.join(states) or 'none'}"
                        if inst else did_you_mean(device, set(self.seen)))
            elif name[0] == "v":
                for node in inner.split(","):
                    if node not in nodes and node != GROUND:
                        raise ElaborationError(
                            f"cannot output {name}: no node '{node}' in the circuit", span,
                            hint=did_you_mean(node, nodes))
            elif inner in self.seen and inner not in branches:
                # a device's own current (i(r1), i(d1)): ngspice leaves it out of its output,
                # so the run goes on without that column
                self.circuit.warnings.append(Diagnostic(
                    f"cannot output {name}: '{inner}' carries no branch current; left out",
                    span, hint="currents are available for V sources, inductors and E/H/B "
                    "voltage sources; put a 0 V source in series to measure another current"))
                del self.output_spans[name]
                for names in self.circuit.prints.values():
                    while name in names:
                        names.remove(name)
            elif inner not in branches:
                raise ElaborationError(
                    f"cannot output {name}: no element '{inner}' in the circuit", span,
                    hint=did_you_mean(inner, set(self.seen)))

    def check_controls(self) -> None:
        """F/H and i() probes must name an element that carries a branch current."""
        for inst in self.instances:
            for ctl in inst.controls:
                if inst.family == "mutual":
                    continue
                span = self.control_spans.get(inst.name, inst.span)
                target = self.seen.get(ctl)
                if target is None:
                    raise ElaborationError(
                        f"'{inst.name}' senses the current of '{ctl}', but there is no element "
                        f"'{ctl}'", span,
                        hint=did_you_mean(ctl, set(self.seen)) or "sense currents with a 0 V "
                        "voltage source in series")
                if not (target.family in BRANCH_FAMILIES or (
                        target.family == "behavioural" and target.extra.get("output") == "v")):
                    raise ElaborationError(
                        f"'{inst.name}' senses the current of '{ctl}', which carries no branch "
                        "current", span,
                        hint="sense currents with a voltage source (e.g. a 0 V source in "
                        "series), an inductor, or an E/H source")

    def check_sweeps(self) -> None:
        """.dc sources must exist and be sweepable; .ic/.nodeset nodes must exist."""
        sweepable = {n: i for n, i in self.seen.items()
                     if i.family in ("vsource", "isource", "resistor", "port")}
        for request in self.circuit.analyses:
            if request.kind != "dc":
                continue
            for (name, values), span in zip(request.args["sweeps"], request.args["spans"]):
                if name == "temp":  # the circuit temperature (a T element is not supported)
                    continue
                if name not in sweepable:
                    raise ElaborationError(
                        f"cannot sweep '{name}': no V or I source or resistor of that name",
                        span, hint=did_you_mean(name, set(sweepable) | {"temp"})
                        or f"sweepable: {', '.join(sorted(sweepable)[:12] + ['temp'])}")
                if sweepable[name].family == "resistor" and np.any(values == 0.0):
                    raise ElaborationError(
                        f"the sweep takes resistor '{name}' through 0 ohm", span,
                        hint="sweep a resistance range that excludes 0")
        nodes = {n for inst in self.instances for n in inst.nodes}
        for table, spans in ((self.circuit.ic, self.ic_spans),
                             (self.circuit.nodeset, self.ic_spans)):
            for node in table:
                if node not in nodes:
                    raise ElaborationError(f"no node '{node}' in the circuit",
                                           spans.get(node), hint=did_you_mean(node, nodes))

    def resolve_mutuals(self) -> None:
        for inst, el in self.pending_mutuals:
            values = []
            for name, atom in zip(inst.controls, el.atoms[:2]):
                target = self.seen.get(name)
                if target is None or target.family != "inductor":
                    raise ElaborationError(
                        f"mutual inductance '{inst.name}' refers to '{name}', which is not an "
                        "inductor of this circuit", span_of(atom),
                        hint=did_you_mean(name, {n for n, i in self.seen.items()
                                                 if i.family == "inductor"}))
                values.append(float(target.params["l"]) / float(target.params.get("m", 1.0)))
            inst.params["l1"], inst.params["l2"] = values
            # their temperature coefficients scale the coupled inductances too
            inst.extra["inductors"] = tuple(self.seen[name] for name in inst.controls)


def _define_once(table: dict, st, what: str) -> None:
    """Add a .model/.subckt definition to its scope's table; a second one is an error."""
    if st.name in table:
        raise ElaborationError(f"{what} '{st.name}' is defined twice", st.span,
                               notes=(f"first defined at {table[st.name].span}",))
    table[st.name] = st


def _combine_steps(cards: list[list[dict[str, float]]]) -> list[dict[str, float]]:
    """Nested .step cards -> the list of variants (first card slowest)."""
    variants: list[dict[str, float]] = [{}] if cards else []
    for card in cards:
        variants = [{**v, **c} for v in variants for c in card]
    return variants


def _time_as_probe(expr: ast.Expr) -> ast.Expr:
    """The expression with every ``time`` name turned into a Probe of kind 't'."""
    if isinstance(expr, ast.Name):
        return ast.Probe(expr.span, "t", ()) if expr.name == "time" else expr
    changes = {}
    for f in dataclasses.fields(expr):
        value = getattr(expr, f.name)
        if isinstance(value, ast.Expr):
            changes[f.name] = _time_as_probe(value)
        elif isinstance(value, tuple) and value and isinstance(value[0], ast.Expr):
            changes[f.name] = tuple(_time_as_probe(v) for v in value)
    return dataclasses.replace(expr, **changes) if changes else expr


def elaborate(netlist: ast.Netlist, overrides: dict[str, float] | None = None) -> Circuit:
    """Turn a parsed netlist into a flat Circuit (raises NetsimError subclasses).

    overrides: values replacing top-level ``.param`` values (parameters computed from them
    follow), for sweeps and batches of variants.
    """
    return Elaborator(netlist, overrides).run()


def elaborate_file(path: str | Path) -> Circuit:
    return elaborate(parse_file(path))


def elaborate_text(text: str, filename: str = "<string>") -> Circuit:
    return elaborate(parse_text(text, filename))
