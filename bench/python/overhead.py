"""Per-call overhead of chainrule against torch on tiny tensors (1 thread), and import time.

Run: python bench/python/overhead.py. Goals (issue #2): a tiny `a + b` with requires_grad
at <= 0.25x torch's time, a tiny `(a * b).sum().backward()` at <= 0.1x, `import chainrule`
<= 0.1 s.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import fmt_time, header, interleaved

import chainrule as cr


def import_time(module: str, runs: int = 5) -> float:
    """Median wall time of `import module` in a fresh interpreter (startup excluded)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = sorted(
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    )
    return times[len(times) // 2]


def main() -> None:
    cr.set_num_threads(1)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
    print(header(threads=1))
    print()

    a, b = cr.randn(4, requires_grad=True), cr.randn(4, requires_grad=True)
    cases = {
        "cr add": lambda: a + b,
        "cr mul-sum-backward": lambda: (a * b).sum().backward(),
    }
    if torch is not None:
        ta, tb = torch.randn(4, requires_grad=True), torch.randn(4, requires_grad=True)
        cases["torch add"] = lambda: ta + tb
        cases["torch mul-sum-backward"] = lambda: (ta * tb).sum().backward()
    times = interleaved(cases, number=2000)

    rows = [
        ("a + b (4 elements, requires_grad)", "add", 0.25),
        ("(a * b).sum().backward() (4 elements)", "mul-sum-backward", 0.10),
    ]
    print("| case | chainrule | torch | ratio (cr/torch) | goal |")
    print("| --- | --- | --- | --- | --- |")
    for label, key, goal in rows:
        c = times[f"cr {key}"]
        t = times.get(f"torch {key}")
        ratio = f"{c / t:.3f}x" if t else "n/a"
        print(f"| {label} | {fmt_time(c)} | {fmt_time(t) if t else 'n/a'} | {ratio} | <= {goal}x |")
    cr_import = import_time("chainrule")
    torch_import = import_time("torch") if torch is not None else None
    print(
        f"| import | {fmt_time(cr_import)} | "
        f"{fmt_time(torch_import) if torch_import else 'n/a'} | "
        f"{cr_import / torch_import:.3f}x | <= 0.1 s |"
        if torch_import
        else ""
    )


if __name__ == "__main__":
    main()
