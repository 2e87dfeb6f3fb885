"""Read-time warnings (W005) in the CI formats of a run that succeeds (issue 21).

A plain value YAML 1.1 and YAML 1.2 read differently does not stop the run (engine/read/yaml12.py),
but CI reads files, not standard error: the warnings are written in the machine formats, each at its
place, as warnings that never fail the run: a SARIF result of the rule W005 at level warning (code
scanning shows results, not notifications), a GitHub `::warning` (render.py), a passing JUnit testcase
with the line in system-out, a JSON `warnings` list. Nothing here imports another output module:
sarif.py, junit.py and render.py import this one.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from hashlib import sha256
from typing import Any
from urllib.parse import quote

from interlock import DOCS_REF, REPOSITORY
from interlock.errors import Problem

#: W005's name, as SARIF and annotations show it next to the id.
FORMS_NAME = "yaml-version-form"
#: Where W005 is explained: Interlock's own notes in docs/workflow.md.
FORMS_HELP = f"{REPOSITORY}/blob/{DOCS_REF}/docs/workflow.md#notes"


def read_warnings(run: Any) -> tuple[Problem, ...]:
    """The run's read-time warnings (engine/lint.py's LintResult.notes); a what-if's run has none."""
    return tuple(getattr(run, "notes", ()))


def forms_code() -> str:
    """W005, from where engine/lint.py prints it on standard error."""
    from interlock.lint import YAML_FORMS  # only reached when there is a warning: lint is loaded already

    return YAML_FORMS


def json_warnings(notes: Sequence[Problem]) -> list[dict[str, Any]]:
    """The JSON contract's `warnings`: one `{file, line, column, code, message}` per warning."""
    code = forms_code() if notes else ""
    return [{"file": n.file, "line": n.line, "column": n.column, "code": code, "message": n.message} for n in notes]


def sarif_warning_rule() -> dict[str, Any]:
    """W005 as a SARIF reporting descriptor (level warning)."""
    return {
        "id": forms_code(),
        "name": FORMS_NAME,
        "shortDescription": {"text": "A value YAML 1.1 and YAML 1.2 read differently"},
        "fullDescription": {"text": "Interlock reads YAML 1.1; editors with yaml-language-server read YAML 1.2. "
                                    "The value is read as before; the warning never changes the exit status."},
        "help": {"text": "Write the value in the form the message gives (6000, not 6_000; true, not yes; "
                         "a quoted key 'on')."},
        "helpUri": FORMS_HELP,
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["input"]},
    }


def sarif_warning_results(notes: Sequence[Problem], rule_index: int, fingerprint_key: str) -> list[dict[str, Any]]:
    """One SARIF result per warning; its fingerprint names the file and the value, not the line."""
    code = forms_code() if notes else ""
    return [{
        "ruleId": code, "ruleIndex": rule_index, "level": "warning", "message": {"text": n.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": quote(n.file, safe="/")},
            "region": {"startLine": max(n.line, 1), "startColumn": max(n.column, 1)},
        }}],
        "partialFingerprints": {fingerprint_key: sha256(f"{code}|{n.file}|{n.message}".encode()).hexdigest()[:16]},
    } for n in notes]


def junit_warning_case(suite: ET.Element, note: Problem) -> None:
    """A passing testcase in the file's testsuite: a warning is shown, never a failure."""
    code = forms_code()
    case = ET.SubElement(suite, "testcase", {"classname": note.file, "name": f"{code} {FORMS_NAME} "
                                             f"{note.line}:{note.column}", "file": note.file, "line": str(note.line)})
    ET.SubElement(case, "system-out").text = f"{note.file}:{note.line}:{note.column}: warning {code}: {note.message}"
