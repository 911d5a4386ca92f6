"""Errors raised by cchc-rules.

Every error a user can cause by bad input is a :class:`CchcError` that carries one or
more :class:`Problem` objects. A problem always starts with *where*: the file, the line
(and column for TOML syntax) or the row, and the key path or column, then what was
expected and what was found::

    rulesets/ttcp/2018.toml:42: areas.A.criteria.A1.max_points: expected a number ≥ 0 (got '-1')

Loaders collect every problem before raising, so one run shows them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CchcError",
    "EngineError",
    "FactCheckError",
    "InputError",
    "PluginError",
    "Problem",
    "RulesetError",
]

MAX_ROWS_PER_PROBLEM = 10
"""Rows one problem lists by row number; the rest are counted ("… more rows like this")."""


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem: ``file:line[:column]: path: message``."""

    file: str
    line: int | None
    path: str
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class CchcError(Exception):
    """Base class: bad input a user can fix. The message lists every problem."""

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            self.problems: Sequence[Problem] = ()
            message = problems
        else:
            self.problems = tuple(problems)
            message = "\n".join(str(p) for p in self.problems)
        super().__init__(message)

    def __reduce__(self) -> tuple[type[CchcError], tuple[Sequence[Problem] | str]]:
        # A worker process's error reaches the coordinator pickled: it must arrive with
        # its problems, not as one line of text.
        return type(self), (self.problems or str(self),)


class RulesetError(CchcError):
    """A ruleset file is not valid TOML, breaks the schema, or fails a cross-check."""


class InputError(CchcError):
    """A units / facts table does not match the ruleset's facts schema."""


class FactCheckError(InputError):
    """Units break an ``error`` check between facts (``[[checks]]`` of the ruleset).

    ``problems`` are in Vietnamese; ``translations`` holds the same problems per
    language, so a caller that knows the reader's language shows them in it.
    """

    def __init__(
        self,
        problems: Iterable[Problem] | str,
        translations: Mapping[str, Sequence[Problem]] | None = None,
    ) -> None:
        super().__init__(problems)
        self.translations = dict(translations or {})

    def in_language(self, lang: str) -> FactCheckError:
        """The same refusal worded in ``lang`` (as it is when that language is unknown)."""
        return FactCheckError(self.translations.get(lang, self.problems), self.translations)

    def __reduce__(self) -> tuple[type[CchcError], tuple[Any, ...]]:
        return type(self), (self.problems or str(self), self.translations)


class PluginError(CchcError):
    """A plugin failed to load, targets another API version, or defines a kind badly."""


class EngineError(CchcError):
    """A criterion kind returned something the engine cannot accept (a plugin bug)."""
