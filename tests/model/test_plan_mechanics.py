"""Plan mechanics as written (issue 18): plan cap, discount authority, who reports a measure, true-up,
quota phasing and relative targets; each mistake one line at `file:line:col` with exit status 2."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from interlock.commands.cli import main
from interlock.model.validate import validate
from interlock.read.loader import Document
from interlock.read.yamlsource import parse_yaml

HEAD = """\
    organization: {name: Example, currency: EUR, fiscal_year: 2027}
    departments:
      - {id: sales, name: Sales}
"""


def org_of(text: str):  # type: ignore[no-untyped-def]
    data, index = parse_yaml(textwrap.dedent(HEAD) + textwrap.dedent(text), "policies/org.yml")
    return validate([Document("policies/org.yml", data, index)])


def check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    (tmp_path / "org.yml").write_text(textwrap.dedent(HEAD) + textwrap.dedent(text), encoding="utf-8")
    code = main(["check", str(tmp_path / "org.yml"), "--no-color"])
    err = capsys.readouterr().err
    return code, [line.replace(str(tmp_path) + "/", "") for line in err.splitlines()]


PLAN = """\
    plans:
      - id: sales-ae
        department: sales
        target_incentive: 40000
        cap: CAP
        discount_authority: 15%
        levers: [deal_timing]
        true_up: year
        measures:
          - {metric: bookings, weight: 80%, reported_by: system}
          - {metric: gross_margin_pct, weight: 20%, reported_by: self}
"""


def test_the_plan_mechanics_are_read_into_the_model() -> None:
    plan = org_of(PLAN.replace("CAP", "2.5x")).plans[0]
    assert plan.cap == 2.5
    assert plan.discount_authority == pytest.approx(0.15)
    assert plan.true_up is True
    assert [(m.metric, m.reported_by) for m in plan.measures] == [("bookings", "system"), ("gross_margin_pct", "self")]
    # discount authority is price authority with its limit, at the key that grants it
    assert [(lever.name, lever.limit) for lever in plan.levers] == [("deal_timing", None), ("price", pytest.approx(0.15))]
    assert str(plan.levers[1].at) == "policies/org.yml:9:25"
    assert org_of(PLAN.replace("CAP", "'250%'")).plans[0].cap == 2.5


@pytest.mark.parametrize(("cap", "message"), [
    ("40000", "org.yml:8:10: plans[0].cap: expected a multiple of the target incentive (2x or 200%), got 40000"),
    ("2 times", "org.yml:8:10: plans[0].cap: '2 times' is not a multiple of the target incentive (write 2x or 200%)"),
    ("0.5x", "org.yml:8:10: plans[0].cap: cap '0.5x' is below the target incentive (0.5x): the plan could not pay its "
             "target; a plan cap is a multiple of at least 1x (2x pays at most twice the target incentive)"),
])
def test_a_plan_cap_that_is_not_a_multiple_of_at_least_1x_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], cap: str, message: str) -> None:
    assert check(tmp_path, PLAN.replace("CAP", cap), capsys) == (2, [message])


def test_an_unknown_reporter_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(tmp_path, PLAN.replace("CAP", "2x").replace("reported_by: self", "reported_by: me"), capsys)
    assert (code, lines) == (2, ["org.yml:14:62: plans[0].measures[1].reported_by: 'me' is not one of system, finance, "
                                 "manager, customer, self"])


PHASED = """\
    targets:
      - {id: q, owner: sales, metric: bookings, value: 100, period: FY2027, phasing: PHASING}
"""


def test_phasing_is_read_and_must_split_the_whole_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert org_of(PHASED.replace("PHASING", "[15%, 20%, 25%, 40%]")).targets[0].phasing == pytest.approx(
        (0.15, 0.2, 0.25, 0.4))
    assert check(tmp_path, PHASED.replace("PHASING", "[20%, 20%, 20%, 30%]"), capsys) == (2, [
        "org.yml:5:82: targets[0].phasing: phasing adds up to 90.0%, not 100%: the 4 shares split the whole target"])
    assert check(tmp_path, PHASED.replace("PHASING", "[20%, 20%, 60%]"), capsys) == (2, [
        "org.yml:5:82: targets[0].phasing: phasing lists 3 shares: write 4 (quarters), 2 (halves) or 12 (months)"])


RELATIVE = """\
    targets:
      - {id: fy27, owner: sales, metric: bookings, period: FY2027, relative: {to: FY2026, change: +8%}}
      - {id: h1, owner: sales, metric: bookings, period: FY2027-H1, relative: {to: fy27, change: -60%}}
      - {id: old, owner: sales, metric: bookings, period: FY2027, relative: {to: FY2025, change: 5%}}
    history:
      - {owner: sales, metric: bookings, period: FY2026, actual: 5000000}
"""


def test_relative_targets_resolve_on_history_and_on_other_targets_in_any_order() -> None:
    org = org_of(RELATIVE)
    found = {t.id: (t.value, t.relative_to, t.base) for t in org.targets}
    assert found == {"fy27": (pytest.approx(5_400_000), "FY2026", 5_000_000),
                     "h1": (pytest.approx(2_160_000), "fy27", pytest.approx(5_400_000))}
    # FY2025 has no actual: stated as unresolved, never guessed
    assert [(u.id, u.relative_to, u.change) for u in org.unresolved_targets] == [("old", "FY2025", pytest.approx(0.05))]


@pytest.mark.parametrize(("target", "message"), [
    ("{id: t, owner: sales, metric: bookings, value: 1, relative: {to: FY2026, change: 5%}}",
     "org.yml:5:65: targets[0].relative: a target states value or relative, not both"),
    ("{id: t, owner: sales, metric: bookings}",
     "org.yml:5:5: targets[0]: missing required key 'value' (or 'relative': a change on a past actual or another "
     "target)"),
    ("{id: t, owner: sales, metric: bookings, relative: {to: fy72, change: 5%}}",
     "org.yml:5:60: targets[0].relative.to: relative.to 'fy72' is neither a period (FY2026) nor a target id "
     "(did you mean 'fy27'?)"),
    ("{id: t, owner: sales, metric: revenue, relative: {to: fy27, change: 5%}}",
     "org.yml:5:59: targets[0].relative.to: relative target follows 'fy27', a target on 'bookings', not 'revenue': "
     "a change is taken on the same metric"),
    ("{id: t, owner: sales, metric: bookings, relative: {to: u, change: 5%}}\n"
     "      - {id: u, owner: sales, metric: bookings, relative: {to: t, change: 5%}}",
     "org.yml:5:60: targets[0].relative.to: relative target 't' follows a target that follows it back: state one "
     "of them as a value"),
])
def test_a_relative_target_that_cannot_be_read_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, message: str) -> None:
    text = f"""\
    targets:
      - {target}
      - {{id: fy27, owner: sales, metric: bookings, value: 100}}
    """
    code, lines = check(tmp_path, text, capsys)
    assert code == 2
    assert lines[0] == message
