"""The Simulator: a compiled circuit plus its assembler, linear solver and tolerances, with one
method per analysis. ``run_file``/``run_text`` parse, elaborate and run every analysis card.

    sim = Simulator.from_file("amp.net")
    op = sim.op()                       # AnalysisResult
    tr = sim.tran(1e-9, 1e-6)
    tr["v(out)"]
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

import numpy as np

from netsim.analysis.assembly import Assembler
from netsim.analysis.linalg import make_solver
from netsim.analysis.newton import Tolerances
from netsim.analysis.op import Clamp, solve_op
from netsim.circuit.circuit import Circuit
from netsim.circuit.compile import compile_circuit
from netsim.circuit.directives import EVERYTHING
from netsim.devices.base import EvalContext
from netsim.errors import AnalysisError, NetsimError
from netsim.results import AnalysisResult, InterruptedAnalysis, RunResults, complex_names

# .print forms of a (complex) value: magnitude, phase (radians, as ngspice), dB, parts
PARTS = {"m": np.abs, "p": np.angle, "db": lambda z: 20.0 * np.log10(np.abs(z)),
         "r": np.real, "i": np.imag}


class Simulator:
    """Runs analyses on one circuit. Attributes: circuit, compiled, assembler, solver, tol."""

    def __init__(self, circuit: Circuit) -> None:
        import netsim.devices  # noqa: F401  (registers the families)

        self.circuit = circuit
        self.compiled = compile_circuit(circuit)
        self.tol = Tolerances.from_options(circuit.options)
        self.assembler = Assembler(self.compiled)
        self.solver = make_solver(self.compiled.n, self.compiled.indptr, self.compiled.indices,
                                  circuit.options.get("solver"))
        self.atol = self.tol.absolute(self.compiled.kinds)
        cc = self.compiled
        # CSC data positions of every entry in a held state's row (replaced in DC solves)
        self.held_entries = np.nonzero(np.isin(cc.indices, cc.held))[0]
        self.progress = None  # optional callable(fraction) for long transients

    def set_temperature(self, celsius: float) -> None:
        """Rebuild every device at another circuit temperature (a ``.dc temp`` sweep); the
        unknowns keep their order, the netlist's element values return."""
        progress = self.progress
        self.__init__(dataclasses.replace(self.circuit, temp=float(celsius)))
        self.progress = progress

    def current_test(self, dx: np.ndarray) -> bool:
        """SPICE's device convergence test for the Newton step dx (n,) at the present
        tolerances (:meth:`Assembler.currents_converged`)."""
        return self.assembler.currents_converged(dx, self.tol.reltol, self.tol.abstol)

    @classmethod
    def from_file(cls, path: str | Path) -> Simulator:
        from netsim.circuit.elaborate import elaborate_file

        return cls(elaborate_file(path))

    @classmethod
    def from_text(cls, text: str, filename: str = "<string>") -> Simulator:
        from netsim.circuit.elaborate import elaborate_text

        return cls(elaborate_text(text, filename))

    # ------------------------------------------------------------------ helpers
    def ctx(self, t: float | None = None, srcfact: float = 1.0) -> EvalContext:
        return EvalContext(t=t, srcfact=srcfact, gmin=self.tol.gmin)

    def initial_guess(self) -> np.ndarray:
        """Starting unknowns: zeros, with held states at their initial values."""
        x = np.zeros(self.compiled.n)
        x[self.compiled.held] = self.compiled.held_value
        return x

    def clamp(self, values: dict[str, float]) -> Clamp:
        """Clamp on the named nodes (hierarchical names, without 'v(...)')."""
        idx, val = [], []
        for node, v in values.items():
            if node in self.compiled.node_index:
                idx.append(self.compiled.node_index[node])
                val.append(v)
        return Clamp(np.array(idx, dtype=np.int64), np.array(val, dtype=float))

    def operating_point(self, t: float | None = None,
                        hold_ic: bool = False) -> tuple[np.ndarray, int]:
        """(x, Newton iterations) at the DC operating point (t=0.0: transient's initial point)."""
        hold = self.clamp(self.circuit.ic) if hold_ic else None
        nodeset = self.clamp(self.circuit.nodeset) if self.circuit.nodeset else None
        return solve_op(self, self.ctx(t), hold=hold, nodeset=nodeset)

    def output_columns(self, kind: str, x: np.ndarray, prefix: str = "",
                       prints: dict[str, list[str]] | None = None) -> dict[str, np.ndarray]:
        """Named columns from solutions x (..., n): the .print/.save selection or every public
        unknown. Complex x gives real/imaginary column pairs.

        prefix: only quantities of the copy whose names start with it (a batch variant),
        reported without it; prints: that variant's .print selection.
        """
        prints = self.circuit.prints if prints is None else prints
        # .save cards (no analysis named) and this analysis's .print cards, as ngspice keeps
        # both; none: everything
        wanted = list(dict.fromkeys([*prints.get("all", []), *prints.get(kind, [])]))
        cols: dict[str, np.ndarray] = {}
        items = []
        if not wanted or EVERYTHING in wanted:
            items = [(name, x[..., k]) for name, k in self.public_columns(prefix)]
        listed = {name for name, _ in items}
        items += [(name, self._quantity(name, x, prefix)) for name in wanted
                  if name != EVERYTHING and name not in listed]
        for name, value in items:
            if np.iscomplexobj(value):
                re_name, im_name = complex_names(name)
                cols[re_name] = value.real
                cols[im_name] = value.imag
            else:
                cols[name] = value
        return cols

    def public_columns(self, prefix: str = "") -> list[tuple[str, int]]:
        """(name without prefix, unknown index) of every public unknown under ``prefix``
        (cached: a batch asks once per variant)."""
        cache = self.__dict__.setdefault("_public_columns", {})
        if not cache:
            cc = self.compiled
            for k in np.nonzero(cc.public)[0]:
                name = cc.names[k]
                dot = name.find(".", 2)
                head = name[2:dot + 1] if dot > 0 and name[2] == "b" else ""
                cache.setdefault(head, []).append((name[:2] + name[2 + len(head):], int(k)))
                if head:
                    cache.setdefault("", []).append((name, int(k)))
        if prefix in cache:
            return cache[prefix]
        return [(n[:2] + n[2 + len(prefix):], k) for n, k in cache.get("", [])
                if n[2:].startswith(prefix)]

    def _quantity(self, name: str, x: np.ndarray, prefix: str = "") -> np.ndarray:
        cc = self.compiled
        form = name[1:name.index("(")]
        if form:  # vdb(a), ip(v1): a part of the plain quantity
            return PARTS[form](self._quantity(name[0] + name[1 + len(form):], x, prefix))
        kind, inner = name[0], name[2:-1]
        if kind == "v":
            parts = [p.strip() for p in inner.split(",")]
            vals = [
                np.zeros(x.shape[:-1]) if p in ("0", "gnd") else x[..., cc.node_index[prefix + p]]
                for p in parts
            ]
            return vals[0] - vals[1] if len(vals) == 2 else vals[0]
        if kind == "x":  # a device's internal state, unknown named '<device>#<state>'
            return x[..., cc.names.index(prefix + inner)]
        return x[..., cc.branch_index[prefix + inner]]

    # ------------------------------------------------------------------ analyses
    def batch(self, variants):
        """A BatchRun of this circuit's netlist for parameter variants (see netsim.batch)."""
        from netsim.batch import BatchRun, variant_list

        if self.circuit.source is None:
            raise AnalysisError("batches need a circuit built from a netlist (from_file/text)")
        return BatchRun(self.circuit.source, variant_list(variants))

    def op(self, batch=None) -> AnalysisResult:
        if batch is not None:
            return self.batch(batch).op()
        start = time.perf_counter()
        x, iters = self.operating_point(None)
        cols = {k: np.asarray(v) for k, v in self.output_columns("op", x).items()}
        return AnalysisResult("op", "op", cols, {"points": 1, "newton_iterations": iters,
                                                 "seconds": time.perf_counter() - start}, raw=x)

    def dc(self, sweeps: list[tuple[str, np.ndarray]], batch=None) -> AnalysisResult:
        from netsim.analysis.dc import run_dc

        if batch is not None:
            return self.batch(batch).dc(sweeps)
        return run_dc(self, sweeps)

    def ac(self, frequencies: np.ndarray, batch=None) -> AnalysisResult:
        from netsim.analysis.ac import run_ac

        if batch is not None:
            return self.batch(batch).ac(frequencies)
        return run_ac(self, np.asarray(frequencies, dtype=float))

    def tran(self, tstep: float, tstop: float, tstart: float = 0.0, tmax: float | None = None,
             uic: bool = False, method: str | None = None,
             fixed_step: float | None = None, batch=None) -> AnalysisResult:
        from netsim.analysis.transient import run_tran

        if batch is not None:
            return self.batch(batch).tran(tstep, tstop, tstart, tmax, uic, method)
        return run_tran(self, tstep, tstop, tstart, tmax, uic,
                        method or str(self.circuit.options.get("method", "trap")), fixed_step)

    def hb(self, args: dict | None = None, **kwargs) -> AnalysisResult:
        """Harmonic balance: ``sim.hb(tones=[1e9, 1.1e9], nharm=5)`` (the .hb card's
        parameters). Returns the hb result; with ``points`` its ``companions`` hold the hb_time
        waveforms."""
        from netsim.analysis.hb import run_hb

        parts = run_hb(self, {**(args or {}), **kwargs})
        parts[0].companions = parts[1:]
        return parts[0]

    def rfdc(self, maxrel: float = 0.01, validity: bool = True) -> AnalysisResult:
        """DC outputs under weak RF drive, exact to second order in the RF amplitudes
        (netsim.analysis.rfdc); ``stats['validity']`` estimates the neglected orders."""
        from netsim.analysis.rfdc import run_rfdc

        return run_rfdc(self, maxrel, validity)

    def run(self, request) -> AnalysisResult:
        """Run one AnalysisRequest from the netlist."""
        return run_request(self, request)

    def run_all(self, on_result=None) -> RunResults:
        """Every analysis card in order; on_result(result) is called as each finishes.

        With .step cards every analysis runs over all variants at once (netsim.batch); each
        result then carries the variants' parameter columns first."""
        if self.circuit.steps:
            return self.batch(self.circuit.steps).run_all(on_result)
        results = RunResults(title=self.circuit.title)
        for request in self.circuit.analyses:
            try:
                first = self.run(request)
            except InterruptedAnalysis as stop:  # keep the points computed, then stop
                self._deliver(stop.partial, results, on_result)
                raise
            self._deliver(first, results, on_result)
        return results

    def _deliver(self, first: AnalysisResult, results: RunResults, on_result) -> None:
        """Add a result and its companions to ``results``; on_result(result) for each."""
        for res in (first, *first.companions):
            results.add(res)
            res.plot_x = (self.circuit.plot_x.get(res.kind)
                          or self.circuit.plot_x.get("all"))
            if on_result is not None:
                on_result(res)


def run_request(target, request):
    """Dispatch an AnalysisRequest to ``target``'s op/dc/ac/tran (a Simulator or a batch).
    An error without a location gets one: the device it names, else the analysis card."""
    try:
        return _dispatch(target, request)
    except NetsimError as err:
        if err.span is None:
            err.span = _named_device_span(target, err.message) or request.span
        raise


_DEVICE_NAMED = re.compile(r"device '([^']+)'")


def _named_device_span(target, message: str):
    """The netlist span of the instance a message names as ``device 'x1.m3'``, if any."""
    m = _DEVICE_NAMED.search(message)
    circuit = getattr(getattr(target, "sim", target), "circuit", None)
    if m is None or circuit is None:
        return None
    return next((inst.span for inst in circuit.instances if inst.name == m.group(1)), None)


def _dispatch(target, request):
    a = request.args
    if request.kind == "op":
        return target.op()
    if request.kind == "dc":
        return target.dc(a["sweeps"])
    if request.kind == "ac":
        return target.ac(a["frequencies"])
    if request.kind == "hb":
        return target.hb({**a, "span": request.span})
    if request.kind == "tran":
        return target.tran(a["tstep"], a["tstop"], a.get("tstart", 0.0), a.get("tmax"),
                           a.get("uic", False))
    if request.kind == "rfdc":
        return target.rfdc(a.get("maxrel", 0.01))
    raise AnalysisError(f"analysis '.{request.kind}' is not supported", request.span)


def run_file(path: str | Path, on_result=None) -> RunResults:
    """Parse, elaborate and run every analysis of a netlist file."""
    return Simulator.from_file(path).run_all(on_result)


def run_text(text: str, filename: str = "<string>", on_result=None) -> RunResults:
    """Same as run_file for netlist text."""
    return Simulator.from_text(text, filename).run_all(on_result)
