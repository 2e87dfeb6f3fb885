"""Exact money: Decimal amounts, rounded to the currency's minor units, formatted for people.

Interlock never does money arithmetic in binary floating point: the policy
model holds money as Decimal, quantitative facts are computed in Decimal
(engine/knowledge/quant/), and only the facts handed to the rules engine are floats.
Two formats, both with thousands separators:

- ``short``: the ISO code and at most three significant digits from a million
  up (``EUR 7.47M``, ``EUR 10.0M``, ``USD 1.25B``); whole units below that
  (``EUR 18,000``). For messages and arithmetic strings.
- ``full``: the symbol for EUR, USD and GBP (``€7,470,000``, ``$1,250.50``),
  the ISO code otherwise (``CHF 7,470,000``); minor units only when there are
  any. For tables.

Rounding is half-up (commercial rounding), never banker's rounding.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
#: ISO 4217 minor units where they are not 2.
MINOR_UNITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "HUF": 2, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3,
               "TND": 3}
DEFAULT_CURRENCY = "USD"
_SCALES = ((Decimal(10) ** 12, "T"), (Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"))


def to_decimal(value: Any) -> Decimal:
    """A Decimal for an int, a float (through its shortest repr, so 0.1 stays 0.1), a str or a Decimal."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite amount")
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            result = Decimal(value.replace("_", "").strip())
        except InvalidOperation as exc:
            raise ValueError(f"{value!r} is not a number") from exc
        if not result.is_finite():
            raise ValueError(f"{value!r} is not a finite amount")
        return result
    raise TypeError(f"{value!r} is not an amount")


def minor_units(currency: str | None) -> int:
    return MINOR_UNITS.get((currency or DEFAULT_CURRENCY).upper(), 2)


def quantize(amount: Any, currency: str | None = None) -> Decimal:
    """The amount rounded (half-up) to the currency's minor units: EUR cents, JPY yen."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return to_decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def to_minor(amount: Any, currency: str | None = None) -> int:
    """The amount in integer minor units (cents), rounded half-up."""
    return int(quantize(amount, currency).scaleb(minor_units(currency)))


def from_minor(units: int, currency: str | None = None) -> Decimal:
    return Decimal(units).scaleb(-minor_units(currency))


def symbol(currency: str | None) -> str | None:
    return SYMBOLS.get((currency or DEFAULT_CURRENCY).upper())


def _grouped(amount: Decimal, places: int) -> str:
    """``1234567.5`` -> ``1,234,567.50`` with ``places`` decimals, rounded half-up."""
    exponent = Decimal(1).scaleb(-places)
    return f"{amount.quantize(exponent, rounding=ROUND_HALF_UP):,.{places}f}"


def _significant(amount: Decimal, digits: int = 3) -> str:
    """``7.47``, ``10.0``, ``123``: ``digits`` significant digits, trailing zeros kept."""
    if amount == 0:
        return "0"
    integer_digits = len(str(int(amount))) if amount >= 1 else 1
    places = max(digits - integer_digits, 0)
    return _grouped(amount, places)


def format_money(amount: Any, currency: str | None = None, style: str = "short") -> str:
    """``EUR 7.47M`` (short) or ``€7,470,000`` (full); see the module docstring."""
    value = to_decimal(amount)
    code = (currency or DEFAULT_CURRENCY).upper()
    sign = "-" if value < 0 else ""
    value = abs(value)
    if style == "full":
        places = minor_units(code)
        rounded = quantize(value, code)
        text = _grouped(rounded, places if rounded != rounded.to_integral_value() else 0)
        mark = symbol(code)
        return f"{sign}{mark}{text}" if mark else f"{code} {sign}{text}"
    if style != "short":
        raise ValueError(f"unknown money style {style!r} (short or full)")
    for index, (scale, suffix) in enumerate(_SCALES):
        if value >= scale:
            text = _significant(value / scale)
            if index > 0 and Decimal(text.replace(",", "")) >= 1000:  # 999.6M rounds to 1,000M: say 1.00B
                bigger, suffix = _SCALES[index - 1]
                text = _significant(value / bigger)
            return f"{code} {sign}{text}{suffix}"
    if value >= 100 or value == value.to_integral_value():
        text = _grouped(value, 0)
    else:
        text = _grouped(value, minor_units(code))
    return f"{code} {sign}{text}"


def money_filter(value: Any, currency: str | None = None, style: str = "short") -> str:
    """The Jinja filter: ``{{ f.implied | money(f.currency) }}``."""
    return format_money(value, currency, style)
