"""Module: the base class of every layer (registration, state dicts, train/eval, hooks).

Registration, traversal order and state-dict keys follow PyTorch's ``torch.nn.Module``, so
weights move between the two libraries by key.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from chainrule import _C
from chainrule.autograd.grad_mode import no_grad
from chainrule.nn.parameter import Buffer, Parameter

__all__ = ["Module"]

Tensor = _C.Tensor


class _IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (
            f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
            f"unexpected_keys={self.unexpected_keys})"
        )

    def __str__(self) -> str:
        return self.__repr__()


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class _RemovableHandle:
    """Removes a hook from the dict it was registered in."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self._hooks = hooks
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> _RemovableHandle:
        return self

    def __exit__(self, *args: object) -> None:
        self.remove()


class Module:
    """Base class for all layers and models.

    Subclasses set up their layers in ``__init__`` (after ``super().__init__()``) and define
    ``forward``. Assigning a :class:`Parameter`, a :class:`Module` or a :class:`Buffer` to an
    attribute registers it; calling the module runs ``forward`` with its hooks.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> class MLP(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc1 = nn.Linear(4, 8)
        ...         self.fc2 = nn.Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.fc2(self.fc1(x).relu())
        >>> [name for name, _ in MLP().named_parameters()]
        ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    training: bool
    _version: int = 1
    # Set per instance by __init__ (object.__setattr__, bypassing __setattr__); declared here
    # for the type checker only.
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Module | None]
    _forward_hooks: dict[int, Callable[..., Any]]
    _forward_pre_hooks: dict[int, Callable[..., Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments: "
                f"{args or ''}{kwargs or ''}"
            )
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", {})
        setattr_(self, "_buffers", {})
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_modules", {})
        setattr_(self, "_forward_hooks", {})
        setattr_(self, "_forward_pre_hooks", {})

    # ---- calling ------------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> _RemovableHandle:
        """Calls ``hook(module, args)`` before ``forward``; a non-None result replaces args."""
        handle = _RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable[..., Any]) -> _RemovableHandle:
        """Calls ``hook(module, args, output)`` after ``forward``; a non-None result replaces
        the output."""
        handle = _RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ---- registration -------------------------------------------------------------------

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Adds a parameter (or a ``None`` placeholder) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(chainrule.nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must "
                "be created explicitly; compute them from other tensors inside forward()"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Adds a buffer: state that is not trained (running statistics, for instance).

        Args:
            name: the attribute name.
            tensor: the buffer, or None.
            persistent: whether it is part of ``state_dict()``.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(Tensor or None required)"
            )
        if isinstance(tensor, Buffer):
            tensor = Tensor(tensor, False)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Adds a child module under ``name`` (its parameters get the prefix ``name.``)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    @staticmethod
    def _check_name(name: str, what: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string; got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f'{what} name can\'t be empty or contain "."; got {name!r}')

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, self.__dict__, self._buffers, self._modules)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(chainrule.nn.Parameter or None expected)"
                )
            params[name] = None
            return
        modules = self.__dict__.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, self.__dict__, params, self._buffers)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(chainrule.nn.Module or None expected)"
                )
            modules[name] = value
            return
        buffers = self.__dict__.get("_buffers")
        if isinstance(value, Buffer):
            if buffers is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            self._remove_from(name, self.__dict__, params, modules)
            self.register_buffer(name, value, value.persistent)
            return
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(Tensor or None expected)"
                )
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name: str, *dicts: Any) -> None:
        for d in dicts:
            if d is not None and name in d:
                del d[name]

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: parameters, buffers and children live in
        # their own dicts so that registration order is kept.
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        keys = list(super().__dir__())
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(keys))

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` (``""`` is the module itself)."""
        mod: Module = self
        if target == "":
            return mod
        for item in target.split("."):
            if item not in mod._modules or mod._modules[item] is None:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
            mod = mod._modules[item]  # type: ignore[assignment]
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}`")
        return mod._parameters[name]  # type: ignore[return-value]

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._buffers:
            raise AttributeError(f"{type(mod).__name__} has no buffer `{name}`")
        return mod._buffers[name]  # type: ignore[return-value]

    # ---- traversal (PyTorch's order: a module's own entries, then its children's) -----

    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Yields ``(name, module)`` for this module and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub_prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """Yields this module and every descendant (each once)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yields ``(name, child)`` for the direct children (each once)."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """Yields the direct children."""
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, store: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for name, value in getattr(module, store).items():
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Yields ``(dotted name, parameter)``; a shared parameter appears once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yields every parameter (the optimizer's input), in PyTorch's order."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Yields ``(dotted name, buffer)``."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yields every buffer."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    # ---- modes and gradients ------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Sets training mode (dropout active, batch statistics) on this module and its
        descendants. Returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: training mode is expected to be a bool; got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Sets evaluation mode; the same as ``train(False)``. Returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Sets ``requires_grad`` on every parameter (freezing or unfreezing). Returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of every parameter: to None (default) or to zeros."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g.grad_fn is not None:
                    g = g.detach()
                    p.grad = g
                g.zero_()

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Calls ``fn`` on every child (recursively), then on self. Returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ---- dtype --------------------------------------------------------------------------

    def _apply_to_tensors(self, fn: Callable[[Tensor], Tensor]) -> Module:
        """Replaces the data of every floating parameter, gradient and buffer by ``fn`` of
        it, in place, so that references (an optimizer's) stay valid."""
        with no_grad():
            for module in self.modules():
                for p in module._parameters.values():
                    if p is None or not p.is_floating_point():
                        continue
                    p.data = fn(p.data)
                    if p.grad is not None:
                        p.grad.data = fn(p.grad.data)
                for name, b in module._buffers.items():
                    if b is not None and b.is_floating_point():
                        module._buffers[name] = fn(b)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Casts floating parameters and buffers: ``to(dtype)``, ``to(device)``,
        ``to(tensor)`` or ``to(device, dtype)`` (the device is always the CPU). Returns self.
        """
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, _C.dtype):
                dtype = arg
            elif isinstance(arg, Tensor):
                dtype = arg.dtype
            else:
                device = arg
        if device is not None:
            from chainrule._device import device as _device

            _device(device)  # validates: anything but the CPU raises
        if dtype is None:
            return self
        if dtype not in (_C.dtype.float32, _C.dtype.float64):
            raise TypeError(f"to: nn.Module.to only accepts floating point dtypes; got {dtype!r}")
        return self._apply_to_tensors(lambda t: t.to(dtype))

    def float(self) -> Module:
        """Casts floating parameters and buffers to float32. Returns self."""
        return self.to(_C.dtype.float32)

    def double(self) -> Module:
        """Casts floating parameters and buffers to float64. Returns self."""
        return self.to(_C.dtype.float64)

    def cpu(self) -> Module:
        """Returns self: chainrule runs on the CPU."""
        return self

    # ---- state dicts --------------------------------------------------------------------

    def _save_to_state_dict(
        self, destination: dict[str, Any], prefix: str, keep_vars: bool
    ) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(
        self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict[str, Tensor]:
        """The parameters and persistent buffers by dotted name, in PyTorch's order and with
        PyTorch's keys. Values share storage with the module (detached unless
        ``keep_vars``)."""
        if args:  # torch's deprecated positional form: (destination, prefix, keep_vars)
            destination, *rest = args
            if rest:
                prefix = rest[0]
            if len(rest) > 1:
                keep_vars = rest[1]
        if destination is None:
            destination = OrderedDict()
        # Every path to a shared submodule gets its keys, as in PyTorch.
        modules = self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False)
        for module_prefix, module in modules:
            sub = module_prefix + "." if module_prefix else ""
            module._save_to_state_dict(destination, sub, keep_vars)
        return destination  # type: ignore[no-any-return]

    def _state_entries(self) -> dict[str, tuple[Module, str, Tensor | None, bool]]:
        """Every state-dict key -> (owning module, local name, current value, is_param)."""
        entries: dict[str, tuple[Module, str, Tensor | None, bool]] = {}
        for module_prefix, module in self.named_modules(remove_duplicate=False):
            sub = module_prefix + "." if module_prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    entries[sub + name] = (module, name, param, True)
            for name, buf in module._buffers.items():
                if buf is not None and name not in module._non_persistent_buffers_set:
                    entries[sub + name] = (module, name, buf, False)
        return entries

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> _IncompatibleKeys:
        """Copies values from ``state_dict`` into the parameters and buffers, by key.

        All or nothing: every key, shape and value is checked before anything is copied, so a
        rejected state dict leaves the module unchanged.

        Args:
            state_dict: a mapping from dotted names to tensors (or arrays/numbers).
            strict: whether missing and unexpected keys are errors.
            assign: whether to assign the loaded tensors instead of copying into the
                existing ones (they then become the module's parameters/buffers).

        Returns:
            A named tuple ``(missing_keys, unexpected_keys)``.

        Raises:
            RuntimeError: on missing/unexpected keys (strict) or a shape mismatch, with
                PyTorch's "Error(s) in loading state_dict" message.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Expected state_dict to be dict-like, got {type(state_dict).__name__}."
            )
        entries = self._state_entries()
        missing = [k for k in entries if k not in state_dict]
        unexpected = [k for k in state_dict if k not in entries]
        errors: list[str] = []
        plan: list[tuple[Module, str, Tensor, Tensor, bool]] = []
        for key, (module, name, current, is_param) in entries.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                try:
                    from chainrule._creation import as_tensor

                    value = as_tensor(value)
                except Exception:
                    errors.append(
                        f'While copying the parameter named "{key}", expected a Tensor or '
                        f"an array-like from checkpoint but received {type(value).__name__}"
                    )
                    continue
            assert current is not None
            if tuple(value.shape) != tuple(current.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape "
                    f"{_shape_repr(value.shape)} from checkpoint, the shape in current model "
                    f"is {_shape_repr(current.shape)}."
                )
                continue
            if value.dtype == _C.dtype.bool and current.dtype != _C.dtype.bool:
                errors.append(
                    f"dtype mismatch for {key}: cannot load a bool tensor into {current.dtype!r}"
                )
                continue
            plan.append((module, name, current, value, is_param))
        if strict:
            if unexpected:
                errors.insert(
                    0,
                    "Unexpected key(s) in state_dict: "
                    + ", ".join(f'"{k}"' for k in unexpected)
                    + ". ",
                )
            if missing:
                errors.insert(
                    0,
                    "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ",
                )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        with no_grad():
            for module, name, current, value, is_param in plan:
                if assign:
                    if is_param:
                        module._parameters[name] = Parameter(value, current.requires_grad)
                    else:
                        module._buffers[name] = value
                else:
                    current.copy_(value)
        return _IncompatibleKeys(missing, unexpected)

    # ---- repr ---------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (override in layers)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, module in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(module), 2))
        if not lines:
            return self._get_name() + "()"
        if len(lines) == 1 and not self._modules:
            return f"{self._get_name()}({lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def _shape_repr(shape: tuple[int, ...]) -> str:
    return f"chainrule.Size({list(shape)})"
