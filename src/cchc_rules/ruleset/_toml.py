"""Reading TOML exactly, finding the line of any key path, and writing it back.

``tomllib`` parses (floats as :class:`~decimal.Decimal`, syntax errors with line and
column); it does not say where a key was. :func:`key_lines` recovers that from the
source of a document ``tomllib`` has already accepted, so validation errors can start
with ``file:line``. :func:`ruleset_toml` writes a document that reads back the same.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w

from cchc_rules._diagnostics import KeyPath
from cchc_rules.errors import Problem, RulesetError
from cchc_rules.ruleset._limits import MAX_FILE_BYTES, check_source, too_large

__all__ = ["KeyLines", "key_lines", "parse_toml", "read_toml", "ruleset_toml", "toml_values"]

_SYNTAX_POSITION = re.compile(r"^(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$")


def read_toml(path: Path, display: str | None = None) -> tuple[dict[str, Any], str]:
    """Parse a TOML file exactly; return the data and the source text.

    Raises :class:`RulesetError` for a file over the limits of
    :mod:`~cchc_rules.ruleset._limits` and with the line and column of a syntax error.
    """
    name = display or str(path)
    try:
        with path.open("rb") as file:
            # NOTE: never more than one byte over the limit in memory, whatever the file
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise RulesetError([Problem(name, None, "", f"cannot read file: {exc.strerror}")]) from exc
    if len(raw) > MAX_FILE_BYTES:
        size = path.stat().st_size if path.is_file() else len(raw)
        raise RulesetError([Problem(name, None, "", too_large(size))])
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RulesetError(
            [Problem(name, line, "", "expected UTF-8 text (TOML files are UTF-8)")]
        ) from exc
    return parse_toml(source, name), source


def parse_toml(source: str, name: str) -> dict[str, Any]:
    """Parse TOML text exactly (floats as :class:`~decimal.Decimal`) once it is known to be
    within the limits; raise :class:`RulesetError` for a limit or a syntax error."""
    check_source(source, name)
    try:
        return tomllib.loads(source, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise RulesetError([_syntax_problem(name, source, str(exc))]) from exc


def _syntax_problem(name: str, source: str, message: str) -> Problem:
    match = _SYNTAX_POSITION.match(message)
    if match is not None:
        line, column, text = int(match["line"]), int(match["col"]), match["msg"]
    elif message.endswith(" (at end of document)"):
        # NOTE: point at the end of the last written text (where the value or bracket is
        # missing), not at a blank line after it.
        end = len(source.rstrip())
        line = source.count("\n", 0, end) + 1
        column = end - source.rfind("\n", 0, end)
        text = message.removesuffix(" (at end of document)") + " (the file ends here)"
    else:
        return Problem(name, None, "", f"TOML syntax: {message}")
    return Problem(name, line, "", f"TOML syntax: {_plain(text)}", column=column)


_DECLARED_TWICE = re.compile(r"^Cannot declare \((?P<key>.*?),?\) twice$")
_IMMUTABLE = re.compile(r"^Cannot mutate immutable namespace \((?P<key>.*?),?\)$")


def _plain(message: str) -> str:
    """tomllib's wording, with its two least readable messages spelt out."""
    if message == "Illegal character '\\n'":
        # the only place a bare newline is illegal is inside a one-line string
        return "expected the closing quote of the string before the end of the line"
    match = _DECLARED_TWICE.match(message)
    if match is not None:
        key = ".".join(part.strip().strip("'\"") for part in match["key"].split(","))
        return f"[{key}] is defined twice (each table may appear once)"
    match = _IMMUTABLE.match(message)
    if match is not None:
        key = ".".join(part.strip().strip("'\"") for part in match["key"].split(","))
        return f"{key} was already given in full with '=' and cannot get more keys or tables"
    if message == "Cannot overwrite a value":
        return "this key already has a value (each key may appear once)"
    return message


class _Scanner:
    """Walks a TOML document ``tomllib`` has accepted, noting the line of every key.

    NOTE: a small scanner rather than per-line patterns: keys and array items may sit
    inside inline tables, multi-line arrays and after multi-line strings, and quoted
    keys may hold ``=``, ``#`` or ``]``; only a scan that knows where strings end gets
    all of those right. It does not re-validate: the input is already valid TOML.

    NOTE: every prefix of a dotted key or table header is noted, so a key of n parts
    costs n²; :func:`parse_toml` refuses more than ``MAX_NESTING`` parts before text
    gets here, which keeps the scan linear in the length of the file.
    """

    def __init__(self, source: str) -> None:
        self.text = source
        self.pos = 0
        self.line = 1
        self.lines: dict[KeyPath, int] = {}
        # number of tables so far in each array of tables, by its concrete path
        self.array_counts: dict[KeyPath, int] = {}

    # -- characters --------------------------------------------------------------------

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        end = min(self.pos + count, len(self.text))
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def skip_blank(self, newlines: bool) -> None:
        """Skip spaces and comments (and newlines when ``newlines``)."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t\r" or (newlines and char == "\n"):
                self.advance()
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def string(self) -> str:
        """Consume a string of any of the four TOML forms; return its raw text."""
        start = self.pos
        quote = self.peek()
        if self.text.startswith(quote * 3, self.pos):
            end = self.text.find(quote * 3, self.pos + 3)
            while quote == '"' and _escaped(self.text, end):
                end = self.text.find(quote * 3, end + 1)
            # the delimiter is the last three of a run of quotes: '''a''''' holds "a''"
            while self.text.startswith(quote, end + 3):
                end += 1
            self.advance(end + 3 - self.pos)
            return self.text[start : self.pos]
        end = self.pos + 1
        while self.text[end] != quote:
            end += 2 if quote == '"' and self.text[end] == "\\" else 1
        self.advance(end + 1 - self.pos)
        return self.text[start : self.pos]

    # -- grammar -----------------------------------------------------------------------

    def key(self) -> list[str]:
        """A dotted key: its parts, quoted parts decoded."""
        parts: list[str] = []
        while True:
            self.skip_blank(newlines=False)
            if self.peek() and self.peek() in "\"'":
                parts.append(_decode_key(self.string()))
            else:
                start = self.pos
                while self.peek() and (self.peek().isalnum() or self.peek() in "_-"):
                    self.advance()
                parts.append(self.text[start : self.pos])
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.advance()

    def note(self, path: KeyPath, line: int) -> None:
        self.lines.setdefault(path, line)

    def key_value(self, table: KeyPath) -> None:
        line = self.line
        parts = self.key()
        for end in range(1, len(parts) + 1):
            # dotted keys define their intermediate tables on this line
            self.note((*table, *parts[:end]), line)
        self.skip_blank(newlines=False)
        self.advance()  # "="
        self.skip_blank(newlines=False)
        self.value((*table, *parts))

    def value(self, path: KeyPath) -> None:
        char = self.peek()
        if char and char in "\"'":
            self.string()
        elif char == "[":
            self.advance()
            index = 0
            while True:
                self.skip_blank(newlines=True)
                if self.peek() in ("]", ""):
                    self.advance()
                    return
                if self.peek() == ",":
                    self.advance()
                    continue
                self.note((*path, index), self.line)
                self.value((*path, index))
                index += 1
        elif char == "{":
            self.advance()
            while True:
                self.skip_blank(newlines=True)
                if self.peek() in ("}", ""):
                    self.advance()
                    return
                if self.peek() == ",":
                    self.advance()
                    continue
                self.key_value(path)
        else:
            # numbers, booleans, dates and times (which may hold one space)
            while self.peek() and self.peek() not in ",]}\n#":
                self.advance()

    def header(self) -> KeyPath:
        is_array = self.text.startswith("[[", self.pos)
        line = self.line
        self.advance(2 if is_array else 1)
        parts = self.key()
        self.advance(2 if is_array else 1)
        concrete: list[str | int] = []
        for position, part in enumerate(parts):
            concrete.append(part)
            here = tuple(concrete)
            if is_array and position == len(parts) - 1:
                index = self.array_counts.get(here, 0)
                self.array_counts[here] = index + 1
                self.note(here, line)
                concrete.append(index)
            elif here in self.array_counts:
                # a table inside an array of tables belongs to its latest element
                concrete.append(self.array_counts[here] - 1)
            self.note(tuple(concrete), line)
        return tuple(concrete)

    def document(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        while True:
            self.skip_blank(newlines=True)
            if not self.peek():
                return self.lines
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table)


def _escaped(text: str, index: int) -> bool:
    """Whether the character at ``index`` follows an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _decode_key(token: str) -> str:
    if token.startswith("'"):
        return token[1:-1]
    # NOTE: tomllib decodes the escapes, exactly as it did for the document itself
    return next(iter(tomllib.loads(f"{token} = 0")))


def key_lines(source: str) -> dict[KeyPath, int]:
    """Map each table header, key and array item of a valid TOML document to its line.

    Lines are 1-based. Arrays (of tables or of values) get list indexes in the path
    (``("areas", 0, "criteria", 2)``), counted the way ``tomllib`` builds the lists; keys
    inside inline tables and items of multi-line arrays get their own lines. An array
    of tables itself maps to the line of its first table.
    """
    return _Scanner(source).document()


class KeyLines(Mapping[KeyPath, int]):
    """:func:`key_lines` of ``source``, scanned on the first lookup.

    NOTE: lazy: the lines serve only to locate a problem; a valid ruleset (every run's
    case) never asks, and scanning a ruleset's keys costs a sizeable part of loading it.
    """

    def __init__(self, source: str) -> None:
        self._source = source
        self._lines: dict[KeyPath, int] | None = None

    def _scanned(self) -> dict[KeyPath, int]:
        if self._lines is None:
            self._lines = key_lines(self._source)
        return self._lines

    def __getitem__(self, path: KeyPath) -> int:
        return self._scanned()[path]

    def __iter__(self) -> Iterator[KeyPath]:
        return iter(self._scanned())

    def __len__(self) -> int:
        return len(self._scanned())


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
