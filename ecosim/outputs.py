"""Output folders: checked before the work, locked while written, marked as ecosim's, replaced whole.

Every command that writes a folder (``run``, ``sweep``, ``analyze``, ``validate``, ``calibrate``,
``compare``) opens it with :func:`open_output` before doing any work::

    from ecosim.outputs import open_output

    with open_output(out, "run", force=args.force, replace=True) as folder:
        result = simulate(...)  # the work: the folder is checked and locked already
        write_json(folder.dir / "summary.json", result.summary)  # files go into folder.dir

What it promises (docs/reliability.md says how each promise is tested):

- **Checked first.** An empty path, a path that is a file, a folder that cannot be created or written
  are refused with one line (:class:`OutputError`, exit code 2) before the work starts.
- **Locked.** ``.ecosim.lock`` in the folder names the writer (process id, host, command, time) and
  holds an advisory ``fcntl.flock`` lock while the command runs. A second writer is refused with one
  line that names the holder. The kernel drops the lock when its process dies, so a lock file left by
  a killed process is taken over safely. The lock file is removed when the command ends.
- **Marked.** ``.ecosim-folder.json`` records the folder's kind and the files ecosim wrote there
  (``files``) or writes there as it goes (``patterns``, e.g. ``runs/part-*.parquet``).
- **Only ecosim's files are removed.** A folder that is not new or empty is accepted only when its
  marker has the same kind and the command asked for it: ``resume`` keeps the files and continues;
  ``replace`` or ``force`` replace them (``force`` is the user's flag; ``replace`` is the command's
  own choice, e.g. ``run`` replaces its earlier results without ``--force``). A folder without a
  marker, or with a marker of another kind, is refused untouched, with or without ``--force``; only
  ``alongside`` commands (``validate``, ``analyze``) write their own files into a folder that is not
  ecosim's, such as ``docs/``, and there they remove nothing and leave no marker. Every file to
  remove is checked before the first is removed.
- **Replaced whole.** Unless ``journal`` is set, the files go into a staging folder
  (``folder.dir``, ``.ecosim-staging-<pid>`` inside the folder) and are moved into place, each by an
  atomic rename, only when the block ends without an error; the earlier results' files that were
  not written again are then removed. If the work fails, the earlier results stay as they were and
  the staging folder is removed. With ``journal`` (sweeps) files are written straight into the folder
  as the work goes, each atomically (:mod:`ecosim.io`), and ``folder.claim(pattern)`` lists them.
- **One line for a failing write.** An ``OSError`` while the folder is opened, written or committed
  becomes an :class:`OutputError`: what could not be done, where and why, exit code 2 for a bad
  path (permissions, missing or impossible folders) and 1 for a failing disk (full, quota, I/O).
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import logging
import os
import shutil
import socket
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Any

from ecosim.errors import InputError
from ecosim.io import write_json

log = logging.getLogger(__name__)

LOCK = ".ecosim.lock"
MARKER = ".ecosim-folder.json"
STAGING = ".ecosim-staging-"
MARKER_FORMAT = 1

#: errno values that mean the disk failed rather than the path being wrong: exit code 1, not 2.
DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.ENOMEM})


class OutputError(InputError):
    """A folder or file that could not be written: what, where and why, on one line.

    ``exit_code`` is 2 for a bad path and 1 for a failing disk.
    """

    def __init__(self, what: str, where: str | os.PathLike[str], why: str, *, exit_code: int = 2, hint=None) -> None:
        self.exit_code = exit_code
        where = str(where)
        if len(where) > 300:  # one readable line even for a path too long to exist
            where = f"{where[:120]}...{where[-60:]} ({len(where):,} characters)"
        super().__init__(f"{what}: {why}", file=where, hint=hint)


def os_error(exc: OSError, what: str, where: str | os.PathLike[str] | None = None) -> OutputError:
    """The :class:`OutputError` for an ``OSError``: exit code 1 for a failing disk, else 2."""
    where = where if where is not None else (exc.filename if exc.filename is not None else "?")
    why = exc.strerror or str(exc)
    code = 1 if exc.errno in DISK_ERRORS else 2
    hint = "nothing was half-written; free some space and run the command again" if code == 1 else None
    return OutputError(what, where, why, exit_code=code, hint=hint)


def folder_path(text: str | os.PathLike[str], flag: str = "--out") -> Path:
    """``text`` as a folder path, refusing an empty one (``--out ''`` would silently mean the current folder)."""
    if isinstance(text, str) and not text.strip():
        raise InputError("the folder path is empty", file=flag, value=text, allowed="a folder path, e.g. results/x")
    if "\0" in str(text):
        raise InputError("the folder path holds a NUL character", file=flag, value=str(text), allowed="a folder path")
    return Path(text)


def read_marker(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The folder's ecosim marker, or None when the folder has none (or it is not ecosim's)."""
    path = Path(folder) / MARKER
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != MARKER_FORMAT or not isinstance(data.get("kind"), str):
        return None
    return data


def open_output(
    path: str | os.PathLike[str],
    kind: str,
    *,
    force: bool = False,
    replace: bool = False,
    resume: bool = False,
    journal: bool = False,
    alongside: bool = False,
    flag: str = "--out",
    again: str | None = None,
) -> OutputFolder:
    """Check, lock and mark the output folder ``path`` for a command writing results of ``kind``.

    Use it as a context manager around the work and the writes. See the module docstring.

    Args:
        path: the folder (created with its parents when missing).
        kind: what the folder holds: ``run``, ``sweep``, ``analysis``, ``validate``, ``calibrate``,
            ``compare``...
        force: the user's ``--force``: replace ecosim's earlier results of the same kind.
        replace: replace ecosim's earlier results of the same kind without ``--force``.
        resume: keep ecosim's earlier results of the same kind and continue (with ``journal``).
        journal: write straight into the folder as the work goes (sweeps) instead of staging.
        alongside: write into a folder that is not ecosim's, replacing only the files written.
        flag: the command-line flag that named the folder, for messages.
        again: what to suggest when the folder already holds results of the same kind.

    Raises:
        OutputError: the path is empty, impossible or not writable, or the folder is locked, not
            ecosim's, of another kind, or holds results the command may not replace.
    """
    return OutputFolder(
        folder_path(path, flag),
        kind,
        force=force,
        replace=replace,
        resume=resume,
        journal=journal,
        alongside=alongside,
        flag=flag,
        again=again,
    )


class OutputFolder:
    """An output folder opened by :func:`open_output`; ``dir`` is where the command writes its files."""

    def __init__(
        self,
        path: Path,
        kind: str,
        *,
        force: bool,
        replace: bool,
        resume: bool,
        journal: bool,
        alongside: bool,
        flag: str,
        again: str | None,
    ) -> None:
        self.path = path
        self.kind = kind
        self.force = force
        self.replace = replace or force
        self.resume = resume
        self.journal = journal
        self.alongside = alongside
        self.flag = flag
        self.again = again
        self.dir = path
        self.files: list[str] = []
        self.patterns: list[str] = []
        self.marker: dict[str, Any] | None = None  # the marker found when the folder was opened
        self.resumed = False  # whether earlier results of the same kind were kept (resume)
        self._owned = True  # whether the folder is (or becomes) ecosim's, with a marker
        self._created: list[Path] = []
        self._lock: _Lock | None = None
        self._since = _now()

    # ---- opening -------------------------------------------------------------------------------

    def __enter__(self) -> OutputFolder:
        self._create()
        self._lock = _Lock(self.path / LOCK)
        self._lock.acquire()
        try:
            self._check()
            self._remove_staging()
            if self.journal:
                if self.force and self.marker is not None:
                    self._remove(self._listed(self.marker))
                    self.marker = None
                self._write_marker(self.marker.get("files", []) if self.resumed else [])
            else:
                self.dir = self.path / f"{STAGING}{os.getpid()}"
                self.dir.mkdir()
        except OSError as exc:
            self._release()
            raise os_error(exc, "cannot prepare the folder", self.path) from None
        except BaseException:
            self._release()
            raise
        return self

    def _create(self) -> None:
        """Create the folder and its missing parents, remembering which were made."""
        try:
            if self.path.exists() and not self.path.is_dir():
                raise OutputError(
                    "cannot write results here", self.path, "it is a file, not a folder", hint=f"check {self.flag}"
                )
            missing = []
            p = self.path
            while not p.exists() and p != p.parent:
                missing.append(p)
                p = p.parent
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise os_error(exc, "cannot create the folder", self.path) from None
        self._created = missing  # deepest first

    def _check(self) -> None:
        """Decide, from the marker and the folder's contents, whether this command may write here."""
        self.marker = read_marker(self.path)
        contents = [p for p in self.path.iterdir() if p.name != LOCK and not p.name.startswith(STAGING)]
        if self.marker is None:
            if not contents:
                return
            if self.alongside:
                self._owned = False
                return
            raise OutputError(
                "will not write here",
                self.path,
                "the folder is not empty and was not written by ecosim (it has no " + MARKER + ")",
                hint="ecosim only removes or replaces files it wrote itself; choose a new or empty folder"
                + f" ({self.flag} DIR)",
            )
        if self.marker["kind"] != self.kind:
            raise OutputError(
                "will not write here",
                self.path,
                f"the folder holds {_a(self.marker['kind'])} written by ecosim, not {_a(self.kind)}",
                hint=f"choose another folder ({self.flag} DIR); --force does not replace results of another kind",
            )
        if self.journal and self.force:
            self._listed(self.marker)  # removed once the lock is held; checked first
            return
        if self.resume:
            self.resumed = True
            return
        if not self.replace:
            raise OutputError(
                "will not write here",
                self.path,
                f"the folder already holds {_a(self.kind)} written by ecosim",
                hint=self.again or f"--force to replace them, or another folder ({self.flag} DIR)",
            )
        self._listed(self.marker)  # the earlier files are checked now, before any work

    def _remove_staging(self) -> None:
        """Remove staging folders left by a command that was killed (their names are ecosim's own)."""
        for p in self.path.iterdir():
            if p.name.startswith(STAGING) and p.is_dir() and not p.is_symlink():
                log.info("removing %s, left by an interrupted command", p)
                shutil.rmtree(p)

    # ---- the files -----------------------------------------------------------------------------

    def claim(self, *patterns: str) -> None:
        """Record glob patterns of files the command writes straight into a journal folder as it goes."""
        for pattern in patterns:
            _relative(pattern, self.path / MARKER)
            if pattern not in self.patterns:
                self.patterns.append(pattern)
        self._write_marker(self.files)

    def record(self, *names: str) -> None:
        """Record files (paths relative to the folder) written straight into a journal folder."""
        for name in names:
            _relative(name, self.path / MARKER)
            if name not in self.files:
                self.files.append(name)
        self._write_marker(self.files)

    def _write_marker(self, files: list[str]) -> None:
        if not self._owned:
            return
        self.files = list(dict.fromkeys(files))
        old = self.marker or {}
        data = {
            "format": MARKER_FORMAT,
            "kind": self.kind,
            "written_by": "ecosim",
            "created": old.get("created") or self._since,
            "updated": _now(),
            "command": ["ecosim", *sys.argv[1:]],
            "files": self.files,
            "patterns": list(dict.fromkeys([*(old.get("patterns", []) if self.resumed else []), *self.patterns])),
        }
        self.patterns = data["patterns"]
        try:
            write_json(self.path / MARKER, data)
        except OSError as exc:
            raise os_error(exc, "cannot write the folder's marker", self.path / MARKER) from None

    # ---- closing -------------------------------------------------------------------------------

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                try:
                    if not self.journal:
                        self._commit()
                    else:
                        self._write_marker(self.files)
                except OSError as err:
                    raise os_error(err, "cannot write the results", err.filename or self.path) from None
            elif isinstance(exc, OSError) and not isinstance(exc, InputError | BrokenPipeError):
                # (a closed stdout is not the folder's fault: the command line ends quietly)
                where = exc.filename if exc.filename is not None else self.path
                raise os_error(exc, "cannot write the results", where) from None
        finally:
            try:
                self._abandon(failed=exc_type is not None)
            finally:
                self._release()
        return False

    def _commit(self) -> None:
        """Move the staged files into place; then remove earlier results that were not written again."""
        staged = sorted(str(p.relative_to(self.dir).as_posix()) for p in self.dir.rglob("*") if not p.is_dir())
        old = self._listed(self.marker) if self.marker is not None and self._owned else []
        if self._owned:
            # list old and new first: a crash while moving leaves every file listed, so --force can clean up
            self._write_marker([*(self.marker or {}).get("files", []), *staged] if self.marker else staged)
        for name in staged:
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.dir / name, target)
        new = {str(self.path / n) for n in staged}
        self._remove([p for p in old if str(p) not in new])
        if self._owned:
            self.patterns = []
            self._write_marker(staged)

    def _abandon(self, *, failed: bool) -> None:
        """Remove the staging folder; after a failure, remove what this command created and left empty."""
        if self.dir != self.path and self.dir.is_dir():
            shutil.rmtree(self.dir, ignore_errors=True)
        if failed and self.marker is None and self._owned:
            leftovers = [p for p in self.path.iterdir() if p.name not in (LOCK, MARKER)]
            if not leftovers:
                (self.path / MARKER).unlink(missing_ok=True)

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        for folder in self._created:  # deepest first; only those this command made and left empty
            try:
                folder.rmdir()
            except OSError:
                break

    # ---- removing ecosim's own files -----------------------------------------------------------

    def _listed(self, marker: dict[str, Any]) -> list[Path]:
        """The existing files a marker lists, each checked to be a file inside the folder."""
        where = self.path / MARKER
        names = marker.get("files", [])
        patterns = marker.get("patterns", [])
        if not isinstance(names, list) or not isinstance(patterns, list):
            raise OutputError("will not remove anything", where, "its 'files' or 'patterns' is not a list")
        found: list[Path] = []
        for name in names:
            found.append(self.path / _relative(name, where))
        for pattern in patterns:
            found.extend(self.path.glob(_relative(pattern, where)))
        out = []
        root = self.path.resolve()
        for p in dict.fromkeys(found):
            parent = p.parent.resolve()
            if parent != root and root not in parent.parents:  # a listed file under a link to elsewhere
                raise OutputError(
                    "will not remove anything",
                    where,
                    f"it lists {p.relative_to(self.path)}, which is outside the folder",
                )
            if p.is_symlink() or p.is_file():
                out.append(p)
            elif p.exists():
                raise OutputError(
                    "will not remove anything", where, f"it lists {p.relative_to(self.path)}, which is not a file"
                )
            if (p.exists() or p.is_symlink()) and not os.access(p.parent, os.W_OK | os.X_OK):
                raise OutputError("cannot remove the earlier results", p.parent, "permission denied")
        return out

    def _remove(self, paths: list[Path]) -> None:
        """Remove checked files, their leftover temporary files, and folders that end up empty."""
        parents = set()
        for p in paths:
            p.unlink(missing_ok=True)
            for tmp in p.parent.glob(f".{p.name}.*.tmp"):
                tmp.unlink(missing_ok=True)
            parents.add(p.parent)
        for parent in sorted(parents, key=lambda q: len(q.parts), reverse=True):
            while parent != self.path and self.path in parent.parents:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent


def _relative(name: object, where: Path) -> str:
    """``name`` checked to be a relative path inside the folder (no ``..``, not absolute)."""
    text = name if isinstance(name, str) else ""
    parts = PurePosixPath(text).parts
    if not text or text.startswith("/") or "\\" in text or ".." in parts or "**" in text or parts[:1] == (".",):
        raise OutputError(
            "will not remove anything", where, f"it lists {name!r}, which is not a path inside the folder"
        )
    return text


def _a(kind: str) -> str:
    """``kind`` with its indefinite article: "a run", "an analysis"."""
    return ("an " if kind[:1] in "aeiou" else "a ") + kind


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


class _Lock:
    """An exclusive lock on a folder: a lock file naming its holder, with an advisory ``flock`` on it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`OutputError` naming who holds it."""
        import fcntl

        for _ in range(10):  # the holder may remove the lock file between our open and our flock
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
            except OSError as exc:
                raise os_error(exc, "cannot write in the folder", self.path.parent) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                for _ in range(20):  # the holder writes its name just after taking the lock: give it a moment
                    if holder != "an unknown process":
                        break
                    time.sleep(0.05)
                    holder = _read_holder(fd)
                os.close(fd)
                raise OutputError(
                    "another ecosim command is writing this folder",
                    self.path.parent,
                    f"it is locked by {holder}",
                    hint=f"wait for it to finish, or use another folder; the lock is {self.path}",
                ) from None
            except OSError as exc:
                os.close(fd)
                raise os_error(exc, "cannot lock the folder", self.path) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # we locked a lock file its holder had just removed: try again
                os.close(fd)
                continue
            previous = _read_holder(fd)
            if previous != "an unknown process":
                log.info("taking over the lock left by %s, which has ended", previous)
            record = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": _now(),
                "command": " ".join(sys.argv),
            }
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
            except OSError as exc:
                os.close(fd)
                raise os_error(exc, "cannot write in the folder", self.path.parent) from None
            self.fd = fd
            return
        raise OutputError("cannot lock the folder", self.path.parent, "its lock file keeps changing")

    def release(self) -> None:
        """Remove the lock file (while still holding the lock), then drop the lock."""
        if self.fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None


def _read_holder(fd: int) -> str:
    """Who holds (or held) a lock, from its lock file, in words."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "null")
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict):
        return "an unknown process"
    text = f"process {data.get('pid')} on host {data.get('host')} since {data.get('since')}"
    if data.get("command"):
        text += f" ({data['command'][:120]})"
    return text
