"""Grad mode: no_grad / enable_grad / set_grad_enabled as context managers, decorators and
functions; nesting, exceptions, generators and thread-locality."""

from __future__ import annotations

import threading

import pytest

import chainrule as cr


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    assert cr.is_grad_enabled()
    yield
    cr.set_grad_enabled(True)


def _x():
    return cr.tensor([1.0, 2.0], requires_grad=True)


def test_no_grad_context_manager():
    x = _x()
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = x * 2
    assert cr.is_grad_enabled()
    assert not y.requires_grad
    assert y.grad_fn is None
    assert y.is_leaf
    assert (x * 2).requires_grad


def test_no_grad_restores_mode_after_exception():
    with pytest.raises(ValueError, match="boom"), cr.no_grad():
        raise ValueError("boom")
    assert cr.is_grad_enabled()


def test_no_grad_decorator():
    x = _x()

    @cr.no_grad()
    def double(t):
        """Doubles t."""
        assert not cr.is_grad_enabled()
        return t * 2

    assert not double(x).requires_grad
    assert cr.is_grad_enabled()
    assert double.__name__ == "double"
    assert double.__doc__ == "Doubles t."


def test_no_grad_decorator_reentrant_and_recursive():
    @cr.no_grad()
    def depth(n):
        assert not cr.is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(5) == 5
    assert cr.is_grad_enabled()


def test_no_grad_decorator_on_generator():
    x = _x()

    @cr.no_grad()
    def gen():
        for _ in range(3):
            yield cr.is_grad_enabled(), (x * 2).requires_grad

    results = []
    for item in gen():
        results.append(item)
        # the caller's code between steps runs in the caller's mode
        assert cr.is_grad_enabled()
    assert results == [(False, False)] * 3


def test_enable_grad_inside_no_grad():
    x = _x()
    with cr.no_grad():
        with cr.enable_grad():
            assert cr.is_grad_enabled()
            y = x * 2
        assert not cr.is_grad_enabled()
        z = x * 2
    assert y.requires_grad
    assert y.grad_fn.name() == "MulBackward0"
    assert not z.requires_grad


def test_enable_grad_decorator():
    x = _x()

    @cr.enable_grad()
    def f(t):
        return t * 2

    with cr.no_grad():
        y = f(x)
        assert not cr.is_grad_enabled()
    assert y.requires_grad


def test_set_grad_enabled_as_function():
    x = _x()
    cr.set_grad_enabled(False)
    assert not cr.is_grad_enabled()
    assert not (x * 2).requires_grad
    cr.set_grad_enabled(True)
    assert cr.is_grad_enabled()
    assert (x * 2).requires_grad


@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_as_context_manager(mode):
    x = _x()
    with cr.set_grad_enabled(mode):
        assert cr.is_grad_enabled() is mode
        y = x * 2
    assert cr.is_grad_enabled()
    assert y.requires_grad is mode


def test_set_grad_enabled_context_restores_outer_mode():
    with cr.no_grad():
        with cr.set_grad_enabled(True):
            assert cr.is_grad_enabled()
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()


def test_set_grad_enabled_decorator_does_not_change_mode_at_definition():
    @cr.set_grad_enabled(False)
    def f(t):
        return t * 2

    assert cr.is_grad_enabled()
    assert not f(_x()).requires_grad
    assert cr.is_grad_enabled()


def test_deep_nesting():
    with cr.no_grad():
        with cr.enable_grad():
            with cr.set_grad_enabled(False):
                with cr.enable_grad():
                    assert cr.is_grad_enabled()
                assert not cr.is_grad_enabled()
            assert cr.is_grad_enabled()
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()


def test_same_no_grad_object_reused():
    ng = cr.no_grad()
    with ng:
        assert not cr.is_grad_enabled()
    with ng:
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["start"] = cr.is_grad_enabled()
        x = _x()
        seen["requires_grad"] = (x * 2).requires_grad
        cr.set_grad_enabled(False)  # must not leak into the main thread

    with cr.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not cr.is_grad_enabled()
    assert seen == {"start": True, "requires_grad": True}
    assert cr.is_grad_enabled()


def test_no_grad_then_backward_through_earlier_graph():
    x = _x()
    y = (x * x).exp()
    with cr.no_grad():
        y.backward(cr.ones_like(y))  # backward itself works under no_grad
    assert x.grad is not None
    assert not x.grad.requires_grad


def test_inplace_on_leaf_allowed_under_no_grad():
    x = _x()
    with cr.no_grad():
        x.mul_(2)
    assert x.tolist() == [2.0, 4.0]
    assert x.is_leaf
    assert x.requires_grad


def test_decorating_a_class_raises():
    with pytest.raises(RuntimeError, match="no_grad"):

        @cr.no_grad()
        class Foo:
            pass


def test_autograd_module_exports_the_same_objects():
    assert cr.autograd.no_grad is cr.no_grad
    assert cr.autograd.enable_grad is cr.enable_grad
    assert cr.autograd.set_grad_enabled is cr.set_grad_enabled
    assert cr.autograd.is_grad_enabled() is cr.is_grad_enabled()


def test_set_grad_enabled_repr():
    with cr.set_grad_enabled(True) as ctx:
        assert ctx is None
    assert "mode=False" in repr(cr.set_grad_enabled(False))
    cr.set_grad_enabled(True)
