"""Loading a ruleset file: read the chain of versions, validate, bind, compile.

Each version of the chain (:func:`~cchc_rules.ruleset._amend.read_chain`) is resolved
against its parent, then goes through three passes, each collecting every problem it
finds:

1. TOML syntax (``tomllib``: line and column), when the file is read;
2. the schema (pydantic models) and each leaf's kind parameters (the kind's own
   ``Params`` model), so a typo in a parameter is reported beside a typo in a name;
3. cross-checks over the whole tree (:mod:`~cchc_rules.ruleset._checks`) and binding
   (:mod:`~cchc_rules.ruleset._bind`): kinds, providers, conditions, computed facts.

Every problem reads ``file:line: key.path: what was expected (got what)``, with
criterion ids in the path instead of list indexes; in a resolved amendment it points
at the file and line that caused it: the amendment's change, or the inherited text of
the parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cchc_rules._diagnostics import Checker, Locate, in_reading_order
from cchc_rules._plugins import KindRegistry
from cchc_rules.errors import Problem, RulesetError
from cchc_rules.ruleset._amend import ChainFile, amend, read_chain
from cchc_rules.ruleset._bind import (
    bind_kind_params,
    bind_leaves,
    bind_providers,
    compile_checks,
    compile_computed,
)
from cchc_rules.ruleset._checks import (
    check_appraisal,
    check_fact_checks,
    check_providers,
    check_tree,
)
from cchc_rules.ruleset._compiled import CompiledRuleset
from cchc_rules.ruleset._legal import fill_legal_refs
from cchc_rules.ruleset._limits import check_criteria
from cchc_rules.ruleset._lock import check_published
from cchc_rules.ruleset._models import Ruleset
from cchc_rules.ruleset._origin import Located
from cchc_rules.ruleset._registry import registry_file, rulesets_root
from cchc_rules.ruleset._toml import KeyLines

__all__ = ["compile_ruleset", "load_ruleset_file", "load_ruleset_text"]


def load_ruleset_file(
    path: Path,
    *,
    registry: KindRegistry,
    display: str | None = None,
    rulesets_dir: Path | None = None,
    verify_lock: bool = True,
) -> CompiledRuleset:
    """Read, resolve (``extends``), validate and bind a ruleset TOML file.

    ``rulesets_dir`` (default: the bundled rulesets) is where ``extends = "family@version"``
    is looked up, what ``extends`` paths may not leave, and whose ``lock.toml`` holds the
    hashes of published versions (checked unless ``verify_lock`` is false, which only
    ``cchc rulesets lock`` needs, to record them).
    """
    return _load(path, display, None, rulesets_root(rulesets_dir), registry, verify_lock)


def load_ruleset_text(
    text: str,
    path: Path,
    *,
    registry: KindRegistry,
    display: str | None = None,
    rulesets_dir: Path | None = None,
) -> CompiledRuleset:
    """Like :func:`load_ruleset_file` for a file not written yet: ``text`` as if at ``path``."""
    return _load(path, display, text, rulesets_root(rulesets_dir), registry, True)


def _load(
    path: Path,
    display: str | None,
    text: str | None,
    root: Path,
    registry: KindRegistry,
    verify_lock: bool,
) -> CompiledRuleset:
    """Each version of the chain compiled in turn, from the complete ruleset up to ``path``.

    NOTE: every parent is compiled, not only resolved: its own problems are reported
    in its own file, and a published parent is checked against the lock.
    """
    base, *amendments = read_chain(path, display or str(path), root, text)
    located = base.located()
    compiled = _compile_file(base, located, {}, root, registry, verify_lock)
    for amending in amendments:
        located = amend(located, compiled.model, amending)
        compiled = _compile_file(
            amending, located, compiled.record_paths, root, registry, verify_lock
        )
    return compiled


def _compile_file(
    read: ChainFile,
    located: Located,
    inherited: Mapping[str, Path],
    root: Path,
    registry: KindRegistry,
    verify_lock: bool,
) -> CompiledRuleset:
    """One version, resolved to ``located``: compiled, and checked against its place in the
    rulesets directory and the lock."""
    fill_legal_refs(located)
    compiled = compile_ruleset(
        located.data, read.source, file=read.file, registry=registry, locate=located.locate
    )
    record_paths = _record_paths(compiled, read.data, read.path, inherited)
    compiled = replace(compiled, record_paths=record_paths)
    entry = registry_file(read.path, root)
    meta = compiled.model.ruleset
    if entry is not None and entry.family == meta.family and meta.version != entry.version:
        # family@version finds files by path: the path must not lie about the content
        raise RulesetError(
            [
                Problem(
                    *located.locate(("ruleset", "version")),
                    "ruleset.version",
                    f"expected {entry.ref}, as the file's place in the rulesets "
                    f"directory says (got {compiled.ref})",
                )
            ]
        )
    if entry is not None and verify_lock:
        # NOTE: whatever the content now says its family or status is: the lock records
        # the file's place, and an edit can relabel a published version as anything
        def status_line() -> int | None:
            return located.locate(("ruleset", "status"))[1]

        check_published(entry, meta.status, compiled.content_hash, root, read.file, status_line)
    return compiled


def compile_ruleset(
    data: dict[str, Any],
    source: str,
    *,
    file: str,
    registry: KindRegistry,
    locate: Locate | None = None,
) -> CompiledRuleset:
    """Validate parsed ruleset data and bind its leaves; raise every problem at once.

    ``locate`` says where each key path was written, for data not read from ``source``
    alone (a resolved amendment); ``source`` is then not consulted.
    """
    checker = Checker(file, {} if locate else KeyLines(source), data, locate)
    check_criteria(checker)
    if checker.problems:
        # NOTE: before validation and binding, which visit every criterion
        raise RulesetError(checker.problems)
    model: Ruleset | None = None
    try:
        model = Ruleset.model_validate(data)
    except ValidationError as exc:
        checker.add_validation(exc, Ruleset, ())
    params = bind_kind_params(checker, registry)
    providers = bind_providers(checker, registry)
    if checker.problems or model is None:
        raise RulesetError(in_reading_order(checker.problems))
    computed = compile_computed(checker, model)
    check_tree(checker, model)
    check_appraisal(checker, model)
    leaves = bind_leaves(checker, model, params, registry)
    check_providers(checker, model, providers)
    check_fact_checks(checker, model)
    checks = compile_checks(checker, model)
    if checker.problems:
        raise RulesetError(in_reading_order(checker.problems))
    return CompiledRuleset(
        model,
        tuple(leaves),
        file,
        model.content_hash(),
        computed,
        providers=providers,
        checks=checks,
    )


def _record_paths(
    compiled: CompiledRuleset, raw: Mapping[str, Any], path: Path, inherited: Mapping[str, Path]
) -> dict[str, Path]:
    """Default record-set files: a path is relative to the file that declares the set.

    NOTE: resolved here, not stored in the model: the content hash must not depend on
    where the rulesets directory happens to be.
    """
    own = raw.get("record_sets")
    own = own if isinstance(own, dict) else {}
    found: dict[str, Path] = {}
    for name, spec in (compiled.model.record_sets or {}).items():
        if name in own:
            if spec.path is not None:
                found[name] = (path.parent / spec.path).resolve()
        elif name in inherited:
            found[name] = inherited[name]
    return found
