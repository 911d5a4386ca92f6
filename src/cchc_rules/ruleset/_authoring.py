"""Keeping a rulesets directory: each version's state, an amendment's document, the lock.

What ``cchc rulesets list``, ``amend`` and ``lock`` compute, as functions: writing
the files is left to the caller (the API writes them atomically).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cchc_rules._plugins import KindRegistry
from cchc_rules.errors import CchcError, Problem, RulesetError
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._loading import load_ruleset_file
from cchc_rules.ruleset._lock import PUBLISHED, read_lock
from cchc_rules.ruleset._registry import RulesetFile, list_ruleset_files, rulesets_root
from cchc_rules.ruleset._toml import ruleset_toml

__all__ = [
    "AssignmentError",
    "LockUpdate",
    "VersionState",
    "amendment_text",
    "lock_update",
    "version_states",
]


@dataclass(frozen=True)
class VersionState:
    """One version of a rulesets directory: loaded, or why not; recorded in the lock or not."""

    file: RulesetFile
    ruleset: CompiledRuleset | None
    error: CchcError | None
    locked: bool

    @property
    def ref(self) -> str:
        return self.file.ref


def version_states(registry: KindRegistry, rulesets_dir: Path | None = None) -> list[VersionState]:
    """Every version in ``rulesets_dir`` (default: the bundled rulesets), each validated."""
    lock = read_lock(rulesets_root(rulesets_dir)) or {}
    states: list[VersionState] = []
    for entry in list_ruleset_files(rulesets_dir):
        locked = entry.version in lock.get(entry.family, {})
        try:
            compiled = load_ruleset_file(
                entry.path, registry=registry, display=entry.ref, rulesets_dir=rulesets_dir
            )
        except CchcError as exc:
            states.append(VersionState(entry, None, exc, locked))
            continue
        states.append(VersionState(entry, compiled, None, locked))
    return states


@dataclass(frozen=True)
class LockUpdate:
    """The lock with every published version recorded, and what that added."""

    lock: dict[str, dict[str, str]]
    added: list[str]
    """References of the versions recorded now."""
    problems: list[Problem]
    """Why some versions could not be loaded (and so were not recorded)."""


def lock_update(registry: KindRegistry, rulesets_dir: Path | None = None) -> LockUpdate:
    """Record the content hash of every published version the lock lacks.

    Recorded hashes are never rewritten: a published version whose content changed
    keeps its record (loading it then reports the change).
    """
    lock = read_lock(rulesets_root(rulesets_dir)) or {}
    problems: list[Problem] = []
    added: list[str] = []
    for entry in list_ruleset_files(rulesets_dir):
        try:
            compiled = load_ruleset_file(
                entry.path,
                registry=registry,
                display=entry.ref,
                rulesets_dir=rulesets_dir,
                verify_lock=False,
            )
        except RulesetError as exc:
            problems.extend(exc.problems)
            continue
        if compiled.model.ruleset.status not in PUBLISHED:
            continue
        versions = lock.setdefault(entry.family, {})
        if entry.version not in versions:
            versions[entry.version] = compiled.content_hash
            added.append(entry.ref)
    return LockUpdate(lock, added, problems)


class AssignmentError(ValueError):
    """A ``--set`` assignment that is not ``ID.field=VALUE`` for an existing id."""


def _parse_value(text: str) -> Any:
    """A --set value as TOML (numbers exact, tables and arrays allowed); bare words are text."""
    try:
        return tomllib.loads(f"v = {text}", parse_float=Decimal)["v"]
    except tomllib.TOMLDecodeError:
        return text


def _split_target(target: str, ids: list[str]) -> tuple[str, list[str]]:
    """``C2.1.max_points`` → (``C2.1``, [``max_points``]): ids contain dots too, so the
    longest prefix that names an existing criterion is the id."""
    parts = target.split(".")
    for end in range(len(parts) - 1, 0, -1):
        ident = ".".join(parts[:end])
        if ident in ids:
            return ident, parts[end:]
    raise AssignmentError(
        f"{target!r} names no criterion or area and field (expected ID.field=VALUE, e.g. "
        "A3.max_points=3)"
    )


def amendment_text(
    parent: CompiledRuleset,
    version: str,
    legal_basis: str,
    *,
    set_values: Sequence[str] = (),
    remove: Sequence[str] = (),
    why: str | None = None,
    date: dt.date,
    periods: Sequence[int] | None = None,
) -> tuple[str, int]:
    """The TOML of a draft amending ``parent``, and how many changes it makes.

    ``set_values`` are ``ID.field=VALUE`` assignments (VALUE in TOML: numbers exact,
    a bare word is text), ``remove`` ids of criteria or areas to retire, ``why`` the
    requirement behind every change. The periods default to ``parent``'s. Raises
    :class:`AssignmentError` for an assignment that names no existing id and field.
    """
    meta = parent.model.ruleset
    ref = f"{meta.family}@{version}"
    reason = {"vi": why, "en": why} if why else None
    ids = [placed.node.id for placed in parent.model.tree()]
    changes: list[dict[str, Any]] = []
    for item in set_values:
        target_text, separator, value = item.partition("=")
        if not separator:
            raise AssignmentError(f"expected ID.field=VALUE (got {item!r})")
        ident, field = _split_target(target_text.strip(), ids)
        nested: Any = _parse_value(value.strip())
        for key in reversed(field):
            nested = {key: nested}
        changes.append(
            {"op": "set", "id": ident, **({"why": reason} if reason else {}), "set": nested}
        )
    for ident in remove:
        changes.append({"op": "remove", "id": ident, **({"why": reason} if reason else {})})
    document: dict[str, Any] = {
        "ruleset": {
            "extends": parent.ref,
            "family": meta.family,
            "version": version,
            "title": {
                "vi": f"{meta.title.vi} — dự thảo {version}",
                "en": f"{meta.title.en} — draft {version}",
            },
            "status": "draft",
            "periods": list(periods or meta.periods),
            "legal_basis": {"decision": legal_basis, "date": date},
        },
        "changes": changes,
    }
    text = ruleset_toml(
        document,
        f"Amendment of {parent.ref}, written by `cchc rulesets amend`.\n"
        f"Resolved: cchc rulesets show {ref} --resolved\n"
        f"Changes:  cchc rulesets diff {parent.ref} {ref}",
    )
    return text, len(changes)
