"""Reading one YAML file: values, positions of every path, and every way a file can be malformed."""
from __future__ import annotations

import datetime
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.errors import InputError
from interlock.yamlsource import parse_yaml, path_label, read_yaml


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_yaml(text, "p.yml")
    return caught.value.lines()


def test_values_and_positions() -> None:
    data, index = parse_yaml("plans:\n  - id: a\n    measures:\n      - {metric: m, weight: 40%}\n", "p.yml")
    assert data == {"plans": [{"id": "a", "measures": [{"metric": "m", "weight": "40%"}]}]}
    assert index.locate(("plans",)) == (2, 3)
    assert index.locate(("plans", 0)) == (2, 5)
    assert index.locate(("plans", 0, "id")) == (2, 9)
    assert index.locate(("plans", 0, "measures", 0, "weight")) == (4, 29)
    assert index.locate_key(("plans", 0, "measures", 0, "weight")) == (4, 21)
    assert index.where(("plans", 0, "id")) == "p.yml:2:9"


def test_locate_falls_back_to_the_nearest_ancestor() -> None:
    _, index = parse_yaml("plans:\n  - id: a\n", "p.yml")
    assert index.locate(("plans", 0, "measures", 3, "weight")) == (2, 5)
    assert index.locate_key(("plans", 0, "missing")) == (2, 5)


def test_scalars_follow_yaml_with_dates_as_dates() -> None:
    text = "a: 2027-06-30\nb: 48_000_000\nc: 0.25\nd: true\ne: ~\nf: '2027-06-30'\ng: .inf\n"
    data, _ = parse_yaml(text, "p.yml")
    assert data["a"] == datetime.date(2027, 6, 30)
    assert data["b"] == 48_000_000 and data["c"] == 0.25 and data["d"] is True and data["e"] is None
    assert data["f"] == "2027-06-30"
    assert math.isinf(data["g"])


def test_impossible_dates_and_times_of_day_stay_text_for_the_date_checks() -> None:
    data, _ = parse_yaml("a: 2027-02-30\nb: 2027-06-30 10:00\n", "p.yml")
    assert data == {"a": "2027-02-30", "b": "2027-06-30 10:00"}


def test_keys_are_text_as_written() -> None:
    data, _ = parse_yaml("on: [churn]\nyes: 1\n2027: x\n", "p.yml")
    assert data == {"on": ["churn"], "yes": 1, "2027": "x"}


def test_merge_keys_and_anchors() -> None:
    text = "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\nd: *b\n"
    data, index = parse_yaml(text, "p.yml")
    assert data["c"] == {"y": 3, "x": 1}
    assert data["d"] == {"x": 1, "y": 2}
    assert index.locate(("c", "x")) == (1, 14)  # where the merged value was written
    assert index.locate(("c", "y")) == (4, 6)


def test_duplicate_key_is_reported_at_the_second_key() -> None:
    assert problems("plans:\n  - id: a\n    id: b\n") == [
        "p.yml:3:5: plans[0]: duplicate key 'id' (first defined at p.yml:2:5)"
    ]


def test_duplicate_top_level_key() -> None:
    assert problems("plans: []\nplans: []\n") == ["p.yml:2:1: duplicate key 'plans' (first defined at p.yml:1:1)"]


def test_syntax_error_has_its_position() -> None:
    assert problems("a: [1, 2\n") == [
        "p.yml:2:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence)"
    ]


def test_tab_indentation_is_a_syntax_error() -> None:
    assert problems("a:\n\tb: 1\n") == [
        "p.yml:2:1: YAML syntax error: found character that cannot start any token (while scanning for the next token)"
    ]


def test_control_character() -> None:
    assert problems("a: b\nc: \x07\n") == [
        "p.yml:2:4: YAML syntax error: unacceptable character #x0007: control characters are not allowed"
    ]


def test_two_documents() -> None:
    assert problems("a: 1\n---\nb: 2\n") == [
        "p.yml:2:1: YAML syntax error: a policy file holds one YAML document (found a second '---')"
    ]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_file(text: str) -> None:
    assert problems(text) == ["p.yml:1:1: the file is empty: expected a mapping of sections"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "p.yml:1:1: expected a mapping of sections at the top, got a list"),
        ("just text\n", "p.yml:1:1: expected a mapping of sections at the top, got the value 'just text'"),
    ],
)
def test_top_level_must_be_a_mapping(text: str, message: str) -> None:
    assert problems(text) == [message]


def test_unsupported_tags() -> None:
    assert problems("a: !!python/name:os.system ''\nb: !custom 1\nc: !!binary aGk=\n") == [
        "p.yml:1:4: unsupported YAML tag '!!python/name:os.system'",
        "p.yml:2:4: unsupported YAML tag '!custom'",
        "p.yml:3:4: unsupported YAML tag '!!binary'",
    ]


def test_recursive_alias() -> None:
    assert problems("a: &x [*x]\n") == ["p.yml:1:4: an alias refers to the structure that contains it"]


def test_complex_key() -> None:
    assert problems("? [a, b]\n: 1\n") == ["p.yml:1:3: a key must be plain text, got a list"]


def test_merge_of_a_scalar() -> None:
    assert problems("a: &a 1\nb: {<<: *a}\n") == ["p.yml:1:4: a merge (<<) needs a mapping, got the value '1'"]


def test_deep_nesting_is_reported_not_raised() -> None:
    assert problems("a: " + "[" * 5000 + "]" * 5000 + "\n") == ["p.yml:1:1: YAML syntax error: the file nests too deeply"]


def test_alias_expansion_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from interlock import yamlsource

    monkeypatch.setattr(yamlsource, "MAX_NODES", 50)
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: &b [*a, *a, *a, *a, *a, *a]\nc: [*b, *b]\n"
    assert problems(text) == ["p.yml:1:17: the file expands to more than 50 values (aliases?)"]


def test_read_yaml_reports_bad_encoding_and_missing_files(tmp_path: Path) -> None:
    latin = tmp_path / "latin.yml"
    latin.write_bytes(b"name: Caf\xe9\n")
    with pytest.raises(InputError) as caught:
        read_yaml(latin, "latin.yml")
    assert caught.value.lines() == ["latin.yml:1:10: the file is not UTF-8 text"]
    with pytest.raises(InputError) as caught:
        read_yaml(tmp_path / "missing.yml", "missing.yml")
    assert caught.value.lines() == ["missing.yml:1:1: cannot read the file: No such file or directory"]


def test_read_yaml_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    file = tmp_path / "bom.yml"
    file.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_yaml(file, "bom.yml")[0] == {"a": 1}


def test_path_label() -> None:
    assert path_label(("plans", 0, "measures", 1, "weight")) == "plans[0].measures[1].weight"
    assert path_label(()) == ""


def test_same_values_as_pyyaml_for_plain_documents() -> None:
    text = "a: [1, 2.5, x, null, true]\nb: {c: 2027-01-01, d: 'q'}\n"
    assert parse_yaml(text, "p.yml")[0] == yaml.safe_load(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"ab:-[]{},&*!<>%'\"#|\n\t ", "- ", ": ", "\n  ", "&a ", "*a", "<<: ", "2027-02-30"]), max_size=40).map("".join))
def test_any_text_parses_or_gives_problems_never_a_traceback(text: str) -> None:
    try:
        data, index = parse_yaml(text, "p.yml")
    except InputError as exc:
        assert exc.problems and all(p.file == "p.yml" and p.line >= 1 and p.column >= 1 for p in exc.problems)
    else:
        assert isinstance(data, dict)
        assert index.locate(()) >= (1, 1)
