"""A real IMAP server for the mail tests: Dovecot on loopback, in a scratch folder, started by the test set-up.

Debian's `dovecot-imapd` (installed by `make test` when missing). Each test process starts its own server on a free
port; each test gets its own mailbox (a fresh user), so tests never see each other's mail. A test « sends » a message
by appending it to the mailbox, exactly as the mail server would deliver it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from imap_tools import MailBoxUnencrypted

CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/run/state
log_path = {d}/run/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 100
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/etc/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={d}/mail/%u
}}
"""
PASSWORD = "secret"
POOL = 500  # mailboxes a test process may use


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Dovecot:
    def __init__(self) -> None:
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not Path(binary).exists():
            raise RuntimeError("Dovecot est absent : `make test` l'installe (paquet Debian dovecot-imapd).")
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="bascule-imap-"))
        self.folder.chmod(0o755)
        for sub in ("etc", "run", "mail"):
            (self.folder / sub).mkdir()
        self.port = _free_port()
        (self.folder / "etc" / "dovecot.conf").write_text(CONFIG.format(d=self.folder, port=self.port))
        # Dovecot re-reads its password file only when its mtime changes (to the second): the users are written
        # once, before it starts, and handed out one per test.
        self.free_users = [f"boite-{uuid.uuid4().hex[:10]}@imap.test.gouv.fr" for _ in range(POOL)]
        (self.folder / "etc" / "users").write_text(
            "".join(f"{u}:{{PLAIN}}{PASSWORD}\n" for u in self.free_users)
        )
        shutil.chown(self.folder / "mail", "dovecot", "dovecot")
        subprocess.run([self.binary, "-c", str(self.folder / "etc" / "dovecot.conf")], check=True)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"Dovecot ne répond pas : {self.log()}")

    def log(self) -> str:
        path = self.folder / "run" / "dovecot.log"
        return path.read_text()[-2000:] if path.exists() else ""

    def new_user(self) -> str:
        """A fresh mailbox user (its INBOX starts empty)."""
        return self.free_users.pop()

    def deliver(self, user: str, raw: bytes) -> None:
        with MailBoxUnencrypted("127.0.0.1", self.port).login(user, PASSWORD) as mailbox:
            mailbox.append(raw, "INBOX")

    def stop(self) -> None:
        pid_file = self.folder / "run" / "master.pid"
        if pid_file.exists():
            subprocess.run(["kill", pid_file.read_text().strip()], check=False)
            for _ in range(50):
                if not pid_file.exists():
                    break
                time.sleep(0.05)
        shutil.rmtree(self.folder, ignore_errors=True)
