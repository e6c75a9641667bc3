"""Contact imports in the background: progress, resuming after a crash, one runner at a time, clean-up, privacy."""
from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import undefer

from accounts.models import Organisation
from campaigns.models import ConsentRecord, Contact, ContactImport, ContactStatus, ImportStatus, list_memberships
from campaigns.services import import_jobs
from core.timeutils import utcnow
from extensions import db
from tests.campaigns.helpers import signed_in
from tests.campaigns.test_import_export import run_tick, upload
from tests.factories import login, make_contact, make_contact_list, make_import, make_organisation, make_user

ROWS = 2500  # three chunks of importing.CHUNK_SIZE (1000)
PERSON = "lezer@example.org"


def big_csv() -> bytes:
    """2,500 rows: invalid ones in every chunk, a duplicate of a chunk-1 address in chunk 2, known addresses."""
    lines = ["e-mail;naam;toestemming"]
    for i in range(ROWS):
        if i == 1500:
            lines.append("lezer5@example.org;Dubbel;ja")
        elif i == 1200:
            lines.append("bekend@example.org;Bekend;ja")
        elif i == 2200:
            lines.append("weg@example.org;Weg;ja")
        elif i % 500 == 7:
            lines.append(f"geen-adres-{i};Fout;ja")
        else:
            lines.append(f"lezer{i}@example.org;Lezer {i};{'ja' if i % 2 else 'nee'}")
    return ("\n".join(lines) + "\n").encode("cp1252")


def with_known_contacts(organisation: Organisation) -> int:
    """The same starting point in every organisation: two known addresses and a list; the list's id."""
    make_contact(organisation, email="bekend@example.org", status=ContactStatus.UNCONFIRMED, confirmed_at=None)
    make_contact(organisation, email="weg@example.org", status=ContactStatus.UNSUBSCRIBED)
    return make_contact_list(organisation).id


def queue_import(client: FlaskClient, organisation: Organisation, list_id: int | None = None) -> str:
    """Upload and map the big file; the progress page's URL."""
    mapping_url = upload(client, organisation, big_csv()).location
    form = {"kolom_email": "0", "kolom_name": "1", "kolom_consent": "2", "lijst": str(list_id or "")}
    response = client.post(mapping_url, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location


def stored(job_id: int) -> ContactImport | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(ContactImport).where(ContactImport.id == job_id)
                             .options(undefer(ContactImport.data)))


def job_of(progress_url: str) -> ContactImport:
    return stored(int(progress_url.rsplit("/", 1)[1]))


def age_heartbeat(job_id: int, by: timedelta = timedelta(minutes=3)) -> None:
    """As if the runner went silent `by` ago (its process died)."""
    db.session.execute(sa.update(ContactImport).where(ContactImport.id == job_id).values(heartbeat_at=utcnow() - by))
    db.session.commit()


def outcome(organisation: Organisation, list_id: int) -> dict[str, object]:
    """What an import left in one organisation: contacts by status, consent records, list members."""
    in_organisation = Contact.organisation_id == organisation.id
    statuses = db.session.execute(sa.select(Contact.status, sa.func.count()).where(in_organisation)
                                  .group_by(Contact.status)).all()
    consents = db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord).join(Contact)
                                 .where(in_organisation))
    members = db.session.scalar(sa.select(sa.func.count()).select_from(list_memberships)
                                .where(list_memberships.c.list_id == list_id))
    return {"statuses": dict(statuses), "consents": consents, "members": members}


def test_an_interrupted_import_shows_its_progress_and_the_tick_finishes_it_exactly(app: Flask,
                                                                                   client: FlaskClient) -> None:
    reference, organisation = make_organisation(), make_organisation()
    reference_list, list_id = with_known_contacts(reference), with_known_contacts(organisation)
    reference_client = signed_in(app.test_client(), reference)
    reference_job = job_of(queue_import(reference_client, reference, reference_list))
    run_tick(client)  # the uninterrupted import, to compare with
    signed_in(client, organisation)
    progress_url = queue_import(client, organisation, list_id)

    page = client.get(progress_url).get_data(as_text=True)
    assert "0 van 2.500 rijen" in page and "In de wachtrij" in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page and "<progress" in page

    assert list(itertools.islice(import_jobs.run(job_of(progress_url).id), 1)) == [1000]  # then it "crashes"

    page = client.get(progress_url).get_data(as_text=True)
    assert "1.000 van 2.500 rijen" in page and 'value="40"' in page and "Bezig" in page
    assert "Importverslag" not in page
    progress = client.get(f"{progress_url}/voortgang.json").get_json()
    assert progress == {"status": "running", "running": True, "done": 1000, "total": 2500, "percent": 40,
                        "text": "1.000 van 2.500 rijen"}
    run_tick(client)  # its heartbeat is fresh: the runner may still be alive, so the tick leaves it
    assert client.get(f"{progress_url}/voortgang.json").get_json()["done"] == 1000

    age_heartbeat(job_of(progress_url).id)
    assert f"contact import {job_of(progress_url).id}: done" in run_tick(client)

    page = client.get(progress_url).get_data(as_text=True)
    assert "Importverslag" in page and "Klaar" in page and "refresh" not in page
    assert "Regel 1502: lezer5@example.org" in page  # the duplicate of a row committed before the crash
    job, reference_job = job_of(progress_url), stored(reference_job.id)
    assert job.report == reference_job.report and job.processed_rows == ROWS and job.data is None
    assert (job.report["created"], job.report["existing"], job.report["duplicates"], job.report["invalid"],
            job.report["withdrawn_kept"]) == (2492, 2, 1, 5, 1)
    assert outcome(organisation, list_id) == outcome(reference, reference_list)
    assert outcome(organisation, list_id)["members"] == 2494  # every valid address once, new or known
    assert job.attempts == 2 and job.finished_at is not None


def test_the_web_process_runs_the_import_in_a_thread_and_the_json_follows_it(app: Flask,
                                                                             client: FlaskClient) -> None:
    app.config["CONTACT_IMPORT_THREAD"] = True
    organisation = make_organisation()
    signed_in(client, organisation)
    progress_url = queue_import(client, organisation)
    deadline = time.monotonic() + 60
    while (progress := client.get(f"{progress_url}/voortgang.json").get_json())["running"]:
        assert time.monotonic() < deadline, progress
        time.sleep(0.05)
    assert progress == {"status": "done", "running": False, "done": 2500, "total": 2500, "percent": 100,
                        "text": "2.500 van 2.500 rijen"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 2494


def test_a_runner_that_was_taken_over_writes_nothing_more(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    list_id = with_known_contacts(organisation)
    signed_in(client, organisation)
    progress_url = queue_import(client, organisation, list_id)
    stalled = import_jobs.run(job_of(progress_url).id)
    assert next(stalled) == 1000
    age_heartbeat(job_of(progress_url).id)
    run_tick(client)  # another runner takes over and finishes
    finished = outcome(organisation, list_id)
    assert list(stalled) == []  # the first runner wakes up, finds its claim gone, and stops
    assert outcome(organisation, list_id) == finished and job_of(progress_url).report["created"] == 2492


def _at_once(app: Flask, count: int, work: object) -> list[object]:
    """Runs `work(barrier)` in `count` threads, each with its own app context and session; their results.
    `work` must not touch the test's own objects (their session is not for threads): pass ids."""
    barrier = threading.Barrier(count)
    results: list[object] = []

    def run() -> None:
        with app.app_context():
            results.append(work(barrier))  # type: ignore[operator]

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres_only
def test_of_many_runners_claiming_at_once_exactly_one_gets_the_import(app: Flask) -> None:
    job_id = make_import(make_organisation(), status=ImportStatus.QUEUED, mapping={"email": 0}).id

    def claim(barrier: threading.Barrier) -> str | None:
        barrier.wait()
        return import_jobs.claim(job_id)

    tokens = _at_once(app, 8, claim)
    assert len(tokens) == 8 and len([token for token in tokens if token]) == 1


@pytest.mark.postgres_only
def test_negative_control_a_read_then_write_claim_lets_every_runner_in(app: Flask) -> None:
    """The same race against a claim that reads the status first and then writes: all win. Without
    the single conditional UPDATE of `import_jobs.claim` the test above would catch this."""
    job_id = make_import(make_organisation(), status=ImportStatus.QUEUED, mapping={"email": 0}).id

    def naive_claim(barrier: threading.Barrier) -> bool:
        status = db.session.scalar(sa.select(ContactImport.status).where(ContactImport.id == job_id))
        barrier.wait()  # every runner has seen "queued"
        if status != ImportStatus.QUEUED:
            return False
        db.session.execute(sa.update(ContactImport).where(ContactImport.id == job_id)
                           .values(status=ImportStatus.RUNNING))
        db.session.commit()
        return True

    assert _at_once(app, 8, naive_claim) == [True] * 8


@pytest.mark.postgres_only
def test_two_runners_started_together_import_every_row_once(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    list_id = with_known_contacts(organisation)
    signed_in(client, organisation)
    job_id = job_of(queue_import(client, organisation, list_id)).id

    def run(barrier: threading.Barrier) -> list[int]:
        barrier.wait()
        return list(import_jobs.run(job_id))

    assert sorted(_at_once(app, 2, run)) == [[], [1000, 2000, 2500]]
    db.session.expire_all()
    assert outcome(organisation, list_id)["members"] == 2494
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 1246


def test_a_failed_import_says_so_in_dutch_and_keeps_no_file(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    job = make_import(organisation, data=b"\x00 not csv", status=ImportStatus.QUEUED, mapping={"email": 0})
    assert f"contact import {job.id}: failed" in run_tick(client)
    page = client.get(f"/beheer/contacten/import/{job.id}").get_data(as_text=True)
    assert "Mislukt" in page and "Het importeren is mislukt door een fout aan onze kant" in page
    assert stored(job.id).data is None


def test_an_import_that_keeps_losing_its_runner_is_given_up(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    job = make_import(organisation, status=ImportStatus.RUNNING, mapping={"email": 0},
                      attempts=import_jobs.MAX_ATTEMPTS, heartbeat_at=utcnow() - timedelta(minutes=5))
    assert f"contact import {job.id}: failed" in run_tick(client)
    page = client.get(f"/beheer/contacten/import/{job.id}").get_data(as_text=True)
    assert "5 keer onderbroken" in page and stored(job.id).data is None


def test_the_tick_deletes_uploads_never_mapped_after_a_day(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    abandoned = make_import(organisation, created_at=utcnow() - timedelta(hours=25)).id
    fresh = make_import(organisation, created_at=utcnow() - timedelta(hours=23)).id
    done = make_import(organisation, data=None, status=ImportStatus.DONE, created_at=utcnow() - timedelta(days=3)).id
    assert "deleted: 1" in run_tick(client)
    assert client.get(f"/beheer/contacten/import/{abandoned}/kolommen").status_code == 404
    assert client.get(f"/beheer/contacten/import/{fresh}/kolommen").status_code == 200
    assert client.get(f"/beheer/contacten/import/{done}").status_code == 200


def test_the_import_page_lists_the_organisations_recent_imports(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_import(organisation, filename="leden.csv", status=ImportStatus.DONE, data=None, processed_rows=1)
    make_import(make_organisation(), filename="van-een-ander.csv")
    signed_in(client, organisation)
    page = client.get(f"/beheer/contacten/import?organisatie={organisation.id}").get_data(as_text=True)
    assert "leden.csv" in page and "Klaar" in page and "1 van 1 rijen" in page
    assert "van-een-ander.csv" not in page


def test_erasure_removes_the_address_from_uploads_reports_and_running_imports(client: FlaskClient) -> None:
    organisation = make_organisation()
    file = f"email\n{PERSON}\nander@example.org\n".encode()
    waiting_id = make_import(organisation, data=file).id
    queued = make_import(organisation, data=file, status=ImportStatus.QUEUED, mapping={"email": 0})
    report = {"duplicates": 2, "duplicate_lines": [[3, PERSON], [4, "ander@example.org"]]}
    done = make_import(organisation, data=None, status=ImportStatus.DONE, report=report)
    other = make_import(organisation, data=b"email\nander@example.org\n")
    login(client, make_user(organisation))

    exported = client.post("/beheer/privacy/export", data={"email": PERSON, "organisation_id": organisation.id})
    found = json.loads(exported.get_data(as_text=True))["data"]["contact_imports"]
    assert [(entry["report_lines"], entry["in_stored_file"]) for entry in found] == [([], True), ([], True), ([3], False)]

    client.post("/beheer/privacy/wissen", data={
        "wissen-email": PERSON, "wissen-organisation_id": organisation.id, "wissen-confirm": "y"})
    assert stored(waiting_id) is None
    stopped = stored(queued.id)
    assert stopped.status == ImportStatus.FAILED and stopped.data is None and stopped.error.startswith("Gestopt")
    assert stored(done.id).report == {"duplicates": 2, "duplicate_lines": [[4, "ander@example.org"]]}
    assert stored(other.id).data is not None


def test_the_purge_deletes_imports_that_ended_before_the_retention_period(app: Flask) -> None:
    organisation = make_organisation()
    old = make_import(organisation, data=None, status=ImportStatus.DONE,
                      finished_at=utcnow() - timedelta(days=organisation.retention_days + 1)).id
    recent = make_import(organisation, data=None, status=ImportStatus.DONE, finished_at=utcnow()).id
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert stored(old) is None and stored(recent) is not None
