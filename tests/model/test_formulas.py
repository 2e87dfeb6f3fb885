"""Driver formulas: a whitelist parser (no eval), exact evaluation, expansion, and validation of cycles."""
from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from interlock.errors import InputError
from interlock.model.formulas import (
    BinOp,
    FormulaError,
    FormulaSet,
    Num,
    Var,
    evaluate,
    formula_problems,
    parse,
    render,
    variables,
)
from interlock.model.knowledge_base import builtin
from interlock.read.loader import load_documents
from interlock.model.model import Formula, Location
from interlock.model.validate import validate
from paths import ROOT_DIR


def test_parse_builds_a_tree_of_our_own() -> None:
    assert parse("sql_count * win_rate") == BinOp("*", Var("sql_count"), Var("win_rate"))
    assert parse("-a + 2.5") == BinOp("+", parse("-a"), Num(Decimal("2.5")))
    assert parse("+a") == Var("a")
    assert variables(parse("(a + b) / (c - 1)")) == {"a", "b", "c"}


def test_aliases_become_metric_ids() -> None:
    names = builtin().canonical
    assert variables(parse("sqls * win_rate * average_deal_value", names)) == {"sql_count", "win_rate",
                                                                               "avg_deal_size"}


@pytest.mark.parametrize("expression", [
    "a ** 2", "a // 2", "a % 2", "__import__('os').system('true')", "open('x')", "a.b", "a[0]",
    "a if b else c", "a < b", "a and b", "'text'", "True", "None", "lambda: 1", "[1, 2]", "{1}", "not a",
    "~a", "f'{a}'", "(a := 1)", "", "   ", "a +", "1j", "x" * 1001,
])
def test_anything_but_arithmetic_is_refused(expression: str) -> None:
    with pytest.raises(FormulaError):
        parse(expression)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(FormulaError):
        parse("(" * 400 + "a" + ")" * 400)


def test_evaluation_is_exact_decimal() -> None:
    env = {"mql_count": Decimal(4000), "mql_to_sql_rate": Decimal("0.5"), "win_rate": Decimal("0.2075"),
           "avg_deal_size": Decimal(18000)}
    assert evaluate(parse("mql_count * mql_to_sql_rate * win_rate * avg_deal_size"), env) == Decimal("7470000")
    assert evaluate(parse("0.1 + 0.2"), {}) == Decimal("0.3")
    assert evaluate(parse("10 - 4 - 3"), {}) == 3  # left-associative
    assert evaluate(parse("2 * (3 + 4) / 7"), {}) == 2
    assert evaluate(parse("-a * 2"), {"a": Decimal(3)}) == -6


def test_evaluation_errors() -> None:
    with pytest.raises(FormulaError, match="no value for 'b'"):
        evaluate(parse("a * b"), {"a": Decimal(1)})
    with pytest.raises(FormulaError, match="division by zero"):
        evaluate(parse("a / (b - b)"), {"a": Decimal(1), "b": Decimal(2)})


def test_render_keeps_only_needed_parentheses() -> None:
    show = lambda name: name  # noqa: E731
    assert render(parse("(a * b) * c"), show) == "a x b x c"
    assert render(parse("a - (b - c)"), show) == "a - (b - c)"
    assert render(parse("(a - b) - c"), show) == "a - b - c"
    assert render(parse("a / (b * c)"), show) == "a / (b x c)"
    assert render(parse("(a + b) * c"), show) == "(a + b) x c"
    assert render(parse("revenue * (1 - bad_debt_pct) - receivables_change"), show) == (
        "revenue x (1 - bad_debt_pct) - receivables_change")


def test_every_builtin_formula_parses_and_names_only_known_metrics() -> None:
    kb = builtin()
    for formula in kb.formulas:
        expr = parse(formula.expression, kb.canonical)
        assert variables(expr) <= set(kb.by_id), formula.id
        assert kb.canonical(formula.output) in kb.by_id, formula.id
    assert formula_problems(kb.formulas, kb.canonical) == []  # no cycles among the built-in formulas


def test_formula_set_expands_new_business_down_to_mqls() -> None:
    kb = builtin()
    formulas = FormulaSet(kb.formulas, kb.canonical)
    assert formulas.depends_on("new_business", "mql_count") == 2
    assert formulas.depends_on("new_business", "sql_count") == 1
    assert formulas.depends_on("bookings", "mql_count") == 3
    assert formulas.depends_on("win_rate", "mql_count") is None
    expanded = formulas.expand("new_business", lambda name: name == "sql_count")
    assert expanded is not None
    assert render(expanded, str) == "mql_count x mql_to_sql_rate x win_rate x avg_deal_size"
    env = {"quota_carrying_heads": Decimal(20), "ramp_factor": Decimal("0.9"), "rep_productivity": Decimal(500_000)}
    assert formulas.evaluate("sales_capacity", env) == Decimal("9000000")
    assert formulas.evaluate("sales_capacity", {}) is None


def test_an_organization_formula_wins_over_the_builtin_one_for_its_output() -> None:
    kb = builtin()
    own = Formula("my-new-business", "new_business", "sql_count * win_rate * avg_deal_size * 0.95", "",
                  Location("policies/kb.yml", 3, 5))
    formulas = FormulaSet([*kb.formulas, own], kb.canonical)
    env = {"sql_count": Decimal(100), "win_rate": Decimal("0.2"), "avg_deal_size": Decimal(1000)}
    assert formulas.evaluate("new_business", env) == Decimal("19000")


def _check(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "kb.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    try:
        validate(load_documents([tmp_path]))
    except InputError as exc:
        return exc.lines()
    return []


def test_a_cycle_through_an_organization_formula_is_a_validation_error(tmp_path: Path) -> None:
    lines = _check(tmp_path, """\
        organization: {name: Example}
        formulas:
          - id: sql-from-new-business
            output: sql_count
            expression: "new_business / (win_rate * avg_deal_size)"
        """)
    assert len(lines) == 1
    assert lines[0].endswith("kb.yml:3:5: formulas: 'sql-from-new-business' is part of a cycle between formulas: "
                             "new_business -> sql_count -> new_business")


def test_a_formula_that_uses_its_own_output_is_a_cycle(tmp_path: Path) -> None:
    lines = _check(tmp_path, """\
        organization: {name: Example}
        formulas:
          - {id: grow, output: bookings, expression: "bookings * 1.1"}
        """)
    assert lines and "'grow' is part of a cycle between formulas: bookings -> bookings" in lines[0]


def test_two_organization_formulas_for_one_output_are_an_error(tmp_path: Path) -> None:
    lines = _check(tmp_path, """\
        organization: {name: Example}
        formulas:
          - {id: a, output: pipeline_value, expression: "sql_count * avg_deal_size"}
          - {id: b, output: pipeline_value, expression: "sql_count * avg_deal_size * 1.1"}
        """)
    assert len(lines) == 1 and "kb.yml:4:5: formulas: 'b' computes 'pipeline_value', which formula 'a'" in lines[0]


def test_unknown_variables_and_non_arithmetic_are_validation_errors(tmp_path: Path) -> None:
    lines = _check(tmp_path, """\
        organization: {name: Example}
        formulas:
          - {id: a, output: pipeline_value, expression: "sql_cnt * avg_deal_size"}
          - {id: b, output: sql_count, expression: "__import__('os')"}
        """)
    assert any("kb.yml:3:" in line and "unknown metric 'sql_cnt' (did you mean 'sql_count'?)" in line
               for line in lines)
    assert any("kb.yml:4:" in line for line in lines)


def test_the_example_organizations_formula_is_valid() -> None:
    org = validate(load_documents([ROOT_DIR / "policies"]))
    formulas = FormulaSet(org.formulas)
    assert formulas.evaluate("site_idle_time", {"material_shortage_days": Decimal(3)}) == 192
