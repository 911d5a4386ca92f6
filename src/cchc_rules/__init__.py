"""cchc-rules: score government units against versioned, pluggable PAR Index criteria.

>>> import cchc_rules
>>> ruleset = cchc_rules.load_ruleset("ttcp@2018")
>>> cards = cchc_rules.evaluate(ruleset, cchc_rules.demo_units_path(ruleset))
>>> table = cards.to_arrow()            # one row per unit, exact decimals
>>> why = cards.explain("TTCP-VPTT")    # every criterion's points and reason
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from cchc_rules._plugins import KindRegistry, load_plugins
from cchc_rules.api import (
    amend_ruleset,
    compare,
    default_registry,
    demo_units_path,
    evaluate,
    evaluate_to_parquet,
    load_ruleset,
)
from cchc_rules.errors import (
    CchcError,
    EngineError,
    InputError,
    PluginError,
    Problem,
    RulesetError,
)
from cchc_rules.results._scorecards import CriterionLine, Explanation, Scorecards
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._models import Ruleset

try:
    __version__ = version("cchc-rules")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "CchcError",
    "CompiledRuleset",
    "CriterionLine",
    "EngineError",
    "Explanation",
    "InputError",
    "KindRegistry",
    "PluginError",
    "Problem",
    "Ruleset",
    "RulesetError",
    "Scorecards",
    "__version__",
    "amend_ruleset",
    "compare",
    "default_registry",
    "demo_units_path",
    "evaluate",
    "evaluate_to_parquet",
    "load_plugins",
    "load_ruleset",
]
