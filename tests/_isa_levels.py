"""The CPU levels, as the library lists them (chainrule/cpu_levels.def), and running a check
script in a child process forced to one level (CHAINRULE_CPU_CAPABILITY), for the per-level
kernel tests (test_gemm.py, test_*_isa.py; the `best_level` fixture is in conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from chainrule import _C

# Every level the library knows, lowest first, and those this CPU, OS and build can run.
LEVELS: list[str] = [name for name, _ in _C._cpu_levels()]
AVAILABLE: list[str] = [name for name, available in _C._cpu_levels() if available]

SIMD_SCRIPT = "import json, chainrule as cr; print(json.dumps({'simd': cr.config()['simd']}))"


def run_at(level: str | None, script: str) -> tuple[dict[str, object], str]:
    """Runs `script` at `level` (None: the level a process picks by itself); returns the JSON
    object on its last line of output, and its stderr."""
    env = dict(os.environ)
    env.pop("CHAINRULE_CPU_CAPABILITY", None)
    if level is not None:
        env["CHAINRULE_CPU_CAPABILITY"] = level
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr
