"""CSV import (preview, mapping, report, encodings, consent rules, limits) and CSV export of a list.

The background run itself (progress, resuming, claims, clean-up) is in test_import_jobs.py."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from accounts.models import Organisation
from campaigns.models import ConsentRecord, ConsentSource, Contact, ContactImport, ContactStatus, ImportStatus
from campaigns.services.importing import ImportReport, row_writer
from extensions import db
from tests.campaigns.helpers import signed_in
from tests.factories import confirm_and_send, make_campaign, make_contact, make_contact_list, make_organisation, outbox

CSV = (
    "E-mail,Naam,Gemeente,Toestemming\n"
    "anna@example.org,Anna,Teststad,ja\n"
    "bob@example.org,Bob,Dorp,nee\n"
    "geen-adres,Fout,,ja\n"
    "ANNA@example.org,Anna dubbel,,ja\n"
    '"carl@example.org\nBcc: x@example.org",Carl,,ja\n'
)


def upload(client: FlaskClient, organisation: Organisation, data: bytes, filename: str = "contacten.csv") -> object:
    return client.post(f"/beheer/contacten/import?organisatie={organisation.id}",
                       data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def contacts() -> dict[str, Contact]:
    db.session.expire_all()
    return {contact.email: contact for contact in db.session.scalars(sa.select(Contact))}


def run_tick(client: FlaskClient) -> str:
    """`flask campaigns tick`, which runs queued imports (the tests start no thread: CONTACT_IMPORT_THREAD)."""
    result = client.application.test_cli_runner().invoke(args=["campaigns", "tick"])
    assert result.exit_code == 0, result.output
    return result.output


def run_import(client: FlaskClient, organisation: Organisation, data: bytes, **mapping: str) -> str:
    """Upload, map (the guessed columns unless given), let the tick import, and return the report page."""
    response = upload(client, organisation, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    form = {f"kolom_{name}": value for name, value in mapping.items()}
    if not form:
        page = client.get(response.location).get_data(as_text=True)
        form = {name: value for name, value in re.findall(
            r'name="(kolom_\w+)">.*?(?:<option value="(\d*)" selected>|</select>)', page, re.DOTALL)}
    queued = client.post(response.location, data=form)
    assert queued.status_code == 302, queued.get_data(as_text=True)
    run_tick(client)
    result = client.get(queued.location)
    assert result.status_code == 200 and "Importverslag" in result.get_data(as_text=True)
    return result.get_data(as_text=True)


def report_value(page: str, label: str) -> int:
    return int(re.search(rf"<th scope=\"row\">{label}</th><td>(\d+)</td>", page).group(1))


def test_preview_guesses_the_columns(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    page = client.get(upload(client, organisation, CSV.encode()).location).get_data(as_text=True)
    assert "anna@example.org" in page and "UTF-8" in page
    assert re.search(r'name="kolom_email">.*?<option value="0" selected>', page, re.DOTALL)
    assert re.search(r'name="kolom_consent">.*?<option value="3" selected>', page, re.DOTALL)


def test_import_reports_and_applies_the_consent_rules(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    page = run_import(client, organisation, CSV.encode(), email="0", name="1", municipality="2", consent="3")
    assert report_value(page, "Nieuwe contacten") == 2
    assert report_value(page, "Ongeldige e-mailadressen") == 2 and "geen-adres" in page
    assert report_value(page, "Dubbel in het bestand") == 1
    assert report_value(page, "Zonder toestemming: nog niet bevestigd") == 1
    stored = contacts()
    assert set(stored) == {"anna@example.org", "bob@example.org"}
    assert stored["anna@example.org"].status == ContactStatus.SUBSCRIBED
    assert stored["anna@example.org"].municipality == "Teststad"
    assert stored["bob@example.org"].status == ContactStatus.UNCONFIRMED
    (record,) = db.session.scalars(sa.select(ConsentRecord))
    assert record.source == ConsentSource.IMPORT and record.contact_id == stored["anna@example.org"].id
    assert outbox() == []  # nobody is mailed by an import


def test_windows_1252_with_semicolons_and_utf8_with_bom_are_read(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    run_import(client, organisation, "e-mail;naam\nrene@example.org;René Müller\n".encode("cp1252"))
    run_import(client, organisation, "\ufeffemail,naam\nzoe@example.org,Zoë\n".encode("utf-8"))
    stored = contacts()
    assert stored["rene@example.org"].name == "René Müller" and stored["zoe@example.org"].name == "Zoë"


def test_reimporting_an_unsubscribed_address_keeps_it_unsubscribed(client: FlaskClient) -> None:
    organisation = make_organisation()
    make_contact(organisation, email="weg@example.org", status=ContactStatus.UNSUBSCRIBED)
    make_contact(organisation, email="blijft@example.org")
    signed_in(client, organisation)
    page = run_import(client, organisation, b"email,toestemming\nweg@example.org,ja\n")
    assert report_value(page, "Afgemeld of onbestelbaar, zo gelaten") == 1
    assert contacts()["weg@example.org"].status == ContactStatus.UNSUBSCRIBED
    campaign = make_campaign(organisation)
    confirm_and_send(client, campaign)
    assert [row.to_address for row in outbox("campaign")] == ["blijft@example.org"]


def test_import_adds_to_a_list_once(client: FlaskClient) -> None:
    organisation = make_organisation()
    members = make_contact_list(organisation)
    signed_in(client, organisation)
    for _ in range(2):
        response = upload(client, organisation, b"email\nlid@example.org\n")
        client.post(response.location, data={"kolom_email": "0", "lijst": str(members.id)})
        run_tick(client)
    db.session.expire_all()
    assert [contact.email for contact in db.session.get(type(members), members.id).contacts] == ["lid@example.org"]


def test_malformed_files_are_refused_with_a_message(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    for data, message in [
        (b"\x00\x01\x02PK\x03\x04", "ongeldige tekens"),
        (b'email,naam\n"open@example.org,Anna\n', "geen geldige CSV"),
        (b"email\n", "geen kopregel met gegevens"),
        (b"", "geen kopregel met gegevens"),
    ]:
        response = upload(client, organisation, data)
        assert response.status_code == 400 and message in response.get_data(as_text=True), message
    no_file = client.post(f"/beheer/contacten/import?organisatie={organisation.id}", data={})
    assert no_file.status_code == 400 and "Kies een bestand" in no_file.get_data(as_text=True)
    assert contacts() == {}


def test_mapping_without_the_email_column_is_refused(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    response = upload(client, organisation, CSV.encode())
    result = client.post(response.location, data={"kolom_email": "", "kolom_name": "1"})
    assert result.status_code == 400 and "e-mailadres" in result.get_data(as_text=True)
    assert contacts() == {}


@pytest.mark.parametrize(("data", "line", "count"), [
    (b"email" + b";kolom" * 999_999 + b"\nanna@example.org\n", 1, 1_000_000),  # as the attack's 9.9 MB file
    (b"email;naam\nanna@example.org;Anna\n" + b"bob@example.org" + b";x" * 200 + b"\n", 3, 201),
], ids=["header", "a-later-row"])
def test_a_file_with_more_than_200_columns_is_refused_at_upload(client: FlaskClient, data: bytes, line: int,
                                                                count: int) -> None:
    """Refused at the first wide row, with the line and the count; nothing is stored to show later."""
    organisation = make_organisation()
    signed_in(client, organisation)
    response = upload(client, organisation, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"Regel {line} heeft {count} kolommen" in page
    assert "hoogstens 200" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactImport)) == 0


def test_a_file_with_200_columns_is_mapped(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    header = ";".join(["email", *(f"kolom{n}" for n in range(199))])
    response = upload(client, organisation, f"{header}\nanna@example.org{';x' * 199}\n".encode())
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "kolom198" in page and "anna@example.org" in page


def test_a_file_above_the_import_limit_gets_a_dutch_413(app: Flask, client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    app.config["CONTACT_IMPORT_MAX_BYTES"] = 1024
    response = upload(client, organisation, b"email\n" + b"a@example.org\n" * 200)
    assert response.status_code == 413 and "te groot" in response.get_data(as_text=True)
    assert contacts() == {}


def test_the_import_takes_a_file_above_the_general_form_limit_and_other_forms_do_not(app: Flask,
                                                                                     client: FlaskClient) -> None:
    """A million contacts do not fit MAX_CONTENT_LENGTH; the import has its own, larger limit."""
    organisation = make_organisation()
    signed_in(client, organisation)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    data = b"email\n" + b"".join(b"lezer%d@example.org\n" % n for n in range(200))
    response = upload(client, organisation, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert db.session.scalar(sa.select(ContactImport.total_rows)) == 200
    mapping = client.post(response.location, data={"kolom_email": "0", "lijst": "1" * 2000})
    assert mapping.status_code == 413


def test_another_organisations_user_gets_404_for_the_upload_its_progress_and_json(client: FlaskClient,
                                                                                 app: Flask) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    mapping_url = upload(client, organisation, CSV.encode()).location
    progress_url = client.post(mapping_url, data={"kolom_email": "0"}).location
    stranger = app.test_client()
    signed_in(stranger, make_organisation())
    assert client.get(mapping_url).location == progress_url  # queued: the mapping step is over
    for url in (mapping_url, progress_url, f"{progress_url}/voortgang.json"):
        assert stranger.get(url).status_code == 404, url
    assert client.get(f"{progress_url}/voortgang.json").get_json()["status"] == "queued"
    assert stranger.post(mapping_url, data={"kolom_email": "0"}).status_code == 404
    assert client.get(progress_url.replace("/import/", "/import/9")).status_code == 404


def test_a_second_mapping_post_does_not_queue_again(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    mapping_url = upload(client, organisation, CSV.encode()).location
    progress_url = client.post(mapping_url, data={"kolom_email": "0"}).location
    again = client.post(mapping_url, data={"kolom_email": "1"})
    assert again.status_code == 302 and again.location == progress_url
    (job,) = db.session.scalars(sa.select(ContactImport))
    assert job.mapping["email"] == 0 and job.status == ImportStatus.QUEUED


def test_export_streams_the_list_for_dutch_excel(client: FlaskClient) -> None:
    organisation = make_organisation()
    members = make_contact_list(organisation)
    make_contact(organisation, email="a@example.org", name="=HYPERLINK(1)", lists=[members])
    make_contact(organisation, email="b@example.org")
    signed_in(client, organisation)
    response = client.get(f"/beheer/contacten/lijsten/{members.id}/export.csv")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert body.startswith("\ufeffemail;naam;") and "a@example.org;'=HYPERLINK(1)" in body
    assert "b@example.org" not in body


def test_lists_are_created_once_per_name(client: FlaskClient) -> None:
    organisation = make_organisation()
    signed_in(client, organisation)
    url = f"/beheer/contacten/lijsten?organisatie={organisation.id}"
    assert client.post(url, data={"name": "Nieuwsbrief"}).status_code == 302
    again = client.post(url, data={"name": "nieuwsbrief"})
    assert again.status_code == 400 and "al een lijst" in again.get_data(as_text=True)


def test_an_address_that_subscribes_while_the_import_runs_counts_as_existing(app: Flask) -> None:
    """The import read the organisation's addresses before the subscribe form added one of its rows."""
    organisation = make_organisation()
    report = ImportReport()
    writer = row_writer(organisation.id, {"email": 0, "name": 1, "consent": 2}, "lijst.csv", None, report, [])
    make_contact(organisation, email="bob@example.org", name="Bob zelf", status=ContactStatus.UNCONFIRMED)
    writer.write([["anna@example.org", "Anna", "ja"], ["bob@example.org", "Bob", "ja"]], first_line=2)
    db.session.commit()
    assert (report.created, report.existing, report.subscribed) == (1, 1, 2)
    stored = contacts()
    assert stored["bob@example.org"].name == "Bob zelf" and stored["bob@example.org"].status == ContactStatus.SUBSCRIBED
    assert stored["anna@example.org"].status == ContactStatus.SUBSCRIBED


def test_every_imported_contact_gets_its_own_link_token_and_its_own_values(client: FlaskClient) -> None:
    """The rows of a chunk go in as one statement (PostgreSQL: one array per column): the Python-side
    defaults are per row, and each value lands on its own row, across more than one chunk."""
    organisation = make_organisation()
    signed_in(client, organisation)
    rows = [f"lezer{n}@example.org,Lezer {n},{'Dorp' if n % 2 else ''},{'ja' if n % 3 else 'nee'}" for n in range(1500)]
    run_import(client, organisation, ("E-mail,Naam,Gemeente,Toestemming\n" + "\n".join(rows) + "\n").encode(),
               email="0", name="1", municipality="2", consent="3")
    stored = contacts()
    assert len(stored) == 1500 and len({contact.link_token for contact in stored.values()}) == 1500
    for n in (0, 1, 999, 1000, 1499):
        contact = stored[f"lezer{n}@example.org"]
        assert (contact.name, contact.municipality) == (f"Lezer {n}", "Dorp" if n % 2 else None)
        assert contact.status == (ContactStatus.SUBSCRIBED if n % 3 else ContactStatus.UNCONFIRMED)
        assert (contact.confirmed_at is not None) == bool(n % 3)
    consented = {record.contact_id for record in db.session.scalars(sa.select(ConsentRecord))}
    assert consented == {contact.id for contact in stored.values() if contact.status == ContactStatus.SUBSCRIBED}
