"""Published ruleset versions are immutable: their content hashes live in ``lock.toml``.

``RULESETS/lock.toml`` records, per family, the content hash of every version whose
status is ``in_force`` or ``superseded``::

    [ttcp]
    "2018" = "9f2c…"

Loading a version whose resolved content no longer has its recorded hash is an error,
whatever its status now says: relabelling a published version ``draft`` does not unlock
it. A published version with no record is an error too. Drafts never recorded may
change freely. A rulesets directory without a lock file (a scratch directory, a test)
is not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cchc_rules.errors import Problem, RulesetError
from cchc_rules.ruleset._registry import RulesetFile
from cchc_rules.ruleset._toml import read_toml

__all__ = ["LOCK_FILE", "PUBLISHED", "check_published", "read_lock", "render_lock"]

LOCK_FILE = "lock.toml"
PUBLISHED = ("in_force", "superseded")
_HEADER = """\
# Content hashes (sha256 of the resolved ruleset) of published ruleset versions.
# A version whose status is in_force or superseded is immutable: loading it when its
# content no longer has the hash recorded here is an error. Amend it as a new version
# (cchc rulesets amend); record a newly published version with `cchc rulesets lock`.
# Written by `cchc rulesets lock`; recorded hashes are never rewritten.
"""


def read_lock(root: Path) -> dict[str, dict[str, str]] | None:
    """The recorded hashes by family and version, or None when there is no lock file."""
    path = root / LOCK_FILE
    if not path.is_file():
        return None
    # NOTE: read like a ruleset, within the same limits: it is a file in the same directory
    data, _ = read_toml(path)
    lock: dict[str, dict[str, str]] = {}
    for family, versions in data.items():
        if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
            raise RulesetError(
                [Problem(str(path), None, family, 'expected a table of version = "sha256"')]
            )
        lock[family] = dict(versions)
    return lock


def render_lock(lock: dict[str, dict[str, str]]) -> str:
    """The lock file's text: families and versions sorted, so it diffs cleanly."""
    lines = [_HEADER]
    for family in sorted(lock):
        lines.append(f"\n[{family}]\n")
        for version in sorted(lock[family]):
            lines.append(f'"{version}" = "{lock[family][version]}"\n')
    return "".join(lines)


def check_published(
    entry: RulesetFile,
    status: str,
    content_hash: str,
    root: Path,
    display: str,
    status_line: Callable[[], int | None],
) -> None:
    """Refuse a registry version whose hash differs from its lock record, whatever its
    ``status``, and a published one (by ``status``) with no record.

    ``entry`` is the family and version the file's place in ``root`` names;
    ``status_line`` finds the line of ``ruleset.status``, asked only for a problem.
    """
    lock = read_lock(root)
    if lock is None:
        return
    recorded = lock.get(entry.family, {}).get(entry.version)
    if recorded is None and status in PUBLISHED:
        message = (
            f"{entry.ref} is published ({status}) but its content hash is not recorded in "
            f"{LOCK_FILE}; record it with `cchc rulesets lock` (sha256 {content_hash})"
        )
    elif recorded is not None and recorded != content_hash:
        # NOTE: the record, not the status, says it was published: a status can be edited
        label = f"published ({status})" if status in PUBLISHED else f"locked (status {status!r})"
        message = (
            f"{entry.ref} is {label} and immutable, but its content changed: "
            f"sha256 {content_hash[:12]}… does not match {recorded[:12]}… recorded in "
            f"{LOCK_FILE}; restore the file, or publish the change as a new version "
            f"(cchc rulesets amend {entry.ref} --new-version …)"
        )
    else:
        return
    raise RulesetError([Problem(display, status_line(), "ruleset.status", message)])
