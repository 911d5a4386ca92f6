"""The optional libraries of the HTML and PDF outputs, and the error naming their extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from cchc_rules.errors import CchcError, Problem

__all__ = ["require"]

# NOTE: the HTML report's libraries (Jinja2, Altair, vl-convert) are the ``report`` extra
# and WeasyPrint the ``pdf`` extra, not core dependencies: scoring, CSV, JSON and XLSX
# work without them, and WeasyPrint needs Pango from the operating system.
_EXTRAS = {
    "jinja2": "report",
    "markupsafe": "report",
    "altair": "report",
    "vl_convert": "report",
    "weasyprint": "pdf",
}


def require(module: str, what: str) -> ModuleType:
    """``module``, imported; if it is missing, an error saying which extra installs it.

    ``what`` names the output that needs it (``--pdf``, ``report.html``), so the message
    starts with what the user asked for.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = _EXTRAS[module]
        raise CchcError(
            [
                Problem(
                    what,
                    None,
                    "",
                    f"needs {exc.name or module}, which is not installed (or failed to load: "
                    f"{exc}); install the extra: pip install 'cchc-rules[{extra}]'",
                )
            ]
        ) from exc
