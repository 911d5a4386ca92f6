"""Provenance: what produced a set of results, written into every output file.

One record for every output of ``cchc evaluate`` (a JSON key, an XLSX sheet, Parquet
schema metadata, CSV comment lines on request) and the base of a published run's record
in the store: the ruleset and its content hash, the period and why that version, the
SHA-256 of every input file, every plugin with its distribution and version, the
cchc-rules and Python versions, who asked (when given), and the options that change the
bytes written.

It has no time of writing: the same inputs and environment give the same record, so an
output file is reproducible byte for byte (docs/decisions/0029-provenance-in-outputs.md).
A published run in the store records its time as part of the event that published it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cchc_rules._plugins import PluginInfo

__all__ = [
    "PARQUET_KEY",
    "InputFile",
    "Provenance",
    "file_sha256",
    "input_files",
    "plugin_records",
    "record_lines",
    "tool_version",
]

PARQUET_KEY = b"cchc:provenance"
"""The Parquet schema metadata key that holds the record (JSON text)."""


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks (a large input is never held whole)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tool_version() -> str:
    """The installed cchc-rules version."""
    try:
        return importlib.metadata.version("cchc-rules")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a source tree
        return "0+unknown"


def plugin_records(plugins: Iterable[PluginInfo]) -> list[dict[str, str | None]]:
    """Each plugin as the records name it: entry-point name, distribution, version, source."""
    return [
        {
            "name": p.name,
            "distribution": p.distribution,
            "version": p.version,
            "source": p.source,
        }
        for p in plugins
    ]


@dataclass(frozen=True)
class InputFile:
    """One input file as read: its kind (``units``, ``records:NAME``), name and SHA-256."""

    kind: str
    name: str
    sha256: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "sha256": self.sha256}


def input_files(units: Path | None, records: Mapping[str, Path] | None = None) -> list[InputFile]:
    """The files behind a run: the units file (or every file of a dataset directory, by
    their path inside it) and each record set, in a fixed order.

    Names, not full paths: the same files give the same record on any machine.
    """
    found: list[InputFile] = []
    if units is not None and units.is_dir():
        for path in sorted(p for p in units.rglob("*") if p.is_file()):
            found.append(InputFile("units", path.relative_to(units).as_posix(), file_sha256(path)))
    elif units is not None and units.is_file():
        found.append(InputFile("units", units.name, file_sha256(units)))
    for name, path in sorted((records or {}).items()):
        if path.is_file():
            found.append(InputFile(f"records:{name}", path.name, file_sha256(path)))
    return found


@dataclass(frozen=True)
class Provenance:
    """What produced a set of results (see the module's docstring)."""

    ruleset: str
    content_hash: str
    title: str
    period: int | None
    why: str
    inputs: Sequence[InputFile] = ()
    plugins: Sequence[PluginInfo] = ()
    who: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    cchc_rules: str = field(default_factory=tool_version)
    python: str = field(default_factory=platform.python_version)

    def to_json(self) -> dict[str, Any]:
        return {
            "ruleset": {
                "ref": self.ruleset,
                "content_hash": self.content_hash,
                "title": self.title,
                "period": self.period,
                "why": self.why,
            },
            "inputs": [record.to_json() for record in self.inputs],
            "plugins": plugin_records(self.plugins),
            "cchc_rules": self.cchc_rules,
            "python": self.python,
            "who": self.who,
            "options": dict(self.options),
        }


def record_lines(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A provenance record (as JSON) flattened to ``(key path, text)`` lines, in order:
    what a CSV header block and a provenance sheet show, whatever wrote the record."""
    lines: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(f"{prefix}.{index}", item)
        else:
            lines.append((prefix, "" if value is None else str(value)))

    walk("", record)
    return lines
