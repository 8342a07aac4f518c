"""Every public op bound in C++ (cpp/bindings) carries a docstring, not only pybind11's
generated signature: cr.<op>, cr.nn.functional.<op> and the cr.Tensor methods.

pybind11 builds a function's __doc__ as "name(signature) -> ret" followed by the doc given
to .def(); an overloaded name gets "Overloaded function." and one numbered signature per
overload, each followed by its doc. Each overload must have text of its own.
"""

from __future__ import annotations

import pydoc
import re

import pytest

import chainrule as cr
import chainrule.nn.functional as F

# Names still waiting for a docstring, each a strict xfail (a documented name that stays listed
# fails). Empty since the bind_extras.cpp docs (notes/extras_docs.md) landed in the family files.
PENDING_EXTRAS: set[str] = set()


def _is_pybind(f) -> bool:
    # A pybind11 function is a builtin whose __self__ is its function record (pybind11 3).
    rec = type(getattr(f, "__self__", None))
    return (
        type(f).__name__ == "builtin_function_or_method"
        and rec.__module__ == "pybind11_builtins"
        and rec.__name__.startswith("pybind11_detail_function_record")
    )


def _collect() -> dict[str, object]:
    found: dict[str, object] = {}
    for prefix, ns in (("cr", cr), ("F", F)):
        for name in dir(ns):
            if not name.startswith("_") and _is_pybind(getattr(ns, name)):
                found[f"{prefix}.{name}"] = getattr(ns, name)
    for name, v in vars(cr.Tensor).items():
        # pybind11 stores a method as an instancemethod wrapping the builtin function.
        f = getattr(v, "__func__", None)
        if not name.startswith("_") and type(v).__name__ == "instancemethod" and _is_pybind(f):
            found[f"Tensor.{name}"] = f
    return found


BOUND = _collect()


def _overload_docs(name: str, doc: str) -> list[str]:
    """The user-written text of each overload of `name` (signature lines removed)."""
    lines = doc.splitlines()
    if len(lines) > 1 and lines[1] == "Overloaded function.":
        sig = re.compile(rf"^\d+\. {re.escape(name)}\(")
        chunks: list[list[str]] = []
        for line in lines[2:]:
            if sig.match(line):
                chunks.append([])
            elif chunks:
                chunks[-1].append(line)
        return ["\n".join(c).strip() for c in chunks]
    assert lines, doc
    assert lines[0].startswith(f"{name}("), doc
    return ["\n".join(lines[1:]).strip()]


def _has_sentence(text: str) -> bool:
    return re.search(r"[A-Za-z]\w*[ ,:;)(]+\S+[ ,:;)(]+\S+", text) is not None


def test_found_the_bound_ops():
    # The detection must see the ops, or every check below would pass vacuously.
    for name in (
        "cr.matmul",
        "cr.exp",
        "cr.sum",
        "Tensor.sum",
        "Tensor.reshape",
        "F.conv2d",
        "F.layer_norm",
    ):
        assert name in BOUND, name
    assert len(BOUND) > 250


def test_pending_names_exist():
    # A name that is no longer bound must leave the list too.
    assert set(BOUND) >= PENDING_EXTRAS, sorted(PENDING_EXTRAS - set(BOUND))


@pytest.mark.parametrize(
    "qualname",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="docstring pending"))
        if n in PENDING_EXTRAS
        else n
        for n in sorted(BOUND)
    ],
)
def test_bound_op_has_docstring(qualname):
    f = BOUND[qualname]
    doc = f.__doc__ or ""
    texts = _overload_docs(f.__name__, doc)
    assert texts, doc
    for text in texts:
        assert _has_sentence(text), f"{qualname} has only its signature:\n{doc}"


def test_method_doc_points_to_function():
    doc = cr.Tensor.sum.__doc__
    assert doc.startswith("sum(self: Tensor")
    assert "See chainrule.sum." in doc
    # A method bound by a helper gets method_doc(): the function's summary and a pointer.
    lines = cr.Tensor.exp.__doc__.splitlines()
    assert lines[2] == cr.exp.__doc__.splitlines()[2] == "Elementwise e ** input."
    assert lines[4] == "See chainrule.exp (self is its input)."


def test_help_shows_signature_and_doc():
    # help() renders __doc__; the argument-error wrapper (arg_errors.cpp) must leave it intact.
    text = pydoc.render_doc(cr.matmul, renderer=pydoc.plaintext)
    assert "matmul(input: Tensor, other: Tensor) -> Tensor" in text
    assert "Matrix product" in text
    text = pydoc.render_doc(cr.Tensor.sum, renderer=pydoc.plaintext)
    assert "keepdim" in text
    assert "See chainrule.sum." in text


def test_docstrings_survive_arg_error_wrapper():
    # The wrapper swaps the dispatcher of each function; a wrong argument is still named.
    assert "Elementwise e ** input" in cr.exp.__doc__
    with pytest.raises(TypeError, match="argument 'input'"):
        cr.exp(None)
