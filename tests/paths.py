"""Where the tests find the checkout, their fixtures and gold files (tests/ is grouped by stage)."""
from __future__ import annotations

from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
ROOT_DIR = TESTS_DIR.parent
FIXTURES_DIR = TESTS_DIR / "fixtures"
GOLD_DIR = TESTS_DIR / "gold"
