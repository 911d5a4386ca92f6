"""Write the golden outputs of the ruleset cases; never edit those files by hand.

    .venv/bin/python tests/rulesets/regenerate.py

* ``valid/NAME.toml``   → ``valid/NAME.resolved.json``: the loaded ruleset
  (``model_dump(mode="json", exclude_none=True)``, the form the content hash is taken
  of) and its content hash;
* ``invalid/NAME.toml`` → ``invalid/NAME.error.txt``: the exact error text a user sees;
* ``amendments/valid/NAME.toml`` and ``amendments/invalid/NAME.toml``: the same for
  amendments, resolved with ``amendments/`` as the rulesets directory (their parents
  are ``amendments/<family>/<version>.toml``).

Files are named relative to this directory (``invalid/NAME.toml``) so the text does
not depend on where the repository is checked out. Review every changed output
(``git diff tests/rulesets``) before committing it: it is what users will read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cchc_rules import KindRegistry, RulesetError
from cchc_rules._plugins import KindEntry, PluginInfo
from cchc_rules.ruleset._loading import load_ruleset_file
from cchc_rules.scoring._builtin import BUILTIN_KINDS

HERE = Path(__file__).resolve().parent
VALID = HERE / "valid"
INVALID = HERE / "invalid"
AMENDMENTS = HERE / "amendments"


def builtin_registry() -> KindRegistry:
    """The built-in kinds only.

    NOTE: not ``load_plugins()``: goldens list the installed kinds ("did you mean"),
    and must not change when someone installs another plugin into their environment.
    """
    info = PluginInfo("builtin", "cchc-rules", "golden", "cchc_rules.scoring._builtin")
    kinds = {kind.name: KindEntry(kind, info) for kind in BUILTIN_KINDS}
    return KindRegistry(kinds=dict(sorted(kinds.items())), plugins=(info,))


def display_name(path: Path) -> str:
    return path.relative_to(HERE).as_posix()


def _rulesets_dir(path: Path) -> Path | None:
    return AMENDMENTS if path.is_relative_to(AMENDMENTS) else None


def resolved_text(path: Path, registry: KindRegistry) -> str:
    """The golden text of a valid ruleset; raises RulesetError if it does not load."""
    compiled = load_ruleset_file(
        path, registry=registry, display=display_name(path), rulesets_dir=_rulesets_dir(path)
    )
    document = {
        "content_hash": compiled.content_hash,
        "ruleset": compiled.model.model_dump(mode="json", exclude_none=True),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def error_text(path: Path, registry: KindRegistry) -> str:
    """The golden text of an invalid ruleset; raises AssertionError if it loads."""
    try:
        load_ruleset_file(
            path, registry=registry, display=display_name(path), rulesets_dir=_rulesets_dir(path)
        )
    except RulesetError as exc:
        return f"{exc}\n"
    raise AssertionError(f"{display_name(path)} loads without error; move it to valid/")


def main() -> int:
    registry = builtin_registry()
    outputs: dict[Path, str] = {}
    failures: list[str] = []
    valid = [*sorted(VALID.glob("*.toml")), *sorted((AMENDMENTS / "valid").glob("*.toml"))]
    invalid = [
        *sorted(INVALID.glob("*.toml")),
        *sorted((AMENDMENTS / "invalid").glob("*.toml")),
    ]
    for path in valid:
        try:
            outputs[path.with_suffix(".resolved.json")] = resolved_text(path, registry)
        except RulesetError as exc:
            failures.append(f"{display_name(path)} should be valid:\n{exc}")
    for path in invalid:
        try:
            outputs[path.with_suffix(".error.txt")] = error_text(path, registry)
        except AssertionError as exc:
            failures.append(str(exc))
    if failures:
        # NOTE: write nothing when a case is in the wrong folder, so a half-run never
        # leaves goldens that disagree with each other.
        print("\n\n".join(failures), file=sys.stderr)
        return 1
    stale = {
        *VALID.glob("*.resolved.json"),
        *INVALID.glob("*.error.txt"),
        *(AMENDMENTS / "valid").glob("*.resolved.json"),
        *(AMENDMENTS / "invalid").glob("*.error.txt"),
    } - set(outputs)
    for path in sorted(stale):
        path.unlink()
        print(f"removed {display_name(path)} (its .toml is gone)")
    for path, text in outputs.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {display_name(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
