"""Meta-tests over the rule set, rule-file validation, and user rule packs."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from interlock.cli import cli, main
from interlock.errors import InputError
from interlock.rulebook import FAMILIES, load_rulebook

ROOT = Path(__file__).resolve().parent.parent
BOOK = load_rulebook()


def test_catalog_size_and_families() -> None:
    """Issue 5: 40+ built-in rules spanning the five families."""
    assert len(BOOK.checks) >= 40
    assert {r.family for r in BOOK.checks} == set(FAMILIES)


@pytest.mark.parametrize("rule", BOOK.rules, ids=lambda r: r.id)
def test_rule_properties(rule) -> None:  # type: ignore[no-untyped-def]
    assert Path(rule.file).stem == rule.id
    assert rule.rationale and rule.summary and rule.title
    if rule.is_check:
        assert rule.severity in ("error", "warning", "info")
        assert rule.remediation and rule.message
        assert rule.examples["fail"] and rule.examples["pass"]
        for spec in rule.options.values():
            assert spec.problem(spec.default) is None


def test_the_rule_catalog_page_is_generated_from_the_rules() -> None:
    result = CliRunner().invoke(cli, ["rules", "--format", "markdown"])
    assert result.exit_code == 0
    catalog = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert catalog == result.output, "docs/rules.md is stale: run `interlock rules --format markdown > docs/rules.md`"
    for rule in BOOK.checks:
        assert f"## {rule.id} {rule.name}" in catalog


PACK_RULE = """\
id: ACME01
name: no-bookings-only-plans
family: hygiene
severity: warning
title: A plan pays on bookings alone
summary: Bookings-only plans ignore everything after the signature.
rationale: Paying only on bookings invites deals that never turn into cash.
when:
  - m:
      kind: measure
      metric: bookings
      weight: {gte: 1}
identity: [m.key]
message: "plan {{ m.plan }} pays 100% on bookings"
departments: [m.dept]
remediation: Add a margin or collection measure.
examples:
  fail:
    - description: bookings only
      policy:
        departments: [{id: sales, name: Sales}]
        plans: [{id: ae, department: sales, measures: [{metric: bookings, weight: 100%}]}]
      expect: [{departments: [sales], message: "pays 100% on bookings"}]
  pass:
    - description: with a margin measure
      policy:
        departments: [{id: sales, name: Sales}]
        plans: [{id: ae, department: sales, measures: [{metric: bookings, weight: 70%}, {metric: gross_margin_pct, weight: 30%}]}]
"""


def test_custom_rule_pack_is_picked_up_explained_and_self_tested(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "ACME01.yaml").write_text(PACK_RULE, encoding="utf-8")
    runner = CliRunner()
    listed = runner.invoke(cli, ["rules", "--rules", str(pack), "--format", "json"])
    assert listed.exit_code == 0 and '"ACME01"' in listed.output
    explained = runner.invoke(cli, ["explain", "no-bookings-only-plans", "--rules", str(pack)])
    assert explained.exit_code == 0
    assert "Paying only on bookings invites deals" in explained.output and "Anti-pattern" in explained.output
    tested = runner.invoke(cli, ["test-rules", str(pack)])
    assert tested.exit_code == 0, tested.output
    assert tested.output.strip().endswith("2 passed, 0 failed (1 rules)")
    org = tmp_path / "org"
    org.mkdir()
    (org / "sales.yml").write_text("departments: [{id: sales, name: Sales}]\n"
                                   "plans: [{id: ae, department: sales, measures: [{metric: bookings, weight: 100%}]}]\n")
    checked = runner.invoke(cli, ["check", str(org), "--rules", str(pack), "--select", "ACME01", "--fail-on", "warning"])
    assert checked.exit_code == 1 and "ACME01 plan ae pays 100% on bookings" in checked.output


def test_failing_pack_example_is_reported(tmp_path: Path) -> None:
    (tmp_path / "ACME01.yaml").write_text(PACK_RULE.replace("weight: {gte: 1}", "weight: {gte: 2}"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["test-rules", str(tmp_path)])
    assert result.exit_code == 1
    assert "FAIL ACME01 fail[0]: bookings only: the rule reported nothing" in result.output


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("family: hygiene", "family: hygeine"),
     "ACME01.yaml:3:9: family: 'hygeine' is not one of"),
    (lambda t: t.replace("id: ACME01", "id: ACME02"),
     "ACME01.yaml:1:5: rule id 'ACME02' must match the file name 'ACME01.yaml'"),
    (lambda t: t.replace("metric: bookings\n", "metric: {ref: q.metric}\n"),
     "ACME01.yaml:11:15: `ref: q.metric` names 'q', which is not bound earlier in `when`"),
    (lambda t: t.replace('message: "plan {{ m.plan }}', 'message: "plan {{ m.plan }'),
     "ACME01.yaml:14:10: message: Jinja syntax error:"),
    (lambda t: t.replace("title: A plan", "titel: A plan"),
     "ACME01.yaml:5:1: unknown key 'titel' (did you mean 'title'?)"),
    (lambda t: t.replace("title: A plan pays on bookings alone\n", ""),
     "ACME01.yaml:1:1: missing required key 'title'"),
])
def test_broken_rule_file_errors(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ACME01.yaml").write_text(edit(PACK_RULE), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_rulebook([tmp_path])
    assert any(message in line for line in caught.value.lines()), caught.value.lines()


def test_broken_rule_file_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ACME01.yaml").write_text(PACK_RULE.replace("severity: warning", "severity: loud"), encoding="utf-8")
    assert main(["rules", "--rules", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{tmp_path.as_posix()}/ACME01.yaml:4:11: severity:")
    assert "Traceback" not in "".join(err)


def test_all_errors_of_all_rule_files_at_once(tmp_path: Path) -> None:
    (tmp_path / "ACME01.yaml").write_text(PACK_RULE.replace("severity: warning", "severity: loud"), encoding="utf-8")
    (tmp_path / "ACME02.yaml").write_text(PACK_RULE.replace("id: ACME01", "id: ACME02").replace(
        "family: hygiene", "family: nope"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_rulebook([tmp_path])
    files = {line.split(":")[0] for line in caught.value.lines()}
    assert len(files) == 2


def test_a_pack_rule_may_not_reuse_a_builtin_id(tmp_path: Path) -> None:
    (tmp_path / "V03.yaml").write_text(PACK_RULE.replace("id: ACME01", "id: V03"), encoding="utf-8")
    with pytest.raises(InputError, match="duplicate rule 'V03'"):
        load_rulebook([tmp_path])
