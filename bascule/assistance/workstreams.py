"""Which workstream a message is about, read from its subject: tolerant of accents, case, numbers and aliases.

« [Reprise] EJ non repris », « chantier 3 : inventaire », « Question formation » and « PARAMETRAGE des profils » all
name their workstream. The template's own name counts, and the usual short names below; the first match wins, the
longest alias first (so « reprise des données » beats « données »).
"""

from __future__ import annotations

import re

from bascule.assistance.search import fold
from bascule.programmes.models import Programme, WorkstreamTemplate

# Usual short names of the standard workstreams (domain.md §3), folded; a programme's own names always count too.
ALIASES: dict[int, tuple[str, ...]] = {
    1: ("organisation", "orga", "circuits", "contrat de service"),
    2: ("parametrage", "habilitation", "habilitations", "profils", "identifiants"),
    3: ("reprise", "reprise des donnees", "donnees", "ej", "tiers"),
    4: ("formation", "formations", "recensement"),
    5: ("raccordement", "poste de travail", "connexion", "technique"),
    6: ("accompagnement", "assistance", "support"),
    7: ("interfaces", "interface", "applications metier"),
}


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", fold(text))) + " "


def detect(
    programme: Programme, subject: str, templates: list[WorkstreamTemplate] | None = None
) -> WorkstreamTemplate | None:
    """The workstream the subject names, or None."""
    found = (
        templates if templates is not None else list(WorkstreamTemplate.objects.filter(programme=programme))
    )
    by_number = {t.number: t for t in found}
    text = _words(subject)
    numbered = re.search(r" (?:chantier|ch) ?n? ?(\d{1,2}) ", text)
    if numbered and int(numbered.group(1)) in by_number:
        return by_number[int(numbered.group(1))]
    candidates: list[tuple[int, WorkstreamTemplate]] = []
    for template in found:
        names = {_words(template.name).strip(), *ALIASES.get(template.number, ())}
        for name in names:
            if name and f" {name} " in text:
                candidates.append((len(name), template))
    if not candidates:
        return None
    return max(candidates, key=lambda pair: pair[0])[1]


def workstream_list_text(programme: Programme) -> str:
    """The programme's workstreams, one per line (what the acknowledgement offers when none was named)."""
    return "\n".join(
        f"- chantier {t.number} : {t.name}" for t in WorkstreamTemplate.objects.filter(programme=programme)
    )
