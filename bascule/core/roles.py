"""The roles people hold through assignments, and what each role may do on its perimeter.

Shared by every module: the organisation referential stores assignments, the perimeter logic reads them.
"""

from django.db import models


class Role(models.TextChoices):
    NATIONAL_STEERING = "national_steering", "Pilotage national"
    REGIONAL_LEAD = "regional_lead", "Responsable déploiement régional"
    DEPARTMENTAL_REFERENT = "departmental_referent", "Référent départemental"
    CENTRE_HEAD = "centre_head", "Chef de centre de services partagés"
    CENTRE_DEPUTY = "centre_deputy", "Adjoint au chef de centre"
    SERVICE_AGENT = "service_agent", "Chargé de prestations"
    BUSINESS_REFERENT = "business_referent", "Référent métier"
    PROXIMITY_REFERENT = "proximity_referent", "Référent de proximité / CFA"
    SUPPORT_POLE_AGENT = "support_pole_agent", "Agent du pôle de diffusion"
    TRAINER = "trainer", "Formateur"
    CPU = "cpu", "Chef de projet utilisateur (CPU)"
    CPI = "cpi", "Chef de projet informatique (CPI)"
    READER = "reader", "Lecteur"


# National steering sees and edits everything, wherever its assignment sits.
GLOBAL_ROLES = frozenset({Role.NATIONAL_STEERING})
# These roles edit their perimeter; every other role only reads it.
EDITOR_ROLES = frozenset(
    {
        Role.NATIONAL_STEERING,
        Role.REGIONAL_LEAD,
        Role.DEPARTMENTAL_REFERENT,
        Role.CENTRE_HEAD,
        Role.CENTRE_DEPUTY,
    }
)

# The perimeter an assignment gives (built-in roles: SUBTREE; national steering is global by GLOBAL_ROLES). Roles
# added to the catalogue (organisation.RoleDefinition) choose one; they read, they never edit.
EVERYWHERE = "global"
SUBTREE = "subtree"
STRUCTURE_ONLY = "structure"
SCOPE_CHOICES = (
    (EVERYWHERE, "Toute l'organisation (lecture)"),
    (SUBTREE, "La structure et ses sous-structures"),
    (STRUCTURE_ONLY, "La structure seule"),
)
