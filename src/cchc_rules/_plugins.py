"""Finding plugins, checking them, and collecting their criterion kinds.

Each plugin is loaded on its own so that one broken plugin is named in the error with
its distribution and version (or its file) instead of taking the others down
anonymously. Hooks are called once here; afterwards the engine uses the kind classes
directly.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import inspect
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from pydantic import BaseModel

from cchc_rules import hookspecs
from cchc_rules.errors import PluginError, Problem
from cchc_rules.kinds import CriterionKind, Reason

__all__ = ["KindEntry", "KindRegistry", "PluginInfo", "load_plugins"]

_KIND_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
AnyKind = type[CriterionKind[Any]]


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
class KindRegistry:
    """Every registered kind by name, and the plugins they came from."""

    kinds: Mapping[str, KindEntry]
    plugins: tuple[PluginInfo, ...]

    def __contains__(self, name: object) -> bool:
        return name in self.kinds

    def get(self, name: str) -> AnyKind:
        return self.kinds[name].kind

    def names(self) -> list[str]:
        return sorted(self.kinds)


def _entry_point_plugins() -> Iterable[tuple[PluginInfo, Any]]:
    for entry_point in sorted(
        importlib.metadata.entry_points(group=hookspecs.PROJECT_NAME), key=lambda e: e.name
    ):
        dist = entry_point.dist
        info = PluginInfo(
            name=entry_point.name,
            distribution=dist.name if dist else None,
            version=dist.version if dist else None,
            source=entry_point.value,
        )
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
        module_name = f"cchc_plugin_{path.stem}"
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


def _check_api_version(info: PluginInfo, plugin: Any) -> None:
    declared = getattr(plugin, "CCHC_PLUGIN_API", None)
    host = hookspecs.PLUGIN_API_VERSION
    if declared is None:
        raise PluginError(
            [
                Problem(
                    info.label,
                    None,
                    "CCHC_PLUGIN_API",
                    f"expected the plugin to declare the API version it targets "
                    f"(CCHC_PLUGIN_API = {host}); it declares none",
                )
            ]
        )
    if isinstance(declared, bool) or not isinstance(declared, int) or not 1 <= declared <= host:
        raise PluginError(
            [
                Problem(
                    info.label,
                    None,
                    "CCHC_PLUGIN_API",
                    f"targets plugin API {declared!r}, this cchc-rules provides 1 to {host}; "
                    f"install a cchc-rules release that supports it",
                )
            ]
        )


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
    ):
        problems.append("expected an implementation of score_batch or score_unit")
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

    for info, plugin in found:
        _check_api_version(info, plugin)
        try:
            manager.register(plugin, name=f"{info.source}:{info.name}")
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError([Problem(info.label, None, "", f"cannot register: {exc}")]) from exc
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError([Problem(str(exc.plugin), None, "", str(exc))]) from exc

    kinds: dict[str, KindEntry] = {}
    problems: list[Problem] = []
    for info, plugin in found:
        others = [p for _, p in found if p is not plugin]
        caller = manager.subset_hook_caller("cchc_register_kinds", remove_plugins=others)
        for offered in caller():
            for kind in offered:
                label = getattr(kind, "__qualname__", repr(kind))
                for message in kind_problems(kind):
                    problems.append(Problem(info.label, None, f"kind {label}", message))
                if kind_problems(kind):
                    continue
                previous = kinds.get(kind.name)
                if previous is not None:
                    problems.append(
                        Problem(
                            info.label,
                            None,
                            f"kind {kind.name}",
                            f"already registered by {previous.plugin.label}",
                        )
                    )
                    continue
                kinds[kind.name] = KindEntry(kind, info)
    if problems:
        raise PluginError(problems)
    return KindRegistry(kinds=dict(sorted(kinds.items())), plugins=tuple(i for i, _ in found))
