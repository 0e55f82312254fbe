"""Batches: B variants of one circuit (parameter values, stimuli) simulated in one run.

Each variant is the netlist elaborated with its own top-level ``.param`` values; the variants
are then stacked into one circuit of B disconnected copies (instance and node names prefixed
``b<k>.``), so every device family evaluates all B x N instances in one vectorised call and
Newton solves all variants together. The Jacobian is block diagonal: small blocks are solved
with a batched dense LU (``netsim.analysis.batched``), large ones by the sparse solver.

Semantics (docs/batch.md): operating points, DC sweeps and AC results of a variant equal those
of running it alone (Newton converges jointly; a converged variant only gets more accurate).
A transient shares one time grid: every variant is integrated with the steps the most
demanding one needs, so its waveform agrees with a standalone run within the integration
tolerances, not bit for bit.

    sim = Simulator.from_file("inv.net")
    run = sim.batch({"cload": [1e-15, 2e-15, 5e-15]})
    res = run.tran(1e-11, 5e-9)          # BatchResult
    res[2]["v(out)"]                      # variant 2, as a standalone AnalysisResult
    res.table()                           # one AnalysisResult with the parameters as columns
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from netsim.analysis.batched import BlockDenseSolver
from netsim.analysis.klu import klu_available
from netsim.analysis.linalg import DENSE_LIMIT
from netsim.circuit.circuit import GROUND, Circuit, Instance
from netsim.circuit.elaborate import elaborate
from netsim.errors import AnalysisError, NetsimError
from netsim.results import AnalysisResult, InterruptedAnalysis, RunResults


def variant_list(variants) -> list[dict[str, float]]:
    """A list of {param: value} dicts from such a list or from {param: sequence of values}."""
    if isinstance(variants, Mapping):
        lengths = {len(np.atleast_1d(v)) for v in variants.values()}
        if len(lengths) != 1:
            raise AnalysisError("every parameter of a batch needs the same number of values")
        count = lengths.pop()
        return [{k: float(np.atleast_1d(v)[i]) for k, v in variants.items()}
                for i in range(count)]
    if isinstance(variants, Sequence) and all(isinstance(v, Mapping) for v in variants):
        return [{k: float(x) for k, x in v.items()} for v in variants]
    raise AnalysisError("a batch is a {param: values} table or a list of {param: value} dicts")


def _prefixed(inst: Instance, prefix: str) -> Instance:
    return dataclasses.replace(
        inst,
        name=prefix + inst.name,
        nodes=tuple(n if n == GROUND else prefix + n for n in inst.nodes),
        controls=tuple(prefix + c for c in inst.controls),
    )


def _same_analyses(circuits: list[Circuit]) -> None:
    first = circuits[0]
    for c in circuits[1:]:
        same = len(c.analyses) == len(first.analyses) and c.temp == first.temp and all(
            a.kind == b.kind and repr(a.args) == repr(b.args)
            for a, b in zip(first.analyses, c.analyses))
        if not same:
            raise AnalysisError(
                "the variants of a batch have different analysis cards or temperatures",
                hint="analysis arguments may not depend on the varied parameters")


class BatchRun:
    """The stacked circuit of a batch and its analyses."""

    def __init__(self, netlist, variants: list[dict[str, float]]) -> None:
        from netsim.simulator import Simulator

        if not variants:
            raise AnalysisError("a batch needs at least one variant")
        self.variants = variants
        self.circuits = [elaborate(netlist, v) for v in variants]
        _same_analyses(self.circuits)
        self.prefixes = [f"b{k}." for k in range(len(variants))]
        first = self.circuits[0]
        stacked = Circuit(
            title=first.title,
            instances=[_prefixed(i, p) for c, p in zip(self.circuits, self.prefixes)
                       for i in c.instances],
            analyses=first.analyses,
            options=dict(first.options),
            temp=first.temp,
            tnom=first.tnom,
            ic={p + n: v for c, p in zip(self.circuits, self.prefixes) for n, v in c.ic.items()},
            nodeset={p + n: v for c, p in zip(self.circuits, self.prefixes)
                     for n, v in c.nodeset.items()},
            file=first.file,
        )
        self.sim = Simulator(stacked)
        self._use_block_solver()

    def _use_block_solver(self) -> None:
        """Batched dense LU of the diagonal blocks, unless KLU is available: KLU finds the
        blocks itself (block-triangular pre-ordering) and its refactorisation was about twice
        as fast as LAPACK's batched solve on 1000 blocks of 5 unknowns (docs/batch.md)."""
        if klu_available() or "solver" in self.sim.circuit.options:
            return
        cc = self.sim.compiled
        nblocks = len(self.prefixes)
        block = np.empty(cc.n, dtype=np.int64)
        for k, name in enumerate(cc.names):
            inner = name[2:] if name[:2] in ("v(", "i(") else name
            block[k] = int(inner[1:inner.index(".")])
        counts = np.bincount(block, minlength=nblocks)
        nb = int(counts[0])
        if nblocks < 2 or np.any(counts != nb) or nb > DENSE_LIMIT \
                or "solver" in self.sim.circuit.options:
            return
        local = np.empty(cc.n, dtype=np.int64)
        seen = np.zeros(nblocks, dtype=np.int64)
        for k in range(cc.n):
            local[k] = seen[block[k]]
            seen[block[k]] += 1
        self.sim.solver = BlockDenseSolver(cc.n, cc.indptr, cc.indices, block, local,
                                           nblocks, nb)

    # ------------------------------------------------------------------ results
    def _split(self, stacked: AnalysisResult, leading: list[str]) -> BatchResult:
        results = []
        raw = stacked.raw
        for circuit, prefix in zip(self.circuits, self.prefixes):
            cols = {name: stacked.columns[name] for name in leading}
            cols.update(self.sim.output_columns(stacked.kind, raw, prefix, circuit.prints))
            if stacked.kind == "op":
                cols = {k: np.asarray(v) for k, v in cols.items()}
            results.append(AnalysisResult(stacked.kind, stacked.name, cols, dict(stacked.stats)))
        return BatchResult(self.variants, results, stacked.stats)

    def op(self) -> BatchResult:
        return self._split(self.sim.op(), [])

    def dc(self, sweeps: list[tuple[str, np.ndarray]]) -> BatchResult:
        from netsim.analysis.dc import TEMPERATURE, run_dc

        targets = [[name] if name == TEMPERATURE else [p + name for p in self.prefixes]
                   for name, _ in sweeps]
        leading = [name for name, _ in sweeps]
        with self._keeping_partial(leading):
            stacked = run_dc(self.sim, sweeps, targets)
        return self._split(stacked, leading)

    def ac(self, frequencies: np.ndarray) -> BatchResult:
        with self._keeping_partial(["frequency"]):
            stacked = self.sim.ac(frequencies)
        return self._split(stacked, ["frequency"])

    def tran(self, tstep: float, tstop: float, tstart: float = 0.0, tmax: float | None = None,
             uic: bool = False, method: str | None = None) -> BatchResult:
        with self._keeping_partial(["time"]):
            stacked = self.sim.tran(tstep, tstop, tstart, tmax, uic, method)
        return self._split(stacked, ["time"])

    @contextlib.contextmanager
    def _keeping_partial(self, leading: list[str]):
        """An interrupt inside the stacked analysis hands on its points, split per variant."""
        try:
            yield
        except InterruptedAnalysis as stop:
            raise InterruptedBatch(self._split(stop.partial, leading)) from None

    def hb(self, args: dict | None = None, **kwargs) -> BatchResult:
        """Harmonic balance of every variant, one after the other: an autonomous frequency
        is a per-variant unknown, and the spectral Jacobian of one variant is already large,
        so stacking buys nothing here. A driven variant's Newton starts from the previous
        variant's phasors (a sweep continues from its last point, as a power sweep would)."""
        args = {**(args or {}), **kwargs}

        def one(sim, previous):
            warm = previous is not None and not args.get("osc")
            return sim.hb({**args, "start": previous.raw} if warm else args)

        return self._each(one)

    def rfdc(self, maxrel: float = 0.01, validity: bool = True) -> BatchResult:
        """Weak-signal rectification of every variant, one after the other."""
        return self._each(lambda sim, _: sim.rfdc(maxrel, validity))

    def _each(self, analysis) -> BatchResult:
        """analysis(Simulator, previous variant's result or None) per variant; a failure
        names the variant it happened in."""
        from netsim.simulator import Simulator

        results = []
        for k, (variant, circuit) in enumerate(zip(self.variants, self.circuits)):
            try:
                results.append(analysis(Simulator(circuit), results[-1] if results else None))
            except NetsimError as err:
                values = ", ".join(f"{name}={value:g}" for name, value in variant.items())
                err.message = f"variant {k} ({values}): {err.message}"
                err.args = (err.message,)
                raise
            except KeyboardInterrupt:
                if not results:
                    raise
                # the variants that finished are results the user keeps (run_all writes them)
                raise InterruptedBatch(BatchResult(
                    self.variants[:len(results)], results,
                    {**_summed(results), "interrupted": True})) from None
        return BatchResult(self.variants, results, _summed(results))

    def run(self, request) -> BatchResult:
        from netsim.simulator import run_request

        return run_request(self, request)

    def run_all(self, on_result=None) -> RunResults:
        """Every analysis card, each as one table with the varied parameters first."""
        results = RunResults(title=self.sim.circuit.title)
        for request in self.sim.circuit.analyses:
            try:
                batch = self.run(request)
            except InterruptedBatch as stop:
                self._deliver(stop.partial, results, on_result)
                raise
            self._deliver(batch, results, on_result)
        return results

    @staticmethod
    def _deliver(batch: BatchResult, results: RunResults, on_result) -> None:
        for table in (batch.table(), *batch.companion_tables()):
            res = results.add(table)
            if on_result is not None:
                on_result(res)


class InterruptedBatch(InterruptedAnalysis):
    """An interrupt during a batch; ``partial`` is a BatchResult: the variants that finished
    (variant by variant) or every variant's points so far (stacked), which BatchRun.run_all
    hands on before the interrupt goes on."""


def _summed(results: list[AnalysisResult]) -> dict:
    return {key: sum(r.stats.get(key, 0) for r in results)
            for key in ("newton_iterations", "seconds")}


@dataclasses.dataclass
class BatchResult:
    """Per-variant results of one analysis: ``res[k]`` is variant k's AnalysisResult."""

    variants: list[dict[str, float]]
    results: list[AnalysisResult]
    stats: dict

    def __getitem__(self, k: int) -> AnalysisResult:
        return self.results[k]

    def __len__(self) -> int:
        return len(self.results)

    def companion_tables(self) -> list[AnalysisResult]:
        """table() of each companion result (e.g. hb_time of .hb with points=)."""
        count = min((len(r.companions) for r in self.results), default=0)
        return [BatchResult(self.variants, [r.companions[j] for r in self.results],
                            self.stats).table() for j in range(count)]

    def table(self) -> AnalysisResult:
        """All variants in one result: the varied parameters as leading columns, then each
        variant's rows (op: one row per variant)."""
        kind = self.results[0].kind
        names = list(self.variants[0])
        cols: dict[str, list[np.ndarray]] = {n: [] for n in names}
        for variant, res in zip(self.variants, self.results):
            rows = np.atleast_1d(next(iter(res.columns.values()))).shape[0] if res.columns else 1
            for n in names:
                cols[n].append(np.full(rows, variant[n]))
            for key, value in res.columns.items():
                cols.setdefault(key, []).append(np.atleast_1d(value))
        merged = {k: np.concatenate(v) for k, v in cols.items()}
        return AnalysisResult(kind, kind, merged, {**self.stats, "variants": len(self.results)},
                              step_columns=names)
