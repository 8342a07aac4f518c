"""Runs the op fuzz in worker processes, so that a crash (segfault, abort) or a hang costs one
op, not the pytest run.

Each worker reads op names on stdin and, for each, runs hypothesis over that op's cases
(_fuzz_strategies.cases, judged by _fuzz_oracle.check), writing one protocol line before each
example (the case it is about to run) and one with the op's result at the end. When a worker
dies, the last case it announced is the one that killed it; the parent records the crash for
that op and starts a new worker for the next op. faulthandler prints the crash's Python stack,
and a per-example alarm (faulthandler.dump_traceback_later) turns a hang into a death too.

As a script: `python _fuzz_runner.py EXAMPLES SEED` is one worker.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

_MARK = "@@fuzz "
EXAMPLE_TIMEOUT_S = 60


def all_ops() -> list[Any]:
    """Every OpInfo of the op database, as test_ops.py gathers them."""
    from op_db import collect_ops

    return collect_ops()


def _selftest_ops() -> list[Any]:
    """Ops that misbehave on purpose, so that tests can check the runner and the oracle."""
    from op_db import F, OpInfo, S

    def abort(m: Any, a: Any) -> Any:
        if m.__name__ == "chainrule":
            os.abort()
        return a

    def wrong(m: Any, a: Any) -> Any:
        return a + 1 if m.__name__ == "chainrule" else a

    samples = [S(F((3, 4)))]
    return [
        OpInfo("_selftest_abort", abort, samples),
        OpInfo("_selftest_wrong", wrong, samples),
        OpInfo("_selftest_ok", lambda m, a: a * 2, samples),
    ]


class FuzzFailure(AssertionError):
    pass


def _fuzz_op(op: Any, examples: int, seed: int, emit: Any) -> dict[str, Any]:
    import faulthandler

    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hyp_seed
    from hypothesis import strategies as st

    from _fuzz_oracle import check
    from _fuzz_strategies import cases

    stats: Counter[str] = Counter()

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        phases=[Phase.generate, Phase.shrink],
    )
    @hyp_seed(seed)
    @given(data=st.data())
    def run(data: Any) -> None:
        sample = data.draw(st.sampled_from(op.samples), label="sample")
        case = data.draw(cases(sample), label="case")
        emit({"case": case.describe()})
        faulthandler.dump_traceback_later(EXAMPLE_TIMEOUT_S, exit=True)
        v = check(op, case)
        faulthandler.cancel_dump_traceback_later()
        stats[f"{v.kind}: {v.detail}" if v.kind != "match" else f"match: {v.detail}"] += 1
        if v.kind == "fail":
            raise FuzzFailure(f"{v.detail}\n    case: {case.describe()}")

    failure = None
    try:
        run()
    except FuzzFailure as e:
        failure = str(e)
    except Exception as e:  # the harness itself (a strategy that does not fit the sample)
        import traceback

        failure = "fuzz harness error: " + "".join(traceback.format_exception(e))[-3000:]
    return {"op": op.name, "failure": failure, "stats": dict(stats)}


def _worker(examples: int, seed: int) -> None:
    import faulthandler
    import warnings

    faulthandler.enable()
    # The protocol keeps the real stdout; anything else written to fd 1 goes to stderr.
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import numpy as np
    import torch

    import chainrule  # noqa: F401

    torch.set_num_threads(1)
    np.seterr(all="ignore")
    ops = {op.name: op for op in all_ops() + _selftest_ops()}

    def emit(msg: dict[str, Any]) -> None:
        out.write(_MARK + json.dumps(msg) + "\n")

    for line in sys.stdin:
        name = line.strip()
        op_seed = (zlib.crc32(name.encode()) ^ seed) & 0xFFFFFFFF
        emit({"done": _fuzz_op(ops[name], examples, op_seed, emit)})


def _run_queue(names: queue.Queue[str], examples: int, seed: int, results: dict[str, Any]) -> None:
    proc: subprocess.Popen[str] | None = None
    err: Any = None
    while True:
        try:
            name = names.get_nowait()
        except queue.Empty:
            break
        if proc is None:
            err = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed by _close)
            proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), str(examples), str(seed)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        assert proc.stdin is not None
        assert proc.stdout is not None
        err.seek(0, os.SEEK_END)
        err_start = err.tell()
        proc.stdin.write(name + "\n")
        proc.stdin.flush()
        last_case, n_cases, done = None, 0, None
        for line in proc.stdout:
            if not line.startswith(_MARK):
                continue
            msg = json.loads(line[len(_MARK) :])
            if "case" in msg:
                last_case, n_cases = msg["case"], n_cases + 1
            else:
                done = msg["done"]
                break
        if done is None:  # the worker died in last_case
            code = proc.wait()
            err.seek(err_start)
            tail = err.read()[-4000:]
            hung = "Timeout (" in tail
            done = {
                "op": name,
                "crash": "hang" if hung else code,
                "case": last_case,
                "examples_before": n_cases - 1,
                "stderr": tail,
            }
            _close(proc, err)
            proc = None
        results[name] = done
    if proc is not None:
        _close(proc, err)


def _close(proc: subprocess.Popen[str], err: Any) -> None:
    """Ends a worker (its stdin closing ends its loop) and closes its pipes and stderr file."""
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):  # a dead worker's stdin: a broken pipe
                pipe.close()
    proc.wait()
    err.close()


def run_ops(names: list[str], examples: int, seed: int, workers: int = 2) -> dict[str, Any]:
    """One result per op name: {"failure": None | text, "stats": {outcome: count}} or, when a
    worker died, {"crash": exit code | "hang", "case": the case it died in, "stderr"}."""
    q: queue.Queue[str] = queue.Queue()
    for n in names:
        q.put(n)
    results: dict[str, Any] = {}
    threads = [
        threading.Thread(target=_run_queue, args=(q, examples, seed, results))
        for _ in range(workers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


if __name__ == "__main__":
    _worker(int(sys.argv[1]), int(sys.argv[2]))
