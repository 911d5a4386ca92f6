"""Plugin discovery cached by the installed distributions: used while nothing changes,
found again when a distribution changes, and never an error when damaged."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cchc_rules import _plugins
from cchc_rules._plugins import CACHE_ENV, cache_dir, load_plugins

_Found = list[tuple[str, str, str | None, str | None]]


@pytest.fixture(name="cache")
def cache_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def counting_scan(monkeypatch: pytest.MonkeyPatch) -> list[_Found]:
    """Replace the metadata scan by one that records each call."""
    calls: list[_Found] = []
    scan = _plugins._scan_entry_points

    def counted() -> _Found:
        calls.append(scan())
        return calls[-1]

    monkeypatch.setattr(_plugins, "_scan_entry_points", counted)
    return calls


def plugin_labels() -> list[str]:
    return [plugin.label for plugin in load_plugins().plugins]


def test_the_second_run_finds_plugins_in_the_cache(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting_scan(monkeypatch)
    first = plugin_labels()
    assert len(calls) == 1
    assert (cache / "entry-points.json").is_file()

    def refuse() -> _Found:
        raise AssertionError("the entry points were scanned again")

    monkeypatch.setattr(_plugins, "_scan_entry_points", refuse)
    assert plugin_labels() == first
    assert "cchc-rules 0.1.0 [builtin]" in first


def test_a_changed_distribution_invalidates_the_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting_scan(monkeypatch)
    plugin_labels()
    before = _plugins.distributions_fingerprint()
    site = tmp_path / "site"
    (site / "other-1.0.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(site))
    assert _plugins.distributions_fingerprint() != before
    plugin_labels()
    assert len(calls) == 2
    # An upgrade: the same directory holds another version.
    (site / "other-1.0.dist-info").rename(site / "other-1.1.dist-info")
    plugin_labels()
    assert len(calls) == 3
    plugin_labels()
    assert len(calls) == 3


@pytest.mark.parametrize(
    "content",
    [
        "not json {",
        "[]",
        '{"fingerprint": 1}',
        '{"fingerprint": "FP", "entry_points": [["builtin"]]}',
        '{"fingerprint": "FP", "entry_points": [[1, 2, 3, 4]]}',
        '{"fingerprint": "FP", "entry_points": 7}',
    ],
)
def test_a_damaged_cache_is_ignored_and_rewritten(
    cache: Path, monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    cache.mkdir()
    path = cache / "entry-points.json"
    path.write_text(content.replace("FP", _plugins.distributions_fingerprint()), "utf-8")
    calls = counting_scan(monkeypatch)
    assert "cchc-rules 0.1.0 [builtin]" in plugin_labels()
    assert len(calls) == 1
    assert _plugins._read_cache(path, _plugins.distributions_fingerprint()) == calls[0]


def test_an_unwritable_cache_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", "utf-8")
    # The cache directory would be inside a file: it cannot be made.
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    calls = counting_scan(monkeypatch)
    assert "cchc-rules 0.1.0 [builtin]" in plugin_labels()
    assert "cchc-rules 0.1.0 [builtin]" in plugin_labels()
    assert len(calls) == 2


def test_the_cache_directory_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "chosen"))
    assert cache_dir() == tmp_path / "chosen"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    # As if platformdirs were not installed (an import of a None entry fails).
    monkeypatch.setitem(sys.modules, "platformdirs", None)
    assert cache_dir() == tmp_path / "xdg" / "cchc-rules"


def test_installations_taking_turns_keep_their_own_entries(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two virtual environments (or Python versions) sharing one user cache: each finds
    # its plugins once, however the runs alternate.
    calls = counting_scan(monkeypatch)
    for fingerprint in ["venv-a", "venv-b", "venv-a", "venv-b", "venv-a"]:
        monkeypatch.setattr(_plugins, "distributions_fingerprint", lambda f=fingerprint: f)
        plugin_labels()
    assert len(calls) == 2


def test_the_cache_keeps_the_most_recent_installations(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting_scan(monkeypatch)
    names = [f"venv-{i}" for i in range(_plugins.ENVIRONMENTS_KEPT + 1)]
    for fingerprint in names:
        monkeypatch.setattr(_plugins, "distributions_fingerprint", lambda f=fingerprint: f)
        plugin_labels()
    path = cache / "entry-points.json"
    assert _plugins._read_cache(path, names[0]) is None  # the oldest made room
    assert all(_plugins._read_cache(path, name) == calls[0] for name in names[1:])


def test_a_directory_without_distributions_does_not_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``python -m cchc_rules`` puts the working directory first on the path: running it
    # from another directory is the same installation.
    before = _plugins.distributions_fingerprint()
    (tmp_path / "work").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path / "work"))
    assert _plugins.distributions_fingerprint() == before
    (tmp_path / "work" / "local-1.0.dist-info").mkdir()
    assert _plugins.distributions_fingerprint() != before
