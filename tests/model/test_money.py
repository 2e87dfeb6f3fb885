"""Money: exact Decimal arithmetic, half-up rounding to minor units, currency-aware formatting."""
from __future__ import annotations

from decimal import Decimal

import pytest

from interlock.evaluation import expressions
from interlock.model.money import format_money, from_minor, quantize, symbol, to_decimal, to_minor


@pytest.mark.parametrize("amount, text", [
    (7_470_000, "EUR 7.47M"),
    (10_000_000, "EUR 10.0M"),
    (99_900_000, "EUR 99.9M"),
    (123_456_789, "EUR 123M"),
    (18_000, "EUR 18,000"),
    (999_999, "EUR 999,999"),
    (1_250_000_000, "EUR 1.25B"),
    (999_600_000, "EUR 1.00B"),  # 999.6M rounds to 1,000M: one scale up
    (2_530_000, "EUR 2.53M"),
    (-2_530_000, "EUR -2.53M"),
    (0, "EUR 0"),
    (12.5, "EUR 12.50"),
    (1_234.5, "EUR 1,235"),  # half-up to whole units from 100 up
])
def test_short_format(amount: float, text: str) -> None:
    assert format_money(amount, "EUR") == text


@pytest.mark.parametrize("amount, currency, text", [
    (7_470_000, "EUR", "€7,470,000"),
    (7_470_000, "USD", "$7,470,000"),
    (7_470_000, "GBP", "£7,470,000"),
    (7_470_000, "CHF", "CHF 7,470,000"),
    (18_000.5, "EUR", "€18,000.50"),
    (-1_000, "EUR", "-€1,000"),
    (-1_000, "CHF", "CHF -1,000"),
    (12.5, "JPY", "JPY 13"),  # no minor units: half-up to the yen
    (1.0005, "KWD", "KWD 1.001"),  # three minor units
])
def test_full_format(amount: float, currency: str, text: str) -> None:
    assert format_money(amount, currency, "full") == text


def test_default_currency_and_symbols() -> None:
    assert format_money(1_000_000) == "USD 1.00M"
    assert symbol("eur") == "€" and symbol("SEK") is None


def test_exact_decimal_arithmetic() -> None:
    # Floats enter through their shortest repr, so 0.1 is 0.1, not 0.1000000000000000055...
    assert to_decimal(0.1) * 3 == Decimal("0.3")
    assert to_decimal("12_000_000") == Decimal(12_000_000)
    # 4,000 x 50% x 20.75% x 18,000, the founding case, is exact.
    assert to_decimal(4000) * to_decimal(0.5) * to_decimal(0.2075) * to_decimal(18000) == Decimal("7470000")


def test_rounding_is_half_up_in_minor_units() -> None:
    assert quantize("0.125", "EUR") == Decimal("0.13")  # banker's rounding would give 0.12
    assert quantize("2.5", "JPY") == Decimal("3")
    assert to_minor("18000.505", "EUR") == 1_800_051
    assert from_minor(1_800_051, "EUR") == Decimal("18000.51")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "abc", True, None])
def test_non_amounts_are_refused(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        to_decimal(bad)


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError):
        format_money(1, "EUR", "long")


def test_money_filter_in_rule_messages() -> None:
    source = "{{ f.implied | money(f.currency) }} of {{ f.planned | money(f.currency, 'full') }}"
    context = expressions.context({"f": {"implied": 7_470_000.0, "planned": 10_000_000.0, "currency": "EUR"}}, {})
    assert expressions.render(source, context) == "EUR 7.47M of €10,000,000"
