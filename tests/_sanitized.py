"""Whether this process runs under the sanitizer job (.ci/sanitize preloads ASan's runtime).

ASan's shadow memory and quarantine inflate virtual and resident sizes many times over, so
tests that bound a process's memory only assert those bounds without it.
"""

from __future__ import annotations

import os

UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")
