"""The request size limits as deployed: the app's own Dutch 413 up to nginx's margin, nginx's beyond it."""
from __future__ import annotations

import pytest
import requests

from tests.deployed.browsing import Browser
from tests.deployed.conftest import People
from tests.deployed.stack import Stack

pytestmark = pytest.mark.deployed
MEGABYTE = 1024 * 1024


def _post(stack: Stack, size: int) -> requests.Response:
    return requests.post(stack.base_url + "/nieuwsbrief/bestaat-niet", data={"email": "x" * size},
                         verify=str(stack.certificate), timeout=60)


def test_a_form_above_the_apps_limit_gets_the_dutch_413_page(stack: Stack) -> None:
    response = _post(stack, 11 * MEGABYTE)
    assert response.status_code == 413
    assert "Het bestand of formulier is te groot." in response.text


def test_nginx_refuses_a_body_far_beyond_the_limit_before_a_worker_reads_it(stack: Stack) -> None:
    response = _post(stack, 13 * MEGABYTE)
    assert response.status_code == 413
    assert response.headers["Server"] == "nginx" and "Het bestand" not in response.text


def _contact_file(size: int) -> bytes:
    """A CSV of contacts of at least `size` bytes: a thousand rows with a long remark each."""
    remark = "o" * (size // 1000)
    rows = [f"lezer{number}@groot.example;Lezer {number};{remark}" for number in range(1000)]
    return ("email;naam;opmerking\n" + "\n".join(rows) + "\n").encode()


def test_the_contact_import_takes_a_file_beyond_the_default_limit_through_nginx(stack: Stack, people: People) -> None:
    """Only the import's upload gets nginx's larger limit: 13 MiB there reaches the app and is stored,
    where every other path refuses it (above)."""
    officer = Browser(stack)
    assert officer.log_in(people.officer).status_code == 302
    data = _contact_file(13 * MEGABYTE)
    assert len(data) > 13 * MEGABYTE
    answer = officer.submit("/beheer/contacten/import", {}, files={"file": ("groot.csv", data)}, timeout=120)
    assert answer.status_code == 302, answer.text[:500]
    assert "/kolommen" in answer.headers["Location"]
    mapping = officer.get(answer.headers["Location"].removeprefix(stack.base_url))
    assert mapping.status_code == 200 and "lezer0@groot.example" in mapping.text
