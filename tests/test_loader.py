"""Finding policy files: display paths as given, sorted, skipping what is not policy."""
from __future__ import annotations

from pathlib import Path, PurePath

import pytest

from interlock.errors import UsageError
from interlock.loader import is_policy_file, load_documents


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_directory_reads_every_policy_file_recursively_sorted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "policies", {
        "sales.yml": "plans: []\n",
        "marketing.yaml": "plans: []\n",
        "teams/east.yml": "plans: []\n",
        "organization.yml": "organization: {name: X}\n",
        "notes.txt": "not yaml",
        ".hidden.yml": "plans: []\n",
        ".git/config.yml": "plans: []\n",
        "interlock.yml": "fail_on: error\n",
        "interlock.yaml": "fail_on: error\n",
        "interlock-waivers.yaml": "waivers: []\n",
        "baseline.yml": "findings: []\n",
    })
    monkeypatch.chdir(tmp_path)
    documents = load_documents([Path("policies")])
    assert [d.path for d in documents] == [
        "policies/marketing.yaml",
        "policies/organization.yml",
        "policies/sales.yml",
        "policies/teams/east.yml",
    ]
    assert documents[1].data == {"organization": {"name": "X"}}
    assert documents[1].index.locate(("organization", "name")) == (1, 22)


def test_display_path_is_the_argument_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "org", {"a.yml": "plans: []\n"})
    monkeypatch.chdir(tmp_path)
    assert [d.path for d in load_documents([Path("./org/")])] == ["org/a.yml"]
    assert [d.path for d in load_documents([Path("org/a.yml")])] == ["org/a.yml"]
    monkeypatch.chdir(tmp_path / "org")
    assert [d.path for d in load_documents([Path(".")])] == ["a.yml"]
    assert [d.path for d in load_documents([tmp_path / "org"])] == [f"{(tmp_path / 'org').as_posix()}/a.yml"]


def test_root_display_makes_paths_relative(tmp_path: Path) -> None:
    write(tmp_path / "org", {"a.yml": "plans: []\n"})
    assert [d.path for d in load_documents([tmp_path / "org"], root_display=tmp_path)] == ["org/a.yml"]


def test_a_file_given_twice_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "org", {"a.yml": "plans: []\n", "b.yml": "plans: []\n"})
    monkeypatch.chdir(tmp_path)
    documents = load_documents([Path("org/b.yml"), Path("org"), Path("org/a.yml")])
    assert [d.path for d in documents] == ["org/a.yml", "org/b.yml"]


def test_an_explicit_file_is_read_whatever_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"plan.txt": "plans: []\n"})
    monkeypatch.chdir(tmp_path)
    assert [d.data for d in load_documents([Path("plan.txt")])] == [{"plans": []}]


def test_order_does_not_depend_on_the_file_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"d{i}.yml" for i in (5, 1, 9, 3, 7)]
    write(tmp_path / "org", {name: f"plans: [{{id: {name[:2]}}}]\n" for name in names})
    monkeypatch.chdir(tmp_path)
    real_rglob = Path.rglob

    def reversed_rglob(self: Path, pattern: str) -> list[Path]:
        return sorted(real_rglob(self, pattern), reverse=True)

    monkeypatch.setattr(Path, "rglob", reversed_rglob)
    assert [d.path for d in load_documents([Path("org")])] == [f"org/{n}" for n in sorted(names)]


def test_unreadable_files_come_back_with_their_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "org", {"bad.yml": "a: [1\n", "good.yml": "plans: []\n"})
    monkeypatch.chdir(tmp_path)
    bad, good = load_documents([Path("org")])
    assert bad.data == {} and [str(p) for p in bad.problems] == [
        "org/bad.yml:2:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence)"
    ]
    assert good.problems == () and good.data == {"plans": []}


def test_missing_path_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="^nowhere: no such file or directory$"):
        load_documents([Path("nowhere")])


def test_directory_without_policy_files_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "empty", {"readme.md": "# nothing\n"})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=r"^empty: no policy files \(\*\.yml, \*\.yaml\) in this directory$"):
        load_documents([Path("empty")])


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("sales.yml", True),
        ("teams/East.YAML", True),
        ("sales.yml.bak", False),
        (".hidden/sales.yml", False),
        ("interlock.yml", False),
        ("teams/interlock.yaml", False),
        ("interlock-waivers.yml", False),
        ("sales-baseline.yaml", False),
    ],
)
def test_is_policy_file(name: str, wanted: bool) -> None:
    assert is_policy_file(PurePath(name)) is wanted


def test_unreadable_file_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "org", {"locked.yml": "plans: []\n"})
    monkeypatch.chdir(tmp_path)

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    (document,) = load_documents([Path("org")])
    assert [str(p) for p in document.problems] == ["org/locked.yml:1:1: cannot read the file: Permission denied"]
