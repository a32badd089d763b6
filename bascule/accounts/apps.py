from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "bascule.accounts"
    label = "accounts"
    verbose_name = "Comptes"
