"""The hash chain across a campaign's events (decision 0032): an event edited, removed or
moved with raw SQL behind the tool's back is named by `campaign verify` and `runs verify`;
a store made before the chain migrates to it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from cchc_rules import api
from cchc_rules.store._db import MIGRATIONS, Store, StoreError, chain_link, sha256_hex
from cchc_rules.store._schema import events, runs
from tests.conftest import Invoke

CAMPAIGN = "ttcp-2019"


def _ids(store: Store) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for event in store.events(CAMPAIGN):
        found.setdefault(event.kind, []).append(event.id)
    return found


def _breaks(store: Store) -> tuple[str, ...]:
    return api.verify_campaign(store, CAMPAIGN).breaks


def test_each_event_links_the_one_before_and_a_fresh_chain_is_intact(published: Store) -> None:
    written = published.events(CAMPAIGN)
    previous = ""
    for event in written:
        row = {**vars(event), "payload": event.payload_text}
        assert event.chain_sha256 == chain_link(previous, row)
        previous = event.chain_sha256
    check = api.verify_campaign(published, CAMPAIGN)
    assert check.intact and check.breaks == ()
    assert (check.events, check.head_event, check.head) == (
        len(written),
        written[-1].id,
        written[-1].chain_sha256,
    )
    # Each run records the chain head it was published on.
    for run in published.runs(CAMPAIGN):
        assert run.provenance["chain"] == published.link(run.event_id - 1)


def test_an_event_whose_who_was_edited_is_named(published: Store) -> None:
    (survey,) = _ids(published)["survey_imported"]
    with published.transaction() as connection:
        connection.execute(events.update().where(events.c.id == survey).values(who="Ai đó"))
    expected = (
        f"event #{survey} (survey_imported) no longer matches its chain link: its kind, who, "
        f"when or why was changed after it was written, or event #{survey - 1} before it was "
        "rewritten"
    )
    assert _breaks(published) == (expected,)
    assert expected in api.verify_run(published, f"{CAMPAIGN}/1").differences


def test_an_event_removed_from_the_middle_is_named(published: Store) -> None:
    (survey,) = _ids(published)["survey_imported"]
    after = next(e for e in published.events(CAMPAIGN) if e.id > survey)
    with published.transaction() as connection:
        connection.execute(events.delete().where(events.c.id == survey))
    assert _breaks(published) == (
        f"event #{after.id} ({after.kind}) follows event #{survey}, which is missing from "
        "the store",
    )


def test_events_reordered_are_named(published: Store) -> None:
    (opened,) = _ids(published)["campaign_opened"]
    (self_assessed,) = _ids(published)["self_assessment_imported"]
    (survey,) = _ids(published)["survey_imported"]
    with published.transaction() as connection:
        for old, new in [(self_assessed, 10_000), (survey, self_assessed), (10_000, survey)]:
            connection.execute(events.update().where(events.c.id == old).values(id=new))
    breaks = _breaks(published)
    assert breaks[0] == (
        f"event #{self_assessed} (survey_imported) was written after event #{self_assessed} "
        f"but now follows event #{opened}: the events were reordered after they were written"
    )
    assert breaks[1].startswith(
        f"event #{survey} (self_assessment_imported) was written after event "
    )
    assert not api.verify_run(published, f"{CAMPAIGN}/1").identical


def _rewrite(connection: sa.Connection, event_id: int, previous: str, **values: str) -> str:
    """Event ``event_id`` changed and given the hashes the tool would have given it."""
    query = sa.select(events).where(events.c.id == event_id)
    row = dict(connection.execute(query).mappings().one())
    row.update(values)
    link = chain_link(previous, row)
    connection.execute(
        events.update()
        .where(events.c.id == event_id)
        .values(
            **values, payload_sha256=sha256_hex(str(row["payload"]).encode()), chain_sha256=link
        )
    )
    return link


def test_an_event_rewritten_with_its_hashes_breaks_the_next_link(published: Store) -> None:
    appraisal = _ids(published)["appraisal_imported"][0]
    event = next(e for e in published.events(CAMPAIGN) if e.id == appraisal)
    with published.transaction() as connection:
        _rewrite(
            connection,
            appraisal,
            published.link(appraisal - 1),
            payload=event.payload_text.replace('"1.75"', '"2"'),
        )
    after = next(e for e in published.events(CAMPAIGN) if e.id > appraisal)
    assert _breaks(published) == (
        f"event #{after.id} ({after.kind}) no longer matches its chain link: its kind, who, "
        f"when or why was changed after it was written, or event #{appraisal} before it was "
        "rewritten",
    )


def test_a_chain_rewritten_to_its_end_is_caught_by_the_runs_anchor(published: Store) -> None:
    """Every link recomputed after an edit: the chain is consistent again, but the runs
    recorded the head they were published on, and a head noted down is gone."""
    noted = api.verify_campaign(published, CAMPAIGN).head[:12]
    written = published.events(CAMPAIGN)
    first = next(e for e in written if e.kind == "appraisal_imported")
    with published.transaction() as connection:
        previous = published.link(first.id - 1)
        for event in written:
            if event.id < first.id:
                continue
            payload = event.payload_text
            if event.id == first.id:
                payload = payload.replace('"1.75"', '"2"')
            previous = _rewrite(connection, event.id, previous, payload=payload)
    assert _breaks(published) == ()
    run = published.run(f"{CAMPAIGN}/2")
    anchored = [
        d
        for d in api.verify_run(published, run.id).differences
        if d.startswith("the events this run was published on are not the ones in the store")
    ]
    assert anchored == [
        f"the events this run was published on are not the ones in the store: its provenance "
        f"records chain head {run.provenance['chain'][:12]}, the store has "
        f"{published.link(run.event_id - 1)[:12]} before event #{run.event_id} (events "
        "rewritten with their hashes, or removed)"
    ]
    assert api.verify_campaign(published, CAMPAIGN, noted=noted).breaks == (
        f"the chain head noted down ({noted}) is not in the chain: events it covered were "
        "removed or rewritten after it was noted",
    )


def test_the_last_events_removed_are_caught_by_a_noted_head(published: Store) -> None:
    check = api.verify_campaign(published, CAMPAIGN)
    with published.transaction() as connection:
        connection.execute(runs.delete().where(runs.c.event_id == check.head_event))
        connection.execute(events.delete().where(events.c.id == check.head_event))
    # Alone, the store cannot tell: its chain is intact up to its new last event.
    assert api.verify_campaign(published, CAMPAIGN).intact
    assert api.verify_campaign(published, CAMPAIGN, noted=check.head).breaks == (
        f"the chain head noted down ({check.head}) is not in the chain: events it covered "
        "were removed or rewritten after it was noted",
    )
    # A head noted earlier than the last event is still in the chain.
    earlier = published.link(check.head_event - 1)
    assert api.verify_campaign(published, CAMPAIGN, noted=earlier[:12]).intact


def test_a_noted_head_too_short_to_name_a_link_is_refused(published: Store) -> None:
    with pytest.raises(StoreError, match=r"--head: expected at least the first 12 hex digits"):
        api.verify_campaign(published, CAMPAIGN, noted="abc")


def test_campaign_verify_on_the_command_line(cli: Invoke, published: Store) -> None:
    check = api.verify_campaign(published, CAMPAIGN)
    result = cli("campaign", "verify", CAMPAIGN, "--store", published.url)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"{CAMPAIGN}: chain intact ({check.events} events; last event #{check.head_event}, "
        f"chain head {check.head})"
    )
    (survey,) = _ids(published)["survey_imported"]
    with published.transaction() as connection:
        connection.execute(events.update().where(events.c.id == survey).values(why="sửa"))
    result = cli("campaign", "verify", CAMPAIGN, "--store", published.url)
    assert result.exit_code == 1
    assert f"{CAMPAIGN}: 1 break(s) in the chain" in result.stdout
    assert f"event #{survey} (survey_imported) no longer matches its chain link" in result.stdout
    missing = cli("campaign", "verify", "nope", "--store", published.url)
    assert missing.exit_code == 1 and "no campaign 'nope'" in missing.output


def test_a_store_made_before_the_chain_migrates_and_verifies(published: Store) -> None:
    """Taken back to the first schema (no chain), the store migrates again on opening:
    every event gets the link it was written with, so the runs still verify identical."""
    before = [e.chain_sha256 for e in published.events(CAMPAIGN)]
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with published.schema_change() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
        assert "chain_sha256" not in {
            c["name"] for c in sa.inspect(connection).get_columns("events")
        }
    published.close()
    with Store(published.url) as again:
        assert [e.chain_sha256 for e in again.events(CAMPAIGN)] == before
        assert api.verify_campaign(again, CAMPAIGN).intact
        assert api.verify_run(again, f"{CAMPAIGN}/1").identical
        assert api.verify_run(again, f"{CAMPAIGN}/2").identical


def test_a_first_schema_store_with_events_written_then_migrates(tmp_path: Path) -> None:
    """Events written by the first schema's code (no chain column) get links in order."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        for number, kind in enumerate(["campaign_opened", "survey_imported"], start=1):
            connection.execute(
                sa.text(
                    'INSERT INTO events (campaign, based_on, kind, who, "when", why, payload, '
                    "payload_sha256) VALUES ('c', :b, :k, 'An', 't', NULL, '{}', :h)"
                ),
                {"b": number - 1, "k": kind, "h": sha256_hex(b"{}")},
            )
    engine.dispose()
    with Store(url) as store:
        first, second = store.events("c")
        assert first.chain_sha256 == chain_link("", {**vars(first), "payload": "{}"})
        assert second.chain_sha256 == chain_link(
            first.chain_sha256, {**vars(second), "payload": "{}"}
        )
        assert api.verify_campaign(store, "c").intact
        with store.engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert version.scalar() == "0002"
