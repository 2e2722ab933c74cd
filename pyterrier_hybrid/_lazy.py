"""Lazy exports (PEP 562): a package's public names are imported from their modules on first access, so
``import pyterrier_hybrid`` does not pull in torch / sentence-transformers / pyterrier-dr until they are used.
Each public name is written once, in the ``{module: names}`` table given to :func:`lazy_exports`."""
from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable


def lazy_exports(package: str, modules: dict[str, tuple[str, ...]]
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package``: ``modules`` maps each module (relative to
    ``package``, or an absolute module name such as ``datasets_ext`` when no such submodule exists) to the public
    names it defines; any other public name that is a submodule is imported as one."""
    exports = {name: module for module, names in modules.items() for name in names}
    if len(exports) != sum(map(len, modules.values())):
        raise ValueError(f"{package}: a public name is listed twice")

    def __getattr__(name: str) -> object:
        if name in exports:
            value = getattr(importlib.import_module(_resolve(package, exports[name])), name)
        elif not name.startswith("_") and importlib.util.find_spec(f"{package}.{name}") is not None:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)  # later accesses are plain attribute lookups
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__, sorted(exports)


def _resolve(package: str, module: str) -> str:
    """``package.module`` when that module exists, else ``module`` as an absolute name."""
    try:
        return f"{package}.{module}" if importlib.util.find_spec(f"{package}.{module}") else module
    except ModuleNotFoundError:  # a parent of the relative name does not exist
        return module
