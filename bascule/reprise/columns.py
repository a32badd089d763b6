"""The columns of the data takeover's files (commitment lines, third parties, target re-extraction) and how a real
extract's headers are mapped onto them: the canonical header, its usual aliases, then the source's saved mapping
(« Montant EJ » → « Montant engagé » for one ministry's tool), compared without case, accents or punctuation
(`core.spreadsheets.normalise_label`, the rule every import uses).

A missing required column or a column found twice is a French error naming the headers; headers that match nothing
are returned, so that the run can say which ones it did not read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bascule.core.imports import Column
from bascule.core.spreadsheets import normalise_label

COMMITMENT_COLUMNS = [
    Column(
        "ej", "N° EJ", aliases=("numéro EJ", "no EJ", "EJ", "numéro d'engagement juridique"), required=True
    ),
    Column("poste", "N° poste EJ", aliases=("poste EJ", "numéro de poste", "poste"), required=True),
    Column("type", "Type", aliases=("type EJ",), required=True),
    Column("date", "Date EJ", aliases=("date de l'EJ", "date engagement"), required=True),
    Column("nature", "Nature", aliases=("nature EJ", "catégorie"), required=True),
    Column("tiers", "Code tiers", aliases=("tiers", "fournisseur", "code fournisseur"), required=True),
    Column("siret", "SIRET", aliases=("n° SIRET",)),
    Column("centre", "Centre financier", aliases=("CF",), required=True),
    Column("domaine", "Domaine fonctionnel", aliases=("DF",), required=True),
    Column("activite", "Activité", aliases=("code activité",)),
    Column("compte", "Compte budgétaire", aliases=("compte",), required=True),
    Column("engage", "Montant engagé", aliases=("montant EJ", "engagé", "montant"), required=True),
    Column("consomme", "Montant consommé", aliases=("consommé", "montant payé", "payé"), required=True),
    Column("reste", "Reste à payer", aliases=("RAP", "reste"), required=True),
    Column("objet", "Objet", aliases=("libellé", "objet de l'EJ")),
    Column("modifie", "Date de modification", aliases=("modifié le", "date de mise à jour")),
]
THIRD_PARTY_COLUMNS = [
    Column("tiers", "Code tiers", aliases=("tiers", "fournisseur", "code fournisseur"), required=True),
    Column("siret", "SIRET", aliases=("n° SIRET",)),
    Column("raison", "Raison sociale", aliases=("nom", "dénomination"), required=True),
    Column("adresse", "Adresse"),
    Column("cp", "Code postal", aliases=("CP",)),
    Column("commune", "Commune", aliases=("ville",)),
    Column("pays", "Pays"),
    Column("iban", "IBAN"),
    Column("bic", "BIC", aliases=("code BIC", "SWIFT")),
    Column("titulaire", "Titulaire du compte", aliases=("titulaire",)),
]
TARGET_COLUMNS = [
    *COMMITMENT_COLUMNS,
    Column("ej_source", "N° EJ source", aliases=("EJ source", "numéro EJ source"), required=True),
]


class HeaderError(ValueError):
    """The file's headers cannot be read as the expected columns (French message)."""


@dataclass(frozen=True)
class HeaderMap:
    positions: dict[str, int]  # column key → index in the file
    ignored: list[str]  # headers that match no column


def map_headers(
    headers: Sequence[str], columns: Sequence[Column], saved: Mapping[str, str] | None = None
) -> HeaderMap:
    """Where each expected column is in `headers`; `saved` maps a source's own header to a canonical label."""
    translated = {
        normalise_label(source): normalise_label(target) for source, target in (saved or {}).items()
    }
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        wanted = normalise_label(header)
        name = translated.get(wanted, wanted)
        column = next((c for c in columns if c.matches(name)), None)
        if column is None:
            if header.strip():
                ignored.append(header)
            continue
        if column.key in positions:
            first = positions[column.key]
            raise HeaderError(
                f"La colonne « {column.label} » apparaît deux fois : « {headers[first]} » (colonne {first + 1}) "
                f"et « {header} » (colonne {index + 1}). Gardez-en une seule."
            )
        positions[column.key] = index
    missing = [c.label for c in columns if c.required and c.key not in positions]
    if missing:
        read = ", ".join(f"« {h} »" for h in headers if h.strip()) or "aucun"
        raise HeaderError(
            "Colonne(s) obligatoire(s) absente(s) : "
            + ", ".join(f"« {label} »" for label in missing)
            + f". En-têtes lus : {read}. Renommez la colonne ou enregistrez la correspondance de cette source."
        )
    return HeaderMap(positions, ignored)
