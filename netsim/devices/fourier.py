"""Fourier series of periodic piecewise-linear waveforms (PULSE, repeating PWL) for the
spectral analyses.

Each linear segment [a, b] of a T-periodic waveform (v = v_a + s (t - a)) contributes, with
u = j n w and w = 2 pi / T, exactly

    (1/T) int_a^b v exp(-u t) dt = (1/T) [ (v_a e^{-ua} - v_b e^{-ub}) / u
                                           + s (e^{-ua} - e^{-ub}) / u^2 ]

to the complex coefficient c_n: no sampling, so edges of any steepness are represented
exactly up to the harmonic where a spectral analysis truncates the series. A jump is two
points at one time (a zero-length segment, which contributes nothing). The peak phasor of the
line at n/T is V_n = 2 c_n (the waveform is Re sum_n V_n exp(j n w t)).
"""

from __future__ import annotations

import numpy as np


def piecewise_linear_series(times: np.ndarray, values: np.ndarray, period: float,
                            harmonics: int) -> tuple[float, np.ndarray]:
    """(DC value, peak phasors (harmonics,) of lines 1..harmonics) of the T-periodic waveform
    through the points (times, values) of one period.

    times (M,) s, non-decreasing, spanning at most ``period``; two equal times make a jump.
    Before times[0] and after times[-1] the waveform continues periodically; the segment from
    the last point to times[0] + period joins values[-1] to values[0] linearly.
    """
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    if t.size == 0:
        raise ValueError("a waveform needs at least one point")
    if not period > 0.0 or t[-1] - t[0] > period * (1.0 + 1e-12) or np.any(np.diff(t) < 0.0):
        raise ValueError("points must be non-decreasing and span at most one period")
    # close the period: the segment from the last point back to values[0] at times[0] + T
    t = np.append(t, t[0] + period)
    v = np.append(v, v[0])
    dt = np.diff(t)
    seg = dt > 1e-15 * period  # zero-length segments are jumps: no area, no contribution
    ta, tb, va, vb = t[:-1][seg], t[1:][seg], v[:-1][seg], v[1:][seg]
    slope = (vb - va) / dt[seg]
    mean = float(np.sum(0.5 * (va + vb) * dt[seg]) / period)
    u = 1j * np.arange(1, harmonics + 1) * (2.0 * np.pi / period)  # (H,)
    ea, eb = np.exp(-np.outer(u, ta)), np.exp(-np.outer(u, tb))  # (H, segments)
    c = ((ea * va - eb * vb).sum(axis=1) / u + ((ea - eb) @ slope) / u ** 2) / period
    return mean, 2.0 * c


def pulse_period_points(v1: float, v2: float, td: float, tr: float, tf: float, pw: float,
                        per: float) -> tuple[np.ndarray, np.ndarray]:
    """Corner times and values of one period of PULSE(v1 v2 td tr tf pw per): v1, a rise of
    tr to v2, v2 for pw, a fall of tf back to v1 (tr = 0 or tf = 0: a jump)."""
    times = td + np.array([0.0, tr, tr + pw, tr + pw + tf])
    return times, np.array([v1, v2, v2, v1])
