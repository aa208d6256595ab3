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
  a killed process is taken over safely. Processes forked while the lock is held do not keep it
  (their copy of its descriptor is closed at fork), and a lock still held although the process it
  names has ended (a leftover child of a killed command, or of an older ecosim) is broken and taken
  over. The lock file is removed when the command ends.
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
- **Replaced whole.** Unless ``journal`` is set, the files go into a staging folder (``folder.dir``)
  and the earlier results are replaced by them only when the block ends without an error, all at
  once: the staging folder is a sibling of the folder (``.<name>.ecosim-new-<token>``); the files
  you added to the folder are hard-linked into it, then the two folders are exchanged by one atomic
  rename (``renameat2(RENAME_EXCHANGE)``, Linux) and the old one is cleared. A reader sees the old
  results or the new, never a mix; a command killed at any step leaves the folder wholly old or
  wholly new, and the next command on the folder clears what was left. Where the folders cannot be
  exchanged (another system, a file system without hard links or exchange, a folder that is a mount
  point or whose parent is not writable), the files are moved one by one as before; the marker
  then records the replace as under way, and the next command on the folder finishes it first. If
  the work fails, the earlier results stay as they were and the staging folder is removed. With
  ``journal`` (sweeps) files are written straight into the folder as the work goes, each atomically
  (:mod:`ecosim.io`), and ``folder.claim(pattern)`` lists them.
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
import re
import secrets
import shutil
import socket
import stat
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Any

from ecosim.errors import InputError, printable
from ecosim.io import write_json

log = logging.getLogger(__name__)

LOCK = ".ecosim.lock"
MARKER = ".ecosim-folder.json"
STAGING = ".ecosim-staging-"
#: The sibling staging folder of a folder replaced whole: ``.<name>.ecosim-new-<token>`` beside it.
SIBLING = ".ecosim-new-"
MARKER_FORMAT = 1
#: A marker file larger than this is not ecosim's (ecosim's list the files of one folder).
MAX_MARKER_BYTES = 16_000_000

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
    return _marker(Path(folder))[0]


def _marker(folder: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The folder's marker and, when there is a marker file that is not ecosim's, what is wrong with it."""
    path = folder / MARKER
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_MARKER_BYTES + 1)
    except FileNotFoundError:
        return None, None
    except IsADirectoryError:
        return None, f"its {MARKER} is a folder, not ecosim's marker"
    except OSError as exc:
        return None, f"its {MARKER} cannot be read ({exc.strerror})"
    if len(raw) > MAX_MARKER_BYTES:
        return None, f"its {MARKER} is too large to be ecosim's marker"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, f"its {MARKER} is not valid JSON, so not ecosim's marker"
    if not isinstance(data, dict) or data.get("format") != MARKER_FORMAT or not isinstance(data.get("kind"), str):
        return None, f"its {MARKER} is not ecosim's marker (a JSON object with format {MARKER_FORMAT} and a kind)"
    return data, None


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
        self._exchange = False  # whether the staging folder is a sibling, exchanged with the folder at the end

    # ---- opening -------------------------------------------------------------------------------

    def __enter__(self) -> OutputFolder:
        self._create()
        self._lock = _Lock(self.path / LOCK)
        self._lock.acquire()
        try:
            self._remove_siblings()
            self._finish_replace()
            self._check()
            self._remove_staging()
            if self.journal:
                if self.force and self.marker is not None:
                    self._remove(self._listed(self.marker))
                    self.marker = None
                self._write_marker(self.marker.get("files", []) if self.resumed else [])
            else:
                self.dir = self._stage()
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
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                if os.path.islink(self.path):
                    raise OutputError(
                        "cannot create the folder",
                        self.path,
                        "it is a symbolic link to something that does not exist",
                        hint=f"check {self.flag}",
                    ) from None
                st = None
            if st is not None and not stat.S_ISDIR(st.st_mode):
                raise OutputError(
                    "cannot write results here", self.path, "it is a file, not a folder", hint=f"check {self.flag}"
                )
            missing = []
            p = self.path
            while not os.path.lexists(p) and p != p.parent:
                missing.append(p)
                p = p.parent
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise os_error(exc, "cannot create the folder", self.path) from None
        self._created = missing  # deepest first

    def _check(self) -> None:
        """Decide, from the marker and the folder's contents, whether this command may write here."""
        self.marker, problem = _marker(self.path)
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
                "the folder is not empty and was not written by ecosim (" + (problem or f"it has no {MARKER}") + ")",
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
        """Remove staging folders and temporary markers left by a command that was killed (ecosim's names)."""
        for p in self.path.iterdir():
            if p.name.startswith(STAGING) and p.is_dir() and not p.is_symlink():
                log.info("removing %s, left by an interrupted command", p)
                shutil.rmtree(p)
            elif _leftover(PurePosixPath(p.name), {MARKER}) and p.is_file() and not p.is_symlink():
                p.unlink()

    # ---- replacing the folder whole --------------------------------------------------------------

    def _real(self) -> Path:
        """The folder itself (``--out`` may be a symbolic link to it): what is exchanged."""
        return Path(os.path.realpath(self.path))

    def _sibling_prefix(self) -> str:
        return f".{self._real().name}{SIBLING}"

    def _siblings(self) -> list[Path]:
        real = self._real()
        prefix = self._sibling_prefix()
        try:
            names = os.listdir(real.parent)
        except OSError:
            return []
        found = []
        for name in names:
            p = real.parent / name
            if name.startswith(prefix) and p.is_dir() and not p.is_symlink():
                found.append(p)
        return found

    def _remove_siblings(self) -> None:
        """Remove what a command killed during a whole-folder replace left beside the folder.

        Before the exchange that is the new results' staging folder, after it the old results; either
        way the folder itself is whole (wholly old or wholly new). The lock is held: no command is using them.
        """
        for p in self._siblings():
            log.info("removing %s, left by an interrupted command", p)
            shutil.rmtree(p)

    def _stage(self) -> Path:
        """Make the staging folder: a sibling to exchange with the folder where that works, else one inside it."""
        if self._owned and not self.alongside and can_exchange(self._real()):
            real = self._real()
            staging = real.parent / f"{self._sibling_prefix()}{os.getpid()}-{secrets.token_hex(4)}"
            try:
                staging.mkdir()
                os.chmod(staging, stat.S_IMODE(os.stat(real).st_mode))
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
            else:
                self._exchange = True
                return staging
        staging = self.path / f"{STAGING}{os.getpid()}"
        staging.mkdir()
        return staging

    def _finish_replace(self) -> None:
        """Finish a file-by-file replace that a killed command left under way (recorded in the marker)."""
        marker, _ = _marker(self.path)
        under_way = (marker or {}).get("replacing")
        if not isinstance(under_way, dict):
            return
        where = self.path / MARKER
        staging_name = under_way.get("staging")
        new = under_way.get("files")
        old = under_way.get("remove")
        if (
            not isinstance(staging_name, str)
            or not staging_name.startswith(STAGING)
            or "/" in staging_name
            or not isinstance(new, list)
            or not isinstance(old, list)
        ):
            raise OutputError("will not finish the replace under way", where, "its 'replacing' is not ecosim's record")
        log.info("finishing the replace of %s left under way by an interrupted command", self.path)
        staging = self.path / staging_name
        for name in new:
            src = staging / _relative(name, where)
            if src.is_file() or src.is_symlink():
                target = self.path / name
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, target)
        self._remove(self._checked([self.path / _relative(n, where) for n in old], where))
        self.marker = marker
        self.resumed = False
        self._write_marker([n for n in new if isinstance(n, str)])
        if staging.is_dir() and not staging.is_symlink():
            shutil.rmtree(staging)

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

    def _marker_data(self, files: list[str], **extra: Any) -> dict[str, Any]:
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
            **extra,
        }
        self.patterns = data["patterns"]
        return data

    def _write_marker(self, files: list[str], *, into: Path | None = None, **extra: Any) -> None:
        if not self._owned:
            return
        data = self._marker_data(files, **extra)
        path = (into or self.path) / MARKER
        try:
            write_json(path, data)
        except OSError as exc:
            raise os_error(exc, "cannot write the folder's marker", path) from None

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

    def _staged(self) -> list[str]:
        return sorted(str(p.relative_to(self.dir).as_posix()) for p in self.dir.rglob("*") if not p.is_dir())

    def _commit(self) -> None:
        """Put the staged results in place of the earlier ones: the whole folder at once, or file by file."""
        if self._exchange:
            self._commit_exchange()
        else:
            self._commit_moving()

    def _commit_exchange(self) -> None:
        """Exchange the staging folder, completed with the folder's other files, with the folder: one rename.

        Steps, each of which a kill may interrupt, leaving the folder wholly old (before the exchange) or
        wholly new (after it); the next command removes the sibling left over (:meth:`_remove_siblings`):

        1. the files in the folder that are not ecosim's earlier results (yours, and the lock) are
           hard-linked into the staging folder, at the same paths;
        2. the new marker is written into the staging folder;
        3. the two folders are exchanged (``renameat2(RENAME_EXCHANGE)``);
        4. anything added to the old folder meanwhile is moved across, and the old folder is removed
           (:meth:`_abandon`).
        """
        staged = self._staged()
        real = self._real()
        earlier = {p.relative_to(self.path).as_posix() for p in self._listed(self.marker)} if self.marker else set()
        skip = earlier | set(staged) | {MARKER}
        _link_tree(real, self.dir, skip)
        self.patterns = []
        self._write_marker(staged, into=self.dir)
        exchange(self.dir, real)
        # what was made in the old folder while it was being linked (yours) moves across
        _move_missing(self.dir, real, skip)

    def _commit_moving(self) -> None:
        """Move the staged files into place one by one (where the folder cannot be exchanged whole).

        The marker records the replace as under way first (the staging folder, the new files, the
        earlier ones to remove): a command killed meanwhile leaves that record, and the next command
        on the folder finishes the replace before anything else (:meth:`_finish_replace`).
        """
        staged = self._staged()
        old = self._listed(self.marker) if self.marker is not None and self._owned else []
        new = {str(self.path / n) for n in staged}
        remove = [p for p in old if str(p) not in new]
        if self._owned:
            self._write_marker(
                # every file listed, old and new, so that --force can clean up whatever happens
                [*(self.marker or {}).get("files", []), *staged] if self.marker else staged,
                replacing={
                    "staging": self.dir.name,
                    "files": staged,
                    "remove": [p.relative_to(self.path).as_posix() for p in remove],
                },
            )
        for name in staged:
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.dir / name, target)
        self._remove(remove)
        if self._owned:
            self.patterns = []
            self._write_marker(staged)

    def _abandon(self, *, failed: bool) -> None:
        """Remove the staging folder (after an exchange, the old results); after a failure, what it made empty."""
        if self.dir != self.path and self.dir.is_dir() and not self.dir.is_symlink():
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
        return self._checked(found, where)

    def _checked(self, found: list[Path], where: Path) -> list[Path]:
        """The existing files of ``found``, each checked to be a removable file inside the folder."""
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


# ---- exchanging two folders ----------------------------------------------------------------------

#: renameat2(2) flag: exchange the two paths atomically.
RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_RENAMEAT2: Any = None


def _renameat2() -> Any:
    """The C library's ``renameat2``, or None where there is none (not Linux, an old C library)."""
    global _RENAMEAT2
    if _RENAMEAT2 is None:
        _RENAMEAT2 = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                libc = ctypes.CDLL(None, use_errno=True)
                fn = libc.renameat2
                fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                fn.restype = ctypes.c_int
                _RENAMEAT2 = fn
            except (OSError, AttributeError):  # pragma: no cover - a C library without renameat2
                pass
    return _RENAMEAT2 or None


def exchange(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> None:
    """Exchange two paths on one file system in one atomic step (``renameat2(RENAME_EXCHANGE)``); OSError if not."""
    import ctypes

    fn = _renameat2()
    if fn is None:
        raise OSError(errno.ENOSYS, "exchanging two folders is not supported here", str(b))
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(b))


def can_exchange(folder: Path) -> bool:
    """Whether ``folder`` can be replaced whole: exchange and hard links work beside it, and it is no mount point.

    Tried on two empty folders and a file made for the purpose beside ``folder``, then removed.
    """
    if os.environ.get("ECOSIM_NO_EXCHANGE"):  # the file-by-file replace, as on systems without exchange
        return False
    if _renameat2() is None:
        return False
    try:
        if os.stat(folder).st_dev != os.stat(folder.parent).st_dev or folder.parent == folder:
            return False  # a mount point: it cannot be renamed
    except OSError:
        return False
    probe = folder.parent / f".{folder.name}{SIBLING}probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        os.mkdir(probe)
        try:
            os.mkdir(probe / "a")
            os.mkdir(probe / "b")
            with open(probe / "a" / "f", "wb"):
                pass
            os.link(probe / "a" / "f", probe / "b" / "g", follow_symlinks=False)
            exchange(probe / "a", probe / "b")
            return (probe / "a" / "g").exists()
        finally:
            shutil.rmtree(probe, ignore_errors=True)
    except OSError:
        return False


#: A temporary file of :mod:`ecosim.io` (``.<name>.<random>.tmp``), left by an interrupted write.
_TEMPORARY = re.compile(r"^\.(.+)\.[A-Za-z0-9_]{8}\.tmp$")


def _leftover(rel: PurePosixPath, skip: set[str]) -> bool:
    """Whether ``rel`` is ecosim's leftover: a staging folder, or a temporary file of a file in ``skip``."""
    if rel.name.startswith(STAGING):
        return True
    m = _TEMPORARY.match(rel.name)
    return bool(m) and (rel.parent / m.group(1)).as_posix() in skip


def _link_tree(src: Path, dst: Path, skip: set[str]) -> None:
    """Hard-link every file under ``src`` into ``dst`` at the same path, except ``skip`` and ecosim's leftovers.

    Symbolic links are linked themselves, not followed. Folders are made with their permissions, empty
    ones too; a folder that held only files of ``skip`` is not. A file with too many links is copied.
    """

    def ensure(rel: PurePosixPath) -> None:
        target = dst / rel
        if rel == PurePosixPath(".") or target.is_dir():
            return
        ensure(rel.parent)
        target.mkdir()
        os.chmod(target, stat.S_IMODE(os.stat(src / rel).st_mode))

    for root, dirs, files in os.walk(src):
        rel_root = PurePosixPath(Path(root).relative_to(src).as_posix())
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        dirs[:] = [d for d in dirs if d not in links and not _leftover(rel_root / d, skip)]
        if not dirs and not files and not links:
            ensure(rel_root)  # an empty folder of yours
        for name in (*files, *links):
            rel = rel_root / name
            if rel.as_posix() in skip or _leftover(rel, skip):
                continue
            ensure(rel_root)
            try:
                os.link(os.path.join(root, name), dst / rel, follow_symlinks=False)
            except OSError as exc:
                if exc.errno != errno.EMLINK:
                    raise
                shutil.copy2(os.path.join(root, name), dst / rel, follow_symlinks=False)


def _move_missing(old: Path, new: Path, skip: set[str]) -> None:
    """Move into ``new`` each file under ``old`` that ``new`` lacks (one added while the folder was replaced)."""
    for root, dirs, files in os.walk(old):
        rel_root = PurePosixPath(Path(root).relative_to(old).as_posix())
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        dirs[:] = [d for d in dirs if d not in links and not _leftover(rel_root / d, skip)]
        for name in (*files, *links):
            rel = rel_root / name
            if rel.as_posix() in skip or _leftover(rel, skip) or os.path.lexists(new / rel):
                continue
            try:
                (new / rel).parent.mkdir(parents=True, exist_ok=True)
                os.rename(os.path.join(root, name), new / rel)
            except OSError as exc:  # pragma: no cover - it stays in the old folder, which is removed
                log.warning("could not keep %s, made while the results were replaced: %s", rel, exc.strerror)


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


#: The locks this process holds, whose descriptors a forked child closes (see :func:`_close_in_child`).
_HELD: dict[int, _Lock] = {}
#: Seconds to wait for another command taking or checking the same folder's lock at the same moment.
GUARD_WAIT = 5.0


class _Lock:
    """An exclusive lock on a folder: a lock file naming its holder, with an advisory ``flock`` on it.

    Taking it is guarded by a short ``flock`` on the folder itself, so that two commands deciding at once
    that a lock's holder has ended cannot both take the folder. A forked child does not keep the lock:
    its copy of the descriptor is closed at fork (a child holding it would keep the folder locked after
    the command ended).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`OutputError` naming who holds it."""
        guard = _guard(self.path.parent)
        try:
            self._acquire()
        finally:
            if guard is not None:
                os.close(guard)

    def _acquire(self) -> None:
        import fcntl

        for _ in range(10):  # the holder may remove the lock file between our open and our flock
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
            except OSError as exc:
                raise os_error(exc, "cannot write in the folder", self.path.parent) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                record = _read_record(fd)
                for _ in range(20):  # the holder writes its name just after taking the lock: give it a moment
                    if record is not None:
                        break
                    time.sleep(0.05)
                    record = _read_record(fd)
                holder = _holder_text(record)
                if record is not None and not _alive(record):
                    # held although its holder has ended: by a process that inherited it (a leftover child
                    # of a killed command, from an older ecosim). The lock file is removed and made anew.
                    log.warning("breaking the lock of %s, which has ended; a leftover process still held it", holder)
                    try:
                        same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
                        if same:
                            os.unlink(self.path)
                    except FileNotFoundError:
                        pass
                    except OSError as exc:
                        os.close(fd)
                        raise os_error(exc, "cannot break the lock of an ended process", self.path) from None
                    os.close(fd)
                    continue
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
            previous = _read_record(fd)
            if previous is not None:
                log.info("taking over the lock left by %s, which has ended", _holder_text(previous))
            record = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": _now(),
                "command": " ".join(sys.argv),
                "start": _start_time(os.getpid()),
            }
            try:
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
            except OSError as exc:
                os.close(fd)
                raise os_error(exc, "cannot write in the folder", self.path.parent) from None
            self.fd = fd
            _HELD[id(self)] = self
            return
        raise OutputError("cannot lock the folder", self.path.parent, "its lock file keeps changing")

    def release(self) -> None:
        """Remove the lock file (while still holding the lock), then drop the lock."""
        _HELD.pop(id(self), None)
        if self.fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None


def _close_in_child() -> None:
    """In a forked child: close the inherited descriptors of the parent's locks (the parent still holds them).

    Closing a copy does not unlock: ``flock`` locks belong to the open file, which the parent keeps open.
    """
    for lock in list(_HELD.values()):
        if lock.fd is not None:
            try:
                os.close(lock.fd)
            except OSError:
                pass
            lock.fd = None
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


def _guard(folder: Path) -> int | None:
    """A short exclusive ``flock`` on the folder itself, serialising the taking of its lock; None where unsupported."""
    import fcntl

    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    deadline = time.monotonic() + GUARD_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:  # a command stopped while taking the lock: go on without the guard
                os.close(fd)
                return None
            time.sleep(0.01)
        except OSError:  # a file system without flock on folders (NFS)
            os.close(fd)
            return None


def _start_time(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (Linux), or None where that cannot be read."""
    fields = _proc_stat(pid)
    try:
        return int(fields[19]) if fields else None
    except (IndexError, ValueError):
        return None


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first), or None."""
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as fh:
            text = fh.read(4096).decode("ascii", "replace")
    except (OSError, ValueError, OverflowError):
        return None
    return text[text.rfind(")") + 2 :].split()


def _alive(record: dict[str, Any]) -> bool:
    """Whether the process a lock record names may still be running (True when that cannot be known)."""
    pid = record.get("pid")
    if record.get("host") != socket.gethostname() or isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except (OverflowError, OSError):
        return True
    fields = _proc_stat(pid)
    if fields is None:
        return True
    if fields[:1] in (["Z"], ["X"]):  # ended, not yet reaped by its parent
        return False
    start = record.get("start")
    if isinstance(start, int) and not isinstance(start, bool) and _start_time(pid) not in (None, start):
        return False  # the process id now belongs to another process
    return True


def _read_record(fd: int) -> dict[str, Any] | None:
    """The lock file's record of its holder, or None when it has none."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "null")
    except (OSError, ValueError):
        data = None
    return data if isinstance(data, dict) else None


def _holder_text(data: dict[str, Any] | None) -> str:
    """Who holds (or held) a lock, in words."""
    if data is None:
        return "an unknown process"
    text = f"process {data.get('pid')} on host {data.get('host')} since {data.get('since')}"
    if data.get("command"):
        text += f" ({printable(str(data['command'])[:120])})"
    return text
