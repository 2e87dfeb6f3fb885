"""The editor (issue 21): the shipped schema and the bundled, scaffolded and documented policy files agree under
the real yaml-language-server, reading YAML 1.2 (its default) and 1.1; `interlock check` warns about the forms
the two YAML versions read differently (W005).

yaml-language-server runs through its language service (the code an editor runs; tests/read/yls_validate.js).
It is installed with npm into .cache/yaml-language-server on first use (or named by INTERLOCK_YLS_NODE_MODULES).
Without node and npm the test is skipped, except under CI (CI=true), where it fails.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from interlock.commands.cli import main
from interlock.read.yamlsource import parse_yaml
from paths import ROOT_DIR, TESTS_DIR

#: The version issue 21 was reported with.
YLS_VERSION = "2.0.0"
SCRIPT = TESTS_DIR / "read" / "yls_validate.js"
#: Documentation pages whose YAML blocks are policy files (or parts of one).
POLICY_DOCS = ("docs/policy-language.md", "docs/quantitative.md")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _install() -> Path | None:
    named = os.environ.get("INTERLOCK_YLS_NODE_MODULES")
    if named:
        return Path(named)
    prefix = ROOT_DIR / ".cache" / "yaml-language-server"
    modules = prefix / "node_modules"
    if not (modules / "yaml-language-server" / "package.json").is_file():
        if not (shutil.which("node") and shutil.which("npm")):
            return None
        subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--loglevel=error",
                        f"yaml-language-server@{YLS_VERSION}", "vscode-languageserver-textdocument@1"],
                       capture_output=True, text=True, timeout=600, check=False)
    return modules if (modules / "yaml-language-server" / "package.json").is_file() else None


@pytest.fixture(scope="module")
def node_modules() -> Path:
    found = _install()
    if found is None:
        why = "yaml-language-server is not installed and node/npm could not install it"
        if _in_ci():
            pytest.fail(f"{why} (CI=true: every test must run)")
        pytest.skip(why)
    return found


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `interlock schema` prints, as a user saves it for the editor."""
    out = tmp_path_factory.mktemp("schema") / "policy.schema.json"
    result = subprocess.run([_interlock(), "schema"], capture_output=True, text=True, check=True)
    out.write_text(result.stdout, encoding="utf-8")
    assert json.loads(result.stdout) == json.loads((ROOT_DIR / "rules/schema/policy.schema.json").read_text("utf-8"))
    return out


def _interlock() -> str:
    import sys

    return str(Path(sys.executable).with_name("interlock"))


def diagnostics(node_modules: Path, schema: Path, files: list[Path], version: str) -> dict[str, list[dict]]:
    env = {**os.environ, "NODE_PATH": str(node_modules), "YAML_VERSION": version}
    result = subprocess.run(["node", str(SCRIPT), str(schema), *map(str, files)], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(files)
    return {row["file"]: row["diagnostics"] for row in rows}


def _doc_blocks(folder: Path) -> list[Path]:
    """Every ```yaml block of the policy-language pages, as a file (its modeline dropped: the schema is given)."""
    files = []
    for name in POLICY_DOCS:
        text = (ROOT_DIR / name).read_text(encoding="utf-8")
        for match in re.finditer(r"```ya?ml\n(.*?)```", text, re.S):
            line = text.count("\n", 0, match.start()) + 2
            body = re.sub(r"^# yaml-language-server:.*\n", "", match.group(1), flags=re.M)
            path = folder / f"{name.replace('/', '_')}-{line}.yml"
            path.write_text(body, encoding="utf-8")
            files.append(path)
    return files


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    tmp = tmp_path_factory.mktemp("editor")
    assert main(["init", str(tmp / "init")]) == 0
    scaffolded = sorted(p for p in (tmp / "init").glob("*.yml") if p.name in ("organization.yml", "sales.yml",
                                                                               "customer-support.yml"))
    docs = tmp / "docs"
    docs.mkdir()
    bundled = sorted((ROOT_DIR / "policies").glob("*.yml"))
    found = [*bundled, *scaffolded, *_doc_blocks(docs)]
    assert len(bundled) >= 10 and len(scaffolded) == 3 and len(found) > 20
    return found


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_yaml_language_server_reports_nothing_on_the_bundled_scaffolded_and_documented_files(
        node_modules: Path, schema: Path, files: list[Path], version: str) -> None:
    found = diagnostics(node_modules, schema, files, version)
    wrong = {file: d for file, d in found.items() if d}
    assert wrong == {}


def test_the_validator_does_report_a_form_yaml_1_2_reads_as_text(node_modules: Path, schema: Path,
                                                                 tmp_path: Path) -> None:
    """The clean result above is not an absence of checking: 50_000 is text to YAML 1.2, and flagged."""
    sales = next((ROOT_DIR / "policies").glob("sales.yml"))
    bad = tmp_path / "sales.yml"
    text = sales.read_text(encoding="utf-8")
    value = re.search(r"target_incentive: (\d+)", text)
    assert value is not None
    bad.write_text(text.replace(value.group(0), f"target_incentive: {int(value.group(1)):_}", 1), encoding="utf-8")
    bad.write_text(re.sub(r"^# yaml-language-server:.*\n", "", bad.read_text(encoding="utf-8"), flags=re.M),
                   encoding="utf-8")
    found = diagnostics(node_modules, schema, [bad], "1.2")[str(bad)]
    assert [d["message"] for d in found] == ['Incorrect type. Expected "number".']


# -- Interlock's side: W005 -----------------------------------------------------------------------------


FORMS = """\
a: 6_000
b: yes
c: 012
d: 1:30
e: 1e3
f: true
g: "6_000"
on: 3
h: 0
i: 10.5
j: 2027-06-30
"""


def test_every_form_the_two_versions_read_differently_is_noted_at_its_place() -> None:
    _data, index = parse_yaml(FORMS, "forms.yml")
    assert [str(n) for n in index.notes] == [
        'forms.yml:1:4: a: 6_000 is the number 6000 to Interlock (YAML 1.1) but text to editors (YAML 1.2, '
        '"Incorrect type. Expected number"): write 6000',
        "forms.yml:2:4: b: yes is true to Interlock (YAML 1.1) but the text 'yes' to editors (YAML 1.2): "
        "write true, or quote it for text",
        "forms.yml:3:4: c: 012 is read as an octal number by Interlock (YAML 1.1) and differently by editors "
        "(YAML 1.2): write the number in decimal without leading zeros",
        "forms.yml:4:4: d: 1:30 is a base-60 number to Interlock (YAML 1.1) but text to editors (YAML 1.2): "
        "quote it, or write the number",
        "forms.yml:5:4: e: 1e3 is text to Interlock (YAML 1.1) but a number to editors (YAML 1.2): "
        "write 1000.0 for the number, or quote it for text",
        "forms.yml:8:1: the key on is the text 'on' to Interlock and to YAML 1.2 editors, but true or false to "
        "YAML 1.1 readers (GitHub Actions, older editors): quote it",
    ]


def test_check_warns_w005_on_standard_error_and_the_former_clawback_key_is_still_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "org")]) == 0
    sales = tmp_path / "org" / "sales.yml"
    text = sales.read_text(encoding="utf-8")
    text = text.replace("target_incentive: 50000", "target_incentive: 50_000").replace("triggers:", "on:")
    sales.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert main(["check", str(tmp_path / "org"), "-f", "json"]) == 0  # a warning, not a finding: exit unchanged
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["findings"] == []  # the value is still the number it was, the clawback keeps its events
    lines = captured.err.splitlines()
    shown = (tmp_path / "org" / "sales.yml").as_posix()
    assert len(lines) == 2 and all(line.startswith(f"{shown}:") and ": warning W005: " in line for line in lines)
    assert any("plans[0].target_incentive: 50_000 is the number 50000 to Interlock (YAML 1.1) but text to editors"
               in line for line in lines)
    assert any("plans[0].clawback: the key on is the text 'on'" in line
               and line.endswith("quote it (in a clawback, write triggers:)") for line in lines)


def test_the_bundled_scaffolded_and_documented_files_use_none_of_the_forms(files: list[Path]) -> None:
    for file in files:
        _data, index = parse_yaml(file.read_text(encoding="utf-8"), file.name)
        assert index.notes == (), file
