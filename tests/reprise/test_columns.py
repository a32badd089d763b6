"""Real extracts' headers mapped onto the takeover's columns: aliases, a source's saved mapping, and French errors
for a missing or a doubled column."""

from __future__ import annotations

import pytest

from bascule.reprise.columns import (
    COMMITMENT_COLUMNS,
    TARGET_COLUMNS,
    THIRD_PARTY_COLUMNS,
    HeaderError,
    map_headers,
)

CANONICAL = [c.label for c in COMMITMENT_COLUMNS]


def test_canonical_headers_in_any_order_and_spelling():
    headers = [h.upper() for h in reversed(CANONICAL)] + ["Commentaire interne"]
    found = map_headers(headers, COMMITMENT_COLUMNS)
    assert found.positions["engage"] == headers.index("MONTANT ENGAGÉ")
    assert found.positions["ej"] == headers.index("N° EJ") and found.ignored == ["Commentaire interne"]
    spelled = map_headers(
        [
            "No EJ",
            "Poste",
            "type",
            "date engagement",
            "Nature",
            "Fournisseur",
            "CF",
            "DF",
            "Compte",
            "Montant EJ",
            "Montant payé",
            "RAP",
        ],
        COMMITMENT_COLUMNS,
    )
    assert len(spelled.positions) == 12 and spelled.positions["reste"] == 11


def test_a_source_saved_mapping_and_the_target_columns():
    headers = [*CANONICAL[:11], "Mnt EJ TTC", *CANONICAL[12:], "N° EJ source"]
    with pytest.raises(HeaderError, match="« Montant engagé »"):
        map_headers(headers, COMMITMENT_COLUMNS)
    found = map_headers(headers, TARGET_COLUMNS, saved={"mnt ej ttc": "Montant engagé"})
    assert found.positions["engage"] == 11 and found.positions["ej_source"] == len(headers) - 1


def test_missing_and_doubled_columns_are_named():
    with pytest.raises(HeaderError) as missing:
        map_headers(["Code tiers", "IBAN"], THIRD_PARTY_COLUMNS)
    assert str(missing.value).startswith(
        "Colonne(s) obligatoire(s) absente(s) : « Raison sociale ». En-têtes lus"
    )
    with pytest.raises(HeaderError, match=r"« Raison sociale » apparaît deux fois : « Nom » \(colonne 2\)"):
        map_headers(["Code tiers", "Nom", "Raison sociale"], THIRD_PARTY_COLUMNS)
