#!/usr/bin/env python3
"""Generate the demo record sets of ``ttcp@2020`` (fictional, deterministic).

    python tools/gen_demo_records.py     write src/cchc_rules/demo/records/ttcp_2020/*.csv
                                         and src/cchc_rules/demo/ttcp_units_2020.csv

The records follow the 2019 demo facts of each of the 19 departments (head count,
placement, rotation, digital signing), so the 2020 ruleset derives similar facts from
them, with a few people and documents that cost points for ``explain`` to name.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "cchc_rules" / "demo"
OUT = DEMO / "records" / "ttcp_2020"
# Facts of 2019 that ttcp@2020 derives from these records instead.
DERIVED = (
    "staff_in_approved_positions",
    "headcount_over_quota",
    "rotation_plan_issued",
    "staff_due_rotation",
    "staff_rotated",
    "docs_outgoing",
    "docs_signed",
    "staff_with_digital_signature",
)
POSITIONS = [  # code, field, rotating, ranks
    ("LD", "lanh_dao", False, "01.001;01.002"),
    ("TTV", "thanh_tra", True, "04.023;04.024;04.025"),
    ("TCD", "tiep_cong_dan", True, "01.002;01.003"),
    ("TCCB", "to_chuc_can_bo", True, "01.002;01.003"),
    ("KT", "tai_chinh_ke_toan", True, "06.030;06.031"),
    ("CV", "chuyen_mon", False, "01.002;01.003"),
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dung",
    "Giang",
    "Hà",
    "Hải",
    "Hương",
    "Khánh",
    "Lan",
    "Minh",
    "Nam",
]


def write(name: str, header: list[str], rows: list[list[object]]) -> None:
    with (OUT / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


def main() -> None:
    rng = random.Random(2020)
    OUT.mkdir(parents=True, exist_ok=True)
    with (DEMO / "ttcp_units_2019.csv").open(encoding="utf-8") as handle:
        units = list(csv.DictReader(handle))
    roster, scheme, quotas, deferrals, rotations, plans = [], [], [], [], [], []
    documents, certificates = [], []
    serial = doc = 0
    for unit in units:
        uid = unit["unit_id"]
        staff = int(unit["staff_total"])
        placed = int(unit["staff_in_approved_positions"])
        due, rotated = int(unit["staff_due_rotation"]), int(unit["staff_rotated"])
        signing = int(unit["staff_with_digital_signature"])
        outgoing, signed = int(unit["docs_outgoing"]), int(unit["docs_signed"])
        counts = {"LD": max(2, staff // 10), "TTV": staff // 3, "TCD": 2, "TCCB": 2, "KT": 2}
        counts["CV"] = max(0, staff - sum(counts.values()))
        for code, _field, _rotating, ranks in POSITIONS:
            scheme.append([uid, code, counts[code], ranks])
        over = unit["headcount_over_quota"] == "true"
        quotas.append([uid, staff - 1 if over else staff + rng.randint(0, 3)])
        people = [code for code, *_ in POSITIONS for _ in range(counts[code])][:staff]
        misplaced = staff - placed
        for index, code in enumerate(people):
            pid = f"{uid.removeprefix('TTCP-')}-{index + 1:03d}"
            name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
            rank = next(ranks.split(";")[0] for c, _, _, ranks in POSITIONS if c == code)
            position: str | None = code
            if index >= staff - misplaced:
                # The last people of a unit that lost placement points: no position, or
                # a rank the position does not admit.
                position, rank = (None, rank) if index % 2 else (code, "01.009")
            rotating = any(c == code and r for c, _, r, _ in POSITIONS)
            start = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
            retire = dt.date(2030, 1, 1) + dt.timedelta(days=rng.randint(0, 5000))
            roster.append([pid, uid, name, position, rank, index < counts["LD"], start, retire])
            if rotating and due > 0 and position is not None:
                # Due in 2020: in post since 2016 or 2017 (3-year fields) or 2018 (2-year).
                due -= 1
                since = dt.date(2016, 3, 1) + dt.timedelta(days=rng.randint(0, 600))
                if rotated > 0:
                    rotated -= 1
                    rotated_on = dt.date(2020, 3, 1) + dt.timedelta(days=rng.randint(0, 200))
                    rotations.append([pid, uid, rotated_on, code, since])
                    # Rotated to another post of the same kind (another team).
                    roster[-1][6] = rotated_on
                else:
                    roster[-1][6] = since
            if index < signing:
                serial += 1
                start_cert = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 500))
                end_cert = start_cert + dt.timedelta(days=3 * 365)
                certificates.append([f"CTS{serial:06d}", pid, start_cert, end_cert])
        signers = [row[0] for row in roster if row[1] == uid][: max(1, signing)]
        for number in range(outgoing):
            doc += 1
            day = dt.date(2020, 1, 2) + dt.timedelta(days=rng.randint(0, 360))
            good = number < signed
            electronic = good or number % 3 == 0
            signer = signers[number % len(signers)] if good else None
            documents.append([f"{doc:06d}/VB", uid, day, "out", electronic, good, signer, False])
        for _ in range(outgoing // 5):
            doc += 1
            day = dt.date(2020, 1, 2) + dt.timedelta(days=rng.randint(0, 360))
            documents.append([f"{doc:06d}/VB", uid, day, "in", True, True, None, False])
        if unit["rotation_plan_issued"] == "true":
            plans.append([uid, 2020, dt.date(2020, 1, 10) + dt.timedelta(days=rng.randint(0, 40))])
    # Two deferrals for the notes: one in effect at year end, one that ended in June.
    deferrals.append([roster[3][0], "maternity", dt.date(2020, 9, 1), None])
    deferrals.append([roster[30][0], "long_training", dt.date(2019, 9, 1), dt.date(2020, 6, 30)])
    write(
        "roster",
        [
            "person_id",
            "unit_id",
            "full_name",
            "position_code",
            "rank",
            "is_head",
            "position_start",
            "retirement_date",
        ],
        [[*row[:5], "true" if row[5] else "false", *row[6:]] for row in roster],
    )
    write("job_positions", ["unit_id", "position_code", "headcount", "ranks"], scheme)
    write("quotas", ["unit_id", "staff_quota"], quotas)
    write(
        "rotating_positions",
        ["position_code", "field"],
        [[code, field] for code, field, rotating, _ in POSITIONS if rotating],
    )
    write("deferrals", ["person_id", "reason", "starts_on", "ends_on"], deferrals)
    write(
        "rotations",
        ["person_id", "unit_id", "rotated_on", "from_position", "from_start"],
        rotations,
    )
    write("rotation_plans", ["unit_id", "year", "published_on"], plans)
    write(
        "documents",
        [
            "document_id",
            "unit_id",
            "issued_on",
            "direction",
            "electronic",
            "signed",
            "signer",
            "classified",
        ],
        [
            [*row[:4], str(row[4]).lower(), str(row[5]).lower(), row[6], "false"]
            for row in documents
        ],
    )
    write("certificates", ["serial", "person_id", "valid_from", "valid_to"], certificates)
    columns = [c for c in units[0] if c not in DERIVED]
    with (DEMO / "ttcp_units_2020.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(units)
    print(f"wrote {OUT.relative_to(ROOT)} and {(DEMO / 'ttcp_units_2020.csv').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
