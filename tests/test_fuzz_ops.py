"""Property-based fuzz of every op of the op database against torch (issue #11).

For each OpInfo (every op_db_<family>.py), hypothesis varies the samples' inputs: shapes
(empty, size-1 and broadcast dims, 0-d), dtypes, special values, non-contiguous and
overlapping layouts, out-of-range indices, dims and keyword values (_fuzz_strategies.py).
Each case runs in torch and in chainrule and is judged by _fuzz_oracle.check: where torch
raises, chainrule must raise an ordinary exception; where torch returns, chainrule must
return the same values and gradients, or raise for a documented gap (UNSUPPORTED there,
reported). The cases run in worker processes (_fuzz_runner.py), so a crash or a hang fails
one op's test, naming the case, and the others still run.

Modes (environment variables):
- default (CI): a fixed seed and CI_EXAMPLES examples per op, about a minute on 2 cores;
- CHAINRULE_FUZZ_LONG=1: LONG_EXAMPLES examples per op and a random seed (printed; set
  CHAINRULE_FUZZ_SEED to replay one);
- CHAINRULE_FUZZ_EXAMPLES=n overrides the count; CHAINRULE_FUZZ_REPORT=path writes every
  op's outcome counts (matches, raises by exception pair, unsupported and known cases) as
  JSON, and a summary to the terminal.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from _fuzz_runner import all_ops, run_ops

pytest.importorskip("torch")

CI_EXAMPLES = 60
LONG_EXAMPLES = 1500
LONG = os.environ.get("CHAINRULE_FUZZ_LONG") == "1"
EXAMPLES = int(os.environ.get("CHAINRULE_FUZZ_EXAMPLES", LONG_EXAMPLES if LONG else CI_EXAMPLES))
SEED = int(os.environ.get("CHAINRULE_FUZZ_SEED", random.randrange(2**31) if LONG else 0))
REPORT = os.environ.get("CHAINRULE_FUZZ_REPORT")

OP_NAMES = [op.name for op in all_ops()]
SELFTEST = ["_selftest_abort", "_selftest_wrong", "_selftest_ok"]


@pytest.fixture(scope="module")
def fuzz_results(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Runs the fuzz once for every op whose test was selected (and the self-tests)."""
    names = [
        it.callspec.params["name"]
        for it in request.session.items
        if it.module is request.module and hasattr(it, "callspec") and "name" in it.callspec.params
    ]
    results = run_ops(list(dict.fromkeys(names)), EXAMPLES, SEED)
    if REPORT or LONG:
        _report(request, results)
    return results


def _report(request: pytest.FixtureRequest, results: dict[str, Any]) -> None:
    totals: Counter[str] = Counter()
    for r in results.values():
        for outcome, n in r.get("stats", {}).items():
            totals[outcome.split(":")[0]] += n
            if not outcome.startswith(("match", "raise")):
                totals[outcome] += n
    lines = [f"op fuzz: seed {SEED}, {EXAMPLES} examples per op, {len(results)} ops"]
    lines += [f"  {n:7d}  {k}" for k, n in totals.most_common()]
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    if tr is not None:
        tr.write_line("\n" + "\n".join(lines))
    if REPORT:
        Path(REPORT).write_text(
            json.dumps({"seed": SEED, "examples": EXAMPLES, "results": results}, indent=1)
        )


def _explain(name: str, r: dict[str, Any]) -> str:
    if "crash" in r:
        how = "hung" if r["crash"] == "hang" else f"died (exit code {r['crash']})"
        return (
            f"{name}: the worker {how} after {r['examples_before']} examples, in\n"
            f"    case: {r['case']}\n--- worker stderr ---\n{r['stderr']}"
        )
    return (
        f"{name}: {r['failure']}\n(seed {SEED}; replay with CHAINRULE_FUZZ_SEED={SEED} "
        f"CHAINRULE_FUZZ_EXAMPLES={EXAMPLES} pytest {__file__} -k '{name}')"
    )


@pytest.mark.parametrize("name", OP_NAMES + SELFTEST)
def test_fuzz(name: str, fuzz_results: dict[str, Any]) -> None:
    r = fuzz_results[name]
    if name == "_selftest_abort":  # a crash is reported for its op, naming the case
        assert r["crash"] not in (0, "hang")
        assert "case: " not in r["stderr"]
        assert r["case"].startswith("sample=")
        assert "Fatal Python error: Aborted" in r["stderr"]
        return
    if name == "_selftest_wrong":  # a wrong result fails, naming the case
        assert "crash" not in r
        assert "case: sample=" in r["failure"]
        return
    if "crash" in r or r["failure"]:
        pytest.fail(_explain(name, r), pytrace=False)
    assert sum(r["stats"].values()) >= EXAMPLES
