"""Reading one YAML file: values, positions of every path, and every way a file can be malformed."""
from __future__ import annotations

import datetime
import math
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.errors import InputError
from interlock.read.yamlsource import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, clip, parse_yaml, path_label, read_yaml


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_yaml(text, "p.yml")
    return caught.value.lines()


def syntax_errors(text: str) -> list[str]:
    """Where YAML syntax errors were reported: the parser's own explanation varies with its version."""
    found = problems(text)
    assert all(": YAML syntax error: " in line for line in found), found
    return [line.split(": YAML syntax error: ")[0] for line in found]


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
    assert syntax_errors("a: [1, 2\n") == ["p.yml:2:1"]


def test_tab_indentation_is_a_syntax_error() -> None:
    assert syntax_errors("a:\n\tb: 1\n") == ["p.yml:2:1"]


def test_control_character() -> None:
    assert problems("a: b\nc: \x07\n") == ["p.yml:2:4: YAML syntax error: the character #x0007 is not allowed in YAML text"]


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
    assert problems("a: " + "[" * 5000 + "]" * 5000 + "\n") == [
        f"p.yml:1:{3 + MAX_DEPTH}: lists and mappings nest more than {MAX_DEPTH} levels deep"
    ]


@pytest.mark.parametrize("padding", [0, 10_000])  # short text: the builder counts; long text: the event scan does
def test_nesting_limit_is_exact(padding: int) -> None:
    comment = "#" * padding + "\n"
    deepest_allowed = MAX_DEPTH - 1  # the top mapping is a level too
    data, _ = parse_yaml(comment + "a: " + "[" * deepest_allowed + "]" * deepest_allowed + "\n", "p.yml")
    assert isinstance(data["a"], list)
    assert problems(comment + "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n") == [
        f"p.yml:2:{3 + MAX_DEPTH}: lists and mappings nest more than {MAX_DEPTH} levels deep"
    ]


def test_block_nesting_counts_too() -> None:
    text = "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(MAX_DEPTH + 5)) + "  " * (MAX_DEPTH + 6) + "x\n"
    assert problems(text) == [f"p.yml:{MAX_DEPTH + 1}:{2 * MAX_DEPTH + 1}: lists and mappings nest more than {MAX_DEPTH} levels deep"]


def test_merges_cannot_nest_deeper_than_the_limit() -> None:
    """Each anchor nests 20 levels as written; merged into each other they would nest 80."""
    inner = "{x: " * 20 + "1" + "}" * 20
    text = f"a: &a {inner}\nb: &b {{<<: *a, y: *a}}\nc: &c {{<<: *b, z: [[[[[[[[[[[[[[[[[[[[*b]]]]]]]]]]]]]]]]]]]]}}\n"
    text += "d: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[*c]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
    found = problems(text)
    assert len(found) == 1 and found[0].endswith(f"lists and mappings nest more than {MAX_DEPTH} levels deep")


def test_alias_expansion_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from interlock.read import yamlsource

    monkeypatch.setattr(yamlsource, "MAX_NODES", 50)
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: &b [*a, *a, *a, *a, *a, *a]\nc: [*b, *b]\n"
    assert problems(text) == [
        "p.yml:2:4: the file expands to more than 50 values through aliases (a billion-laughs file?)"
    ]


def test_billion_laughs_is_refused_before_anything_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    from interlock.read import yamlsource

    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, 10)]
    built: list[int] = []
    real_build = yamlsource._Builder.build

    def counting(self: Any, node: Any, path: Any) -> Any:
        built.append(1)
        return real_build(self, node, path)

    monkeypatch.setattr(yamlsource._Builder, "build", counting)
    found = problems("\n".join(lines) + "\n")
    assert found == [f"p.yml:6:7: the file expands to more than {MAX_NODES:,} values through aliases (a billion-laughs file?)"]
    assert built == []


def test_a_shared_payout_curve_skips_the_expansion_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real files use an anchor or two; the N * 2**aliases bound clears them without walking the nodes."""
    from interlock.read import yamlsource

    def walked(*_args: object) -> None:
        raise AssertionError("walked")

    monkeypatch.setattr(yamlsource, "_expansion_problem", walked)
    text = "curve: &c [{attainment: 50%, payout: 0%}, {attainment: 100%, payout: 100%}]\nm: [{curve: *c}, {curve: *c}]\n"
    assert parse_yaml(text, "p.yml")[0]["m"][1]["curve"][1] == {"attainment": "100%", "payout": "100%"}


def test_too_many_values_are_stopped_while_scanning(monkeypatch: pytest.MonkeyPatch) -> None:
    from interlock.read import yamlsource

    monkeypatch.setattr(yamlsource, "MAX_NODES", 1_000)
    found = problems("a: [" + "1, " * 5_000 + "]\n")
    assert found == ["p.yml:1:2996: the file holds more than 1,000 values"]  # the 1,001st: the mapping, a, the list, 998 ones


def test_text_over_the_size_limit() -> None:
    assert problems("a: 1\n" + "#" * MAX_FILE_BYTES) == [
        f"p.yml:1:1: the file is {MAX_FILE_BYTES + 5:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes (5 MB) per file"
    ]


@pytest.mark.parametrize(("text", "message"), [
    ('name: "a\\e[31mred"\n', "p.yml:1:7: name: the text contains U+001B, a control or bidirectional-override character"),
    ('name: "nul\\0"\n', "p.yml:1:7: name: the text contains U+0000, a control or"),
    ('name: "cr\\r"\n', "p.yml:1:7: name: the text contains U+000D, a control or"),
    ('name: "\\x85"\n', "p.yml:1:7: name: the text contains U+0085, a control or"),
    ("name: Sales \u202eevil\n", "p.yml:1:7: name: the text contains U+202E (RIGHT-TO-LEFT OVERRIDE), a control"),
    ("name: [a, b \u2067c]\n", "p.yml:1:11: name[1]: the text contains U+2067 (RIGHT-TO-LEFT ISOLATE), a control"),
    ('name: "a\\Lb"\n', "p.yml:1:7: name: the text contains U+2028 (LINE SEPARATOR), a control"),
    ('"k\\x1b": 1\n', "p.yml:1:1: the key 'k\\x1b' contains U+001B, a control"),
    ("plans: [{\u202eid: x}]\n", "p.yml:1:10: plans[0]: the key '\\u202eid' contains U+202E (RIGHT-TO-LEFT OVERRIDE)"),
])
def test_control_and_bidi_characters_in_text_are_refused(text: str, message: str) -> None:
    (found,) = problems(text)
    assert found.startswith(message) and found.endswith("that can hide or reorder text; remove it")


def test_tab_newline_and_ordinary_unicode_are_fine() -> None:
    data, _ = parse_yaml('a: "tab\\there\\nnext"\nb: |\n  two\n  lines\nc: caf\u00e9 \u05e9\u05dc\u05d5\u05dd \U0001f600\n', "p.yml")
    assert data == {"a": "tab\there\nnext", "b": "two\nlines\n", "c": "caf\u00e9 \u05e9\u05dc\u05d5\u05dd \U0001f600"}


def test_forbidden_characters_are_looked_for_only_when_possible() -> None:
    """An ASCII file without a backslash cannot hold one: the reader refuses raw control characters."""
    from interlock.read.yamlsource import _may_hold_forbidden

    assert not _may_hold_forbidden("name: Sales\ndescription: plain ASCII, no escapes\n")
    assert not _may_hold_forbidden("name: Caf\u00e9\n")
    assert _may_hold_forbidden('name: "a\\tb"\n') and _may_hold_forbidden("name: \u202e\n")


def test_long_values_and_odd_keys_stay_on_one_line() -> None:
    (found,) = problems("a: 1\n? " + "x" * 5000 + "\n: 2\n? " + "x" * 5000 + "\n: 3\n")  # `?`: longer than a simple key
    assert found.startswith("p.yml:4:3: duplicate key 'xxxx") and "… (5,000 characters)" in found and len(found) < 200
    assert path_label(("plans", 0, "a\nb", "c.d", "")) == "plans[0].'a\\nb'.'c.d'.''"
    assert clip("x" * 10) == "x" * 10


def test_read_yaml_refuses_an_oversized_file_from_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = tmp_path / "huge.yml"
    with open(huge, "wb") as stream:
        stream.truncate(1 << 30)  # sparse: reading it would cost a gigabyte
    monkeypatch.setattr(os, "read", lambda *_args: pytest.fail("read before the size was checked"))
    with pytest.raises(InputError) as caught:
        read_yaml(huge, "huge.yml")
    assert caught.value.lines() == [
        f"huge.yml:1:1: the file is 1,073,741,824 bytes, over the limit of {MAX_FILE_BYTES:,} bytes (5 MB) per file"
    ]


def test_read_yaml_refuses_folders_and_pipes(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_yaml(tmp_path, "dir.yml")
    assert caught.value.lines() == ["dir.yml:1:1: cannot read the file: it is a folder"]
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.yml")
        with pytest.raises(InputError) as caught:
            read_yaml(tmp_path / "pipe.yml", "pipe.yml")  # without blocking: nobody will ever write to it
        assert caught.value.lines() == ["pipe.yml:1:1: cannot read the file: not a regular file (a pipe, socket or device)"]


def test_read_yaml_names_utf16(tmp_path: Path) -> None:
    file = tmp_path / "u.yml"
    file.write_bytes("a: 1\n".encode("utf-16"))
    with pytest.raises(InputError) as caught:
        read_yaml(file, "u.yml")
    assert caught.value.lines() == ["u.yml:1:1: the file is UTF-16 text: save it as UTF-8"]


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
