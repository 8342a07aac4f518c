"""Timing helpers shared by the Python benchmarks: interleaved repeats, medians, a table."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def time_per_call(fn: Callable[[], object], number: int, repeat: int = 7) -> float:
    """Best of `repeat` runs of the mean time of one call (seconds), after a warm-up.

    The minimum is the run least disturbed by the rest of the machine, as timeit advises.
    """
    for _ in range(max(1, number // 10)):
        fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - start) / number)
    return min(runs)


def interleaved(
    cases: dict[str, Callable[[], object]], number: int, rounds: int = 5
) -> dict[str, float]:
    """Times every case in turn, `rounds` times, so drifts in machine speed hit all alike."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            samples[name].append(time_per_call(fn, number, repeat=3))
    return {name: statistics.median(v) for name, v in samples.items()}


def cpu_name() -> str:
    try:
        with Path("/proc/cpuinfo").open() as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def header(threads: int) -> str:
    import chainrule as cr

    lines = [
        f"CPU: {cpu_name()} ({os.cpu_count()} logical cores)",
        f"threads: {threads}; chainrule {cr.__version__} (simd: {cr.config()['simd']})",
    ]
    try:
        import torch

        lines.append(f"torch {torch.__version__}")
    except ImportError:
        lines.append("torch: not installed")
    return "\n".join(lines)


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.3f} s"
