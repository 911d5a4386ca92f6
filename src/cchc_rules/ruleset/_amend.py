"""Amendments: a ruleset version that ``extends`` another and lists its changes.

An amendment file has ``ruleset.extends`` and no ``[[areas]]``; it names the version it
amends and says only what the decision changed::

    [ruleset]
    extends = "ttcp@2018"          # or a path relative to this file, inside the rulesets dir
    ...
    [facts.new_fact]               # [unit_types], [facts], [legal_refs], [record_sets],
                                   # [providers]: added or replaced by name
    [grading] / [ranking] / [scoring] / [appraisal]   # replaced whole when given
    [[checks]]                     # checks between facts: added or replaced by id
    [[changes]]                    # applied in order
    op = "set"
    id = "A3"
    set.params.bands = [...]

:func:`read_chain` reads a file and every version it extends, down to a complete
ruleset; :func:`amend` applies one amendment to its resolved parent. Resolution works on
plain data and remembers where every part came from (:mod:`cchc_rules.ruleset._origin`),
so a problem found when the resolved ruleset is validated points at the line that
caused it: the amendment's ``[[changes]]`` entry, or the parent file for what was
inherited.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from cchc_rules._diagnostics import (
    Checker,
    KeyPath,
    did_you_mean,
    in_reading_order,
    line_of,
    listed,
    readable_path,
    shown,
    validation_problems,
)
from cchc_rules.errors import Problem, RulesetError
from cchc_rules.ruleset._limits import check_changes, check_values
from cchc_rules.ruleset._models import (
    CriterionId,
    Identifier,
    LegalBasis,
    RawNode,
    Ruleset,
    Text,
    TomlModel,
    Transition,
    Version,
    raw_tree,
)
from cchc_rules.ruleset._origin import Located, Origin
from cchc_rules.ruleset._registry import REF_PATTERN
from cchc_rules.ruleset._toml import KeyLines, parse_toml, read_toml

__all__ = ["Amendment", "ChainFile", "amend", "is_amendment", "read_chain"]

# Keys of [ruleset] an amendment inherits when it does not give them; everything else
# (title, status, periods, legal basis…) belongs to one version and must be restated.
INHERITED_META = ("total_points", "points_decimals")


# -- the amendment schema -----------------------------------------------------------------


class AmendmentMeta(TomlModel):
    family: Identifier
    version: Version
    extends: Annotated[str, Field(min_length=1)]
    title: Text
    status: Literal["draft", "in_force", "superseded"]
    legal_basis: LegalBasis
    periods: Annotated[list[int], Field(min_length=1)]
    # Inherited when absent; checked with the resolved ruleset, like every other value.
    total_points: Any = None
    points_decimals: Any = None
    note: Text | None = None
    total_points_note: Text | None = None
    transition: Transition | None = None


Op = Literal["add", "remove", "set", "unset", "replace", "rename"]
# The fields each operation takes (besides ``op`` and ``why``) and which of them it needs.
_OP_FIELDS: dict[str, tuple[set[str], list[set[str]]]] = {
    "add": ({"criterion", "area", "into", "after"}, [{"criterion", "area"}]),
    "remove": ({"id", "fact", "check"}, [{"id", "fact", "check"}]),
    "set": ({"id", "set"}, [{"id"}, {"set"}]),
    "unset": ({"id", "keys"}, [{"id"}, {"keys"}]),
    "replace": ({"ids", "by", "after"}, [{"ids"}, {"by"}]),
    "rename": ({"id", "to"}, [{"id"}, {"to"}]),
}


class Change(TomlModel):
    """One ``[[changes]]`` entry; ``op`` says which of the other keys it takes."""

    op: Op
    why: Text | None = None
    """The requirement behind the change (a notice, an inspection finding, a decree)."""
    id: CriterionId | None = None
    ids: Annotated[list[CriterionId], Field(min_length=1)] | None = None
    fact: Identifier | None = None
    check: Identifier | None = None
    """The id of a ``[[checks]]`` entry the amendment removes."""
    into: CriterionId | None = None
    after: CriterionId | None = None
    criterion: dict[str, Any] | None = None
    area: dict[str, Any] | None = None
    by: Annotated[list[dict[str, Any]], Field(min_length=1)] | None = None
    set: Annotated[dict[str, Any], Field(min_length=1)] | None = None
    keys: Annotated[list[str], Field(min_length=1)] | None = None
    to: CriterionId | None = None

    @model_validator(mode="after")
    def _fields_fit_the_op(self) -> Change:
        allowed, needed = _OP_FIELDS[self.op]
        given = {name for name in self.model_fields_set if name not in ("op", "why")}
        extra = sorted(given - allowed)
        if extra:
            raise ValueError(
                f"op {self.op!r} takes {', '.join(sorted(allowed))} (got {', '.join(extra)})"
            )
        for group in needed:
            present = group & given
            if len(present) != 1:
                choice = " or ".join(sorted(group))
                raise ValueError(f"op {self.op!r} needs exactly one of {choice}")
        if self.op == "add" and self.area is not None and self.into is not None:
            raise ValueError("an area is added at the top level; 'into' is for criteria")
        if self.op == "add" and self.criterion is not None and self.into is None:
            raise ValueError("op 'add' of a criterion needs 'into' (its area or group id)")
        return self


class Amendment(TomlModel):
    """An amendment file: the new version's metadata and what changed."""

    ruleset: AmendmentMeta
    unit_types: dict[Identifier, dict[str, Any]] = Field(default_factory=dict)
    facts: dict[Identifier, dict[str, Any]] = Field(default_factory=dict)
    legal_refs: dict[Identifier, dict[str, Any]] = Field(default_factory=dict)
    record_sets: dict[Identifier, dict[str, Any]] = Field(default_factory=dict)
    providers: dict[Identifier, dict[str, Any]] = Field(default_factory=dict)
    grading: dict[str, Any] | None = None
    ranking: dict[str, Any] | None = None
    scoring: dict[str, Any] | None = None
    appraisal: dict[str, Any] | None = None
    checks: list[dict[str, Any]] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)


def is_amendment(data: Mapping[str, Any]) -> bool:
    """An amendment names its parent and has no areas of its own.

    NOTE: a file with both ``extends`` and ``[[areas]]`` is a complete ruleset that
    records its parent: that is what ``cchc rulesets show --resolved`` writes, and it
    must load back as itself, not be resolved a second time.
    """
    meta = data.get("ruleset")
    return isinstance(meta, dict) and "extends" in meta and "areas" not in data


# -- finding the parent -------------------------------------------------------------------


def _find_parent(
    extends: str,
    path: Path,
    display: str,
    lines: Mapping[KeyPath, int],
    root: Path,
    chain: tuple[Path, ...],
) -> tuple[Path, str]:
    """The parent file named by ``extends`` and how to name it in messages.

    ``family@version`` is looked up in the rulesets directory ``root``; anything else is a
    path relative to the amending file, which must stay inside ``root`` (or, for a file
    outside any rulesets directory, inside the file's own directory).
    """

    def fail(message: str) -> RulesetError:
        # Located only here: ``lines`` are scanned on first use.
        line = line_of(lines, ("ruleset", "extends"))
        return RulesetError([Problem(display, line, "ruleset.extends", message)])

    match = re.match(REF_PATTERN, extends)
    if match is not None:
        candidate = root / match["family"] / f"{match['version']}.toml"
        if not candidate.is_file():
            known = sorted(f"{match['family']}@{p.stem}" for p in candidate.parent.glob("*.toml"))
            raise fail(
                f"no ruleset {extends} in the rulesets directory "
                f"(versions of {match['family']}: {', '.join(known) or 'none'})"
            )
    else:
        if Path(extends).is_absolute() or not extends.endswith(".toml"):
            raise fail(
                f"expected family@version or a relative path to a .toml file (got {shown(extends)})"
            )
        here = path.resolve().parent
        fence = root.resolve() if path.resolve().is_relative_to(root.resolve()) else here
        candidate = (here / extends).resolve()
        if not candidate.is_relative_to(fence):
            raise fail(f"path {shown(extends)} leaves the rulesets directory")
        if not candidate.is_file():
            raise fail(f"no such file {shown(extends)}")
    resolved = candidate.resolve()
    if resolved == path.resolve() or resolved in chain:
        names = [p.name for p in (*chain, path.resolve(), resolved)]
        raise fail(f"extends makes a cycle: {' → '.join(names)}")
    relative = posixpath.relpath(resolved.as_posix(), path.resolve().parent.as_posix())
    return candidate, posixpath.normpath(posixpath.join(posixpath.dirname(display), relative))


# -- applying an amendment ------------------------------------------------------------------


def _ids_in(table: dict[str, Any]) -> Iterator[str]:
    """The id of an area or criterion table and of every criterion below it."""
    for node in raw_tree([table], ()):
        ident = node.table.get("id")
        if isinstance(ident, str):
            yield ident


class _Amender:
    def __init__(
        self,
        parent: Located,
        parent_ref: str,
        amendment: Amendment,
        file: str,
        lines: Mapping[KeyPath, int],
        raw: dict[str, Any],
    ) -> None:
        self.raw = raw
        self.target = parent
        self.parent_ref = parent_ref
        self.amendment = amendment
        self.file = file
        self.lines = lines
        self.problems: list[Problem] = []
        self.lineage: list[dict[str, Any]] = list(parent.data.get("lineage") or [])
        self._index: dict[str, RawNode] | None = None

    def here(self, *path: str | int) -> Origin:
        return Origin(self.file, self.lines, path)

    def problem(self, path: KeyPath, message: str) -> None:
        self.problems.append(
            Problem(self.file, line_of(self.lines, path), readable_path(self.raw, path)[1], message)
        )

    @property
    def data(self) -> dict[str, Any]:
        return self.target.data

    def index(self) -> dict[str, RawNode]:
        """Every area and criterion by id (the first of a duplicated id, as a walk finds
        it), walked once and again only after a change that moves tables."""
        if self._index is None:
            self._index = {}
            for node in raw_tree(self.data.get("areas")):
                ident = node.table.get("id")
                if isinstance(ident, str):
                    self._index.setdefault(ident, node)
        return self._index

    def find(self, ident: str) -> RawNode | None:
        return self.index().get(ident)

    def known_ids(self) -> list[str]:
        return list(self.index())

    def retired(self) -> dict[str, str]:
        """Ids retired so far, each with the version that retired it."""
        gone: dict[str, str] = {}
        for entry in self.lineage:
            for old in entry.get("old", []):
                if old not in entry.get("new", []):
                    gone[old] = str(entry.get("version"))
        return gone

    def missing(self, path: KeyPath, ident: str) -> None:
        hint = did_you_mean(ident, self.known_ids())
        self.problem(path, f"no criterion or area {shown(ident)} in {self.parent_ref}{hint}")

    def check_new_ids(
        self, path: KeyPath, tables: list[dict[str, Any]], replacing: set[str]
    ) -> bool:
        existing = set(self.known_ids()) - replacing
        retired = self.retired()
        ok = True
        for table in tables:
            for ident in _ids_in(table):
                if ident in retired:
                    self.problem(
                        path,
                        f"id {shown(ident)} was retired in version {retired[ident]}: criterion ids "
                        "are never reused (choose a new id)",
                    )
                    ok = False
                elif ident in existing:
                    self.problem(
                        path,
                        f"id {shown(ident)} already exists in {self.parent_ref} "
                        "(use op = 'set' to change it, or 'replace')",
                    )
                    ok = False
        return ok

    def record(self, index: int, change: Change, kind: str, old: list[str], new: list[str]) -> None:
        entry: dict[str, Any] = {
            "version": self.amendment.ruleset.version,
            "change": kind,
            "old": old,
            "new": new,
        }
        raw_why = self.raw_change(index).get("why")
        if change.why is not None:
            entry["why"] = raw_why
        self.lineage.append(entry)
        self.target.mark(entry, self.here("changes", index))

    def raw_change(self, index: int) -> dict[str, Any]:
        raw: dict[str, Any] = self.raw["changes"][index]
        return raw

    # -- whole tables ------------------------------------------------------------------

    def apply(self) -> None:
        raw = self.raw
        meta = dict(raw["ruleset"])
        meta.pop("extends")
        parent_meta = self.data.get("ruleset", {})
        for key in INHERITED_META:
            if key not in meta and key in parent_meta:
                meta[key] = parent_meta[key]
        meta["extends"] = self.parent_ref
        self.data["ruleset"] = meta
        self.target.mark(meta, self.here("ruleset"))
        for section in ("unit_types", "facts", "legal_refs", "record_sets", "providers"):
            tables = raw.get(section)
            if not isinstance(tables, dict):
                continue
            merged = self.data.setdefault(section, {})
            for name, table in tables.items():
                merged[name] = table
                self.target.mark(table, self.here(section, name))
        # NOTE: [scoring] and [appraisal] are replaced whole like [grading] and [ranking],
        # not merged key by key: a merge could not take a key away (working_decimals left
        # over from a parent that rounded only the total), and the amendment then states
        # the whole arithmetic.
        for section in ("grading", "ranking", "scoring", "appraisal"):
            if section in raw:
                self.data[section] = raw[section]
                self.target.mark(raw[section], self.here(section))
        self.apply_checks()
        for index, change in enumerate(self.amendment.changes):
            getattr(self, f"op_{change.op}")(index, change)
            if change.op != "set":
                # NOTE: adds, removals, renames and unset ids move or rename tables; a
                # set changes values only, so a run of sets walks the tree once
                self._index = None
        if self.lineage:
            self.data["lineage"] = self.lineage
            self.target.mark(self.lineage, self.here("ruleset"))

    def apply_checks(self) -> None:
        """``[[checks]]`` of the amendment: one with the id of an inherited check
        replaces it in its place, any other is added after the inherited ones."""
        given = self.raw.get("checks")
        if not isinstance(given, list) or not given:
            return
        checks = self.inherited_checks()
        at = {c.get("id"): n for n, c in enumerate(checks) if isinstance(c, dict)}
        for index, table in enumerate(given):
            ident = table.get("id") if isinstance(table, dict) else None
            if isinstance(ident, str) and ident in at:
                checks[at[ident]] = table
            else:
                checks.append(table)
            self.target.mark(table, self.here("checks", index))
        self.data["checks"] = checks

    # -- operations --------------------------------------------------------------------

    def op_add(self, index: int, change: Change) -> None:
        raw = self.raw_change(index)
        key = "area" if change.area is not None else "criterion"
        table = raw[key]
        if change.area is not None:
            siblings: list[Any] = self.data.setdefault("areas", [])
        else:
            assert change.into is not None  # checked by the schema
            found = self.find(change.into)
            if found is None:
                self.missing(("changes", index, "into"), change.into)
                return
            parent = found.table
            if parent.get("kind") is not None:
                self.problem(
                    ("changes", index, "into"),
                    f"{shown(change.into)} is a scored leaf; criteria go into an area or a group",
                )
                return
            siblings = parent.setdefault("criteria", [])
        if not self.check_new_ids(("changes", index, key), [table], set()):
            return
        position = len(siblings)
        if change.after is not None:
            ids = [item.get("id") for item in siblings if isinstance(item, dict)]
            if change.after not in ids:
                where = change.into or "the areas"
                self.problem(
                    ("changes", index, "after"),
                    f"no {shown(change.after)} among the items of {where} "
                    f"(they are: {', '.join(map(str, ids))})",
                )
                return
            position = ids.index(change.after) + 1
        siblings.insert(position, table)
        self.target.mark(table, self.here("changes", index, key))

    def op_remove(self, index: int, change: Change) -> None:
        if change.fact is not None:
            facts = self.data.get("facts", {})
            if change.fact not in facts:
                self.problem(
                    ("changes", index, "fact"),
                    f"no fact {shown(change.fact)} in {self.parent_ref}"
                    f"{did_you_mean(change.fact, list(facts))}",
                )
                return
            del facts[change.fact]
            return
        if change.check is not None:
            self.remove_check(index, change.check)
            return
        assert change.id is not None
        found = self.find(change.id)
        if found is None:
            self.missing(("changes", index, "id"), change.id)
            return
        del found.siblings[found.position]
        node = found.table
        self.record(index, change, "retired", list(_ids_in(node)), [])

    def inherited_checks(self) -> list[Any]:
        """The checks so far, each table marked with where it was written: the list is
        then edited (an item replaced or removed) without moving any check's line."""
        checks: list[Any] = list(self.data.get("checks") or [])
        for position, table in enumerate(checks):
            self.target.mark(table, self.target.origin(("checks", position)))
        self.data["checks"] = checks
        return checks

    def remove_check(self, index: int, ident: str) -> None:
        checks = self.inherited_checks()
        ids = [c.get("id") for c in checks if isinstance(c, dict)]
        if ident not in ids:
            known = [i for i in ids if isinstance(i, str)]
            self.problem(
                ("changes", index, "check"),
                f"no check {shown(ident)} in {self.parent_ref}{did_you_mean(ident, known)}",
            )
            return
        del checks[ids.index(ident)]
        if not checks:
            # NOTE: no checks left is the same content as none declared (the same hash)
            self.data.pop("checks")

    def op_set(self, index: int, change: Change) -> None:
        assert change.id is not None and change.set is not None
        found = self.find(change.id)
        if found is None:
            self.missing(("changes", index, "id"), change.id)
            return
        node = found.table
        values = self.raw_change(index)["set"]
        for key in ("id", "criteria"):
            if key in values:
                instead = "op = 'rename'" if key == "id" else "op = 'add', 'remove' or 'replace'"
                self.problem(("changes", index, "set", key), f"{key} is changed with {instead}")
                return
        if "kind" in values and "params" in node:
            # A new kind reads its own parameters: the old ones must not leak into them.
            del node["params"]
        self.merge(node, values, ("changes", index, "set"))

    def merge(self, node: dict[str, Any], values: dict[str, Any], path: KeyPath) -> None:
        for key, value in values.items():
            if isinstance(value, dict) and isinstance(node.get(key), dict):
                self.merge(node[key], value, (*path, key))
                continue
            node[key] = value
            self.target.mark_key(node, key, self.here(*path, key))
            self.target.mark(value, self.here(*path, key))

    def op_unset(self, index: int, change: Change) -> None:
        assert change.id is not None and change.keys is not None
        found = self.find(change.id)
        if found is None:
            self.missing(("changes", index, "id"), change.id)
            return
        node = found.table
        for position, key in enumerate(change.keys):
            if key not in node:
                self.problem(
                    ("changes", index, "keys", position),
                    f"{change.id} has no {shown(key)} to unset (it has {listed(sorted(node))})",
                )
                continue
            del node[key]
            # a required key unset is reported by validation, at this line
            self.target.mark_key(node, key, self.here("changes", index, "keys", position))

    def op_replace(self, index: int, change: Change) -> None:
        assert change.ids is not None and change.by is not None
        found: list[RawNode] = []
        below: dict[str, set[str]] = {}  # each id found → the ids of its table
        for position, ident in enumerate(change.ids):
            where = ("changes", index, "ids", position)
            hit = self.find(ident)
            if hit is None:
                self.missing(where, ident)
                continue
            own = set(_ids_in(hit.table))
            # NOTE: a table listed twice, or inside another listed one, would be taken
            # out of the tree twice
            overlap = next((other for other, ids in below.items() if own & ids), None)
            if overlap == ident:
                self.problem(where, f"expected each id once (got {shown(ident)} again)")
            elif overlap is not None:
                relation = "is inside" if ident in below[overlap] else "holds"
                self.problem(
                    where,
                    f"expected ids of separate criteria (got {shown(ident)}, which {relation} "
                    f"{shown(overlap)}, listed before it)",
                )
            else:
                found.append(hit)
                below[ident] = own
        if len(found) != len(change.ids):
            return
        tables = self.raw_change(index)["by"]
        old_ids = [i for hit in found for i in _ids_in(hit.table)]
        if not self.check_new_ids(("changes", index, "by"), tables, set(old_ids)):
            return
        siblings = found[0].siblings
        for hit in found[1:]:
            hit.siblings.remove(hit.table)
        position = siblings.index(found[0].table)
        siblings[position : position + 1] = tables
        for offset, table in enumerate(tables):
            self.target.mark(table, self.here("changes", index, "by", offset))
        new_ids = [str(table.get("id")) for table in tables]
        kind = (
            "merged"
            if len(change.ids) > 1 and len(tables) == 1
            else "split"
            if len(change.ids) == 1 and len(tables) > 1
            else "replaced"
        )
        if kind != "replaced" or change.ids != new_ids:
            self.record(index, change, kind, list(change.ids), new_ids)

    def op_rename(self, index: int, change: Change) -> None:
        assert change.id is not None and change.to is not None
        found = self.find(change.id)
        if found is None:
            self.missing(("changes", index, "id"), change.id)
            return
        if not self.check_new_ids(("changes", index, "to"), [{"id": change.to}], set()):
            return
        node = found.table
        node["id"] = change.to
        self.target.mark_key(node, "id", self.here("changes", index, "to"))
        self.record(index, change, "renamed", [change.id], [change.to])


def _apply(
    parent: Located,
    parent_ref: str,
    raw: dict[str, Any],
    amendment: Amendment,
    file: str,
    lines: Mapping[KeyPath, int],
) -> Located:
    """Apply ``amendment`` (validated from ``raw``) to the resolved ``parent``, in place.

    Raises :class:`RulesetError` with every change that targets nothing.
    """
    amender = _Amender(parent, parent_ref, amendment, file, lines, raw)
    amender.apply()
    if amender.problems:
        raise RulesetError(amender.problems)
    return parent


# -- the chain of versions ------------------------------------------------------------------


@dataclass(frozen=True)
class ChainFile:
    """One file of a chain of versions, read: a complete ruleset or an amendment."""

    path: Path
    file: str
    """How messages name it."""
    data: dict[str, Any]
    source: str
    lines: Mapping[KeyPath, int]
    amendment: Amendment | None
    """Its amendment schema, validated; None for a complete ruleset."""

    def located(self) -> Located:
        return Located(self.data, self.file, self.lines)


def read_chain(path: Path, file: str, root: Path, text: str | None = None) -> list[ChainFile]:
    """``path`` and every version it extends, the complete ruleset they rest on first.

    ``text`` stands for the content of ``path`` (a file not written yet). Raises
    :class:`RulesetError` for an amendment that does not fit its schema and for an
    ``extends`` that names no file, leaves ``root`` or makes a cycle.
    """
    found: list[ChainFile] = []
    extending: tuple[Path, ...] = ()  # the files read so far, to catch cycles
    while True:
        read = _read(path, file, text)
        found.append(read)
        if read.amendment is None:
            return found[::-1]
        path, file = _find_parent(
            read.amendment.ruleset.extends, path, file, read.lines, root, extending
        )
        extending = (*extending, read.path.resolve())
        text = None


def _read(path: Path, file: str, text: str | None) -> ChainFile:
    if text is None:
        data, source = read_toml(path, file)
    else:
        data, source = parse_toml(text, file), text
    # NOTE: only now, with nesting and sizes within the limits, is every key's line
    # cheap to find and every value cheap to walk.
    lines = KeyLines(source)
    checker = Checker(file, lines, data)
    check_values(checker)
    if is_amendment(data):
        check_changes(checker)
    if checker.problems:
        raise RulesetError(in_reading_order(checker.problems))
    if not is_amendment(data):
        return ChainFile(path, file, data, source, lines, None)
    try:
        amendment = Amendment.model_validate(data)
    except ValidationError as exc:
        raise RulesetError(
            in_reading_order(validation_problems(file, lines, data, exc, Amendment))
        ) from exc
    return ChainFile(path, file, data, source, lines, amendment)


def amend(parent: Located, parent_model: Ruleset, amending: ChainFile) -> Located:
    """The resolved ``parent`` (validated as ``parent_model``) with ``amending`` applied.

    Raises :class:`RulesetError` for a parent of another family and with every change
    that targets nothing.
    """
    amendment = amending.amendment
    assert amendment is not None  # a complete ruleset amends nothing
    if parent_model.ruleset.family != amendment.ruleset.family:
        raise RulesetError(
            [
                Problem(
                    amending.file,
                    line_of(amending.lines, ("ruleset", "extends")),
                    "ruleset.extends",
                    f"expected a version of family {shown(amendment.ruleset.family)} "
                    f"(got {parent_model.ref}, of family {shown(parent_model.ruleset.family)})",
                )
            ]
        )
    return _apply(parent, parent_model.ref, amending.data, amendment, amending.file, amending.lines)
