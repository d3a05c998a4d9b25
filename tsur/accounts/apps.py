from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tsur.accounts"
    verbose_name = "Пользователи и роли"


class LoginThrottleConfig(AxesAppConfig):
    """django-axes under a Russian name in the admin (its log of failed logins and lockouts)."""

    verbose_name = "Блокировка входа"
