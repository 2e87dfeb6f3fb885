"""Output files written all or nothing: a failed or interrupted run leaves no half-written file.

Every command that writes (reports, baselines, `init`, `-o` outputs) goes through an Outbox, so the
rule lives in one place: stage each file beside its target, then rename them all at the end.
"""
from __future__ import annotations

import os
import re
import tempfile
import time
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


#: A temporary file older than this is stale whoever made it (a run writes its files in seconds).
STALE_AFTER = 3600.0
#: A temporary file whose owning process is gone is stale once this old (a little slack for a clock
#: step, or a process of the same number on another machine sharing the folder).
ORPHAN_AFTER = 60.0


def _temporary_pattern(name: str) -> re.Pattern[str]:
    """An Outbox's temporary files for a target called ``name``: ``.NAME.PID.XXXXXXXX.tmp`` (and, from
    earlier versions, ``.NAME.XXXXXXXX.tmp``, which has no process number)."""
    return re.compile(rf"\.{re.escape(name)}\.(?:(\d+)\.)?[a-z0-9_]{{8}}\.tmp")


def remove_stale_temporaries(target: Path, now: float | None = None) -> list[Path]:
    """Delete the temporary files a killed run left beside ``target``; return them.

    Only files of the Outbox's own naming pattern for this target are considered, and only those
    older than STALE_AFTER, or whose process is gone and older than ORPHAN_AFTER: a concurrent run's
    file (its process alive, written moments ago) is never touched.
    """
    pattern = _temporary_pattern(target.name)
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    for entry in entries:
        found = pattern.fullmatch(entry.name)
        if found is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        pid = int(found.group(1)) if found.group(1) else None
        orphan = pid is not None and pid != os.getpid() and not _alive(pid)
        if age > STALE_AFTER or (orphan and age > ORPHAN_AFTER):
            try:
                os.unlink(entry.path)
            except OSError:
                continue  # gone meanwhile, or not ours to delete
            removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: alive
    return True


class Outbox:
    """Output files written all or nothing, and only where they are asked for.

    ``stage`` writes each file to a temporary file beside its target (creating
    missing folders); ``commit`` renames them over their targets. Leaving the
    ``with`` block without a commit (a render error, a full disk, Ctrl-C)
    deletes every temporary file and every folder the box created, so a failed
    run leaves existing files untouched and no stray file behind. A run killed
    outright (SIGKILL, a power cut) cannot clean up: the next run that writes
    the same target removes what it left (``remove_stale_temporaries``).
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
            remove_stale_temporaries(path)
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
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
