"""The files ``cchc plugins new NAME`` writes: an installable plugin package that passes
its own tests untouched (pyproject with the entry point, one kind, a case file, a test)."""

from __future__ import annotations

import re
from pathlib import Path

from cchc_rules.hookspecs import PLUGIN_API_VERSION

__all__ = ["scaffold_files"]

_PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.24"]
build-backend = "hatchling.build"

[project]
name = "{dist}"
version = "0.1.0"
description = "A cchc-rules plugin: the {kind} criterion kind"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["cchc-rules"]

[project.optional-dependencies]
# pytest and hypothesis, at the versions the cchc-rules author's kit is tested with
test = ["cchc-rules[testing]"]

# How cchc-rules finds the plugin: an entry point in the `cchc_rules` group naming the
# module that holds the hook implementations.
[project.entry-points.cchc_rules]
{kind} = "{package}"

[tool.hatch.build.targets.wheel]
packages = ["src/{package}"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

_README = """\
# {dist}

A [cchc-rules](https://pypi.org/project/cchc-rules/) plugin providing the `{kind}`
criterion kind: full points when a count of problems is zero, none otherwise.

```sh
pip install -e '.[test]'  # cchc finds it through its entry point
pytest                    # the golden cases in tests/cases/ and a property test
cchc plugins list         # shows {kind}
```

Use it in a ruleset:

```toml
[[areas.criteria]]
id = "X1"
name = {{ vi = "…", en = "…" }}
max_points = 1
kind = "{kind}"
params = {{ count = "my_problem_count" }}
```
"""

_INIT = '''\
"""{dist}: the ``{kind}`` criterion kind, registered through a cchc_rules hook."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cchc_rules.hookspecs import hookimpl
from cchc_rules.kinds import CriterionKind

from {package}.kind import {cls}, {cls}Params

__all__ = ["CCHC_PLUGIN_API", "{cls}", "{cls}Params", "cchc_register_kinds"]

# The version of the hook contract this plugin was written for.
CCHC_PLUGIN_API = {api}


@hookimpl
def cchc_register_kinds() -> Sequence[type[CriterionKind[Any]]]:
    return [{cls}]
'''

_KIND = '''\
"""The ``{kind}`` kind: full points when a count of problems is zero."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import ClassVar

import numpy as np
from cchc_rules.kinds import (
    Batch,
    BatchScore,
    CriterionKind,
    FactName,
    FactValue,
    KindParams,
    Reason,
    UnitScore,
)
from pydantic import Field


class {cls}Params(KindParams):
    count: FactName = Field(description="Integer fact: problems found (0 is compliant).")


class {cls}(CriterionKind[{cls}Params]):
    """Full points when the count is zero, none otherwise.

    Không có vi phạm: điểm tối đa; có vi phạm: 0 điểm. / No problem: full points.

    Example::

        kind = "{kind}"
        params = {{ count = "my_problem_count" }}
    """

    name: ClassVar[str] = "{kind}"
    Params: ClassVar[type[{cls}Params]] = {cls}Params
    summary: ClassVar[Mapping[str, str]] = {{
        "vi": "Không có vi phạm thì đạt điểm tối đa",
        "en": "Full points when no problem is counted",
    }}
    reasons: ClassVar[Sequence[Reason]] = (
        Reason("none", vi="Không có vi phạm", en="No problem found"),
        Reason(
            "some",
            vi="{{count}} vi phạm",
            en="{{count}} problem(s) found",
            hint_vi="Khắc phục mọi vi phạm",
            hint_en="Fix every problem",
        ),
    )

    def explain_values(self, facts: Mapping[str, FactValue]) -> dict[str, object]:
        return {{"count": facts.get(self.params.count)}}

    def score_batch(self, batch: Batch) -> BatchScore:
        clean = batch[self.params.count].values == 0
        points = np.where(clean, self.criterion.max_units, 0).astype(np.int64)
        reasons = np.where(clean, self.reason_code("none"), self.reason_code("some"))
        return BatchScore(points, reasons.astype(np.int16))

    def score_unit(self, facts: Mapping[str, FactValue]) -> UnitScore:
        if facts[self.params.count] == 0:
            return UnitScore(self.criterion.max_points, "none")
        return UnitScore(Decimal(0), "some")
'''

_CASES = """\
kind = "{kind}"

[[case]]
name = "no problem is full points"
max_points = 2
params = {{ count = "n" }}
facts = {{ n = 0 }}
points = 2
reason = "none"
text_en = "No problem found"

[[case]]
name = "one problem is zero"
max_points = 2
params = {{ count = "n" }}
facts = {{ n = 1 }}
points = 0
reason = "some"
text_en = "1 problem(s) found"

[[bad_params]]
name = "the count must be named"
params = {{}}
error_path = "count"
error_contains = "missing"
"""

_TEST = '''\
"""Golden cases and a property of the {kind} kind, with the cchc-rules author's kit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cchc_rules.testing import (
    assert_consistent,
    batches,
    criteria,
    fact_columns,
    kind_case_params,
    run_golden,
)
from hypothesis import given

from {package} import {cls}

CASES = Path(__file__).parent / "cases"
COUNTS = {{"n": lambda n: fact_columns("integer", n, min_value=0, max_value=5)}}


@pytest.mark.parametrize(("kind_class", "case"), kind_case_params(CASES, [{cls}]))
def test_golden(kind_class: Any, case: Any) -> None:
    run_golden(kind_class, case)


@given(criterion=criteria(), batch=batches(COUNTS))
def test_batch_and_unit_paths_agree(criterion: Any, batch: Any) -> None:
    kind = {cls}({cls}.Params.model_validate({{"count": "n"}}), criterion)
    assert_consistent(kind, batch)
'''


def scaffold_files(name: str) -> dict[str, str]:
    """Relative path → content of a new plugin package named ``name`` (``cchc-foo``)."""
    base = re.sub(r"^cchc[-_]", "", name.lower()).replace("-", "_")
    dist = name.lower().replace("_", "-")
    dist = dist if dist.startswith("cchc-") else f"cchc-{dist}"
    package = f"cchc_{base}"
    kind = base
    cls = "".join(part.capitalize() for part in base.split("_"))
    values = {"dist": dist, "package": package, "kind": kind, "cls": cls, "api": PLUGIN_API_VERSION}
    src = Path("src") / package
    return {
        "pyproject.toml": _PYPROJECT.format(**values),
        "README.md": _README.format(**values),
        str(src / "__init__.py"): _INIT.format(**values),
        str(src / "kind.py"): _KIND.format(**values),
        str(src / "py.typed"): "",
        f"tests/cases/{kind}.toml": _CASES.format(**values),
        f"tests/test_{package}.py": _TEST.format(**values),
    }
