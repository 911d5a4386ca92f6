"""Stores to test on: a SQLite file always, PostgreSQL when CCHC_TEST_POSTGRES_URL names
a database the tests may empty (every table of the store is dropped first)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cchc_rules import api
from cchc_rules.store._db import Store
from cchc_rules.store._location import store_url
from cchc_rules.store._schema import metadata

POSTGRES = os.environ.get("CCHC_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", *(["postgresql"] if POSTGRES else [])])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a fresh, empty store lives."""
    if request.param == "sqlite":
        yield str(tmp_path / "cchc.db")
        return
    assert POSTGRES is not None
    engine = sa.create_engine(store_url(POSTGRES))
    with engine.begin() as connection:
        metadata.drop_all(connection)
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    yield POSTGRES


@pytest.fixture
def store(location: str) -> Iterator[Store]:
    with Store(location) as opened:
        yield opened


def write(path: Path, text: str) -> Path:
    """``text`` (dedented lines) written to ``path``; the path back."""
    path.write_text("\n".join(line.strip() for line in text.strip().splitlines()) + "\n")
    return path


def demo_rows(path: Path, changes: dict[str, dict[str, str]]) -> Path:
    """The demo units file's rows of the units in ``changes``, with those cells changed."""
    with api.demo_units_path(api.load_ruleset("ttcp@2019")).open(
        encoding="utf-8", newline=""
    ) as source:
        reader = csv.DictReader(source)
        columns = list(reader.fieldnames or ())
        rows = [{**row, **changes[row["unit_id"]]} for row in reader if row["unit_id"] in changes]
    extra = [c for row in rows for c in row if c not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, [*columns, *dict.fromkeys(extra)], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


SELF_ASSESSMENT = """
unit_id,criterion_id,points,evidence_number,evidence_date,evidence_title,evidence_ref
TTCP-VPTT,A1,1,15/KH-VP,2019-01-10,Kế hoạch CCHC năm 2019,kh-cchc-2019.pdf
TTCP-VPTT,A2,1,,,,
TTCP-VTCCB,A3,3.5,12/BC-TCCB,2019-12-20,Báo cáo kết quả,https://example.org/bc.pdf
TTCP-VTCCB,A3,3.5,13/BC-TCCB,2019-12-21,Phụ lục,
TTCP-VPC,B1,2,,,Báo cáo pháp chế,
"""
SURVEY = """
unit_id,criterion_id,score
TTCP-VPTT,S1,90.5
TTCP-BAO,S1,70
"""
APPRAISAL = """
unit_id,criterion_id,points,reason
TTCP-VTCCB,A3,1.75,Chỉ hoàn thành 85% kế hoạch
TTCP-VPTT,A1,1,
TTCP-VPC,B1,1,Thiếu báo cáo quý IV
"""
REAPPRAISAL = """
unit_id,criterion_id,points,reason
TTCP-VTCCB,A3,3.5,Phúc khảo: báo cáo bổ sung chứng minh hoàn thành 100%
"""


@pytest.fixture
def year(tmp_path: Path) -> dict[str, Path]:
    """The files of a demo year: self-assessment, survey, appraisal, re-appraisal."""
    return {
        name: write(tmp_path / f"{name}.csv", text)
        for name, text in [
            ("self", SELF_ASSESSMENT),
            ("survey", SURVEY),
            ("appraisal", APPRAISAL),
            ("reappraisal", REAPPRAISAL),
        ]
    }


@pytest.fixture
def published(location: str, year: dict[str, Path]) -> Store:
    """A store whose 2019 campaign is published (ttcp-2019/1), appealed and republished (/2)."""
    store = Store(location)
    api.open_campaign(store, "ttcp", "demo", period=2019, who="Thư ký")
    api.self_assess(store, "ttcp-2019", year["self"], who="Văn phòng")
    api.import_survey(store, "ttcp-2019", year["survey"], who="Tổ khảo sát")
    api.close_collection(store, "ttcp-2019", who="Thư ký")
    api.appraise(store, "ttcp-2019", year["appraisal"], who="Tổ thẩm định")
    api.publish(store, "ttcp-2019", who="Thư ký")
    api.appeal(store, "ttcp-2019", "TTCP-VTCCB", who="Vụ TCCB", why="Đã hoàn thành 100%")
    api.appraise(store, "ttcp-2019", year["reappraisal"], who="Tổ thẩm định")
    api.publish(store, "ttcp-2019", who="Thư ký")
    return store
