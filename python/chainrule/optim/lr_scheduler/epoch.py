"""The schedulers whose learning rate is a function of the epoch count: LambdaLR, StepLR,
MultiStepLR, LinearLR, ExponentialLR and CosineAnnealingLR.
"""

from __future__ import annotations

import math
import types
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from chainrule.optim.lr_scheduler.base import (
    LRScheduler,
    _param_groups_val_list,
    _warn_get_lr_called_within_step,
)
from chainrule.optim.optimizer import Optimizer


class LambdaLR(LRScheduler):
    """Set each group's learning rate to its initial lr times a function of the epoch.

    ``lr = initial_lr * lr_lambda(last_epoch)``.

    Args:
        optimizer: the wrapped optimizer.
        lr_lambda: a function of the epoch (an int) giving a multiplicative factor, or a
            list of such functions, one per parameter group.
        last_epoch: index of the last epoch (default: -1, a new schedule).

    Raises:
        ValueError: a list of `lr_lambda` does not have one function per group.

    Example:
        >>> import chainrule as cr
        >>> opt = cr.optim.SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = cr.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.5 ** epoch)
        >>> opt.step(); sched.step(); sched.get_last_lr()
        [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):  # before optimizer.param_groups below
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        self.lr_lambdas: list[Callable[[int], float]]
        if not isinstance(lr_lambda, (list, tuple)):
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        else:
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(
                    f"Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}"
                )
            self.lr_lambdas = list(lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state; the lambdas are saved only when they are callable objects
        (their ``__dict__``), not plain functions or lambdas.

        Returns:
            A dict of the scheduler's attributes with ``lr_lambdas`` replaced as described.
        """
        state_dict = {
            key: value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "lr_lambdas")
        }
        state_dict["lr_lambdas"] = [None] * len(self.lr_lambdas)
        for idx, fn in enumerate(self.lr_lambdas):
            if not isinstance(fn, types.FunctionType):
                state_dict["lr_lambdas"][idx] = fn.__dict__.copy()
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state returned by :meth:`state_dict`.

        Args:
            state_dict: the scheduler state.
        """
        lr_lambdas = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        state_dict["lr_lambdas"] = lr_lambdas  # leave the caller's dict as it was
        for idx, fn in enumerate(lr_lambdas):
            if fn is not None:
                self.lr_lambdas[idx].__dict__.update(fn)

    def get_lr(self) -> list[Any]:
        """``base_lr * lr_lambda(last_epoch)`` for each group."""
        _warn_get_lr_called_within_step(self)
        return [
            base_lr * lmbda(self.last_epoch)
            for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs)
        ]


class StepLR(LRScheduler):
    """Decay each group's learning rate by `gamma` every `step_size` epochs.

    ``lr = initial_lr * gamma ** (last_epoch // step_size)`` (applied recursively, so other
    changes to the learning rate compose with it).

    Args:
        optimizer: the wrapped optimizer.
        step_size: period of the decay, in epochs.
        gamma: multiplicative factor of the decay (default: 0.1).
        last_epoch: index of the last epoch (default: -1, a new schedule).

    Example:
        >>> import chainrule as cr
        >>> opt = cr.optim.SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = cr.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """The groups' lr, times gamma when last_epoch is a nonzero multiple of step_size."""
        _warn_get_lr_called_within_step(self)
        if (self.last_epoch == 0) or (self.last_epoch % self.step_size != 0):
            return _param_groups_val_list(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[Any]:
        return [
            base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs
        ]


class MultiStepLR(LRScheduler):
    """Decay each group's learning rate by `gamma` at each milestone epoch.

    ``lr = initial_lr * gamma ** (number of milestones <= last_epoch)``; a milestone listed
    n times decays by ``gamma ** n``.

    Args:
        optimizer: the wrapped optimizer.
        milestones: epoch indices (increasing).
        gamma: multiplicative factor of the decay (default: 0.1).
        last_epoch: index of the last epoch (default: -1, a new schedule).

    Example:
        >>> import chainrule as cr
        >>> opt = cr.optim.SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = cr.optim.lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
        >>> lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.5, 0.25, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """The groups' lr, times gamma**count when last_epoch is a milestone."""
        _warn_get_lr_called_within_step(self)
        if self.last_epoch not in self.milestones:
            return _param_groups_val_list(self.optimizer, "lr")
        return [
            group["lr"] * self.gamma ** self.milestones[self.last_epoch]
            for group in self.optimizer.param_groups
        ]

    def _get_closed_form_lr(self) -> list[Any]:
        milestones = sorted(self.milestones.elements())
        return [
            base_lr * self.gamma ** bisect_right(milestones, self.last_epoch)
            for base_lr in self.base_lrs
        ]


class LinearLR(LRScheduler):
    """Scale each group's learning rate by a factor going linearly from `start_factor` to
    `end_factor` over `total_iters` epochs, then constant.

    ``lr = initial_lr * (start_factor + (end_factor - start_factor)
    * min(last_epoch, total_iters) / total_iters)``.

    Args:
        optimizer: the wrapped optimizer.
        start_factor: factor at epoch 0, in (0, 1] (default: 1/3).
        end_factor: factor from `total_iters` on, in [0, 1] (default: 1.0).
        total_iters: number of epochs of the ramp (default: 5).
        last_epoch: index of the last epoch (default: -1, a new schedule).

    Raises:
        ValueError: a factor is out of range.

    Example:
        >>> import chainrule as cr
        >>> opt = cr.optim.SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = cr.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.75, 1.0, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                "equal to 1."
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """The groups' lr, moved one step along the linear ramp."""
        _warn_get_lr_called_within_step(self)
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _param_groups_val_list(self.optimizer, "lr")
        return [
            group["lr"]
            * (
                1.0
                + (self.end_factor - self.start_factor)
                / (
                    self.total_iters * self.start_factor
                    + (self.last_epoch - 1) * (self.end_factor - self.start_factor)
                )
            )
            for group in self.optimizer.param_groups
        ]

    def _get_closed_form_lr(self) -> list[Any]:
        return [
            base_lr
            * (
                self.start_factor
                + (self.end_factor - self.start_factor)
                * min(self.total_iters, self.last_epoch)
                / self.total_iters
            )
            for base_lr in self.base_lrs
        ]


class ExponentialLR(LRScheduler):
    """Decay each group's learning rate by `gamma` every epoch: ``lr = initial_lr *
    gamma ** last_epoch``.

    Args:
        optimizer: the wrapped optimizer.
        gamma: multiplicative factor of the decay.
        last_epoch: index of the last epoch (default: -1, a new schedule).

    Example:
        >>> import chainrule as cr
        >>> opt = cr.optim.SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = cr.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        >>> opt.step(); sched.step(); sched.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """The groups' lr times gamma (unchanged by the constructor's first step)."""
        _warn_get_lr_called_within_step(self)
        # Resuming from a checkpoint, the constructor's step must not decay once more.
        if self._is_initial:
            return _param_groups_val_list(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[Any]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal each group's learning rate along a cosine from its initial value to
    `eta_min` over `T_max` epochs (without restarts).

    The closed form, from SGDR (Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with
    Warm Restarts", ICLR 2017, https://arxiv.org/abs/1608.03983)::

        lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * last_epoch / T_max)) / 2

    is applied recursively, as PyTorch does::

        lr_t = eta_min + (lr_{t-1} - eta_min)
                         * (1 + cos(pi t / T_max)) / (1 + cos(pi (t - 1) / T_max))

    Past `T_max` the learning rate climbs back along the same cosine.

    Args:
        optimizer: the wrapped optimizer.
        T_max: number of epochs of the half cosine.
        eta_min: minimum learning rate (default: 0).
        last_epoch: index of the last epoch (default: -1, a new schedule).

    Example:
        >>> import chainrule as cr
        >>> opt = cr.optim.SGD([cr.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = cr.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2)
        >>> lrs = []
        >>> for _ in range(2):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs
        [0.5, 0.0]
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        """The groups' lr moved one step along the cosine."""
        _warn_get_lr_called_within_step(self)
        if self._is_initial:
            return _param_groups_val_list(self.optimizer, "lr")
        if self._step_count == 1 and self.last_epoch > 0:
            return [
                self.eta_min
                + (base_lr - self.eta_min)
                * (1 + math.cos((self.last_epoch) * math.pi / self.T_max))
                / 2
                for base_lr in self.base_lrs
            ]
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return [
                group["lr"] + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                for base_lr, group in zip(self.base_lrs, self.optimizer.param_groups)
            ]
        return [
            (1 + math.cos(math.pi * self.last_epoch / self.T_max))
            / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
            * (group["lr"] - self.eta_min)
            + self.eta_min
            for group in self.optimizer.param_groups
        ]

    def _get_closed_form_lr(self) -> list[Any]:
        return [
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for base_lr in self.base_lrs
        ]
