"""The cache entries shipped with an installation (engine/read/cache.py ``SHIPPED``):
``python -m interlock.commands.prebuild``, run by `make setup` after the install.

A first run, or one with an empty cache, then reads the built-in rule catalog, the knowledge base and
the causal paths of the knowledge base alone (an organization that adds no metric or influence) as a
warm run does, instead of parsing and deriving them (~0.6 s). The entries are keyed as any cache
entry (the installed code, Python and rules engine), so entries another build computed are never
used; rerunning this replaces them all. An organization of its own metrics or influences gets its
causal paths in the user's cache on its first run, as before.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

#: The entries shipped: those of any organization that adds nothing to the knowledge base.
SHIPPED_KINDS = ("catalog-", "knowledge-", "static-", "provenance-")
#: The smallest organization: every metric and influence it has is the knowledge base's own.
MINIMAL = "organization:\n  name: Prebuilt\n"


def prebuild(target: Path) -> list[str]:
    """Compute the entries into ``target`` (replacing what it held); their file names."""
    from interlock.lint import lint
    from interlock.read import cache as store
    from interlock.read.config import Config

    with tempfile.TemporaryDirectory(prefix="interlock-prebuild-") as work:
        folder, cache = Path(work) / "organization", Path(work) / "cache"
        folder.mkdir()
        (folder / "organization.yml").write_text(MINIMAL, encoding="utf-8")
        before, shipped = os.environ.get("INTERLOCK_CACHE_DIR"), store.SHIPPED
        os.environ["INTERLOCK_CACHE_DIR"] = str(cache)
        store.SHIPPED = Path(work) / "none"  # computed afresh, never read from the entries being replaced
        try:
            lint([folder], Config(), derived=False)
        finally:
            store.SHIPPED = shipped
            if before is None:
                del os.environ["INTERLOCK_CACHE_DIR"]
            else:
                os.environ["INTERLOCK_CACHE_DIR"] = before
        if len([p for p in cache.glob("*.json") if p.name.startswith(SHIPPED_KINDS)]) < len(SHIPPED_KINDS):  # nothing computed (a broken catalog?): keep what was there
            raise OSError("the entries were not computed")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        names = sorted(p.name for p in cache.glob("*.json") if p.name.startswith(SHIPPED_KINDS))
        for name in names:
            shutil.copyfile(cache / name, target / name)
    return names


def main() -> int:
    from interlock.read.cache import SHIPPED

    try:
        names = prebuild(SHIPPED)
    except OSError as error:  # a read-only installation: runs compute these on their first miss, as before
        print(f"interlock prebuild: {SHIPPED}: {error.strerror or error}; skipped", file=sys.stderr)
        return 0
    print(f"interlock prebuild: {len(names)} entries in {SHIPPED}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
