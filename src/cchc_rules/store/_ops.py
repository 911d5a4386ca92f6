"""Everything the store offers the layers above, in one place: ``Store`` opens (and
migrates) a database; the functions are the campaign's life (open, import, close
collection, publish, appeal) and its runs (diff, verify). The Python API
(:mod:`cchc_rules.api`) exposes them with defaults filled in."""

from cchc_rules.store._campaign import (
    IMPORTS,
    CarryOver,
    ImportResult,
    appeal,
    campaign_state,
    carry_over,
    close_collection,
    import_file,
    open_campaign,
)
from cchc_rules.store._chain import ChainCheck, verify_campaign
from cchc_rules.store._db import (
    ConflictError,
    Event,
    RunRecord,
    Store,
    StoreError,
)
from cchc_rules.store._imports import Change
from cchc_rules.store._location import DEFAULT_STORE, STORE_ENV
from cchc_rules.store._runs import (
    CriterionMove,
    RunDiff,
    UnitMove,
    Verification,
    diff_runs,
    exported_run,
    publish,
    run_scorecards,
    verify_run,
)
from cchc_rules.store._scoring import (
    Assessment,
    Bound,
    CampaignExplanation,
    CampaignScorecards,
    bind,
    score_campaign,
)
from cchc_rules.store._state import STATES, CampaignState, Evidence

__all__ = [
    "DEFAULT_STORE",
    "IMPORTS",
    "STATES",
    "STORE_ENV",
    "Assessment",
    "Bound",
    "CampaignExplanation",
    "CampaignScorecards",
    "CampaignState",
    "CarryOver",
    "ChainCheck",
    "Change",
    "ConflictError",
    "CriterionMove",
    "Event",
    "Evidence",
    "ImportResult",
    "RunDiff",
    "RunRecord",
    "Store",
    "StoreError",
    "UnitMove",
    "Verification",
    "appeal",
    "bind",
    "campaign_state",
    "carry_over",
    "close_collection",
    "diff_runs",
    "exported_run",
    "import_file",
    "open_campaign",
    "publish",
    "run_scorecards",
    "score_campaign",
    "verify_campaign",
    "verify_run",
]
