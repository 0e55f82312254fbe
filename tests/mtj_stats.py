"""Switching statistics of behavioural (level-1) MTJs measured inside netsim transients.

Helpers for tests/test_mtj.py. A *chunk* is one netsim transient of ``n`` MTJ instances in
parallel, each in series with its own DC current source (``I<k> 0 a<k> dc I``; the device
current is then exactly I whatever the state), with its own ``.options seed``. Many chunks
with consecutive seeds give as many independent trials as wanted; the transient engine, the
device's hazard integration (``dh/dt = r``) and its event sampler are exercised for every trial.

Two times are recorded per switching event (``MTJ.event_table``):

- ``t_cross``: the hazard crossing, i.e. the sampled switching time of the Poisson process
  (exact for a constant current: h is linear in t and interpolated linearly);
- ``t_flip``: the accepted time point from which the circuit sees the new state (at most one
  time step after ``t_cross``). Its mean excess over ``t_cross`` is the bias of a switching time
  read off the waveform; it is reported as ``delay``.

Means of exponential samples with right censoring (instances still waiting when a run ends) use
the maximum-likelihood estimate ``(sum of observed and censored durations) / events``, whose
relative standard error is ``1 / sqrt(events)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from netsim.devices.mtj import MTJ
from netsim.simulator import Simulator


@dataclass
class Estimate:
    """Mean of exponential durations with its standard error, against a closed form."""

    mean: float  # s, maximum-likelihood mean
    se: float  # s, standard error of the mean
    events: int  # uncensored samples
    trials: int  # all samples (events + censored)
    reference: float  # s, closed form
    delay: float  # s, mean t_flip - t_cross of the events
    seconds: float  # wall time of the transients

    @property
    def deviation(self) -> float:
        """Relative deviation of the mean from the closed form."""
        return self.mean / self.reference - 1.0

    @property
    def sigmas(self) -> float:
        """Deviation in standard errors."""
        return abs(self.mean - self.reference) / self.se

    def __str__(self) -> str:
        return (f"mean {self.mean:.5g} s vs {self.reference:.5g} s: {100 * self.deviation:+.3f} % "
                f"(SE {100 * self.se / self.mean:.3f} %, {self.sigmas:.2f} SE), "
                f"{self.events} events / {self.trials} trials, flip delay "
                f"{100 * self.delay / self.reference:.3f} % of the mean, {self.seconds:.1f} s")


def censored_mean(durations: np.ndarray, censored: np.ndarray) -> tuple[float, float, int]:
    """(MLE mean, its standard error, number of events) of exponential samples, some
    right-censored."""
    events = int(np.count_nonzero(~censored))
    mean = float(durations.sum() / events)
    return mean, mean / np.sqrt(events), events


def parallel_circuit(card: str, current: float, n: int, seed: int) -> Simulator:
    """n MTJs of ``.model mt mtj(card)``, each driven by its own DC current source."""
    lines = ["parallel mtjs", f".model mt mtj({card})"]
    for k in range(n):
        lines += [f"I{k} 0 a{k} dc {current}", f"N{k} a{k} 0 mt"]
    lines += [f".options seed={seed}", ".end"]
    return Simulator.from_text("\n".join(lines))


def mtj_group(sim: Simulator) -> MTJ:
    return next(g.device for g in sim.compiled.groups if g.device.family == "mtj")


def first_switching(card: str, current: float, trials: int, chunk: int, tau: float,
                    seed: int, span: float = 8.0, steps_per_tau: float = 20.0) -> Estimate:
    """First switching times P -> AP of ``trials`` instances (chunks of ``chunk`` instances),
    transients of ``span`` tau with tstep = tmax = tau / steps_per_tau; compared with tau."""
    durations, censored, delays = [], [], []
    wall = time.perf_counter()
    for k in range(-(-trials // chunk)):
        n = min(chunk, trials - k * chunk)
        sim = parallel_circuit(card, current, n, seed + k)
        t_end = span * tau
        sim.tran(tau / steps_per_tau, t_end)
        ev = mtj_group(sim).event_table()
        first = np.full(n, t_end)
        flip = np.full(n, np.nan)
        order = np.argsort(ev["t_cross"])[::-1]  # the earliest event of an instance wins
        first[ev["instance"][order]] = ev["t_cross"][order]
        flip[ev["instance"][order]] = ev["t_flip"][order]
        cens = np.ones(n, dtype=bool)
        cens[ev["instance"]] = False
        durations.append(first)
        censored.append(cens)
        delays.append((flip - first)[~cens])
    seconds = time.perf_counter() - wall
    mean, se, events = censored_mean(np.concatenate(durations), np.concatenate(censored))
    return Estimate(mean, se, events, trials, tau, float(np.mean(np.concatenate(delays))),
                    seconds)


def telegraph(card: str, current: float, n: int, chunks: int, t_end: float, tmax: float,
              seed: int, refs: tuple[float, float]) -> tuple[Estimate, Estimate]:
    """Dwell times in P and AP of ``n`` p-bits per transient, ``chunks`` transients of
    ``t_end``; refs = closed-form (tau_P, tau_AP).

    A dwell starts at the accepted point where the circuit entered the state (the device draws
    the next threshold there) and ends at the hazard crossing that leaves it; the dwell still
    running at t_end is censored."""
    durs: dict[int, list] = {0: [], 1: []}
    cens: dict[int, list] = {0: [], 1: []}
    delay: dict[int, list] = {0: [], 1: []}
    wall = time.perf_counter()
    for k in range(chunks):
        sim = parallel_circuit(card, current, n, seed + k)
        sim.tran(tmax, t_end, tmax=tmax)
        ev = mtj_group(sim).event_table()
        inst, tc, tf, st = ev["instance"], ev["t_cross"], ev["t_flip"], ev["state"]
        order = np.lexsort((tc, inst))  # by instance, then time
        inst, tc, tf, st = inst[order], tc[order], tf[order], st[order]
        for j in range(n):
            sel = inst == j
            c, f, s = tc[sel], tf[sel], st[sel]
            starts = np.concatenate([[0.0], f])
            states = np.concatenate([[0.0], s]).astype(int)  # every p-bit starts in P
            for state in (0, 1):
                mine = states[:-1] == state
                durs[state].append(c[mine] - starts[:-1][mine])
                cens[state].append(np.zeros(np.count_nonzero(mine), dtype=bool))
                delay[state].append((f - c)[mine])
            durs[states[-1]].append(np.array([t_end - starts[-1]]))  # still dwelling
            cens[states[-1]].append(np.array([True]))
    seconds = time.perf_counter() - wall
    out = []
    for state in (0, 1):
        d, c = np.concatenate(durs[state]), np.concatenate(cens[state])
        mean, se, events = censored_mean(d, c)
        out.append(Estimate(mean, se, events, d.size, refs[state],
                            float(np.mean(np.concatenate(delay[state]))), seconds))
    return out[0], out[1]
