"""The request size limits as deployed: the app's own Dutch 413 up to nginx's margin, nginx's beyond it."""
from __future__ import annotations

import pytest
import requests

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
