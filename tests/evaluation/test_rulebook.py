"""Meta-tests over the rule set, rule-file validation, and user rule packs."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from unittest import mock

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock import resources
from interlock.commands.cli import cli, main
from interlock.errors import InputError, UsageError
from interlock.evaluation.rulebook import RuleBook, load_rulebook
from interlock.read.config import FAMILIES
from interlock.read.yamlsource import parse_yaml
from paths import ROOT_DIR
from strategies import JSON, mutated

ROOT = ROOT_DIR
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
    assert checked.exit_code == 1 and "ACME01 plan ae pays 100% on bookings" in " ".join(checked.output.split())


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
    (lambda t: t.replace("identity: [m.key]", "certainty: \"m.weight\"\nidentity: [m.key]"),
     "ACME01.yaml:13:12: a rule graded by `certainty` needs the options error_certainty and info_certainty"),
    (lambda t: t.replace("identity: [m.key]", "identity: [m.key]\nlocations: [m, q.source_at]"),
     "ACME01.yaml:14:16: `locations` names 'q.source_at', which `when` does not bind"),
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


def test_a_rule_pack_without_rule_files_is_a_usage_error(tmp_path: Path) -> None:
    """`--rules` pointing at the wrong folder would otherwise add nothing, silently."""
    (tmp_path / "notes.txt").write_text("no rules yet\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"^rule pack .*: no rule files \(\*\.yaml, \*\.yml\) in this directory$"):
        load_rulebook([tmp_path])


def test_rules_know_where_their_expressions_were_written(tmp_path: Path) -> None:
    """findings.py reports an expression that fails at its key, so the rule keeps every key's place."""
    (tmp_path / "ACME01.yaml").write_text(PACK_RULE, encoding="utf-8")
    rule = load_rulebook([tmp_path], builtin=False).get("ACME01")
    at = f"{tmp_path.as_posix()}/ACME01.yaml"
    assert str(rule.problem(("identity", 0), "x")) == f"{at}:13:12: identity.0: x"
    assert str(rule.problem(("message",), "x")) == f"{at}:14:10: message: x"
    assert str(rule.problem(("departments", 0), "x")) == f"{at}:15:15: departments.0: x"
    assert str(rule.problem(("objectives", 0), "x")) == f"{at}:1:1: objectives.0: x"  # no such key: the id's line


def test_only_the_catalog_is_built_in(tmp_path: Path) -> None:
    """A built-in rule that fails is Interlock's bug (exit 3); a pack rule that fails is bad input (exit 2)."""
    (tmp_path / "ACME01.yaml").write_text(PACK_RULE, encoding="utf-8")
    book = load_rulebook([tmp_path])
    assert all(r.builtin == (r.id != "ACME01") for r in book.rules)
    assert all(r.builtin for r in BOOK.rules)


def _org_with_a_bookings_only_plan(tmp_path: Path) -> Path:
    org = tmp_path / "org.yml"
    org.write_text("departments: [{id: sales, name: Sales}]\n"
                   "plans: [{id: ae, department: sales, measures: [{metric: bookings, weight: 100%}]}]\n", encoding="utf-8")
    return org


def test_a_pack_message_that_fails_is_bad_input_at_its_key(tmp_path: Path) -> None:
    from interlock.read.config import Config
    from interlock.lint import lint

    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "ACME01.yaml").write_text(PACK_RULE.replace("{{ m.plan }}", "{{ m.plan.nope }}"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        lint([_org_with_a_bookings_only_plan(tmp_path)], Config(select=("ACME01",)), load_rulebook([pack]))
    assert caught.value.lines() == [f"{pack.as_posix()}/ACME01.yaml:14:10: message: rule ACME01 failed while rendering "
                                    "the message of a finding: UndefinedError: 'str object' has no attribute 'nope'"]


def test_a_built_in_rule_that_fails_is_raised_as_the_bug_it_is(tmp_path: Path) -> None:
    """Not turned into a located problem: the CLI reports it as an internal error (exit 3)."""
    from jinja2.exceptions import UndefinedError

    from interlock.read.config import Config
    from interlock.lint import lint

    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "ACME01.yaml").write_text(PACK_RULE.replace("{{ m.plan }}", "{{ m.plan.nope }}"), encoding="utf-8")
    book = load_rulebook([pack])
    shipped = RuleBook(tuple(dataclasses.replace(r, builtin=True) for r in book.rules))
    with pytest.raises(UndefinedError):
        lint([_org_with_a_bookings_only_plan(tmp_path)], Config(select=("ACME01",)), shipped)


# --- loading cost: one validator per process, a fast verdict before jsonschema -------------------

def catalog_documents() -> list[dict[str, Any]]:
    folder = ROOT / "rules" / "catalog"
    return [parse_yaml(p.read_text(encoding="utf-8"), p.name)[0] for p in sorted(folder.glob("*.yaml"))]


CATALOG_DOCUMENTS = catalog_documents()


def test_every_built_in_rule_file_passes_the_fast_verdict() -> None:
    """So loading the catalog never runs jsonschema (which would cost about 1 ms per file)."""
    check = resources.schema_check("rule")
    assert check.verdict is not None
    assert all(check.passes(doc) for doc in CATALOG_DOCUMENTS)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CATALOG_DOCUMENTS).flatmap(mutated))
def test_the_verdict_is_jsonschemas_on_broken_rule_files(doc: dict[str, Any]) -> None:
    """Never valid where jsonschema finds an error (that error would be lost), nor the reverse."""
    check = resources.schema_check("rule")
    assert check.passes(doc) == check.validator.is_valid(doc)


def test_a_valid_pack_is_loaded_without_running_jsonschema(tmp_path: Path) -> None:
    """The validator is built once per process; a valid rule file never reaches jsonschema."""
    (tmp_path / "ACME01.yaml").write_text(PACK_RULE, encoding="utf-8")
    (tmp_path / "ACME02.yaml").write_text(PACK_RULE.replace("ACME01", "ACME02").replace("no-bookings", "no-bookings2"),
                                          encoding="utf-8")
    check = resources.schema_check("rule")
    refuse = mock.Mock(side_effect=AssertionError("jsonschema ran"))
    with mock.patch.object(jsonschema.Draft202012Validator, "iter_errors", refuse), \
            mock.patch.object(jsonschema.Draft202012Validator, "is_valid", refuse), \
            mock.patch.object(jsonschema.Draft202012Validator, "__init__", refuse):
        book = load_rulebook([tmp_path])
    assert book.find("ACME02") is not None and resources.schema_check("rule") is check
    assert check.validator.schema is resources.schema("rule")


def test_an_invalid_pack_gets_located_messages_in_interlocks_words(tmp_path: Path) -> None:
    (tmp_path / "ACME01.yaml").write_text(PACK_RULE.replace("severity: warning", "severity: loud"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_rulebook([tmp_path])
    assert caught.value.lines() == [f"{tmp_path}/ACME01.yaml:4:11: severity: 'loud' is not one of error, warning, info"]


# --- the fast verdict (jsonschema-rs) against jsonschema, keyword by keyword ----------------------

PATTERNS = ["^[a-z]+$", "^x", "y$", "[0-9]", "^$", "a|b"]
TYPES = ["null", "boolean", "integer", "number", "string", "array", "object"]
PROPERTIES = ["a", "b", "c"]


def schemas(refs: bool = True) -> st.SearchStrategy[Any]:
    """Small draft 2020-12 schemas over the keywords our schemas use (``$ref`` to ``#/$defs/name``)."""
    leaf = st.one_of(
        st.booleans(),
        st.fixed_dictionaries({"type": st.sampled_from(TYPES) | st.lists(st.sampled_from(TYPES), min_size=1, max_size=3,
                                                                           unique=True)}),
        st.fixed_dictionaries({"enum": st.lists(JSON, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"const": JSON}),
        st.fixed_dictionaries({"pattern": st.sampled_from(PATTERNS)}),
        st.fixed_dictionaries({st.sampled_from(["minLength", "maxLength", "minItems", "maxItems", "minProperties",
                                                "maxProperties"]): st.integers(0, 3)}),
        st.fixed_dictionaries({st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]):
                               st.integers(-2, 2) | st.floats(-2, 2, allow_nan=False)}),
        st.fixed_dictionaries({"required": st.lists(st.sampled_from(PROPERTIES), max_size=2, unique=True)}),
        st.fixed_dictionaries({"uniqueItems": st.booleans()}),
        st.fixed_dictionaries({"dependentRequired": st.dictionaries(st.sampled_from(PROPERTIES), st.lists(
            st.sampled_from(PROPERTIES), max_size=2, unique=True), max_size=2)}),
        st.just({"$ref": "#/$defs/name"} if refs else {}),
    )

    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        mapping = st.dictionaries(st.sampled_from(PROPERTIES), inner, max_size=2)
        return st.one_of(
            st.fixed_dictionaries({"properties": mapping}, optional={"additionalProperties": inner,
                                                                      "patternProperties": st.dictionaries(
                                                                          st.sampled_from(PATTERNS), inner, max_size=2)}),
            st.fixed_dictionaries({"items": inner}, optional={"prefixItems": st.lists(inner, max_size=2)}),
            st.fixed_dictionaries({"prefixItems": st.lists(inner, max_size=2)}),
            st.fixed_dictionaries({st.sampled_from(["anyOf", "oneOf", "allOf"]): st.lists(inner, min_size=1, max_size=3)}),
            st.fixed_dictionaries({"not": inner}),
            st.fixed_dictionaries({"if": inner}, optional={"then": inner, "else": inner}),
            st.fixed_dictionaries({"propertyNames": inner}),
            st.fixed_dictionaries({"dependentSchemas": mapping}),
            st.fixed_dictionaries({"type": st.just("object"), "additionalProperties": inner}),
            st.tuples(inner, inner).map(lambda pair: {**pair[0], **pair[1]} if all(
                isinstance(p, dict) for p in pair) else pair[0]),
        )

    return st.recursive(leaf, extend, max_leaves=8)


INSTANCES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-3, 3, allow_nan=False) | st.just(1.0)
    | st.text(alphabet="abxy09", max_size=3) | st.dates(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(PROPERTIES + ["x1", "yy"]), inner,
                                                                max_size=3),
    max_leaves=8,
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas(), schemas(refs=False), st.lists(INSTANCES, min_size=1, max_size=4))
def test_the_fast_verdict_never_passes_what_jsonschema_refuses(schema: Any, named: Any, instances: list[Any]) -> None:
    """jsonschema-rs passing a document means jsonschema finds no error; a document it refuses
    (or cannot read, such as a date) goes to jsonschema, so only speed depends on the converse."""
    root = {"$defs": {"name": named}, **schema} if isinstance(schema, dict) else schema
    check = resources.SchemaCheck(root, formats=False)
    for instance in instances:
        assert not check.passes(instance) or check.validator.is_valid(instance), (root, instance)
