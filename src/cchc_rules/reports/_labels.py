"""Bilingual labels and headers, legends, and how numbers read in every report."""

from __future__ import annotations

from decimal import Decimal

from cchc_rules.kinds import number_text

__all__ = ["LABELS", "both", "header", "label", "legend"]

# Labels, Vietnamese first with English beside: both languages show in the terminal
# so a mixed audience reads the same table; --lang picks which comes first.
LABELS: dict[str, tuple[str, str]] = {
    "rank": ("Hạng", "Rank"),
    "unit_id": ("Mã", "ID"),
    "unit": ("Đơn vị", "Unit"),
    "unit_type": ("Loại", "Type"),
    "points": ("Điểm", "Points"),
    "max": ("Tối đa", "Max"),
    "index": ("Chỉ số %", "Index %"),
    "grade": ("Xếp loại", "Grade"),
    "criterion": ("Tiêu chí", "Criterion"),
    "reason": ("Lý do", "Reason"),
    "hint": ("Để tăng điểm", "To raise it"),
    "peer_group": ("Nhóm", "Group"),
    "not_applicable": ("không áp dụng", "not applicable"),
    "total": ("Tổng", "Total"),
    "before": ("Trước", "Before"),
    "after": ("Sau", "After"),
    "movement": ("Thay đổi hạng", "Movement"),
    "index_change": ("Δ Chỉ số", "Δ Index"),
    "field": ("Trường", "Field"),
    "change": ("Thay đổi", "Change"),
    "area": ("Lĩnh vực", "Area"),
    "why": ("Lý do", "Why"),
    "warning": ("Cảnh báo", "Warning"),
    "warnings": ("Cảnh báo", "Warnings"),
    "row": ("Dòng", "Row"),
    "check": ("Kiểm tra", "Check"),
    "message": ("Nội dung", "Message"),
}


def label(key: str, lang: str, *, both: bool = True, sep: str = " / ") -> str:
    """The label for ``key``: in ``lang``, with the other language beside unless not ``both``."""
    vi, en = LABELS[key]
    if not both:
        return vi if lang == "vi" else en
    return f"{vi}{sep}{en}" if lang == "vi" else f"{en}{sep}{vi}"


def header(key: str, lang: str) -> str:
    """A column header on two lines: the chosen language above, the other below."""
    return label(key, lang, sep="\n")


def both(vi: str, en: str, lang: str) -> str:
    """A title in both languages on one line, ``lang`` first."""
    return f"{vi} / {en}" if lang == "vi" else f"{en} / {vi}"


def legend(lang: str, texts: tuple[str, str]) -> str:
    """A legend in both languages on two lines, ``lang`` first."""
    vi, en = texts
    return f"{vi}\n{en}" if lang == "vi" else f"{en}\n{vi}"


# The two ways a decimal reads, used by every report (named private: a public
# decimal-to-text helper is to replace them).
def _plain(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return number_text(value)


def _fixed(value: Decimal | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"
