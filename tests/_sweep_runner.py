"""Runs the calls of _sweep_calls.py in child processes, so that a crash (segfault, abort)
costs one call, not the run: each worker reports one result line per call over its stdout;
when a worker dies, the call after its last report is the one that killed it, and a new
worker continues after that call. faulthandler gives the crash's Python stack, and a per-call
alarm (faulthandler.dump_traceback_later) turns a hang into a reported death too.

As a script: `python _sweep_runner.py CALLS.json START END` is one worker.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Any

_MARK = "@@sweep "
CALL_TIMEOUT_S = 30


def make_value(token: str) -> Any:
    """A fresh value for a token of _sweep_calls (fresh per call: in-place ops may change it)."""
    import chainrule as cr

    if token.startswith("lit:"):
        return ast.literal_eval(token[4:])
    if token in ("params", "optim"):
        param = cr.nn.Parameter(cr.ones(2, 2))
        return [param] if token == "params" else cr.optim.SGD([param], lr=0.1)
    values = {
        "None": lambda: None,
        "str": lambda: "x",
        "object": object,
        "T": lambda: cr.ones(2, 2),
        "B": lambda: cr.ones(2, 2) > 0,
        "L": lambda: cr.zeros(2, dtype=cr.int64),
        "dtype": lambda: cr.float32,
        "module": lambda: cr.nn.Linear(2, 2),
        "dataset": lambda: cr.utils.data.TensorDataset(cr.ones(4, 2)),
        "fn": lambda: lambda *a, **k: None,
    }
    return values[token]()


def _resolve(target: list[Any]) -> Any:
    import importlib

    kind, ns, *path = target
    obj = importlib.import_module(ns)
    if kind == "forward":  # an nn.Module built from stand-ins; its __call__
        name, ctor_args = path
        return getattr(obj, name)(*[make_value(t) for t in ctor_args])
    for name in path:
        obj = getattr(obj, name)
    return obj


def _origin(exc: BaseException) -> str:
    """file:line of the innermost Python frame that raised (where an AttributeError came
    from); "C++" when the callable itself is a C++ function."""
    tb = traceback.extract_tb(exc.__traceback__)
    if len(tb) <= 1:  # only the worker's own frame
        return "C++"
    return f"{Path(tb[-1].filename).name}:{tb[-1].lineno}"


def _worker(spec: str, start: int, end: int) -> None:
    import faulthandler
    import warnings

    faulthandler.enable()
    # The protocol keeps the real stdout; anything else written to fd 1 (the called code's
    # prints, the editable build's messages) goes to stderr.
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    warnings.simplefilter("ignore")
    import chainrule  # noqa: F401

    calls = json.loads(Path(spec).read_text())
    for i in range(start, end):
        call = calls[i]
        faulthandler.dump_traceback_later(CALL_TIMEOUT_S, exit=True)
        result: dict[str, Any] = {"i": i, "exc": None}
        try:
            fn = _resolve(call["target"])
            args = [make_value(t) for t in call["args"]]
            kwargs = {k: make_value(t) for k, t in call["kwargs"].items()}
        except Exception as e:  # the stand-ins did not fit: nothing was called
            result["setup"] = f"{type(e).__name__}: {e}"[:300]
        else:
            try:
                fn(*args, **kwargs)
            except Exception as e:
                result.update(exc=type(e).__name__, msg=str(e)[:300], origin=_origin(e))
        faulthandler.cancel_dump_traceback_later()
        out.write(_MARK + json.dumps(result) + "\n")


def _run_range(spec: str, start: int, end: int, results: list[Any]) -> None:
    cwd = str(Path(spec).parent)  # a call given a str path writes (or reads) there
    i = start
    while i < end:
        with (
            tempfile.TemporaryFile(mode="w+") as err,
            subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), spec, str(i), str(end)],
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                cwd=cwd,
            ) as proc,
        ):
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith(_MARK):
                    r = json.loads(line[len(_MARK) :])
                    results[r["i"]] = r
                    i = r["i"] + 1
            code = proc.wait()
            if i < end:  # the worker died in call i
                err.seek(0)
                tail = err.read()[-3000:]
                hung = "Timeout (" in tail  # faulthandler.dump_traceback_later fired
                results[i] = {"i": i, "crash": "hang" if hung else code, "stderr": tail}
                i += 1


def run_calls(calls: list[dict[str, Any]], workers: int = 2) -> list[dict[str, Any]]:
    """One result per call: {"exc": None | exception type name, "msg", "origin"}, {"setup":
    ...} when the stand-in values could not be built, or {"crash": exit code, "stderr": ...}."""
    results: list[Any] = [None] * len(calls)
    with tempfile.TemporaryDirectory() as tmp:
        spec = str(Path(tmp) / "calls.json")
        Path(spec).write_text(json.dumps(calls))
        bounds = [len(calls) * k // workers for k in range(workers + 1)]
        threads = [
            threading.Thread(target=_run_range, args=(spec, bounds[k], bounds[k + 1], results))
            for k in range(workers)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return results


if __name__ == "__main__":
    _worker(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
