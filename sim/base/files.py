"""Atomic file writing: a file appears whole under its final name or not at all.

A killed job never leaves half a file for a later one to read, so a rerun picks up where
it stopped. Files get the permissions the umask gives an ordinary new file (0666 less the
umask), so colleagues sharing a results folder can read them, and their bytes are on disk
(fsync) before they take their final name. :func:`replaced_folder` does the same for a
whole output folder: it is built beside the old one and swapped in whole, so a folder
never holds files of two runs. :func:`safe_name` turns a scenario's name into a folder
name that cannot leave the output root, and :func:`folder_problem` says why an output
folder cannot be written before a job starts.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd


def current_umask() -> int:
    """The process umask, read without changing it where the system allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the system lets a folder be synced)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temp_beside(path: Path) -> str:
    """A new temporary file next to ``path``, with the mode the umask gives a new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
    finally:
        os.close(fd)
    return tmp


def _finish(tmp: str, path: Path) -> None:
    """Sync the temporary file's bytes to disk, then give it its final name."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path = Path(path)
    tmp = _temp_beside(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        _finish(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def atomic_write_parquet(path: Path, df: pd.DataFrame) -> None:
    path = Path(path)
    tmp = _temp_beside(path)
    try:
        df.to_parquet(tmp, index=False)
        _finish(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_csv(path: Path, df: pd.DataFrame) -> None:
    atomic_write_text(path, df.to_csv(index=False))


# --------------------------------------------------------------------------- whole folders

RENAME_EXCHANGE = 2  # renameat2 flag (Linux): swap two paths in one step
AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing folders in one atomic step; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    done = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    return done == 0


def swap_in(staged: Path, target: Path) -> None:
    """Put the folder ``staged`` at ``target``, the old ``target`` (if any) removed whole.

    Where the system can, the two are exchanged in one step, so a reader sees the old
    folder or the new one; elsewhere the old one is first moved aside.
    """
    staged, target = Path(staged), Path(target)
    if not target.exists():
        os.rename(staged, target)
    elif _exchange(staged, target):
        shutil.rmtree(staged)
    else:
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.rename(target, old)
        os.rename(staged, target)
        shutil.rmtree(old)
    _fsync_dir(target.parent)


@contextlib.contextmanager
def replaced_folder(target: Path) -> Iterator[Path]:
    """Yield an empty folder beside ``target`` to fill; on success it replaces ``target`` whole.

    On an error the new folder is removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
    os.chmod(staged, 0o777 & ~current_umask())
    try:
        yield staged
        swap_in(staged, target)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise


# --------------------------------------------------------------------------- output names and folders

#: Longest folder name made from a scenario's name: well inside every file system's 255 bytes.
NAME_LIMIT = 100


def safe_name(name: str, limit: int = NAME_LIMIT) -> str:
    """A folder name made from ``name`` that stays where it is put.

    Letters, digits, ``.``, ``_`` and ``-`` are kept; anything else (path separators,
    control characters, spaces) becomes ``_``, runs of dots become one and leading dots go
    (so never ``..`` nor a hidden folder), and the result is at most ``limit`` characters. A name that had to
    change gets a short digest of the original, so two names never end in one folder; a
    name that needs no change is kept as it is.
    """
    kept = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
    while ".." in kept:
        kept = kept.replace("..", ".")
    kept = kept.lstrip(".")
    if kept == name and 0 < len(kept) <= limit:
        return kept
    tag = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{kept[: limit - len(tag) - 1] or 'unnamed'}-{tag}"


def nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be made and written to (in words), or None if it can."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        return "is a file, not a folder"
    base = nearest_existing(folder)
    if not base.is_dir():
        return f"{base} is a file, so no folder can be made under it"
    if not os.access(base, os.W_OK | os.X_OK):
        return f"{base} is not writable (read-only or not yours)"
    try:
        with tempfile.NamedTemporaryFile(dir=base, prefix=".icsim-probe-"):
            pass
    except OSError as exc:
        return f"{base}: cannot create a file there ({os_error_reason(exc)})"
    return None


def os_error_reason(exc: OSError) -> str:
    """What an operating-system error means for a writer, in words."""
    if exc.errno == errno.ENOSPC:
        return "no space left on the disk"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)


def error_text(exc: Exception) -> str:
    """An error as one line for the user: an operating-system error as its path and meaning."""
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{os_error_reason(exc)}"
    return str(exc)
