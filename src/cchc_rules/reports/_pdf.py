"""PDF from one of our HTML documents, through WeasyPrint (the ``pdf`` extra)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from cchc_rules.reports._extras import require

__all__ = ["pdf_converter"]


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    # NOTE: our documents reference nothing outside themselves; refusing every fetch
    # keeps it so even if one did (no network access while making a PDF).
    raise ValueError(f"documents load nothing from outside (asked for {url!r})")


def pdf_converter() -> Callable[[bytes], bytes]:
    """What turns one of our HTML documents into a PDF (A4, by the documents' print
    styles). Raises at once if WeasyPrint is missing, before any document is made."""
    weasyprint = require("weasyprint", "--pdf")

    def convert(html: bytes) -> bytes:
        document = weasyprint.HTML(string=html.decode(), url_fetcher=_no_fetching)
        pdf: bytes = document.write_pdf()
        return pdf

    return convert
