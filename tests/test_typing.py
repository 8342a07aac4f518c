"""The type stubs of chainrule._C (python/chainrule/_C/*.pyi) against the extension, and
``mypy --strict`` over the package.

pybind11 functions have no introspectable signature, so stubtest only checks that the stubbed
names exist; ``test_stub_signatures_match_bindings`` compares every stubbed C++ function's
parameter names, kinds and defaults with the signatures in its pybind11 docstring.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import chainrule
from chainrule import _C

PACKAGE = Path(chainrule.__file__).resolve().parent
STUBS = PACKAGE / "_C"
ALLOWLIST = Path(__file__).resolve().parent / "stubtest_allowlist.txt"
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE.parent), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


# ---- stubtest and mypy (need mypy) --------------------------------------------------------


def test_stubtest(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    entries = ALLOWLIST.read_text().splitlines()
    if sys.version_info >= (3, 12):  # Tensor.__buffer__ exists at run time from 3.12 on
        entries = [e for e in entries if e.strip() != "chainrule._C.Tensor.__buffer__"]
    allowlist = tmp_path / "allowlist.txt"
    allowlist.write_text("\n".join(entries) + "\n")
    r = _run(["-m", "mypy.stubtest", "chainrule._C", "--allowlist", str(allowlist)], tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_stub_only_module_names_exist() -> None:
    """stubtest skips what __init__.pyi re-exports from the stub-only _functions.pyi (it takes
    those names for another module's, and that module has no run-time counterpart): every name
    defined there must still be an attribute of the extension."""
    tree = ast.parse((STUBS / "_functions.pyi").read_text())
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    names |= {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert "add" in names
    assert "subtract" in names
    assert sorted(n for n in names if not hasattr(_C, n)) == []


def test_mypy_strict(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    # A copy of the sources: mypy will not check a package inside site-packages (an installed
    # wheel), and the copy needs no compiled extension (the stubs stand for it).
    src = tmp_path / "src" / "chainrule"
    shutil.copytree(PACKAGE, src, ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    args = ["-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache")]
    if PYPROJECT.is_file():
        args += ["--config-file", str(PYPROJECT)]
    r = _run([*args, str(src)], tmp_path / "src")
    assert r.returncode == 0, r.stdout + r.stderr


# ---- stub signatures vs pybind11 docstrings (no mypy needed) -----------------------------

# (name, kind, default): kind is one of "pos", "kw" (keyword-only), "*" and "**"; default is
# None (no default), a value, or ... (a default that is not a literal).
Param = tuple[str, str, Any]


def _split_top(text: str) -> list[str]:
    """Splits a parameter list at the commas outside brackets and quotes."""
    parts, depth, quote, cur = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return ...


def _doc_signatures(obj: Any, name: str) -> list[list[Param]]:
    """The signatures in a pybind11 docstring (one per overload), without self."""
    sigs = []
    lines = (obj.__doc__ or "").splitlines()
    # The first line, or for overloads the lines "1. name(...) -> ...", "2. ...".
    candidates = lines[:1] + [
        ln.split(". ", 1)[1] for ln in lines if ln[:1].isdigit() and ". " in ln
    ]
    for line in candidates:
        line = line.strip()
        if not line.startswith(name + "(") or ") ->" not in line or "(*args, **kwargs)" in line:
            continue
        params: list[Param] = []
        kind = "pos"
        for p in _split_top(line[len(name) + 1 : line.rindex(") ->")]):
            if p == "/":
                continue
            if p == "*":
                kind = "kw"
                continue
            if p.startswith("**"):
                params.append((p[2:].split(":")[0], "**", None))
                continue
            if p.startswith("*"):
                params.append((p[1:].split(":")[0], "*", None))
                kind = "kw"
                continue
            head, _, default = p.partition(" = ")
            pname = head.split(":")[0].strip()
            params.append((pname, kind, _literal(default) if default else None))
        if params and params[0][0] == "self":
            params = params[1:]
        sigs.append(params)
    return sigs


def _stub_signature(fn: ast.FunctionDef) -> list[Param]:
    a = fn.args
    params: list[Param] = []
    positional = a.posonlyargs + a.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
    defaults += list(a.defaults)
    for arg, d in zip(positional, defaults):
        params.append((arg.arg, "pos", _literal(ast.unparse(d)) if d is not None else None))
    if a.vararg:
        params.append((a.vararg.arg, "*", None))
    for arg, d in zip(a.kwonlyargs, a.kw_defaults):
        params.append((arg.arg, "kw", _literal(ast.unparse(d)) if d is not None else None))
    if a.kwarg:
        params.append((a.kwarg.arg, "**", None))
    if params and params[0][0] == "self":
        params = params[1:]
    # The binding's `from` is a Python keyword: the stub spells it from_.
    return [("from", k, d) if n == "from_" else (n, k, d) for n, k, d in params]


def _stub_functions(body: list[ast.stmt]) -> dict[str, list[ast.FunctionDef]]:
    out: dict[str, list[ast.FunctionDef]] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef):
            decorators = {ast.unparse(d) for d in node.decorator_list}
            if decorators & {"property", "staticmethod", "classmethod"} or any(
                d.endswith((".setter", ".getter")) for d in decorators
            ):
                continue
            out.setdefault(node.name, []).append(node)
    return out


def _is_pybind(obj: Any) -> bool:
    return type(obj).__name__ in ("builtin_function_or_method", "instancemethod") or (
        type(obj).__name__ == "wrapper_descriptor"
    )


def _stub_targets() -> list[tuple[str, Any, str, list[ast.FunctionDef]]]:
    targets = []
    for stub_file, module in [
        ("__init__.pyi", _C),
        ("_functions.pyi", _C),  # stub-only: __init__.pyi re-exports its functions
        ("_nn.pyi", _C._nn),
        ("_optim.pyi", _C._optim),
    ]:
        tree = ast.parse((STUBS / stub_file).read_text())
        scopes: list[tuple[str, Any, list[ast.stmt]]] = [(module.__name__, module, tree.body)]
        scopes += [
            (f"{module.__name__}.{node.name}", getattr(module, node.name), node.body)
            for node in tree.body
            if isinstance(node, ast.ClassDef) and node.name in dir(module)
        ]
        for prefix, owner, body in scopes:
            for name, defs in _stub_functions(body).items():
                targets.append((f"{prefix}.{name}", owner, name, defs))
    return targets


def _names(sig: list[Param]) -> set[str]:
    return {n for n, _, _ in sig}


_TARGETS = _stub_targets()


@pytest.mark.parametrize(
    ("qualname", "owner", "name", "defs"), _TARGETS, ids=[t[0] for t in _TARGETS]
)
def test_stub_signatures_match_bindings(
    qualname: str, owner: Any, name: str, defs: list[ast.FunctionDef]
) -> None:
    if name == "__buffer__" and sys.version_info < (3, 12):
        pytest.skip("the buffer protocol has no __buffer__ attribute before Python 3.12")
    obj = getattr(owner, name, None)
    assert obj is not None, f"{qualname} is in the stub but not in the extension"
    if not _is_pybind(obj):
        pytest.skip("defined in Python: stubtest checks its signature")
    runtime = _doc_signatures(obj, name)
    if not runtime:
        pytest.skip("no pybind11 signature in the docstring")
    stub = [_stub_signature(d) for d in defs]
    if len(runtime) == 1 and len(stub) == 1:
        assert stub[0] == runtime[0], f"{qualname}: stub {stub[0]} != binding {runtime[0]}"
        return
    # Overloads (in the binding, in the stub, or both): every parameter name on one side is
    # one of the other side's, and the stub covers each binding overload's parameters.
    runtime_names = set().union(*map(_names, runtime))
    stub_names = set().union(*map(_names, stub))
    assert stub_names == runtime_names, f"{qualname}: stub {stub_names} != {runtime_names}"
