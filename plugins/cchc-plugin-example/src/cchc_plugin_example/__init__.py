"""cchc-plugin-example: a worked example of a cchc-rules plugin.

cchc-rules finds this module through the entry point declared in ``pyproject.toml``
(group ``cchc_rules``), checks ``CCHC_PLUGIN_API`` and calls the hook below once, when
it builds its plugin manager; from then on the engine calls the kind directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cchc_plugin_example.evaluation_quota import EvaluationQuota, EvaluationQuotaParams
from cchc_rules.hookspecs import hookimpl
from cchc_rules.kinds import CriterionKind

__all__ = ["CCHC_PLUGIN_API", "EvaluationQuota", "EvaluationQuotaParams", "cchc_register_kinds"]

# The version of the hook contract this plugin was written against. A host older than
# this refuses the plugin with a clear message instead of failing somewhere later.
CCHC_PLUGIN_API = 1


@hookimpl
def cchc_register_kinds() -> Sequence[type[CriterionKind[Any]]]:
    return [EvaluationQuota]
