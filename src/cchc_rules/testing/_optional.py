"""pytest and hypothesis: the ``testing`` extra, imported only by the parts that need them."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["missing_extra", "require"]


def missing_extra(module: str) -> ImportError:
    """The error for a kit part whose test library ``module`` is not installed."""
    return ImportError(
        f"this part of cchc_rules.testing needs {module}, which is not installed: "
        "pip install 'cchc-rules[testing]'"
    )


def require(module: str) -> ModuleType:
    """``module``, or the ImportError saying which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise missing_extra(module) from exc
