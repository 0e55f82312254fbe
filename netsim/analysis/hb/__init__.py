"""Harmonic balance: spectral grid (grid), equations (system), Newton (solve), the ``.hb``
analysis (run) and free-running oscillators (autonomous)."""

from netsim.analysis.hb.run import run_hb

__all__ = ["run_hb"]
