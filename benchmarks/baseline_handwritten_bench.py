"""The handwritten baseline for bench@1: a one-off numpy program, no cchc_rules.

    python benchmarks/baseline_handwritten_bench.py UNITS.parquet RESULTS.parquet [--columns all]

``baseline_handwritten.py`` for the synthetic ruleset ``rulesets/bench/1.toml``: its 42
criteria typed in (no TOML read, no expression parsed), pyarrow reading only the
columns they need, numpy scoring each over whole columns in exact integers, then
totals, index, grade by unit type and dense rank within the peer group, and one
``pq.write_table`` of the engine's file. The kinds, the reading, the totals and the
writing are ``_handwritten.py``'s; this file is the ruleset.

What bench@1 adds over ttcp@2018, typed in here: decimal facts of different precisions
(a ratio's two facts brought to one scale, surveys and appraisals in the fact's own
units), a percent of 70.5, deadline steps without ``done``, with none and with a
``when``, conditions over optional facts in three-valued logic (where an empty fact
leaves a condition undecided, the criterion follows ``when_missing``), ``applies_to``
and ``applies_when`` on groups (every sub-criterion inherits them), grading bands of
its own for two unit types, four unit types in three peer groups, dense ranks.

``--columns summary`` (the default) writes the unit and result columns; ``--columns
all`` every column the engine writes. It trusts its input: the engine refuses a bad
cell with its row; this program never looks. Prints one JSON line of phase timings
(seconds) on stdout.
"""

from __future__ import annotations

from fractions import Fraction

from _handwritten import (
    Grading,
    Percent,
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

# Every fact a criterion or a condition reads (notes, checked by the engine, are not).
FACTS = [
    "plan_issued", "plan_days_late", "plan_complete", "plan_tasks", "plan_tasks_done",
    "reports_due", "reports_on_time", "reports_complete", "leader_reminders", "par_quiz_score",
    "innovation_points", "legal_drafts_assigned", "legal_drafts_done", "legal_review_done",
    "legal_issues_found", "legal_issues_fixed", "regulation_days_late",
    "enforcement_plan_issued", "enforcement_checks_planned", "enforcement_checks_done",
    "legal_violations", "procedures_total", "procedures_online", "one_stop_shop",
    "dossiers_received", "dossiers_on_time", "apology_letters_missing", "citizen_satisfaction",
    "procedures_published", "feedback_channel_open", "feedback_received", "feedback_resolved",
    "feedback_report_sent", "feedback_days_late", "headcount_over_quota", "positions_approved",
    "staff_in_positions", "staff_due_evaluation", "staff_evaluated", "rotation_plan_issued",
    "staff_due_rotation", "staff_rotated", "discipline_cases", "training_test_score",
    "org_review_points", "budget_allocated", "budget_disbursed", "autonomy_plan_approved",
    "revenue_planned", "revenue_collected", "audit_findings", "asset_inventory_done",
    "finance_report_sent", "finance_report_days_late", "docs_outgoing", "docs_signed",
    "docs_electronic", "data_shared", "portal_rating", "security_incidents", "digital_points",
]

# The ruleset's grading bands, for the unit types without bands of their own.
BANDS: list[tuple[str, Percent]] = [
    ("xuat_sac", 90), ("tot", 80), ("kha", 70), ("trung_binh", 50), ("yeu", 0),
]
GRADING = Grading(
    {
        "xuat_sac": "Xuất sắc",
        "tot": "Tốt",
        "kha": "Khá",
        "trung_binh": "Trung bình",
        "yeu": "Yếu",
    },
    {
        "so": BANDS,
        "ban_quan_ly": BANDS,
        "ubnd_huyen": [
            ("xuat_sac", Fraction("87.5")),
            ("tot", Fraction("77.5")),
            ("kha", Fraction("67.5")),
            ("yeu", 0),
        ],
        "su_nghiep": [("xuat_sac", 85), ("tot", 75), ("kha", 65), ("trung_binh", 0)],
    },
)
PEER_GROUPS = {
    "so": "cap_tinh",
    "ban_quan_ly": "cap_tinh",
    "ubnd_huyen": "cap_huyen",
    "su_nghiep": "su_nghiep",
}


def criteria(u: Units) -> dict[str, Scored]:
    """The criteria of rulesets/bench/1.toml in its order; points in hundredths."""
    so, huyen, su_nghiep = u.of_type("so"), u.of_type("ubnd_huyen"), u.of_type("su_nghiep")
    # Conditions over optional facts: (holds or undecided, undecided). An undecided unit
    # is scored as missing, under the criterion's when_missing.
    c2_undecided = u.missing("one_stop_shop")  # one_stop_shop == true
    c2 = u.one_stop_shop | c2_undecided
    c6_undecided = u.missing("feedback_channel_open") & ~huyen  # channel or ubnd_huyen
    c6 = u.feedback_channel_open | huyen | c6_undecided
    f3_undecided = u.missing("procedures_total") & ~su_nghiep  # total > 0 and not sự nghiệp
    f3 = ((u.procedures_total > 0) | f3_undecided) & ~su_nghiep
    d4 = so | huyen  # the group D4 applies to these types only
    su_nghiep_or_board = u.of_type("su_nghiep", "ban_quan_ly")
    return {
        "A1": settle(
            deadline_steps(200, u.plan_days_late, {7: 150, 15: 100, 30: 50}, done=u.plan_issued),
            missing=u.late_missing("plan_days_late", "plan_issued"),
        ),
        "A2": flag(100, u.plan_complete),
        "A3": ratio_bands(
            300, u.plan_tasks_done, u.plan_tasks, {100: 300, 80: 200, 50: 100}, zero="na"
        ),
        "A4.1": proportional(200, u.reports_on_time, u.reports_due, zero="full"),
        "A4.2": flag(100, u.reports_complete),
        "A5": deduction(200, u.leader_reminders, per_event=50, free=1),
        "A6": survey_scaled(200, u.par_quiz_score, top=100_0),  # in tenths
        "A7": appraised(300, u.innovation_points),  # in hundredths
        "B1": settle(
            ratio_bands(
                300, u.legal_drafts_done, u.legal_drafts_assigned,
                {100: 300, 90: 225, 75: 150, 50: 75}, zero="na",
            ),
            only=so | huyen,
            missing=u.ratio_missing("legal_drafts_done", "legal_drafts_assigned"),
            missing_drops=True,
        ),
        "B2": flag(200, u.legal_review_done),
        "B3": proportional(
            200, u.legal_issues_fixed, u.legal_issues_found, zero="full", target_percent=90
        ),
        "B4": settle(
            deadline_steps(200, u.regulation_days_late, {10: 100}),
            missing=u.missing("regulation_days_late"),
        ),
        "B5.1": settle(flag(100, u.enforcement_plan_issued), condition=~su_nghiep),
        "B5.2": settle(
            ratio_bands(
                200, u.enforcement_checks_done, u.enforcement_checks_planned, {100: 200, 50: 100},
                zero="full",
            ),
            condition=~su_nghiep,
        ),
        "B6": deduction(200, u.legal_violations, per_event=100),
        "C1": settle(
            ratio_bands(
                400, u.procedures_online, u.procedures_total,
                {80: 400, 60: 300, 40: 200, 20: 100}, zero="na",
            ),
            only=u.of_type("so", "ban_quan_ly", "ubnd_huyen"),
            missing=u.ratio_missing("procedures_online", "procedures_total"),
        ),
        "C2": settle(
            proportional(
                500, u.dossiers_on_time, u.dossiers_received, zero="na", target_percent=95
            ),
            condition=c2, missing=c2_undecided,
        ),
        "C3": deduction(150, u.apology_letters_missing, per_event=25, free=2),
        "C4": settle(
            survey_scaled(300, u.citizen_satisfaction, top=10_00),  # in hundredths
            condition=so | huyen, missing=u.missing("citizen_satisfaction"),
        ),
        "C5": flag(150, u.procedures_published),
        "C6.1": settle(
            proportional(300, u.feedback_resolved, u.feedback_received, zero="full"),
            condition=c6, missing=c6_undecided, missing_drops=True,
        ),
        "C6.2": settle(
            deadline_steps(
                200, u.feedback_days_late, {5: 150, 20: 50},
                done=u.feedback_report_sent, when={5: u.feedback_channel_open},
            ),
            condition=c6,
            missing=c6_undecided | u.late_missing("feedback_days_late", "feedback_report_sent"),
        ),
        "D1": flag(300, ~u.headcount_over_quota),
        "D2": ratio_bands(
            300, u.staff_in_positions, u.positions_approved, {100: 300, 95: 200, 90: 100},
            zero="na",
        ),
        "D3": proportional(200, u.staff_evaluated, u.staff_due_evaluation, zero="full"),
        "D4.1": settle(
            flag(100, u.rotation_plan_issued),
            only=d4, missing=u.missing("rotation_plan_issued"), missing_drops=True,
        ),
        "D4.2": settle(
            ratio_bands(
                200, u.staff_rotated, u.staff_due_rotation, {100: 200, 80: 100}, zero="full"
            ),
            only=d4,
        ),
        "D5": deduction(300, u.discipline_cases, per_event=100),
        "D6": survey_scaled(200, u.training_test_score, top=50),
        "D7": settle(
            appraised(200, u.org_review_points * 100),  # whole points
            only=su_nghiep_or_board,
            condition=u.staff_due_evaluation >= 5,
            missing=u.missing("org_review_points"),
            missing_drops=True,
        ),
        "E1": ratio_bands(  # both in thousandths of a billion đồng
            400, u.budget_disbursed, u.budget_allocated,
            {95: 400, 85: 300, Fraction("70.5"): 150}, zero="na",
        ),
        "E2": settle(
            flag(200, u.autonomy_plan_approved),
            only=su_nghiep, missing=u.missing("autonomy_plan_approved"),
        ),
        "E3": settle(
            proportional(  # collected in tenths, planned in hundredths
                300, u.revenue_collected * 10, u.revenue_planned, zero="full"
            ),
            only=su_nghiep_or_board,
            missing=u.ratio_missing("revenue_collected", "revenue_planned"),
        ),
        "E4": settle(
            deduction(300, u.audit_findings, per_event=75, free=1),
            condition=u.budget_allocated >= 1_500,  # 1.5 in thousandths
        ),
        "E5": settle(
            flag(200, u.asset_inventory_done),
            missing=u.missing("asset_inventory_done"), missing_drops=True,
        ),
        "E6": settle(
            deadline_steps(200, u.finance_report_days_late, {}, done=u.finance_report_sent),
            missing=u.late_missing("finance_report_days_late", "finance_report_sent"),
        ),
        "F1": ratio_bands(
            300, u.docs_signed, u.docs_outgoing, {90: 300, 70: 200, 50: 100}, zero="na"
        ),
        "F2": proportional(
            300, u.docs_electronic, u.docs_outgoing, zero="full", target_percent=80
        ),
        "F3": settle(flag(200, u.data_shared), condition=f3, missing=f3_undecided),
        "F4": survey_scaled(200, u.portal_rating, top=5_0),  # in tenths
        "F5": deduction(300, u.security_incidents, per_event=150),
        "F6": appraised(300, u.digital_points * 10),  # in tenths
    }


if __name__ == "__main__":
    main(__doc__, FACTS, criteria, GRADING, PEER_GROUPS, ties="dense")
