"""Finding plugins, checking them, and collecting their criterion kinds.

Each plugin is loaded on its own so that one broken plugin is named in the error with
its distribution and version (or its file) instead of taking the others down
anonymously. Hooks are called once here; afterwards the engine uses the kind classes
directly.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import inspect
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypeGuard

import pluggy
from pydantic import BaseModel

from cchc_rules import hookspecs
from cchc_rules._diagnostics import did_you_mean
from cchc_rules._names import NAME
from cchc_rules.errors import PluginError, Problem
from cchc_rules.kinds import CriterionKind, Reason
from cchc_rules.providers import FactProvider, RecordSchema

__all__ = [
    "KindEntry",
    "KindRegistry",
    "PluginInfo",
    "ProviderEntry",
    "load_plugins",
    "provider_problems",
]

_KIND_NAME = re.compile(f"^{NAME}$")
AnyKind = type[CriterionKind[Any]]
AnyProvider = type[FactProvider[Any]]


@dataclass(frozen=True)
class PluginInfo:
    """Where a plugin came from: a distribution's entry point, or a file."""

    name: str
    distribution: str | None
    version: str | None
    source: str

    @property
    def label(self) -> str:
        if self.distribution is not None:
            return f"{self.distribution} {self.version} [{self.name}]"
        return f"{self.source}"


@dataclass(frozen=True)
class KindEntry:
    kind: AnyKind
    plugin: PluginInfo


@dataclass(frozen=True)
class ProviderEntry:
    provider: AnyProvider
    plugin: PluginInfo


@dataclass(frozen=True)
class KindRegistry:
    """Every registered kind and fact provider by name, and the plugins they came from."""

    kinds: Mapping[str, KindEntry]
    plugins: tuple[PluginInfo, ...]
    providers: Mapping[str, ProviderEntry] = field(default_factory=dict)
    api_versions: Mapping[PluginInfo, int] = field(default_factory=dict)
    """The plugin API version each plugin declares (``CCHC_PLUGIN_API``)."""

    def __contains__(self, name: object) -> bool:
        return name in self.kinds

    def get(self, name: str) -> AnyKind:
        return self.kinds[name].kind

    def names(self) -> list[str]:
        return sorted(self.kinds)

    def provider_names(self) -> list[str]:
        return sorted(self.providers)


CACHE_ENV = "CCHC_CACHE_DIR"
"""Where the plugin discovery cache lives, instead of the user's cache directory."""

_CACHE_FILE = "entry-points.json"


def cache_dir() -> Path:
    """The directory of cchc-rules' caches: ``$CCHC_CACHE_DIR``, else the user's cache
    directory (``platformdirs`` when installed, else ``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return Path(chosen)
    try:
        # NOTE: lazy and optional: only asked when no directory is chosen, and not a
        # dependency (the XDG default below serves without it).
        import platformdirs
    except ImportError:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / hookspecs.PROJECT_NAME.replace("_", "-")
    return Path(platformdirs.user_cache_dir(hookspecs.PROJECT_NAME.replace("_", "-")))


def distributions_fingerprint() -> str:
    """A digest of the installed distributions: the Python version, and for each entry
    of the import path that holds any, its name and the name and modification time of
    every ``*.dist-info`` / ``*.egg-info`` in it.

    Installing, upgrading or removing a distribution (or changing where they are found)
    changes it; listing the path's directories is much cheaper than reading every
    distribution's metadata, which is what finding entry points costs. A directory with
    no distribution in it (the script's, or the working directory of ``python -m``)
    offers no entry point, so which one it is does not count.
    """
    digest = hashlib.sha256(sys.version.encode())
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as found:
                infos = sorted(
                    (item.name, item.stat().st_mtime_ns)
                    for item in found
                    if item.name.endswith((".dist-info", ".egg-info"))
                )
        except OSError:
            infos = []  # a zip file, or a directory that went away: its name is hashed
        else:
            if not infos:
                continue
        digest.update(f"\0path\0{entry}".encode())
        for name, mtime in infos:
            digest.update(f"\0{name}\0{mtime}".encode())
    return digest.hexdigest()


_Found = tuple[str, str, str | None, str | None]
"""An entry point as cached: its name, value, distribution and version."""


def _scan_entry_points() -> list[_Found]:
    """Every entry point of the group, from the distributions' metadata (the slow way)."""
    return [
        (ep.name, ep.value, ep.dist.name if ep.dist else None, ep.dist.version if ep.dist else None)
        for ep in importlib.metadata.entry_points(group=hookspecs.PROJECT_NAME)
    ]


ENVIRONMENTS_KEPT = 8
"""How many installations (virtual environments, Python versions) the cache remembers:
each has its own fingerprint, and one using the cache does not evict the others."""


def _cached_environments(path: Path) -> dict[str, list[_Found]]:
    """Every installation's entry points the cache holds, by fingerprint, oldest first; a
    missing or damaged cache holds none, and a damaged entry is left out (never an error)."""
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        environments = cached["environments"]
        items = list(environments.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    kept: dict[str, list[_Found]] = {}
    for fingerprint, entries in items:
        if isinstance(entries, list) and all(isinstance(entry, list) for entry in entries):
            found = [tuple(entry) for entry in entries]
            if all(_is_found(entry) for entry in found):
                kept[fingerprint] = found
    return kept


def _read_cache(path: Path, fingerprint: str) -> list[_Found] | None:
    """The cached entry points of the installation with ``fingerprint``; ``None`` when the
    cache has none for it (they are found again)."""
    return _cached_environments(path).get(fingerprint)


def _is_found(item: tuple[object, ...]) -> TypeGuard[_Found]:
    return (
        len(item) == 4
        and all(isinstance(text, str) for text in item[:2])
        and all(text is None or isinstance(text, str) for text in item[2:])
    )


def _write_cache(path: Path, fingerprint: str, found: list[_Found]) -> None:
    """Keep ``found`` for the next run of this installation, beside the most recent other
    ones; a cache that cannot be written is skipped."""
    environments = _cached_environments(path)
    environments.pop(fingerprint, None)
    environments[fingerprint] = found
    kept = dict(list(environments.items())[-ENVIRONMENTS_KEPT:])
    data = json.dumps({"environments": kept}, indent=1)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(data)
            # Atomic: a run reading the cache meanwhile sees the old file or the new one.
            os.replace(temporary, path)
        except OSError:
            os.unlink(temporary)
            raise
    except OSError:
        pass


def _found_entry_points() -> list[_Found]:
    """The group's entry points, from the cache when no distribution changed since it
    was written. Only where each plugin is (names, values, versions) is cached: the
    plugins themselves are imported afresh on every run."""
    fingerprint = distributions_fingerprint()
    path = cache_dir() / _CACHE_FILE
    found = _read_cache(path, fingerprint)
    if found is None:
        found = _scan_entry_points()
        _write_cache(path, fingerprint, found)
    return found


def _entry_point_plugins() -> Iterable[tuple[PluginInfo, Any]]:
    for name, value, distribution, version in sorted(
        _found_entry_points(), key=lambda found: found[0]
    ):
        info = PluginInfo(name=name, distribution=distribution, version=version, source=value)
        entry_point = importlib.metadata.EntryPoint(name, value, hookspecs.PROJECT_NAME)
        try:
            plugin = entry_point.load()
        except Exception as exc:
            raise PluginError(
                [Problem(info.label, None, "", f"failed to load: {type(exc).__name__}: {exc}")]
            ) from exc
        yield info, plugin


def _directory_plugins(directory: Path) -> Iterable[tuple[PluginInfo, ModuleType]]:
    if not directory.is_dir():
        raise PluginError([Problem(str(directory), None, "", "plugins directory does not exist")])
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        # NOTE: a namespace no distribution uses: with a name like ``cchc_plugin_<stem>``
        # a file ``example.py`` would replace the installed ``cchc_plugin_example``
        # package in sys.modules. The module must be in sys.modules while it runs
        # (dataclasses and pydantic look their module up there).
        module_name = f"_cchc_plugins_dir_{path.stem}"
        info = PluginInfo(name=path.stem, distribution=None, version=None, source=str(path))
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise PluginError([Problem(str(path), None, "", "cannot be imported as a module")])
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            raise PluginError(
                [Problem(str(path), None, "", f"failed to load: {type(exc).__name__}: {exc}")]
            ) from exc
        yield info, module


def _api_problem(info: PluginInfo, message: str) -> PluginError:
    return PluginError([Problem(info.label, None, "CCHC_PLUGIN_API", message)])


def _is_version(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check_api_version(info: PluginInfo, plugin: Any) -> int:
    """The API version the plugin declares, after checking the host supports it.

    ``CCHC_PLUGIN_API = N`` means "written for N, works on every host ≥ N"; an optional
    ``CCHC_PLUGIN_API_MAX = M`` caps that at M (a plugin that knows it breaks later).
    """
    declared = getattr(plugin, "CCHC_PLUGIN_API", None)
    newest = getattr(plugin, "CCHC_PLUGIN_API_MAX", None)
    host = hookspecs.PLUGIN_API_VERSION
    if declared is None:
        raise _api_problem(
            info,
            f"expected the plugin to declare the API version it targets "
            f"(CCHC_PLUGIN_API = {host}); it declares none",
        )
    if not _is_version(declared) or declared > host:
        raise _api_problem(
            info,
            f"targets plugin API {declared!r}, this cchc-rules provides 1 to {host}; "
            f"install a cchc-rules release that supports it",
        )
    if newest is not None and (not _is_version(newest) or newest < declared):
        raise _api_problem(
            info,
            f"expected CCHC_PLUGIN_API_MAX to be a version ≥ CCHC_PLUGIN_API "
            f"({declared}) (got {newest!r})",
        )
    if newest is not None and host > newest:
        raise _api_problem(
            info,
            f"supports plugin API {declared} to {newest}, this cchc-rules provides {host}; "
            f"install a release of the plugin that supports API {host}",
        )
    return int(declared)


def kind_problems(kind: object) -> list[str]:
    """What is wrong with a class offered as a criterion kind (empty when nothing)."""
    if not (inspect.isclass(kind) and issubclass(kind, CriterionKind)):
        return [f"expected a subclass of cchc_rules.kinds.CriterionKind (got {kind!r})"]
    problems = []
    name = getattr(kind, "name", None)
    if not isinstance(name, str) or not _KIND_NAME.match(name):
        problems.append(f"expected 'name' to be a lowercase identifier (got {name!r})")
    params = getattr(kind, "Params", None)
    if not (inspect.isclass(params) and issubclass(params, BaseModel)):
        problems.append(f"expected 'Params' to be a pydantic model class (got {params!r})")
    reasons = getattr(kind, "reasons", ())
    if not reasons or not all(isinstance(r, Reason) for r in reasons):
        problems.append("expected 'reasons' to be a non-empty sequence of Reason")
    else:
        codes = [r.code for r in reasons]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            problems.append(f"reason codes must be unique (repeated: {', '.join(duplicates)})")
    if (
        kind.score_batch is CriterionKind.score_batch
        and kind.score_unit is CriterionKind.score_unit
        and not kind.stacks()
    ):
        problems.append("expected an implementation of score_batch, score_unit or stacked")
    return problems


def provider_problems(provider: object) -> list[str]:
    """What is wrong with a class offered as a fact provider (empty when nothing)."""
    if not (inspect.isclass(provider) and issubclass(provider, FactProvider)):
        return [f"expected a subclass of cchc_rules.providers.FactProvider (got {provider!r})"]
    problems = []
    name = getattr(provider, "name", None)
    if not isinstance(name, str) or not _KIND_NAME.match(name):
        problems.append(f"expected 'name' to be a lowercase identifier (got {name!r})")
    params = getattr(provider, "Params", None)
    if not (inspect.isclass(params) and issubclass(params, BaseModel)):
        problems.append(f"expected 'Params' to be a pydantic model class (got {params!r})")
    roles = getattr(provider, "record_sets", None)
    if not isinstance(roles, Mapping) or not roles:
        problems.append("expected 'record_sets' to map role names to RecordSchema")
    else:
        for role, schema in roles.items():
            if not isinstance(schema, RecordSchema):
                problems.append(f"record set {role!r}: expected a RecordSchema (got {schema!r})")
                continue
            named = [schema.unit_column] if schema.unit_column else []
            named += [*schema.key, *(c for pair in schema.ordered for c in pair)]
            unknown = sorted({c for c in named if c not in schema.columns})
            if unknown:
                problems.append(
                    f"record set {role!r}: unit column, key and ordered pairs must name its "
                    f"columns (unknown: {', '.join(unknown)})"
                )
    for method in ("outputs", "derive"):
        if getattr(provider, method) is getattr(FactProvider, method):
            problems.append(f"expected an implementation of {method}")
    return problems


def load_plugins(
    plugins_dir: Path | None = None, *, extra: Iterable[tuple[PluginInfo, Any]] = ()
) -> KindRegistry:
    """Load entry-point plugins, plugins from ``plugins_dir``, and ``extra`` ones.

    Raises :class:`PluginError` naming the plugin (distribution and version, or file)
    that failed to load, targets another API version, or defines a kind badly.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    found: list[tuple[PluginInfo, Any]] = list(_entry_point_plugins())
    if plugins_dir is not None:
        found.extend(_directory_plugins(plugins_dir))
    found.extend(extra)

    registered: list[tuple[PluginInfo, Any]] = []
    api_versions: dict[PluginInfo, int] = {}
    for info, plugin in found:
        if any(plugin is other for _, other in registered):
            # NOTE: the same module offered twice (two entry points naming it, or an
            # installed plugin passed again in ``extra``) registers once: its kinds are
            # the very same classes, so there is nothing to clash.
            continue
        api = _check_api_version(info, plugin)
        try:
            manager.register(plugin, name=f"{info.source}:{info.name}")
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError([Problem(info.label, None, "", f"cannot register: {exc}")]) from exc
        callers = manager.get_hookcallers(plugin)
        if not callers:
            # pluggy ignores functions without the marker, so a forgotten @hookimpl
            # would otherwise load a plugin that silently provides nothing.
            raise PluginError(
                [
                    Problem(
                        info.label,
                        None,
                        "",
                        "expected at least one hook implementation marked with "
                        "@cchc_rules.hookspecs.hookimpl (found none)",
                    )
                ]
            )
        for caller in callers:
            added = hookspecs.HOOK_VERSIONS.get(caller.name, 0)
            if added > api:
                # The plugin says it was written for a contract without this hook: one
                # of the two is wrong, and guessing which would hide the mistake.
                raise _api_problem(
                    info,
                    f"implements {caller.name}, added in plugin API {added}, but declares "
                    f"CCHC_PLUGIN_API = {api}; declare {added} (this cchc-rules provides "
                    f"{hookspecs.PLUGIN_API_VERSION})",
                )
        registered.append((info, plugin))
        api_versions[info] = api
    _check_hook_names(manager, registered)

    problems: list[Problem] = []
    kinds = {
        name: KindEntry(kind, info)
        for name, (info, kind) in _unique_valid(
            _offered(manager, registered, "cchc_register_kinds", problems),
            kind_problems,
            "kind",
            problems,
        ).items()
    }
    providers = {
        name: ProviderEntry(provider, info)
        for name, (info, provider) in _unique_valid(
            _offered(manager, registered, "cchc_register_fact_providers", problems),
            provider_problems,
            "provider",
            problems,
        ).items()
    }
    problems += _newer_kind_methods(kinds, api_versions)
    if problems:
        raise PluginError(problems)
    return KindRegistry(
        kinds=dict(sorted(kinds.items())),
        plugins=tuple(i for i, _ in registered),
        providers=dict(sorted(providers.items())),
        api_versions=api_versions,
    )


def _newer_kind_methods(
    kinds: Mapping[str, KindEntry], api_versions: Mapping[PluginInfo, int]
) -> list[Problem]:
    """Kinds defining a method added after the API version their plugin declares: the
    plugin says it was written for a contract without it, as for a newer hook."""
    problems = []
    for entry in kinds.values():
        api = api_versions[entry.plugin]
        for method, added in hookspecs.KIND_METHOD_VERSIONS.items():
            own = getattr(getattr(entry.kind, method), "__func__", None)
            inherited = getattr(vars(CriterionKind)[method], "__func__", None)
            if added > api and own is not inherited:
                problems.append(
                    Problem(
                        entry.plugin.label,
                        None,
                        f"kind {entry.kind.name}",
                        f"defines {method}, added in plugin API {added}, but the plugin "
                        f"declares CCHC_PLUGIN_API = {api}; declare {added} (this "
                        f"cchc-rules provides {hookspecs.PLUGIN_API_VERSION})",
                    )
                )
    return problems


def _unique_valid(
    offered: Sequence[tuple[PluginInfo, Any]],
    check: Callable[[object], list[str]],
    what: str,
    problems: list[Problem],
) -> dict[str, tuple[PluginInfo, Any]]:
    """Offered classes by name: those ``check`` refuses, or a second class of a taken
    name, are reported in ``problems`` (naming the plugin) instead."""
    accepted: dict[str, tuple[PluginInfo, Any]] = {}
    for info, offered_class in offered:
        label = getattr(offered_class, "__qualname__", repr(offered_class))
        messages = check(offered_class)
        problems.extend(Problem(info.label, None, f"{what} {label}", m) for m in messages)
        if messages:
            continue
        earlier = accepted.get(offered_class.name)
        if earlier is not None:
            problems.append(
                Problem(
                    info.label,
                    None,
                    f"{what} {offered_class.name}",
                    f"already registered by {earlier[0].label}",
                )
            )
            continue
        accepted[offered_class.name] = (info, offered_class)
    return accepted


def _offered(
    manager: pluggy.PluginManager,
    registered: Sequence[tuple[PluginInfo, Any]],
    hook: str,
    problems: list[Problem],
) -> list[tuple[PluginInfo, Any]]:
    """Every class each plugin's ``hook`` returns, with its plugin, in plugin order.

    The hook is called plugin by plugin so a failure names the plugin that failed.
    """
    what = "criterion-kind" if hook == "cchc_register_kinds" else "fact-provider"
    found: list[tuple[PluginInfo, Any]] = []
    for info, plugin in registered:
        others = [p for _, p in registered if p is not plugin]
        caller = manager.subset_hook_caller(hook, remove_plugins=others)
        try:
            results = caller()
        except Exception as exc:
            raise PluginError(
                [Problem(info.label, None, hook, f"failed: {type(exc).__name__}: {exc}")]
            ) from exc
        for offered in results:
            if not isinstance(offered, Sequence) or isinstance(offered, str):
                problems.append(
                    Problem(
                        info.label,
                        None,
                        hook,
                        f"expected a list of {what} classes (got {offered!r})",
                    )
                )
                continue
            found.extend((info, item) for item in offered)
    return found


def _check_hook_names(
    manager: pluggy.PluginManager, registered: Sequence[tuple[PluginInfo, Any]]
) -> None:
    """Refuse hook implementations matching no hookspec, e.g. a misspelt hook name.

    pluggy's ``check_pending`` finds them but names the plugin by its ``repr`` and
    stops at the first; this reports every one with the plugin's label and the
    nearest real hook name.
    """
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        specs = [name for name in dir(hookspecs) if name.startswith("cchc_")]
        problems = []
        for info, plugin in registered:
            for caller in manager.get_hookcallers(plugin) or []:
                if caller.has_spec():
                    continue
                hint = did_you_mean(caller.name, specs)
                problems.append(
                    Problem(
                        info.label,
                        None,
                        caller.name,
                        f"expected the name of a hook in cchc_rules.hookspecs (got an unknown "
                        f"hook{hint})",
                    )
                )
        raise PluginError(problems) from exc
