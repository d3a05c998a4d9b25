"""Who a user is in the platform: one role, scoped to an organisation or a territory queue."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from tsur.directory.models import Organisation, Queue


class Role(models.TextChoices):
    RESIDENT = "resident", "Житель"
    REGIONAL_OPERATOR = "regional_operator", "Оператор ЦУР"
    MUNICIPAL_OPERATOR = "municipal_operator", "Муниципальный оператор"
    COORDINATOR = "coordinator", "Координатор организации"
    EXECUTOR = "executor", "Исполнитель"
    ANALYST = "analyst", "Аналитик"
    ADMINISTRATOR = "administrator", "Администратор"


class Membership(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField("роль", max_length=32, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name="организация", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    queue = models.ForeignKey(
        Queue, verbose_name="территориальная очередь", null=True, blank=True, on_delete=models.PROTECT, related_name="operators"
    )
    # Signals (hand-overs, mentions, deadlines) also by e-mail; off unless the user turns it on.
    signals_by_email = models.BooleanField("присылать сигналы на e-mail", default=False)

    class Meta:
        verbose_name = "роль пользователя"
        verbose_name_plural = "роли пользователей"

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        if self.role == Role.ADMINISTRATOR and not (self.user.is_staff and self.user.is_superuser):
            # Administrators configure everything in the Django admin.
            type(self.user).objects.filter(pk=self.user_id).update(is_staff=True, is_superuser=True)
            self.user.is_staff = self.user.is_superuser = True

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.role in (Role.COORDINATOR, Role.EXECUTOR) and not self.organisation_id:
            raise ValidationError({"organisation": "Координатор и исполнитель должны принадлежать организации."})
        if self.role == Role.MUNICIPAL_OPERATOR and not self.queue_id:
            raise ValidationError({"queue": "Муниципальному оператору нужна территориальная очередь."})


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Scope(models.TextChoices):
    """What an API key may be used for. A key carries its user's role and scope only within these:
    an Open311 client's key cannot read a card or reject an appeal, whoever it was issued to."""

    OPEN311 = "open311", "Open311: подача заявок"
    INTAKE = "intake", "Подача обращений через API"
    RESIDENT = "resident", "Житель: свои обращения и оценки"
    STAFF_READ = "staff_read", "Сотрудник: список и карточки обращений, справочники"
    STAFF_WRITE = "staff_write", "Сотрудник: действия с обращениями"


def default_scopes() -> list[str]:
    return [Scope.OPEN311, Scope.INTAKE]


class ApiToken(models.Model):
    """A bearer token for the mobile app and integrations (also the Open311 api_key).
    Only a hash is stored; the raw key is shown once when it is issued."""

    name = models.CharField("назначение", max_length=120)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="пользователь", on_delete=models.CASCADE, related_name="api_tokens")
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(
        "разрешено", default=default_scopes, help_text="Для чего может использоваться ключ (в пределах роли пользователя)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField("действует", default=True)

    class Meta:
        verbose_name = "API-ключ"
        verbose_name_plural = "API-ключи"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user, name: str, raw: str | None = None, *, scopes: list[str] | None = None) -> tuple[ApiToken, str]:
        raw = raw or "tsur_" + secrets.token_urlsafe(32)
        scopes = list(default_scopes() if scopes is None else scopes)
        unknown = set(scopes) - set(Scope.values)
        if unknown:
            raise ValueError(f"unknown API key scopes: {sorted(unknown)}")
        token = cls.objects.create(name=name, user=user, prefix=raw[:12], key_hash=_hash_key(raw), scopes=scopes)
        return token, raw

    @classmethod
    def find(cls, raw: str | None) -> ApiToken | None:
        """The active token with this raw key (of an active user), its use recorded; else None."""
        if not raw:
            return None
        token = cls.objects.select_related("user").filter(key_hash=_hash_key(raw), is_active=True).first()
        if token is None or not token.user.is_active:
            return None
        cls.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token

    @classmethod
    def authenticate(cls, raw: str | None, scope: str | None = None):
        """The token's user if the key is valid (and carries `scope`, when given); else None."""
        token = cls.find(raw)
        if token is None or (scope is not None and not token.allows(scope)):
            return None
        return token.user

    def allows(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    def scope_labels(self) -> str:
        labels = dict(Scope.choices)
        return ", ".join(labels.get(s, s) for s in self.scopes or []) or "ничего"
