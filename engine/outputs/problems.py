"""Input errors (exit 2) as results, for the CI formats (issue 21).

A typo in a policy file stops the run before any rule: the problems go to
standard error, one `file:line:col: message` line each, and the exit status is 2.
CI reads files, not standard error, so when `check` was asked for a machine
format the same problems are also written in it, each at its place: a SARIF
result of the reserved rule `input-error` (plus the invocation's
toolExecutionNotifications), a GitHub `::error file=...` annotation, a JUnit
failure, a JSON `errors` list. Every `-o` file is written, so a documented
upload step never fails for want of its file.

Read-time warnings (W005: a plain value YAML 1.1 and YAML 1.2 read differently) do not stop the
run, but CI reads files too: they are written in the machine formats of a run that succeeds, each
at its place, as warnings that never fail it (a SARIF result of the rule W005 at level warning, a
GitHub `::warning`, a passing JUnit testcase with the message in system-out, a JSON `warnings` list).
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html import escape
from collections.abc import Sequence
from hashlib import sha256
from typing import Any
from urllib.parse import quote

from interlock import DOCS_REF, REPOSITORY, __version__
from interlock.errors import Problem

#: The reserved rule id of an input error (yamllint's `syntax`, ansible-lint's `load-failure`).
INPUT_ERROR = "input-error"
#: Where input errors are explained: the exit statuses in docs/workflow.md.
HELP = f"{REPOSITORY}/blob/{DOCS_REF}/docs/workflow.md#exit-status"
#: The formats CI reads; `check` writes problems in these (and in text), never in a report.
MACHINE_FORMATS = ("json", "sarif", "junit", "github")


def render_problems(fmt: str, problems: Sequence[Problem]) -> str:
    """The problems that stopped a run, in ``fmt`` (one of MACHINE_FORMATS, or text)."""
    if fmt == "json":
        return _json(problems)
    if fmt == "sarif":
        return _sarif(problems)
    if fmt == "junit":
        return _junit(problems)
    if fmt == "github":
        return _github(problems)
    if fmt == "markdown":
        return "# Interlock could not read the organization\n\n" + "".join(
            f"- `{p.file}:{p.line}:{p.column}`: {md_escape(p.message)}\n" for p in problems)
    if fmt == "html":
        items = "".join(f"<li><code>{escape(p.file)}:{p.line}:{p.column}</code>: {escape(p.message)}</li>\n"
                        for p in problems)
        return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Interlock: input errors"
                f"</title></head>\n<body><h1>Interlock could not read the organization</h1>\n<ul>\n{items}</ul>"
                "</body></html>\n")
    return "".join(f"{p}\n" for p in problems)


def md_escape(text: str) -> str:
    from interlock.outputs.render import md_escape as escape_markdown

    return escape_markdown(text)


def _json(problems: Sequence[Problem]) -> str:
    document = {
        "tool": {"name": "interlock", "version": __version__},
        "summary": {"error": 0, "warning": 0, "info": 0},
        "findings": [],
        "errors": [{"file": p.file, "line": p.line, "column": p.column, "message": p.message} for p in problems],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _location(problem: Problem) -> dict[str, Any]:
    return {"physicalLocation": {
        "artifactLocation": {"uri": quote(problem.file, safe="/")},
        "region": {"startLine": max(problem.line, 1), "startColumn": max(problem.column, 1)},
    }}


def _sarif(problems: Sequence[Problem]) -> str:
    from interlock.outputs.sarif import SCHEMA_URI

    rule = {
        "id": INPUT_ERROR,
        "name": "input-error",
        "shortDescription": {"text": "A policy, configuration or rule file Interlock cannot read"},
        "fullDescription": {"text": "The file is not valid YAML or does not follow the policy language; "
                                    "no rule ran (exit status 2)."},
        "help": {"text": "Fix the file at the place shown; `interlock schema` gives the policy files' JSON Schema."},
        "helpUri": HELP,
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["input"]},
    }
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "interlock", "version": __version__, "semanticVersion": __version__,
                                "rules": [rule]}},
            "invocations": [{
                "executionSuccessful": False,
                "exitCode": 2,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": p.message}, "locations": [_location(p)]} for p in problems
                ],
            }],
            "columnKind": "unicodeCodePoints",
            "results": [{"ruleId": INPUT_ERROR, "ruleIndex": 0, "level": "error", "message": {"text": p.message},
                         "locations": [_location(p)]} for p in problems],
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _junit(problems: Sequence[Problem]) -> str:
    root = ET.Element("testsuites", {"name": "interlock"})
    files: dict[str, list[Problem]] = {}
    for problem in problems:
        files.setdefault(problem.file, []).append(problem)
    for file in sorted(files):
        suite = ET.SubElement(root, "testsuite", {"name": file, "tests": str(len(files[file])),
                                                  "failures": str(len(files[file])), "errors": "0", "skipped": "0"})
        for problem in files[file]:
            case = ET.SubElement(suite, "testcase", {"classname": file, "name": f"{INPUT_ERROR} {problem.line}:"
                                                     f"{problem.column}", "file": file, "line": str(problem.line)})
            ET.SubElement(case, "failure", {"type": INPUT_ERROR, "message": problem.message}).text = str(problem)
    root.attrib.update({"tests": str(len(problems)), "failures": str(len(problems)), "errors": "0", "skipped": "0"})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _github(problems: Sequence[Problem]) -> str:
    from interlock.outputs.render import gh_data, gh_property

    return "".join(f"::error file={gh_property(p.file)},line={max(p.line, 1)},col={max(p.column, 1)},"
                   f"title={gh_property('Interlock input error')}::{gh_data(p.message)}\n" for p in problems)


def write_problems(outputs: Sequence[Any], problems: Sequence[Problem]) -> str:
    """Write every `-o` file with the problems (a template output gets the text lines); return what goes
    to standard output: the problems in a machine format asked for there, else nothing (standard error
    has them already)."""
    from interlock.files import Outbox

    with Outbox() as box:
        for output in outputs:
            if output.path is not None:
                box.stage(output.path, render_problems(output.fmt, problems))
        box.commit()
    return "".join(render_problems(o.fmt, problems) for o in outputs if o.path is None and o.fmt in MACHINE_FORMATS)


# -- read-time warnings (W005) in a run that succeeds ---------------------------------------------

#: W005's name, as SARIF and annotations show it next to the id.
FORMS_NAME = "yaml-version-form"
#: Where W005 is explained: Interlock's own notes in docs/workflow.md.
FORMS_HELP = f"{REPOSITORY}/blob/{DOCS_REF}/docs/workflow.md#notes"


def read_warnings(run: Any) -> tuple[Problem, ...]:
    """The run's read-time warnings (engine/lint.py's LintResult.notes); a what-if's run has none."""
    return tuple(getattr(run, "notes", ()))


def _forms_code() -> str:
    from interlock.lint import YAML_FORMS  # only reached when there is a warning: lint is loaded already

    return YAML_FORMS


def json_warnings(notes: Sequence[Problem]) -> list[dict[str, Any]]:
    """The JSON contract's `warnings`: one `{file, line, column, code, message}` per warning."""
    code = _forms_code() if notes else ""
    return [{"file": n.file, "line": n.line, "column": n.column, "code": code, "message": n.message} for n in notes]


def github_warnings(notes: Sequence[Problem]) -> str:
    """One `::warning file=..,line=..,col=..,title=W005 yaml-version-form::message` line per warning."""
    from interlock.outputs.render import gh_data, gh_property

    if not notes:
        return ""
    title = gh_property(f"{_forms_code()} {FORMS_NAME}")
    return "".join(f"::warning file={gh_property(n.file)},line={max(n.line, 1)},col={max(n.column, 1)},"
                   f"title={title}::{gh_data(n.message)}\n" for n in notes)


def sarif_warning_rule() -> dict[str, Any]:
    """W005 as a SARIF reporting descriptor (level warning)."""
    return {
        "id": _forms_code(),
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


def sarif_warning_results(notes: Sequence[Problem], rule_index: int) -> list[dict[str, Any]]:
    """One SARIF result per warning; its fingerprint names the file and the value, not the line."""
    from interlock.outputs.sarif import FINGERPRINT_KEY

    code = _forms_code() if notes else ""
    return [{"ruleId": code, "ruleIndex": rule_index, "level": "warning", "message": {"text": n.message},
             "locations": [_location(n)],
             "partialFingerprints": {FINGERPRINT_KEY: sha256(f"{code}|{n.file}|{n.message}".encode()).hexdigest()[:16]}}
            for n in notes]


def junit_warning_case(suite: ET.Element, note: Problem) -> None:
    """A passing testcase in the file's testsuite: a warning is shown, never a failure."""
    code = _forms_code()
    case = ET.SubElement(suite, "testcase", {"classname": note.file, "name": f"{code} {FORMS_NAME} "
                                             f"{note.line}:{note.column}", "file": note.file, "line": str(note.line)})
    ET.SubElement(case, "system-out").text = f"{note.file}:{note.line}:{note.column}: warning {code}: {note.message}"
