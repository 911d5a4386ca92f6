"""How problems are located and worded: key paths and their lines, suggestions for
misspelt names, pydantic's errors in a TOML author's words, values as written.

Every layer words its problems with these, so a message reads the same whichever
reader or checker found it.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import difflib
import types
import typing
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from cchc_rules._names import CRITERION_ID, NAME, VERSION
from cchc_rules.errors import Problem

__all__ = [
    "Checker",
    "KeyPath",
    "Locate",
    "clipped",
    "did_you_mean",
    "in_reading_order",
    "line_of",
    "listed",
    "readable_path",
    "shown",
    "validation_problems",
]

KeyPath = tuple[str | int, ...]
"""A path into parsed TOML data: table keys and list indexes."""

Locate = Callable[[KeyPath], tuple[str, int | None]]
"""Where a key path of the data was written: its file and line."""


def line_of(lines: Mapping[KeyPath, int], path: KeyPath) -> int | None:
    """Line of ``path``, or of its nearest located ancestor."""
    for end in range(len(path), 0, -1):
        found = lines.get(path[:end])
        if found is not None:
            return found
    return None


def in_reading_order(problems: Iterable[Problem]) -> list[Problem]:
    """Problems as a reader meets them: by file, then line (unlocated first), then key path."""
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.path, p.message))


def did_you_mean(word: str, candidates: Collection[str], *, aside: bool = False) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""`` when none is close.

    NOTE: expressions word it as an aside, ``" (did you mean 'x'?)"``, because their
    messages go on after it; both wordings are in published golden files.
    """
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    if not close:
        return ""
    return f" (did you mean {shown(close[0])}?)" if aside else f"; did you mean {shown(close[0])}?"


def readable_path(data: Any, loc: Sequence[str | int]) -> tuple[KeyPath, str]:
    """The data path of a pydantic ``loc`` (union branch names dropped), and its text.

    List items that carry an ``id`` are named by it: ``areas.A.criteria.A1.max_points``.
    """
    concrete: list[str | int] = []
    text: list[str] = []
    node = data
    for step in loc:
        if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            item = node[step]
            ident = item.get("id") if isinstance(item, dict) else None
            text.append(ident if isinstance(ident, str) else f"[{step}]")
        elif isinstance(node, dict) and isinstance(step, str) and step in node:
            text.append(step)
        elif isinstance(node, dict) and isinstance(step, str) and concrete[-1:] != [step]:
            # a key pydantic expected but did not find: still part of the path
            text.append(step)
            concrete.append(step)
            node = None
            continue
        else:
            continue  # union member or validator names inside pydantic's loc
        concrete.append(step)
        node = node[step]
    joined = ""
    for part in map(clipped, text):
        joined += part if part.startswith("[") or not joined else f".{part}"
    return tuple(concrete), joined


SHOWN_LIMIT = 200
"""Characters of a value echoed in a message; a longer one is cut and its length said."""


def clipped(text: str) -> str:
    """``text`` cut to :data:`SHOWN_LIMIT` characters, ``… (N characters)`` after the cut."""
    if len(text) <= SHOWN_LIMIT:
        return text
    return f"{text[:SHOWN_LIMIT]}… ({len(text):,} characters)"


def shown(value: object) -> str:
    """A value as the user wrote it in TOML: ``0.5`` not ``Decimal('0.5')``, ``true`` not
    ``True``; text keeps its quotes so ``'1'`` is visibly not ``1``. Cut to
    :data:`SHOWN_LIMIT` characters (:func:`clipped`): every value a message echoes
    goes through here, so no message repeats megabytes of bad input.
    """
    if isinstance(value, str):
        if len(value) <= SHOWN_LIMIT:
            return repr(value)
        # NOTE: the first characters in quotes, so what is text stays visibly text
        return f"{value[:SHOWN_LIMIT]!r}… ({len(value):,} characters)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int):
        return clipped(str(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return clipped("{ " + ", ".join(f"{k} = {shown(v)}" for k, v in value.items()) + " }")
    if isinstance(value, list):
        return clipped("[" + ", ".join(shown(v) for v in value) + "]")
    return clipped(repr(value))


def listed(names: Iterable[object]) -> str:
    """Names joined by commas, for "one of …" lists; cut like :func:`shown` values."""
    return clipped(", ".join(map(str, names)))


class Checker:
    """Collects located problems for one file's data."""

    def __init__(
        self, file: str, lines: Mapping[KeyPath, int], data: Any, locate: Locate | None = None
    ) -> None:
        self.file = file
        self.lines = lines
        self.data = data
        self.problems: list[Problem] = []
        self.locate: Locate = locate or (lambda path: (file, line_of(lines, path)))

    def add(self, path: KeyPath, message: str) -> None:
        concrete, text = readable_path(self.data, path)
        self.problems.append(Problem(*self.locate(concrete), text, message))

    def add_validation(self, exc: ValidationError, model: type[BaseModel], prefix: KeyPath) -> None:
        """The problems of ``exc``, raised validating the data at ``prefix`` by ``model``."""
        self.problems.extend(
            validation_problems(
                self.file, self.lines, self.data, exc, model, prefix, locate=self.locate
            )
        )


def validation_problems(
    file: str,
    lines: Mapping[KeyPath, int],
    data: Any,
    exc: ValidationError,
    model: type[BaseModel],
    prefix: KeyPath = (),
    locate: Locate | None = None,
) -> list[Problem]:
    """Turn a pydantic error into located problems; union branches merged per path."""
    where = locate or (lambda path: (file, line_of(lines, path)))
    merged: dict[tuple[KeyPath, str], list[str]] = {}
    errors = exc.errors()
    explained = _misspelt_keys(errors, model)
    for error in errors:
        if error["type"] == "missing" and tuple(error["loc"]) in explained:
            continue
        loc = (*prefix, *error["loc"])
        concrete, text = readable_path(data, loc)
        known = (
            _known_fields(model, error["loc"][:-1]) if error["type"] == "extra_forbidden" else []
        )
        messages = merged.setdefault((concrete, text), [])
        message = _message(error, known)
        if message not in messages:
            messages.append(message)
    return [
        Problem(*where(concrete), text, " or ".join(messages))
        for (concrete, text), messages in merged.items()
    ]


def _known_fields(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Field names of the table at ``loc`` below ``model`` (for "did you mean").

    ``loc`` is a pydantic location: field names, keys of ``dict[…, Model]`` tables
    (``facts.x``, ``unit_types.cuc``), list indexes and the names pydantic gives union
    members; empty when no single model is found there.
    """
    current: Any = model
    for step in loc:
        current = _below(current, step)
        if current is None:
            return []
    found = _model_of(current)
    return list(found.model_fields) if found is not None else []


def _below(annotation: Any, step: str | int) -> Any:
    """The type found one ``step`` below a value of type ``annotation``, or None."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _below(args[0], step)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(step) if isinstance(step, str) else None
        return None if field is None else field.annotation
    if origin is typing.Union or origin is types.UnionType:
        named = [arg for arg in args if getattr(arg, "__name__", None) == step]
        if named:
            return named[0]  # pydantic names the union member that failed
        found = [below for arg in args if (below := _below(arg, step)) is not None]
        return found[0] if len(found) == 1 else None
    if origin in (dict, collections.abc.Mapping) and isinstance(step, str):
        return args[1]  # a table of named tables: facts.<name>
    if origin in (list, tuple, collections.abc.Sequence) and isinstance(step, int):
        return args[0]
    return None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a table of type ``annotation`` is validated by (optional or not)."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        models = [found for arg in typing.get_args(annotation) if (found := _model_of(arg))]
        return models[0] if len(models) == 1 else None
    return None


def _misspelt_keys(errors: Sequence[Mapping[str, Any]], model: type[BaseModel]) -> set[KeyPath]:
    """``loc``s of missing keys that an unknown sibling key is a misspelling of.

    NOTE: ``max_pionts = 1`` is one mistake; the "did you mean 'max_points'?" of the
    unknown key says it all, so the "missing required key" it causes is not repeated.
    """
    found: set[KeyPath] = set()
    for error in errors:
        if error["type"] != "extra_forbidden":
            continue
        parent = tuple(error["loc"][:-1])
        close = difflib.get_close_matches(
            str(error["loc"][-1]), _known_fields(model, parent), n=1, cutoff=0.6
        )
        if close:
            found.add((*parent, close[0]))
    return found


def _message(error: Mapping[str, Any], known: list[str]) -> str:
    kind = error["type"]
    message: str = error["msg"]
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        expected = f"expected one of {', '.join(known)}" if known else "expected no such key"
        return f"unknown key {shown(key)}{did_you_mean(key, known)} ({expected})"
    if kind == "missing":
        if len(error["loc"]) == 1:
            # every top-level key of a ruleset is a table
            return "missing required table"
        return "missing required key"
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
        if message.startswith("expected a number") and _looks_numeric(error["input"]):
            message += "; write numbers without quotes"
        return message
    if kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        described = _PATTERNS.get(pattern, f"text matching {pattern!r}")
        return f"expected {described} (got {shown(error['input'])})"
    if message.startswith("Input should be "):
        expected = message.removeprefix("Input should be ")
        for pydantic_words, ours in _EXPECTED_WORDS:
            if expected.startswith(pydantic_words):
                expected = ours + expected.removeprefix(pydantic_words)
                break
        message = "expected " + expected
        if kind == "date_type" and isinstance(error["input"], str):
            return f"{message} (got {shown(error['input'])}); write dates without quotes"
    return f"{message} (got {shown(error['input'])})"


# NOTE: pydantic's words name Python types; a ruleset author writes TOML, so the
# message names what to write instead.
_EXPECTED_WORDS = (
    ("a valid string", "text in quotes"),
    ("a valid integer", "a whole number"),
    ("a valid boolean", "true or false"),
    ("a valid list", "an array [...]"),
    ("a valid dictionary or instance of Text", 'a table { vi = "…", en = "…" }'),
    ("a valid dictionary or instance of", "a table"),
    ("a valid dictionary", "a table"),
    ("a valid date", "a date such as 2024-12-31"),
    ("greater than or equal to ", "a number ≥ "),
    ("greater than ", "a number > "),
    ("less than or equal to ", "a number ≤ "),
    ("less than ", "a number < "),
)
_PATTERNS = {
    f"^{NAME}$": "a name of lowercase letters, digits and _, starting with a letter",
    f"^{CRITERION_ID}$": (
        "an id such as A, A1 or B2.1 (a capital letter first, parts joined by dots)"
    ),
    f"^{VERSION}$": "a version of letters, digits, '.', '_' and '-'",
}


def _looks_numeric(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        Decimal(value.strip())
    except ArithmeticError:
        return False
    return value.strip().lower() not in ("nan", "inf", "infinity", "-inf", "+inf")
