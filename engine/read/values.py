"""Values as people write them in policy files and spreadsheets: percentages, amounts, dates; and how
messages quote them back (`show`, `quote`, did-you-mean)."""
from __future__ import annotations

import datetime
import difflib
import math
import re
from collections.abc import Iterable
from decimal import Decimal

from interlock.read.yamlsource import clip

PERCENT = re.compile(r"^([+-]?[0-9]+(?:\.[0-9]+)?)\s*%$")


#: Dates a plan can mean: the fiscal years the schema allows (1900 to 2999). Far enough from the
#: calendar's ends (year 1, year 9999) that date arithmetic downstream (ramps, slips, periods) cannot overflow.
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(2999, 12, 31)


COMPANY = "company"


DIRECTIONS = {"up": 1, "down": -1}


def parse_percent(value: object) -> float | None:
    """``0.4`` and ``'40%'`` are both 0.4; anything else is None."""
    if isinstance(value, str):
        match = PERCENT.match(value.strip())
        return float(match.group(1)) / 100 if match else None
    return as_number(value)


#: The largest magnitude a plan value may have: money arithmetic runs in 28 significant digits
#: (Decimal's context), so amounts stay well inside it; no plan needs a number this large.
LARGEST = 1e21


def as_number(value: object) -> float | None:
    """A finite number of a size arithmetic can carry, or None: NaN, infinity and numbers beyond
    ``LARGEST`` (a 27-digit amount would overflow money arithmetic) are not amounts."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return number if math.isfinite(number) and abs(number) <= LARGEST else None


def as_int(value: object) -> int | None:
    number = as_number(value)
    return int(number) if number is not None and number.is_integer() else None


def as_date(value: object) -> datetime.date | None:
    """A date a plan can hold: real (not 2027-02-30) and within FIRST_DAY..LAST_DAY, else None."""
    day = calendar_date(value)
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


def calendar_date(value: object) -> datetime.date | None:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def is_plan_date(instance: object) -> bool:
    """The schema's `date` format: YYYY-MM-DD, a real day, in the years plans can mean."""
    return not isinstance(instance, str) or as_date(instance) is not None


def as_money(value: object) -> Decimal | None:
    number = as_number(value)
    return Decimal(str(value)) if number is not None else None


def show(value: object) -> str:
    """A value as the user would write it in YAML."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, int):
        text = str(value)
        return text if len(text) <= 20 else f"a {len(text)}-digit number"
    if isinstance(value, str):
        return repr(clip(value))
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def written(value: object) -> str:
    """A number as written: ``40%`` stays ``40%``."""
    return value if isinstance(value, str) else show(value)


def quote(text: str) -> str:
    """A name from the input, quoted for a message and clipped to one readable line."""
    return repr(clip(text))


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    if len(name) > 100:  # nothing that long is a typo of a short name, and difflib is quadratic
        return ""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
