"""A real IMAP server for the bounce-mailbox tests and bench: Debian's Dovecot on a loopback port,
with its own configuration, one user and an empty Maildir (`apt-get install dovecot-imapd`)."""
from __future__ import annotations

import getpass
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
USER, PASSWORD = "bounces", "geheim-voor-tests"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _system_user(*names: str) -> str:
    """Dovecot's own unprivileged users when running as root, else whoever runs the tests."""
    if os.geteuid() != 0:
        return getpass.getuser()
    for name in names:
        try:
            return pwd.getpwnam(name).pw_name
        except KeyError:
            continue
    return "nobody"


class Dovecot:
    def __init__(self) -> None:
        # Its own directory that Dovecot's unprivileged processes can reach (a test's tmp_path is
        # private to whoever runs the tests); removed by stop().
        self.root = Path(tempfile.mkdtemp(prefix="weerbaar-dovecot-"))
        os.chmod(self.root, 0o755)
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        assert DOVECOT, "dovecot is not installed"
        owner = pwd.getpwnam(_system_user("dovecot"))  # the mail processes never run as root
        (self.root / "run").mkdir(parents=True)
        (self.root / "mail").mkdir()
        os.chown(self.root / "mail", owner.pw_uid, owner.pw_gid)
        (self.root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        config = self.root / "dovecot.conf"
        config.write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/run
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {_system_user("dovecot")}
default_login_user = {_system_user("dovenull", "dovecot")}
mail_location = maildir:{self.root}/mail/%u
first_valid_uid = {owner.pw_uid}
last_valid_uid = {owner.pw_uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.root}/users
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={self.root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}

service imap-login {{
  chroot =
}}
""")
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"dovecot did not start: {self.process.stderr.read().decode()}") from None
                time.sleep(0.1)
        raise RuntimeError("dovecot did not listen in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port)
        connection.login(USER, PASSWORD)
        return connection

    def fill(self, messages: list[bytes]) -> None:
        """Puts mail in the inbox over IMAP APPEND, as delivery would."""
        connection = self.client()
        try:
            for raw in messages:
                connection.append("INBOX", None, imaplib.Time2Internaldate(time.time()), raw)
        finally:
            connection.logout()

    def inbox(self) -> list[tuple[bytes, bytes]]:
        """(flags, message) of every message in the inbox, in order."""
        connection = self.client()
        try:
            connection.select("INBOX")
            _, data = connection.uid("SEARCH", None, "ALL")
            found = []
            for uid in data[0].split():
                _, parts = connection.uid("FETCH", uid, "(FLAGS BODY.PEEK[])")
                found.append((parts[0][0], parts[0][1]))
            return found
        finally:
            connection.logout()

    def settings(self) -> dict[str, object]:
        return {"MAIL_BOUNCE_IMAP_HOST": "127.0.0.1", "MAIL_BOUNCE_IMAP_PORT": self.port,
                "MAIL_BOUNCE_IMAP_SECURITY": "none", "MAIL_BOUNCE_IMAP_USERNAME": USER,
                "MAIL_BOUNCE_IMAP_PASSWORD": PASSWORD, "MAIL_BOUNCE_IMAP_FOLDER": "INBOX"}
