"""Who may do what with a knowledge-base article (issue 24): writers draft, level 3 publishes, and a published
article — what readers and the anonymous FAQ trust — is changed only by level 3. A matrix: every user of the desk ×
a published public article, a published internal one and a draft, through the abilities, the service and the page."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from bascule.assistance import knowledge
from bascule.assistance.models import Article, Audience, Review

pytestmark = pytest.mark.django_db

# user → (view a draft, change a draft, change what is published, publish)
MATRIX = {
    "national": (True, True, True, True),
    "cpu": (True, True, True, True),  # the project team: level 3 of the programme
    "lead_bzh": (True, True, False, False),
    "referent_29": (True, True, False, False),
    "proximity": (True, True, False, False),  # level 1 (the probe's « proximite »)
    "pole_agent": (True, True, False, False),  # level 2
    "lead_nor": (True, True, False, False),
    "reader_bzh": (False, False, False, False),
    "nobody": (False, False, False, False),
}


def _articles(desk):
    internal = knowledge.article_create(
        by=desk.national,
        programme=desk.programme,
        question="Saisir un engagement juridique",
        answer="<p>Interne.</p>",
        audience=Audience.INTERNAL,
        review=Review.PUBLISHED,
    )
    draft = knowledge.article_create(
        by=desk.proximity, programme=desk.programme, question="Brouillon", answer="<p>À relire.</p>"
    )
    return {"public": desk.article, "internal": internal, "draft": draft}


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_article_abilities_matrix(desk, name):
    user = getattr(desk, name)
    articles = _articles(desk)
    view_draft, change_draft, change_published, publish = MATRIX[name]
    draft = articles["draft"].get_abilities(user)
    assert (draft["view"], draft["change"], draft["publish"]) == (view_draft, change_draft, publish)
    assert (Article.objects.visible_to(user).filter(pk=articles["draft"].pk).exists()) == view_draft
    for key in ("public", "internal"):
        abilities = articles[key].get_abilities(user)
        assert abilities["change"] == change_published, key
        assert abilities["publish"] == publish, key


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_nobody_but_level_3_rewrites_or_widens_a_published_article(desk, client, name):
    """The probe's attack, through the page and the service: a new answer, audience public, review published."""
    user = getattr(desk, name)
    articles = _articles(desk)
    _, _, change_published, _ = MATRIX[name]
    client.force_login(user)
    for key in ("public", "internal"):
        article = Article.objects.get(pk=articles[key].pk)
        response = client.post(
            reverse("assistance:article_edit", kwargs={"article_id": article.pk}),
            {
                "version": article.version,
                "question": article.question,
                "answer": "<p>Réécrit par un pirate.</p>",
                "audience": Audience.PUBLIC,
                "review": Review.PUBLISHED,
            },
        )
        after = Article.objects.get(pk=article.pk)
        if change_published:
            assert response.status_code == 302, key
            assert "pirate" in after.answer and after.audience == Audience.PUBLIC
            continue
        assert response.status_code in (403, 404), (key, response.status_code)
        assert (after.answer, after.audience, after.version) == (
            article.answer,
            article.audience,
            article.version,
        )
        with pytest.raises(PermissionDenied):
            knowledge.article_update(
                by=user, article=article, version=article.version, answer="<p>pirate</p>", audience="public"
            )
    faq = client.get(reverse("assistance:faq_public", kwargs={"programme_id": desk.programme.pk}))
    assert ("pirate" in faq.content.decode()) == change_published


def test_a_writer_edits_a_draft_but_only_level_3_publishes_it(desk):
    draft = _articles(desk)["draft"]
    edited = knowledge.article_update(
        by=desk.proximity,
        article=draft,
        version=draft.version,
        answer="<p>Mieux.</p>",
        review=Review.IN_REVIEW,
    )
    assert edited.review == Review.IN_REVIEW
    with pytest.raises(PermissionDenied, match="niveau 3"):
        knowledge.article_update(
            by=desk.pole_agent, article=edited, version=edited.version, review="published"
        )
    published = knowledge.article_update(
        by=desk.cpu, article=edited, version=edited.version, review="published"
    )
    assert published.review == Review.PUBLISHED
    # Once published, level 1 can no longer change it, not even to send it back to review.
    with pytest.raises(PermissionDenied, match="niveau 3"):
        knowledge.article_update(
            by=desk.proximity, article=published, version=published.version, review="draft"
        )
