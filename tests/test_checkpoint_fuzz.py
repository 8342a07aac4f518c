"""Checkpoint fuzzing (#11). Each group of cases in _checkpoint_fuzz.py (truncations at every
byte of the header and at sampled points of the data; single, multiple and burst bit flips,
with checksums kept and resealed; edits of the header's JSON; hand-built hostile headers;
header trees drawn by hypothesis) runs in a child process, so that a crash fails the test
with the case that caused it. Every load returns a value or raises ValueError, allocates at
most the file's size for tensors, and the child's peak memory stays bounded.

Set CHAINRULE_FUZZ_LONG=1 for 20 times the cases (and 4,000 hypothesis examples).

Below, single loads of large hostile files in fresh processes check the peak memory that
docs/checkpoint-format.md promises ("What cr.load checks").
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

import chainrule as cr
from _checkpoint_files import craft, tensor_node
from _sanitized import UNDER_ASAN

TESTS = Path(__file__).resolve().parent
LONG = os.environ.get("CHAINRULE_FUZZ_LONG") == "1"
MiB = 1 << 20


def _child_env() -> dict[str, str]:
    # One thread: a worker pool would add its stacks and arenas to the peak being measured.
    return dict(os.environ, OMP_NUM_THREADS="1")


def _last_json_line(out: str) -> dict[str, Any]:
    return dict(json.loads(out.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("group", "min_cases", "must_load"),
    [
        ("truncations", 10_000, False),
        ("flips", 1000, True),
        ("header_mutations", 1000, True),
        ("hostile", 80, True),
        ("hypothesis", 150, True),
    ],
)
def test_fuzz(tmp_path: Path, group: str, min_cases: int, must_load: bool) -> None:
    case_file = tmp_path / "case.txt"
    cmd = [sys.executable, str(TESTS / "_checkpoint_fuzz.py"), group, str(case_file)]
    proc = subprocess.run(
        cmd + (["long"] if LONG else []),
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=3600 if LONG else 300,
    )
    if proc.returncode != 0:
        case = case_file.read_text(errors="replace").strip() if case_file.exists() else "?"
        pytest.fail(
            f"fuzz group {group!r} exited with {proc.returncode} during case "
            f"{case!r}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n"
            f"{proc.stderr[-4000:]}"
        )
    summary = _last_json_line(proc.stdout)
    assert summary["cases"] >= min_cases, summary
    outcomes = summary["outcomes"]
    assert outcomes.get("ValueError", 0) > 0, summary
    # Resealed damage, edited headers and drawn trees load now and then: the fuzz reaches
    # past the checksums into the parser and the node checks.
    assert (outcomes.get("loaded", 0) > 0) == must_load, summary
    if not UNDER_ASAN:
        assert summary["peak_growth"] < 64 * MiB + 16 * summary["largest_file"], summary


# ---- peak memory of single loads of large hostile files ------------------------------------

_MEMORY_CHILD = r"""
import io, json, sys
from pathlib import Path
import chainrule as cr
from _checkpoint_files import NonSeekable, to_bytes
from _checkpoint_fuzz import _vm_peak

path, source = sys.argv[1], sys.argv[2]
cr.load(io.BytesIO(to_bytes({"warm-up": cr.ones(3), "up": [1, 2.5]})))
blob = Path(path).read_bytes() if source != "path" else b""
base = _vm_peak()
f = {"path": path, "pipe": NonSeekable(blob, step=1 << 20), "BytesIO": io.BytesIO(blob)}
try:
    cr.load(f[source])
    outcome = "loaded"
except ValueError as e:
    outcome = str(e)
print(json.dumps({"growth": _vm_peak() - base, "outcome": outcome[:300]}))
"""


def _shared_region() -> bytes:
    node = tensor_node(shape=(MiB,))  # 4 MiB
    return craft({"root": {"type": "list", "items": [node] * 1500}}, bytes(4 * MiB))


def _huge_size() -> bytes:
    node = tensor_node(shape=(10**15,))
    return craft({"root": node}, b"", data_nbytes=node["nbytes"])


def _header_length_lie() -> bytes:
    blob = bytearray(craft({"root": None}) + bytes(MiB))
    blob[16:24] = struct.pack("<Q", (256 * MiB) - 32)
    blob[28:32] = struct.pack("<I", zlib.crc32(bytes(blob[:28])))
    return bytes(blob)


def _valid_large() -> bytes:
    buf = io.BytesIO()
    cr.save({k: cr.full((2 * MiB,), 1.5) for k in "abc"}, buf)  # 3 x 8 MiB
    return buf.getvalue()


def _tiny_json_values() -> bytes:
    # 2 MiB of `[],` under a top-level key readers ignore: the most objects per header byte.
    header = (
        b'{"format":"chainrule-checkpoint","alignment":64,"checksum":"crc32",'
        b'"data_nbytes":0,"root":null,"x":[' + b"[]," * (700_000) + b"[]]}"
    )
    return craft(header)


# (make the file, source, expected outcome, bound = a * file size + b)
_MEMORY_CASES: dict[str, tuple[Any, str, str, float, int]] = {
    "1500 entries on one region, pipe": (_shared_region, "pipe", "overlaps", 0.0, 32 * MiB),
    "1500 entries on one region, path": (_shared_region, "path", "overlaps", 0.0, 32 * MiB),
    "4e15 bytes declared, pipe": (_huge_size, "pipe", "truncated", 0.0, 32 * MiB),
    "256 MiB header declared, pipe": (_header_length_lie, "pipe", "truncated", 0.0, 32 * MiB),
    "24 MiB checkpoint, path": (_valid_large, "path", "loaded", 1.1, 32 * MiB),
    "24 MiB checkpoint, pipe": (_valid_large, "pipe", "loaded", 2.1, 32 * MiB),
    "24 MiB checkpoint cut in half, pipe": (
        lambda: _valid_large()[: 12 * MiB],
        "pipe",
        "truncated",
        2.1,
        32 * MiB,
    ),
    "2 MiB header of tiny values": (_tiny_json_values, "BytesIO", "loaded", 32.0, 32 * MiB),
}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmPeak: Linux /proc")
@pytest.mark.skipif(UNDER_ASAN, reason="ASan's shadow memory inflates the peak")
@pytest.mark.parametrize("case", list(_MEMORY_CASES))
def test_peak_memory_of_a_load_is_bounded_by_the_file(tmp_path: Path, case: str) -> None:
    make, source, expected, per_byte, slack = _MEMORY_CASES[case]
    path = tmp_path / "case.pt"
    path.write_bytes(make())
    size = path.stat().st_size
    proc = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(path), source],
        env=dict(_child_env(), PYTHONPATH=str(TESTS)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = _last_json_line(proc.stdout)
    assert expected in out["outcome"], out
    assert out["growth"] <= per_byte * size + slack, (size, out)
