"""Configuration: discovery, the published schema, located errors, precedence and `config --show`."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from interlock import resources
from interlock.commands.cli import main
from interlock.commands.config_view import show
from interlock.read.config import COMMAND_LINE, DEFAULT, Config, discover, file_schema, load_config, resolve
from interlock.errors import InputError, UsageError
from interlock.evaluation.rulebook import RuleBook, load_rulebook
from paths import ROOT_DIR


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rulebook()


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(exc: pytest.ExceptionInfo[InputError]) -> list[str]:
    return exc.value.lines()


# -- the schema ---------------------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12_and_closed() -> None:
    schema = resources.schema("config")
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert all("description" in spec for spec in schema["properties"].values())
    for name in ("waivers-file", "baseline-file"):
        jsonschema.Draft202012Validator.check_schema(file_schema(name))


def test_config_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--schema"]) == 0
    assert json.loads(capsys.readouterr().out)["$id"].endswith("config.schema.json")


# -- discovery ----------------------------------------------------------------------------------------


def test_discover_walks_up_to_the_nearest_file(tmp_path: Path) -> None:
    outer = write(tmp_path / "interlock.yml", "{}\n")
    inner = write(tmp_path / "org" / "plans" / "interlock.yaml", "{}\n")
    (tmp_path / "org" / "plans" / "deep").mkdir()
    assert discover(tmp_path / "org" / "plans" / "deep") == inner.resolve()
    assert discover(tmp_path / "org") == outer.resolve()


def test_discover_starts_from_a_file_s_folder_and_prefers_interlock_yml(tmp_path: Path) -> None:
    write(tmp_path / "org" / ".interlock.yml", "{}\n")
    wanted = write(tmp_path / "org" / "interlock.yml", "{}\n")
    plan = write(tmp_path / "org" / "sales.yml", "departments: []\n")
    assert discover(plan) == wanted.resolve()


def test_discover_finds_nothing_without_a_file(tmp_path: Path) -> None:
    if any((folder / name).is_file() for folder in tmp_path.resolve().parents
           for name in ("interlock.yml", "interlock.yaml", ".interlock.yml")):
        pytest.skip("a configuration file above the temporary directory")
    assert discover(tmp_path) is None


# -- loading ------------------------------------------------------------------------------------------


def test_load_config_reads_every_key_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "org" / "packs" / "extra").mkdir(parents=True)
    path = write(tmp_path / "org" / "interlock.yml", """\
select: [vertical, Q08]
ignore: [V02]
severity: {weights-not-100-percent: warning}
options:
  V03: {min_weight: 0.2}
rule-packs: [packs/extra]
fail-on: warning
waivers: interlock-waivers.yml
baseline: ../baseline.yml
""")
    config = load_config(path)
    assert config.select == ("vertical", "Q08")
    assert config.ignore == ("V02",)
    assert config.severity == {"weights-not-100-percent": "warning"}
    assert config.options == {"V03": {"min_weight": 0.2}}
    assert config.rule_packs == (Path("org/packs/extra"),)
    assert config.fail_on == "warning"
    assert config.waivers == Path("org/interlock-waivers.yml")
    assert config.baseline == Path("baseline.yml")
    assert config.source == "org/interlock.yml"
    assert config.origins["select"] == "org/interlock.yml"


def test_an_empty_mapping_is_the_defaults(tmp_path: Path, book: RuleBook) -> None:
    config = load_config(write(tmp_path / "interlock.yml", "{}\n"))
    assert config == Config(source="interlock.yml")
    assert config.selected(book) == {r.id for r in book.checks}


def test_schema_errors_are_located_and_all_reported(tmp_path: Path) -> None:
    path = write(tmp_path / "interlock.yml", """\
select: [V03]
fail_on: warning
severity:
  V03: fatal
options:
  V03: {min_weight: [1]}
""")
    with pytest.raises(InputError) as exc:
        load_config(path)
    assert problems(exc) == [
        "interlock.yml:2:1: unknown key 'fail_on' (did you mean 'fail-on'?)",
        "interlock.yml:4:8: severity.V03: 'fatal' is not one of error, warning, info",
        "interlock.yml:6:21: options.V03.min_weight: expected a number, true or false, or text, got a list",
    ]


def test_yaml_syntax_errors_and_wrong_top_level_are_located(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        load_config(write(tmp_path / "interlock.yml", "select: [V03\n"))
    assert problems(exc)[0].startswith("interlock.yml:2:1: YAML syntax error")
    with pytest.raises(InputError) as exc:
        load_config(write(tmp_path / "interlock.yml", "- V03\n"))
    assert problems(exc) == ["interlock.yml:1:1: expected a mapping of sections at the top, got a list"]


def test_a_missing_rule_pack_is_located(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        load_config(write(tmp_path / "cfg" / "interlock.yml", "rule-packs: [nowhere]\n"))
    assert problems(exc) == ["cfg/interlock.yml:1:14: rule-packs: cfg/nowhere is not a directory"]


def test_unknown_rules_and_options_from_the_file_are_located(tmp_path: Path, book: RuleBook) -> None:
    config = load_config(write(tmp_path / "interlock.yml", """\
select: [vertical, V99]
severity: {Q77: error}
options:
  V03: {min_weight: 2, weight: 1}
"""))
    with pytest.raises(InputError) as exc:
        config.validate(book)
    assert problems(exc) == [
        "interlock.yml:1:20: select: unknown rule or family 'V99' (see `interlock rules`)",
        "interlock.yml:2:12: severity: unknown rule 'Q77' (see `interlock rules`)",
        "interlock.yml:4:21: rule V03: option 'min_weight' must be at most 1, not 2",
        'interlock.yml:4:24: unknown option "weight" for rule V03 (its options: counterweight_min_weight, error_certainty, hop_decay, min_weight)',
    ]


def test_unknown_rules_on_the_command_line_are_usage_errors(book: RuleBook) -> None:
    with pytest.raises(UsageError, match="unknown rule or family 'V99'"):
        Config(select=("V99",)).validate(book)
    with pytest.raises(UsageError, match="fail-on must be one of"):
        Config(fail_on="sometimes").validate(book)


# -- resolution and precedence ------------------------------------------------------------------------


def test_severities_and_options_accept_ids_and_names(book: RuleBook) -> None:
    config = Config(severity={"weights-not-100-percent": "info"}, options={"paid-against-lead-objective": {"min_weight": 0.3}})
    assert config.severities(book)["Q08"] == "info"
    assert config.severities(book)["V03"] == "error"  # the rule's default
    assert config.rule_options(book) == {"V03": {"min_weight": 0.3}, "V12": {"min_weight": 0.3}, "H02": {"min_weight": 0.3}, "X13": {"min_weight": 0.3}}  # shared: weight-that-matters


def test_selection_by_family_id_and_name_then_ignore(book: RuleBook) -> None:
    vertical = {r.id for r in book.checks if r.family == "vertical"}
    assert {"V02", "V03"} <= vertical
    assert Config(select=("vertical",)).selected(book) == vertical
    assert Config(select=("vertical", "weights-not-100-percent"), ignore=("v02",)).selected(book) == vertical - {"V02"} | {"Q08"}


def test_command_line_over_file_over_defaults(tmp_path: Path) -> None:
    (tmp_path / "org").mkdir()
    (tmp_path / "packs").mkdir()
    (tmp_path / "cli-pack").mkdir()
    write(tmp_path / "org" / "interlock.yml", """\
select: [vertical]
ignore: [V02]
fail-on: warning
rule-packs: [../packs]
waivers: waivers.yml
""")
    from_file = resolve([tmp_path / "org"])
    assert (from_file.select, from_file.ignore, from_file.fail_on) == (("vertical",), ("V02",), "warning")
    layered = resolve([tmp_path / "org"], select=("Q08",), fail_on="info", rule_packs=(Path("cli-pack"),),
                      waivers=Path("other.yml"))
    assert layered.select == ("Q08",)  # replaced, not merged
    assert layered.ignore == ("V02",)  # kept: not given on the command line
    assert layered.fail_on == "info"
    assert layered.rule_packs == (Path("packs"), Path("cli-pack"))  # packs add up
    assert layered.waivers == Path("other.yml")
    assert layered.origins["select"] == COMMAND_LINE
    assert layered.origins["ignore"] == "org/interlock.yml"
    assert layered.origins["rule-packs"] == "org/interlock.yml + command line"
    assert layered.origins["severity"] == DEFAULT


def test_explicit_config_wins_over_discovery(tmp_path: Path) -> None:
    write(tmp_path / "org" / "interlock.yml", "fail-on: info\n")
    other = write(tmp_path / "ci.yml", "fail-on: never\n")
    assert resolve([tmp_path / "org"], config_file=other).fail_on == "never"
    with pytest.raises(UsageError, match="--config missing.yml: no such file"):
        resolve([tmp_path / "org"], config_file=Path("missing.yml"))


def test_no_file_means_defaults(tmp_path: Path) -> None:
    (tmp_path / "org").mkdir()
    config = resolve([tmp_path / "org"], config_file=None) if discover(tmp_path) is None else Config()
    assert config.fail_on == "error" and config.select == () and config.waivers is None


# -- config --show ------------------------------------------------------------------------------------


def test_show_prints_the_resolved_configuration_with_origins(tmp_path: Path, book: RuleBook) -> None:
    write(tmp_path / "org" / "interlock.yml",
          "select: [Q08, V02, V03]\nignore: [V02]\nseverity: {Q08: warning}\noptions: {V03: {min_weight: 0.25}}\n")
    config = resolve([tmp_path / "org"], fail_on="info")
    text = show(config, book)
    assert "# configuration file: org/interlock.yml" in text
    assert "# ignore: from org/interlock.yml" in text
    assert "# fail-on: from command line" in text
    assert "# severity: from org/interlock.yml" in text
    assert "# baseline: from default" in text
    data = yaml.safe_load(text)
    assert data["ignore"] == ["V02"] and data["fail-on"] == "info"
    assert set(data["rules"]) == {"Q08", "V03"}
    assert data["rules"]["Q08"]["severity"] == "warning"
    assert data["rules"]["V03"]["options"] == {"min_weight": 0.25, "counterweight_min_weight": 0.1, "hop_decay": 0.85, "error_certainty": 0.3}
    assert data["rules"]["Q08"]["options"] == {"tolerance": 0.001}  # the rule's default


def test_config_show_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "policies" / "interlock.yml", "select: [Q08]\n")
    assert main(["config", "--show", "--ignore", "V03"]) == 0
    data = yaml.safe_load(capsys.readouterr().out)
    assert data["select"] == ["Q08"] and data["ignore"] == ["V03"] and list(data["rules"]) == ["Q08"]
    assert main(["config"]) == 0
    total = len(load_rulebook().checks)
    assert capsys.readouterr().out == f"policies/interlock.yml: valid (1 of {total} rules selected)\n"


def test_config_command_reports_a_bad_file_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "policies" / "interlock.yml", "select: [V03]\nseverity: {Q08: loud}\n")
    assert main(["config", "--show"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "policies/interlock.yml:2:17: severity.Q08: 'loud' is not one of error, warning, info\n"
    assert "Traceback" not in captured.err


# -- the documentation's examples ---------------------------------------------------------------------

DOCS = ROOT_DIR / "docs" / "workflow.md"


def _examples(first_line: str) -> list[str]:
    blocks = DOCS.read_text(encoding="utf-8").split("```yaml\n")[1:]
    return [block.split("```")[0] for block in blocks if block.startswith(first_line + "\n")]


def test_the_documented_configuration_is_valid(tmp_path: Path, book: RuleBook) -> None:
    (examples,) = _examples("# interlock.yml")
    config = load_config(write(tmp_path / "interlock.yml", examples))
    config.validate(book)
    assert config.fail_on == "warning" and config.options["V03"] == {"min_weight": 0.2}


def test_the_documented_waivers_are_valid(tmp_path: Path, book: RuleBook) -> None:
    from interlock.findings.waivers import load_waivers

    (examples,) = _examples("# interlock-waivers.yml")
    entries = load_waivers(write(tmp_path / "interlock-waivers.yml", examples), None, book)
    assert [(w.fingerprint, w.rule) for w in entries] == [("36d4a655f6294502", None), (None, "Q08")]


def test_the_documented_ci_and_pre_commit_files_are_yaml() -> None:
    (workflow,) = _examples("# .github/workflows/interlock.yml")
    steps = yaml.safe_load(workflow)["jobs"]["plans"]["steps"]
    # The workflow runs the repository's own action (action.yml), which uploads the SARIF (tests/outputs/test_ci.py).
    assert any(step.get("uses", "").split("@")[0].endswith("/interlock") for step in steps)
    assert len(_examples("# .pre-commit-config.yaml")) == 2
    for example in _examples("# .pre-commit-config.yaml"):
        assert yaml.safe_load(example)["repos"][0]["hooks"][0]["id"] == "interlock"
