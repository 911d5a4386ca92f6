"""Facts derived from record sets: the loader's checks, record-set errors, derive_facts.

Uses the providers of the bundled plugin package ``cchc-ttcp-criteria`` (installed by
``run.py`` like every ``plugins/*/`` package) and the ``ttcp@2020`` demo record sets.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

import cchc_rules
from cchc_rules import hookspecs
from cchc_rules._plugins import PluginInfo, load_plugins
from cchc_rules.api import demo_units_path, evaluate_units
from cchc_rules.errors import InputError, PluginError, RulesetError
from cchc_rules.inputs._derive import (
    demo_records_dir,
    derive_facts,
    parse_records_option,
    record_paths,
)
from cchc_rules.inputs._units import read_units

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ruleset() -> cchc_rules.CompiledRuleset:
    return cchc_rules.load_ruleset("ttcp@2020")


def test_derived_facts_reach_the_engine_and_evidence_names_people(
    ruleset: cchc_rules.CompiledRuleset,
) -> None:
    derivation = derive_facts(ruleset, demo_units_path(ruleset), record_paths(ruleset, demo=True))
    units = read_units(
        derivation.table, ruleset.model, name=derivation.source, first_row=derivation.first_row
    )
    cards = evaluate_units(ruleset, units)
    rows = {row["unit_id"]: row for row in cards.to_arrow().to_pylist()}
    magazine = rows["TTCP-TAPCHI"]
    assert magazine["E4.1"] == 0  # no rotation plan published in the records
    assert magazine["G4"] == 0  # 12 of 16 signing: below the 90 % band
    lines = derivation.evidence("TTCP-TAPCHI", "rotation_plan_issued", lang="en")
    assert lines == ["no rotation plan for 2020 published by 2020-12-31"]
    people = derivation.evidence_for(
        "TTCP-TAPCHI", ["staff_with_digital_signature", "staff_on_roster"], lang="vi", limit=2
    )
    assert len(people) == 2 and all("chứng thư" in line for line in people)
    assert derivation.evidence("TTCP-TAPCHI", "plan_issued") == []  # not a derived fact


def test_derivation_follows_the_units_table_order_and_repeats(
    ruleset: cchc_rules.CompiledRuleset,
) -> None:
    paths = record_paths(ruleset, demo=True)
    whole = derive_facts(ruleset, demo_units_path(ruleset), paths).table
    reordered = whole.take(pa.array(list(range(whole.num_rows))[::-1]))
    base = reordered.select([c for c in reordered.column_names if c not in _derived(ruleset)])
    again = derive_facts(ruleset, base, paths).table
    assert again.equals(reordered)


def _derived(ruleset: cchc_rules.CompiledRuleset) -> list[str]:
    return [name for name, spec in ruleset.model.facts.items() if spec.derived is not None]


def test_a_units_table_with_a_derived_column_is_refused(
    ruleset: cchc_rules.CompiledRuleset,
) -> None:
    table = pa.table({"unit_id": ["TTCP-VPTT"], "staff_rotated": [1]})
    with pytest.raises(InputError, match=r"staff_rotated: is a derived fact \(from"):
        derive_facts(ruleset, table, record_paths(ruleset, demo=True))


def test_bad_record_files_give_located_errors(
    ruleset: cchc_rules.CompiledRuleset, tmp_path: Path
) -> None:
    paths = record_paths(ruleset, demo=True)
    roster = tmp_path / "roster.csv"
    lines = paths["roster"].read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("TTCP-VPTT", "TTCP-NOWHERE")
    lines[3] = lines[3].rsplit(",", 1)[0] + ",31/12/2038"
    lines.append(lines[4])  # a person twice
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        derive_facts(ruleset, demo_units_path(ruleset), {**paths, "roster": roster})
    text = str(caught.value)
    assert (
        f"{roster}:3: unit_id: unknown unit (not in the units table) (got 'TTCP-NOWHERE')" in text
    )
    assert f"{roster}:4: retirement_date: expected a date as YYYY-MM-DD (got '31/12/2038')" in text
    assert f"{roster}:{len(lines)}: person_id: duplicate person_id" in text


def test_record_paths_prefer_given_files_then_defaults(
    ruleset: cchc_rules.CompiledRuleset, tmp_path: Path
) -> None:
    given = parse_records_option([f"roster={tmp_path / 'r.csv'}"])
    found = record_paths(ruleset, given, demo=True)
    assert found["roster"] == tmp_path / "r.csv"
    assert found["documents"] == demo_records_dir(ruleset) / "documents.csv"
    with pytest.raises(InputError, match=r"--records: rooster: unknown record set; did you mean"):
        record_paths(ruleset, {"rooster": tmp_path})
    with pytest.raises(InputError, match=r"no file for record set 'roster': pass --records"):
        record_paths(ruleset)
    with pytest.raises(InputError, match="expected NAME=PATH"):
        parse_records_option(["roster"])


RULESET = """\
[ruleset]
family = "mini"
version = "1"
title = { vi = "Thử", en = "Test" }
status = "draft"
periods = [2020]
total_points = 1
legal_basis = { decision = "1/QĐ", date = 2020-01-01 }

[unit_types.u]
name = { vi = "Đơn vị", en = "Unit" }
peer_group = "g"

[ranking.peer_groups.g]
name = { vi = "Nhóm", en = "Group" }

[grading]
bands = [{ grade = "a", name = { vi = "A", en = "A" }, min_index = 0 }]

[record_sets.docs]
description = { vi = "Sổ văn bản", en = "Document log" }
path = "records/docs.csv"

[record_sets.people]
description = { vi = "Danh sách", en = "Roster" }
path = "records/people.csv"

[record_sets.certs]
description = { vi = "Chứng thư", en = "Certificates" }
path = "records/certs.csv"

[providers.sig]
provider = "digital_signatures"
records = { documents = "docs", roster = "people", certificates = "certs" }

[facts.sent]
type = "integer"
derived = { provider = "sig", output = "outgoing" }
description = { vi = "Văn bản đi", en = "Outgoing" }

[facts.sent_signed]
type = "integer"
derived = { provider = "sig", output = "outgoing_signed" }
description = { vi = "Văn bản đi ký số", en = "Outgoing signed" }

[[areas]]
id = "G"
name = { vi = "G", en = "G" }
max_points = 1

[[areas.criteria]]
id = "G1"
name = { vi = "Ký số", en = "Signed" }
max_points = 1
kind = "proportional"
params = { numerator = "sent_signed", denominator = "sent", zero_denominator = "full_points" }
"""


def _mini(tmp_path: Path, text: str = RULESET) -> Path:
    path = tmp_path / "mini.toml"
    path.write_text(text, encoding="utf-8")
    records = tmp_path / "records"
    records.mkdir(exist_ok=True)
    (records / "docs.csv").write_text(
        "document_id,unit_id,issued_on,direction,electronic,signed,signer,classified\n"
        "1,A,2020-12-31,out,true,true,P1,false\n"
        "2,A,2020-06-01,out,false,false,,false\n"
        "3,A,2021-01-01,out,false,false,,false\n",
        encoding="utf-8",
    )
    (records / "people.csv").write_text("person_id,unit_id\nP1,A\n", encoding="utf-8")
    (records / "certs.csv").write_text(
        "serial,person_id,valid_from,valid_to\nC1,P1,2020-01-01,2020-12-31\n", encoding="utf-8"
    )
    return path


def test_default_record_paths_are_relative_to_the_ruleset_file(tmp_path: Path) -> None:
    ruleset = cchc_rules.load_ruleset(_mini(tmp_path))
    paths = record_paths(ruleset)
    assert paths["docs"] == (tmp_path / "records" / "docs.csv").resolve()
    units = pa.table({"unit_id": ["A"], "name": ["A"], "unit_type": ["u"]})
    derived = derive_facts(ruleset, units, paths)
    assert derived.table.column("sent").to_pylist() == [2]
    assert derived.table.column("sent_signed").to_pylist() == [1]
    cards = evaluate_units(ruleset, read_units(derived.table, ruleset.model))
    assert cards.to_arrow().column("G1").to_pylist()[0] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'provider = "digital_signatures"',
            'provider = "digital_signature"',
            "mini.toml:33: providers.sig.provider: unknown fact provider 'digital_signature'; "
            "did you mean 'digital_signatures'?",
        ),
        (
            'certificates = "certs" }',
            'certificate = "certs" }',
            "providers.sig.records: missing record set for role 'certificates'",
        ),
        (
            'roster = "people"',
            'roster = "peeple"',
            "providers.sig.records.roster: unknown record set 'peeple'; did you mean 'people'?",
        ),
        (
            'output = "outgoing_signed"',
            'output = "outgoing_sign"',
            "facts.sent_signed.derived.output: unknown output 'outgoing_sign'; did you mean "
            "'outgoing_signed'?",
        ),
        (
            'type = "integer"\nderived = { provider = "sig", output = "outgoing" }',
            'type = "boolean"\nderived = { provider = "sig", output = "outgoing" }',
            "facts.sent.type: expected integer, the type of output 'outgoing' of provider "
            "'digital_signatures' (got boolean)",
        ),
        (
            'derived = { provider = "sig", output = "outgoing" }',
            'derived = { provider = "sign", output = "outgoing" }',
            "facts.sent.derived.provider: unknown provider table 'sign'; did you mean 'sig'?",
        ),
        (
            'provider = "digital_signatures"',
            'provider = "digital_signatures"\nparams = { as_of = 2019-01-01 }',
            "providers.sig.params.as_of: expected a day of the evaluation period",
        ),
    ],
)
def test_bad_provider_tables_are_located(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in RULESET
    with pytest.raises(RulesetError) as caught:
        cchc_rules.load_ruleset(_mini(tmp_path, RULESET.replace(old, new, 1)))
    assert message in str(caught.value)


def test_published_hashes_do_not_change() -> None:
    # The lock file holds them; loading checks them (docs/decisions/0007).
    for ref in ("ttcp@2018", "ttcp@2019"):
        cchc_rules.load_ruleset(ref)


def test_resolved_2020_reloads_with_the_same_hash(
    ruleset: cchc_rules.CompiledRuleset, tmp_path: Path
) -> None:
    from cchc_rules.ruleset._toml import ruleset_toml

    directory = tmp_path / "rulesets" / "ttcp"
    directory.mkdir(parents=True)
    shutil.copy(ROOT / "rulesets" / "ttcp" / "2018.toml", directory / "2018.toml")
    data = ruleset.model.model_dump(mode="python", exclude_none=True)
    path = tmp_path / "resolved.toml"
    path.write_text(ruleset_toml(data), encoding="utf-8")
    again = cchc_rules.load_ruleset(path, rulesets_dir=tmp_path / "rulesets")
    assert again.content_hash == ruleset.content_hash


# -- plugin API range --------------------------------------------------------------------------


def _plugin(tmp_path: Path, header: str, hook: str) -> Path:
    directory = tmp_path / "plugins"
    directory.mkdir()
    (directory / "ranged.py").write_text(
        textwrap.dedent(header) + "\nfrom cchc_rules.hookspecs import hookimpl\n\n"
        f"@hookimpl\ndef {hook}():\n    return []\n",
        encoding="utf-8",
    )
    return directory


def test_a_plugin_whose_declared_range_ends_before_the_host_is_refused(tmp_path: Path) -> None:
    directory = _plugin(
        tmp_path, "CCHC_PLUGIN_API = 1\nCCHC_PLUGIN_API_MAX = 1\n", "cchc_register_kinds"
    )
    with pytest.raises(PluginError) as caught:
        load_plugins(directory)
    assert str(caught.value) == (
        f"{directory / 'ranged.py'}: CCHC_PLUGIN_API: supports plugin API 1 to 1, this "
        f"cchc-rules provides {hookspecs.PLUGIN_API_VERSION}; install a release of the "
        f"plugin that supports API {hookspecs.PLUGIN_API_VERSION}"
    )


def test_a_plugin_within_its_declared_range_loads(tmp_path: Path) -> None:
    directory = _plugin(
        tmp_path, "CCHC_PLUGIN_API = 1\nCCHC_PLUGIN_API_MAX = 9\n", "cchc_register_kinds"
    )
    assert load_plugins(directory).plugins[-1].name == "ranged"


def test_a_hook_newer_than_the_declared_api_is_refused(tmp_path: Path) -> None:
    directory = _plugin(tmp_path, "CCHC_PLUGIN_API = 1\n", "cchc_register_fact_providers")
    with pytest.raises(
        PluginError,
        match=r"implements cchc_register_fact_providers, added in "
        r"plugin API 2, but declares CCHC_PLUGIN_API = 1",
    ):
        load_plugins(directory)


def test_a_provider_name_registered_twice_names_both(tmp_path: Path) -> None:
    import cchc_ttcp_criteria

    class Twin:
        CCHC_PLUGIN_API = 2

        @staticmethod
        @hookspecs.hookimpl
        def cchc_register_fact_providers() -> list[type]:
            return [
                cchc_ttcp_criteria.Placement.__class__(
                    "Placement", (cchc_ttcp_criteria.Placement,), {}
                )
            ]

    info = PluginInfo("twin", None, None, "twin.py")
    with pytest.raises(
        PluginError,
        match=r"twin.py: provider placement: already registered by "
        r"cchc-ttcp-criteria",
    ):
        load_plugins(extra=[(info, Twin)])
