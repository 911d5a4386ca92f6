"""The docs that come from the code stay in step with it.

* Every hook in ``cchc_rules.hookspecs`` has a heading in ``docs/plugin_hooks.md`` with
  its exact signature, so a hook cannot be added or changed without its docs.
* ``docs/kinds.md`` is what ``tools/gen_kinds_doc.py`` writes from the kinds' code.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cchc_rules import hookspecs

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_HOOKS = ROOT / "docs" / "plugin_hooks.md"


class _Annotation:
    """A string annotation that renders without quotes in a signature.

    hookspecs uses ``from __future__ import annotations`` (its types name classes only
    imported for type checking), so ``inspect.signature`` holds strings and would show
    them quoted: ``-> 'Sequence[...]'``.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _unquoted(annotation: Any) -> Any:
    return _Annotation(annotation) if isinstance(annotation, str) else annotation


def rendered_signature(hook: Callable[..., Any]) -> str:
    """``name(args) -> return``, as ``inspect.signature`` renders it, without quotes."""
    signature = inspect.signature(hook)
    signature = signature.replace(
        parameters=[
            parameter.replace(annotation=_unquoted(parameter.annotation))
            for parameter in signature.parameters.values()
        ],
        return_annotation=_unquoted(signature.return_annotation),
    )
    return f"{hook.__name__}{signature}"


def hookspec_functions() -> list[Callable[..., Any]]:
    return [
        function
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("cchc_")
    ]


def documented_hooks() -> dict[str, str]:
    """Hook name → heading text, for every ``### cchc_…`` heading of the catalogue."""
    headings = re.findall(r"^### (cchc_\w+.*?)\s*$", PLUGIN_HOOKS.read_text("utf-8"), re.M)
    return {heading.split("(", 1)[0]: heading for heading in headings}


def test_hooks_are_found() -> None:
    # Guards the parametrized test below against passing vacuously.
    assert "cchc_register_kinds" in [hook.__name__ for hook in hookspec_functions()]


def test_signatures_render_as_in_the_docs() -> None:
    assert rendered_signature(hookspecs.cchc_register_kinds) == (
        "cchc_register_kinds() -> Sequence[type[CriterionKind]]"
    )


@pytest.mark.parametrize("hook", hookspec_functions(), ids=lambda hook: hook.__name__)
def test_every_hook_is_documented_under_its_exact_signature(hook: Callable[..., Any]) -> None:
    documented = documented_hooks()
    assert hook.__name__ in documented, f"{PLUGIN_HOOKS.name} has no heading for {hook.__name__}"
    assert documented[hook.__name__] == rendered_signature(hook)


def test_every_documented_hook_exists() -> None:
    hooks = {hook.__name__ for hook in hookspec_functions()}
    assert set(documented_hooks()) <= hooks


def test_the_docs_state_the_current_api_version() -> None:
    text = PLUGIN_HOOKS.read_text("utf-8")
    assert f"The current version is **{hookspecs.PLUGIN_API_VERSION}**." in text
    assert f"CCHC_PLUGIN_API = {hookspecs.PLUGIN_API_VERSION}\n" in text


def _generator() -> ModuleType:
    # tools/ is not a package: load the script the way `python tools/…` runs it.
    path = ROOT / "tools" / "gen_kinds_doc.py"
    spec = importlib.util.spec_from_file_location("gen_kinds_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kinds_doc_is_up_to_date() -> None:
    generator = _generator()
    assert not generator.is_stale(), (
        "docs/kinds.md is stale: run `python tools/gen_kinds_doc.py` and commit the result"
    )


def test_kinds_doc_check_fails_when_stale(tmp_path: Path) -> None:
    generator = _generator()
    stale = tmp_path / "kinds.md"
    stale.write_text(generator.render().replace("## flag", "## flagg"), encoding="utf-8")
    assert generator.is_stale(stale)
    assert generator.is_stale(tmp_path / "missing.md")
