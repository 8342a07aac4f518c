"""cr.config() and cr.show_config(): what this build is and what it runs with."""

from __future__ import annotations

import platform
from typing import Any

from chainrule import _C


def config() -> dict[str, Any]:
    """Version, compiler, OpenMP, thread count and the SIMD level the kernels use.

    Example:
        >>> import chainrule as cr
        >>> sorted(cr.config())[:3]
        ['compiler', 'cpu', 'num_threads']
    """
    from chainrule import __version__

    info = dict(_C._build_info())
    return {
        "compiler": info["compiler"],
        "cpu": platform.processor() or platform.machine(),
        "num_threads": _C.get_num_threads(),
        "openmp": info["openmp"],
        "python": platform.python_version(),
        "simd": info["simd"],
        "version": __version__,
    }


def show_config() -> None:
    """Prints :func:`config`, one ``key: value`` per line."""
    for key, value in config().items():
        print(f"{key}: {value}")
