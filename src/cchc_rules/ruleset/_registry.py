"""Where rulesets live: ``RULESETS/<family>/<version>.toml``, named ``family@version``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cchc_rules._names import NAME, VERSION
from cchc_rules.errors import Problem, RulesetError

__all__ = [
    "REF_PATTERN",
    "RulesetFile",
    "bundled_rulesets_dir",
    "find_ruleset",
    "list_ruleset_files",
    "registry_file",
    "rulesets_root",
]

REF_PATTERN = f"^(?P<family>{NAME})@(?P<version>{VERSION})$"
_REF = re.compile(REF_PATTERN)


@dataclass(frozen=True)
class RulesetFile:
    family: str
    version: str
    path: Path

    @property
    def ref(self) -> str:
        return f"{self.family}@{self.version}"


def bundled_rulesets_dir() -> Path:
    """The rulesets shipped with the package (``rulesets/`` of the source tree)."""
    return Path(__file__).resolve().parent.parent / "rulesets"


def rulesets_root(directory: Path | None = None) -> Path:
    """The rulesets directory in use: ``directory`` if given, else the bundled one."""
    return directory or bundled_rulesets_dir()


def registry_file(path: Path, directory: Path | None = None) -> RulesetFile | None:
    """The registry entry ``path`` is (``ROOT/family/version.toml``), or None for a loose file."""
    root = rulesets_root(directory).resolve()
    resolved = path.resolve()
    if resolved.parent.parent != root or resolved.suffix != ".toml":
        return None
    entry = RulesetFile(resolved.parent.name, resolved.stem, path)
    return entry if _REF.match(entry.ref) else None


def list_ruleset_files(directory: Path | None = None) -> list[RulesetFile]:
    root = rulesets_root(directory)
    if not root.is_dir():
        return []
    found = [
        RulesetFile(path.parent.name, path.stem, path)
        for path in root.glob("*/*.toml")
        if path.parent.name[:1].isalpha()
    ]
    return sorted(found, key=lambda f: (f.family, f.version))


def find_ruleset(name: str, directory: Path | None = None) -> Path:
    """A ruleset path from a file path or a ``family@version`` reference."""
    match = _REF.match(name)
    if match is None:
        path = Path(name)
        if not path.exists():
            raise RulesetError(
                [
                    Problem(
                        name, None, "", "no such ruleset file (give a TOML path or family@version)"
                    )
                ]
            )
        return path
    root = directory or bundled_rulesets_dir()
    candidate = root / match["family"] / f"{match['version']}.toml"
    if not candidate.exists():
        known = ", ".join(f.ref for f in list_ruleset_files(root)) or "none"
        raise RulesetError(
            [Problem(name, None, "", f"no ruleset {name} in {root} (available: {known})")]
        )
    return candidate
