from django.contrib.auth.models import AbstractUser
from django.db import models

from bascule.core.models import SingleLineFields


class User(SingleLineFields, AbstractUser):
    """A login. What the user may see comes from the assignments of the person linked to it (organisation)."""

    no_history = "a login: what it may do comes from its person's assignments, which are historised; failed logins are logged by django-axes"

    daily_digest = models.BooleanField(
        "résumé quotidien par courriel",
        default=True,
        help_text="Actions en retard ou proches de leur échéance, et mises à jour demandées.",
    )

    class Meta(AbstractUser.Meta):
        verbose_name = "compte utilisateur"
        verbose_name_plural = "comptes utilisateurs"

    def __str__(self) -> str:
        return self.get_full_name() or self.username
