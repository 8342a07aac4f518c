"""The ``Optimizer`` base class: parameter groups, per-parameter state, state dicts.

The update math of the concrete optimizers runs in C++ (``chainrule._C._optim``), one fused
call per parameter group per ``step()``; this module only organises tensors and options, with
PyTorch's semantics and state-dict layout.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any, Union

from chainrule import _C
from chainrule._creation import get_default_dtype, tensor
from chainrule.autograd.grad_mode import enable_grad

Tensor = _C.Tensor

__all__ = ["Optimizer", "ParamsT", "required"]

ParamsT = Union[Iterable[Tensor], Iterable[dict[str, Any]], Iterable[tuple[str, Tensor]]]
StateDict = dict[str, Any]


class _RequiredParameter:
    """Singleton marking an option that every parameter group must set."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj: Any) -> str:
    if isinstance(obj, Tensor):
        return "chainrule.Tensor"
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", "__builtin__") else f"{module}.{name}"


def _to_scalar(x: Any) -> float:
    """A hyper-parameter as a Python float (a one-element tensor gives its value)."""
    if isinstance(x, Tensor):
        if x.numel() != 1:
            raise ValueError("Tensor hyper-parameters must be 1-element")
        return float(x.item())
    return float(x)


def _check_flags(
    *,
    differentiable: bool,
    foreach: bool | None = None,
    fused: bool | None = None,
    capturable: bool = False,
) -> None:
    """PyTorch's implementation switches: the fused C++ update serves them all."""
    if differentiable:
        raise ValueError(
            "differentiable=True is not supported: chainrule's optimizers update "
            "parameters in place without recording a graph"
        )
    if capturable:
        raise ValueError("capturable=True is not supported: it applies to CUDA graphs only")
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _copy_value(value: Any) -> Any:
    """A copy of a param-group value that shares no tensor or container with `value`."""
    if isinstance(value, Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _copy_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_value(v) for v in value)
    return value


class Optimizer:
    r"""Base class for all optimizers (PyTorch's ``torch.optim.Optimizer``).

    An optimizer holds ``param_groups``, a list of dicts each with a ``"params"`` list and
    that group's options (the constructor's ``defaults`` fill in any option a group leaves
    out), and ``state``, a dict from parameter to that parameter's state (moment buffers,
    step counters). Subclasses implement :meth:`step`, gathering each group's parameters
    that have a gradient and calling one fused C++ update per group.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs (as from
            ``named_parameters()``), or of dicts defining parameter groups (each with a
            ``"params"`` entry and optional per-group options).
        defaults: default values of the optimization options, used by groups that do not
            set them.

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = cr.optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w.tolist()
        [0.800000011920929, 1.600000023841858]
    """

    # Keys of per-parameter state that hold tensors shaped like the parameter (checked by
    # load_state_dict); subclasses list theirs.
    _param_shaped_state: tuple[str, ...] = ()

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if not isinstance(defaults, dict):
            raise TypeError(f"Optimizer: defaults must be a dict; got {_typename(defaults)}")
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be "
                "an iterable of Tensors or dicts, but got " + _typename(params)
            )
        self.state: defaultdict[Any, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        param_groups: list[Any] = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ---- pickling / representation --------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {
            "defaults": self.defaults,
            "state": self.state,
            "param_groups": self.param_groups,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        # State from an older object may lack newer options or hold Python-number steps.
        self.__dict__.update(state)
        for group in self.param_groups:
            for key, value in self.defaults.items():
                group.setdefault(key, value)
            for p in group["params"]:
                p_state = self.state.get(p)
                if p_state and "step" in p_state and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = _step_tensor(float(p_state["step"]))

    def __repr__(self) -> str:
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # ---- parameter groups --------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group to :attr:`param_groups`.

        Useful when fine-tuning: frozen layers can be made trainable and added to the
        optimizer as training progresses.

        Args:
            param_group: a dict with a ``"params"`` entry (a tensor, or an ordered collection
                of tensors or ``(name, tensor)`` pairs) and optional group options; options
                it does not set take the optimizer's defaults.

        Raises:
            TypeError: `param_group` is not a dict, ``params`` is a set, or an entry is not
                a tensor.
            ValueError: a tensor is not a leaf, a required option is missing, names are
                given for some parameters only, or a parameter is already in another group.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")

        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. "
                "Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        extracted_param_tensors = []
        extracted_param_names = []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                extracted_param_names.append(param[0])
                extracted_param_tensors.append(param[1])
            else:
                extracted_param_tensors.append(param)
        param_group["params"] = extracted_param_tensors
        if len(extracted_param_names) != 0:
            if len(extracted_param_names) == len(extracted_param_tensors):
                param_group["param_names"] = extracted_param_names
            else:
                raise ValueError(
                    "all optimizer params should be with/without names. "
                    "Some param names are missing"
                )

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, "
                    "but one of the params is " + _typename(param)
                )
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error; "
                "see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )

        param_set: set[int] = set()
        for group in self.param_groups:
            param_set.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                current_group_txt = (
                    "with names" if "param_names" in param_group else "without names"
                )
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {current_group_txt} to the optimizer"
                )
        if not param_set.isdisjoint(id(p) for p in params):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    # ---- gradients ---------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none: set each ``.grad`` to None (the default: less memory, and a
                parameter that gets no gradient in the next backward is then skipped by
                ``step()``) instead of filling it with zeros.
        """
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad.requires_grad_(False)
                    grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step (update every parameter that has a grad).

        Args:
            closure: a callable that re-evaluates the model and returns the loss; it is
                called under ``enable_grad()`` before the update.

        Returns:
            The closure's return value, or None without a closure.
        """
        raise NotImplementedError

    def _fused_steps(self, closure: Callable[[], Any] | None) -> Any:
        """``step()`` of the built-in optimizers: the closure, then one fused call per group.

        For each group, the parameters that have a gradient (others are skipped, as in
        PyTorch) and their state lists (``self._init_group``, which creates missing state)
        go to ``self._update`` in one call. A group listing a tensor twice (PyTorch warns
        about it and updates it twice) is updated one entry at a time, as PyTorch's loop does.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            params: list[Tensor] = []
            grads: list[Tensor] = []
            for p in group["params"]:
                g = p.grad
                if g is not None:
                    params.append(p)
                    grads.append(g)
            if not params:
                continue
            lists = self._init_group(group, params)
            try:
                self._update(group, params, grads, *lists)
            except ValueError:
                # The C++ step checks everything before writing anything; a repeated tensor
                # is one of the things it rejects, and the only one retried here.
                if len({id(p) for p in params}) == len(params):
                    raise
                for i in range(len(params)):
                    single = [None if lst is None else [lst[i]] for lst in lists]
                    self._update(group, [params[i]], [grads[i]], *single)
        return loss

    def _init_group(self, group: dict[str, Any], params: list[Tensor]) -> tuple[Any, ...]:
        """The state lists of `params` (one entry per parameter, or None for an unused
        list), creating missing state."""
        raise NotImplementedError

    def _update(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *lists: Any
    ) -> None:
        """One fused C++ update of `params` with the group's options."""
        raise NotImplementedError

    # ---- state dicts -------------------------------------------------------------------
    def state_dict(self) -> StateDict:
        """The optimizer's state as a dict, in PyTorch's layout.

        Returns:
            ``{"state": {index: {name: value}}, "param_groups": [group, ...]}``: ``state``
            maps a parameter's index (its position counting through the groups in order) to
            its state (e.g. ``{"step": tensor(3.), "exp_avg": ..., "exp_avg_sq": ...}``);
            each group holds its options and ``"params"``, the indices of its parameters.
            The state tensors are the optimizer's own (not copies), as in PyTorch.
        """
        param_mappings: dict[int, int] = {}
        start_index = 0

        def pack_group(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update(
                {
                    id(p): i
                    for i, p in enumerate(group["params"], start_index)
                    if id(p) not in param_mappings
                }
            )
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (param_mappings[id(k)] if isinstance(k, Tensor) else k): v
            for k, v in self.state.items()
        }
        return {"state": packed_state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: StateDict) -> None:
        """Load an optimizer state produced by :meth:`state_dict` (or by PyTorch's).

        The groups must match this optimizer's in number and sizes; state tensors are copied
        (cast to their parameter's dtype), so the loaded optimizer shares no tensor with
        `state_dict`. Either everything is loaded or, on an error, nothing changes.

        Args:
            state_dict: the state to load.

        Raises:
            ValueError: the number of groups, a group's size, or a state tensor's shape
                does not match.
        """
        if (
            not isinstance(state_dict, dict)
            or "param_groups" not in state_dict
            or ("state" not in state_dict)
        ):
            raise ValueError(
                "loaded state dict must be a dict with 'state' and 'param_groups' entries"
            )
        groups = self.param_groups
        saved_groups = [_copy_value(g) for g in state_dict["param_groups"]]

        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, s in zip(groups, saved_groups):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group "
                    "that doesn't match the size of optimizer's group"
                )

        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )

        state: defaultdict[Any, Any] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = self._load_param_state(param, k, v)
            else:
                state[k] = _copy_value(v)

        def update_group(group: dict[str, Any], new_group: dict[str, Any]) -> dict[str, Any]:
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

    def _load_param_state(self, param: Tensor, index: Any, value: Any) -> Any:
        """A copy of one parameter's loaded state, cast to the parameter's dtype."""
        if not isinstance(value, dict):
            return _copy_value(value)
        out = {}
        for key, v in value.items():
            if isinstance(v, Tensor):
                v = v.detach()
                if key == "step":
                    v = v.clone()
                else:
                    if key in self._param_shaped_state and tuple(v.shape) != tuple(param.shape):
                        raise ValueError(
                            f"loaded state dict has a '{key}' of shape {tuple(v.shape)} for "
                            f"parameter {index} of shape {tuple(param.shape)}"
                        )
                    if param.is_floating_point() and v.dtype != param.dtype:
                        v = v.to(param.dtype)
                    else:
                        v = v.clone()
            elif key == "step":
                v = _step_tensor(float(v))
            else:
                v = _copy_value(v)
            out[key] = v
        return out


def _step_dtype() -> Any:
    """dtype of step counters: float32, or float64 when that is the default dtype (as torch)."""
    f64 = _C.dtype.float64
    return f64 if get_default_dtype() == f64 else _C.dtype.float32


def _step_tensor(value: float = 0.0) -> Tensor:
    """A 0-d step counter holding `value`."""
    return tensor(value, dtype=_step_dtype())
