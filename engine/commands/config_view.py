"""`interlock config --show`: the resolved configuration, each key with where it came from."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlock.evaluation.rulebook import RuleBook
from interlock.read.config import DEFAULT, Config


def show(config: Config, book: RuleBook) -> str:
    """`interlock config --show`: the resolved configuration as YAML, each key with where it came from."""
    config.validate(book)
    lines = [
        "# Interlock configuration, resolved: command line > configuration file > rule defaults.",
        f"# configuration file: {config.source or '(none found; defaults)'}",
    ]
    for key, value in config.to_data().items():
        lines.append(f"# {key}: from {config.origins.get(key, DEFAULT)}")
        lines.append(_dump({key: value}))
    severities = config.severities(book)
    options = config.rule_options(book)
    selected = config.selected(book)
    rules = {
        rule.id: {"name": rule.name, "family": rule.family, "severity": severities[rule.id],
                  "waivable": rule.waivable, "options": {**rule.defaults(), **options.get(rule.id, {})}}
        for rule in book.checks if rule.id in selected
    }
    lines.append("# The check rules this configuration evaluates, with their resolved severity and options.")
    lines.append(_dump({"rules": rules}))
    return "\n".join(lines) + "\n"


def _dump(data: Mapping[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, default_flow_style=False,
                              width=100)).rstrip()
