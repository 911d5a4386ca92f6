"""The ``cchc`` application object, shared options, and what every command uses: the
invocation's context object and the one error handler."""

from __future__ import annotations

import enum
import gc
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from cchc_rules.errors import CchcError
from cchc_rules.reports._literal import literal

if TYPE_CHECKING:
    from cchc_rules._plugins import KindRegistry
    from cchc_rules.ruleset._compiled import CompiledRuleset

# NOTE: this module and the options it defines stay light: ``cchc --help`` builds the
# help from them, and must not wait for numpy, pyarrow or pydantic. What a command
# needs (the API, the plugin manager, the writers) is imported where it is used.

EXIT_INVALID = 1


@dataclass(frozen=True)
class Consoles:
    """Where a command prints: results on ``out``; messages, progress and errors on ``err``.

    A caller running the application in process (a test) passes its own as the
    context object, e.g. of a fixed width: ``runner.invoke(app, args, obj=Consoles(...))``.
    """

    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))


@dataclass(frozen=True)
class UnitsRead:
    """How to read an office units file, as the global options say (``--sheet``,
    ``--encoding``, ``--delimiter``, ``--map``); ``None``: told from the file."""

    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    column_map: Path | None = None


class Invocation:
    """The options of this invocation, its consoles, and the plugin registry (loaded once).

    Made by the application's callback and attached to the click context (``ctx.obj``);
    commands take it with :func:`invocation`.
    """

    def __init__(
        self,
        consoles: Consoles,
        *,
        plugins_dir: Path | None = None,
        rulesets_dir: Path | None = None,
        period: int | None = None,
        units_read: UnitsRead | None = None,
    ) -> None:
        self.out = consoles.out
        self.units_read = units_read or UnitsRead()
        self.err = consoles.err
        self.plugins_dir = plugins_dir
        self.rulesets_dir = rulesets_dir
        self.period = period
        self._registry: KindRegistry | None = None
        self.chosen: tuple[int | None, str | None] = (None, None)
        """The period the last :meth:`load` was asked for, and the note on why that
        version (None when the version was named and covers the period)."""

    def registry(self) -> KindRegistry:
        if self._registry is None:
            from cchc_rules._plugins import load_plugins  # NOTE: lazy, see the imports

            self._registry = load_plugins(self.plugins_dir)
        return self._registry

    def load(self, ruleset: str, period: int | None = None) -> CompiledRuleset:
        """The ruleset named on the command line; a bare family picks the version in force
        for ``period`` (or the global ``--period``), and the choice is logged on stderr."""
        from cchc_rules.api import resolve_reference  # NOTE: lazy, see the imports

        asked = period if period is not None else self.period
        compiled, note = resolve_reference(
            ruleset, asked, rulesets_dir=self.rulesets_dir, registry=self.registry()
        )
        self.chosen = (asked, note)
        if note:
            self.err.print(literal(f"ruleset: {note}"), soft_wrap=True)
        return compiled

    def emit(self, data: bytes, output: Path | None = None, force: bool = False) -> None:
        """``data`` to stdout, or atomically to the file ``output``."""
        if output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return
        from cchc_rules.reports._atomic import write_atomic  # NOTE: lazy, see the imports

        write_atomic(output, data, force=force)
        self.wrote(output)

    def wrote(self, output: Path) -> None:
        self.err.print(literal(f"wrote {output}"), soft_wrap=True)


def invocation(ctx: typer.Context) -> Invocation:
    """The invocation a command runs in (the application's callback made it).

    Every command asks for it first, once it has imported what it uses: start-up ends
    here (see :func:`defer_collection`).
    """
    found = ctx.find_object(Invocation)
    assert found is not None, "the application's callback attaches the invocation"
    _end_of_startup()
    return found


_collection_deferred = False


def defer_collection() -> None:
    """Start the command line without the cyclic garbage collector, until the command has
    imported what it uses (:func:`invocation`)."""
    # NOTE: start-up (typer, then numpy, pyarrow, pydantic, the engine and the ruleset's
    # models) makes about a hundred thousand objects that live as long as the process, and
    # the collector walked them again and again: 50-100 ms of a 0.7 s evaluation of the
    # demo. Only the console script defers it: the application run inside another
    # program (tests, a caller's CliRunner) leaves that program's collector alone.
    global _collection_deferred
    gc.disable()
    _collection_deferred = True


def _end_of_startup() -> None:
    global _collection_deferred
    if _collection_deferred:
        _collection_deferred = False
        # What start-up made is moved out of the collector's way (it would otherwise walk
        # all of it at the first collection); the few hundred cycles it left are kept.
        gc.freeze()
        gc.enable()


def _consoles(ctx: Any) -> Consoles:
    found = ctx.find_object(Invocation)
    if found is not None:
        return Consoles(found.out, found.err)
    seed = ctx.find_object(Consoles)
    return seed if seed is not None else Consoles()


def _report(consoles: Consoles, exc: CchcError) -> None:
    """Every problem on stderr, one per line, each starting with where it is.

    Each line is printed literally: ``units.csv:100:`` is a place, not an emoji code,
    and the values it quotes are data (see ``reports._literal``).
    """
    consoles.err.print(
        f"[bold red]error:[/bold red] {len(exc.problems) or 1} problem(s)", highlight=False
    )
    for line in str(exc).splitlines():
        consoles.err.print(literal(line), soft_wrap=True)


class _Application(TyperGroup):
    """The command group that turns every :class:`CchcError` into exit code 1."""

    # ctx: click's Context, from click itself or (newer typer) from the copy of click typer
    # vendors; Any spans both.
    def invoke(self, ctx: Any) -> Any:
        # NOTE: the one error handler: a command (or the callback, loading plugins)
        # raises CchcError with located problems, and this prints them and exits 1.
        try:
            return super().invoke(ctx)
        except CchcError as exc:
            _report(_consoles(ctx), exc)
            raise typer.Exit(EXIT_INVALID) from exc


app = typer.Typer(
    cls=_Application,
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
CsvBomOpt = Annotated[
    bool | None,
    typer.Option(
        "--csv-bom/--no-csv-bom",
        help="Start CSV with a UTF-8 byte order mark, so Excel on Windows reads Vietnamese; "
        "default: on for a file (--output), off for stdout.",
        show_default=False,
    ),
]


def wants_bom(csv_bom: bool | None, output: Path | None) -> bool:
    """Whether CSV gets a BOM: as asked, else only in a file (docs/decisions/0025)."""
    # NOTE: a file is what someone opens in Excel; stdout goes to another program,
    # which a BOM would hand a stray character at the start of the first header.
    return output is not None if csv_bom is None else csv_bom


LangOpt = Annotated[
    Lang,
    typer.Option(
        "--lang",
        "-l",
        envvar="CCHC_LANG",
        help="Language of labels and reasons: vi (Tiếng Việt) or en.",
    ),
]


def _print_version(run: Invocation) -> None:
    from cchc_rules import __version__  # NOTE: lazy: importlib.metadata, for --version only

    run.out.print(f"cchc-rules {__version__}", highlight=False)
    for plugin in run.registry().plugins:
        # Literal: a label such as "cchc-rules 0.1.0 [builtin]" is not a style tag.
        run.out.print(literal(f"  plugin {plugin.label}"))


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
    sheet: Annotated[
        str | None,
        typer.Option(
            "--sheet",
            help="Units workbook: read this sheet (name or number from 1); default: the "
            "first with a header row.",
            show_default=False,
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="Units CSV: its encoding (utf-8, utf-16, cp1258…); default: told from the file.",
            show_default=False,
        ),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(
            "--delimiter",
            help="Units CSV: its delimiter (',', ';' or 'tab'); default: told from the header.",
            show_default=False,
        ),
    ] = None,
    column_map: Annotated[
        Path | None,
        typer.Option(
            "--map",
            help="Units file: a TOML or CSV file of header text → column name, for headers "
            "that are neither a column name nor a ruleset label.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and every plugin's distribution and version.",
        ),
    ] = False,
) -> None:
    seed = ctx.obj if isinstance(ctx.obj, Consoles) else Consoles()
    ctx.obj = run = Invocation(
        seed,
        plugins_dir=plugins_dir,
        rulesets_dir=rulesets_dir,
        period=period,
        units_read=UnitsRead(sheet, encoding, _delimiter(delimiter), column_map),
    )
    if version:
        _print_version(run)
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        ctx.fail("Missing command.")


_DELIMITER_WORDS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}


def _delimiter(given: str | None) -> str | None:
    if given is None:
        return None
    mark = _DELIMITER_WORDS.get(given.lower(), given)
    if len(mark) != 1:
        raise typer.BadParameter(
            f"expected one character, or tab (got {given!r})", param_hint="--delimiter"
        )
    return mark


def choose_format(format: OutputFormat | None, output: Path | None) -> str:
    """The output format: as asked, else from ``output``'s suffix, else the terminal table.

    Usage errors are raised here, before any work is done, so a mistyped command fails
    at once.
    """
    chosen = format.value if format else None
    if chosen is None and output is not None:
        # NOTE: lazy, see the imports: the format table names every writer's module, and
        # only a file's suffix needs it (the terminal table does not).
        from cchc_rules.reports._formats import FILE_FORMATS, format_from_suffix

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
