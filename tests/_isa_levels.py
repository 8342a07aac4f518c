"""Running a check script in a child process forced to one CPU level (CHAINRULE_CPU_CAPABILITY),
for the per-level kernel tests (test_gemm.py, test_elementwise_isa.py; the `best_level` fixture
is in conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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

