"""Background work of the support desk (thin: the services and mail intake do the work)."""

from __future__ import annotations

from bascule.assistance import mailin


def fetch_all_mailboxes() -> str:
    """The periodic mail poll (every two minutes): one line per mailbox; a failing one is said, the others go on."""
    results = mailin.poll_all()
    if not results:
        return "aucune boîte aux lettres active"
    return " ; ".join(result.line() for result in results)
