from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A login. What the user may see comes from the assignments of the person linked to it (organisation)."""

    class Meta(AbstractUser.Meta):
        verbose_name = "compte utilisateur"
        verbose_name_plural = "comptes utilisateurs"

    def __str__(self) -> str:
        return self.get_full_name() or self.username
