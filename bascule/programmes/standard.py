"""The seven standard workstreams of an information-system deployment (domain.md §3), as a ready template."""

from typing import Any

STANDARD_WORKSTREAMS: list[dict[str, Any]] = [
    {
        "number": 1,
        "name": "Organisation dans le nouveau système",
        "description": "Modéliser acteurs, rôles et circuits ; présenter l'organisation cible ; encadrer la relation avec le centre de services partagés par un contrat de service.",
        "lead_role": "Valider ou amender les propositions nationales, informer localement.",
        "prerequisites": [],
        "milestones": ["Organisation cible présentée", "Contrat de service signé"],
        "deliverables": ["Cartographie des acteurs et des circuits", "Contrat de service"],
    },
    {
        "number": 2,
        "name": "Paramétrage organisationnel et des utilisateurs",
        "description": "Recueillir les paramètres d'organisation et les profils des utilisateurs, générer et transmettre les habilitations.",
        "lead_role": "Coordonner le recueil.",
        "prerequisites": [1],
        "milestones": ["Recueil des profils terminé", "Habilitations transmises"],
        "deliverables": ["Fichier des paramètres organisationnels", "Fichier des profils utilisateurs"],
    },
    {
        "number": 3,
        "name": "Reprise des données",
        "description": "Inventorier, fiabiliser et compléter les données à reprendre (engagements juridiques, tiers).",
        "lead_role": "Piloter la reprise et déposer les livrables.",
        "prerequisites": [2],
        "milestones": ["Inventaire des EJ terminé", "Reprise validée"],
        "deliverables": ["Inventaire des engagements juridiques", "Fichier des tiers fiabilisé"],
    },
    {
        "number": 4,
        "name": "Formation",
        "description": "Recenser les utilisateurs à former, organiser salles, logistique et formateurs, en trois étapes.",
        "lead_role": "Piloter le recensement.",
        "prerequisites": [],
        "milestones": ["Recensement terminé", "Sessions de l'étape 3 réalisées"],
        "deliverables": ["Recensement des utilisateurs à former", "Calendrier des sessions"],
    },
    {
        "number": 5,
        "name": "Raccordement technique",
        "description": "Raccorder chaque poste de travail aux outils de déploiement et au système.",
        "lead_role": "Veiller au raccordement.",
        "prerequisites": [],
        "milestones": ["Postes raccordés"],
        "deliverables": ["État des raccordements"],
    },
    {
        "number": 6,
        "name": "Accompagnement de la bascule",
        "description": "Mettre en place le réseau régional des correspondants d'assistance.",
        "lead_role": "Mettre en place le réseau.",
        "prerequisites": [],
        "milestones": ["Réseau d'assistance en place"],
        "deliverables": ["Annuaire des correspondants d'assistance"],
    },
    {
        "number": 7,
        "name": "Interfaces avec les applications métier",
        "description": "Adapter les interfaces des applications métier ; piloté au niveau national.",
        "lead_role": "Suivre les travaux nationaux.",
        "prerequisites": [],
        "milestones": ["Interfaces recettées"],
        "deliverables": ["Dossier de recette des interfaces"],
    },
]
