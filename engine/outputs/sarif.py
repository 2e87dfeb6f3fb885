"""SARIF 2.1.0 output, for GitHub code scanning and every SARIF viewer.

Built as plain dicts: the only Python SARIF library (Microsoft's sarif-om)
is generated classes that still need a serializer and add nothing a schema
test does not check. tests/outputs/test_sarif.py validates every output against the
official OASIS schema (errata01), vendored in tests/schemas/.

A conflict has several sides: the primary location is ``locations[0]``,
every other side is in ``relatedLocations`` with a message saying what it is.
``partialFingerprints["interlock/v1"]`` is the finding's fingerprint, so
code scanning tracks an alert across edits the same way our baselines do.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from interlock import DOCS_REF, REPOSITORY, __version__
from interlock.findings.findings import Finding, Location

if TYPE_CHECKING:
    from interlock.findings.run import LintRun
    from interlock.evaluation.rulebook import Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "interlock/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def help_uri(rule_id: str, name: str) -> str:
    """docs/rules.md's section for a rule, as GitHub anchors its heading `## V03 paid-against-lead-objective`."""
    anchor = f"{rule_id} {name}".lower().replace(" ", "-")
    return f"{REPOSITORY}/blob/{DOCS_REF}/docs/rules.md#{quote(anchor, safe='-_')}"


def render_sarif(run: LintRun) -> str:
    return json.dumps(sarif_log(run), indent=2, ensure_ascii=False) + "\n"


def sarif_log(run: LintRun) -> dict[str, Any]:
    """One SARIF run: every check rule as a reporting descriptor, every finding as a result; a
    read-time warning (W005) is a result of its own rule at level warning (engine/outputs/notes.py)."""
    from interlock.outputs.notes import read_warnings, sarif_warning_results, sarif_warning_rule

    descriptors = _descriptors(run)
    notes = read_warnings(run)
    if notes:  # code scanning shows results, not notifications: each warning is an alert at its place
        descriptors.append(sarif_warning_rule())
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = [_result(f, index[f.rule]) for f in run.findings]
    if notes:
        results += sarif_warning_results(notes, len(descriptors) - 1, FINGERPRINT_KEY)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "interlock",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": descriptors,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def _descriptors(run: LintRun) -> list[dict[str, Any]]:
    """The book's check rules plus any rule only a finding knows (a rule pack's, a previous run's)."""
    rules: dict[str, dict[str, Any]] = {r.id: _descriptor(r) for r in run.book.checks}
    for finding in run.findings:
        if finding.rule not in rules:
            rules[finding.rule] = _fallback(finding)
    return [rules[k] for k in sorted(rules)]


def _descriptor(rule: Rule) -> dict[str, Any]:
    help_text = rule.rationale.strip()
    help_md = f"**Why it matters.** {help_text}"
    if rule.remediation:
        help_text += f"\n\nHow to fix it: {rule.remediation.strip()}"
        help_md += f"\n\n**How to fix it.** {rule.remediation.strip()}"
    if rule.sources:
        help_text += f"\n\nSources: {', '.join(rule.sources)}"
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.summary.strip() or rule.title},
        "help": {"text": help_text, "markdown": help_md},
    }
    if rule.file.startswith("rules/catalog/"):  # a rule pack's rules are not in docs/rules.md
        descriptor["helpUri"] = help_uri(rule.id, rule.name)
    descriptor["defaultConfiguration"] = {"level": LEVELS[rule.severity]}
    descriptor["properties"] = {"family": rule.family, "tags": [rule.family], "waivable": rule.waivable}
    return descriptor


def _fallback(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.rule,
        "name": finding.name or finding.rule,
        "shortDescription": {"text": finding.title or finding.rule},
        "help": {"text": finding.remediation or finding.title or finding.rule},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "properties": {"family": finding.family, "tags": [finding.family] if finding.family else []},
    }


def _physical(location: Location) -> dict[str, Any]:
    # Paths are as reached from the command line (relative, POSIX); a URI reference needs them percent-encoded.
    if location.sheet:  # a workbook has no lines: the artifact is the file, the cell is a logical location
        return {"artifactLocation": {"uri": quote(_artifact(location), safe="/")}}
    return {
        "artifactLocation": {"uri": quote(location.file, safe="/")},
        "region": {"startLine": max(location.line, 1), "startColumn": max(location.column, 1)},
    }


def _artifact(location: Location) -> str:
    """The file a workbook place is in: the .xlsx itself, or a sheet's CSV file in its folder."""
    if location.sheet.lower().endswith(".csv"):
        return location.sheet if location.file in ("", ".") else f"{location.file}/{location.sheet}"
    return location.file


def _place(location: Location) -> dict[str, Any]:
    """A SARIF location: the physical file, and for a workbook cell the sheet and cell as a logical location.

    Every workbook place is written the same way: ``physicalLocation`` names the workbook (or the
    sheet's CSV file), ``logicalLocations[0]`` the cell (``fullyQualifiedName`` ``Measures!D7``,
    ``kind`` ``element``), and the properties repeat sheet, cell, row and column for scripts.
    """
    place: dict[str, Any] = {"physicalLocation": _physical(location)}
    if location.sheet:
        sheet = location.sheet[:-4] if location.sheet.lower().endswith(".csv") else location.sheet
        place["logicalLocations"] = [{"name": location.cell, "fullyQualifiedName": f"{sheet}!{location.cell}",
                                      "kind": "element"}]
        place["properties"] = {"sheet": location.sheet, "cell": location.cell, "row": location.line,
                               "column": location.column}
    return place


def location_labels(finding: Finding) -> dict[Location, str]:
    """What each place of a finding is ("measure dpo of plan ap-team"), from the facts it matched."""
    labels: dict[Location, str] = {}
    for _alias, fact in sorted(finding.facts.items()):
        where = _parsed(fact.get("at"))
        if where is not None:
            labels.setdefault(where, describe_fact(fact))
    # A place a fact names in a field (`source_at`, a rule's `locations: [b.source_at]`) is labelled by
    # the fact's `source` and `source_key` fields: "target fy27-dpo".
    for _alias, fact in sorted(finding.facts.items()):
        for name, value in fact.items():
            where = _parsed(value) if name.endswith("_at") and name != "at" else None
            if where is not None and isinstance(fact.get(name[:-3]), str):
                what = str(fact[name[:-3]]).replace("_", " ")
                labels.setdefault(where, f"{what} {fact[name[:-3] + '_key']}" if fact.get(name[:-3] + "_key") else what)
    return labels


def _parsed(at: object) -> Location | None:
    """A `file:line:col` (or workbook!cell) location a fact field holds, else None."""
    if not isinstance(at, str) or ":" not in at:
        return None
    try:
        return Location.parse(at)
    except ValueError:
        return None


def describe_fact(fact: Mapping[str, Any]) -> str:
    kind = str(fact.get("kind", "item")).replace("_", " ")
    if fact.get("kind") in ("measure", "payers") and fact.get("plan"):  # payers: at its first payer's measure
        return f"measure {fact.get('metric')} of plan {fact.get('plan')}"
    if fact.get("kind") == "objective_metric" and fact.get("objective"):
        return f"objective {fact.get('objective')}"
    key = fact.get("key")
    return f"{kind} {key}" if key else kind


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    labels = location_labels(finding)
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "family": finding.family,
            "departments": list(finding.departments),
            "objectives": list(finding.objectives),
            "trace": list(finding.trace),
            "remediation": finding.remediation,
            "cause": finding.cause,
        },
    }
    if finding.primary is not None:
        primary = _place(finding.primary)
        if finding.primary in labels:
            primary["message"] = {"text": labels[finding.primary]}
        result["locations"] = [primary]
    related = []
    for number, location in enumerate(finding.locations[1:], start=1):
        related.append({"id": number, **_place(location), "message": {"text": labels.get(location, "also involved")}})
    if related:
        result["relatedLocations"] = related
    if finding.waiver is not None:
        # An accepted external suppression: code scanning shows the alert as dismissed, with the reason.
        result["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": finding.waiver.justification,
            "properties": {"owner": finding.waiver.owner, "expires": finding.waiver.expires},
        }]
    return result

