"""User-defined differentiable operations: ``cr.autograd.Function`` and its ``ctx``.

``Function.apply`` runs ``forward`` under ``no_grad`` and gives the outputs a C++ graph node
(``<ClassName>Backward``, see ``cpp/bindings/py_function.cpp``) that calls ``backward`` with
the GIL held. Saved tensors are version-checked like the built-in ops' saved tensors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from chainrule import _C
from chainrule.autograd.grad_mode import is_grad_enabled, no_grad

__all__ = ["Function", "FunctionCtx", "once_differentiable"]

Tensor = _C.Tensor
F = TypeVar("F", bound=Callable[..., Any])


def _shape_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _expandable_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """True when a tensor of ``shape`` broadcasts to ``target`` (so ``target`` sums back)."""
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(reversed(shape), reversed(target)))


class FunctionCtx:
    """The ``ctx`` object passed to a Function's ``forward`` and ``backward``.

    Use ``save_for_backward`` for tensors that ``backward`` needs (they are checked for
    in-place modification and freed after backward) and plain attributes for anything else
    (sizes, flags, Python numbers). Storing the outputs of ``forward`` as attributes of ctx
    creates a reference cycle through the graph that lives until backward runs; save them
    with ``save_for_backward`` instead.

    Attributes:
        needs_input_grad: one bool per positional argument of ``forward``: whether that
            argument is a tensor whose gradient backward must compute.
    """

    needs_input_grad: tuple[bool, ...]

    def __init__(self, name: str, needs_input_grad: tuple[bool, ...]) -> None:
        self._cr_name = name
        self.needs_input_grad = needs_input_grad
        self._cr_saved: tuple[Tensor | None, ...] = ()
        self._cr_versions: tuple[int, ...] = ()
        self._cr_released = False
        self._cr_non_differentiable: set[int] = set()
        self._cr_dirty: set[int] = set()
        self._cr_arg_shapes: tuple[tuple[int, ...] | None, ...] = ()

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Saves tensors (or ``None``) for ``backward``; call it at most once, in forward.

        Args:
            *tensors: inputs, outputs or intermediate tensors of ``forward``.
        """
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"{self._cr_name}: save_for_backward can only save Tensors or None; "
                    f"got {type(t).__name__} at position {i}"
                )
        self._cr_saved = tuple(tensors)
        self._cr_versions = tuple(0 if t is None else t._version for t in tensors)

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        """The tensors given to ``save_for_backward``, checked for in-place modification.

        Raises:
            RuntimeError: when a saved tensor was modified in place after it was saved, or
                when backward already ran without ``retain_graph=True``.
        """
        if self._cr_released:
            raise RuntimeError(
                f"{self._cr_name}: trying to backward through the graph a second time (or "
                "directly access saved tensors after they have already been freed); saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through "
                "the graph a second time"
            )
        for t, v in zip(self._cr_saved, self._cr_versions):
            if t is not None and t._version != v:
                raise RuntimeError(
                    f"{self._cr_name}: one of the variables needed for gradient computation "
                    "has been modified by an inplace operation: a tensor of shape "
                    f"{_shape_str(tuple(t.shape))} is at version {t._version}; expected "
                    f"version {v} instead"
                )
        return self._cr_saved

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Marks outputs of ``forward`` as not differentiable (e.g. indices of a sort).

        They get no ``grad_fn``; ``backward`` still receives a (zero) gradient for them.

        Args:
            *tensors: outputs of ``forward`` (the very objects it returns).
        """
        self._cr_non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Marks inputs that ``forward`` modified in place; forward must return them.

        The returned tensor is then the input object itself, with this node as its new
        history (as after any in-place op). A leaf that requires grad cannot be dirty.

        Args:
            *tensors: inputs of ``forward`` that it modified in place.
        """
        self._cr_dirty.update(id(t) for t in tensors)

    def _release_saved(self) -> None:
        """Called by the graph node after backward without ``retain_graph``."""
        if self._cr_saved:
            self._cr_saved = ()
            self._cr_versions = ()
            self._cr_released = True


class Function:
    """Base class of user-defined differentiable operations.

    Subclass it with two static methods and call ``MyFn.apply(*args)``:

    - ``forward(ctx, *args, **kwargs)`` computes the outputs (a tensor or a tuple; non-tensor
      values allowed) from any mix of tensors and other values. It runs under ``no_grad``.
    - ``backward(ctx, *grad_outputs)`` gets one gradient per output of forward (``None`` for
      non-tensor outputs) and returns one gradient per positional argument of forward:
      a tensor of the argument's shape (or one that sums to it), or ``None`` (always for
      non-tensor arguments and wherever ``ctx.needs_input_grad[i]`` is False).

    Alternatively ``forward(*args)`` without ctx plus
    ``setup_context(ctx, inputs, output)``, as in PyTorch 2. The outputs' ``grad_fn`` is
    named ``<ClassName>Backward``. Higher-order gradients are not supported.

    Example:
        >>> import chainrule as cr
        >>> class Square(cr.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad_output):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * grad_output
        >>> x = cr.tensor([3.0], requires_grad=True)
        >>> y = Square.apply(x)
        >>> y.grad_fn.name()
        'SquareBackward'
        >>> y.sum().backward()
        >>> x.grad.tolist()
        [6.0]
    """

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        """Computes the outputs; override it (see the class docstring)."""
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> Any:
        """Optional: fills ctx when ``forward`` does not take one (PyTorch 2 style)."""
        raise NotImplementedError("setup_context is not overridden.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        """Computes the gradients of the inputs; override it (see the class docstring)."""
        raise NotImplementedError(
            "You must implement the backward function for custom autograd.Function."
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            f"{type(self).__name__}: autograd.Function is not instantiated; call "
            f"{type(self).__name__}.apply(...) instead"
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Runs forward and records the call in the graph.

        Args:
            *args: forward's positional arguments (tensors are differentiable).
            **kwargs: forward's keyword arguments (never differentiated).

        Returns:
            What forward returned, with ``grad_fn`` set on its floating-point tensors when
            grad mode is on and some tensor argument requires grad.
        """
        name = cls.__name__ + "Backward"
        grad_on = is_grad_enabled()
        needs = tuple(grad_on and isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(name, needs)
        setup_style = cls.setup_context is not Function.setup_context
        with no_grad():
            if setup_style:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        if not any(needs):
            return outputs

        is_tuple = isinstance(outputs, tuple)
        originals = list(outputs) if is_tuple else [outputs]
        arg_ids = {id(a) for a in args if isinstance(a, Tensor)}
        returned = {id(o) for o in originals}
        for a in args:
            if id(a) in ctx._cr_dirty and id(a) not in returned:
                raise RuntimeError(
                    f"{name}: a tensor marked dirty with ctx.mark_dirty was not returned by "
                    "forward; return every tensor modified in place"
                )
        finals: list[Any] = []
        differentiable: list[bool] = []
        dirty: list[bool] = []
        for o in originals:
            if not isinstance(o, Tensor):
                finals.append(o)
                differentiable.append(False)
                dirty.append(False)
                continue
            # An input returned as is, or a tensor with its own history, gets a fresh alias
            # (giving it this node as grad_fn would rewrite someone else's history), unless
            # forward modified it in place: then its history is rewritten, as in-place ops do.
            is_dirty = id(o) in ctx._cr_dirty and id(o) in arg_ids
            dirty.append(is_dirty)
            fresh = not is_dirty and (id(o) in arg_ids or o.requires_grad)
            out = o.detach() if fresh else o
            finals.append(out)
            differentiable.append(o.is_floating_point() and id(o) not in ctx._cr_non_differentiable)

        ctx._cr_arg_shapes = tuple(tuple(a.shape) if isinstance(a, Tensor) else None for a in args)
        _C._attach_function_node(
            name,
            ctx,
            functools.partial(_run_backward, cls),
            [a if isinstance(a, Tensor) else None for a in args],
            [o if isinstance(o, Tensor) else None for o in finals],
            differentiable,
            dirty,
        )
        # Saved outputs would hold this node through their grad_fn (a cycle through C++
        # that Python's GC cannot see): keep history-free aliases, which share the version.
        out_by_id = {id(o): f for o, f in zip(originals, finals) if isinstance(o, Tensor)}
        if ctx._cr_saved:
            ctx._cr_saved = tuple(
                t.detach()
                if out_by_id.get(id(t)) is t and t is not None and t.grad_fn is not None
                else t
                for t in ctx._cr_saved
            )
        ctx._cr_non_differentiable = set()
        ctx._cr_dirty = set()
        return tuple(finals) if is_tuple else finals[0]


def _run_backward(
    cls: type[Function], ctx: FunctionCtx, grad_outputs: tuple[Tensor | None, ...]
) -> list[Tensor | None]:
    """Called by the C++ node: runs ``cls.backward`` and checks what it returned."""
    name = ctx._cr_name
    shapes = ctx._cr_arg_shapes
    result = cls.backward(ctx, *grad_outputs)
    if not isinstance(result, tuple):
        result = (result,)
    n = len(shapes)
    if len(result) < n or any(g is not None for g in result[n:]):
        raise RuntimeError(
            f"function {name} returned an incorrect number of gradients (expected {n}, "
            f"got {len(result)})"
        )
    grads: list[Tensor | None] = []
    for i, (g, shape) in enumerate(zip(result, shapes)):
        if shape is None:
            if g is not None:
                raise RuntimeError(
                    f"function {name} returned a gradient different than None at position "
                    f"{i + 1}, but the corresponding forward input was not a Tensor"
                )
            continue
        if g is None or not ctx.needs_input_grad[i]:
            grads.append(None)
            continue
        if not isinstance(g, Tensor):
            raise TypeError(
                f"function {name} returned a {type(g).__name__} as the gradient at position "
                f"{i + 1}; expected a Tensor or None"
            )
        if not _expandable_to(shape, tuple(g.shape)):
            raise RuntimeError(
                f"function {name} returned an invalid gradient at index {i} - got "
                f"{_shape_str(tuple(g.shape))} but expected shape compatible with "
                f"{_shape_str(shape)}"
            )
        grads.append(g)
    return grads


def once_differentiable(fn: F) -> F:
    """Marks a ``backward`` as not twice differentiable (a no-op: chainrule has no
    higher-order gradients yet); kept so PyTorch code ports unchanged."""
    return fn
