"""A person on the deployed site without a browser engine: requests with a cookie jar and real CSRF tokens."""
from __future__ import annotations

import re

import requests

from tests.deployed.conftest import PASSWORD
from tests.deployed.stack import Stack


class Browser:
    """A person with a cookie jar, posting forms with the CSRF token of the page they came from."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.session = requests.Session()
        self.verify = str(stack.certificate)  # per call: a CA bundle from the environment would win over session.verify

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.stack.base_url + path, timeout=15, allow_redirects=False, verify=self.verify)

    def submit(self, form_page: str, fields: dict[str, str], action: str | None = None,
               files: dict[str, tuple[str, bytes]] | None = None, timeout: float = 15) -> requests.Response:
        """Posts the form of `form_page` (to `action`, else back to it), with `files` as a multipart upload."""
        page = self.session.get(self.stack.base_url + form_page, timeout=15, verify=self.verify)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
        token = token or re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, f"no CSRF token on {form_page}"
        return self.session.post(self.stack.base_url + (action or form_page), data=fields | {"csrf_token": token[1]},
                                 headers={"Referer": page.url},  # as a browser sends it: Flask-WTF checks it on https
                                 files=files, timeout=timeout, allow_redirects=False, verify=self.verify)

    def log_in(self, email: str, password: str = PASSWORD, next_target: str | None = None) -> requests.Response:
        action = "/beheer/inloggen" + (f"?next={next_target}" if next_target else "")
        return self.submit("/beheer/inloggen", {"email": email, "password": password}, action)
