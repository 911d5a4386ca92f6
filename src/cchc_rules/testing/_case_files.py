"""What the kind and the provider case files share: reading, locating, collecting."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from cchc_rules._diagnostics import KeyPath, line_of
from cchc_rules.ruleset._toml import key_lines, read_toml
from cchc_rules.testing._optional import require

__all__ = ["CASE_TABLE", "case_params", "read_case_file", "where"]

M = TypeVar("M", bound=BaseModel)
C = TypeVar("C")


CASE_TABLE = ConfigDict(frozen=True, extra="forbid")
"""The config of a case file's tables: unknown keys are mistakes in the case."""


def read_case_file(path: Path, model: type[M], what: str) -> tuple[M, dict[KeyPath, int]]:
    """The case file at ``path`` validated by ``model``, and the line of each key."""
    data, source = read_toml(path)
    try:
        return model.model_validate(data), key_lines(source)
    except ValidationError as exc:
        raise ValueError(f"{path}: not a valid {what}:\n{exc}") from exc


def where(path: Path, lines: dict[KeyPath, int], key: KeyPath) -> str:
    """``file:line`` of ``key``, for failure messages."""
    line = line_of(lines, key)
    return f"{path}:{line}" if line is not None else str(path)


def case_params(
    path: str | Path,
    classes: Iterable[C],
    name_of: Callable[[C], str],
    load: Callable[[Path], list[tuple[str, str, str, Any]]],
) -> list[Any]:
    """``pytest.param(class, case)`` for every case under ``path`` (a file or a folder of
    ``*.toml``), with ids ``name/section/case``; ``load`` gives each case of a file as
    ``(class name, section, case name, case)``."""
    pytest = require("pytest")
    path = Path(path)
    by_name = {name_of(item): item for item in classes}
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    params: list[Any] = []
    for file in files:
        for name, section, case_name, case in load(file):
            found = by_name.get(name)
            if found is None:
                raise ValueError(
                    f"{file}: {name!r} is not among those given ({', '.join(sorted(by_name))})"
                )
            params.append(pytest.param(found, case, id=f"{name}/{section}/{case_name}"))
    return params
