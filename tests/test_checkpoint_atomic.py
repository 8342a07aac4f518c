"""cr.save to a path: atomic replacement (symlinks, permissions), the temporary file removed
on every failure, writers killed mid-save, and the removal of dead writers' temporaries
by the next save."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import chainrule as cr
from _checkpoint_files import (
    save_to,
)
from chainrule import _atomic_write, serialization

# `.<target name>.<pid>-<host tag>-<8 random hex digits>.tmp`
TMP_RE = re.compile(r"^\.ckpt\.pt\.([1-9][0-9]*)-[0-9a-f]{8}-[0-9a-f]{8}\.tmp$")


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symlinks")
def test_symlink_target_is_replaced_and_link_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.pt"
    link = tmp_path / "link.pt"
    cr.save(1, real)
    link.symlink_to(real)
    cr.save(2, link)
    assert link.is_symlink()
    assert cr.load(real) == 2


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_new_file_gets_default_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    path = save_to(tmp_path, 1)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_path_errors_leave_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "dir.pt").mkdir()
    with pytest.raises(OSError, match=r"dir\.pt"):  # IsADirectoryError, or PermissionError
        cr.save(1, tmp_path / "dir.pt")
    with pytest.raises(FileNotFoundError):
        cr.save(1, tmp_path / "missing" / "x.pt")
    with pytest.raises(FileNotFoundError):
        cr.load(tmp_path / "nope.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.pt"]


# ---- atomic replacement --------------------------------------------------------------------


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != "ckpt.pt")


class _DiskFull(io.RawIOBase):
    """Wraps a real file; writes fail with ENOSPC once 1000 bytes are in."""

    def __init__(self, f: Any) -> None:
        self._f = f
        self._left = 1000

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        n = min(len(memoryview(b).cast("B")), self._left)
        if not n:
            raise OSError(28, "No space left on device")
        self._left -= n
        return self._f.write(memoryview(b).cast("B")[:n])

    def fileno(self) -> int:
        return int(self._f.fileno())

    def close(self) -> None:
        self._f.close()
        super().close()


@pytest.mark.parametrize(
    "fail", ["write", "disk_full", "fsync", "replace", "interrupt", "interrupt_after_create"]
)
def test_failed_save_keeps_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: str
) -> None:
    path = save_to(tmp_path, {"x": cr.ones(3), "tag": "old"})
    before = path.read_bytes()
    interrupt = fail.startswith("interrupt")

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt if interrupt else OSError(28, "No space left on device")

    if fail in ("write", "interrupt"):
        monkeypatch.setattr(serialization, "_tensor_bytes", boom)
    elif fail == "disk_full":
        fdopen = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda *a, **k: _DiskFull(fdopen(*a, **k)))
    elif fail == "fsync":
        monkeypatch.setattr(os, "fsync", boom)
    elif fail == "replace":
        monkeypatch.setattr(Path, "replace", boom)
    else:  # the interrupt lands just after the temporary file was created
        real_open = os.open

        def open_then_interrupt(*args: Any, **kwargs: Any) -> int:
            os.close(real_open(*args, **kwargs))
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "open", open_then_interrupt)
    big = {"x": cr.zeros(3000), "tag": "new"}  # more than 1000 bytes for disk_full
    with pytest.raises(KeyboardInterrupt if interrupt else OSError):
        cr.save(big, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []


_CHILD = r"""
import sys, time
import chainrule as cr
from chainrule import serialization as s

path, mode = sys.argv[1], sys.argv[2]

def pause():
    print("ready", flush=True)
    time.sleep(60)

if mode == "fsync":  # the whole temporary file is written, not yet renamed
    s.os.fsync = lambda fd: pause()
elif mode == "data":  # stopped in the middle of the tensor data
    write_all, calls = s._write_all, []
    def slow_write_all(f, data):
        write_all(f, data)
        calls.append(1)
        if len(calls) == 3:
            f.flush()
            pause()
    s._write_all = slow_write_all
    s._CHUNK = 1 << 20
if mode == "loop":  # saves two complete versions in turn until killed
    i = 0
    while True:
        cr.save({"x": cr.full((2_000_000,), float(i % 2)), "tag": i % 2}, path)
        if i == 0:
            print("ready", flush=True)
        i += 1
else:
    cr.save({"x": cr.full((2_000_000,), 7.0), "tag": "new"}, path)
"""


def _spawn(path: Path, mode: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(Path(cr.__file__).resolve().parents[1]))
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), mode], env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    # An editable install may print its rebuild's progress on import, before "ready".
    lines = []
    while (line := proc.stdout.readline()) and line.strip() != "ready":
        lines.append(line)
    assert line.strip() == "ready", lines
    return proc


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.stdout is not None
    proc.stdout.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("mode", ["data", "fsync"])
def test_killed_writer_leaves_previous_file(tmp_path: Path, mode: str) -> None:
    path = save_to(tmp_path, {"x": cr.ones(5), "tag": "old"})
    before = path.read_bytes()
    proc = _spawn(path, mode)
    _kill(proc)
    assert path.read_bytes() == before
    out = cr.load(path)
    assert out["tag"] == "old"
    assert out["x"].tolist() == [1.0] * 5
    # The killed writer's temporary file is hidden, never named like the target ...
    left = _leftovers(tmp_path)
    assert len(left) == 1, left
    match = TMP_RE.match(left[0])
    assert match, left
    assert int(match[1]) == proc.pid  # ... and names its writer
    if mode == "data":  # ... and, had it been half-written, it would not load anyway
        with pytest.raises(ValueError, match="truncated"):
            cr.load(tmp_path / left[0])
    # The next save is not disturbed by it, and removes it: its writer is dead.
    cr.save({"tag": "after"}, path)
    assert cr.load(path) == {"tag": "after"}
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_writer_killed_at_a_random_moment(tmp_path: Path) -> None:
    import random
    import time

    path = tmp_path / "ckpt.pt"
    proc = _spawn(path, "loop")
    time.sleep(random.Random(0).uniform(0.05, 0.3))
    _kill(proc)
    out = cr.load(path)
    assert out["tag"] in (0, 1)
    assert out["x"].shape == (2_000_000,)
    assert out["x"].min().item() == out["x"].max().item() == float(out["tag"])
    assert all(TMP_RE.match(n) for n in _leftovers(tmp_path))
    cr.save({"tag": "after"}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_live_writers_temporary_file_is_kept(tmp_path: Path) -> None:
    path = save_to(tmp_path, "old")
    proc = _spawn(path, "fsync")  # alive, its whole temporary file written, not renamed yet
    try:
        (left,) = _leftovers(tmp_path)
        cr.save("concurrent", path)
        assert _leftovers(tmp_path) == [left]
    finally:
        _kill(proc)
    cr.save("after", path)
    assert _leftovers(tmp_path) == []


_made = iter(range(1 << 30))


def _temporary(
    directory: Path, target: str, pid: int, host: str | None = None, age: float = 0.0
) -> str:
    """A temporary file named as save names them, by `pid` on `host` (default: this one)."""
    name = f".{target}.{pid}-{host or _atomic_write._host_tag()}-{next(_made):08x}.tmp"
    (directory / name).write_bytes(b"partial")
    if age:
        old = time.time() - age
        os.utime(directory / name, (old, old))
    return name


@pytest.mark.skipif(os.name == "nt", reason="POSIX process checks")
def test_stale_temporaries_are_removed_by_the_nextsave_to(tmp_path: Path) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    dead = finished.pid
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        day = _atomic_write.STALE_SECONDS
        removed = {
            _temporary(tmp_path, "ckpt.pt", dead),
            _temporary(tmp_path, "ckpt.pt", sleeper.pid, age=day + 60),  # untouched for a day
            _temporary(tmp_path, "ckpt.pt", dead, host="0badc0de", age=day + 60),
        }
        kept = {
            _temporary(tmp_path, "ckpt.pt", os.getpid()),  # maybe another thread's save
            _temporary(tmp_path, "ckpt.pt", sleeper.pid),  # a live writer
            _temporary(tmp_path, "ckpt.pt", sleeper.pid, age=day - 600),
            _temporary(tmp_path, "ckpt.pt", dead, host="0badc0de"),  # pid from elsewhere
            _temporary(tmp_path, "other.pt", dead),  # another target's
            _temporary(tmp_path, "ckpt.pt.old", dead),
            ".ckpt.pt.0123456789abcdef.tmp",  # not a name save makes (nor made before #11)
            "ckpt.pt.1-0123abcd-0123abcd.tmp",
            "notes.txt",
        }
        (tmp_path / ".ckpt.pt.0123456789abcdef.tmp").write_bytes(b"")
        (tmp_path / "ckpt.pt.1-0123abcd-0123abcd.tmp").write_bytes(b"")
        (tmp_path / "notes.txt").write_bytes(b"")
        not_files = {
            f".ckpt.pt.{dead}-{_atomic_write._host_tag()}-ffffff0{i}.tmp" for i in range(2)
        }
        first, second = sorted(not_files)
        (tmp_path / first).mkdir()
        if hasattr(os, "symlink"):
            (tmp_path / second).symlink_to(tmp_path / "notes.txt")
        else:
            not_files.discard(second)
        cr.save({"x": cr.ones(2)}, tmp_path / "ckpt.pt")
        assert set(_leftovers(tmp_path)) == kept | not_files
        assert len(removed) == 3
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc")
def test_a_killed_writer_not_yet_reaped_counts_as_dead(tmp_path: Path) -> None:
    zombie = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        os.kill(zombie.pid, signal.SIGKILL)
        stat = Path(f"/proc/{zombie.pid}/stat")
        deadline = time.time() + 10
        while stat.read_bytes().rsplit(b")", 1)[1][1:2] != b"Z":
            assert time.time() < deadline
            time.sleep(0.01)
        _temporary(tmp_path, "ckpt.pt", zombie.pid)
        cr.save(1, tmp_path / "ckpt.pt")
        assert _leftovers(tmp_path) == []
    finally:
        zombie.wait()
