"""Write the golden outputs of the evaluation cases; never edit those files by hand.

    .venv/bin/python tests/evaluations/regenerate.py

Each case is a directory ``CASE/`` with a ruleset (``ruleset.toml``) and units
(``units.csv``); the outputs are what the command line prints for them:

* ``evaluate.csv``     ← ``cchc evaluate ruleset.toml units.csv --format csv``
* ``evaluate.en.txt``  ← ``cchc evaluate ruleset.toml units.csv --lang en`` (100 columns)
* ``explain.ID.json``  ← ``cchc explain ruleset.toml units.csv ID --format json --lang en``,
  for every unit id listed in ``explain.txt`` (one a line), if the case has one.

Review every changed output (``git diff tests/evaluations``) before committing it: it is
what users will read.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from cchc_rules import cli
from cchc_rules.cli._app import Consoles

HERE = Path(__file__).resolve().parent
WIDTH = 100


def cases() -> list[Path]:
    return sorted(p.parent for p in HERE.glob("*/ruleset.toml"))


def run(case: Path, *args: str) -> str:
    """What ``cchc ARGS`` prints, run in ``case`` so files are named as in the docs."""
    consoles = Consoles(Console(width=WIDTH), Console(stderr=True, width=WIDTH))
    env = {"CCHC_LANG": None, "CCHC_RULESETS_DIR": None, "COLUMNS": str(WIDTH)}
    here = Path.cwd()
    os.chdir(case)
    try:
        result = CliRunner().invoke(cli.app, list(args), env=env, obj=consoles)
    finally:
        os.chdir(here)
    if result.exit_code != 0:
        raise AssertionError(f"{case.name}: cchc {' '.join(args)} failed:\n{result.output}")
    return result.stdout


def outputs(case: Path) -> dict[Path, str]:
    """Every golden output of ``case``, by the file it belongs in."""
    found = {
        case / "evaluate.csv": run(case, "evaluate", "ruleset.toml", "units.csv", "-f", "csv"),
        case / "evaluate.en.txt": run(
            case, "evaluate", "ruleset.toml", "units.csv", "--lang", "en"
        ),
    }
    listed = case / "explain.txt"
    if listed.exists():
        for unit_id in listed.read_text(encoding="utf-8").split():
            args = ("explain", "ruleset.toml", "units.csv", unit_id, "-f", "json", "--lang", "en")
            found[case / f"explain.{unit_id}.json"] = run(case, *args)
    return found


def main() -> int:
    for case in cases():
        for path, text in outputs(case).items():
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path.relative_to(HERE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
