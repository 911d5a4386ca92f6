"""Provenance: for any key path of resolved ruleset data, the file and line it came from.

A resolved amendment mixes the parent's text with the amendment's changes; a problem
found when it is validated must point at whichever of them wrote the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cchc_rules._diagnostics import KeyPath, line_of

__all__ = ["Located", "Origin"]


@dataclass(frozen=True)
class Origin:
    """A place in one file: the key path whose line it is."""

    file: str
    lines: Mapping[KeyPath, int]
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

    def __init__(self, data: dict[str, Any], file: str, lines: Mapping[KeyPath, int]) -> None:
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
