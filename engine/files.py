"""Output files written all or nothing: a failed or interrupted run leaves no half-written file.

Every command that writes (reports, baselines, `init`, `-o` outputs) goes through an Outbox, so the
rule lives in one place: stage each file beside its target, then rename them all at the end.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import TracebackType

from interlock.errors import OutputError, UsageError


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write the whole file or nothing: a temporary file in the same folder, then os.replace."""
    with Outbox() as outbox:
        outbox.stage(path, text)
        outbox.commit()


def _file_mode(target: Path) -> int:
    """The target's own permissions when it exists, else what open() would give (0o666 less the umask)."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


class Outbox:
    """Output files written all or nothing, and only where they are asked for.

    ``stage`` writes each file to a temporary file beside its target (creating
    missing folders); ``commit`` renames them over their targets. Leaving the
    ``with`` block without a commit (a render error, a full disk, Ctrl-C)
    deletes every temporary file and every folder the box created, so a failed
    run leaves existing files untouched and no stray file behind.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path, bool]] = []  # (temporary, target, overwrite)
        self._created: list[Path] = []
        self._targets: set[Path] = set()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.discard()

    def stage(self, path: Path, text: str | bytes, *, overwrite: bool = True) -> Path:
        """Write ``text`` (UTF-8; bytes as they are) to a temporary file next to ``path``; return the
        temporary file (readable until commit)."""
        key = path.resolve()
        if key in self._targets:
            raise UsageError(f"{path.as_posix()}: the same file is named twice as an output")
        self._targets.add(key)
        if path.is_dir():  # found now, not at the rename, so that no other file is replaced first
            raise OutputError(f"cannot write {path.as_posix()}: it is a folder")
        try:
            self._make_folder(path.parent)
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temporary = Path(name)
            self._staged.append((temporary, path, overwrite))
            with os.fdopen(handle, "wb") as stream:
                stream.write(text if isinstance(text, bytes) else text.encode("utf-8"))
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, _file_mode(path))
        except OSError as exc:
            raise _cannot_write(path, exc) from exc
        return temporary

    def commit(self) -> None:
        """Rename every staged file over its target: new files first (they may refuse), then replacements."""
        placed: list[Path] = []
        for temporary, target, overwrite in self._staged:
            if overwrite:
                continue
            try:
                _place_new(temporary, target)
            except OSError as exc:
                for done in placed:  # only files this box created a moment ago
                    done.unlink(missing_ok=True)
                if isinstance(exc, FileExistsError):
                    raise OutputError(f"{target.as_posix()} already exists; nothing was written") from None
                raise _cannot_write(target, exc) from exc
            placed.append(target)
        for temporary, target, overwrite in self._staged:
            if overwrite:
                try:
                    os.replace(temporary, target)
                except OSError as exc:
                    raise _cannot_write(target, exc) from exc
        self._staged.clear()
        self._created.clear()

    def discard(self) -> None:
        """Delete what a commit did not place: temporary files, then the folders this box created."""
        for temporary, _target, _overwrite in self._staged:
            temporary.unlink(missing_ok=True)
        self._staged.clear()
        for folder in reversed(self._created):
            try:
                folder.rmdir()
            except OSError:
                pass  # someone else put a file there meanwhile: keep it
        self._created.clear()

    def _make_folder(self, folder: Path) -> None:
        missing: list[Path] = []
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        for path in reversed(missing):
            try:
                path.mkdir()
            except FileExistsError:
                if path.is_dir():
                    continue  # another process made it meanwhile: theirs, not ours to remove
                raise
            self._created.append(path)


def _place_new(temporary: Path, target: Path) -> None:
    """Put a staged file at ``target`` only if nothing is there, atomically where the file system can."""
    try:
        os.link(temporary, target)  # fails with FileExistsError instead of replacing
    except FileExistsError:
        raise
    except OSError:  # no hard links on this file system (FAT, some network shares): exclusive create
        with open(target, "xb") as stream:
            stream.write(temporary.read_bytes())
    temporary.unlink()


def _cannot_write(path: Path, exc: OSError) -> OutputError:
    """One line naming the file the user asked for and why the system refused it."""
    blocker = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        reason = f"{blocker.as_posix()} is a file, not a folder"
    elif path.is_dir():
        reason = "it is a folder"
    else:
        reason = exc.strerror or str(exc)
    return OutputError(f"cannot write {path.as_posix()}: {reason}")
