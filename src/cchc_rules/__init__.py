"""cchc-rules: score government units against versioned, pluggable PAR Index criteria.

>>> import cchc_rules
>>> ruleset = cchc_rules.load_ruleset("ttcp@2018")
>>> cards = cchc_rules.evaluate(ruleset, cchc_rules.demo_units_path(ruleset))
>>> table = cards.to_arrow()            # one row per unit, exact decimals
>>> why = cards.explain("TTCP-VPTT")    # every criterion's points and reason
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

    __version__: str

# NOTE: lazy (PEP 562): importing any part of the package (the ``cchc`` command's help,
# a plugin importing cchc_rules.kinds) runs this file first, and the API below would
# import numpy, pyarrow, pydantic and every layer. Each name is imported on first use.
_WHERE = {
    name: module
    for module, names in (
        ("cchc_rules._plugins", "KindRegistry load_plugins"),
        (
            "cchc_rules.api",
            "amend_ruleset compare default_registry demo_units_path evaluate "
            "evaluate_to_parquet load_ruleset",
        ),
        ("cchc_rules.errors", "CchcError EngineError InputError PluginError Problem RulesetError"),
        ("cchc_rules.results._scorecards", "CriterionLine Explanation Scorecards"),
        ("cchc_rules.ruleset._compiled", "CompiledRuleset"),
        ("cchc_rules.ruleset._models", "Ruleset"),
    )
    for name in names.split()
}
"""Where each public name is defined (imported on first use)."""


def _package_version() -> str:
    # NOTE: lazy: importlib.metadata costs tens of milliseconds, paid only by --version.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cchc-rules")
    except PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _package_version()
    elif name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
