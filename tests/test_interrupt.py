"""An interrupt (Ctrl-C) keeps what was computed: the analyses that finished, and the points an
interrupted transient, DC or AC sweep had reached (``InterruptedAnalysis``), through the Python
API, batches and the CLI."""

from __future__ import annotations

import numpy as np
import pytest

import netsim.analysis.ac as ac_module
import netsim.analysis.dc as dc_module
from netsim.analysis.transient import InterpolationControl
from netsim.batch import InterruptedBatch
from netsim.cli import main
from netsim.results import InterruptedAnalysis
from netsim.simulator import Simulator

RC = """RC behind a pulse
V1 in 0 PULSE(0 1 1n 1n 1n 20n 50n)
R1 in out 1k
C1 out 0 10p
.op
.tran 1n 100n
.end
"""


def _interrupt_after(monkeypatch, calls: int) -> None:
    """Make the transient's accepted-point bookkeeping raise KeyboardInterrupt at a call."""
    real = InterpolationControl.accept
    seen = [0]

    def accept(self, sols, steps):
        seen[0] += 1
        if seen[0] == calls:
            raise KeyboardInterrupt
        return real(self, sols, steps)

    monkeypatch.setattr(InterpolationControl, "accept", accept)


def test_interrupted_transient_hands_on_its_points(monkeypatch) -> None:
    import netsim

    assert netsim.InterruptedAnalysis is InterruptedAnalysis  # the public name
    whole = Simulator.from_text(RC, "rc").run_all().tran
    _interrupt_after(monkeypatch, 40)
    delivered = []
    with pytest.raises(InterruptedAnalysis) as stop:
        Simulator.from_text(RC, "rc").run_all(on_result=delivered.append)
    assert [r.kind for r in delivered] == ["op", "tran"]
    part = delivered[1]
    assert part is stop.value.partial
    assert part.stats["interrupted"] is True
    assert "INTERRUPTED: the points up to time =" in part.summary()
    n = part.columns["time"].size
    assert 30 <= n < whole.columns["time"].size
    for name in ("time", "v(out)", "i(v1)"):  # the same points as the whole run's first ones
        np.testing.assert_array_equal(part.columns[name], whole.columns[name][:n])


def test_interrupted_dc_sweep_keeps_its_points_and_restores_the_source(monkeypatch) -> None:
    text = "divider\nV1 a 0 1\nR1 a b 1k\nR2 b 0 1k\n.dc V1 0 5 1\n.end\n"
    real = dc_module.solve_op
    seen = [0]

    def solve_op(*args, **kwargs):
        seen[0] += 1
        if seen[0] == 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(dc_module, "solve_op", solve_op)
    sim = Simulator.from_text(text, "divider")
    with pytest.raises(InterruptedAnalysis) as stop:
        sim.run_all()
    part = stop.value.partial
    np.testing.assert_array_equal(part.columns["v1"], [0.0, 1.0, 2.0])
    np.testing.assert_allclose(part.columns["v(b)"], [0.0, 0.5, 1.0], rtol=1e-9)
    monkeypatch.setattr(dc_module, "solve_op", real)
    assert float(sim.op().columns["v(b)"]) == pytest.approx(0.5)  # V1 back at its 1 V


def test_interrupted_batched_transient_keeps_every_variant(monkeypatch) -> None:
    text = RC.replace("R1 in out 1k", "R1 in out {r}").replace(
        ".op", ".param r=1k\n.step param r list 1k 2k")
    _interrupt_after(monkeypatch, 40)
    with pytest.raises(InterruptedBatch) as stop:
        Simulator.from_text(text, "rc").run_all()
    variants = stop.value.partial.results
    assert len(variants) == 2
    assert all(v.stats["interrupted"] and v.columns["time"].size >= 30 for v in variants)
    assert not np.array_equal(variants[0].columns["v(out)"], variants[1].columns["v(out)"])


def test_cli_writes_the_interrupted_transient(monkeypatch, tmp_path, capsys) -> None:
    net = tmp_path / "rc.net"
    net.write_text(RC)
    _interrupt_after(monkeypatch, 40)
    assert main(["run", str(net), "-o", str(tmp_path / "out")]) == 130
    err = capsys.readouterr()
    assert "INTERRUPTED: the points up to time =" in err.out
    assert "interrupted; results of finished analyses were kept" in err.err
    assert (tmp_path / "out" / "op.csv").exists()
    data = np.genfromtxt(tmp_path / "out" / "tran.csv", delimiter=",", names=True)
    assert 30 <= data.size < 100
    assert np.all(np.diff(data["time"]) > 0.0)


def test_interrupted_ac_sweep_keeps_its_frequencies(monkeypatch) -> None:
    text = "lowpass\nV1 in 0 dc 0 ac 1\nR1 in out 1k\nC1 out 0 1n\n.ac dec 10 1k 1g\n.end\n"
    whole = Simulator.from_text(text, "lp").run_all().ac
    real = ac_module.make_solver

    def make_solver(*args, **kwargs):
        solver = real(*args, **kwargs)
        solve, seen = solver.solve, [0]

        def interrupting_solve(b):
            seen[0] += 1
            if seen[0] == 11:
                raise KeyboardInterrupt
            return solve(b)

        solver.solve = interrupting_solve
        return solver

    monkeypatch.setattr(ac_module, "make_solver", make_solver)
    with pytest.raises(InterruptedAnalysis) as stop:
        Simulator.from_text(text, "lp").run_all()
    part = stop.value.partial
    assert part.stats["interrupted"] is True and part.stats["points"] == 10
    np.testing.assert_array_equal(part.columns["frequency"], whole.columns["frequency"][:10])
    np.testing.assert_array_equal(part["v(out)"], whole["v(out)"][:10])
