"""The ``cchc`` application object, shared options, and helpers every command uses."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cchc_rules import __version__
from cchc_rules._plugins import KindRegistry, load_plugins
from cchc_rules.api import resolve_reference
from cchc_rules.errors import CchcError
from cchc_rules.reports._reports import format_from_suffix, write_atomic
from cchc_rules.ruleset._compiled import CompiledRuleset

EXIT_INVALID = 1
FILE_FORMATS = ("csv", "json", "xlsx")
PROGRESS_THRESHOLD = 20_000
"""Show a progress bar from this many units on: smaller runs finish in a blink."""

app = typer.Typer(
    name="cchc",
    help=(
        "Score government units against versioned PAR Index (Chỉ số CCHC) rulesets.\n\n"
        "Chấm điểm Chỉ số cải cách hành chính theo bộ tiêu chí có phiên bản.\n\n"
        "Start with:\n\n"
        "  cchc evaluate ttcp@2018 demo\n\n"
        "  cchc explain ttcp@2018 demo TTCP-VPTT\n\n"
        "  cchc rulesets list"
    ),
    no_args_is_help=True,
    # --version must work on its own, without a command (the callback checks the rest).
    invoke_without_command=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rulesets_app = typer.Typer(
    help="List, show and validate rulesets. / Bộ tiêu chí.\n\n"
    "Example:  cchc rulesets show ttcp@2018",
    no_args_is_help=True,
)
plugins_app = typer.Typer(
    help="Criterion kinds and the plugins providing them.\n\nExample:  cchc plugins list",
    no_args_is_help=True,
)
app.add_typer(rulesets_app, name="rulesets")
app.add_typer(plugins_app, name="plugins")


class Lang(enum.StrEnum):
    vi = "vi"
    en = "en"


class OutputFormat(enum.StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class ExplainFormat(enum.StrEnum):
    table = "table"
    json = "json"


class ShowFormat(enum.StrEnum):
    tree = "tree"
    toml = "toml"
    json = "json"


class State:
    """Options of this invocation, the consoles, and the plugin registry (loaded once)."""

    def __init__(self) -> None:
        self.plugins_dir: Path | None = None
        self.rulesets_dir: Path | None = None
        self.period: int | None = None
        self.out = Console()
        self.err = Console(stderr=True)
        self._registry: KindRegistry | None = None

    def registry(self) -> KindRegistry:
        if self._registry is None:
            self._registry = load_plugins(self.plugins_dir)
        return self._registry


state = State()

RulesetArg = Annotated[
    str,
    typer.Argument(
        help="A ruleset: family@version from the rulesets directory (e.g. ttcp@2018) "
        "or a path to a TOML file.",
        metavar="RULESET",
        show_default=False,
    ),
]
UnitsArg = Annotated[
    str,
    typer.Argument(
        help="Units and facts: a .csv, .parquet, .xlsx or .json file, or 'demo' for the "
        "demo units bundled with the ruleset.",
        metavar="UNITS",
        show_default=False,
    ),
]
PeriodOpt = Annotated[
    int | None,
    typer.Option(
        "--period",
        "-p",
        help="Evaluation year: with a bare family (ttcp) picks the version in force for it; "
        "an explicit family@version always wins.",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="table (terminal), csv, json or xlsx; default: from --output suffix, else table.",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout."),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace --output if it exists.")]
LangOpt = Annotated[
    Lang,
    typer.Option(
        "--lang",
        "-l",
        envvar="CCHC_LANG",
        help="Language of labels and reasons: vi (Tiếng Việt) or en.",
    ),
]


def _print_version() -> None:
    state.out.print(f"cchc-rules {__version__}", highlight=False)
    try:
        registry = state.registry()
    except CchcError as exc:
        raise fail(exc) from exc
    for plugin in registry.plugins:
        # markup=False: a label such as "cchc-rules 0.1.0 [builtin]" is not a style tag.
        state.out.print(f"  plugin {plugin.label}", highlight=False, markup=False)


@app.callback()
def _main_options(
    ctx: typer.Context,
    plugins_dir: Annotated[
        Path | None,
        typer.Option(
            "--plugins-dir",
            help="Also load plugin modules (*.py) from this directory.",
            file_okay=False,
        ),
    ] = None,
    rulesets_dir: Annotated[
        Path | None,
        typer.Option(
            "--rulesets-dir",
            help="Where family@version rulesets live (default: the bundled rulesets).",
            envvar="CCHC_RULESETS_DIR",
            file_okay=False,
        ),
    ] = None,
    period: PeriodOpt = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and every plugin's distribution and version.",
        ),
    ] = False,
) -> None:
    state.plugins_dir = plugins_dir
    state.rulesets_dir = rulesets_dir
    state.period = period
    state._registry = None
    if version:
        _print_version()
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        ctx.fail("Missing command.")


def fail(exc: CchcError) -> typer.Exit:
    state.err.print(
        f"[bold red]error:[/bold red] {len(exc.problems) or 1} problem(s)", highlight=False
    )
    for line in str(exc).splitlines():
        state.err.print(line, highlight=False, markup=False, soft_wrap=True)
    return typer.Exit(EXIT_INVALID)


def load(ruleset: str, period: int | None = None) -> CompiledRuleset:
    """The ruleset named on the command line; a bare family picks the version in force
    for ``period`` (or the global ``--period``), and the choice is logged on stderr."""
    compiled, note = resolve_reference(
        ruleset,
        period if period is not None else state.period,
        rulesets_dir=state.rulesets_dir,
        registry=state.registry(),
    )
    if note:
        state.err.print(f"ruleset: {note}", highlight=False, markup=False, soft_wrap=True)
    return compiled


def emit(data: bytes, output: Path | None, force: bool) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    write_atomic(output, data, force=force)
    state.err.print(f"wrote {output}", highlight=False)


def choose_format(format: OutputFormat | None, output: Path | None) -> str:
    """The output format: as asked, else from ``output``'s suffix, else the terminal table.

    Usage errors are raised here, before any work is done, so a mistyped command fails
    at once.
    """
    chosen = format.value if format else None
    if chosen is None and output is not None:
        chosen = format_from_suffix(output, FILE_FORMATS)
        if chosen is None:
            raise typer.BadParameter(
                f"cannot tell the format from {output.name!r}; name the file .csv, .json or "
                ".xlsx, or pass --format",
                param_hint="--output",
            )
    chosen = chosen or "table"
    if chosen == "xlsx" and output is None:
        raise typer.BadParameter("xlsx needs --output FILE.xlsx", param_hint="--format")
    if chosen == "table" and output is not None:
        raise typer.BadParameter(
            "the table format is for the terminal; use csv, json or xlsx with --output",
            param_hint="--format",
        )
    return chosen
