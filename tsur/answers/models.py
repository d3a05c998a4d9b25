"""Answers to appeals, answer templates, ratings and extension requests."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from tsur.appeals.models import Appeal
from tsur.core import clock
from tsur.directory.models import Block, Category


class Answer(models.Model):
    class Kind(models.TextChoices):
        INTERIM = "interim", "Промежуточный ответ"
        FINAL = "final", "Ответ по существу"

    class Check(models.TextChoices):
        PENDING = "pending", "на проверке"
        APPROVED = "approved", "одобрен ЦУР"
        RETURNED = "returned", "возвращён на доработку"
        NOT_REQUIRED = "not_required", "проверка не требуется"

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="answers")
    kind = models.CharField("вид", max_length=10, choices=Kind.choices)
    text = models.TextField("текст ответа")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    organisation_name = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    check_state = models.CharField(max_length=16, choices=Check.choices, default=Check.PENDING)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    check_note = models.TextField(blank=True)
    # Findings of the automatic check for formal replies («отписки»), shown to the checking operator.
    formal_findings = models.JSONField(default=list, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Set when the resident was pseudonymised and the text masked (tsur.answers.retention).
    pd_purged_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "ответ"
        verbose_name_plural = "ответы"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} по {self.appeal}"


class AnswerTemplate(models.Model):
    code = models.SlugField("код", max_length=64, unique=True)
    name = models.CharField("название", max_length=200)
    kind = models.CharField("вид", max_length=10, choices=Answer.Kind.choices, default=Answer.Kind.FINAL)
    block = models.ForeignKey(Block, verbose_name="блок", null=True, blank=True, on_delete=models.SET_NULL)
    # Offered first for appeals of these categories (then the block's, then the general ones).
    categories = models.ManyToManyField(
        Category, verbose_name="категории", blank=True, related_name="answer_templates",
        help_text="Шаблон предлагается первым для обращений этих категорий.",
    )
    text = models.TextField(
        "текст",
        help_text="Подстановки: {number}, {address}, {organisation}, {received}. "
        "Поля для исполнителя — в квадратных скобках: [дата], [что будет сделано]; "
        "ответ с незаполненными полями не отправляется.",
    )
    is_active = models.BooleanField("действует", default=True)

    class Meta:
        verbose_name = "шаблон ответа"
        verbose_name_plural = "шаблоны ответов"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def answer_file_path(instance: AnswerAttachment, filename: str) -> str:
    # Never keep the uploaded file's name in the path: it can carry personal data.
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}.get(instance.content_type, "bin")
    return f"answer_files/{clock.now():%Y/%m}/{secrets.token_hex(16)}.{ext}"


class AnswerAttachment(models.Model):
    """Evidence of the work attached to an answer: a photo or a PDF act (checked by content)."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=answer_file_path)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "вложение к ответу"
        verbose_name_plural = "вложения к ответам"
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Вложение {self.pk} к ответу {self.answer_id}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Rating(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="ratings")
    answer = models.ForeignKey(Answer, null=True, on_delete=models.SET_NULL, related_name="ratings")
    score = models.PositiveSmallIntegerField("оценка")
    comment = models.TextField("комментарий", blank=True)
    created_at = models.DateTimeField(default=clock.now)
    # Set when the resident was pseudonymised and the comment masked (tsur.answers.retention).
    pd_purged_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "оценка жителя"
        verbose_name_plural = "оценки жителей"
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_1_5")]

    def __str__(self) -> str:
        return f"{self.score} — {self.appeal}"


class ExtensionRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "на рассмотрении"
        GRANTED = "granted", "продлено"
        DENIED = "denied", "отказано"

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="extension_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    days = models.PositiveIntegerField("на сколько дней")
    reason = models.TextField("обоснование")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "запрос продления"
        verbose_name_plural = "запросы продления"

    def __str__(self) -> str:
        return f"Продление на {self.days} дн. — {self.appeal}"
