"""French full-text search on the database the suite runs on (SQLite FTS5, or PostgreSQL `bascule_french`):
accents and plurals do not matter, internal notes are never indexed, searches with no result are recorded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bascule.assistance import knowledge, search, selectors, services
from bascule.assistance.models import Article, Review, SearchMiss, Ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("reinitialiser", True),
        ("RÉINITIALISER", True),
        ("réinitialisation", True),
        ("factures", True),
        ("facture", True),
        ("mot de passe bloque", True),
        ("imprimante", False),
    ],
)
def test_accents_case_and_plurals_do_not_matter(world, query, found):
    ticket = services.ticket_create(
        by=world.national,
        programme=world.programme,
        subject="Réinitialiser le mot de passe",
        body="Mon compte est bloqué depuis la saisie d'une facture.",
        requester=world.person_bzh,
    )
    assert (ticket in search.search(Ticket.objects.all(), query)) is found


def test_articles_are_found_and_ranked(world):
    best = knowledge.article_create(
        by=world.national,
        programme=world.programme,
        question="Factures rejetées pour tiers sans SIRET",
        answer="<p>Une facture est rejetée quand le tiers n'a pas de SIRET : demandez la fiabilisation du tiers.</p>",
        review=Review.PUBLISHED,
    )
    other = knowledge.article_create(
        by=world.national,
        programme=world.programme,
        question="Former les agents",
        answer="<p>La formation évoque aussi une facture.</p>",
        review=Review.PUBLISHED,
    )
    found = search.search(Article.objects.all(), "facture rejetée tiers")
    assert found[0] == best and other not in found
    assert set(search.search(Article.objects.all(), "factures")) == {best, other}


def test_a_changed_article_is_found_by_its_new_words(world):
    article = world.article
    assert article in search.search(Article.objects.all(), "mot de passe")
    knowledge.article_update(
        by=world.national, article=article, version=article.version, question="Déverrouiller son compte"
    )
    assert article in search.search(Article.objects.all(), "deverrouiller")
    assert article not in search.search(Article.objects.all(), "reinitialiser")


def test_searches_without_result_are_recorded_once_per_normalised_query(world):
    for query in ("Avance de trésorerie", "avances de tresorerie", "AVANCE TRÉSORERIE"):
        result = selectors.kb_search(user=world.lead_bzh, query=query, programme=world.programme)
        assert result == {"articles": [], "tickets": []}
    misses = dict(SearchMiss.objects.values_list("query", "count"))
    assert misses == {
        " ".join(search.terms("avance de trésorerie")): 2,
        " ".join(search.terms("avance trésorerie")): 1,
    }


def test_a_regional_user_finds_only_the_tickets_of_their_perimeter(world):
    found = selectors.kb_search(user=world.lead_bzh, query="facture rejetee", programme=world.programme)
    assert world.ticket_bzh in found["tickets"] and world.ticket_nor not in found["tickets"]
    national = selectors.kb_search(user=world.national, query="facture rejetee", programme=world.programme)
    assert {world.ticket_bzh, world.ticket_nor} <= set(national["tickets"])


@given(st.text(max_size=60))
def test_any_query_is_answered_without_error(query):
    # Quotes, operators and stray punctuation are words or nothing, never FTS syntax.
    words = search.terms(query)
    assert all(w and '"' not in w for w in words)
    assert search._fts_query(query).count('"') == 2 * len(words)
    assert search._fts_query(query, match_any=True).count(" OR ") == max(len(words) - 1, 0)


def test_hostile_queries_reach_the_database_safely(world):
    for query in ['"', "AND OR NOT", "facture*", "a' OR 1=1 --", "NEAR(a b)", "-", "(((", "é" * 200]:
        search.search(Ticket.objects.all(), query)
        search.search(Article.objects.all(), query)


def test_reindexing_replaces_the_object_row(world):
    from django.db import connection

    ticket = world.ticket_bzh
    for _ in range(3):
        search.index_ticket(ticket)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM assistance_search WHERE ref = %s", [ticket.pk.hex])
            assert cursor.fetchone()[0] == 1
    assert search.search(Ticket.objects.all(), "facture rejetee").count(ticket) == 1


def test_a_long_question_is_suggested_the_articles_with_most_of_its_words(world):
    from bascule.assistance import selectors

    found = selectors.suggest(
        programme=world.programme,
        text="Bonjour, impossible de réinitialiser le mot de passe depuis hier soir",
    )
    assert found == [world.article]
    assert selectors.suggest(programme=world.programme, text="imprimante hors service") == []
