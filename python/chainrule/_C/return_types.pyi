# Type stubs for chainrule._C.return_types: the named tuples (collections.namedtuple, with
# __module__ "chainrule.return_types") that max/min(dim), sort and topk return.

from typing import NamedTuple

from chainrule._C import Tensor

class max(NamedTuple):
    values: Tensor
    indices: Tensor

class min(NamedTuple):
    values: Tensor
    indices: Tensor

class sort(NamedTuple):
    values: Tensor
    indices: Tensor

class topk(NamedTuple):
    values: Tensor
    indices: Tensor
