"""Limits on a ruleset file, each checked before the work whose cost grows with it.

A ruleset is written by people and read by a parser, validators and walkers whose cost
grows with nesting, length and count. Real rulesets stay far inside these limits (the
bundled ones: under 50 KB, about 100 criteria, 3 levels of sub-criteria, values nested
7 levels deep), so a file beyond one is refused with a located problem instead of a
``RecursionError``, minutes of work or gigabytes of memory. The numbers, and why they
were chosen, are in ``docs/ruleset-format.md#limits``.

* :func:`check_source` scans the raw text once, linearly and without recursion, before
  ``tomllib`` sees it: ``tomllib`` recurses once per nested array or inline table, and
  its time and memory grow with the square of the parts of a dotted key.
* :func:`check_values` walks the parsed data (its depth already bounded) for numbers
  the exact 64-bit fixed point cannot hold.
* :func:`check_criteria` counts areas and criteria and the depth of sub-criteria before
  validation, binding and the amendment walker visit every one of them;
  :func:`check_changes` counts an amendment's changes before they are applied.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from cchc_rules._diagnostics import Checker, KeyPath
from cchc_rules.errors import Problem, RulesetError

__all__ = [
    "MAX_CHANGES",
    "MAX_CRITERIA",
    "MAX_CRITERIA_DEPTH",
    "MAX_DIGITS",
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "MAX_NUMBER_DIGITS",
    "MAX_SCALAR",
    "MAX_STRING",
    "check_changes",
    "check_criteria",
    "check_source",
    "check_values",
    "too_large",
]

MAX_FILE_BYTES = 1024 * 1024
"""Bytes of one ruleset file: 1 MiB, over 20 times the largest bundled ruleset."""
MAX_NESTING = 32
"""Levels of any value: each part of its table header and of its dotted key, and each
array it is an item of, is one level (the bundled rulesets reach 7)."""
MAX_STRING = 10_000
"""Characters of one string or key as written (a bilingual name is under 300)."""
MAX_SCALAR = 64
"""Characters of one number, date or boolean as written (a full date-time is 35)."""
MAX_NUMBER_DIGITS = 12
"""Numbers are below 10^12 in magnitude: times the scale of points and indexes (at most
10^6) they still fit a 64-bit integer. A fact's own bounds are checked against its
declared decimals by the models (18 digits in all)."""
MAX_DIGITS = 17
"""Digits after the point of a number: as many as a fact may declare, so a bound can be
written at its fact's precision."""
MAX_CRITERIA = 2_000
"""Areas and criteria of one ruleset, sub-criteria included (the bundled ones: ~100)."""
MAX_CRITERIA_DEPTH = 10
"""Levels of sub-criteria below an area: ``[[areas.criteria]]`` is level 1."""
MAX_CHANGES = 200
"""``[[changes]]`` of one amendment (the bundled 2019 amendment has 37): each change
that moves criteria costs a walk of the tree, and a decision that changes more than
200 criteria is better written as a complete ruleset."""

# One string of each of TOML's four forms. Unambiguous alternatives, so matching is
# linear; an unterminated string ends where tomllib's error is.
_STRING = {
    '"""': re.compile(r'"""(?:[^\\"]|\\[\s\S]|"(?!""))*(?:"{3,5})?'),
    "'''": re.compile(r"'''(?:[^']|'(?!''))*(?:'{3,5})?"),
    '"': re.compile(r'"(?:[^"\\\n]|\\.)*"?'),
    "'": re.compile(r"'[^'\n]*'?"),
}
_BARE_KEY = re.compile(r"[^\s\"'#\[\]{}=,.]+")
_SCALAR = re.compile(r"[^\n\"'#\[\]{},]*")
_BLANK = re.compile(r"[ \t\r]*")
_BLANK_LINES = re.compile(r"[ \t\r\n]*")


class _Source:
    """One pass over TOML text measuring nesting and lengths (:func:`check_source`).

    NOTE: not a parser, and no syntax errors of its own: it follows the grammar as far
    as nesting and the ends of strings go and, on text ``tomllib`` refuses, reads on.
    ``tomllib`` stops at its first syntax error, so this scan must read a valid prefix
    exactly as ``tomllib`` does (a quote or ``#`` outside a string always starts a
    string or a comment, so it can), and past an error it may count more, never less.
    """

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.pos = 0
        self.deepest = 0
        """The deepest level seen so far."""

    def fail(self, message: str, at: int) -> None:
        line = self.text.count("\n", 0, at) + 1
        raise RulesetError([Problem(self.file, line, "", message)])

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def blank(self, newlines: bool) -> None:
        """Skip spaces, comments and (when ``newlines``) line ends."""
        pattern = _BLANK_LINES if newlines else _BLANK
        while True:
            self.pos = _end(pattern, self.text, self.pos)
            if self.peek() != "#":
                return
            end = self.text.find("\n", self.pos)
            self.pos = len(self.text) if end < 0 else end

    def string(self) -> None:
        start = self.pos
        delimiter = self.text[start] * (3 if self.text.startswith(self.peek() * 3, start) else 1)
        self.pos = _end(_STRING[delimiter], self.text, start)
        self.length(self.pos - start - 2 * len(delimiter), "a string", MAX_STRING, start)

    def length(self, size: int, what: str, limit: int, at: int) -> None:
        if size > limit:
            self.fail(f"expected {what} of at most {limit:,} characters (got {size:,})", at)

    def level(self, level: int) -> int:
        self.deepest = max(self.deepest, level)
        if level > MAX_NESTING:
            self.fail(
                f"expected at most {MAX_NESTING} levels of nesting: each part of a table "
                f"header or dotted key, and each array a value is in, is one level (got {level:,})",
                self.pos,
            )
        return level

    def key(self) -> int:
        """Skip a key, dotted or not; return its number of parts."""
        parts = 0
        while True:
            self.blank(newlines=False)
            parts += 1
            if self.peek() in ("'", '"'):
                self.string()
            else:
                end = _end(_BARE_KEY, self.text, self.pos)
                self.length(end - self.pos, "a key", MAX_STRING, self.pos)
                self.pos = end
            self.blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.pos += 1

    def scan(self) -> None:
        text = self.text
        table = 0  # levels of the latest [table] or [[array]] header
        # open arrays "[" and inline tables "{", each with the level of its content
        stack: list[tuple[str, int]] = []
        level = 0  # of the value expected next
        start = 0  # where the latest key began
        expect = "statement"
        while True:
            if expect == "statement":
                self.blank(newlines=True)
                if self.pos >= len(text):
                    return
                start = self.pos
                if self.peek() == "[":
                    self.pos += 2 if text.startswith("[[", start) else 1
                    table = self.level(self.key())
                    self.blank(newlines=False)
                    while self.peek() == "]":
                        self.pos += 1
                    continue
                level = self.level(table + self.key())
                expect = "equals"
            elif expect == "inline key":
                self.blank(newlines=True)
                if self.peek() in ("}", ""):
                    self.pos += 1
                    stack.pop()
                    expect = "after"
                    continue
                start = self.pos
                level = self.level(stack[-1][1] - 1 + self.key())
                expect = "equals"
            elif expect == "equals":
                self.blank(newlines=False)
                if self.peek() == "=":
                    self.pos += 1
                elif self.pos == start:
                    self.pos += 1  # neither a key nor '=': tomllib refuses it; read on
                expect = "value"
            elif expect == "value":
                self.blank(newlines=bool(stack) and stack[-1][0] == "[")
                char = self.peek()
                expect = "after"
                if char in ("'", '"'):
                    self.string()
                elif char in ("[", "{"):
                    self.pos += 1
                    level = self.level(level + 1)
                    stack.append((char, level))
                    expect = "value" if char == "[" else "inline key"
                elif not (char == "]" and stack and stack[-1][0] == "["):
                    # a number, date or boolean; an empty array or a trailing comma
                    # leave the "]" to "after"
                    end = _end(_SCALAR, text, self.pos)
                    self.length(end - self.pos, "a value", MAX_SCALAR, self.pos)
                    self.pos = max(end, self.pos + (char not in ("", "\n")))
            elif not stack:  # after a value at the top level
                expect = "statement"
            else:  # after a value in an array or inline table
                self.blank(newlines=True)
                char = self.peek()
                if char in ("]", "}", ""):
                    self.pos += char != ""
                    stack.pop()
                    continue
                if char == ",":
                    self.pos += 1
                # else a missing comma: read on as the next item
                level = stack[-1][1]
                expect = "value" if stack[-1][0] == "[" else "inline key"


def _end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where ``pattern`` (which matches the empty string or a quote) ends at ``pos``."""
    match = pattern.match(text, pos)
    return pos if match is None else match.end()


def check_source(text: str, file: str) -> None:
    """Refuse TOML text that is too large, nested too deeply, or holds a string, key or
    value too long; before ``tomllib`` parses it.

    Linear in the length of ``text`` and without recursion, so it is safe on any input;
    raises :class:`RulesetError` with the first limit exceeded and its line.
    """
    if len(text) > MAX_FILE_BYTES or len(text.encode()) > MAX_FILE_BYTES:
        raise RulesetError([Problem(file, None, "", too_large(len(text.encode())))])
    _Source(text, file).scan()


def too_large(size: int) -> str:
    """The problem of a file of ``size`` bytes, over :data:`MAX_FILE_BYTES`."""
    return f"expected a ruleset file of at most {MAX_FILE_BYTES:,} bytes (got {size:,})"


def check_values(checker: Checker) -> None:
    """Numbers the engine's exact 64-bit fixed point can hold: finite, below
    10^:data:`MAX_NUMBER_DIGITS` in magnitude, at most :data:`MAX_DIGITS` digits after the point."""
    stack: list[tuple[KeyPath, Any]] = [((), checker.data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(((*path, key), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend(((*path, index), item) for index, item in enumerate(value))
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            problem = _number_problem(value)
            if problem:
                checker.add(path, problem)


def _number_problem(value: int | Decimal) -> str:
    if isinstance(value, Decimal) and not value.is_finite():
        return f"expected a finite number (got {str(value).lower()})"
    # NOTE: by the exponent, not abs(): arithmetic on 1e999999999 overflows the decimal
    # context, and written out it has a billion digits
    size = Decimal(value).adjusted()
    if size >= MAX_NUMBER_DIGITS:
        shown = str(value) if size < 30 else f"a number of {size + 1:,} digits"
        return f"expected a number below 10^12 in magnitude (got {shown})"
    exponent = value.as_tuple().exponent if isinstance(value, Decimal) else 0
    if isinstance(exponent, int) and -exponent > MAX_DIGITS:
        return f"expected at most {MAX_DIGITS} digits after the point (got {-exponent})"
    return ""


def check_criteria(checker: Checker) -> None:
    """Refuse more than :data:`MAX_CRITERIA` areas and criteria, or sub-criteria more than
    :data:`MAX_CRITERIA_DEPTH` levels below an area: one problem, at the first table over
    a limit. Iterative, so it is safe before the depth of the tree is known."""
    areas = checker.data.get("areas") if isinstance(checker.data, dict) else None
    if not isinstance(areas, list):
        return
    count = 0
    stack: list[tuple[KeyPath, Any, int]] = [
        (("areas", index), table, 0) for index, table in reversed(list(enumerate(areas)))
    ]
    while stack:
        path, table, depth = stack.pop()
        if not isinstance(table, dict):
            continue
        count += 1
        if count > MAX_CRITERIA:
            checker.add(path, f"expected at most {MAX_CRITERIA:,} areas and criteria (got more)")
            return
        if depth > MAX_CRITERIA_DEPTH:
            checker.add(
                path,
                f"expected sub-criteria at most {MAX_CRITERIA_DEPTH} levels below their "
                f"area (got {depth})",
            )
            return
        below = table.get("criteria")
        if isinstance(below, list):
            stack.extend(
                ((*path, "criteria", index), item, depth + 1)
                for index, item in reversed(list(enumerate(below)))
            )


def check_changes(checker: Checker) -> None:
    """Refuse an amendment of more than :data:`MAX_CHANGES` changes, at the first one over."""
    changes = checker.data.get("changes") if isinstance(checker.data, dict) else None
    if isinstance(changes, list) and len(changes) > MAX_CHANGES:
        checker.add(
            ("changes", MAX_CHANGES),
            f"expected at most {MAX_CHANGES} changes in one amendment (got {len(changes):,})",
        )
