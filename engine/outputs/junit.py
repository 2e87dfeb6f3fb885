"""JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines).

One testsuite per policy file and one testcase per finding, like ESLint's
junit formatter; a file without findings gets one passing testcase so every
linted file shows up. A finding fails its testcase only when it fails the
run (unwaived, at or above `--fail-on`); a waived finding is skipped with its
waiver as the reason; one below the threshold passes, its message kept in
system-out, and so does a read-time warning (W005). Built with xml.etree so every value is escaped by the library.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TYPE_CHECKING

from interlock.errors import Problem
from interlock.findings.findings import Finding
from interlock.findings.run import failing

if TYPE_CHECKING:
    from interlock.findings.run import LintRun

ORGANIZATION = "(organization)"


def render_junit(run: LintRun, fail_on: str = "error") -> str:
    from interlock.outputs.notes import read_warnings

    root = ET.Element("testsuites", {"name": "interlock"})
    groups: dict[str, list[Finding]] = {file: [] for file in run.files}
    for finding in run.findings:
        groups.setdefault(finding.primary.file if finding.primary else ORGANIZATION, []).append(finding)
    warnings: dict[str, list[Problem]] = {}
    for note in read_warnings(run):
        groups.setdefault(note.file, [])
        warnings.setdefault(note.file, []).append(note)
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for file in sorted(groups, key=lambda name: (name == ORGANIZATION, name)):
        suite = _suite(root, file, sorted(groups[file], key=Finding.sort_key), fail_on, warnings.get(file, []))
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    root.attrib.update({"tests": str(totals["tests"]), "failures": str(totals["failures"]), "errors": "0",
                        "skipped": str(totals["skipped"])})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(root: ET.Element, file: str, findings: Sequence[Finding], fail_on: str,
           warnings: Sequence[Problem] = ()) -> ET.Element:
    """A file's testsuite; a read-time warning (W005) is one more passing testcase, never a failure."""
    from interlock.outputs.notes import junit_warning_case

    suite = ET.SubElement(root, "testsuite", {"name": file})
    failures = skipped = 0
    if not findings and not warnings:
        ET.SubElement(suite, "testcase", {"classname": file, "name": "no findings"})
    for finding in findings:
        case = ET.SubElement(suite, "testcase", {
            "classname": file,
            "name": f"{finding.rule} {finding.name} [{finding.fingerprint}]",
        })
        if finding.primary is not None:
            case.attrib["file"] = finding.primary.file
            if not finding.primary.sheet:  # a workbook cell has no line: the details name it (`at plans.xlsx:Plans!B3`)
                case.attrib["line"] = str(finding.primary.line)
        details = _details(finding)
        if finding.waiver is not None:
            skipped += 1
            ET.SubElement(case, "skipped", {"message": f"waived by {finding.waiver.owner} until "
                                                       f"{finding.waiver.expires}: {finding.waiver.justification}"})
        elif failing(finding, fail_on):
            failures += 1
            failure = ET.SubElement(case, "failure", {"type": finding.severity, "message": finding.message})
            failure.text = details
        else:
            ET.SubElement(case, "system-out").text = details
    for note in warnings:
        junit_warning_case(suite, note)
    suite.attrib.update({"tests": str(max(len(findings) + len(warnings), 1)), "failures": str(failures), "errors": "0",
                         "skipped": str(skipped)})
    return suite


def _details(finding: Finding) -> str:
    lines = [f"{finding.severity} {finding.rule} {finding.name}: {finding.title}", finding.message]
    lines += [f"at {loc}" for loc in finding.locations]
    if finding.trace:
        lines.append("causal path: " + " > ".join(finding.trace))
    if finding.remediation:
        lines.append(f"how to fix it: {finding.remediation.strip()}")
    lines.append(f"fingerprint: {finding.fingerprint}")
    return "\n".join(lines)
