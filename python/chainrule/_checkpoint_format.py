"""The constants of the checkpoint format (``docs/checkpoint-format.md``), shared by the writer
(``serialization.py``) and the validating reader (``_checkpoint_reader.py``)."""

from __future__ import annotations

import reprlib
import struct
from typing import Any

MAGIC = b"\x89CRCKPT\n"
VERSION = 1
ALIGNMENT = 64
# magic, version, reserved, header length, header CRC-32, CRC-32 of the 28 bytes before it
PREFIX = struct.Struct("<8sIIQII")
TRAILER = struct.Struct("<I")
MAX_HEADER_BYTES = 256 << 20
MAX_DEPTH = 100  # containers nested inside each other; state dicts use 2-4
MAX_DIMS = 64
# Keeps element counts, byte sizes and strides far from int64 overflow in the core.
MAX_TENSOR_BYTES = 1 << 60
ITEMSIZE = {"float32": 4, "float64": 8, "int64": 8, "bool": 1}
FLOATING = frozenset({"float32", "float64"})

# Bounded reprs for error messages: a hostile header may hold a list of a million items or
# lists nested thousands deep, which a plain repr() would spell out (or recurse into).
_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6
_REPR.maxstring = _REPR.maxlong = _REPR.maxother = 40


def short(value: Any) -> str:
    """A repr of ``value`` cut to about 60 characters, in time and memory independent of it."""
    text = _REPR.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
