"""A provenance record as people read it (a sheet's rows) and as CSV comment lines.

The record is JSON (``results._provenance``, or a published run's record from the
store, which adds the run, campaign and time): known keys get bilingual labels, any
other key shows under its key path, so a newer record never loses a line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cchc_rules.results._provenance import record_lines

__all__ = ["comment_lines", "provenance_rows"]

_LABELS: dict[str, tuple[str, str]] = {
    "run": ("Lần công bố", "Run"),
    "campaign": ("Đợt đánh giá", "Campaign"),
    "supersedes": ("Thay thế lần công bố", "Supersedes"),
    "ruleset.ref": ("Bộ tiêu chí", "Ruleset"),
    "ruleset.title": ("Tên bộ tiêu chí", "Title"),
    "ruleset.content_hash": ("Mã băm nội dung (SHA-256)", "Content hash (SHA-256)"),
    "ruleset.period": ("Kỳ đánh giá", "Period"),
    "ruleset.why": ("Lý do chọn phiên bản", "Why this version"),
    "cchc_rules": ("Phiên bản cchc-rules", "cchc-rules version"),
    "python": ("Phiên bản Python", "Python version"),
    "who": ("Người thực hiện", "By"),
    "time": ("Thời điểm", "Time"),
    "events": ("Sự kiện cuối cùng", "Last event"),
    "input": ("Tệp đầu vào", "Input file"),
    "input_hash": ("SHA-256 của tệp", "File SHA-256"),
    "plugin": ("Plugin", "Plugin"),
    "option": ("Tùy chọn", "Option"),
}


def _label(key: str, lang: str) -> str:
    vi, en = _LABELS[key]
    return vi if lang == "vi" else en


def _plugin_text(plugin: Mapping[str, Any]) -> str:
    if plugin.get("distribution"):
        return f"{plugin['distribution']} {plugin.get('version')} [{plugin.get('name')}]"
    return str(plugin.get("source"))


def provenance_rows(record: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """``(label, value)`` rows of a provenance sheet, in the record's order; empty
    values are left out."""
    rows: list[tuple[str, str]] = []
    for key, value in record.items():
        if key == "inputs" and isinstance(value, list):
            for item in value:
                kind = item.get("kind", "")
                rows.append((f"{_label('input', lang)} ({kind})", str(item.get("name"))))
                rows.append((_label("input_hash", lang), str(item.get("sha256"))))
        elif key == "plugins" and isinstance(value, list):
            rows += [(_label("plugin", lang), _plugin_text(item)) for item in value]
        elif key == "options" and isinstance(value, Mapping):
            rows += [(f"{_label('option', lang)}: {k}", str(v)) for k, v in value.items()]
        else:
            for path, text in record_lines({key: value}):
                if text:
                    shown = _label(path, lang) if path in _LABELS else path
                    rows.append((shown, text))
    return rows


def comment_lines(record: Mapping[str, Any]) -> bytes:
    """The record as ``# key.path: value`` lines, for the top of a CSV file.

    A value's line breaks become spaces: each line of the block stays one comment line.
    """
    lines = [
        f"# provenance.{path}: {' '.join(text.splitlines())}" for path, text in record_lines(record)
    ]
    return ("\n".join(lines) + "\n").encode()
