"""Element cards -> Instances, one handler per SPICE letter.

Each handler reads the card's positional atoms and ``k=v`` params by position (SPICE style),
evaluates values in the card's scope and returns the Instance. Nodes are mapped to
hierarchical names by the elaborator (``el.node``). Unknown parameters, missing values and
wrong terminal counts are errors at the card, with a hint showing the expected form.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from typing import TYPE_CHECKING

from netsim.circuit.circuit import Instance
from netsim.circuit.scope import Scope, describe, span_of
from netsim.devices.mosfet import IGNORED_AT_LEVEL_1
from netsim.devices.port import PARAM_NAMES as PORT_PARAMS
from netsim.devices.port import parse_port_card
from netsim.devices.sources import parse_source_spec
from netsim.errors import Diagnostic, ElaborationError, did_you_mean
from netsim.syntax import ast
from netsim.units import parse_number

if TYPE_CHECKING:
    from netsim.circuit.elaborate import Elaborator

FORMS = {
    "r": "R<name> n+ n- <value> [tc1=..] [tc2=..] [m=..]",
    "c": "C<name> n+ n- <value> [ic=..] [m=..]",
    "l": "L<name> n+ n- <value> [ic=..] [m=..]",
    "k": "K<name> L<a> L<b> <coupling>",
    "v": "V<name> n+ n- [dc] <value> [ac <mag> [<phase>]] [pulse(...)|sin(...)|...]",
    "i": "I<name> n+ n- [dc] <value> [ac <mag> [<phase>]] [pulse(...)|sin(...)|...]",
    "e": "E<name> n+ n- nc+ nc- <gain>  or  E<name> n+ n- value={expr}",
    "g": "G<name> n+ n- nc+ nc- <gm>  or  G<name> n+ n- value={expr}",
    "f": "F<name> n+ n- <vsense> <gain>",
    "h": "H<name> n+ n- <vsense> <transresistance>",
    "b": "B<name> n+ n- v={expr} [m=]  or  B<name> n+ n- i={expr} [m=]",
    "d": "D<name> anode cathode <model> [area] [off] [ic=..] [m=..]",
    "m": "M<name> d g s b <model> [w=..] [l=..] [ad=..] [as=..] [pd=..] [ps=..] [m=..]",
    "x": "X<name> node... <subckt> [params: k=v ...]",
    "n": "N<name> node... <model> [k=v ...]  with  .model <model> <type>(...)",
    "p": "P<name> n+ n- [z0=50] [freq=2.1g power=-20dbm [phase=0]] [dc=0] [ac=<mag>]",
}

UNSUPPORTED = {
    "q": "bipolar transistors (Q)",
    "j": "JFETs (J)",
    "z": "MESFETs (Z)",
    "s": "voltage-controlled switches (S)",
    "w": "current-controlled switches (W)",
    "t": "transmission lines (T)",
    "o": "lossy transmission lines (O)",
    "u": "uniform RC lines (U)",
    "y": "lossy lines (Y)",
    "a": "XSPICE code models (A)",
}

ALLOWED_PARAMS = {
    "r": {"r", "resistance", "tc1", "tc2", "tc", "m", "temp", "dtemp"},
    "c": {"c", "capacitance", "ic", "m", "tc1", "tc2", "temp", "dtemp"},
    "l": {"l", "inductance", "ic", "m", "tc1", "tc2", "temp", "dtemp"},
    "d": {"area", "m", "ic", "temp", "dtemp", "off"},
    "m": {"w", "l", "ad", "as", "pd", "ps", "nrd", "nrs", "m", "ic", "icvds", "icvgs", "icvbs",
          "off", "temp", "dtemp"},
    "p": set(PORT_PARAMS),
}


def _need(el: ast.Element, count: int, what: str) -> None:
    if len(el.atoms) < count:
        letter = el.name[0]
        got = len(el.atoms)
        raise ElaborationError(
            f"{what} '{el.name}' needs {count} fields after its name, got {got}",
            el.span,
            hint=f"write it as `{FORMS.get(letter, el.name)}`",
        )


def _node_tokens(el: ast.Element, count: int, what: str, names: str) -> list[ast.Token]:
    _need(el, count, what)
    nodes = el.atoms[:count]
    for a in nodes:
        if not isinstance(a, ast.Token):
            raise ElaborationError(
                f"{what} '{el.name}' needs {count} nodes ({names}), found {describe(a)}",
                span_of(a), hint=f"write it as `{FORMS.get(el.name[0], el.name)}`",
            )
    return list(nodes)


# vector parameters, as SPICE spells them (``ic=vds,vgs,vbs``): the scalars they stand for
MOSFET_IC = ("icvds", "icvgs", "icvbs")


def _params(el: ast.Element, scope: Scope, allowed: set[str], what: str,
            vectors: dict[str, tuple[str, ...]] | None = None) -> dict[str, float]:
    out: dict[str, float] = {}
    for p in el.params:
        if p.name not in allowed:
            raise ElaborationError(
                f"unknown parameter '{p.name}' on {what} '{el.name}'",
                p.span,
                hint=f"valid parameters: {', '.join(sorted(allowed))}",
            )
        if p.name == "off":
            out["off"] = 1.0
            continue
        if p.name == "tc" and isinstance(p.value, ast.Group | ast.ListValue):
            continue
        if vectors and p.name in vectors:
            names = vectors[p.name]
            items = p.value.items if isinstance(p.value, ast.ListValue) else (p.value,)
            if len(items) > len(names):
                raise ElaborationError(
                    f"'{p.name}=' of {what} '{el.name}' takes at most {len(names)} values, "
                    f"found {len(items)}", p.span,
                    hint=f"write it as `{p.name}={','.join(n[len(p.name):] for n in names)}`")
            for name, item in zip(names, items):
                out[name] = scope.value(item, f"a value for '{p.name}'")
            continue
        out[p.name] = scope.value(p.value, f"a value for '{p.name}'")
    return out


def _extra_atoms(el: ast.Element, start: int, what: str) -> None:
    if len(el.atoms) > start:
        a = el.atoms[start]
        raise ElaborationError(
            f"unexpected {describe(a)} on {what} '{el.name}'",
            span_of(a), hint=f"write it as `{FORMS.get(el.name[0], el.name)}`",
        )


def two_terminal(el: ast.Element, scope: Scope, elab: Elaborator, family: str, what: str,
                 key: str) -> Instance:
    """R, C, L: two nodes and a value (positional or key=value)."""
    letter = el.name[0]
    nodes = _node_tokens(el, 2, what, "n+ n-")
    models = [a for a in el.atoms[2:] if isinstance(a, ast.Token)
              and parse_number(a.text) is None and scope.find("models", a.text) is not None]
    if models:  # `R1 a b rmod l=10u` or `C1 a b 1p cmod`: semiconductor R/C models
        raise ElaborationError(f"{what} models (.model {models[0].text} ...) are not supported",
                               models[0].span,
                               hint=f"give the {what} its value: `{FORMS[letter]}`")
    params = _params(el, scope, ALLOWED_PARAMS[letter], what)
    for alias in ("resistance", "capacitance", "inductance"):
        if alias in params:
            params[key] = params.pop(alias)
    if len(el.atoms) >= 3:
        params[key] = scope.value(el.atoms[2], f"a {what} value")
        _extra_atoms(el, 3, what)
    if key not in params:
        words = [getattr(a, "text", "?") for a in el.atoms]
        hint = f"write it as `{FORMS[letter]}`"
        if words and parse_number(words[-1]) is not None and words[-1] not in ("0",):
            hint = f"'{words[-1]}' looks like a value: is a node missing? " + hint
        raise ElaborationError(
            f"{what} '{el.name}' needs two nodes and a value, got "
            f"{' '.join(repr(w) for w in words) or 'nothing'}", el.span, hint=hint)
    return elab.instance(el, family, nodes, params)


def resistor(el, scope, elab):
    return two_terminal(el, scope, elab, "resistor", "resistor", "r")


def capacitor(el, scope, elab):
    return two_terminal(el, scope, elab, "capacitor", "capacitor", "c")


def inductor(el, scope, elab):
    return two_terminal(el, scope, elab, "inductor", "inductor", "l")


def mutual(el, scope, elab):
    _need(el, 3, "mutual inductance")
    names = []
    for a in el.atoms[:2]:
        if not isinstance(a, ast.Token) or not a.text.startswith("l"):
            raise ElaborationError(
                f"mutual inductance '{el.name}' couples two inductors, found {describe(a)}",
                span_of(a), hint=f"write it as `{FORMS['k']}`")
        names.append(elab.reference_name(a.text))
    k = scope.value(el.atoms[2], "a coupling factor")
    _extra_atoms(el, 3, "mutual inductance")
    inst = Instance(elab.element_name(el.name), "mutual", (), {"k": k}, el.span,
                    controls=tuple(names))
    elab.pending_mutuals.append((inst, el))
    return inst


def source(el, scope, elab):
    what = "voltage source" if el.name[0] == "v" else "current source"
    nodes = _node_tokens(el, 2, what, "n+ n-")
    current = el.name[0] == "i"
    # a current source's m= (ngspice: parallel copies) multiplies its value
    params = [p for p in el.params if not (current and p.name == "m")]
    spec = parse_source_spec(el.atoms[2:], params, lambda a: scope.value(a), el.span)
    values = {"spec": spec}
    if current and len(params) < len(el.params):
        values["m"] = scope.value(next(p for p in el.params if p.name == "m").value, "m")
    return elab.instance(el, "isource" if current else "vsource", nodes, values)


def port(el, scope, elab):
    """P<name> n+ n- z0=.. freq=.. power=.. [phase=..] [dc=..] [ac=..]: an RF port
    (:mod:`netsim.devices.port`); several tones by lists, freq=[2.1g 2.3g]."""
    nodes = _node_tokens(el, 2, "RF port", "n+ n-")
    _extra_atoms(el, 2, "RF port")
    params = parse_port_card(el.name, el.params, lambda a, what: scope.value(a, what),
                             FORMS["p"])
    return elab.instance(el, "port", nodes, params)


def _expression_param(el: ast.Element, names: tuple[str, ...]):
    for p in el.params:
        if p.name in names:
            if not isinstance(p.value, ast.Braced):
                return p, ast.Braced(ast.Num(p.value.span, scope_number(p.value)), p.value.span)
            return p, p.value
    return None, None


def scope_number(atom) -> float:
    value = parse_number(getattr(atom, "text", ""))
    if value is None:
        raise ElaborationError(f"expected an expression, found {describe(atom)}", span_of(atom),
                               hint="write the expression in braces: value={v(a)*2}")
    return value


POLY_FORMS = {
    "e": "E<name> n+ n- POLY(n) nc1+ nc1- ... ncn+ ncn- p0 p1 ...",
    "g": "G<name> n+ n- POLY(n) nc1+ nc1- ... ncn+ ncn- p0 p1 ...",
    "f": "F<name> n+ n- POLY(n) vsense1 ... vsensen p0 p1 ...",
    "h": "H<name> n+ n- POLY(n) vsense1 ... vsensen p0 p1 ...",
}


def behavioural(el, scope, elab, output: str, keys: tuple[str, ...], what: str):
    nodes = _node_tokens(el, 2, what, "n+ n-")
    param, expr = _expression_param(el, keys)
    if param is None:
        raise ElaborationError(f"{what} '{el.name}' has no expression", el.span,
                               hint=f"write it as `{FORMS[el.name[0]]}`")
    _extra_atoms(el, 2, what)
    for p in el.params:
        if el.name[0] == "b" and p.name == "m":  # ngspice multiplies a B source's value
            scale = ast.Num(p.span, scope.value(p.value, "the multiplier m"))
            expr = ast.Braced(ast.Binary(expr.span, "*", scale, expr.expr), expr.span)
        elif p is not param:
            raise ElaborationError(f"unknown parameter '{p.name}' on {what} '{el.name}'",
                                   p.span, hint=f"write it as `{FORMS[el.name[0]]}`")
    return elab.behavioural_instance(el, nodes, expr, output, scope)


def polynomial(el, scope, elab, what: str):
    """SPICE's ``POLY(n)`` form of E, F, G and H: ``E1 out 0 POLY(2) a 0 b 0 p0 p1 ...``
    (n node pairs, or ``(a,0)`` groups; F/H: n sensing sources), the output
    ``p0 + p1 x1 + ... + pn xn + p x1^2 + p x1 x2 + ... + p xn^2 + p x1^3 ...`` (each degree's
    products in SPICE's order: index tuples ascending), built as a behavioural source. A single
    coefficient is p0, as ngspice reads it."""
    letter = el.name[0]
    nodes = _node_tokens(el, 2, what, "n+ n-")
    group = el.atoms[2]
    dims = scope.value(group.args[0], "the POLY dimension") if len(group.args) == 1 else 0.0
    if dims < 1 or dims != int(dims):
        raise ElaborationError("POLY(n) needs a whole number of controlling inputs n >= 1",
                               group.span, hint=f"write it as `{POLY_FORMS[letter]}`")
    n = int(dims)
    words = list(el.atoms[3:])
    per = 2 if letter in "eg" else 1
    controls, coefficients = words[:per * n], words[per * n:]
    if len(coefficients) < 1 or any(not isinstance(c, ast.Token) for c in controls):
        raise ElaborationError(
            f"POLY({n}) on {what} '{el.name}' needs {per * n} controlling "
            f"{'nodes' if per == 2 else 'sources'} and at least one coefficient",
            group.span, hint=f"write it as `{POLY_FORMS[letter]}`")
    span = el.span
    inputs = [ast.Probe(span, "v", (controls[2 * k].text, controls[2 * k + 1].text))
              if per == 2 else ast.Probe(span, "i", (controls[k].text,)) for k in range(n)]
    terms: list[ast.Expr] = []
    values = [scope.value(c, "a POLY coefficient") for c in coefficients]
    monomials = (m for degree in range(len(values))
                 for m in itertools.combinations_with_replacement(range(n), degree))
    for value, monomial in zip(values, monomials):
        if value == 0.0:
            continue
        term: ast.Expr = ast.Num(span, value)
        for k in monomial:
            term = ast.Binary(span, "*", term, inputs[k])
        terms.append(term)
    expr = functools.reduce(lambda a, b: ast.Binary(span, "+", a, b), terms,
                            ast.Num(span, 0.0))
    output = "v" if letter in "eh" else "i"
    return elab.behavioural_instance(el, nodes, ast.Braced(expr, span), output, scope)


def _is_poly(el) -> bool:
    return len(el.atoms) > 2 and isinstance(el.atoms[2], ast.Group) \
        and el.atoms[2].name == "poly"


# the parenthesised forms of E/F/G/H cards that are not node pairs
SOURCE_FORMS = ("poly", "table", "laplace", "freq")


def _plain_atoms(el, keyword: str):
    """The card with node pairs written in parentheses (``(a,b)``) opened and SPICE's optional
    type word after the output nodes (``E1 o 0 vcvs a b 2``) dropped, as ngspice reads them."""
    atoms = []
    for a in el.atoms:
        if not isinstance(a, ast.Group) or a.name in SOURCE_FORMS:
            atoms.append(a)
            continue
        if a.name:  # `0 (a,b)` reads as a group named after the node before it
            atoms.append(ast.Token(a.name, a.span))
        atoms.extend(a.args)
    if len(atoms) > 2 and isinstance(atoms[2], ast.Token) and atoms[2].text == keyword:
        del atoms[2]
    return dataclasses.replace(el, atoms=tuple(atoms))


def vcvs_or_vccs(el, scope, elab):
    el = _plain_atoms(el, "vcvs" if el.name[0] == "e" else "vccs")
    letter = el.name[0]
    voltage = letter == "e"
    what = "voltage-controlled voltage source" if voltage else "voltage-controlled current source"
    keys = ("value", "vol") if voltage else ("value", "cur")
    if any(p.name in keys for p in el.params):
        return behavioural(el, scope, elab, "v" if voltage else "i", keys, what)
    if _is_poly(el):
        return polynomial(el, scope, elab, what)
    for a in el.atoms[2:]:
        if isinstance(a, ast.Group) and a.name in SOURCE_FORMS[1:]:
            raise ElaborationError(f"'{a.name}(...)' controlled sources are not supported",
                                   a.span, hint="use value={expression} instead")
    nodes = _node_tokens(el, 4, what, "n+ n- nc+ nc-")
    _need(el, 5, what)
    gain = scope.value(el.atoms[4], "a gain")
    _extra_atoms(el, 5, what)
    params = {"gain": gain}
    params.update(_params(el, scope, {"m"}, what))
    return elab.instance(el, "vcvs" if voltage else "vccs", nodes, params)


def current_controlled(el, scope, elab):
    el = _plain_atoms(el, "cccs" if el.name[0] == "f" else "ccvs")
    letter = el.name[0]
    what = "current-controlled current source" if letter == "f" else \
        "current-controlled voltage source"
    if _is_poly(el):
        return polynomial(el, scope, elab, what)
    nodes = _node_tokens(el, 2, what, "n+ n-")
    _need(el, 4, what)
    ctl = el.atoms[2]
    if isinstance(ctl, ast.Group):
        raise ElaborationError(f"'{ctl.name}(...)' controlled sources are not supported",
                               ctl.span, hint=f"write it as `{FORMS[letter]}`")
    if not isinstance(ctl, ast.Token):
        raise ElaborationError(f"expected the name of the sensing source, found {describe(ctl)}",
                               span_of(ctl), hint=f"write it as `{FORMS[letter]}`")
    gain = scope.value(el.atoms[3], "a gain")
    _extra_atoms(el, 4, what)
    params = {"gain": gain}
    params.update(_params(el, scope, {"m"}, what))
    inst = elab.instance(el, "cccs" if letter == "f" else "ccvs", nodes, params)
    inst.controls = (elab.reference_name(ctl.text),)
    elab.control_spans[inst.name] = ctl.span
    return inst


def bsource(el, scope, elab):
    keys = {p.name for p in el.params}
    if "v" in keys:
        return behavioural(el, scope, elab, "v", ("v",), "behavioural source")
    if "i" in keys:
        return behavioural(el, scope, elab, "i", ("i",), "behavioural source")
    raise ElaborationError(f"behavioural source '{el.name}' needs v={{...}} or i={{...}}",
                           el.span, hint=f"write it as `{FORMS['b']}`")


def diode(el, scope, elab):
    nodes = _node_tokens(el, 2, "diode", "anode cathode")
    _need(el, 3, "diode")
    model = elab.model(el.atoms[2], scope, ("d",), "diode")
    params = _params(el, scope, ALLOWED_PARAMS["d"], "diode")
    for a in el.atoms[3:]:
        if isinstance(a, ast.Token) and a.text == "off":
            params["off"] = 1.0
        elif "area" not in params:
            params["area"] = scope.value(a, "an area factor")
        else:
            raise ElaborationError(f"unexpected {describe(a)} on diode '{el.name}'", span_of(a),
                                   hint=f"write it as `{FORMS['d']}`")
    return elab.instance(el, "diode", nodes, params, model)


def mosfet(el, scope, elab):
    if len(el.atoms) < 5:
        # the last word is taken as the model: the rest are the terminals that were given
        words = [getattr(a, "text", "?") for a in el.atoms]
        nodes_given = words[:-1] if words else []
        example = " ".join([el.name.upper(), *nodes_given, *["0"] * (4 - len(nodes_given)),
                            *(words[-1:] or ["<model>"])])
        params = " ".join(p.span.source[p.span.col - 1:p.span.end_col - 1] for p in el.params)
        raise ElaborationError(
            f"MOSFET '{el.name}' needs 4 terminals (d g s b), got {len(nodes_given)}",
            el.span.to(span_of(el.atoms[-1])) if el.atoms else el.span,
            hint=f"add the bulk node, e.g. `{(example + ' ' + params).strip()}`",
        )
    nodes = _node_tokens(el, 4, "MOSFET", "d g s b")
    if not isinstance(el.atoms[4], ast.Token):
        raise ElaborationError(f"expected a model name, found {describe(el.atoms[4])}",
                               span_of(el.atoms[4]), hint=f"write it as `{FORMS['m']}`")
    model = elab.model(el.atoms[4], scope, ("nmos", "pmos"), "MOSFET")
    level = int(model.params.get("level", 1))
    if level != 1:
        raise ElaborationError(
            f"MOSFET model '{model.name}' has level={level}; only level 1 is supported",
            model.span, hint="use level=1 (Shichman-Hodges)")
    ignored = sorted(k for k in model.params if k.lower() in IGNORED_AT_LEVEL_1)
    if ignored and model.name not in elab.warned_models:
        elab.warned_models.add(model.name)
        elab.circuit.warnings.append(Diagnostic(
            f"MOSFET model '{model.name}': {', '.join(ignored)} ignored at level 1 "
            "(as ngspice does)", model.span,
            hint="these are level-2/3 parameters; level 1 has no use for them"))
    params = _params(el, scope, ALLOWED_PARAMS["m"], "MOSFET", {"ic": MOSFET_IC})
    for a in el.atoms[5:]:
        if isinstance(a, ast.Token) and a.text == "off":
            params["off"] = 1.0
        else:
            raise ElaborationError(f"unexpected {describe(a)} on MOSFET '{el.name}'", span_of(a),
                                   hint=f"write it as `{FORMS['m']}`")
    for key, option in (("w", "defw"), ("l", "defl"), ("ad", "defad"), ("as", "defas")):
        if key not in params and option in elab.options:
            params[key] = float(elab.options[option])
    return elab.instance(el, "mos1", nodes, params, model)


def compact(el, scope, elab):
    """N<name> node... <model> [k=v ...]: a compact model whose .model type names a device
    family (memristors, MTJs, spin diodes, oscillators...)."""
    from netsim.devices.base import REGISTRY

    tokens = [a for a in el.atoms if isinstance(a, ast.Token)]
    if len(tokens) != len(el.atoms) or len(tokens) < 2:
        raise ElaborationError(f"compact device '{el.name}' needs nodes and a model name",
                               el.span, hint=f"write it as `{FORMS['n']}`")
    model_tok = tokens[-1]
    found = scope.find("models", model_tok.text)
    if found is None:
        raise ElaborationError(f"unknown model '{model_tok.text}' for '{el.name}'",
                               model_tok.span,
                               hint=did_you_mean(model_tok.text, scope.names("models"))
                               or f"define it with `.model {model_tok.text} <type>(...)`")
    mtype = found[0].type
    cls = REGISTRY.get(mtype)
    if cls is None or not getattr(cls, "compact", False):
        kinds = sorted(k for k, c in REGISTRY.items() if getattr(c, "compact", False))
        raise ElaborationError(
            f"model '{model_tok.text}' has type '{mtype}', which is not a compact device type",
            model_tok.span,
            hint=(did_you_mean(mtype, kinds) or "")
            + f" compact device types: {', '.join(kinds) or 'none'}")
    nodes = tokens[:-1]
    if len(nodes) != len(cls.terminals):
        raise ElaborationError(
            f"'{mtype}' device '{el.name}' needs {len(cls.terminals)} nodes "
            f"({' '.join(cls.terminals)}), got {len(nodes)}", el.span,
            hint=f"write it as `{el.name.upper()} {' '.join(cls.terminals)} {model_tok.text}`")
    model = elab.model(model_tok, scope, (mtype,), f"'{mtype}' device")
    params = {p.name: scope.value(p.value, f"a value for '{p.name}'") for p in el.params}
    return elab.instance(el, cls.family, nodes, params, model)


HANDLERS = {
    "r": resistor,
    "c": capacitor,
    "l": inductor,
    "k": mutual,
    "v": source,
    "i": source,
    "e": vcvs_or_vccs,
    "g": vcvs_or_vccs,
    "f": current_controlled,
    "h": current_controlled,
    "b": bsource,
    "d": diode,
    "m": mosfet,
    "n": compact,
    "p": port,
}
