"""Fuzzy deadlines: a table of real-looking French expressions, the sample plan's, and properties."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bascule.core.deadlines import DEADLINE_MAX_CHARS, normalise, parse_deadline

REF = date(2021, 11, 15)
D = date
NOT_UNDERSTOOD = None

TABLE = [
    # (text, start, end) — NOT_UNDERSTOOD as start means flagged, not guessed
    ("Immédiat", REF, REF),
    ("immédiatement", REF, REF),
    ("Dès à présent", REF, REF),
    ("Sans délai", REF, REF),
    ("En décembre 2021", D(2021, 12, 1), D(2021, 12, 31)),
    ("décembre 2021", D(2021, 12, 1), D(2021, 12, 31)),
    ("novembre 2021", D(2021, 11, 1), D(2021, 11, 30)),
    ("Février 2024", D(2024, 2, 1), D(2024, 2, 29)),
    ("févr. 2023", D(2023, 2, 1), D(2023, 2, 28)),
    ("sept. 2022", D(2022, 9, 1), D(2022, 9, 30)),
    ("Octobre / novembre 2021", D(2021, 10, 1), D(2021, 11, 30)),
    ("octobre-novembre 2021", D(2021, 10, 1), D(2021, 11, 30)),
    ("De janvier à mars 2022", D(2022, 1, 1), D(2022, 3, 31)),
    ("de décembre à février 2022", D(2021, 12, 1), D(2022, 2, 28)),
    ("De fin septembre à décembre 2011", D(2011, 9, 21), D(2011, 12, 31)),
    ("entre mars et mai 2023", D(2023, 3, 1), D(2023, 5, 31)),
    ("D'ici la fin 2021", REF, D(2021, 12, 31)),
    ("d’ici fin 2021", REF, D(2021, 12, 31)),
    ("D'ici décembre 2021", REF, D(2021, 12, 31)),
    ("d'ici la fin de l'année", REF, D(2021, 12, 31)),
    ("Au plus tard fin 2021", REF, D(2021, 12, 31)),
    ("Au plus tard le 15 janvier 2022", REF, D(2022, 1, 15)),
    ("au plus tard en mars 2022", REF, D(2022, 3, 31)),
    ("Avant le 31/12/2021", REF, D(2021, 12, 31)),
    ("avant l'été 2022", REF, D(2022, 8, 31)),
    ("jusqu'au 30 juin 2022", REF, D(2022, 6, 30)),
    ("Fin 2021", D(2021, 9, 1), D(2021, 12, 31)),
    ("fin d'année 2022", D(2022, 9, 1), D(2022, 12, 31)),
    ("fin de l'année 2022", D(2022, 9, 1), D(2022, 12, 31)),
    ("Fin de l'année", D(2021, 9, 1), D(2021, 12, 31)),
    ("début 2022", D(2022, 1, 1), D(2022, 4, 30)),
    ("Début 2022", D(2022, 1, 1), D(2022, 4, 30)),
    ("mi-2022", D(2022, 5, 1), D(2022, 8, 31)),
    ("Mi 2022", D(2022, 5, 1), D(2022, 8, 31)),
    ("courant 2022", D(2022, 1, 1), D(2022, 12, 31)),
    ("début mars 2022", D(2022, 3, 1), D(2022, 3, 10)),
    ("mi-mars 2022", D(2022, 3, 11), D(2022, 3, 20)),
    ("fin mars 2022", D(2022, 3, 21), D(2022, 3, 31)),
    ("fin février 2023", D(2023, 2, 21), D(2023, 2, 28)),
    ("1er semestre 2022", D(2022, 1, 1), D(2022, 6, 30)),
    ("premier semestre 2022", D(2022, 1, 1), D(2022, 6, 30)),
    ("Deuxième semestre 2022", D(2022, 7, 1), D(2022, 12, 31)),
    ("2nd semestre 2012", D(2012, 7, 1), D(2012, 12, 31)),
    ("second semestre 2022", D(2022, 7, 1), D(2022, 12, 31)),
    ("2e semestre 2022", D(2022, 7, 1), D(2022, 12, 31)),
    ("S2 2022", D(2022, 7, 1), D(2022, 12, 31)),
    ("S1 2023", D(2023, 1, 1), D(2023, 6, 30)),
    ("fin du 1er semestre 2022", D(2022, 5, 1), D(2022, 6, 30)),
    ("3e trimestre 2023", D(2023, 7, 1), D(2023, 9, 30)),
    ("3ème trimestre 2023", D(2023, 7, 1), D(2023, 9, 30)),
    ("troisième trimestre 2023", D(2023, 7, 1), D(2023, 9, 30)),
    ("T2 2024", D(2024, 4, 1), D(2024, 6, 30)),
    ("t4 2021", D(2021, 10, 1), D(2021, 12, 31)),
    ("4e trimestre 2011", D(2011, 10, 1), D(2011, 12, 31)),
    ("1er trimestre 2022", D(2022, 1, 1), D(2022, 3, 31)),
    ("premier trimestre 2022", D(2022, 1, 1), D(2022, 3, 31)),
    ("quatrième trimestre 2022", D(2022, 10, 1), D(2022, 12, 31)),
    ("T1 et T2 2024", D(2024, 1, 1), D(2024, 6, 30)),
    ("2022", D(2022, 1, 1), D(2022, 12, 31)),
    ("En 2023", D(2023, 1, 1), D(2023, 12, 31)),
    ("En gestion 2022", D(2022, 1, 1), D(2022, 12, 31)),
    ("Gestion 2012", D(2012, 1, 1), D(2012, 12, 31)),
    ("exercice 2023", D(2023, 1, 1), D(2023, 12, 31)),
    ("rentrée 2022", D(2022, 9, 1), D(2022, 9, 30)),
    ("Rentrée 2023", D(2023, 9, 1), D(2023, 9, 30)),
    ("été 2022", D(2022, 7, 1), D(2022, 8, 31)),
    ("printemps 2023", D(2023, 4, 1), D(2023, 6, 30)),
    ("automne 2022", D(2022, 10, 1), D(2022, 11, 30)),
    ("15 janvier 2022", D(2022, 1, 15), D(2022, 1, 15)),
    ("le 1er septembre 2022", D(2022, 9, 1), D(2022, 9, 1)),
    ("01/09/2022", D(2022, 9, 1), D(2022, 9, 1)),
    # A date cell read as text (ISO) or typed with dots is that day, not its whole year.
    ("2022-09-01", D(2022, 9, 1), D(2022, 9, 1)),
    ("01.09.2022", D(2022, 9, 1), D(2022, 9, 1)),
    ("Premier atelier en octobre 2011", D(2011, 10, 1), D(2011, 10, 31)),
    ("Guide publié en mars 2022", D(2022, 3, 1), D(2022, 3, 31)),
    ("Note au COPIL de juin 2022", D(2022, 6, 1), D(2022, 6, 30)),
    ("janvier 2022 puis juin 2022", D(2022, 1, 1), D(2022, 6, 30)),
    ("Mi-2012", D(2012, 5, 1), D(2012, 8, 31)),
    ("A compter du 1er septembre 2022", D(2022, 9, 1), None),
    ("à partir de janvier 2023", D(2023, 1, 1), None),
    ("Dès 2024", D(2024, 1, 1), None),
    # flagged, never guessed
    ("novembre", NOT_UNDERSTOOD, None),
    ("Fin septembre", NOT_UNDERSTOOD, None),
    ("De janvier à mars", NOT_UNDERSTOOD, None),
    ("Dès que possible", NOT_UNDERSTOOD, None),
    ("À définir", NOT_UNDERSTOOD, None),
    ("En fonction des arbitrages", NOT_UNDERSTOOD, None),
    ("prochain COPIL", NOT_UNDERSTOOD, None),
    ("30 février 2022", NOT_UNDERSTOOD, None),
    ("T5 2022", NOT_UNDERSTOOD, None),
    ("2022-13-40", NOT_UNDERSTOOD, None),
    ("?", NOT_UNDERSTOOD, None),
    # "des" without its accent is an article, not "dès": the deliverable is due in 2022, not from 2022 on.
    ("Déploiement des outils en 2022", D(2022, 1, 1), D(2022, 12, 31)),
    ("des guides publiés fin 2023", D(2023, 9, 1), D(2023, 12, 31)),
    # A range that ends before it starts is flagged, never reordered.
    ("31/12/2099 - 29/02/2024", NOT_UNDERSTOOD, None),
    ("de 2025 à 2023", NOT_UNDERSTOOD, None),
]


@pytest.mark.parametrize(("text", "start", "end"), TABLE, ids=[row[0] for row in TABLE])
def test_expressions(text, start, end):
    deadline = parse_deadline(text, reference=REF)
    assert deadline.text == text
    if start is NOT_UNDERSTOOD:
        assert not deadline.understood
        assert deadline.start is None and deadline.end is None
    else:
        assert deadline.understood, text
        assert (deadline.start, deadline.end) == (start, end)


def test_the_table_is_large_enough():
    assert len(TABLE) >= 80


def test_stages_in_one_cell():
    deadline = parse_deadline("Etape 1 : février 2012 ; étape 2 : 2nd semestre 2012", reference=REF)
    assert deadline.understood
    assert [(s.label, s.start, s.end) for s in deadline.stages] == [
        ("1", D(2012, 2, 1), D(2012, 2, 29)),
        ("2", D(2012, 7, 1), D(2012, 12, 31)),
    ]
    assert (deadline.start, deadline.end) == (D(2012, 2, 1), D(2012, 12, 31))


def test_stages_with_echeance_in_parentheses():
    text = "Etape 1 : cartographie (échéance début 2022) Etape 2 : déploiement (échéance fin 2022)"
    deadline = parse_deadline(text, reference=REF)
    assert [s.end for s in deadline.stages] == [D(2022, 4, 30), D(2022, 12, 31)]
    other = parse_deadline("1ère étape : début 2022 2e étape : mi-2022", reference=REF)
    assert other.understood and len(other.stages) == 2 and other.end == D(2022, 8, 31)


def test_a_stage_not_understood_flags_the_whole_cell():
    deadline = parse_deadline("Etape 1 : mars 2022 ; étape 2 : à définir", reference=REF)
    assert not deadline.understood
    assert deadline.stages[0].understood and not deadline.stages[1].understood


def test_immediate_needs_a_reference_date():
    assert not parse_deadline("Immédiat").understood
    assert parse_deadline("Immédiat", reference=D(2011, 12, 1)).end == D(2011, 12, 1)


def test_an_interval_is_over_once_its_end_has_passed():
    deadline = parse_deadline("fin 2021", reference=REF)
    assert deadline.is_over(D(2022, 1, 1))
    assert not deadline.is_over(D(2021, 12, 31))
    assert not parse_deadline("à définir").is_over(D(2030, 1, 1))
    assert not parse_deadline("à compter de 2020").is_over(D(2030, 1, 1))


MODIFIERS = st.sampled_from(["", "début ", "mi-", "fin ", "courant "])
UNITS = st.sampled_from(
    [
        "{y}",
        "janvier {y}",
        "décembre {y}",
        "T{q} {y}",
        "{q}e trimestre {y}",
        "S{s} {y}",
        "{s}er semestre {y}",
        "gestion {y}",
        "rentrée {y}",
    ]
)


@given(MODIFIERS, UNITS, st.integers(1990, 2099), st.integers(1, 4), st.integers(1, 2))
def test_every_generated_expression_is_an_ordered_interval_in_its_year(
    modifier, unit, year, quarter, semester
):
    text = unit.format(y=year, q=quarter, s=semester)
    if not unit.startswith("gestion") and not unit.startswith("rentrée"):
        text = modifier + text
    deadline = parse_deadline(text, reference=REF)
    assert deadline.understood, text
    assert deadline.start <= deadline.end
    assert deadline.start.year == year and deadline.end.year == year


@given(st.text(max_size=80), st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 1, 1)))
def test_any_text_never_raises_and_keeps_the_text(text, reference):
    deadline = parse_deadline(text, reference=reference)
    assert deadline.text == text.strip()
    if deadline.understood and deadline.end is not None and deadline.start is not None:
        assert deadline.start <= deadline.end


def test_normalise():
    assert normalise("1ère  Étape") == "1 etape"
    assert normalise("Deuxième semestre") == "2 semestre"
    assert normalise("Mi-2022") == "mi 2022"


def _growth(parse, small: str, large: str) -> float:
    """How many times longer `large` takes to parse than `small`: each time the best of 7 runs, and the lowest
    ratio of 7 tries, so that a busy machine (another process taking the core for a moment: it once read 9.5 while
    two test suites shared the two cores) does not read as a slow algorithm. Linear growth stays near 4 for a 4×
    text; quadratic stays near 16 in every try."""
    import time

    def seconds(text: str) -> float:
        best = float("inf")
        for _ in range(7):
            started = time.perf_counter()
            parse(text)
            best = min(best, time.perf_counter() - started)
        return best

    return min(seconds(large) / max(seconds(small), 1e-5) for _ in range(7))


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "fin 2021",
                "T3 2023",
                "des outils",
                "Etape 1 : début 2022",
                "; ",
                "mi-2022",
                "octobre / novembre 2021",
                "2022",
                " ",
                "x",
            ]
        ),
        min_size=1,
        max_size=8,
    )
)
def test_parsing_time_grows_linearly_with_the_text(pieces):
    """Quadrupling the text at most multiplies the time by ~4 (quadratic would be 16); past the cap it is constant."""
    unit = " ".join(pieces) + " "
    small = unit * max(1, 900 // len(unit))
    large = small * 4
    ratio = _growth(lambda text: parse_deadline(text, reference=REF), small, large[:DEADLINE_MAX_CHARS])
    assert ratio < 9, (ratio, len(small))


def test_oversized_text_is_refused_at_once():
    import time

    started = time.perf_counter()
    deadline = parse_deadline("fin 2021 " * 600_000)  # about 5 MB
    assert not deadline.understood and time.perf_counter() - started < 0.5


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.sampled_from(["DMAT/SDAT", ", en lien avec les SGAR", " et ", "la DNUM", "; ", "(x)", "avec"]),
        min_size=1,
        max_size=6,
    )
)
def test_lead_parsing_time_grows_linearly_with_the_text(pieces):
    from bascule.organisation.selectors import StructureIndex
    from bascule.programmes.leads import LEAD_MAX_CHARS, parse_lead

    index = StructureIndex()
    unit = " ".join(pieces) + " "
    small = (unit * max(1, 240 // len(unit)))[:240]
    large = (small * 4)[: LEAD_MAX_CHARS - 40]
    assert _growth(lambda text: parse_lead(text, index), small, large) < 9
