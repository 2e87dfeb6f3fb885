"""Calendar arithmetic plans need: periods (FY2027-Q3) as days, months added with the month end kept."""
from __future__ import annotations

import calendar
import datetime
import re


def period_range(
    period: str, fiscal_year: int | None, fiscal_start: datetime.date | None
) -> tuple[datetime.date | None, datetime.date | None]:
    """First and last day of FY2027, FY2027-Q3, FY2027-H1, 2027, 2027-Q3, 2027-H1 or 2027-07.

    FY<n> starts ``n - fiscal_year`` years after ``fiscal_year_start`` (calendar
    years when the organization gives neither).
    """
    match = re.fullmatch(r"(FY)?([0-9]{4})(?:-(Q[1-4]|H[12]|0[1-9]|1[0-2]))?", period)
    if not match:
        return None, None
    fiscal, year, part = match.group(1), int(match.group(2)), match.group(3)
    start = datetime.date(year, 1, 1) if year >= datetime.MINYEAR else None
    if fiscal and fiscal_start is not None and fiscal_year is not None:
        start = shift_months(fiscal_start, 12 * (year - fiscal_year))
    months, offset = 12, 0
    if part and part[0] in "QH":
        months = 3 if part[0] == "Q" else 6
        offset = months * (int(part[1]) - 1)
    elif part:
        months, offset = 1, int(part) - 1
    first = shift_months(start, offset) if start else None
    after = shift_months(first, months) if first else None
    if first is None or after is None:  # FY9999-H2 of a fiscal year starting in 9999: past the calendar
        return None, None
    return first, after - datetime.timedelta(days=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def shift_months(day: datetime.date, months: int) -> datetime.date | None:
    """``add_months`` that answers None past the calendar's ends (year 0, year 10000) instead of raising."""
    try:
        return add_months(day, months)
    except (ValueError, OverflowError):
        return None
