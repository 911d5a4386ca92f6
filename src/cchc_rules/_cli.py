"""The ``cchc`` command line.

Exit codes scripts can rely on: 0 success; 1 invalid input (ruleset, units, plugin,
output file); 2 usage error (unknown option, missing argument).
"""

from __future__ import annotations

import enum
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import tomli_w
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from cchc_rules import __version__
from cchc_rules._api import demo_units_path, evaluate_units
from cchc_rules._facts import read_units
from cchc_rules._loading import CompiledRuleset, load_ruleset_file
from cchc_rules._plugins import KindRegistry, load_plugins
from cchc_rules._registry import find_ruleset, list_ruleset_files
from cchc_rules._reports import (
    explanation_json,
    explanation_table,
    format_from_suffix,
    ranked_tables,
    scorecards_csv,
    scorecards_json,
    scorecards_xlsx,
    write_atomic,
)
from cchc_rules._scorecards import Scorecards
from cchc_rules.errors import CchcError, Problem
from cchc_rules.kinds import fact_fields

__all__ = ["app", "main"]

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

out = Console()
err = Console(stderr=True)


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
    plugins_dir: Path | None = None
    rulesets_dir: Path | None = None
    _registry: KindRegistry | None = None

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
    out.print(f"cchc-rules {__version__}", highlight=False)
    try:
        registry = state.registry()
    except CchcError as exc:
        raise _fail(exc) from exc
    for plugin in registry.plugins:
        # markup=False: a label such as "cchc-rules 0.1.0 [builtin]" is not a style tag.
        out.print(f"  plugin {plugin.label}", highlight=False, markup=False)


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
    state._registry = None
    if version:
        _print_version()
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        ctx.fail("Missing command.")


def _fail(exc: CchcError) -> typer.Exit:
    err.print(f"[bold red]error:[/bold red] {len(exc.problems) or 1} problem(s)", highlight=False)
    for line in str(exc).splitlines():
        err.print(line, highlight=False, markup=False, soft_wrap=True)
    return typer.Exit(EXIT_INVALID)


def _load(ruleset: str) -> CompiledRuleset:
    path = find_ruleset(ruleset, state.rulesets_dir)
    display = str(path)
    if path.resolve().is_relative_to(Path.cwd()):
        display = str(path.resolve().relative_to(Path.cwd()))
    return load_ruleset_file(path, registry=state.registry(), display=display)


def _units_source(ruleset: CompiledRuleset, units: str) -> Path:
    if units == "demo":
        path = demo_units_path(ruleset)
        if not path.exists():
            raise CchcError(
                [Problem("demo", None, "", f"no demo units are bundled for {ruleset.ref}")]
            )
        return path
    return Path(units)


def _evaluate(ruleset: CompiledRuleset, units: str) -> Scorecards:
    table = read_units(_units_source(ruleset, units), ruleset.model)
    if len(table) < PROGRESS_THRESHOLD or not err.is_terminal:
        # No live display at all: even an invisible one writes a stray blank line, and
        # a log file or a pipe has no use for a bar.
        return evaluate_units(ruleset, table)
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with progress:
        task = progress.add_task("scoring / chấm điểm", total=len(table))

        def advance(done: int) -> None:
            progress.update(task, advance=done)

        return evaluate_units(ruleset, table, on_progress=advance)


def _emit(data: bytes, output: Path | None, force: bool) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    write_atomic(output, data, force=force)
    err.print(f"wrote {output}", highlight=False)


@app.command("evaluate")
def evaluate_command(
    ruleset: RulesetArg,
    units: UnitsArg,
    format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (terminal), csv, json or xlsx; default: from --output suffix, else table.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --output if it exists.")] = False,
    lang: LangOpt = Lang.vi,
) -> None:
    """Score, grade and rank units under a ruleset. / Chấm điểm, xếp loại, xếp hạng.

    Examples:

      cchc evaluate ttcp@2018 demo

      cchc evaluate ttcp@2018 units.csv --output results.xlsx

      cchc evaluate rulesets/ttcp/2018.toml units.parquet -f json > results.json
    """
    lang_code = lang.value
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
    # Usage errors are found before any work is done, so a mistyped command fails at once.
    if chosen == "xlsx" and output is None:
        raise typer.BadParameter("xlsx needs --output FILE.xlsx", param_hint="--format")
    if chosen == "table" and output is not None:
        raise typer.BadParameter(
            "the table format is for the terminal; use csv, json or xlsx with --output",
            param_hint="--format",
        )
    try:
        compiled = _load(ruleset)
        cards = _evaluate(compiled, units)
        if chosen == "table":
            meta = compiled.model.ruleset
            out.print(Text(meta.title.get(lang_code), style="bold"))
            out.print(
                Text(
                    f"{compiled.ref} · {meta.legal_basis.decision} "
                    f"({meta.legal_basis.date:%d/%m/%Y}) · sha256 {compiled.content_hash[:12]}",
                    style="dim",
                )
            )
            out.print(ranked_tables(cards, lang_code))
            return
        render = {"csv": scorecards_csv, "json": scorecards_json, "xlsx": scorecards_xlsx}[chosen]
        _emit(render(cards, lang_code), output, force)
    except CchcError as exc:
        raise _fail(exc) from exc


@app.command()
def explain(
    ruleset: RulesetArg,
    units: UnitsArg,
    unit_id: Annotated[
        str,
        typer.Argument(
            help="The unit to explain (its unit_id).", metavar="UNIT_ID", show_default=False
        ),
    ],
    format: Annotated[
        ExplainFormat,
        typer.Option("--format", "-f", help="table (terminal) or json."),
    ] = ExplainFormat.table,
    lang: LangOpt = Lang.vi,
) -> None:
    """Why one unit got its score: every criterion's points, reason, and what would raise it.

    Giải thích điểm của một đơn vị theo từng tiêu chí.

    Examples:

      cchc explain ttcp@2018 demo TTCP-VPTT

      cchc explain ttcp@2018 units.csv TTCP-VPC --lang en

      cchc explain ttcp@2018 demo TTCP-VPC --format json > TTCP-VPC.json
    """
    try:
        compiled = _load(ruleset)
        cards = _evaluate(compiled, units)
        explanation = cards.explain(unit_id, lang=lang.value)
    except CchcError as exc:
        raise _fail(exc) from exc
    if format is ExplainFormat.json:
        _emit(explanation_json(explanation), None, False)
    else:
        out.print(explanation_table(explanation, lang.value))


@rulesets_app.command("list")
def rulesets_list(lang: LangOpt = Lang.vi) -> None:
    """Every ruleset version with its status, legal basis, periods and content hash.

    Example:  cchc rulesets list --lang en
    """
    try:
        registry = state.registry()
    except CchcError as exc:
        raise _fail(exc) from exc
    files = list_ruleset_files(state.rulesets_dir)
    table = Table(header_style="bold", show_lines=True)
    # Identifiers never wrap (a hash or a decision number cut in two cannot be copied);
    # the title, under the ruleset's name, takes the remaining width.
    table.add_column("ruleset\n(title)", ratio=1, min_width=24)
    table.add_column("status\nperiods", no_wrap=True)
    table.add_column("decision\n(date)", no_wrap=True)
    table.add_column("criteria", no_wrap=True, justify="right")
    table.add_column("sha256", no_wrap=True)
    invalid = 0
    for entry in files:
        try:
            compiled = load_ruleset_file(entry.path, registry=registry, display=entry.ref)
        except CchcError as exc:
            invalid += 1
            problem = exc.problems[0] if exc.problems else exc
            table.add_row(
                Text.assemble(
                    (entry.ref, "bold"),
                    "\n",
                    (f"{problem}\n(cchc rulesets validate {entry.ref})", "red"),
                ),
                Text("invalid", style="red"),
            )
            continue
        meta = compiled.model.ruleset
        table.add_row(
            Text.assemble((entry.ref, "bold"), "\n", meta.title.get(lang.value)),
            Text(f"{meta.status}\n{', '.join(str(p) for p in meta.periods)}"),
            Text(f"{meta.legal_basis.decision}\n{meta.legal_basis.date:%d/%m/%Y}"),
            str(len(compiled.leaves)),
            compiled.content_hash[:12],
        )
    out.print(table)
    if invalid:
        raise typer.Exit(EXIT_INVALID)


def _exact_toml_values(value: Any) -> Any:
    """Data for tomli_w that reads back to the same model, hence the same content hash.

    tomli_w writes ``Decimal("100")`` as ``100.0``, which reads back as a different
    Decimal (and hash); a whole Decimal without a fraction is written as an integer.
    """
    if isinstance(value, Decimal):
        return int(value) if value.as_tuple().exponent == 0 else value
    if isinstance(value, dict):
        return {key: _exact_toml_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_exact_toml_values(item) for item in value]
    return value


@rulesets_app.command("show")
def rulesets_show(
    ruleset: RulesetArg,
    format: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="tree (terminal), toml or json.")
    ] = ShowFormat.tree,
    lang: LangOpt = Lang.vi,
) -> None:
    """Show a ruleset: its tree of areas and criteria, or the full content as TOML/JSON.

    Examples:

      cchc rulesets show ttcp@2018

      cchc rulesets show ttcp@2018 --format toml > ttcp-2018-resolved.toml
    """
    try:
        compiled = _load(ruleset)
    except CchcError as exc:
        raise _fail(exc) from exc
    model = compiled.model
    if format is ShowFormat.json:
        document = model.model_dump(mode="json", exclude_none=True)
        _emit((json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode(), None, False)
        return
    if format is ShowFormat.toml:
        document = _exact_toml_values(model.model_dump(mode="python", exclude_none=True))
        _emit(tomli_w.dumps(document).encode(), None, False)
        return
    meta = model.ruleset
    tree = Tree(
        Text.assemble(
            (compiled.ref, "bold"),
            f" {meta.title.get(lang.value)} — {meta.total_points} "
            f"({meta.legal_basis.decision}, {meta.status}, sha256 {compiled.content_hash[:12]})",
        )
    )

    def add(branch: Tree, criteria: Any) -> None:
        for criterion in criteria:
            text = Text(f"{criterion.id} {criterion.name.get(lang.value)} [{criterion.max_points}]")
            if criterion.kind:
                text.append(f" {criterion.kind}", style="dim")
            if criterion.applies_to:
                text.append(f" ({', '.join(criterion.applies_to)})", style="cyan")
            add(branch.add(text), criterion.criteria)

    for area in model.areas:
        name = f"{area.id} {area.name.get(lang.value)} [{area.max_points}]"
        add(tree.add(Text(name, style="bold")), area.criteria)
    out.print(tree)


@rulesets_app.command("validate")
def rulesets_validate(
    rulesets: Annotated[
        list[str],
        typer.Argument(
            help="Ruleset files or family@version references.",
            metavar="RULESET...",
            show_default=False,
        ),
    ],
) -> None:
    """Check rulesets and report every problem at once (exit 1 if any is invalid).

    Examples:

      cchc rulesets validate rulesets/ttcp/2018.toml

      cchc rulesets validate ttcp@2018 draft.toml
    """
    failed = False
    for name in rulesets:
        try:
            compiled = _load(name)
        except CchcError as exc:
            failed = True
            err.print(Text.assemble(("✗ ", "red"), name))
            for line in str(exc).splitlines():
                # soft_wrap: one problem per line, never cut, so it can be searched and copied
                err.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
            continue
        out.print(
            Text.assemble(
                ("✓ ", "green"),
                f"{name}: {compiled.ref}, {len(compiled.leaves)} criteria, "
                f"sha256 {compiled.content_hash}",
            ),
            soft_wrap=True,
        )
    if failed:
        raise typer.Exit(EXIT_INVALID)


def _default_text(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else repr(value)


@plugins_app.command("list")
def plugins_list() -> None:
    """Every criterion kind, the plugin it comes from, and its parameters.

    Examples:

      cchc plugins list

      cchc --plugins-dir ./my_kinds plugins list
    """
    try:
        registry = state.registry()
    except CchcError as exc:
        raise _fail(exc) from exc
    table = Table(header_style="bold", show_lines=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("plugin", no_wrap=True)
    table.add_column("path", no_wrap=True)
    table.add_column("parameters")
    for name in registry.names():
        entry = registry.kinds[name]
        params = entry.kind.Params
        facts = set(fact_fields(params))
        described = []
        for field_name, info in params.model_fields.items():
            default = (
                ""
                if info.is_required()
                else f" = {_default_text(info.get_default(call_default_factory=True))}"
            )
            marker = " (fact)" if field_name in facts else ""
            described.append(f"{field_name}{marker}{default}")
        path = "batch" if entry.kind.has_batch_path() else "per unit"
        table.add_row(name, Text(entry.plugin.label), path, Text("\n".join(described)))
    out.print(table)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except CchcError as exc:  # raised outside a command, e.g. while loading plugins
        err.print(str(exc), highlight=False, markup=False)
        sys.exit(EXIT_INVALID)
