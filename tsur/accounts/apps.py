from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tsur.accounts"
    verbose_name = "Пользователи и роли"
