"""Fourier series of periodic piecewise-linear waveforms against a dense FFT."""

from __future__ import annotations

import numpy as np
import pytest

from netsim.devices.fourier import piecewise_linear_series, pulse_period_points

PERIOD = 1e-6


def _dense(times: np.ndarray, values: np.ndarray, samples: int = 2 ** 20) -> np.ndarray:
    """rfft/samples of the waveform sampled over one period (x2 for peak phasors above DC)."""
    t = np.arange(samples) * PERIOD / samples
    folded = (t - times[0]) % PERIOD + times[0]
    y = np.interp(folded, np.r_[times, times[0] + PERIOD], np.r_[values, values[0]])
    spec = np.fft.rfft(y) / samples
    spec[1:] *= 2.0
    return spec


@pytest.mark.parametrize("args", [
    (0.0, 1.0, 0.1e-6, 10e-9, 20e-9, 0.3e-6),   # ordinary trapezoid
    (0.0, 2.0, 0.7e-6, 50e-9, 50e-9, 0.2e-6),   # delayed to the end of the period
    (0.5, -1.0, 0.0, 1e-9, 300e-9, 0.0),         # triangle, no flat top
])
def test_pulse_series_matches_dense_fft(args) -> None:
    times, values = pulse_period_points(*args, PERIOD)
    dc, phasors = piecewise_linear_series(times, values, PERIOD, 40)
    ref = _dense(times, values)
    assert dc == pytest.approx(ref[0].real, abs=1e-9)
    np.testing.assert_allclose(phasors, ref[1:41], atol=1e-8)


def test_jumps_give_the_square_wave_series() -> None:
    """A 0/1 square wave (tr = tf = 0): odd harmonics 2/(n pi), even ones zero."""
    times, values = pulse_period_points(0.0, 1.0, 0.0, 0.0, 0.0, PERIOD / 2, PERIOD)
    dc, phasors = piecewise_linear_series(times, values, PERIOD, 9)
    n = np.arange(1, 10)
    expected = np.where(n % 2 == 1, 2.0 / (np.pi * n), 0.0)
    assert dc == pytest.approx(0.5, abs=1e-15)
    np.testing.assert_allclose(np.abs(phasors), expected, atol=1e-12)
    # sin(w t) shape: the fundamental's phasor is -j 2/pi
    assert phasors[0] == pytest.approx(-2j / np.pi, abs=1e-12)


def test_bad_points_are_rejected() -> None:
    with pytest.raises(ValueError, match="span at most one period"):
        piecewise_linear_series(np.array([0.0, 2e-6]), np.array([0.0, 1.0]), PERIOD, 3)
    with pytest.raises(ValueError, match="non-decreasing"):
        piecewise_linear_series(np.array([0.5e-6, 0.1e-6]), np.array([0.0, 1.0]), PERIOD, 3)
