"""Where the built-in rules, knowledge base, schemas and templates live.

They are package data (pyproject maps rules/ and reports/ into the
``interlock`` package), so an editable and a regular install find them the
same way: through importlib.resources, never through paths relative to a
checkout.
"""
from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any


def rules_dir() -> Traversable:
    return files("interlock.rules")


def reports_dir() -> Traversable:
    return files("interlock.reports")


@cache
def schema(name: str) -> dict[str, Any]:
    """Load ``rules/schema/<name>.schema.json``."""
    text = (rules_dir() / "schema" / f"{name}.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
