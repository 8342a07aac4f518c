"""The calls of the bad-argument sweep (test_none_sweep.py): every public callable of
chainrule's namespaces, found with dir() or __all__ (not a hand-written list), called with a
bad value (None, a str, a bare object()) in each argument position and small valid values in
the others.

A call is plain data (a dict that JSON can carry) so that a child process can make it
(_sweep_runner.py): "target" names the callable, "args"/"kwargs" hold value tokens that
_sweep_runner.make_value builds.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

import chainrule as cr

# The namespaces whose public callables are swept (their contents come from dir()).
NAMESPACES = (
    "chainrule",
    "chainrule.linalg",
    "chainrule.nn",
    "chainrule.nn.functional",
    "chainrule.nn.init",
    "chainrule.nn.utils",
    "chainrule.autograd",
    "chainrule.autograd.graph",
    "chainrule.optim",
    "chainrule.optim.lr_scheduler",
    "chainrule.utils.data",
    "chainrule.train",
    "chainrule.train.metrics",
    "chainrule.serialization",
)

# Must not be called: resizing the thread pool would change every later call of the worker.
# (chainrule.datasets, which downloads, and chainrule.demo are not in NAMESPACES.)
SKIP = frozenset({"chainrule.set_num_threads"})

BAD_VALUES = ("None", "str", "object")

# Valid stand-ins for a required argument, by its name, then by its annotation; a (2, 2)
# float tensor otherwise.
_BY_NAME = {
    "dim": "lit:0",
    "dim0": "lit:0",
    "dim1": "lit:1",
    "axis": "lit:0",
    "start_dim": "lit:0",
    "dims": "lit:(0, 1)",
    "size": "lit:(2, 2)",
    "shape": "lit:(2, 2)",
    "normalized_shape": "lit:(2,)",
    "kernel_size": "lit:1",
    "stride": "lit:1",
    "padding": "lit:0",
    "output_size": "lit:1",
    "pad": "lit:(1, 1)",
    "p": "lit:0.5",
    "lr": "lit:0.1",
    "value": "lit:0.0",
    "fill_value": "lit:0.0",
    "exponent": "lit:2.0",
    "n": "lit:2",
    "m": "lit:2",
    "k": "lit:1",
    "start": "lit:0",
    "end": "lit:2",
    "steps": "lit:2",
    "chunks": "lit:2",
    "repeats": "lit:2",
    "diagonal": "lit:0",
    "num_classes": "lit:2",
    "split_size_or_sections": "lit:1",
    "seed": "lit:0",
    "requires_grad": "lit:False",
    "device": "lit:'cpu'",
    "dtype": "dtype",
    "params": "params",
    "parameters": "params",
    "optimizer": "optim",
    "module": "module",
    "model": "module",
    "dataset": "dataset",
    "mask": "B",
    "attn_mask": "B",
    "index": "L",
    "indices": "L",
    "fn": "fn",
    "func": "fn",
    "hook": "fn",
    "lr_lambda": "fn",
    "closure": "fn",
    "callback": "fn",
    "lambd": "lit:0.5",
    "mode": "lit:'min'",
    "unflattened_size": "lit:(2, 1)",
}
_BY_ANNOTATION = (
    ("Tensor", "T"),
    ("Module", "module"),
    ("Optimizer", "optim"),
    ("Dataset", "dataset"),
    ("Callable", "fn"),
    ("SupportsInt", "lit:2"),
    ("int", "lit:2"),
    ("float", "lit:0.5"),
    ("bool", "lit:False"),
)


def fill_for(name: str, annotation: str) -> str:
    if name in _BY_NAME and _BY_NAME[name] in ("B", "L"):
        return _BY_NAME[name]
    if re.fullmatch(r"(chainrule\._C\.)?Tensor( \| None)?", annotation):
        return "T"
    if name in _BY_NAME:
        return _BY_NAME[name]
    for key, token in _BY_ANNOTATION:
        if re.search(rf"\b{key}\b", annotation):
            return token
    return "T"


class Param:
    """One parameter: kind is 'pos' (positional, by name too), 'posonly', 'var' (*args),
    'kw' (keyword-only) or 'varkw' (**kwargs)."""

    def __init__(self, name: str, kind: str, required: bool, annotation: str = "") -> None:
        self.name, self.kind, self.required, self.annotation = name, kind, required, annotation


def _split_top(text: str) -> list[str]:
    """Splits a parameter list at the commas outside brackets and quotes."""
    parts, depth, quote, cur = [], 0, "", []
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
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def _parse_doc_signature(sig: str) -> list[Param]:
    """pybind11's "name(a: Tensor, b: int = 1, *, c: object = None) -> Tensor"."""
    body = sig[sig.index("(") + 1 : sig.rindex(")", 0, sig.rindex(" -> "))]
    params, kind = [], "pos"
    for piece in _split_top(body):
        if piece == "*":
            kind = "kw"
        elif piece == "/":
            for p in params:
                p.kind = "posonly"
        elif piece.startswith("**"):
            params.append(Param(piece[2:].split(":")[0], "varkw", False))
        elif piece.startswith("*"):
            params.append(Param(piece[1:].split(":")[0], "var", False))
            kind = "kw"
        else:
            head, _, default = piece.partition(" = ")
            name, _, annotation = head.partition(": ")
            params.append(Param(name, kind, not default, annotation))
    return params


def _doc_signatures(obj: Any) -> list[list[Param]]:
    doc = getattr(obj, "__doc__", None) or ""
    name = getattr(obj, "__name__", "")
    lines = doc.splitlines()
    if "Overloaded function." in doc:
        sigs = [ln.split(". ", 1)[1] for ln in lines if re.match(rf"\d+\. {re.escape(name)}\(", ln)]
    else:
        sigs = lines[:1] if lines and lines[0].startswith(f"{name}(") else []
    out = []
    for s in sigs:
        try:
            out.append(_parse_doc_signature(s))
        except ValueError:
            continue
    return out


_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "posonly",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "pos",
    inspect.Parameter.VAR_POSITIONAL: "var",
    inspect.Parameter.KEYWORD_ONLY: "kw",
    inspect.Parameter.VAR_KEYWORD: "varkw",
}


def signatures(obj: Any, drop_self: bool = False) -> list[list[Param]]:
    """The parameter lists of a callable: from inspect for Python code, from the docstring
    for pybind11 functions (which have no inspectable signature)."""
    try:
        sig = inspect.signature(obj)
        sigs = [
            [
                Param(
                    p.name,
                    _KINDS[p.kind],
                    p.default is inspect.Parameter.empty
                    and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY),
                    str(p.annotation) if p.annotation is not p.empty else "",
                )
                for p in sig.parameters.values()
            ]
        ]
    except (ValueError, TypeError):  # pybind11: the docstring; a class's is its __init__'s
        sigs = _doc_signatures(obj.__init__ if inspect.isclass(obj) else obj)
    if drop_self:
        sigs = [s[1:] if s and s[0].name == "self" else s for s in sigs]
    return sigs or [[Param("arg", "var", False)]]


def calls_for(func: str, target: list[Any], params: list[Param]) -> list[dict[str, Any]]:
    """The bad-value calls of one signature: all arguments None, then each position (and each
    keyword argument) bad in turn, with valid stand-ins in the required positions. "bad" names
    the parameter(s) given the bad value."""
    positional = [p for p in params if p.kind in ("pos", "posonly")]
    required = [p for p in positional if p.required]
    fills = [fill_for(p.name, p.annotation) for p in required]
    kw_required = {
        p.name: fill_for(p.name, p.annotation) for p in params if p.kind == "kw" and p.required
    }
    first = [p.name for p in required] or [p.name for p in params[:1]]
    out: list[tuple[list[str], dict[str, str], list[str]]] = [
        (["None"] * max(len(required), 1), {}, first)
    ]
    for i, p in enumerate(required):
        out += [([*fills[:i], bad, *fills[i + 1 :]], {}, [p.name]) for bad in BAD_VALUES]
    for j, p in enumerate(positional[len(required) :]):
        if p.kind == "posonly" or re.fullmatch(r"arg\d+", p.name):  # no keyword form
            if j == 0:  # positional right after the required ones
                out += [([*fills, bad], {}, [p.name]) for bad in BAD_VALUES]
        else:
            out += [(list(fills), {p.name: bad}, [p.name]) for bad in BAD_VALUES]
    for p in params:
        if p.kind == "var":
            out += [([*fills, bad], {}, [p.name]) for bad in BAD_VALUES]
            out += [([*fills, "T", bad], {}, [p.name]) for bad in BAD_VALUES]
        elif p.kind == "kw":
            out += [(list(fills), {p.name: bad}, [p.name]) for bad in BAD_VALUES]
    seen, calls = set(), []
    for args, kwargs, bad in out:
        kwargs = {**{k: v for k, v in kw_required.items() if k not in bad}, **kwargs}
        key = (tuple(args), tuple(sorted(kwargs.items())))
        if key not in seen:
            seen.add(key)
            calls.append(
                {"func": func, "target": target, "args": args, "kwargs": kwargs, "bad": bad}
            )
    return calls


def _is_ours(obj: Any) -> bool:
    return callable(obj) and str(getattr(obj, "__module__", "") or "").startswith("chainrule")


def _tensor_attrs() -> list[tuple[str, Any, bool]]:
    """(name, attribute, takes self) for everything the Tensor class defines (dunders too),
    not what it inherits from object / pybind11's base."""
    out = []
    for name, raw in vars(cr.Tensor).items():
        if name in ("__init__", "__new__", "__class__", "__doc__", "__module__", "__dict__"):
            continue
        attr = getattr(cr.Tensor, name)
        if isinstance(raw, (property, type)) or not callable(attr):
            continue
        out.append((name, attr, not isinstance(raw, (staticmethod, classmethod))))
    return sorted(out, key=lambda t: t[0])


def _is_module_class(obj: Any) -> bool:
    return inspect.isclass(obj) and issubclass(obj, cr.nn.Module)


def _forward_calls(func: str, ns: str, name: str, cls: Any) -> list[dict[str, Any]]:
    """An nn.Module built from stand-in arguments, then called with bad inputs."""
    ctor = next(iter(signatures(cls)))
    ctor_args = [
        fill_for(p.name, p.annotation) for p in ctor if p.kind in ("pos", "posonly") and p.required
    ]
    out = []
    for params in signatures(cls.forward, drop_self=True):
        out += calls_for(f"{func}()", ["forward", ns, name, ctor_args], params)
    return out


def sweep_calls() -> list[dict[str, Any]]:
    """Every call of the sweep, in a fixed order."""
    calls: list[dict[str, Any]] = []
    seen: set[int] = set()
    for ns in NAMESPACES:
        try:
            mod = importlib.import_module(ns)
        except ImportError:
            continue
        # A module's __all__ where it declares its public names (its helpers imported from
        # private modules are not API), else everything dir() lists.
        for name in getattr(mod, "__all__", None) or dir(mod):
            obj = getattr(mod, name)
            func = f"{ns}.{name}"
            if name.startswith("_") or not _is_ours(obj) or id(obj) in seen or func in SKIP:
                continue
            seen.add(id(obj))
            if inspect.isclass(obj):
                for params in signatures(obj, drop_self=True):
                    calls += calls_for(func, ["call", ns, name], params)
                if _is_module_class(obj) and "forward" in vars(obj):
                    calls += _forward_calls(func, ns, name, obj)
                continue
            for params in signatures(obj):
                calls += calls_for(func, ["call", ns, name], params)
    for name, attr, takes_self in _tensor_attrs():
        for params in signatures(attr):
            if takes_self and (not params or params[0].name != "self"):
                params = [Param("self", "pos", True, "Tensor"), *params]
            calls += calls_for(f"Tensor.{name}", ["call", "chainrule", "Tensor", name], params)
    return calls
