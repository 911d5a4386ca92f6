"""Resolving amendments: a ruleset version that ``extends`` another and lists its changes.

An amendment file has ``ruleset.extends`` and no ``[[areas]]``; it names the version it
amends and says only what the decision changed::

    [ruleset]
    extends = "ttcp@2018"          # or a path relative to this file, inside the rulesets dir
    ...
    [facts.new_fact]               # [unit_types], [facts], [legal_refs], [record_sets],
                                   # [providers]: added or replaced by name
    [grading] / [ranking]          # replaced whole when given
    [[changes]]                    # applied in order
    op = "set"
    id = "A3"
    set.params.bands = [...]

Resolution works on plain data and remembers where every part came from, so a problem
found when the resolved ruleset is validated points at the line that caused it: the
amendment's ``[[changes]]`` entry, or the parent file for what was inherited.
"""

from __future__ import annotations

import datetime as dt
import difflib
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cchc_rules.errors import Problem, RulesetError
from cchc_rules.ruleset._models import (
    CriterionId,
    Identifier,
    LegalBasis,
    Text,
    Transition,
)
from cchc_rules.ruleset._registry import REF_PATTERN
from cchc_rules.ruleset._toml import KeyPath, line_of

__all__ = [
    "Amendment",
    "Located",
    "apply_amendment",
    "fill_legal_refs",
    "find_parent",
    "is_amendment",
    "ruleset_toml",
    "toml_values",
]

# Keys of [ruleset] an amendment inherits when it does not give them; everything else
# (title, status, periods, legal basis…) belongs to one version and must be restated.
INHERITED_META = ("total_points", "points_decimals")


# -- the amendment schema -----------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class AmendmentMeta(_Model):
    family: Identifier
    version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    extends: Annotated[str, Field(min_length=1)]
    title: Text
    status: Literal["draft", "in_force", "superseded"]
    legal_basis: LegalBasis
    periods: Annotated[list[int], Field(min_length=1)]
    # Inherited when absent; checked with the resolved ruleset, like every other value.
    total_points: Any = None
    points_decimals: Any = None
    note: Text | None = None
    transition: Transition | None = None


Op = Literal["add", "remove", "set", "unset", "replace", "rename"]
# The fields each operation takes (besides ``op`` and ``why``) and which of them it needs.
_OP_FIELDS: dict[str, tuple[set[str], list[set[str]]]] = {
    "add": ({"criterion", "area", "into", "after"}, [{"criterion", "area"}]),
    "remove": ({"id", "fact"}, [{"id", "fact"}]),
    "set": ({"id", "set"}, [{"id"}, {"set"}]),
    "unset": ({"id", "keys"}, [{"id"}, {"keys"}]),
    "replace": ({"ids", "by", "after"}, [{"ids"}, {"by"}]),
    "rename": ({"id", "to"}, [{"id"}, {"to"}]),
}


class Change(_Model):
    """One ``[[changes]]`` entry; ``op`` says which of the other keys it takes."""

    op: Op
    why: Text | None = None
    """The requirement behind the change (a notice, an inspection finding, a decree)."""
    id: CriterionId | None = None
    ids: Annotated[list[CriterionId], Field(min_length=1)] | None = None
    fact: Identifier | None = None
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


class Amendment(_Model):
    """An amendment file: the new version's metadata and what changed."""

    ruleset: AmendmentMeta
    unit_types: dict[Identifier, dict[str, Any]] = {}
    facts: dict[Identifier, dict[str, Any]] = {}
    legal_refs: dict[Identifier, dict[str, Any]] = {}
    record_sets: dict[Identifier, dict[str, Any]] = {}
    providers: dict[Identifier, dict[str, Any]] = {}
    grading: dict[str, Any] | None = None
    ranking: dict[str, Any] | None = None
    changes: list[Change] = []


def is_amendment(data: Mapping[str, Any]) -> bool:
    """An amendment names its parent and has no areas of its own.

    NOTE: a file with both ``extends`` and ``[[areas]]`` is a complete ruleset that
    records its parent: that is what ``cchc rulesets show --resolved`` writes, and it
    must load back as itself, not be resolved a second time.
    """
    meta = data.get("ruleset")
    return isinstance(meta, dict) and "extends" in meta and "areas" not in data


# -- where things came from ---------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    file: str
    lines: dict[KeyPath, int]
    path: KeyPath

    def line(self) -> int | None:
        return line_of(self.lines, self.path) if self.path else None

    def below(self, *steps: str | int) -> Origin:
        return Origin(self.file, self.lines, (*self.path, *steps))


class Located:
    """Ruleset data and, for any key path in it, the file and line it came from.

    Containers (tables, arrays) carry the origin they were taken from; keys set by an
    amendment carry the line of the change. Objects are held here as well as in the
    data, so ``id()`` keys stay unique while this object lives.
    """

    def __init__(self, data: dict[str, Any], file: str, lines: dict[KeyPath, int]) -> None:
        self.data = data
        self._containers: dict[int, tuple[object, Origin]] = {}
        self._keys: dict[tuple[int, str | int], tuple[object, Origin]] = {}
        self.mark(data, Origin(file, lines, ()))

    def mark(self, value: object, origin: Origin) -> None:
        if isinstance(value, dict | list):
            self._containers[id(value)] = (value, origin)

    def mark_key(self, container: object, key: str | int, origin: Origin) -> None:
        self._keys[(id(container), key)] = (container, origin)

    def origin(self, path: KeyPath) -> Origin:
        node: Any = self.data
        origin = self._containers[id(node)][1]
        for step in path:
            child = _child(node, step)
            if (id(node), step) in self._keys:
                origin = self._keys[(id(node), step)][1]
            elif child is not None and id(child) in self._containers:
                origin = self._containers[id(child)][1]
            else:
                origin = origin.below(step)
            node = child
        return origin

    def locate(self, path: KeyPath) -> tuple[str, int | None]:
        origin = self.origin(path)
        return origin.file, origin.line() if origin.path else None


def _child(node: Any, step: str | int) -> Any:
    if isinstance(node, dict) and isinstance(step, str):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


# -- finding the parent -------------------------------------------------------------------


def find_parent(
    extends: str, path: Path, display: str, line: int | None, root: Path, chain: tuple[Path, ...]
) -> tuple[Path, str]:
    """The parent file named by ``extends`` and how to name it in messages.

    ``family@version`` is looked up in the rulesets directory ``root``; anything else is a
    path relative to the amending file, which must stay inside ``root`` (or, for a file
    outside any rulesets directory, inside the file's own directory).
    """

    def fail(message: str) -> RulesetError:
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
                f"expected family@version or a relative path to a .toml file (got {extends!r})"
            )
        here = path.resolve().parent
        fence = root.resolve() if path.resolve().is_relative_to(root.resolve()) else here
        candidate = (here / extends).resolve()
        if not candidate.is_relative_to(fence):
            raise fail(f"path {extends!r} leaves the rulesets directory")
        if not candidate.is_file():
            raise fail(f"no such file {extends!r}")
    resolved = candidate.resolve()
    if resolved == path.resolve() or resolved in chain:
        names = [p.name for p in (*chain, path.resolve(), resolved)]
        raise fail(f"extends makes a cycle: {' → '.join(names)}")
    relative = posixpath.relpath(resolved.as_posix(), path.resolve().parent.as_posix())
    return candidate, posixpath.normpath(posixpath.join(posixpath.dirname(display), relative))


# -- applying an amendment ------------------------------------------------------------------


def _walk_nodes(data: dict[str, Any]) -> Iterator[tuple[list[Any], int, dict[str, Any]]]:
    """Every area and criterion table as (its list, its index, the table), depth first."""

    def walk(items: Any) -> Iterator[tuple[list[Any], int, dict[str, Any]]]:
        if not isinstance(items, list):
            return
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield items, index, item
                yield from walk(item.get("criteria"))

    yield from walk(data.get("areas"))


def _ids_in(node: Mapping[str, Any]) -> Iterator[str]:
    ident = node.get("id")
    if isinstance(ident, str):
        yield ident
    for child in node.get("criteria") or []:
        if isinstance(child, dict):
            yield from _ids_in(child)


class _Amender:
    def __init__(
        self,
        parent: Located,
        parent_ref: str,
        amendment: Amendment,
        file: str,
        lines: dict[KeyPath, int],
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

    def here(self, *path: str | int) -> Origin:
        return Origin(self.file, self.lines, path)

    def problem(self, path: KeyPath, message: str) -> None:
        self.problems.append(
            Problem(self.file, line_of(self.lines, path), _id_path(self.raw, path), message)
        )

    @property
    def data(self) -> dict[str, Any]:
        return self.target.data

    def find(self, ident: str) -> tuple[list[Any], int, dict[str, Any]] | None:
        for found in _walk_nodes(self.data):
            if found[2].get("id") == ident:
                return found
        return None

    def known_ids(self) -> list[str]:
        return [str(node.get("id")) for _, _, node in _walk_nodes(self.data)]

    def retired(self) -> dict[str, str]:
        """Ids retired so far, each with the version that retired it."""
        gone: dict[str, str] = {}
        for entry in self.lineage:
            for old in entry.get("old", []):
                if old not in entry.get("new", []):
                    gone[old] = str(entry.get("version"))
        return gone

    def missing(self, path: KeyPath, ident: str) -> None:
        close = difflib.get_close_matches(ident, self.known_ids(), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        self.problem(path, f"no criterion or area {ident!r} in {self.parent_ref}{hint}")

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
                        f"id {ident!r} was retired in version {retired[ident]}: criterion ids "
                        "are never reused (choose a new id)",
                    )
                    ok = False
                elif ident in existing:
                    self.problem(
                        path,
                        f"id {ident!r} already exists in {self.parent_ref} "
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
        for section in ("grading", "ranking"):
            if section in raw:
                self.data[section] = raw[section]
                self.target.mark(raw[section], self.here(section))
        for index, change in enumerate(self.amendment.changes):
            getattr(self, f"op_{change.op}")(index, change)
        if self.lineage:
            self.data["lineage"] = self.lineage
            self.target.mark(self.lineage, self.here("ruleset"))

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
            parent = found[2]
            if parent.get("kind") is not None:
                self.problem(
                    ("changes", index, "into"),
                    f"{change.into!r} is a scored leaf; criteria go into an area or a group",
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
                    f"no {change.after!r} among the items of {where} "
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
                close = difflib.get_close_matches(change.fact, list(facts), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.problem(
                    ("changes", index, "fact"),
                    f"no fact {change.fact!r} in {self.parent_ref}{hint}",
                )
                return
            del facts[change.fact]
            return
        assert change.id is not None
        found = self.find(change.id)
        if found is None:
            self.missing(("changes", index, "id"), change.id)
            return
        siblings, position, node = found
        del siblings[position]
        self.record(index, change, "retired", list(_ids_in(node)), [])

    def op_set(self, index: int, change: Change) -> None:
        assert change.id is not None and change.set is not None
        found = self.find(change.id)
        if found is None:
            self.missing(("changes", index, "id"), change.id)
            return
        node = found[2]
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
        node = found[2]
        for position, key in enumerate(change.keys):
            if key not in node:
                self.problem(
                    ("changes", index, "keys", position),
                    f"{change.id} has no {key!r} to unset (it has {', '.join(sorted(node))})",
                )
                continue
            del node[key]
            # a required key unset is reported by validation, at this line
            self.target.mark_key(node, key, self.here("changes", index, "keys", position))

    def op_replace(self, index: int, change: Change) -> None:
        assert change.ids is not None and change.by is not None
        found = []
        for position, ident in enumerate(change.ids):
            hit = self.find(ident)
            if hit is None:
                self.missing(("changes", index, "ids", position), ident)
            else:
                found.append(hit)
        if len(found) != len(change.ids):
            return
        tables = self.raw_change(index)["by"]
        old_ids = [i for _, _, node in found for i in _ids_in(node)]
        if not self.check_new_ids(("changes", index, "by"), tables, set(old_ids)):
            return
        siblings, position, _ = found[0]
        for hit in found[1:]:
            hit[0].remove(hit[2])
        position = siblings.index(found[0][2])
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
        node = found[2]
        node["id"] = change.to
        self.target.mark_key(node, "id", self.here("changes", index, "to"))
        self.record(index, change, "renamed", [change.id], [change.to])


def apply_amendment(
    parent: Located,
    parent_ref: str,
    raw: dict[str, Any],
    amendment: Amendment,
    file: str,
    lines: dict[KeyPath, int],
) -> Located:
    """Apply ``amendment`` (validated from ``raw``) to the resolved ``parent``, in place.

    Raises :class:`RulesetError` with every change that targets nothing.
    """
    amender = _Amender(parent, parent_ref, amendment, file, lines, raw)
    amender.apply()
    if amender.problems:
        raise RulesetError(amender.problems)
    return parent


# -- legal references with versions --------------------------------------------------------


def reference_date(data: Mapping[str, Any]) -> dt.date | None:
    """The day whose legal texts a ruleset cites: the last day of its first period.

    NOTE: the newer text applies (guidance 383/BNV-CCHC): a decree in force by the end
    of the year assessed is the standard that year is assessed against.
    """
    meta = data.get("ruleset")
    periods = meta.get("periods") if isinstance(meta, dict) else None
    if not isinstance(periods, list) or not periods:
        return None
    if not all(isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 9999 for p in periods):
        return None
    return dt.date(min(periods), 12, 31)


def fill_legal_refs(located: Located) -> None:
    """Give every ``legal_ref = { ref = NAME }`` the document of the version in force.

    Raises :class:`RulesetError` for unknown names and names with no version in force.
    """
    data = located.data
    on = reference_date(data)
    catalogue = data.get("legal_refs")
    catalogue = catalogue if isinstance(catalogue, dict) else {}
    problems: list[Problem] = []
    for path, legal_ref in _legal_refs(data):
        name = legal_ref.get("ref")
        if not isinstance(name, str) or on is None:
            continue
        text = catalogue.get(name)
        file, line = located.locate((*path, "ref"))
        where = _id_path(data, path) + ".ref"
        if not isinstance(text, dict):
            known = ", ".join(catalogue) or "none"
            problems.append(
                Problem(
                    file,
                    line,
                    where,
                    f"unknown legal reference {name!r} (declared in [legal_refs]: {known})",
                )
            )
            continue
        versions = [
            v
            for v in text.get("versions") or []
            if isinstance(v, dict) and isinstance(v.get("in_force_from"), dt.date)
        ]
        in_force = [v for v in versions if v["in_force_from"] <= on]
        if not in_force:
            problems.append(
                Problem(
                    file, line, where, f"no version of {name!r} is in force on {on.isoformat()}"
                )
            )
            continue
        chosen = max(in_force, key=lambda v: v["in_force_from"])
        legal_ref["document"] = chosen.get("document")
        title = chosen.get("title") or text.get("title")
        if title is not None:
            legal_ref["title"] = title
    if problems:
        raise RulesetError(problems)


def _legal_refs(data: Mapping[str, Any]) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
    def walk(path: KeyPath, items: Any) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
        if not isinstance(items, list):
            return
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            here = (*path, index)
            if isinstance(item.get("legal_ref"), dict):
                yield (*here, "legal_ref"), item["legal_ref"]
            yield from walk((*here, "criteria"), item.get("criteria"))

    areas = data.get("areas")
    if isinstance(areas, list):
        for index, area in enumerate(areas):
            if isinstance(area, dict):
                yield from walk(("areas", index, "criteria"), area.get("criteria"))


def _id_path(data: Any, path: KeyPath) -> str:
    """``areas.E.criteria.E4.1.legal_ref``: list items named by their ids, as the loader
    names them (``changes.A3.set`` is the change of A3), others by index (``keys[1]``)."""
    text = ""
    node = data
    for step in path:
        node = _child(node, step)
        ident = node.get("id") if isinstance(step, int) and isinstance(node, dict) else None
        if isinstance(step, int) and not isinstance(ident, str):
            text += f"[{step}]"
        else:
            part = ident if isinstance(step, int) else str(step)
            text += f".{part}" if text else str(part)
    return text


# -- writing TOML ---------------------------------------------------------------------------


def toml_values(value: Any) -> Any:
    """Data for tomli_w that reads back to the same model, hence the same content hash.

    tomli_w writes ``Decimal("100")`` as ``100.0``, which reads back as a different
    Decimal (and hash); a whole Decimal without a fraction is written as an integer.
    """
    if isinstance(value, Decimal):
        return int(value) if value.as_tuple().exponent == 0 else value
    if isinstance(value, dict):
        return {key: toml_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [toml_values(item) for item in value]
    return value


def ruleset_toml(document: Mapping[str, Any], header: str = "") -> str:
    """A ruleset (or amendment) document as TOML text, optionally after comment lines."""
    comment = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    return comment + (("\n" if comment else "") + tomli_w.dumps(toml_values(document)))
