"""The on-disk cache (engine/read/cache.py, engine/evaluation/static.py): same answers, byte for byte, and never in the way.

A run with the cache (cold or warm) must print exactly what a run without it prints, in every
format, on the example organization and every fixture organization; a corrupt, unreadable or
unwritable cache is a silent miss; the cache is never written under a checked folder; `--no-cache`
and INTERLOCK_NO_CACHE=1 neither read nor write it.
"""
from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from interlock.read import cache
from interlock.model import knowledge_base as knowledge
from interlock.evaluation import rulebook
from interlock.evaluation import static
from interlock.read.cache import Store, Unstorable, from_json, to_json
from interlock.commands.cli import main
from interlock.read.config import Config
from interlock.evaluation.evaluate import Evaluator
from interlock.lint import evaluator, facts_of, lint
from interlock.read.loader import load_documents
from interlock.evaluation.rulebook import load_rulebook
from interlock.model.validate import validate
from orggen import random_org, write_org
from paths import ROOT_DIR

ROOT = ROOT_DIR
ORGS = [ROOT / "policies", *sorted(p for p in (ROOT / "tests" / "fixtures").iterdir()
                                   if p.is_dir() and any(p.glob("*.yml")))]
FORMATS = ("text", "json", "sarif", "junit", "github", "markdown", "html")
TODAY = "2027-03-01"


def _entries(folder: Path, namespace: str = "") -> list[Path]:
    return sorted(folder.glob(f"{namespace}*.json")) if folder.is_dir() else []


# --- where it lives, and when it is off ------------------------------------------------------------


def test_the_folder_is_interlock_cache_dir_then_xdg_then_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INTERLOCK_CACHE_DIR", str(tmp_path / "named"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.default_directory() == tmp_path / "named"
    monkeypatch.delenv("INTERLOCK_CACHE_DIR")
    assert cache.default_directory() == tmp_path / "xdg" / "interlock"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/xdg")  # the XDG specification ignores relative paths
    assert cache.default_directory() == tmp_path / "home" / ".cache" / "interlock"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.default_directory() == tmp_path / "home" / ".cache" / "interlock"


@pytest.mark.parametrize(("value", "enabled"), [("1", False), ("yes", False), ("0", True), ("", True)])
def test_interlock_no_cache_turns_it_off(value: str, enabled: bool, cache_dir: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERLOCK_NO_CACHE", value)
    assert Store.open().enabled is enabled
    assert not Store.open(enabled=False).enabled


def test_a_cache_inside_a_checked_folder_is_off(tmp_path: Path) -> None:
    assert not Store(tmp_path / "org" / ".cache").outside([tmp_path / "org"]).enabled
    assert not Store(tmp_path / "org").outside([tmp_path / "org"]).enabled
    assert Store(tmp_path / "cache").outside([tmp_path / "org"]).enabled


# --- entries: atomic, exact, and every failure a miss ------------------------------------------


def test_an_entry_is_written_atomically_and_read_back(cache_dir: Path) -> None:
    store = Store.open()
    store.save("demo", "k1", {"a": [1, 2.5, "x", None, True]})
    assert store.load("demo", "k1", lambda v: v) == {"a": [1, 2.5, "x", None, True]}
    assert [p.name for p in cache_dir.iterdir()] == ["demo-k1.json"]  # no temporary file left behind
    assert store.load("demo", "k2", lambda v: v) is None
    assert store.load("other", "k1", lambda v: v) is None


@pytest.mark.parametrize("content", [b"", b"{", b"\xff\xfe", b"[]", b'{"format": 1}', b"null",
                                     b'{"format": 1, "namespace": "demo", "key": "other", "value": 1}'])
def test_a_corrupt_entry_is_a_miss(content: bytes, cache_dir: Path) -> None:
    cache_dir.mkdir()
    (cache_dir / "demo-k1.json").write_bytes(content)
    assert Store.open().load("demo", "k1", lambda v: v) is None


def test_an_entry_that_does_not_decode_is_a_miss(cache_dir: Path) -> None:
    store = Store.open()
    good = {"shapes": [["kind", "src"]], "rows": [[0, "path", "a"]], "matches": []}
    store.save("demo", "k0", good)
    assert store.load("demo", "k0", static.StaticResult.from_json) == static.StaticResult(
        ({"kind": "path", "src": "a"},), ())
    for bad in ({**good, "shapes": [["kind", "id"]]},  # a reserved field
                {**good, "shapes": [["src"]], "rows": [[0, "a"]]},  # no kind
                {**good, "rows": [[1, "path", "a"]]},  # no such shape
                {**good, "rows": [[0, "path"]]},  # a value missing
                {**good, "rows": [[0, "path", ["a"]]]},  # not a scalar
                {**good, "rows": [[0, 7, "a"]]}):  # a kind that is not a text
        store.save("demo", "k1", bad)
        assert store.load("demo", "k1", static.StaticResult.from_json) is None


def test_a_stored_result_keeps_every_fact_exactly_in_a_compact_form(cache_dir: Path) -> None:
    """Facts of several shapes (optional fields missing, a flag, a whole float) come back equal, of the
    same types and in the same order; each shape is written once; the sort keys are those of the facts."""
    facts = [{"kind": "path", "src": "a", "dst": "b", "strength": 0.5, "hops": 1},
             {"kind": "path", "src": "a", "dst": "c", "strength": 1.0, "hops": 2},
             {"kind": "reach", "src": "a", "direct": True},
             {"kind": "path", "src": "b", "dst": "c", "hops": 1}]
    result = static.StaticResult.of([], facts)
    stored = result.to_json()
    assert len(stored["shapes"]) == 3 and len(stored["rows"]) == 4
    store = Store.open()
    store.save("demo", "k1", stored)
    back = store.load("demo", "k1", static.StaticResult.from_json)
    assert back == result
    assert [[(k, type(v)) for k, v in f.items()] for f in back.derived] == \
        [[(k, type(v)) for k, v in f.items()] for f in result.derived]
    assert back.keys == tuple(sorted(static.sort_key(f) for f in facts))


def test_an_unwritable_cache_is_a_silent_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("INTERLOCK_CACHE_DIR", str(blocker / "cache"))
    store = Store.open()
    store.save("demo", "k1", [1])  # no error
    assert store.load("demo", "k1", lambda v: v) is None


def test_old_entries_are_pruned(cache_dir: Path) -> None:
    store = Store.open()
    for n in range(cache.KEPT_PER_NAMESPACE + 5):
        store.save("demo", f"k{n:03}", n)
        os.utime(cache_dir / f"demo-k{n:03}.json", (n, n))
    store.save("other", "x", 0)
    kept = _entries(cache_dir, "demo-")
    assert len(kept) == cache.KEPT_PER_NAMESPACE and kept[0].name == "demo-k005.json"
    assert _entries(cache_dir, "other-")


def test_yaml_values_round_trip_exactly() -> None:
    value = {"d": datetime.date(2027, 2, 28), "tag": {"$date": "2027-01-01"}, "map": {"$map": [1]},
             "list": [1, 1.0, True, None, "x", float("inf")], "nested": [{"$map": "x"}]}
    assert from_json(json.loads(json.dumps(to_json(value)))) == value
    back = from_json(to_json(value))
    assert type(back["list"][1]) is float and type(back["list"][2]) is bool
    for bad in ({1: "x"}, (1, 2), {1, 2}, datetime.datetime(2027, 1, 1)):
        with pytest.raises(Unstorable):
            to_json(bad)


def test_the_key_covers_the_parts_and_the_build() -> None:
    assert cache.key("a", "b") != cache.key("ab")  # parts are length-prefixed
    assert cache.key("a", b"b") == cache.key("a", "b")
    assert json.loads(cache.build())[1] == __import__("interlock").__version__


# --- the rule catalog and the knowledge base ----------------------------------------------------


def test_the_catalog_comes_from_the_cache_unparsed_and_equal(cache_dir: Path) -> None:
    fresh = load_rulebook(cache=False)
    assert not _entries(cache_dir)
    first = load_rulebook()
    assert len(_entries(cache_dir, "catalog-")) == 1
    with mock.patch.object(rulebook, "read_yaml", side_effect=AssertionError("parsed a rule file")):
        second = load_rulebook()
    assert fresh == first == second
    assert [r.places for r in fresh.rules] == [r.places for r in second.rules]
    assert all(r.builtin for r in second.rules)


def test_a_broken_rule_pack_is_reported_with_a_warm_cache(cache_dir: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "ACME01.yaml").write_text("id: ACME01\nname: x\nfamily: hygiene\nseverity: loud\n", encoding="utf-8")
    for _ in range(2):  # cold, then warm
        code = main(["check", str(ROOT / "policies"), "--rules", str(pack)])
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err
        assert all(line.startswith(f"{pack.as_posix()}/ACME01.yaml:") for line in err.splitlines()), err
    assert _entries(cache_dir, "catalog-")  # the shipped catalog was cached; the pack never is


def test_the_knowledge_base_comes_from_the_cache_unparsed_and_equal(cache_dir: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(knowledge, "_LOADED", [])
    fresh = knowledge.builtin(False)
    assert not _entries(cache_dir)
    monkeypatch.setattr(knowledge, "_LOADED", [])
    first = knowledge.builtin()
    assert len(_entries(cache_dir, "knowledge-")) == 1
    monkeypatch.setattr(knowledge, "_LOADED", [])
    with mock.patch.object(knowledge, "parse_yaml", side_effect=AssertionError("parsed a knowledge file")):
        second = knowledge.builtin()
    assert fresh == first == second and fresh.objectives == second.objectives


# --- knowledge-only derivations -------------------------------------------------------------------


def test_the_static_rules_are_the_metric_graphs() -> None:
    split = static.split(load_rulebook().compile())
    assert sorted(r.id for r, _c in split.static) == ["D01", "D02", "D19"]
    assert {"path", "reach", "influence", "metric"} <= split.kinds
    assert not {"measure", "sway", "guard"} & split.kinds


def _compiled(*rules: tuple[str, list[str], list[str], str | None]) -> list[Any]:
    """(id, kinds read, kinds negated, kind derived) as compiled rules, for the partition alone."""
    from interlock.evaluation.compiler import CompiledRule, Pattern

    out = []
    for rule_id, uses, negates, derives in rules:
        patterns = (*(Pattern(k, (), alias=f"a{i}") for i, k in enumerate(uses)),
                    *(Pattern(k, ()) for k in negates))
        out.append((mock.Mock(id=rule_id), CompiledRule(rule_id, patterns, derives)))
    return out


def test_a_rule_is_static_only_if_everything_it_touches_is() -> None:
    rules = _compiled(
        ("S1", ["influence"], [], "path"),          # knowledge only
        ("S2", ["path", "metric"], ["quality_pair"], "reach"),
        ("D1", ["measure", "path"], [], "sway"),     # reads a plan
        ("D2", ["sway"], [], "verdict"),             # reads what a dynamic rule derives
        ("D3", ["influence"], [], "sway"),           # knowledge only, but derives a dynamic kind
        ("D4", ["reach"], [], "path2"),
        ("D5", ["measure"], [], "path2"),            # path2 has a dynamic producer: D4 is dynamic too
        ("D6", ["nobody_makes_this"], [], None),
    )
    split = static.split(rules)
    assert [r.id for r, _c in split.static] == ["S1", "S2"]
    assert [r.id for r, _c in split.dynamic] == ["D1", "D2", "D3", "D4", "D5", "D6"]
    assert split.kinds == {"metric", "influence", "quality_pair", "non_conflict", "path", "reach"}


@pytest.mark.parametrize("folder", ORGS, ids=[p.name for p in ORGS])
def test_cached_evaluation_equals_the_plain_engine(folder: Path, cache_dir: Path) -> None:
    book = load_rulebook()
    facts = facts_of(validate(load_documents([folder])))
    with Evaluator(book.compile()) as plain:
        expected = plain.run(facts)
    with static.CachedEvaluator(book.compile(), Store.open()) as cold:
        assert cold.run(facts) == expected  # a miss: computed and stored
    assert len(_entries(cache_dir, "static-")) == 1
    static._RECENT.clear()  # as in a new process
    with static.CachedEvaluator(book.compile(), Store.open()) as warm:
        assert warm.run(facts) == expected  # read back from disk
        assert warm.run(list(reversed(facts))) == expected  # and from memory


@pytest.mark.parametrize("seed", [3, 17, 41, 99, 123])
def test_cached_evaluation_equals_the_plain_engine_on_random_organizations(seed: int, tmp_path: Path,
                                                                            cache_dir: Path) -> None:
    write_org(random_org(seed), tmp_path / "org")
    book = load_rulebook()
    facts = facts_of(validate(load_documents([tmp_path / "org"])))
    with Evaluator(book.compile()) as plain, static.CachedEvaluator(book.compile(), Store.open()) as cached:
        expected = plain.run(facts)
        assert cached.run(facts) == expected and cached.run(facts) == expected


def test_an_organization_that_adds_an_influence_edge_gets_its_own_entry(tmp_path: Path, cache_dir: Path) -> None:
    org = tmp_path / "org"
    shutil.copytree(ROOT / "policies", org)
    config = Config()
    before = lint([org], config)
    assert len(_entries(cache_dir, "static-")) == 1
    knowledge_file = org / "knowledge.yml"
    text = knowledge_file.read_text(encoding="utf-8")
    assert "influences:" in text
    knowledge_file.write_text(text.replace("influences:\n", "influences:\n  - {from: csat, to: dso, sign: \"-\", "
                                           "confidence: 0.9, lag: 1q, basis: practitioner, rationale: test}\n", 1),
                              encoding="utf-8")
    after = lint([org], config)
    assert len(_entries(cache_dir, "static-")) == 2
    with Evaluator(load_rulebook().compile()) as plain:
        _matches, derived = plain.run(facts_of(after.organization))
    assert list(after.derived) == derived
    assert any(f.get("via", "").startswith("csat>dso") for f in after.derived)
    assert not any(f.get("via", "").startswith("csat>dso") for f in before.derived)


def test_a_static_check_rule_keeps_its_matches(cache_dir: Path, tmp_path: Path) -> None:
    """A check rule over knowledge kinds alone is static: its matches come from the cache too."""
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "ACME09.yaml").write_text(STATIC_CHECK, encoding="utf-8")
    book = load_rulebook([pack])
    compiled = book.compile()
    assert "ACME09" in {r.id for r, _c in static.split(compiled).static}
    facts = facts_of(validate(load_documents([ROOT / "policies"])))
    with Evaluator(compiled) as plain:
        expected = plain.run(facts)
    assert any(m.rule_id == "ACME09" for m in expected[0])
    for _ in range(2):
        with static.CachedEvaluator(book.compile(), Store.open()) as cached:
            assert cached.run(facts) == expected


STATIC_CHECK = """\
id: ACME09
name: long-paths-into-margin
family: hygiene
title: A four-hop path into gross margin
summary: Flags long causal chains into gross margin.
rationale: A test rule that reads only the metric graph.
severity: info
when:
  - p:
      kind: path
      dst: gross_margin_pct
      hops: 4
message: "{{ p.via }}"
remediation: None.
examples:
  fail:
    - description: The built-in metric graph has such paths.
      policy: {departments: [{id: sales, name: Sales}]}
  pass:
    - description: Not evaluated here.
      policy: {departments: [{id: sales, name: Sales}]}
"""


def test_the_semi_join_keeps_every_fact_a_match_uses(cache_dir: Path) -> None:
    """Every path fact bound in a match of the plain engine is among those the cached run asserts."""
    book = load_rulebook()
    facts = facts_of(validate(load_documents([ROOT / "policies"])))
    compiled = book.compile()
    with Evaluator(compiled) as plain:
        matches, derived = plain.run(facts)
    split = static.split(compiled)
    kept = static.joinable(split.dynamic, [*facts, *derived], split.kinds, {c.derives for _r, c in compiled})
    used = {json.dumps(f, sort_keys=True) for m in matches for f in m.bindings.values() if f["kind"] in split.kinds}
    assert used <= {json.dumps(f, sort_keys=True) for f in kept}
    paths = [f for f in derived if f["kind"] == "path"]
    assert len([f for f in kept if f["kind"] == "path"]) < len(paths) / 2  # and the point: most are left out


@pytest.mark.parametrize("seed", [None, 3, 11])
def test_narrowing_by_a_text_constant_keeps_the_semi_join_the_same(seed: int | None, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Screening only the facts holding a pattern's text constant (``metric: dpo``) chooses exactly the facts
    that screening them all chooses."""
    folder = ROOT / "policies"
    if seed is not None:
        folder = tmp_path / "org"
        write_org(random_org(seed), folder)
    compiled = load_rulebook().compile()
    facts = facts_of(validate(load_documents([folder])))
    with Evaluator(compiled) as plain:
        _matches, derived = plain.run(facts)
    split = static.split(compiled)
    produced = {c.derives for _r, c in compiled}
    narrowed = static.joinable(split.dynamic, [*facts, *derived], split.kinds, produced)
    monkeypatch.setattr(static, "_narrowed", lambda *args: None)
    assert narrowed == static.joinable(split.dynamic, [*facts, *derived], split.kinds, produced)


# --- the command line: byte-identical, whatever state the cache is in -------------------------


def _check(folder: Path, out: Path, extra: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, dict[str, bytes]]:
    out.mkdir(parents=True, exist_ok=True)
    outputs = [f"{fmt}={out / fmt}" for fmt in FORMATS]
    code = main(["check", str(folder), "--today", TODAY, *(a for o in outputs for a in ("-o", o)), *extra])
    text = capsys.readouterr().out
    return code, text, {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("folder", ORGS, ids=[p.name for p in ORGS])
def test_every_format_is_byte_identical_with_and_without_the_cache(folder: Path, cache_dir: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(knowledge, "_LOADED", [])  # as in a new process
    expected = _check(folder, tmp_path / "plain", ["--no-cache"], capsys)
    assert not _entries(cache_dir)
    monkeypatch.setattr(knowledge, "_LOADED", [])
    assert _check(folder, tmp_path / "cold", [], capsys) == expected
    # and the verdict that the files are valid, for an organization whose files are all valid
    assert {p.name.split("-")[0] for p in _entries(cache_dir)} - {"verdicts"} == {"catalog", "knowledge", "provenance", "static"}
    assert _check(folder, tmp_path / "warm", [], capsys) == expected
    report = ["report", str(folder), "--today", TODAY, "-o", str(tmp_path / "r.html"), "-o", str(tmp_path / "r.md")]
    main([*report, "--no-cache"])
    plain = [(tmp_path / name).read_bytes() for name in ("r.html", "r.md")]
    main(report)
    assert [(tmp_path / name).read_bytes() for name in ("r.html", "r.md")] == plain
    capsys.readouterr()


def _printed(folder: Path, fmt: str, extra: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["check", str(folder), "--today", TODAY, "--format", fmt, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("folder", ORGS, ids=[p.name for p in ORGS])
def test_every_format_is_byte_identical_from_the_results_memo(folder: Path, cache_dir: Path,
                                                               capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard output, standard error and the exit status of `check -f FORMAT`: without the cache, then
    a run that stores its memo, then one that replays it without linting (engine/commands/memo.py)."""
    from interlock import lint as lint_module

    monkeypatch.delenv("INTERLOCK_NO_MEMO")
    for fmt in FORMATS:
        expected = _printed(folder, fmt, ["--no-cache"], capsys)
        assert not _entries(cache_dir, "memo")
        assert _printed(folder, fmt, [], capsys) == expected
        assert len(_entries(cache_dir, "memo")) == 1
        with mock.patch.object(lint_module, "lint", side_effect=AssertionError("linted again")):
            assert _printed(folder, fmt, [], capsys) == expected
        for entry in _entries(cache_dir, "memo"):
            entry.unlink()


def test_a_corrupt_cache_changes_nothing(cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = _check(ROOT / "policies", tmp_path / "plain", ["--no-cache"], capsys)
    _check(ROOT / "policies", tmp_path / "fill", [], capsys)
    for entry in _entries(cache_dir):
        entry.write_bytes(entry.read_bytes()[: len(entry.read_bytes()) // 2])
    from interlock import lint as lint_module

    lint_module._EVALUATORS.clear()  # as in a new process: nothing kept in memory
    knowledge._LOADED.clear()
    static._RECENT.clear()
    assert _check(ROOT / "policies", tmp_path / "corrupt", [], capsys) == expected


def test_no_cache_neither_reads_nor_writes(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(ROOT / "policies"), "--no-cache"])
    main(["simulate", str(ROOT / "policies"), "--slip", "product-launch=+1q", "--no-cache"])
    main(["report", str(ROOT / "policies"), "--no-cache"])
    monkeypatch.setenv("INTERLOCK_NO_CACHE", "1")
    main(["check", str(ROOT / "policies")])
    capsys.readouterr()
    assert not cache_dir.exists()
    with mock.patch.object(Store, "load", side_effect=AssertionError("read the cache")):
        main(["check", str(ROOT / "policies"), "--no-cache"])


def test_the_cache_is_never_written_inside_a_checked_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    org = tmp_path / "org"
    shutil.copytree(ROOT / "policies", org)
    monkeypatch.setenv("INTERLOCK_CACHE_DIR", str(org / "cache"))
    before = sorted(p.relative_to(org) for p in org.rglob("*"))
    assert main(["check", str(org)]) == 1
    capsys.readouterr()
    assert sorted(p.relative_to(org) for p in org.rglob("*")) == before


def test_a_fresh_process_with_a_broken_cache_exits_as_usual(tmp_path: Path) -> None:
    """In separate processes: a warm cache, then one whose every entry is garbage, then an unwritable one."""
    env = {**os.environ, "INTERLOCK_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "interlock", "check", str(ROOT / "policies"), "-f", "json"]
    runs = [subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)]
    runs.append(subprocess.run(command, env=env, capture_output=True, text=True, timeout=120))
    for entry in _entries(tmp_path / "cache"):
        entry.write_text("{not json", encoding="utf-8")
    runs.append(subprocess.run(command, env=env, capture_output=True, text=True, timeout=120))
    shutil.rmtree(tmp_path / "cache")
    (tmp_path / "cache").write_text("a file, not a folder", encoding="utf-8")
    runs.append(subprocess.run(command, env=env, capture_output=True, text=True, timeout=120))
    assert [(r.returncode, r.stderr) for r in runs] == [(1, "")] * 4
    assert len({r.stdout for r in runs}) == 1


def test_lint_without_a_book_uses_the_cached_catalog(cache_dir: Path) -> None:
    lint([ROOT / "tests" / "fixtures" / "aligned_org"], Config())
    assert _entries(cache_dir, "catalog-") and _entries(cache_dir, "static-")
    with mock.patch.object(rulebook, "read_yaml", side_effect=AssertionError("parsed a rule file")):
        result = lint([ROOT / "tests" / "fixtures" / "aligned_org"], Config())
    assert result.book.find("V03") is not None
    assert isinstance(evaluator(result.book, Config()), static.CachedEvaluator)
    assert isinstance(evaluator(result.book, Config(cache=False)), Evaluator)


@pytest.mark.parametrize("folder", ORGS, ids=[p.name for p in ORGS])
def test_the_knowledge_kinds_come_from_the_knowledge_base_alone(folder: Path) -> None:
    """Every fact of a knowledge kind is one facts._catalog makes from the (extended) knowledge base."""
    from interlock.knowledge import facts as facts_module

    org = validate(load_documents([folder]))
    of_kind = [f for f in facts_of(org) if f["kind"] in static.KNOWLEDGE_KINDS]
    assert sorted(map(json.dumps, of_kind)) == sorted(map(json.dumps, facts_module._catalog(org)))


# --- the entries an installation ships (engine/commands/prebuild.py) ------------------------------


def test_shipped_entries_serve_an_empty_cache_and_change_nothing(cache_dir: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from interlock.commands.prebuild import MINIMAL, prebuild

    shipped = tmp_path / "shipped"
    names = prebuild(shipped)
    assert sorted(n.split("-")[0] for n in names) == ["catalog", "knowledge", "provenance", "static"]
    assert os.environ["INTERLOCK_CACHE_DIR"] == str(cache_dir)  # put back
    monkeypatch.setattr(cache, "SHIPPED", shipped)
    monkeypatch.setattr(static, "_RECENT", {})
    monkeypatch.setattr(knowledge, "_LOADED", [])
    assert prebuild(shipped) == names  # computed afresh again, not read back from the entries it replaces
    monkeypatch.setattr(static, "_RECENT", {})
    monkeypatch.setattr(knowledge, "_LOADED", [])
    org = tmp_path / "org"
    org.mkdir()
    (org / "organization.yml").write_text(MINIMAL, encoding="utf-8")
    fresh = load_rulebook(cache=False)
    with mock.patch.object(rulebook, "_load_rule", side_effect=AssertionError("parsed")), \
            mock.patch.object(knowledge, "_checked_sections", side_effect=AssertionError("parsed")):
        assert [r.id for r in load_rulebook().rules] == [r.id for r in fresh.rules]
        result = lint([org], Config())
    # every entry came from the installation but the verdict that its own file is valid
    assert [p.name.split("-")[0] for p in _entries(cache_dir)] == ["verdicts"]
    monkeypatch.setattr(static, "_RECENT", {})
    assert lint([org], Config(cache=False)).findings == result.findings
    # an organization of its own metrics gets its causal paths in the user's cache, derived from the
    # shipped ones by difference (engine/evaluation/incremental.py), and they are the same
    with mock.patch.object(static.CachedEvaluator, "_derive_all", side_effect=AssertionError("derived everything")):
        own = lint([ROOT / "policies"], Config())
    assert [p.name.split("-")[0] for p in _entries(cache_dir)] == ["static", "verdicts", "verdicts"]
    monkeypatch.setattr(static, "_RECENT", {})
    plain = lint([ROOT / "policies"], Config(cache=False))
    assert (own.findings, own.derived) == (plain.findings, plain.derived)


def test_shipped_entries_are_not_read_without_the_cache(cache_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    monkeypatch.setattr(cache, "SHIPPED", shipped)
    (shipped / "catalog-k.json").write_text(json.dumps({"format": cache.FORMAT, "namespace": "catalog", "key": "k",
                                                        "value": 42}), encoding="utf-8")
    assert Store(cache_dir).load("catalog", "k", lambda v: v) == 42
    assert Store(None).load("catalog", "k", lambda v: v) is None
    (shipped / "catalog-k.json").write_text("{broken", encoding="utf-8")
    assert Store(cache_dir).load("catalog", "k", lambda v: v) is None


# --- the verdict that unchanged policy files are valid (read/policy_schema.every_schema_error) -------


def test_valid_files_are_not_checked_again_and_invalid_ones_always_are(cache_dir: Path, tmp_path: Path) -> None:
    from interlock.read import policy_schema

    org = tmp_path / "org"
    shutil.copytree(ROOT / "policies", org)
    documents = load_documents([org])
    assert policy_schema.every_schema_error(documents) == [[] for _d in documents]
    assert [p.name.split("-")[0] for p in _entries(cache_dir)] == ["verdicts"]
    with mock.patch.object(policy_schema, "schema_errors", side_effect=AssertionError("checked")):
        assert policy_schema.every_schema_error(load_documents([org])) == [[] for _d in documents]
        with pytest.raises(AssertionError, match="checked"):  # without the cache, every file is checked
            policy_schema.every_schema_error(load_documents([org]), cache=False)
    sales = org / "sales.yml"
    sales.write_text(sales.read_text(encoding="utf-8").replace("weight: ", "weight: x", 1), encoding="utf-8")
    for _run in range(2):  # a changed file is checked; an invalid set is never remembered as valid
        found = policy_schema.every_schema_error(load_documents([org]))
        assert any(found)
        assert len(_entries(cache_dir, "verdicts-")) == 1
