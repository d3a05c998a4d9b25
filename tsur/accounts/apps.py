from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    # Two configs live here (LoginThrottleConfig is django-axes'): without `default` Django would
    # pick neither and show the app as «Accounts».
    default = True
    name = "tsur.accounts"
    verbose_name = "Пользователи и роли"


class LoginThrottleConfig(AxesAppConfig):
    """django-axes under a Russian name in the admin (its log of failed logins and lockouts)."""

    verbose_name = "Блокировка входа"
