"""The ``cchc`` command line.

Exit codes scripts can rely on: 0 success; 1 invalid input (ruleset, units, plugin,
output file); 2 usage error (unknown option, missing argument).
"""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import tomli_w
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
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
PROGRESS_THRESHOLD = 20_000
"""Show a progress bar from this many units on: smaller runs finish in a blink."""

app = typer.Typer(
    name="cchc",
    help=(
        "Score government units against versioned PAR Index (Chỉ số CCHC) rulesets.\n\n"
        "Chấm điểm Chỉ số cải cách hành chính theo bộ tiêu chí có phiên bản.\n\n"
        "Start with:  cchc evaluate ttcp@2018 demo   then   "
        "cchc explain ttcp@2018 demo TTCP-VPTT"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rulesets_app = typer.Typer(
    help="List, show and validate rulesets. / Bộ tiêu chí.", no_args_is_help=True
)
plugins_app = typer.Typer(
    help="Criterion kinds and the plugins providing them.", no_args_is_help=True
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
        show_default=False,
    ),
]
UnitsArg = Annotated[
    str,
    typer.Argument(
        help="Units and facts: a .csv, .parquet, .xlsx or .json file, or 'demo' for the "
        "demo units bundled with the ruleset.",
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


def _version_callback(value: bool) -> None:
    if not value:
        return
    out.print(f"cchc-rules {__version__}")
    try:
        registry = state.registry()
    except CchcError as exc:
        err.print(f"[red]plugins failed to load:[/red]\n{exc}")
        raise typer.Exit(EXIT_INVALID) from exc
    for plugin in registry.plugins:
        out.print(f"  plugin {plugin.label}")
    raise typer.Exit()


@app.callback()
def _main_options(
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
            is_eager=True,
        ),
    ] = False,
) -> None:
    state.plugins_dir = plugins_dir
    state.rulesets_dir = rulesets_dir
    state._registry = None
    _version_callback(version)


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
    source = _units_source(ruleset, units)
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with progress:
        task = progress.add_task("scoring / chấm điểm", total=None, visible=False)
        table = read_units(source, ruleset.model)
        if len(table) >= PROGRESS_THRESHOLD:
            progress.update(task, total=len(table), visible=True)

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
    if chosen is None:
        chosen = (format_from_suffix(output) if output else None) or "table"
    if chosen == "xlsx" and output is None:
        raise typer.BadParameter("xlsx needs --output FILE.xlsx", param_hint="--format")
    try:
        compiled = _load(ruleset)
        cards = _evaluate(compiled, units)
        if chosen == "table":
            if output is not None:
                raise typer.BadParameter(
                    "the table format is for the terminal; use csv, json or xlsx with --output",
                    param_hint="--format",
                )
            meta = compiled.model.ruleset
            out.print(
                f"[bold]{meta.title.get(lang_code)}[/bold]  {compiled.ref} · "
                f"{meta.legal_basis.decision} · sha256 {compiled.content_hash[:12]}",
                highlight=False,
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
        str, typer.Argument(help="The unit to explain (its unit_id).", show_default=False)
    ],
    format: Annotated[
        OutputFormat | None,
        typer.Option("--format", "-f", help="table (default) or json."),
    ] = None,
    lang: LangOpt = Lang.vi,
) -> None:
    """Why one unit got its score: every criterion's points, reason, and what would raise it.

    Giải thích điểm của một đơn vị theo từng tiêu chí.

    Example:  cchc explain ttcp@2018 demo TTCP-VPTT --lang en
    """
    chosen = format.value if format else "table"
    if chosen not in ("table", "json"):
        raise typer.BadParameter("explain supports table or json", param_hint="--format")
    try:
        compiled = _load(ruleset)
        cards = _evaluate(compiled, units)
        explanation = cards.explain(unit_id, lang=lang.value)
    except CchcError as exc:
        raise _fail(exc) from exc
    if chosen == "json":
        _emit(explanation_json(explanation), None, False)
    else:
        out.print(explanation_table(explanation, lang.value))


@rulesets_app.command("list")
def rulesets_list(lang: LangOpt = Lang.vi) -> None:
    """Every ruleset version with its status, legal basis, periods and content hash."""
    files = list_ruleset_files(state.rulesets_dir)
    table = Table(header_style="bold")
    for heading in ("ruleset", "title", "status", "decision", "periods", "leaves", "sha256"):
        table.add_column(heading)
    invalid = 0
    for entry in files:
        try:
            compiled = load_ruleset_file(entry.path, registry=state.registry(), display=entry.ref)
        except CchcError as exc:
            invalid += 1
            table.add_row(
                entry.ref, f"[red]invalid: {exc.problems[0] if exc.problems else exc}[/red]"
            )
            continue
        meta = compiled.model.ruleset
        table.add_row(
            entry.ref,
            meta.title.get(lang.value),
            meta.status,
            f"{meta.legal_basis.decision} ({meta.legal_basis.date.isoformat()})",
            ", ".join(str(p) for p in meta.periods),
            str(len(compiled.leaves)),
            compiled.content_hash[:12],
        )
    out.print(table)
    if invalid:
        raise typer.Exit(EXIT_INVALID)


@rulesets_app.command("show")
def rulesets_show(
    ruleset: RulesetArg,
    format: Annotated[
        str, typer.Option("--format", "-f", help="tree (default), toml or json.")
    ] = "tree",
    lang: LangOpt = Lang.vi,
) -> None:
    """Show a ruleset: its tree of areas and criteria, or the full content as TOML/JSON."""
    if format not in ("tree", "toml", "json"):
        raise typer.BadParameter("expected tree, toml or json", param_hint="--format")
    try:
        compiled = _load(ruleset)
    except CchcError as exc:
        raise _fail(exc) from exc
    model = compiled.model
    if format == "json":
        sys.stdout.write(
            json.dumps(
                model.model_dump(mode="json", exclude_none=True), ensure_ascii=False, indent=2
            )
            + "\n"
        )
        return
    if format == "toml":
        sys.stdout.write(tomli_w.dumps(model.model_dump(mode="python", exclude_none=True)))
        return
    meta = model.ruleset
    tree = Tree(
        f"[bold]{compiled.ref}[/bold] {meta.title.get(lang.value)} — {meta.total_points} "
        f"({meta.legal_basis.decision}, {meta.status}, sha256 {compiled.content_hash[:12]})"
    )

    def add(branch: Tree, criteria: Any) -> None:
        for criterion in criteria:
            text = f"{criterion.id} {criterion.name.get(lang.value)} [{criterion.max_points}]"
            if criterion.kind:
                text += f" [dim]{criterion.kind}[/dim]"
            if criterion.applies_to:
                text += f" [cyan]({', '.join(criterion.applies_to)})[/cyan]"
            add(branch.add(text), criterion.criteria)

    for area in model.areas:
        add(
            tree.add(f"[bold]{area.id} {area.name.get(lang.value)}[/bold] [{area.max_points}]"),
            area.criteria,
        )
    out.print(tree)


@rulesets_app.command("validate")
def rulesets_validate(
    rulesets: Annotated[
        list[str], typer.Argument(help="Ruleset files or family@version references.")
    ],
) -> None:
    """Check rulesets and report every problem at once (exit 1 if any is invalid)."""
    failed = False
    for name in rulesets:
        try:
            compiled = _load(name)
        except CchcError as exc:
            failed = True
            err.print(f"[red]✗[/red] {name}", highlight=False)
            for line in str(exc).splitlines():
                err.print(f"  {line}", highlight=False, markup=False)
            continue
        out.print(
            f"[green]✓[/green] {name}: {compiled.ref}, {len(compiled.leaves)} criteria, "
            f"sha256 {compiled.content_hash}",
            highlight=False,
        )
    if failed:
        raise typer.Exit(EXIT_INVALID)


@plugins_app.command("list")
def plugins_list() -> None:
    """Every criterion kind, the plugin it comes from, and its parameters."""
    try:
        registry = state.registry()
    except CchcError as exc:
        raise _fail(exc) from exc
    table = Table(header_style="bold", show_lines=True)
    table.add_column("kind")
    table.add_column("plugin")
    table.add_column("path")
    table.add_column("parameters")
    for name in registry.names():
        entry = registry.kinds[name]
        params = entry.kind.Params
        facts = set(fact_fields(params))
        described = []
        for field_name, info in params.model_fields.items():
            default = "" if info.is_required() else f" = {info.default!r}"
            marker = " (fact)" if field_name in facts else ""
            described.append(f"{field_name}{marker}{default}")
        path = "batch" if entry.kind.has_batch_path() else "per unit"
        table.add_row(name, entry.plugin.label, path, "\n".join(described))
    out.print(table)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except CchcError as exc:  # raised outside a command, e.g. while loading plugins
        err.print(str(exc), highlight=False, markup=False)
        sys.exit(EXIT_INVALID)
