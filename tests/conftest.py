"""Shared test setup: tests import their helpers (reference, orggen) from this folder.

The suite never touches the real cache (~/.cache/interlock): before any test module is imported
(some load the rule book at import time), INTERLOCK_CACHE_DIR points at a temporary folder of this
session, which child processes inherit and which is removed at the end. The results memo of `check`
is off (INTERLOCK_NO_MEMO) but in its own tests.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

SESSION_CACHE = Path(tempfile.mkdtemp(prefix="interlock-test-cache-"))
os.environ["INTERLOCK_CACHE_DIR"] = str(SESSION_CACHE)
# The results memo of `check` (engine/commands/memo.py) would replay an earlier test's output to a test
# that changed Interlock's behaviour in its own process (a patched function, an injected failure): off,
# except in the tests of the memo itself (tests/commands/test_memo.py), which turn it on.
os.environ["INTERLOCK_NO_MEMO"] = "1"


@pytest.fixture(scope="session", autouse=True)
def _session_cache() -> Iterator[Path]:
    """The session's cache folder, removed when the session ends."""
    yield SESSION_CACHE
    shutil.rmtree(SESSION_CACHE, ignore_errors=True)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test alone (for tests that count or break its entries), with nothing
    kept in memory from earlier tests, as in a new process, and no entries shipped with the installation."""
    from interlock.model import knowledge_base as knowledge
    from interlock.evaluation import static

    from interlock.read import cache

    folder = tmp_path / "interlock-cache"
    monkeypatch.setenv("INTERLOCK_CACHE_DIR", str(folder))
    monkeypatch.setattr(cache, "SHIPPED", tmp_path / "no-shipped-entries")  # nor the installation's entries
    monkeypatch.delenv("INTERLOCK_NO_CACHE", raising=False)
    monkeypatch.setattr(static, "_RECENT", {})
    monkeypatch.setattr(knowledge, "_LOADED", [])
    return folder
