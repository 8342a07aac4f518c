"""Bad-argument sweep (issue #11): every public callable of chainrule (the functions of its
namespaces, the Tensor methods, nn / optim / data constructors and module forwards, found
with dir()) called with None, a str and a bare object() in each argument position.

Each call must return or raise an ordinary exception; a crash (segfault, abort) or a hang
fails that function's case only (the calls run in child processes, _sweep_runner.py).
AttributeError and SystemError also fail: a wrong argument type is a TypeError (or a
ValueError / RuntimeError / NotImplementedError the function raises on purpose), not an
attribute lookup failing somewhere inside.
"""

from __future__ import annotations

import importlib
import inspect
from collections import defaultdict
from typing import Any

import pytest

from _sweep_calls import sweep_calls
from _sweep_runner import run_calls

CALLS = sweep_calls()
BY_FUNC: dict[str, list[int]] = defaultdict(list)
for _i, _call in enumerate(CALLS):
    BY_FUNC[_call["func"]].append(_i)

FLAGGED = ("AttributeError", "SystemError")
# Indexing with a bad key is an IndexError, as in torch.
INDEX_ERROR_OK = frozenset({"Tensor.__getitem__", "Tensor.__setitem__"})


@pytest.fixture(scope="module")
def results() -> list[dict[str, Any]]:
    return run_calls(CALLS)


def _python_level(target: list[Any]) -> bool:
    kind, ns, *path = target
    if kind != "call":
        return False
    obj: Any = importlib.import_module(ns)
    for name in path:
        obj = getattr(obj, name)
    return inspect.isfunction(obj)


def _problem(call: dict[str, Any], r: dict[str, Any]) -> str | None:
    if "crash" in r:
        what = "hung" if r["crash"] == "hang" else f"crashed (exit code {r['crash']})"
        return f"{what}:\n{r['stderr']}"
    exc = r.get("exc")
    if exc == "IndexError" and call["func"] not in INDEX_ERROR_OK:
        return f"IndexError at {r['origin']}: {r['msg']}"
    if exc not in FLAGGED:
        return None
    # A Python-level method called unbound with a bad self (cr.Tensor.tolist(None)) fails
    # at its first attribute, as torch's Python methods do; checking self would cost every
    # call.
    if "self" in call["bad"] and _python_level(call["target"]):
        return None
    return f"{exc} at {r['origin']}: {r['msg']}"


def _describe(call: dict[str, Any]) -> str:
    args = ", ".join(call["args"] + [f"{k}={v}" for k, v in call["kwargs"].items()])
    return f"{call['func']}({args})"


def test_the_sweep_covers_the_api() -> None:
    funcs = set(BY_FUNC)
    assert len(funcs) > 500
    for expected in (
        "chainrule.exp",
        "chainrule.nn.functional.conv2d",
        "Tensor.mm",
        "Tensor.masked_fill",
        "chainrule.nn.Linear",
        "chainrule.nn.Linear()",
        "chainrule.optim.SGD",
        "chainrule.utils.data.DataLoader",
    ):
        assert expected in funcs


@pytest.mark.parametrize("func", sorted(BY_FUNC))
def test_bad_arguments_raise_python_errors(func: str, results: list[dict[str, Any]]) -> None:
    problems = []
    for i in BY_FUNC[func]:
        problem = _problem(CALLS[i], results[i])
        if problem is not None:
            problems.append(f"{_describe(CALLS[i])}: {problem}")
    assert not problems, "\n".join(problems)
