"""Hook specifications: the contract between cchc-rules and its plugins.

A plugin is a Python module (or object) that implements one or more of the hooks below,
marked with :data:`hookimpl`, and declares which version of this contract it was
written against::

    # my_plugin.py
    from cchc_rules.hookspecs import hookimpl
    from my_plugin.kinds import StaffEvaluated

    CCHC_PLUGIN_API = 1

    @hookimpl
    def cchc_register_kinds():
        return [StaffEvaluated]

Plugins are found in two ways:

* installed distributions that declare an entry point in the ``cchc_rules`` group::

      [project.entry-points.cchc_rules]
      my_plugin = "my_plugin"

* Python files in a directory given on the command line (``cchc --plugins-dir DIR``).

The built-in kinds are registered through the same entry-point group, by the
``builtin`` entry point of the ``cchc-rules`` distribution.

Versioning
----------
:data:`PLUGIN_API_VERSION` is the version of this contract. It grows only by adding
hooks, optional hook arguments or optional methods of a criterion kind, so a plugin
written for version *N* runs on any host with version ≥ *N*. A plugin declaring a
version newer than the host's is refused with an error naming its distribution and
version. A plugin that does not declare ``CCHC_PLUGIN_API`` is refused too: silence
about the contract is how plugins break unnoticed. A plugin may also declare the
newest version it supports, ``CCHC_PLUGIN_API_MAX = M``; a host newer than *M* refuses
it the same way. A hook newer than the version a plugin declares is refused (the plugin
says it was written for a contract without that hook), and so is a kind defining a
method newer than that version (:data:`KIND_METHOD_VERSIONS`).

Hooks are called once, when the plugin manager is built; the engine then calls the
registered kinds and fact providers directly, never through a hook per unit or batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from cchc_rules.kinds import CriterionKind
    from cchc_rules.providers import FactProvider

__all__ = [
    "HOOK_VERSIONS",
    "KIND_METHOD_VERSIONS",
    "PLUGIN_API_VERSION",
    "PROJECT_NAME",
    "hookimpl",
    "hookspec",
]

PROJECT_NAME = "cchc_rules"
"""The pluggy project name, and the entry-point group plugins declare."""

PLUGIN_API_VERSION = 3
"""Version of the hook contract. History: 1 — ``cchc_register_kinds``;
2 — ``cchc_register_fact_providers``; 3 — ``CriterionKind.stacked`` (a ruleset's
criteria of one kind scored in one call)."""

HOOK_VERSIONS = {"cchc_register_kinds": 1, "cchc_register_fact_providers": 2}
"""The API version that added each hook."""

KIND_METHOD_VERSIONS = {"stacked": 3}
"""The API version that added each optional method of a criterion kind."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def cchc_register_kinds() -> Sequence[type[CriterionKind]]:  # type: ignore[type-arg]  # kinds are generic in their Params; any Params is accepted here
    """Return the criterion-kind classes this plugin provides.

    Called once per plugin when the plugin manager is built. Every plugin's list is
    collected; each class must subclass :class:`cchc_rules.kinds.CriterionKind`, set
    ``name``, ``Params`` and ``reasons``, and implement ``score_batch`` or
    ``score_unit``. Two plugins registering the same kind name is an error that names
    both.

    .. versionadded:: 1
    """
    raise NotImplementedError  # pragma: no cover - specification only


@hookspec
def cchc_register_fact_providers() -> Sequence[type[FactProvider]]:  # type: ignore[type-arg]  # providers are generic in their Params; any Params is accepted here
    """Return the fact-provider classes this plugin provides.

    Called once per plugin when the plugin manager is built, beside
    :func:`cchc_register_kinds`. Every plugin's list is collected; each class must
    subclass :class:`cchc_rules.providers.FactProvider`, set ``name``, ``Params`` and
    ``record_sets``, and implement ``outputs`` and ``derive``. Provider names are
    global: two plugins registering the same name is an error that names both.

    .. versionadded:: 2
    """
    raise NotImplementedError  # pragma: no cover - specification only
