"""Finding policy files: display paths as given, sorted, skipping what is not policy."""
from __future__ import annotations

import os
from pathlib import Path, PurePath

import pytest

from interlock.errors import UsageError
from interlock.read.loader import is_policy_file, load_documents


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
    real_scandir = os.scandir

    class Reversed:
        """os.scandir listing its entries backwards, as another file system might."""

        def __init__(self, path: object) -> None:
            with real_scandir(path) as listing:  # type: ignore[call-overload]
                self.entries = sorted(listing, key=lambda e: e.name, reverse=True)

        def __enter__(self) -> list[os.DirEntry[str]]:
            return self.entries

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(os, "scandir", Reversed)
    assert [d.path for d in load_documents([Path("org")])] == [f"org/{n}" for n in sorted(names)]


def test_unreadable_files_come_back_with_their_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "org", {"bad.yml": "a: [1\n", "good.yml": "plans: []\n"})
    monkeypatch.chdir(tmp_path)
    bad, good = load_documents([Path("org")])
    assert bad.data == {} and [str(p).split(": YAML syntax error: ")[0] for p in bad.problems] == ["org/bad.yml:2:1"]
    assert good.problems == () and good.data == {"plans": []}


def test_missing_path_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="^nowhere: no such file or directory$"):
        load_documents([Path("nowhere")])


def test_directory_without_policy_files_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "empty", {"readme.md": "# nothing\n"})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=r"^empty: no policy files \(\*\.yml, \*\.yaml, \*\.xlsx, \*\.csv\) in this directory$"):
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
    write(tmp_path / "org", {"locked.yml": "plans: []\n", "open.yml": "plans: []\n"})
    monkeypatch.chdir(tmp_path)
    real_open = os.open

    def denied(path: object, flags: int, *args: object) -> int:
        if str(path).endswith("locked.yml"):  # chmod 000 cannot stop root, who runs some CI
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", denied)
    locked, readable = load_documents([Path("org")])
    assert [str(p) for p in locked.problems] == ["org/locked.yml:1:1: cannot read the file: Permission denied"]
    assert readable.problems == ()


def test_links_that_lead_nowhere_are_problems_not_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "org", {"a.yml": "plans: []\n"})
    (tmp_path / "org/gone.yml").symlink_to("missing.yml")
    (tmp_path / "org/l1.yml").symlink_to("l2.yml")
    (tmp_path / "org/l2.yml").symlink_to("l1.yml")
    monkeypatch.chdir(tmp_path)
    problems = [str(p) for d in load_documents([Path("org")]) for p in d.problems]
    assert problems == [
        "org/gone.yml:1:1: cannot read the file: a symbolic link to nothing (No such file or directory)",
        "org/l1.yml:1:1: cannot read the file: a loop of symbolic links",
        "org/l2.yml:1:1: cannot read the file: a loop of symbolic links",
    ]


def test_links_to_folders_are_not_followed_so_a_loop_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "org", {"a.yml": "plans: []\n", "team/b.yml": "plans: []\n"})
    (tmp_path / "org/self").symlink_to(".")
    (tmp_path / "org/team/up.yml").symlink_to("..")  # a link to a folder, named like a policy file
    monkeypatch.chdir(tmp_path)
    assert [d.path for d in load_documents([Path("org")])] == ["org/a.yml", "org/team/b.yml"]


def test_hidden_folders_are_not_entered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "org", {"a.yml": "plans: []\n", ".git/objects/x.yml": "plans: []\n"})
    monkeypatch.chdir(tmp_path)
    entered: list[str] = []
    real_scandir = os.scandir

    def spy(path: object) -> object:
        entered.append(Path(str(path)).as_posix())
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", spy)
    assert [d.path for d in load_documents([Path("org")])] == ["org/a.yml"]
    assert entered == ["org"]


def test_a_pipe_named_like_a_policy_is_refused_without_waiting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    write(tmp_path / "org", {"a.yml": "plans: []\n"})
    os.mkfifo(tmp_path / "org/pipe.yml")
    monkeypatch.chdir(tmp_path)
    problems = [str(p) for d in load_documents([Path("org")]) for p in d.problems]
    assert problems == ["org/pipe.yml:1:1: cannot read the file: not a regular file (a pipe, socket or device)"]
    with pytest.raises(UsageError, match="^org/pipe.yml: not a regular file or folder"):
        load_documents([Path("org/pipe.yml")])


def test_a_file_name_with_control_characters_is_shown_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "org", {"evil\x1b[2Jname.yml": "plans: [\n"})
    monkeypatch.chdir(tmp_path)
    (document,) = load_documents([Path("org")])
    assert document.path == "org/evil\\x1b[2Jname.yml"
    assert all(str(p).isprintable() for p in document.problems)


def test_an_unreadable_folder_is_a_problem_and_an_unreadable_root_a_usage_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "org", {"a.yml": "plans: []\n", "locked/b.yml": "plans: []\n"})
    monkeypatch.chdir(tmp_path)
    real_scandir = os.scandir
    locked: set[str] = {"locked"}  # chmod 000 cannot stop root, who runs some CI

    def denied(path: object) -> object:
        if Path(str(path)).name in locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", denied)
    documents = load_documents([Path("org")])
    assert [str(p) for d in documents for p in d.problems] == ["org/locked:1:1: cannot read the folder: Permission denied"]
    locked.add("org")
    with pytest.raises(UsageError, match="^org: cannot read the folder: Permission denied$"):
        load_documents([Path("org")])
