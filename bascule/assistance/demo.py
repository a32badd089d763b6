"""Demo support desk: the demo programme's service levels, a project mailbox per demo region, a knowledge base
(internal articles, a public FAQ, drafts to review), an anomaly, and several hundred tickets of the last weeks in
every state and level — solved on the phone, answered at level 1, escalated to the support pole and to the project
team, waiting for their requester, closed with a satisfaction score, late — written through the services.

Two more demo accounts show the levels: « proximite » (proximity referent of the DDTM du Finistère) and « pole »
(agent of Bretagne's support pole); password « demo »."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from bascule.assistance import knowledge, operations, services
from bascule.assistance.models import (
    Anomaly,
    AnomalyStatus,
    Audience,
    Category,
    Channel,
    Priority,
    Review,
    Ticket,
    TicketStatus,
)
from bascule.core.system import SYSTEM
from bascule.organisation.models import Person, Structure
from bascule.programmes.models import Programme, WorkstreamTemplate

CODE = "CHORUS-MAP"
REGIONS = ("R53", "R28", "R52")
TICKETS = 320
SEED = 9
ARTICLES = [
    (
        3,
        "Comment retrouver un engagement juridique non repris ?",
        "<p>Consultez le tableau de bord de la reprise : la ligne figure parmi les <strong>lignes à ressaisir</strong> de votre centre financier. Ressaisissez-la dans Chorus puis notez son numéro dans Bascule.</p>",
        Audience.PUBLIC,
    ),
    (
        3,
        "Pourquoi une facture est-elle rejetée pour un tiers sans SIRET ?",
        "<p>Le tiers doit porter un SIRET valide. Demandez sa fiabilisation au pôle de diffusion en joignant l'avis de situation SIRENE.</p>",
        Audience.PUBLIC,
    ),
    (
        2,
        "Réinitialiser son mot de passe Chorus",
        "<p>Utilisez le lien « mot de passe oublié » de la page de connexion. Si votre compte est bloqué, votre correspondant de proximité demande sa réinitialisation.</p>",
        Audience.PUBLIC,
    ),
    (
        2,
        "Obtenir une habilitation à un nouveau profil",
        "<p>La demande est faite par votre référent : il la saisit dans le fichier des profils utilisateurs, validé par le responsable régional.</p>",
        Audience.INTERNAL,
    ),
    (
        4,
        "S'inscrire à une session de formation de l'étape 3",
        "<p>Les inscriptions passent par le recensement de votre région : votre invitation arrive par courriel avec le fichier d'agenda.</p>",
        Audience.PUBLIC,
    ),
    (
        5,
        "Le poste de travail n'accède pas à Chorus",
        "<p>Vérifiez le raccordement du poste (navigateur à jour, certificat installé). Sinon, ouvrez un ticket en précisant le numéro d'inventaire du poste.</p>",
        Audience.PUBLIC,
    ),
    (
        1,
        "Qui valide le circuit de validation de mon service ?",
        "<p>Le circuit est proposé nationalement et validé par le responsable déploiement régional après échange avec le centre de services partagés.</p>",
        Audience.INTERNAL,
    ),
    (
        6,
        "Qui contacter le jour de la bascule ?",
        "<p>Votre référent de proximité d'abord (niveau 1) ; il escalade au pôle de diffusion de la région si besoin.</p>",
        Audience.PUBLIC,
    ),
    (
        3,
        "Une facture saisie deux fois après la reprise",
        "<p>Signalez-la immédiatement : le doublon est annulé par le centre de services partagés, jamais par le service.</p>",
        Audience.INTERNAL,
    ),
    (
        7,
        "L'interface avec l'application métier ne transmet plus",
        "<p>Anomalie connue suivie par l'équipe projet : les flux sont rejoués chaque nuit jusqu'au correctif.</p>",
        Audience.INTERNAL,
    ),
]
QUESTIONS = [
    (
        3,
        Category.DATA,
        "EJ absent après la reprise",
        "L'engagement 2100045{n} n'apparaît pas dans Chorus après la reprise. Pouvez-vous vérifier ?",
    ),
    (
        3,
        Category.DATA,
        "Tiers sans SIRET bloquant",
        "Le tiers de la facture {n} n'a pas de SIRET, la facture est rejetée.",
    ),
    (
        2,
        Category.ACCESS,
        "Mot de passe bloqué",
        "Je n'arrive plus à me connecter, mon compte semble bloqué depuis ce matin.",
    ),
    (
        2,
        Category.ACCESS,
        "Habilitation manquante",
        "Il me manque le profil de valideur pour les demandes d'achat du service.",
    ),
    (
        4,
        Category.QUESTION,
        "Inscription formation étape 3",
        "Comment inscrire deux agents arrivés ce mois-ci à la formation outil ?",
    ),
    (
        5,
        Category.INCIDENT,
        "Poste sans accès",
        "Le poste n° {n} n'accède pas à l'application, message de certificat.",
    ),
    (
        1,
        Category.QUESTION,
        "Circuit de validation",
        "Qui valide le circuit de validation proposé pour notre direction ?",
    ),
    (
        6,
        Category.QUESTION,
        "Contact le jour de la bascule",
        "Qui devons-nous appeler le jour de la bascule en cas de blocage ?",
    ),
    (
        7,
        Category.INCIDENT,
        "Interface métier en erreur",
        "L'interface avec notre application métier renvoie une erreur depuis hier soir.",
    ),
    (
        3,
        Category.DATA,
        "Facture en double",
        "Une facture apparaît deux fois après la reprise, montant {n} euros.",
    ),
]


def _ticket(
    rng: random.Random,
    programme: Programme,
    templates: dict[int, WorkstreamTemplate],
    people: list[Person],
    at: datetime,
    index: int,
    anomaly: Anomaly,
) -> None:
    number, category, subject, body = rng.choice(QUESTIONS)
    person = rng.choice(people)
    channel = rng.choice([Channel.EMAIL, Channel.EMAIL, Channel.PHONE, Channel.WEB])
    fate = rng.random()
    ticket = services.ticket_create(
        by=SYSTEM,
        programme=programme,
        subject=subject,
        body=body.format(n=1000 + index),
        requester=person,
        channel=channel,
        category=category,
        priority=rng.choice(list(Priority.values)),
        workstream=templates.get(number) if rng.random() > 0.15 else None,
        solved_on_phone=channel == Channel.PHONE and fate < 0.5,
        now=at,
    )
    if ticket.solved_on_phone:
        return
    step = at + timedelta(hours=rng.randint(1, 6))
    if fate < 0.25:
        return  # still new
    if fate < 0.35:
        services.ticket_reply(
            by=SYSTEM,
            ticket=ticket,
            version=ticket.version,
            body="Pouvez-vous préciser le numéro concerné ?",
            then=TicketStatus.WAITING,
            now=step,
        )
        return
    if fate < 0.65:
        ticket = services.ticket_reply(
            by=SYSTEM,
            ticket=ticket,
            version=ticket.version,
            body="Voici la marche à suivre : consultez l'article de la base de connaissances correspondant.",
            then=TicketStatus.SOLVED,
            now=step,
        )
    else:
        ticket = services.ticket_escalate(
            by=SYSTEM,
            ticket=ticket,
            version=ticket.version,
            diagnosis="Vérifications faites au niveau 1 : le problème dépasse la proximité.",
            now=step,
        )
        step += timedelta(hours=rng.randint(2, 30))
        if fate < 0.75:
            return  # waiting at level 2
        if fate > 0.9:
            ticket = services.ticket_escalate(
                by=SYSTEM,
                ticket=ticket,
                version=ticket.version,
                diagnosis="Le pôle de diffusion a reproduit le problème : anomalie probable.",
                now=step,
            )
            ticket = services.ticket_link_anomaly(
                by=SYSTEM, ticket=ticket, version=ticket.version, anomaly=anomaly
            )  # type: ignore[arg-type]
            step += timedelta(hours=rng.randint(2, 30))
            if fate < 0.95:
                return  # at level 3
        ticket = services.ticket_answer_down(
            by=SYSTEM,
            ticket=ticket,
            version=ticket.version,
            body="Réponse du niveau supérieur : la correction est faite, le demandeur peut réessayer.",
            now=step,
        )
        step += timedelta(hours=rng.randint(1, 8))
        ticket = services.ticket_reply(
            by=SYSTEM,
            ticket=ticket,
            version=ticket.version,
            body="La correction est faite : vous pouvez réessayer.",
            then=TicketStatus.SOLVED,
            now=step,
        )
    if rng.random() < 0.6:
        ticket = services.ticket_close(
            by=SYSTEM, ticket=ticket, version=ticket.version, now=step + timedelta(days=2)
        )
        Ticket.objects.filter(pk=ticket.pk).update(satisfaction=rng.choice([3, 4, 4, 5, 5, 5, 2]))


@transaction.atomic
def load_demo() -> list[str]:
    programme = Programme.objects.filter(code=CODE).select_related("owner").first()
    if programme is None:
        return ["Assistance de démonstration : pas de programme de démonstration, rien à faire."]
    if Ticket.objects.filter(programme=programme).exists():
        return [
            "Assistance de démonstration déjà présente : conservée telle quelle (comptes « proximite » et « pole »)."
        ]
    templates = {t.number: t for t in WorkstreamTemplate.objects.filter(programme=programme)}
    rng = random.Random(SEED)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        operations.policy_save(by=SYSTEM, programme=programme, version=None)
        for code in REGIONS:
            region = Structure.objects.filter(code=code).first()
            if region is not None:
                operations.mailbox_create(
                    by=SYSTEM,
                    programme=programme,
                    structure=region,
                    address=f"assistance-chorus-{code.lower()}@demo.gouv.fr",
                    host="127.0.0.1",
                    port=10143,
                    use_ssl=False,
                    username=f"assistance-{code.lower()}",
                    password="demo",  # noqa: S106 - demo data only
                    active=False,
                )
        for number, question, answer, audience in ARTICLES:
            knowledge.article_create(
                by=SYSTEM,
                programme=programme,
                question=question,
                answer=answer,
                workstreams=[templates[number]] if number in templates else [],
                audience=audience,
                review=Review.PUBLISHED,
            )
        knowledge.article_create(
            by=SYSTEM,
            programme=programme,
            question="Clôturer un EJ soldé avant la bascule",
            answer="<p>À rédiger à partir des tickets du chantier 3.</p>",
            review=Review.IN_REVIEW,
        )
        anomaly = operations.anomaly_create(
            by=SYSTEM,
            programme=programme,
            title="Flux de l'interface métier rejeté la nuit",
            description="Les flux de plus de 500 lignes sont rejetés par le connecteur.",
        )
        people = list(
            Person.objects.filter(
                structure__path__startswith=Structure.objects.get(code="R53").path
            ).select_related("structure")[:60]
        ) + list(
            Person.objects.filter(structure__code__in=["DDTM-14", "DDT-61", "DDTM-35"]).select_related(
                "structure"
            )[:30]
        )
        now = timezone.now()
        for index in range(TICKETS):
            at = now - timedelta(days=rng.uniform(0, 45), hours=rng.uniform(0, 8))
            _ticket(rng, programme, templates, people, at, index, anomaly)
        anomaly = type(anomaly).objects.get(pk=anomaly.pk)
        operations.anomaly_update(
            by=SYSTEM, anomaly=anomaly, version=anomaly.version, status=AnomalyStatus.FIXING
        )
        for query in ("bascule budgetaire", "avance de trésorerie", "avance de tresorerie"):
            knowledge.search_miss_record(programme=programme, query=query)
        watched = operations.deadlines_watch(now=now)
    count = Ticket.objects.filter(programme=programme).count()
    return [f"Assistance : {count} tickets, {len(ARTICLES) + 1} articles, 1 anomalie ; {watched}."]
