"""SPICE number parsing and dBm conversions (netsim.units)."""

import math

import numpy as np
import pytest

from netsim.units import dbm_to_watts, parse_number, parse_power, watts_to_dbm


@pytest.mark.parametrize(
    "text, value",
    [
        ("1", 1.0),
        ("-1", -1.0),
        ("+2", 2.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1.", 1.0),
        ("1e-3", 1e-3),
        ("2.2E+6", 2.2e6),
        ("1k", 1e3),
        ("2.2u", 2.2e-6),
        ("10pF", 1e-11),
        ("1kohm", 1e3),
        ("5V", 5.0),
        ("3meg", 3e6),
        ("3MEG", 3e6),
        ("1Mohm", 1e-3),
        ("1m", 1e-3),
        ("1ms", 1e-3),
        ("1t", 1e12),
        ("1g", 1e9),
        ("1n", 1e-9),
        ("1f", 1e-15),
        ("1F", 1e-15),
        ("1a", 1.0),  # ngspice 39: a unit letter (amp), not atto
        ("2mA", 2e-3),
        ("5mil", 5 * 25.4e-6),
        ("1e3k", 1e6),
        ("1k2", 1e3),  # ngspice: letters after the number are units, digits included
        ("1.5e", 1.5),  # 'e' without digits is a unit letter
        ("1hz", 1.0),
        (" 4.7k ", 4.7e3),
    ],
)
def test_numbers(text, value):
    assert parse_number(text) == pytest.approx(value, rel=1e-15)


def test_mil_is_milli_in_parameter_expressions():
    """ngspice's numparam has no mil: in .param values and braces 1mil is 1e-3 (measured)."""
    assert parse_number("1mil", expression=True) == 1e-3
    assert parse_number("2meg", expression=True) == 2e6
    assert parse_number("1mil") == 25.4e-6


def test_suffix_is_exact():
    assert parse_number("2.5u") == 2.5e-6
    assert parse_number("-2.5u") == -2.5e-6
    assert parse_number("10p") == 10e-12


@pytest.mark.parametrize("text", ["abc", "1.2.3", "", "k1", "--1", "1 k", "1-2", "1k-", "e3",
                                  ".", "+", "1e+", "1..2"])
def test_not_numbers(text):
    assert parse_number(text) is None


def test_dbm():
    assert dbm_to_watts(0.0) == pytest.approx(1e-3)
    assert dbm_to_watts(30.0) == pytest.approx(1.0)
    assert dbm_to_watts(-20.0) == pytest.approx(1e-5)
    assert watts_to_dbm(1e-3) == pytest.approx(0.0)
    assert watts_to_dbm(1.0) == pytest.approx(30.0)
    arr = np.array([-20.0, 0.0, 10.0])
    assert np.allclose(watts_to_dbm(dbm_to_watts(arr)), arr)
    assert isinstance(dbm_to_watts(1.0), float)
    with pytest.raises(ValueError):
        watts_to_dbm(0.0)


def test_parse_power():
    assert parse_power("-20dbm") == pytest.approx(1e-5)
    assert parse_power("0dBm") == pytest.approx(1e-3)
    assert parse_power("1m") == pytest.approx(1e-3)
    assert parse_power("xdbm") is None
    assert parse_power("dbm") is None
    assert math.isfinite(parse_power("10dbm"))
