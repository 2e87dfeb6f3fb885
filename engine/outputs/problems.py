"""Input errors (exit 2) as results, for the CI formats (issue 21).

A typo in a policy file stops the run before any rule: the problems go to
standard error, one `file:line:col: message` line each, and the exit status is 2.
CI reads files, not standard error, so when `check` was asked for a machine
format the same problems are also written in it, each at its place: a SARIF
result of the reserved rule `input-error` (plus the invocation's
toolExecutionNotifications), a GitHub `::error file=...` annotation, a JUnit
failure, a JSON `errors` list. Every `-o` file is written, so a documented
upload step never fails for want of its file.
Read-time warnings (W005), which do not stop a run, reach the same formats through notes.py.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html import escape
from collections.abc import Sequence
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

