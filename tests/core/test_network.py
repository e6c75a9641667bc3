"""The guarded link check (core.network): never a non-public address, also not after a redirect or
a changed DNS answer, one deadline for the whole check, and a cap on checks at once.

Servers run on loopback; names resolve through `core.network.resolve`, which the tests replace (the
socket is the real one, still behind conftest's loopback-only guard)."""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core import network
from core.network import Deadline, check_links, link_status, parse_networks
from tests.campaigns.helpers import signed_in
from tests.factories import make_campaign, make_contact, make_organisation

LOOPBACK_ONLY = parse_networks("127.0.0.1/32")  # tests' allowance; 127.0.0.3 stays forbidden


class Site:
    """A loopback HTTP server that counts requests and answers with `reply(path)`:
    (status, headers) or "slow" (headers one byte at a time, never finished)."""

    def __init__(self, host: str, reply: Callable[[str], tuple[int, dict[str, str]] | str], port: int = 0) -> None:
        site = self
        self.hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                site.hits.append(self.path)
                answer = reply(self.path)
                if answer == "slow":
                    try:
                        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 1000:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(0.05)
                    except OSError:
                        return
                    return
                status, headers = answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_HEAD  # noqa: N815

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sites() -> Iterator[Callable[..., Site]]:
    started: list[Site] = []

    def start(reply: Callable[[str], tuple[int, dict[str, str]] | str] = lambda _path: (200, {}),
              host: str = "127.0.0.1", port: int = 0) -> Site:
        started.append(Site(host, reply, port))
        return started[-1]

    yield start
    for site in started:
        site.close()


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[list[str]]]:
    """names -> the successive DNS answers for them (the last one repeats); other names (the
    loopback servers' addresses) resolve as usual."""
    table: dict[str, list[list[str]]] = {}
    real_resolve = network.resolve

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            return real_resolve(host, port)
        replies = table[host]
        return replies.pop(0) if len(replies) > 1 else replies[0]

    monkeypatch.setattr(network, "resolve", resolve)
    return table


def test_by_default_loopback_is_refused_over_http(client: FlaskClient, app: Flask, sites: Callable[..., Site]) -> None:
    """Without LINK_CHECK_ALLOWED_NETWORKS (empty in every configuration), the pre-flight check does
    not even connect to a server on 127.0.0.1, and tells the officer why."""
    assert app.config["LINK_CHECK_ALLOWED_NETWORKS"] == ""
    site = sites()
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    campaign.mjml_source = campaign.mjml_source.replace("<ol>", f'<p><a href="{site.url}/intern">x</a></p><ol>', 1)
    app.extensions["sqlalchemy"].session.commit()
    signed_in(client, organisation)
    page = client.get(f"/beheer/campagnes/{campaign.id}/controle").get_data(as_text=True)
    assert f"{site.url}/intern (niet gecontroleerd: 127.0.0.1 is geen openbaar adres)" in page
    assert site.hits == []


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.0.0.3", "10.0.0.5", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "fc00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    "ff02::1", "::",
])
def test_a_name_resolving_to_a_non_public_address_is_refused_before_connecting(
        answers: dict[str, list[list[str]]], address: str) -> None:
    answers["intern.example"] = [[address]]
    result = link_status("http://intern.example/", ())
    assert result.refused is not None and result.refused.reason == "address", result
    assert result.error is None  # not a refused connection (conftest's guard): no connection at all


def test_one_private_address_among_public_ones_refuses_the_name(answers: dict[str, list[list[str]]]) -> None:
    answers["gemengd.example"] = [["93.184.216.34", "10.0.0.1"]]
    result = link_status("http://gemengd.example/", ())
    assert result.refused is not None and result.refused.address == "10.0.0.1"


def test_a_public_address_is_connected_to_by_address(answers: dict[str, list[list[str]]]) -> None:
    """The positive control: a public answer is connected to (here refused by the test guard)."""
    answers["openbaar.example"] = [["93.184.216.34"]]
    result = link_status("http://openbaar.example/", ())
    assert result.refused is None and result.error == "ConnectionRefusedError"


def test_a_redirect_to_a_forbidden_address_is_not_followed(sites: Callable[..., Site],
                                                           answers: dict[str, list[list[str]]]) -> None:
    inside = sites(host="127.0.0.3")
    answers["intern.example"] = [["10.0.0.1"]]
    targets = iter([f"{inside.url}/geheim", "http://intern.example/geheim", "http://127.0.0.1:1/x"])
    outside = sites(lambda _path: (302, {"Location": next(targets)}))
    allowed = parse_networks("127.0.0.1/32")
    first = link_status(f"{outside.url}/a", allowed)
    assert first.refused is not None and first.refused.address == "127.0.0.3"
    second = link_status(f"{outside.url}/b", allowed)
    assert second.refused is not None and second.refused.address == "10.0.0.1"
    assert inside.hits == []


def test_redirects_are_followed_to_an_allowed_address_and_at_most_five(sites: Callable[..., Site]) -> None:
    final = sites()
    hop = sites(lambda path: (302, {"Location": f"{final.url}/eind"}) if path == "/start" else (404, {}))
    assert link_status(f"{hop.url}/start", LOOPBACK_ONLY).status == 200 and final.hits == ["/eind"]
    loop = sites(lambda path: (302, {"Location": path + "x"}))
    assert link_status(f"{loop.url}/r", LOOPBACK_ONLY).error == "redirects" and len(loop.hits) == 6


def test_a_changed_dns_answer_changes_nothing(sites: Callable[..., Site], answers: dict[str, list[list[str]]]) -> None:
    """Rebinding: the name is resolved once per hop, and the connection goes to the address that was
    checked; a later answer pointing inside is never asked for or used."""
    good = sites()
    port = good.server.server_port
    inside = sites(host="127.0.0.3", port=port)  # the same port: only the address tells them apart
    answers["wisselend.example"] = [["127.0.0.1"], ["127.0.0.3"]]
    result = link_status(f"http://wisselend.example:{port}/", LOOPBACK_ONLY)
    assert result.status == 200 and good.hits == ["/"] and inside.hits == []


def test_the_whole_check_ends_at_its_deadline_even_against_a_trickling_server(sites: Callable[..., Site]) -> None:
    """Ten links to a server that sends its headers a byte at a time (each read well within any
    per-read timeout): all ten are reported as too slow, none as an answer or an error."""
    slow = sites(lambda _path: "slow")
    started = time.monotonic()
    results = check_links([f"{slow.url}/{n}" for n in range(10)], seconds=1.0, workers=4,
                          allowed_networks=LOOPBACK_ONLY)
    assert results is not None and all(result.timed_out for result in results), results
    assert time.monotonic() - started < 10  # a guard against a hang, not a timing figure


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.org/", "scheme"), ("file:///etc/passwd", "scheme"), ("http://example.org:99999/", "url"),
    ("http://☃.example/", "name"),
])
def test_links_that_are_not_web_addresses_are_refused_without_an_error(url: str, reason: str) -> None:
    result = link_status(url, ())
    assert result.refused is not None and result.refused.reason == reason


def test_an_international_name_is_resolved_in_its_idna_2008_form(sites: Callable[..., Site],
                                                                 answers: dict[str, list[list[str]]]) -> None:
    site = sites()
    answers["xn--fa-hia.example"] = [["127.0.0.1"]]
    assert link_status(f"http://faß.example:{site.server.server_port}/", LOOPBACK_ONLY).status == 200
    assert site.hits == ["/"]


def test_a_finished_deadline_starts_no_connection(sites: Callable[..., Site]) -> None:
    site = sites()
    deadline = Deadline(0.0)
    assert link_status(f"{site.url}/", LOOPBACK_ONLY, deadline).timed_out and site.hits == []


def test_only_two_checks_run_at_once_per_process(sites: Callable[..., Site]) -> None:
    slow = sites(lambda _path: "slow")
    running = [threading.Thread(target=check_links, args=([f"{slow.url}/"],),
                                kwargs={"seconds": 2.0, "workers": 1, "allowed_networks": LOOPBACK_ONLY})
               for _ in range(2)]
    for thread in running:
        thread.start()
    while len(slow.hits) < 2:
        time.sleep(0.01)
    assert check_links([f"{slow.url}/"], seconds=1.0, workers=1, allowed_networks=LOOPBACK_ONLY) is None
    for thread in running:
        thread.join()
    assert check_links([], seconds=1.0, workers=1) == []


def test_preflight_reports_slow_links_within_the_limit(client: FlaskClient, app: Flask,
                                                      sites: Callable[..., Site]) -> None:
    slow = sites(lambda _path: "slow")
    organisation = make_organisation()
    make_contact(organisation)
    campaign = make_campaign(organisation)
    links = "".join(f'<a href="{slow.url}/{n}">{n}</a>' for n in range(12))
    campaign.mjml_source = campaign.mjml_source.replace("<ol>", f"<p>{links}</p><ol>", 1)
    app.extensions["sqlalchemy"].session.commit()
    app.config.update(LINK_CHECK_ALLOWED_NETWORKS="127.0.0.1/32", LINK_CHECK_SECONDS=1.0, LINK_CHECK_MAX_LINKS=10)
    signed_in(client, organisation)
    page = client.get(f"/beheer/campagnes/{campaign.id}/controle").get_data(as_text=True)
    assert page.count("geen antwoord binnen 1 seconden") == 10, re.findall(r"Links die niet werken[^<]*", page)
    assert "links niet gecontroleerd (meer dan 10)" in page
