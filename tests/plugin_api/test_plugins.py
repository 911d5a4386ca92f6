"""The plugin manager: finding plugins, checking them, and naming the one at fault.

Plugin modules are written into ``tmp_path`` as an outside author would write them;
installed distributions are simulated by a ``*.dist-info`` folder put on ``sys.path``,
so the real entry-point discovery of ``importlib.metadata`` finds them.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cchc_rules import hookspecs
from cchc_rules._plugins import PluginInfo, load_plugins
from cchc_rules.errors import PluginError
from cchc_rules.scoring._builtin import BUILTIN_KINDS

CCHC = Path(sys.executable).with_name("cchc")
HOST_VERSION = importlib.metadata.version("cchc-rules")
BUILTIN_LABEL = f"cchc-rules {HOST_VERSION} [builtin]"

HEADER = """\
from decimal import Decimal

from cchc_rules.hookspecs import hookimpl
from cchc_rules.kinds import CriterionKind, FactName, KindParams, Reason, UnitScore

CCHC_PLUGIN_API = 1


class DoneParams(KindParams):
    fact: FactName
"""

GOOD_KIND = """
class Done(CriterionKind[DoneParams]):
    name = "{name}"
    Params = DoneParams
    reasons = (Reason("done", vi="Đã xong", en="Done"),)

    def score_unit(self, facts):
        return UnitScore(self.criterion.max_points, "done")


@hookimpl
def cchc_register_kinds():
    return [Done]
"""


def plugin_source(body: str = GOOD_KIND, *, name: str = "done") -> str:
    return HEADER + textwrap.dedent(body).replace("{name}", name)


def write_plugin(directory: Path, stem: str, source: str) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / f"{stem}.py"
    path.write_text(source, encoding="utf-8")
    return path


def load_error(plugins_dir: Path) -> str:
    with pytest.raises(PluginError) as excinfo:
        load_plugins(plugins_dir)
    return str(excinfo.value)


def install_distribution(
    site: Path, monkeypatch: pytest.MonkeyPatch, name: str, version: str, entry: str
) -> None:
    """Make ``name version`` look installed, with ``entry`` in the cchc_rules group."""
    dist_info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(f"[cchc_rules]\n{entry}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))


# -- finding plugins -------------------------------------------------------------------


def test_builtin_kinds_come_through_the_builtin_entry_point() -> None:
    [entry_point] = [
        ep for ep in importlib.metadata.entry_points(group="cchc_rules") if ep.name == "builtin"
    ]
    assert entry_point.value == "cchc_rules.scoring._builtin"
    registry = load_plugins()
    for kind in BUILTIN_KINDS:
        entry = registry.kinds[kind.name]
        assert entry.kind is kind
        assert entry.plugin.label == BUILTIN_LABEL
    assert BUILTIN_LABEL in [plugin.label for plugin in registry.plugins]


def test_a_plugins_dir_module_is_registered(tmp_path: Path) -> None:
    path = write_plugin(tmp_path / "plugins", "done_plugin", plugin_source())
    # Files starting with "_" are helpers of the plugins, not plugins.
    write_plugin(tmp_path / "plugins", "_helpers", "raise RuntimeError('not a plugin')")
    registry = load_plugins(tmp_path / "plugins")
    entry = registry.kinds["done"]
    assert entry.plugin == PluginInfo("done_plugin", None, None, str(path))
    assert entry.plugin.label == str(path)
    assert "flag" in registry  # the built-ins are still there


def test_cchc_plugins_list_shows_a_plugins_dir_kind(tmp_path: Path) -> None:
    path = write_plugin(tmp_path / "plugins", "done_plugin", plugin_source())
    result = subprocess.run(
        [str(CCHC), "--plugins-dir", str(tmp_path / "plugins"), "plugins", "list"],
        capture_output=True,
        text=True,
        # Wide enough that rich does not wrap the plugin's path across lines.
        env={**os.environ, "COLUMNS": "400"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if line.startswith("│ done ")]
    assert str(path) in row


def test_an_installed_distribution_is_named_with_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_plugin(site, "cchc_test_installed", plugin_source(name="installed_done"))
    install_distribution(
        site, monkeypatch, "cchc-test-installed", "1.2.3", "mine = cchc_test_installed"
    )
    registry = load_plugins()
    assert registry.kinds["installed_done"].plugin.label == "cchc-test-installed 1.2.3 [mine]"


# -- what is refused, and who is named ----------------------------------------------------


def test_an_entry_point_that_fails_to_load_names_distribution_version_and_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(
        tmp_path / "site", monkeypatch, "cchc-broken", "2.0", "broken = cchc_no_such_module"
    )
    with pytest.raises(PluginError) as excinfo:
        load_plugins()
    assert str(excinfo.value) == (
        "cchc-broken 2.0 [broken]: failed to load: ModuleNotFoundError: "
        "No module named 'cchc_no_such_module'"
    )


def test_a_module_that_fails_to_import_is_named(tmp_path: Path) -> None:
    path = write_plugin(tmp_path / "plugins", "crashes", "raise RuntimeError('boom')\n")
    assert load_error(tmp_path / "plugins") == f"{path}: failed to load: RuntimeError: boom"


def test_a_missing_plugins_dir_is_refused(tmp_path: Path) -> None:
    assert load_error(tmp_path / "nowhere") == (
        f"{tmp_path / 'nowhere'}: plugins directory does not exist"
    )


def test_a_plugin_must_declare_its_api_version(tmp_path: Path) -> None:
    source = plugin_source().replace("CCHC_PLUGIN_API = 1\n", "")
    path = write_plugin(tmp_path / "plugins", "silent", source)
    message = load_error(tmp_path / "plugins")
    assert message.startswith(f"{path}: CCHC_PLUGIN_API: expected the plugin to declare")
    assert "it declares none" in message


def test_a_plugin_for_a_newer_api_is_refused(tmp_path: Path) -> None:
    newer = hookspecs.PLUGIN_API_VERSION + 1
    source = plugin_source().replace("CCHC_PLUGIN_API = 1", f"CCHC_PLUGIN_API = {newer}")
    path = write_plugin(tmp_path / "plugins", "future", source)
    message = load_error(tmp_path / "plugins")
    assert message.startswith(f"{path}: CCHC_PLUGIN_API: targets plugin API {newer}, ")
    assert f"provides 1 to {hookspecs.PLUGIN_API_VERSION}" in message


def test_an_installed_plugin_for_a_newer_api_names_its_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_plugin(site, "cchc_test_future", plugin_source().replace("API = 1", "API = 99"))
    install_distribution(site, monkeypatch, "cchc-test-future", "3.1", "future = cchc_test_future")
    with pytest.raises(PluginError) as excinfo:
        load_plugins()
    assert str(excinfo.value).startswith(
        "cchc-test-future 3.1 [future]: CCHC_PLUGIN_API: targets plugin API 99, "
    )


def test_a_kind_that_is_not_a_criterion_kind_is_refused(tmp_path: Path) -> None:
    body = """
    class Done:
        name = "done"


    @hookimpl
    def cchc_register_kinds():
        return [Done]
    """
    path = write_plugin(tmp_path / "plugins", "not_a_kind", plugin_source(body))
    message = load_error(tmp_path / "plugins")
    assert message.startswith(
        f"{path}: kind Done: expected a subclass of cchc_rules.kinds.CriterionKind (got <class "
    )


def test_every_missing_kind_attribute_is_reported_at_once(tmp_path: Path) -> None:
    body = """
    class Bare(CriterionKind[DoneParams]):
        def score_unit(self, facts):
            return UnitScore(Decimal(0), "done")


    @hookimpl
    def cchc_register_kinds():
        return [Bare]
    """
    path = write_plugin(tmp_path / "plugins", "bare", plugin_source(body))
    assert load_error(tmp_path / "plugins").splitlines() == [
        f"{path}: kind Bare: expected 'name' to be a lowercase identifier (got None)",
        f"{path}: kind Bare: expected 'Params' to be a pydantic model class (got None)",
        f"{path}: kind Bare: expected 'reasons' to be a non-empty sequence of Reason",
    ]


def test_a_kind_without_a_scoring_path_is_refused(tmp_path: Path) -> None:
    source = plugin_source().replace("def score_unit(", "def scor_unit(")
    path = write_plugin(tmp_path / "plugins", "unscored", source)
    assert load_error(tmp_path / "plugins") == (
        f"{path}: kind Done: expected an implementation of score_batch, score_unit or stacked"
    )


STACKED = """

    @classmethod
    def stacked(cls, kinds):
        return None
"""


def test_a_kind_defining_stacked_under_an_older_declared_api_is_refused(
    tmp_path: Path,
) -> None:
    source = plugin_source().replace("\n\n@hookimpl", STACKED + "\n\n@hookimpl")
    path = write_plugin(tmp_path / "plugins", "stacking", source)
    assert load_error(tmp_path / "plugins") == (
        f"{path}: kind done: defines stacked, added in plugin API 3, but the plugin declares "
        f"CCHC_PLUGIN_API = 1; declare 3 (this cchc-rules provides 3)"
    )
    write_plugin(tmp_path / "plugins", "stacking", source.replace("API = 1", "API = 3"))
    assert "done" in load_plugins(tmp_path / "plugins").kinds


def test_a_duplicate_kind_name_names_both_plugins(tmp_path: Path) -> None:
    first = write_plugin(tmp_path / "plugins", "a_first", plugin_source())
    second = write_plugin(tmp_path / "plugins", "b_second", plugin_source())
    assert load_error(tmp_path / "plugins") == (
        f"{second}: kind done: already registered by {first}"
    )


def test_taking_a_builtin_kind_name_names_the_builtin_plugin(tmp_path: Path) -> None:
    path = write_plugin(tmp_path / "plugins", "flag_again", plugin_source(name="flag"))
    assert load_error(tmp_path / "plugins") == (
        f"{path}: kind flag: already registered by {BUILTIN_LABEL}"
    )


def test_a_misspelt_hook_is_named_with_the_right_spelling(tmp_path: Path) -> None:
    source = plugin_source().replace("def cchc_register_kinds():", "def cchc_register_kind():")
    path = write_plugin(tmp_path / "plugins", "misspelt", source)
    assert load_error(tmp_path / "plugins") == (
        f"{path}: cchc_register_kind: expected the name of a hook in cchc_rules.hookspecs "
        f"(got an unknown hook; did you mean 'cchc_register_kinds'?)"
    )


def test_a_hook_without_the_hookimpl_marker_is_refused(tmp_path: Path) -> None:
    source = plugin_source().replace("@hookimpl\n", "")
    path = write_plugin(tmp_path / "plugins", "unmarked", source)
    assert load_error(tmp_path / "plugins") == (
        f"{path}: expected at least one hook implementation marked with "
        f"@cchc_rules.hookspecs.hookimpl (found none)"
    )


def test_a_hook_returning_a_class_instead_of_a_list_is_refused(tmp_path: Path) -> None:
    source = plugin_source().replace("return [Done]", "return Done")
    path = write_plugin(tmp_path / "plugins", "not_a_list", source)
    message = load_error(tmp_path / "plugins")
    assert message.startswith(
        f"{path}: cchc_register_kinds: expected a list of criterion-kind classes (got <class "
    )


def test_a_hook_that_raises_is_named(tmp_path: Path) -> None:
    source = plugin_source().replace("return [Done]", "raise KeyError('oops')")
    path = write_plugin(tmp_path / "plugins", "raising", source)
    assert load_error(tmp_path / "plugins") == (
        f"{path}: cchc_register_kinds: failed: KeyError: 'oops'"
    )


# -- registration details ------------------------------------------------------------------


def test_the_same_module_offered_twice_registers_once() -> None:
    from cchc_rules.scoring import _builtin as _kinds

    registry = load_plugins(extra=[(PluginInfo("again", None, None, "test"), _kinds)])
    assert registry.kinds["flag"].plugin.label == BUILTIN_LABEL
    assert "test" not in [plugin.label for plugin in registry.plugins]


def test_a_plugins_dir_module_does_not_shadow_an_installed_package(tmp_path: Path) -> None:
    # A file named like an installed plugin's package must not replace it in sys.modules
    # (it did when directory modules were named "cchc_plugin_<stem>").
    before = sys.modules.get("cchc_plugin_example")
    write_plugin(tmp_path / "plugins", "example", plugin_source(name="example_done"))
    registry = load_plugins(tmp_path / "plugins")
    module = sys.modules[registry.kinds["example_done"].kind.__module__]
    assert module.__file__ == str(tmp_path / "plugins" / "example.py")
    assert sys.modules.get("cchc_plugin_example", before) is not module
