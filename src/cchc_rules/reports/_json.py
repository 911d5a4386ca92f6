"""JSON: report tables, an explanation, a ruleset diff; decimals as exact strings."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from cchc_rules.reports._labels import _fixed, _plain
from cchc_rules.reports._table import ReportTable
from cchc_rules.results._scorecards import Explanation
from cchc_rules.ruleset._diff import RulesetDiff

__all__ = ["diff_json", "explanation_json", "json_bytes", "table_json"]


def json_bytes(document: Any) -> bytes:
    """A document as every JSON output writes it: UTF-8, indented, a final newline."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def _json_value(value: Any) -> Any:
    # NOTE: points and indexes are written as decimal strings ("7.25"): a JSON number
    # would be read back as a binary float by most tools, losing the exactness we keep.
    if isinstance(value, Decimal):
        return _plain(value)
    return value


def table_json(table: ReportTable) -> bytes:
    """The table's document, its provenance record (if any), then its rows under ``units``."""
    rows = table.rows.to_pylist()
    units = [{k: _json_value(v) for k, v in row.items()} for row in rows]
    provenance = {} if table.provenance is None else {"provenance": table.provenance}
    warnings = {} if table.warnings is None else {"warnings": table.warnings}
    return json_bytes({**table.document, **provenance, **warnings, "units": units})


def explanation_json(explanation: Explanation) -> bytes:
    """One unit's result and every criterion's points, reason and hint."""
    document = {
        "unit_id": explanation.unit_id,
        "name": explanation.name,
        "unit_type": explanation.unit_type,
        "peer_group": explanation.peer_group,
        "ruleset": explanation.ruleset,
        "content_hash": explanation.content_hash,
        "total": _plain(explanation.total),
        "applicable_max": _plain(explanation.applicable_max),
        "index": _fixed(explanation.index, explanation.index_decimals)
        if explanation.index is not None
        else None,
        "grade": explanation.grade,
        "rank": explanation.rank,
        "group_size": explanation.group_size,
        "status": explanation.status,
        "status_reason": explanation.status_reason,
        **({} if explanation.warnings is None else {"warnings": list(explanation.warnings)}),
        "criteria": [
            {
                "id": line.id,
                "name": line.name,
                "area": line.area_id,
                "scored": line.is_leaf,
                "points": _plain(line.points) if line.points is not None else None,
                "max_points": _plain(line.max_points),
                "applicable_max": _plain(line.applicable_max),
                "reason_code": line.reason_code,
                "reason": line.reason,
                "hint": line.hint,
                "evidence": list(line.evidence),
                "legal_ref": line.legal_ref,
            }
            for line in explanation.lines
        ],
    }
    return json_bytes(document)


def diff_json(diff: RulesetDiff) -> bytes:
    """What changed between two versions, as :meth:`RulesetDiff.to_json` lays it out."""
    return json_bytes(diff.to_json())
