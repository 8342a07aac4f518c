"""Replacing a file atomically (for ``cr.save``): write a temporary file next to it, fsync,
rename over it; remove the temporary file when the write fails, and the ones that killed
writers left behind. The rules are in ``docs/checkpoint-format.md`` ("Writing a file
atomically"); what is written is ``serialization.py``'s business."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import stat
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

# A temporary file untouched for this long belongs to no live writer: a writer updates its
# file's mtime with every chunk, and the whole write ends with an fsync and a rename.
STALE_SECONDS = 24 * 3600
_NAME_CHARS = 200  # of the target's name, in the temporary's: keeps it within NAME_MAX (255)
_host_tag_cache: list[str] = []


def _host_tag() -> str:
    """8 hex digits naming this machine and PID namespace: a pid in a temporary's name can
    be checked only where it was issued (not from another host sharing the directory over
    NFS, nor from another container)."""
    if not _host_tag_cache:
        ident = socket.gethostname()
        with contextlib.suppress(OSError):
            ident += str(Path("/proc/self/ns/pid").readlink())  # Linux: e.g. "pid:[4026531836]"
        _host_tag_cache.append(f"{zlib.crc32(ident.encode('utf-8', 'replace')):08x}")
    return _host_tag_cache[0]


def temporary_name(path: Path) -> Path:
    """``.<name>.<pid>-<host tag>-<8 random hex digits>.tmp`` next to ``path``: hidden,
    unique, never the target's own name, and naming the process that writes it."""
    return path.with_name(
        f".{path.name[:_NAME_CHARS]}.{os.getpid()}-{_host_tag()}-{secrets.token_hex(4)}.tmp"
    )


def _temporary_pattern(path: Path) -> re.Pattern[str]:
    return re.compile(
        re.escape(f".{path.name[:_NAME_CHARS]}.")
        + r"([1-9][0-9]{0,9})-([0-9a-f]{8})-[0-9a-f]{8}\.tmp"
    )


def _pid_is_dead(pid: int) -> bool:
    """True only when no process ``pid`` runs on this machine (a zombie counts as dead)."""
    if pid == os.getpid():
        return False  # another thread of this process may be saving the same path
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):  # PermissionError: alive, owned by another user
        return False
    # A writer killed a moment ago stays a zombie until its parent reaps it (Linux only).
    try:
        fields = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return fields[fields.rfind(b")") + 2 :][:1] == b"Z"


def _is_stale(entry: os.DirEntry[str], pid: int, host: str, now: float) -> bool:
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False  # not a file a writer made
    if now - st.st_mtime > STALE_SECONDS:
        return True
    # On Windows, os.kill(pid, 0) would send CTRL_C_EVENT to pid's console: only age counts.
    return os.name != "nt" and host == _host_tag() and _pid_is_dead(pid)


def remove_stale_temporaries(path: Path) -> None:
    """Deletes the temporary files of earlier saves of ``path`` whose writer is dead (its pid,
    on this machine, runs no process) or that nobody has touched for ``STALE_SECONDS``.
    Best effort: a file that cannot be listed or removed is left."""
    pattern = _temporary_pattern(path)
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(path.parent) as entries:
        for entry in entries:
            match = pattern.fullmatch(entry.name)
            if match and _is_stale(entry, int(match[1]), match[2], now):
                with contextlib.suppress(OSError):
                    Path(entry.path).unlink()


def _fsync_dir(directory: Path) -> None:
    """Makes the rename durable; best effort (Windows and some file systems cannot)."""
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Replaces ``path`` with what ``write(f)`` writes, or leaves it untouched and no
    temporary file behind when anything raises (KeyboardInterrupt included)."""
    if path.is_symlink():  # replace the file the link points to, keep the link
        path = path.resolve()
    path = path.absolute()
    tmp = temporary_name(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags, 0o666)
    except FileExistsError:
        raise  # not ours (O_EXCL): never remove it
    except BaseException:
        # An interrupt can land after the file was created, before `fd` is assigned.
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    remove_stale_temporaries(path)
