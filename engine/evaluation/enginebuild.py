"""The rules engine build Interlock runs on, and the refusal of any other.

Interlock is tested only on its own build of durable-rules 2.0.28 (patched and built into
Interlock's wheel from .durable/; see .durable/README.md). That build carries the module constant
``durable_rules_engine.INTERLOCK_BUILD``. The stock release crashes under Interlock's load
(segmentation faults in 6 of 10 ``interlock test-rules`` runs on Python 3.11) and does not import
on Python 3.13, and an older Interlock build lacks later fixes: whatever is missing or different
is refused with ``EngineInstallError``, which the CLI reports in one line as an installation
problem (exit 3), never as a bug in Interlock.
"""
from __future__ import annotations

from types import ModuleType

from interlock.errors import EngineError

#: The engine build this Interlock is tested with: ``BUILD`` in .durable/durable_patches.py (a test
#: holds the two equal; bump both when a patch changes).
EXPECTED_BUILD = "2.0.28+interlock.18"
#: How to fix it, for every refusal.
FIX = ("uninstall durable-rules if `pip list` shows it, then reinstall Interlock (`make setup` in its checkout, "
       "or `pip install --force-reinstall --no-deps` with its checkout, sdist or wheel); see README.md, Install")


class EngineInstallError(EngineError):
    """The rules engine is missing, broken or not Interlock's build: an installation problem, exit 3."""

    exit_code = 3


def load_engine() -> tuple[ModuleType, ModuleType]:
    """Import Interlock's build of the engine: ``(durable_rules_engine, durable.engine)``.

    Raises EngineInstallError when it cannot be imported or is another build.
    """
    try:
        import durable_rules_engine
    except ImportError as exc:
        raise EngineInstallError(f"cannot load the rules engine durable-rules ({exc}); {FIX}") from exc
    check_build(durable_rules_engine)
    try:
        from durable import engine
    except ImportError as exc:
        raise EngineInstallError(f"cannot load the rules engine durable-rules ({exc}); {FIX}") from exc
    return durable_rules_engine, engine


def check_build(module: ModuleType) -> None:
    """Refuse an engine extension that is not the build Interlock was tested with."""
    found = getattr(module, "INTERLOCK_BUILD", None)
    if found == EXPECTED_BUILD:
        return
    where = getattr(module, "__file__", None) or "?"
    what = (f"it is build {found}" if isinstance(found, str)
            else "it carries no build mark, like the stock durable-rules from PyPI")
    raise EngineInstallError(f"the rules engine at {where} is not Interlock's patched build {EXPECTED_BUILD} "
                             f"({what}); {FIX}")
