"""Dot cards other than definitions: analyses, options, initial conditions, outputs.

Supported: ``.op``, ``.dc`` (one or two nested sources), ``.ac dec|oct|lin``, ``.tran tstep
tstop [tstart [tmax]] [uic]``, ``.hb`` (harmonic balance), ``.rfdc`` (weak-RF DC response),
``.options``, ``.ic``, ``.nodeset``, ``.temp``, ``.print``/``.plot``/``.save``, ``.title``,
``.end``. Anything else is an error at the card.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

import numpy as np

from netsim.analysis.ac import frequency_grid
from netsim.analysis.dc import sweep_values
from netsim.circuit.circuit import AnalysisRequest
from netsim.circuit.scope import Scope, describe, span_of
from netsim.errors import AnalysisError, Diagnostic, ElaborationError, did_you_mean
from netsim.syntax import ast
from netsim.units import parse_number

if TYPE_CHECKING:
    from netsim.circuit.elaborate import Elaborator

# options netsim acts on (values numeric unless listed in TEXT_OPTIONS)
OPTIONS = {"reltol", "abstol", "vntol", "chgtol", "trtol", "gmin", "itl1", "itl4", "method",
           "tnom", "temp", "defl", "defw", "defad", "defas", "solver", "gminsteps", "srcsteps",
           "maxord", "seed", "rshunt", "interp"}
TEXT_OPTIONS = {"method": ("trap", "trapezoidal", "gear", "be", "euler"),
                "solver": ("auto", "dense", "superlu", "klu")}
# ngspice options that only affect its own bookkeeping/printing: accepted, no effect
NO_EFFECT = {"acct", "noacct", "list", "nomod", "nopage", "node", "opts", "post", "norefvalue",
             "noinit", "warn", "itl2", "itl3", "itl5", "pivrel", "pivtol", "keepopinfo",
             "numdgt", "ingold", "cptime", "klu", "sparse"}
# options given as a bare word (`.options interp`)
FLAG_OPTIONS = {"interp"}
# ngspice options whose output netsim does not write: accepted with a warning
NOT_WRITTEN = {"savecurrents": "device currents (@r1[i]) are not written; put a 0 V source in "
                               "series to measure a current"}
UNSUPPORTED = {
    "meas": "measurements (.meas)", "measure": "measurements (.measure)",
    "four": "Fourier analysis (.four)", "noise": "noise analysis (.noise)",
    "disto": "distortion analysis (.disto)", "pz": "pole-zero analysis (.pz)",
    "sens": "sensitivity analysis (.sens)", "tf": "transfer-function analysis (.tf)",
    "energy": "the energy ledger (.energy)", "if": "conditional netlists (.if)",
    "csparam": ".csparam",
}
FORMS = {
    "dc": ".dc <source> <start> <stop> <step> [<source2> <start2> <stop2> <step2>]",
    "ac": ".ac dec|oct|lin <points> <fstart> <fstop>",
    "tran": ".tran <tstep> <tstop> [<tstart> [<tmax>]] [uic]",
    "temp": ".temp <celsius>",
    "step": ".step [lin|dec|oct] param <name> <start> <stop> <step|points>  or  "
            ".step param <name> list <v1> <v2> ...  or  .step data=<table>",
    "data": ".data <table> <param1> <param2> ... <row1 values> <row2 values> ...",
    "hb": ".hb <f1> [<f2> ...] [nharm=<N>] [mix=<M>] [osc=<node> [settle=<periods>]] "
          "[solver=auto|direct|gmres] [points=<samples per period>]",
    "rfdc": ".rfdc [maxrel=<validity bound>]",
}
HB_TEXT = {"solver": ("auto", "direct", "gmres")}
HB_NUMBERS = ("nharm", "mix", "points", "oversample", "maxiter", "tol", "settle")
HB_INTEGERS = ("nharm", "mix", "points", "maxiter", "settle")
ABSOLUTE_ZERO_C = -273.15  # temperatures (degrees C) must stay above it
# bounds beyond which a .hb card is a typo (grids of billions of samples)
HB_LIMITS = {"nharm": 100_000, "mix": 100_000, "points": 1e7, "oversample": 64.0}
PRINT_KINDS = {"op", "dc", "ac", "tran", "hb", "rfdc"}


def apply(elab: Elaborator, d: ast.Directive, scope: Scope) -> None:
    handler = HANDLERS.get(d.name)
    if handler is not None:
        handler(elab, d, scope)
        return
    if d.name in UNSUPPORTED:
        raise ElaborationError(f"{UNSUPPORTED[d.name]} is not supported", d.name_span,
                               hint="remove the card; supported analyses: .op .dc .ac .tran")
    raise ElaborationError(
        f"unknown control card '.{d.name}'", d.name_span,
        hint=did_you_mean(d.name, set(HANDLERS)) or "supported: " + " ".join(
            f".{n}" for n in sorted(HANDLERS) if n != "end"))


def _numbers(d: ast.Directive, scope: Scope, lo: int, hi: int) -> list[float]:
    atoms = list(d.atoms)
    if not lo <= len(atoms) <= hi or d.params:
        raise ElaborationError(f"'.{d.name}' takes {lo}" + (f" to {hi}" if hi != lo else "")
                               + f" values, got {len(atoms) + len(d.params)}", d.span,
                               hint=f"write it as `{FORMS[d.name]}`")
    return [scope.value(a) for a in atoms]


def op(elab, d, scope):
    if d.atoms or d.params:
        a = (list(d.atoms) + list(d.params))[0]
        raise ElaborationError("'.op' takes no arguments", span_of(a))
    elab.circuit.analyses.append(AnalysisRequest("op", {}, d.span))


def dc(elab, d, scope):
    atoms = list(d.atoms)
    if d.params or len(atoms) not in (4, 8):
        raise ElaborationError(f"'.dc' needs 4 or 8 fields, got {len(atoms) + len(d.params)}",
                               d.span, hint=f"write it as `{FORMS['dc']}`")
    sweeps, spans = [], []
    for k in range(0, len(atoms), 4):
        src = atoms[k]
        if not isinstance(src, ast.Token):
            raise ElaborationError(f"expected a source name, found {describe(src)}", span_of(src))
        start, stop, step = (scope.value(a) for a in atoms[k + 1:k + 4])
        try:
            values = sweep_values(start, stop, step)
        except AnalysisError as err:
            raise AnalysisError(err.message, atoms[k + 3].span, hint=err.hint) from None
        name = "temp" if src.text == "temp" else elab.reference_name(src.text)
        if sweeps and sweeps[0][0] == name:
            raise ElaborationError(f"'.dc' sweeps '{name}' twice", src.span,
                                   hint="the second sweep must vary another source")
        if name == "temp" and not np.all(values > ABSOLUTE_ZERO_C):
            raise ElaborationError(f"a temperature sweep must stay above {ABSOLUTE_ZERO_C} "
                                   "(degrees C)",
                                   atoms[k + 1].span)
        sweeps.append((name, values))
        spans.append(src.span)
    elab.circuit.analyses.append(AnalysisRequest("dc", {"sweeps": sweeps, "spans": spans},
                                                 d.span))


def ac(elab, d, scope):
    atoms = list(d.atoms)
    if atoms and isinstance(atoms[0], ast.Token) and atoms[0].text not in ("dec", "oct", "lin"):
        raise ElaborationError(f"unknown .ac sweep type '{atoms[0].text}': expected dec, oct or "
                               "lin", atoms[0].span, hint=f"write it as `{FORMS['ac']}`")
    if d.params or len(atoms) != 4 or not isinstance(atoms[0], ast.Token):
        raise ElaborationError("'.ac' needs a sweep type (dec, oct or lin), points, fstart, fstop",
                               d.span, hint=f"write it as `{FORMS['ac']}`")
    points = scope.value(atoms[1])
    fstart, fstop = scope.value(atoms[2]), scope.value(atoms[3])
    if points != int(points) or points < 1:
        raise ElaborationError(f"'.ac' points must be a positive integer, got {points:g}",
                               atoms[1].span)
    try:
        freqs = frequency_grid(atoms[0].text, int(points), fstart, fstop)
    except AnalysisError as err:
        raise AnalysisError(err.message, d.span, hint=err.hint) from None
    elab.circuit.analyses.append(AnalysisRequest("ac", {"frequencies": freqs}, d.span))


def tran(elab, d, scope):
    atoms = list(d.atoms)
    uic = bool(atoms) and isinstance(atoms[-1], ast.Token) and atoms[-1].text == "uic"
    if uic:
        atoms = atoms[:-1]
    if d.params or not 2 <= len(atoms) <= 4:
        raise ElaborationError(f"'.tran' takes 2 to 4 values (and uic), got {len(atoms)}",
                               d.span, hint=f"write it as `{FORMS['tran']}`")
    values = [scope.value(a) for a in atoms]
    tstep, tstop = values[0], values[1]
    tstart = values[2] if len(values) > 2 else 0.0
    tmax = values[3] if len(values) > 3 else None
    if tstep <= 0 or tstop <= 0 or tstart < 0 or tstart >= tstop or (tmax is not None
                                                                        and tmax <= 0):
        raise AnalysisError(
            "'.tran' needs tstep > 0, tstop > 0 and 0 <= tstart < tstop, got "
            + " ".join(f"{v:g}" for v in values), d.span, hint=f"write it as `{FORMS['tran']}`")
    elab.circuit.analyses.append(AnalysisRequest(
        "tran", {"tstep": tstep, "tstop": tstop, "tstart": tstart, "tmax": tmax, "uic": uic},
        d.span))


def hb(elab, d, scope):
    """``.hb f1 [f2 ...] nharm=N [mix=M] [osc=node] [solver=direct|gmres] [points=K]``.

    Tones f1.. (Hz, > 0, distinct); nharm (default 5) the harmonics of each tone; mix the
    largest total order |k1| + |k2| + ... of a mixing product (default nharm: diamond
    truncation); osc=node makes it autonomous (f1 is then the starting guess of the free-running
    frequency and the phase of the node's first harmonic is fixed); points: samples per period
    of the time waveforms written to hb_time.csv (single tone or autonomous; 0 = none).
    """
    tones = [scope.value(a) for a in d.atoms]
    if not tones:
        raise ElaborationError("'.hb' needs at least one tone frequency", d.span,
                               hint=f"write it as `{FORMS['hb']}`")
    for a, f in zip(d.atoms, tones):
        if not f > 0.0:
            raise ElaborationError(f"'.hb' tone frequencies must be > 0, got {f:g}", span_of(a))
    args: dict = {"tones": tones, "nharm": 5, "spans": [span_of(a) for a in d.atoms]}
    for p in d.params:
        if p.name in HB_TEXT:
            word = getattr(p.value, "text", None)
            if word not in HB_TEXT[p.name]:
                raise ElaborationError(
                    f"'.hb {p.name}' must be one of {', '.join(HB_TEXT[p.name])}, got "
                    f"{describe(p.value)}", span_of(p.value))
            args[p.name] = word
        elif p.name == "osc":
            word = getattr(p.value, "text", None)
            if word is None:
                raise ElaborationError(f"'.hb osc=' needs a node name, got {describe(p.value)}",
                                       span_of(p.value), hint="write e.g. `osc=out`")
            args["osc"] = elab.node(p.value)
            args["osc_span"] = span_of(p.value)
        elif p.name in HB_NUMBERS:
            value = scope.value(p.value)
            if p.name in HB_INTEGERS and (value != int(value) or value < 0
                                          or (p.name == "settle" and value < 1)):
                low = "positive" if p.name == "settle" else "non-negative"
                raise ElaborationError(f"'.hb {p.name}' must be a {low} integer, got "
                                       f"{value:g}", span_of(p.value))
            top = HB_LIMITS.get(p.name)
            if top is not None and not value <= top:
                raise ElaborationError(f"'.hb {p.name}' is at most {top:g}, got {value:g}",
                                       span_of(p.value))
            args[p.name] = int(value) if p.name in HB_INTEGERS else value
        else:
            raise ElaborationError(f"unknown .hb parameter '{p.name}'", p.span,
                                   hint=did_you_mean(p.name, set(HB_NUMBERS) | set(HB_TEXT)
                                                     | {"osc"})
                                   or f"write it as `{FORMS['hb']}`")
    if "osc" in args and len(tones) != 1:
        raise ElaborationError("autonomous .hb (osc=) takes exactly one tone: the starting "
                               "guess of the oscillation frequency", d.span)
    if "settle" in args and "osc" not in args:
        where = next(p.span for p in d.params if p.name == "settle")
        raise ElaborationError("'.hb settle=' sets the start-up transient of autonomous HB "
                               "and needs osc=<node>", where,
                               hint="add osc=<node> for a free-running oscillator, or drop "
                                    "settle=")
    elab.circuit.analyses.append(AnalysisRequest("hb", args, d.span))


def rfdc(elab, d, scope):
    """``.rfdc [maxrel=<bound>]``: DC outputs under weak RF drive, to second order in the RF
    amplitudes (netsim.analysis.rfdc)."""
    if d.atoms:
        raise ElaborationError("'.rfdc' takes only name=value parameters", span_of(d.atoms[0]),
                               hint=f"write it as `{FORMS['rfdc']}`")
    args: dict = {}
    for p in d.params:
        if p.name != "maxrel":
            raise ElaborationError(f"unknown .rfdc parameter '{p.name}'", p.span,
                                   hint=f"write it as `{FORMS['rfdc']}`")
        args["maxrel"] = scope.value(p.value)
    elab.circuit.analyses.append(AnalysisRequest("rfdc", args, d.span))


def options(elab, d, scope):
    for a in d.atoms:
        if isinstance(a, ast.Token) and a.text in FLAG_OPTIONS:
            elab.options[a.text] = 1.0
            continue
        if isinstance(a, ast.Token) and a.text in NOT_WRITTEN:
            elab.circuit.warnings.append(Diagnostic(
                f"option '{a.text}' ignored: {NOT_WRITTEN[a.text]}", a.span))
            continue
        if isinstance(a, ast.Token) and a.text in NO_EFFECT:
            continue
        if isinstance(a, ast.Token) and a.text not in OPTIONS:
            _unknown_option(elab, a.text, a.span)
            continue
        raise ElaborationError(f"unknown option {describe(a)}", span_of(a),
                               hint="options are written name=value, e.g. `.options reltol=1e-4`")
    for p in d.params:
        if p.name in NO_EFFECT:
            continue
        if p.name not in OPTIONS:
            _unknown_option(elab, p.name, p.span)
            continue
        if p.name in TEXT_OPTIONS:
            choices = TEXT_OPTIONS[p.name]
            text = getattr(p.value, "text", "")
            if text not in choices:
                what = "integration method" if p.name == "method" else "linear solver"
                raise ElaborationError(
                    f"unknown {what} '{text or describe(p.value)}'", p.span,
                    hint=f"choose one of: {', '.join(choices)}")
            elab.options[p.name] = text
        else:
            value = scope.value(p.value, f"a value for option '{p.name}'")
            _check_option(p, value)
            elab.options[p.name] = value
    if "temp" in elab.options:
        elab.circuit.temp = float(elab.options["temp"])
    if "tnom" in elab.options:
        elab.circuit.tnom = float(elab.options["tnom"])


# how close (difflib ratio) an unknown option must be to a known one to count as its typo
NEAR_MISS = 0.85

def _unknown_option(elab, name: str, span) -> None:
    """An option netsim does not know: a near-miss of one it acts on (``abstoll``) is an
    error, as a typo would otherwise change the run silently; anything else (another
    simulator's option, such as HSPICE's ``dcstep``) is ignored with a warning, as ngspice
    does."""
    close = difflib.get_close_matches(name, sorted(OPTIONS), n=1, cutoff=NEAR_MISS)
    if close:
        raise ElaborationError(f"unknown option '{name}'", span,
                               hint=f"did you mean '{close[0]}'?")
    elab.circuit.warnings.append(Diagnostic(
        f"unknown option '{name}' ignored (ngspice ignores it too)", span,
        hint="netsim's options: " + " ".join(sorted(OPTIONS))))


# what each numeric option must be: (test, the wording of the requirement)
_POSITIVE = (lambda v: v > 0.0, "a positive number")
_COUNT = (lambda v: v >= 1.0 and v == int(v), "a whole number >= 1")
_OPTION_RULES = {
    **dict.fromkeys(("reltol", "abstol", "vntol", "chgtol", "trtol", "defl", "defw"), _POSITIVE),
    **dict.fromkeys(("gmin", "defad", "defas"), (lambda v: v >= 0.0, "a number >= 0")),
    **dict.fromkeys(("itl1", "itl4"), _COUNT),
    **dict.fromkeys(("gminsteps", "srcsteps", "seed"),
                    (lambda v: v >= 0.0 and v == int(v), "a whole number >= 0")),
    "maxord": (lambda v: v in (1.0, 2.0), "1 or 2"),
    "rshunt": _POSITIVE,
    **dict.fromkeys(("temp", "tnom"), (lambda v: v > ABSOLUTE_ZERO_C,
                                       f"above {ABSOLUTE_ZERO_C} (degrees C)")),
}


def _check_option(p, value: float) -> None:
    test, wanted = _OPTION_RULES.get(p.name, (lambda v: True, ""))
    if not test(value):
        raise ElaborationError(f"option '{p.name}' must be {wanted}, got {value:g}", p.span)


def _node_values(elab, d, scope, target: dict) -> None:
    if d.atoms:
        raise ElaborationError(f"unexpected {describe(d.atoms[0])} on '.{d.name}'",
                               span_of(d.atoms[0]), hint=f"write it as `.{d.name} v(node)=value`")
    for p in d.params:
        name = p.name.replace(" ", "")
        if not (name.startswith("v(") and name.endswith(")")) or "," in name:
            raise ElaborationError(f"'.{d.name}' sets node voltages: expected v(node)=value, "
                                   f"found '{p.name}'", p.span)
        node = elab.node(ast.Token(name[2:-1], p.span))
        target[node] = scope.value(p.value)
        elab.ic_spans[node] = p.span


def ic(elab, d, scope):
    _node_values(elab, d, scope, elab.circuit.ic)


def nodeset(elab, d, scope):
    _node_values(elab, d, scope, elab.circuit.nodeset)


def temp(elab, d, scope):
    values = _numbers(d, scope, 1, 1)
    if not values[0] > ABSOLUTE_ZERO_C:
        raise ElaborationError(f".temp must be above {ABSOLUTE_ZERO_C} (degrees C), got "
                               f"{values[0]:g}", d.span)
    elab.circuit.temp = values[0]


# .print forms of a value: v<form>(...), i<form>(...) (netsim.simulator.PARTS computes them)
PART_FORMS = ("m", "p", "db", "r", "i")
# a .print/.save selection's stand-in for "every node voltage and branch current"
EVERYTHING = "*"


def prints(elab, d, scope):
    atoms = list(d.atoms)
    kind = "all"
    if atoms and isinstance(atoms[0], ast.Token) and atoms[0].text in PRINT_KINDS:
        kind = atoms[0].text
        atoms = atoms[1:]
    names = elab.circuit.prints.setdefault(kind, [])
    if any(isinstance(a, ast.Token) and a.text == "all" for a in atoms):
        names.append(EVERYTHING)  # `.save all`: every public unknown, with the rest named
        atoms = [a for a in atoms if not (isinstance(a, ast.Token) and a.text == "all")]
    vs = [k for k, a in enumerate(atoms) if isinstance(a, ast.Token) and a.text == "vs"]
    if vs:  # `.plot tran i(v1) vs v(a)`: the quantity after `vs` is the plot's x axis
        k = vs[0]
        if d.name != "plot" or len(vs) > 1 or k == 0 or k != len(atoms) - 2:
            raise ElaborationError("'vs' goes once, before the last quantity, on a .plot card",
                                   atoms[k].span, hint="write it as `.plot tran i(v1) vs v(a)`")
        atoms = atoms[:k] + atoms[k + 1:]
        elab.circuit.plot_x[kind] = _output_name(elab, atoms[-1])
    for a in atoms:
        name = _output_name(elab, a)
        names.append(name)
        elab.output_spans[name] = a.span


def _output_name(elab, a) -> str:
    """The output column name of a .print/.plot item: v(n), v(a,b), i(v1), x(dev#state), and
    SPICE's forms of a (complex) value: vm vp vdb vr vi, im ip idb ir ii (magnitude, phase in
    radians, dB, real and imaginary parts)."""
    if isinstance(a, ast.Group) and a.name[:1] in "vi" and a.name[1:] in PART_FORMS \
            and a.name[1:] and all(isinstance(x, ast.Token) for x in a.args):
        inner = _output_name(elab, ast.Group(a.name[0], a.args, a.span))
        return a.name + inner[1:]
    if isinstance(a, ast.Group) and a.name in ("v", "i", "x") and 1 <= len(a.args) <= 2 \
            and all(isinstance(x, ast.Token) for x in a.args):
        if a.name == "x" and len(a.args) == 2:  # internal state: x(device, state)
            return f"x({elab.reference_name(a.args[0].text)}#{a.args[1].text})"
        if a.name == "x":
            raise ElaborationError("x() takes a device and a state name, e.g. x(n1, m)", a.span)
        if a.name == "v":
            return "v(" + ",".join(elab.node(x) for x in a.args) + ")"
        if len(a.args) == 1:
            return f"i({elab.reference_name(a.args[0].text)})"
        raise ElaborationError("i() takes one element name", a.span)
    raise ElaborationError(
        f"cannot output {describe(a)}", span_of(a),
        hint="outputs are v(node), v(node1,node2), i(vsource) or x(device, state) for a "
        "device's internal state, and vm/vp/vdb/vr/vi(...) (also for i) for magnitude, phase, "
        "dB, real and imaginary parts")


def step(elab, d, scope):
    """One .step card: a list of variants (dicts) for one or more parameters; several .step
    cards combine as nested sweeps (the first card varies slowest)."""
    atoms = list(d.atoms)
    words = [a.text if isinstance(a, ast.Token) else None for a in atoms]
    table = next((p for p in d.params if p.name == "data"), None)
    if table is not None or (words and words[0] == "data"):
        name = getattr(table.value, "text", None) if table is not None else (
            words[1] if len(words) > 1 else None)
        if name not in elab.data_tables:
            raise ElaborationError(f"no .data table named '{name}'", d.span,
                                   hint=did_you_mean(str(name), set(elab.data_tables))
                                   or f"define it first: `{FORMS['data']}`")
        _add_step_card(elab, d, elab.data_tables[name])
        return
    mode = "lin"
    if words and words[0] in ("lin", "dec", "oct"):
        mode, atoms, words = words[0], atoms[1:], words[1:]
    if words and words[0] == "param":
        atoms, words = atoms[1:], words[1:]
    if not words or words[0] is None or d.params:
        raise ElaborationError("'.step' needs a parameter name and values", d.span,
                               hint=f"write it as `{FORMS['step']}`")
    name = words[0]
    if len(words) > 1 and words[1] == "list":
        values = [scope.value(a) for a in atoms[2:]]
        if not values:
            raise ElaborationError("'.step ... list' needs at least one value", d.span)
    else:
        if len(atoms) != 4:
            raise ElaborationError(f"'.step' takes a start, a stop and a step, got "
                                   f"{len(atoms) - 1} values", d.span,
                                   hint=f"write it as `{FORMS['step']}`")
        start, stop, inc = (scope.value(a) for a in atoms[1:])
        if mode == "lin":
            try:
                values = list(sweep_values(start, stop, inc))
            except AnalysisError as err:
                raise AnalysisError(err.message, atoms[3].span, hint=err.hint) from None
        else:
            if start <= 0 or stop < start or inc < 1:
                raise ElaborationError(f"'.step {mode}' needs 0 < start <= stop and points >= 1",
                                       d.span)
            values = list(frequency_grid(mode, int(inc), start, stop))
    _add_step_card(elab, d, [{name: float(v)} for v in values])


def _add_step_card(elab, d, variants: list[dict[str, float]]) -> None:
    """Append a .step card's variants; a parameter varied by two cards is an error (the
    second would silently replace the first's values in every combination)."""
    taken = {name for card in elab.step_cards for name in card[0]}
    again = sorted(taken & set(variants[0]))
    if again:
        raise ElaborationError(f"parameter '{again[0]}' is already varied by another .step",
                               d.span, hint="vary each parameter in one .step (or one .data)")
    elab.step_cards.append(variants)
    elab.step_spans.append(d.span)


def data(elab, d, scope):
    """``.data <table> <p1> <p2> ... <values row by row>`` (continuation lines for rows)."""
    words = [a.text if isinstance(a, ast.Token) else None for a in d.atoms]
    if len(words) < 2 or words[0] is None:
        raise ElaborationError("'.data' needs a table name and parameter names", d.span,
                               hint=f"write it as `{FORMS['data']}`")
    table = words[0]
    names = []
    k = 1
    while k < len(words) and words[k] is not None and parse_number(words[k]) is None:
        names.append(words[k])
        k += 1
    values = [scope.value(a) for a in d.atoms[k:]]
    if table in elab.data_tables:
        raise ElaborationError(f"'.data {table}' is defined twice", d.span,
                               hint="give each table its own name")
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise ElaborationError(f"'.data {table}' names parameter '{twice}' twice", d.span)
    if not names or not values or len(values) % len(names):
        raise ElaborationError(
            f"'.data {table}' has {len(names)} parameters and {len(values)} values: the values "
            "must fill whole rows", d.span, hint=f"write it as `{FORMS['data']}`")
    rows = [dict(zip(names, values[i:i + len(names)])) for i in range(0, len(values), len(names))]
    elab.data_tables[table] = rows


def title(elab, d, scope):
    return None


HANDLERS = {
    "op": op, "dc": dc, "ac": ac, "tran": tran, "options": options, "option": options,
    "opt": options, "ic": ic, "nodeset": nodeset, "temp": temp, "print": prints,
    "plot": prints, "save": prints, "title": title, "end": title, "step": step, "data": data,
    "width": title,  # output line width of ngspice's printer: nothing to do
    "hb": hb, "rfdc": rfdc,
}
