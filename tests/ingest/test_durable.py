"""Durable accept: a 200 means committed, to the inbox or to the disk spool, and spooled items reach the inbox."""

import sqlite3
import time
import uuid
from datetime import UTC, datetime
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import orjson
import pytest
from django.core.management import call_command
from django.db import connection

from ingest import spool
from ingest.inbox import insert_rows, writer
from ingest.rows import InboxRow
from issues.digest import digest_until_empty
from issues.models import Event, InboxItem
from projects.models import IngestOutcome
from projects.services import create_project
from tests.e2e.conftest import database_url_of_test_database, start_server, stop_server
from tests.ingest.client import auth, call, event_envelope
from tests.ingest.tcp_proxy import TcpProxy

pytestmark = pytest.mark.usefixtures("committed")


def row(project_id, **changes) -> InboxRow:
    event_id = uuid.uuid4()
    values = {
        "project_id": project_id,
        "item_type": "event",
        "event_id": event_id,
        "received_at": datetime.now(UTC),
        "payload": orjson.dumps({"event_id": event_id.hex, "message": "line\none"}),
        **changes,
    }
    return InboxRow(**values)


def test_spooled_rows_are_replayed_once_and_the_files_removed(project, capsys):
    rows = [row(project.id) for _ in range(3)]
    assert spool.spool_rows(rows) and spool.spool_rows(rows[:1])  # the second file repeats an item
    assert len(spool.spooled_files()) == 2
    call_command("replay_spool")
    assert "replayed 4 items from 2 spool files" in capsys.readouterr().out
    assert spool.spooled_files() == []
    stored = {item.event_id: bytes(item.payload) for item in InboxItem.objects.all()}
    assert stored == {r.event_id: r.payload for r in rows}


def test_check_ins_spooled_by_an_earlier_version_are_dropped_on_replay(project):
    event, check_in = row(project.id), row(project.id, item_type="check_in")
    assert spool.spool_rows([event, check_in])
    assert spool.replay(insert_rows) == 1
    assert list(InboxItem.objects.values_list("event_id", "item_type")) == [(event.event_id, "event")]


def test_replay_opens_only_uuid_named_files_and_sets_damaged_ones_aside(project):
    directory = spool.spool_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "..%2f..%2fetc.spool").write_bytes(b"ignored")
    damaged = directory / f"{uuid.uuid4().hex}.spool"
    damaged.write_bytes(b'{"project_id": 1}\ntruncated')
    assert spool.spooled_files() == [damaged]
    assert spool.replay(insert_rows) == 0
    assert damaged.with_suffix(".damaged").exists()
    assert not InboxItem.objects.exists()


def test_rows_of_a_deleted_project_do_not_block_the_others_and_digest_drops_them(team, project):
    gone, _ = create_project(team, "Gone")
    rows = [row(project.id), row(gone.id)]
    gone_id = gone.id
    gone.delete()  # after its key was checked: the rows are on their way
    insert_rows(rows)
    assert sorted(InboxItem.objects.values_list("project_id", flat=True)) == sorted([project.id, gone_id])
    result = digest_until_empty()
    assert (result.stored, result.orphans, result.failed) == (1, 1, 0)
    assert not InboxItem.objects.exists()
    assert list(Event.objects.values_list("project_id", flat=True)) == [project.id]


def test_deleting_a_project_deletes_its_pending_rows(team, project):
    gone, _ = create_project(team, "Gone")
    insert_rows([row(project.id), row(gone.id)])
    gone.delete()
    assert list(InboxItem.objects.values_list("project_id", flat=True)) == [project.id]


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite: another writer holds the database lock")
def test_sqlite_locked_by_another_writer_spools_and_answers_200(project_key):
    blocker = sqlite3.connect(connection.settings_dict["NAME"], timeout=1)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # hold the write lock past the writer's 5 s busy timeout
        response = call(f"/api/{project_key.project_id}/envelope/", event_envelope({"m": 1}), auth(project_key))
        assert response.status == 200
        assert len(spool.spooled_files()) == 1
    finally:
        blocker.rollback()
        blocker.close()
    assert spool.replay(insert_rows) == 1
    assert InboxItem.objects.get().event_id.hex == response.json["id"]


def post(url: str, project_key, message: str) -> tuple[int, str]:
    request = Request(url, data=event_envelope({"message": message}), headers=auth(project_key), method="POST")
    try:
        with urlopen(request, timeout=30) as response:
            return response.status, orjson.loads(response.read())["id"]
    except HTTPError as error:
        return error.code, ""


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the database outage is staged on PostgreSQL")
def test_a_database_outage_loses_no_accepted_event(tmp_path, project_key):
    # The server reaches PostgreSQL through a relay this test cuts: an outage for that process alone, without
    # stopping the database other test runs share.
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    proxy.open()
    direct = database_url_of_test_database()
    proxied = direct.replace(f":{db['PORT'] or 5432}/", f":{proxy.port}/")
    # A short key cache: the outage outlives it, so keys must be honoured from the stale cache meanwhile.
    server = start_server(tmp_path, {"DATABASE_URL": proxied, "TRACEHOUND_KEY_CACHE_SECONDS": "1"})
    url = f"{server.url}/api/{project_key.project_id}/envelope/"
    accepted = []
    try:
        for phase in ("before", "during", "after"):
            if phase == "during":
                proxy.cut()
            elif phase == "after":
                proxy.open()
            if phase == "during":
                time.sleep(1.5)  # let the server's cached key grant expire
            for n in range(10):
                status, event_id = post(url, project_key, f"{phase} {n}")
                assert status == 200, (phase, n, server.log())
                accepted.append(event_id)
        deadline = time.monotonic() + 40  # the server replays its spool every few seconds
        while time.monotonic() < deadline:
            stored = {item.event_id.hex for item in InboxItem.objects.filter(project_id=project_key.project_id)}
            stored |= {event.event_id.hex for event in Event.objects.filter(project_id=project_key.project_id)}
            if stored >= set(accepted):
                break
            time.sleep(0.3)
        assert set(accepted) <= stored, f"lost {set(accepted) - stored}"
        log = server.log()
        # Said once per web process (two), however many batches failed, and its end said too.
        assert 1 <= log.count("they go to the disk spool meanwhile) failed") <= 2, log
        assert "Traceback" not in log, log
        assert len(set(accepted)) == 30
    finally:
        stop_server(server)
        proxy.cut()


def test_503_with_retry_after_only_when_the_spool_cannot_take_them_either(settings, tmp_path, monkeypatch, project_key):
    from django.db import OperationalError

    from ingest import inbox

    def database_down(rows):
        raise OperationalError("the database is down")

    # The database failure is staged (the outage itself is proven above with a real one); the spool failure is
    # real: its folder cannot be created because a file has that name.
    monkeypatch.setattr(inbox, "insert_rows", database_down)
    blocked = tmp_path / "data"
    blocked.write_text("not a folder")
    settings.TRACEHOUND = {**settings.TRACEHOUND, "DATA_DIR": blocked}
    response = call(f"/api/{project_key.project_id}/envelope/", event_envelope({"m": 1}), auth(project_key))
    assert response.status == 503
    assert int(response.headers["retry-after"]) > 0
    writer.stop()  # flushes the outcome counts
    assert IngestOutcome.objects.get(project_id=project_key.project_id, outcome="unavailable").count == 1

    settings.TRACEHOUND = {**settings.TRACEHOUND, "DATA_DIR": tmp_path / "writable"}
    response = call(f"/api/{project_key.project_id}/envelope/", event_envelope({"m": 2}), auth(project_key))
    assert response.status == 200  # spooled: the answer is 200 although the database is still down
    assert len(spool.spooled_files()) == 1


def test_a_server_replays_the_spool_it_starts_with_before_any_request(tmp_path, project, settings):
    # Spooled by the server's previous life (the database was down when it stopped).
    settings.TRACEHOUND = {**settings.TRACEHOUND, "DATA_DIR": str(tmp_path / "server-data")}
    rows = [row(project.id) for _ in range(5)]
    assert spool.spool_rows(rows[:2]) and spool.spool_rows(rows[2:])
    server = start_server(tmp_path, wait_for_http=False)  # and no request, ever
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            InboxItem.objects.count() + Event.objects.count() < 5 or spool.spooled_files()
        ):
            time.sleep(0.2)
        stored = set(InboxItem.objects.values_list("event_id", flat=True))
        stored |= set(Event.objects.values_list("event_id", flat=True))
        assert stored == {r.event_id for r in rows}, server.log()
        assert spool.spooled_files() == []
    finally:
        stop_server(server)


def test_a_file_another_process_is_replaying_is_left_to_it(project):
    import fcntl

    rows = [row(project.id) for _ in range(3)]
    assert spool.spool_rows(rows[:1])
    [first] = spool.spooled_files()
    assert spool.spool_rows(rows[1:])
    [second] = [path for path in spool.spooled_files() if path != first]
    with open(first, "rb") as held:  # as another process's replay holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        written = []
        assert spool.replay(written.extend) == 2  # the second file's rows only
        assert first.exists() and not second.exists()
    assert spool.replay(written.extend) == 1  # released: replayed now
    assert sorted(r.event_id for r in written) == sorted(r.event_id for r in rows)
