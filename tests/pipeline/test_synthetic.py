"""Synthetic organizations (tests/synthetic.py): deterministic, shaped as specified, and linting to
exactly the conflicts they plant, so that a faster engine is never a wrong one."""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import synthetic
from interlock.model import knowledge_base as knowledge
from interlock.read.config import Config
from interlock.lint import LintResult, lint
from paths import TESTS_DIR

HERE = TESTS_DIR
FAMILIES = ("cross-functional", "vertical", "temporal", "quantitative", "hygiene")

Found = Counter[tuple[str, tuple[str, ...]]]
Large = tuple[synthetic.Synthetic, LintResult]


def found(result: LintResult) -> Found:
    """Findings reduced to (rule, sorted departments), counted: a duplicate is as wrong as a stray."""
    return Counter((f.rule, tuple(sorted(f.departments))) for f in result.findings)


def lint_synthetic(org: synthetic.Synthetic, folder: Path) -> LintResult:
    synthetic.write(org, folder)
    return lint([folder], Config())


def derived_kinds(result: LintResult) -> Counter[str]:
    return Counter(str(d["kind"]) for d in result.derived)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Large:
    """N = 1,000, linted once for the tests that need it (about 10 to 30 s)."""
    org = synthetic.generate(1000, seed=0)
    return org, lint_synthetic(org, tmp_path_factory.mktemp("synthetic-1000"))


# -- determinism -------------------------------------------------------------------------------------


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    first, second = synthetic.generate(300, seed=7), synthetic.generate(300, seed=7)
    assert first.files == second.files and first.planted == second.planted
    a = synthetic.write(first, tmp_path / "a")
    b = synthetic.write(second, tmp_path / "b")
    assert [p.name for p in a] == [p.name for p in b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b))


def test_another_seed_gives_another_organization() -> None:
    one, two = synthetic.generate(300, seed=1), synthetic.generate(300, seed=2)
    assert one.files != two.files
    assert one.planted != two.planted


def test_the_command_line_writes_what_generate_builds(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(HERE / "synthetic.py"), "23", str(tmp_path), "--seed", "4"],
                         check=True, capture_output=True, text=True)
    assert "departments: 23" in out.stdout
    expected = synthetic.write(synthetic.generate(23, seed=4), tmp_path / "expected")
    assert sorted(p.name for p in tmp_path.glob("*.yml")) == [p.name for p in expected]
    assert all((tmp_path / p.name).read_bytes() == p.read_bytes() for p in expected)


# -- shape -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("departments", [5, 10, 57, 1000])
def test_exactly_n_departments_under_business_units(departments: int) -> None:
    shape = synthetic.describe(synthetic.generate(departments))
    assert shape["departments"] == departments
    assert shape["units"] == max(1, departments // 10)
    assert shape["depth"] == 2  # company -> business unit -> department


def test_too_small_an_organization_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 5 departments"):
        synthetic.generate(4)


def test_plans_keep_to_three_measures_and_departments_to_three_to_eight() -> None:
    org = synthetic.generate(1000)
    h01 = {depts[0] for rule, depts in org.planted if rule == "H01"}
    for name, doc in org.files.items():
        if name == "organization.yml":
            continue
        plans = doc["plans"]
        assert 3 <= sum(len(p["measures"]) for p in plans) <= 8, name
        four = [p["id"] for p in plans if len(p["measures"]) > 3]
        assert len(four) == (doc["department"]["id"] in h01), name  # only H01's planted plan has four


def test_knowledge_objectives_and_links_have_the_specified_size() -> None:
    shape = synthetic.describe(synthetic.generate(1000))
    assert shape["own_metrics"] == 94  # added to the built-in metrics
    assert shape["strong_edges"] + shape["weak_edges"] == 783  # added to the built-in edges
    assert shape["objectives"] == 20
    assert shape["dependencies"] == 400 and shape["milestones"] >= 300 and shape["assumptions"] > 1000


@pytest.mark.slow
def test_the_loaded_knowledge_is_the_built_in_one_plus_the_synthetic_one(large: Large) -> None:
    org = large[1].organization
    built_in = knowledge.builtin()
    assert len(org.metrics) == len(built_in.metrics) + 94
    assert len(org.influences) == len(built_in.influences) + 783
    assert len(org.objectives) == 20


@pytest.mark.slow
def test_the_synthetic_graph_adds_few_causal_paths(large: Large) -> None:
    """Paths are derived for the metric graph (D01, D02) and joined by every rule: the weak edges must not
    be followed and the clusters must stay shallow, or the path count explodes."""
    aligned = lint([HERE / "fixtures" / "aligned_org"], Config())
    builtin_paths = derived_kinds(aligned)["path"]
    paths = derived_kinds(large[1])["path"]
    assert builtin_paths < paths <= 2 * builtin_paths


# -- the findings are the planted ones ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_organizations_find_exactly_what_was_planted(tmp_path: Path, seed: int) -> None:
    org = synthetic.generate(50, seed=seed)
    assert found(lint_synthetic(org, tmp_path)) == Counter(org.planted)


@pytest.mark.slow
def test_at_1000_departments_the_findings_are_exactly_the_planted_ones(large: Large) -> None:
    org, result = large
    got = found(result)
    assert set(got) - org.planted == set(), "a stray finding: a rule cries wolf, or the generator is wrong"
    assert org.planted - set(got) == set(), "a planted conflict was missed"
    assert got == Counter(org.planted), "a planted conflict was reported more than once"


@pytest.mark.slow
def test_every_family_is_planted_in_about_a_tenth_of_departments(large: Large) -> None:
    per_family: dict[str, set[str]] = {family: set() for family in FAMILIES}
    for f in large[1].findings:
        per_family[f.family].update(f.departments)
    shares = {family: len(depts) / 1000 for family, depts in per_family.items()}
    assert all(0.09 <= share <= 0.11 for share in shares.values()), shares
    # and no department carries conflicts of two families
    owners = [d for depts in per_family.values() for d in depts]
    assert len(owners) == len(set(owners))


# -- crowds: one finding per outlier department, not per pair ----------------------------------------


@pytest.mark.parametrize("crowd", [2, 3, 50])
def test_a_crowd_finds_each_department_of_its_smaller_side_once(tmp_path: Path, crowd: int) -> None:
    org = synthetic.generate(50, seed=0, crowd=crowd)
    assert found(lint_synthetic(org, tmp_path)) == Counter(org.planted)


def test_a_crowd_grows_the_findings_with_its_departments_not_its_pairs(tmp_path: Path) -> None:
    org = synthetic.generate(200, seed=3, crowd=200)
    result = lint_synthetic(org, tmp_path)
    crowd = [f for f in result.findings if f.rule == "X01" and f.facts["a"]["metric"] == synthetic.CROWD]
    assert len(crowd) == 100  # the raising half, where a finding per pair would be 100 x 100
    first = crowd[0]
    assert "while 100 other departments are paid to lower it (" in first.message
    assert first.message.endswith(" and 97 more)")
    assert len(first.departments) == 4  # the department and the first three it conflicts with

