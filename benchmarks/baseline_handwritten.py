"""The handwritten baseline: ttcp@2018 scored by a one-off numpy program, no cchc_rules.

    python benchmarks/baseline_handwritten.py UNITS.parquet RESULTS.parquet [--columns all]

The program a competent engineer writes when handed ``rulesets/ttcp/2018.toml`` and a
Parquet file of units, told to produce the engine's results file, and not told how the
engine works: the 39 criteria typed in from the TOML, pyarrow reading only the columns
they need, numpy scoring each criterion over whole columns in exact integers
(hundredths of a point; bands, targets and grades compared by integer
cross-multiplication), then totals, index, grade and rank within the peer group, and
one ``pq.write_table``. The kinds, the reading, the totals and the writing are
``_handwritten.py``'s, shared with the other handwritten programs; this file is the
ruleset.

``--columns summary`` (the default) writes the unit and result columns;
``--columns all`` adds what the engine writes after them: area subtotals and
component indexes, each criterion's points and its reason code (the engine's
vocabulary, dictionary-encoded), so both programs write the same file.

It trusts its input: the engine refuses a bad cell with its row; this program never
looks. Prints one JSON line of phase timings (seconds) on stdout.
"""

from __future__ import annotations

from _handwritten import (
    Grading,
    Scored,
    Units,
    appraised,
    deadline_steps,
    deduction,
    flag,
    main,
    proportional,
    ratio_bands,
    settle,
    survey_scaled,
)

# Every fact a criterion scores (the engine also checks the appraisal note; not here).
FACTS = [
    "plan_issued", "plan_days_late", "plan_complete", "plan_targets", "plan_targets_done",
    "reports_due", "reports_on_time", "reports_complete", "leader_tasks_assigned",
    "leader_tasks_done_on_time", "self_inspection_done", "par_quiz_score", "innovation_points",
    "legal_drafts_assigned", "legal_drafts_done", "legal_review_done", "law_monitoring_done",
    "grassroots_democracy_ok", "proc_review_done", "procedures_published", "complaints_received",
    "complaints_resolved_on_time", "citizen_reception_ok", "functions_regulation_current",
    "org_structure_compliant", "staff_reduction_target", "staff_reduction_done", "reorg_plan_done",
    "staff_total", "staff_in_approved_positions", "headcount_over_quota", "staff_eval_done",
    "staff_eval_days_late", "staff_evaluated", "rotation_plan_issued", "staff_due_rotation",
    "staff_rotated", "training_places_planned", "staff_trained", "staff_disciplined",
    "budget_allocated", "budget_disbursed", "internal_spending_rules_ok", "public_assets_ok",
    "thrift_plan_done", "it_use", "iso_9001_applied", "inspections_planned", "inspections_done",
    "work_items_assigned", "work_items_done", "report_reminders", "internal_violation",
]


GRADING = Grading(
    {"xuat_sac": "Xuất sắc", "tot": "Tốt", "kha": "Khá", "trung_binh": "Trung bình"},
    {
        "hanh_chinh": [("xuat_sac", 90), ("tot", 80), ("kha", 70), ("trung_binh", 0)],
        "su_nghiep": [("xuat_sac", 85), ("tot", 75), ("kha", 65), ("trung_binh", 0)],
    },
)
PEER_GROUPS = {"hanh_chinh": "hanh_chinh", "su_nghiep": "su_nghiep"}  # each type its own


def criteria(u: Units) -> dict[str, Scored]:
    """The criteria of rulesets/ttcp/2018.toml in its order; points in hundredths."""
    hc = u.of_type("hanh_chinh")
    return {
        "A1": deadline_steps(150, u.plan_days_late, {15: 100, 30: 50}, done=u.plan_issued),
        "A2": flag(150, u.plan_complete),
        "A3": ratio_bands(400, u.plan_targets_done, u.plan_targets, {90: 400, 70: 200}, zero="na"),
        "A4.1": proportional(150, u.reports_on_time, u.reports_due, zero="na"),
        "A4.2": flag(50, u.reports_complete),
        "A5": ratio_bands(
            200, u.leader_tasks_done_on_time, u.leader_tasks_assigned, {100: 200, 80: 100},
            zero="full",
        ),
        "A6": flag(150, u.self_inspection_done),
        "A7": survey_scaled(150, u.par_quiz_score, top=100_0),  # in tenths
        "A8": appraised(200, u.innovation_points),
        "B1": settle(
            ratio_bands(
                400, u.legal_drafts_done, u.legal_drafts_assigned, {100: 400, 80: 250, 60: 100},
                zero="na",
            ),
            only=hc, missing=u.ratio_missing("legal_drafts_done", "legal_drafts_assigned"),
        ),
        "B2": settle(
            flag(300, u.legal_review_done), only=hc, missing=u.missing("legal_review_done")
        ),
        "B3": settle(
            flag(200, u.law_monitoring_done), only=hc, missing=u.missing("law_monitoring_done")
        ),
        "B4": flag(300, u.grassroots_democracy_ok),
        "C1": settle(flag(300, u.proc_review_done), only=hc, missing=u.missing("proc_review_done")),
        "C2": settle(
            flag(200, u.procedures_published), only=hc, missing=u.missing("procedures_published")
        ),
        "C3": settle(
            proportional(500, u.complaints_resolved_on_time, u.complaints_received, zero="na"),
            condition=u.complaints_received > 0,
        ),
        "C4": settle(
            flag(200, u.citizen_reception_ok),
            missing=u.missing("citizen_reception_ok"), missing_drops=True,
        ),
        "D1": flag(250, u.functions_regulation_current),
        "D2": flag(250, u.org_structure_compliant),
        "D3": proportional(250, u.staff_reduction_done, u.staff_reduction_target, zero="full"),
        "D4": flag(250, u.reorg_plan_done),
        "E1": ratio_bands(
            300, u.staff_in_approved_positions, u.staff_total, {100: 300, 90: 150}, zero="na"
        ),
        "E2": flag(200, ~u.headcount_over_quota),
        "E3.1": deadline_steps(
            250, u.staff_eval_days_late, {10: 175, 30: 100}, done=u.staff_eval_done
        ),
        "E3.2": proportional(150, u.staff_evaluated, u.staff_total, zero="na"),
        "E4.1": flag(150, u.rotation_plan_issued),
        "E4.2": ratio_bands(
            250, u.staff_rotated, u.staff_due_rotation, {100: 250, 80: 125}, zero="full"
        ),
        "E5": proportional(
            250, u.staff_trained, u.training_places_planned, zero="full", target_percent=90
        ),
        "E6": deduction(250, u.staff_disciplined, per_event=100),
        "F1": settle(
            ratio_bands(  # both in tenths of a million đồng
                400, u.budget_disbursed, u.budget_allocated, {95: 400, 85: 300, 70: 150},
                zero="na",
            ),
            missing=u.ratio_missing("budget_disbursed", "budget_allocated"), missing_drops=True,
        ),
        "F2": flag(200, u.internal_spending_rules_ok),
        "F3": flag(200, u.public_assets_ok),
        "F4": flag(200, u.thrift_plan_done),
        "G1": flag(500, u.it_use),
        "G2": settle(flag(300, u.iso_9001_applied), only=hc, missing=u.missing("iso_9001_applied")),
        "H1": settle(
            ratio_bands(
                400, u.inspections_done, u.inspections_planned, {100: 400, 90: 300, 70: 150},
                zero="na",
            ),
            only=hc, missing=u.ratio_missing("inspections_done", "inspections_planned"),
        ),
        "H2": proportional(500, u.work_items_done, u.work_items_assigned, zero="na"),
        "H3": deduction(200, u.report_reminders, per_event=50, free=1),
        "H4": flag(300, ~u.internal_violation),
    }


if __name__ == "__main__":
    main(__doc__, FACTS, criteria, GRADING, PEER_GROUPS, ties="shared")
