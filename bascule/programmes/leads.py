"""Read "who leads" as people write it: a lead structure (or co-leads) and partners, e.g.
`DMAT/SDAT, en lien avec les SGAR et les SG de préfectures`, `SHFD, avec la DNUM et la DMAT`,
`DRH/SDRF et DMAT/SDAT/BCAM`. Structures of the referential are recognised by code (slashes included) or by name,
through organisation's `structure_index()`; what is not recognised is kept as text, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bascule.organisation.models import Structure
from bascule.organisation.selectors import StructureIndex

_PARTNERS = re.compile(
    r"\b(?:en lien avec|en liaison avec|en association avec|en appui de|avec l'appui d[eu]|avec l'aide d[eu]|"
    r"sous la supervision d[eu]|appuy[ée]e? par|avec)\b",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:,|;|\(|\)|\bet\b|\bainsi que\b|\s\+\s)\s*", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:les|le|la|l'|l’|des|du|de la|de l'|de l’|d'|d’)\s*", re.IGNORECASE)


@dataclass
class LeadReading:
    text: str
    leads: list[Structure] = field(default_factory=list)
    partners: list[Structure] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)


# A lead is a line or two; a longer text is kept as written, not read (parsing time stays bounded).
LEAD_MAX_CHARS = 1000


def parse_lead(text: str, index: StructureIndex) -> LeadReading:
    """The lead structures and partners named in a free text (linear in the text)."""
    result = LeadReading(text=text.strip())
    if not result.text:
        return result
    if len(result.text) > LEAD_MAX_CHARS:
        result.unrecognised.append(result.text[:LEAD_MAX_CHARS])
        return result
    parts = _PARTNERS.split(result.text, maxsplit=1)
    for position, part in enumerate(parts):
        for raw in _SPLIT.split(part):
            token = _ARTICLE.sub("", raw.strip(" .-–")).strip()
            if not token:
                continue
            structure = index.find(token)
            if structure is None:
                result.unrecognised.append(token)
            elif position == 0 and structure not in result.leads:
                result.leads.append(structure)
            elif position > 0 and structure not in result.partners and structure not in result.leads:
                result.partners.append(structure)
    return result
