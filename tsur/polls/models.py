"""Polls of the population as the platform keeps them.

- `Poll`: what operators build (questions, targeting by territory and dates, how a voter is
  verified), its status (draft → published → closed) changed only by `tsur.polls.services`.
  A follow-up poll after a fix names its subject: an appeal, a problem (through its lead appeal)
  or a point of tension (an id and a label: tension sits above polls, so no foreign key).
- `Question`, `Option`: single or multiple choice, a scale, free text.
- `Ballot`, `Answer`: one vote. A ballot carries no name, phone, e-mail or user id; its
  `voter_key` is an HMAC of the verified identity keyed by the secret key and the poll's id, so one
  resident votes once in a poll, the same resident cannot be followed from one poll to another,
  and nobody holding the database alone can tell who voted.
- `VerificationCode`: a one-time code sent to a phone or an e-mail; only HMACs of the contact and
  of the code are stored.
- `Invitation`: a link sent to a resident who wrote about the subject of a follow-up poll; the
  link's token verifies its bearer (only its hash is stored).
- `PollEvent`: the audit of every change made through the services.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from tsur.appeals.models import Appeal, Problem
from tsur.core import clock
from tsur.directory.models import Territory

TEXT_ANSWER_MAX = 2000


def new_public_token() -> str:
    # The poll's address in links and the widget: short, unguessable (draft polls are not listed).
    return secrets.token_urlsafe(9)


class Kind(models.TextChoices):
    REGULAR = "regular", "Опрос"
    FOLLOWUP = "followup", "Проверка решения проблемы"


class Status(models.TextChoices):
    DRAFT = "draft", "Черновик"
    PUBLISHED = "published", "Опубликован"
    CLOSED = "closed", "Завершён"


class Verification(models.TextChoices):
    ACCOUNT = "account", "Учётная запись жителя"
    CODE = "code", "Одноразовый код на телефон или e-mail"
    ACCOUNT_OR_CODE = "account_or_code", "Учётная запись или одноразовый код"


class Audience(models.TextChoices):
    EVERYONE = "everyone", "Все жители территории"
    INVITED = "invited", "Только приглашённые по ссылке"


class Channel(models.TextChoices):
    WIDGET = "widget", "Виджет и страница опроса"
    APP = "app", "Мобильное приложение"
    LINK = "link", "Ссылка в сообществах"
    FOLLOWUP = "followup", "Приглашение после решения"


class Poll(models.Model):
    title = models.CharField("название", max_length=200)
    description = models.TextField("описание", blank=True)
    kind = models.CharField("вид", max_length=16, choices=Kind.choices, default=Kind.REGULAR)
    status = models.CharField("статус", max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    token = models.CharField("адрес опроса", max_length=24, unique=True, default=new_public_token, editable=False)
    # Empty: the whole region. A territory includes everything under it (its children's children).
    territories = models.ManyToManyField(Territory, verbose_name="территории", blank=True, related_name="polls")
    starts_at = models.DateTimeField("начало", null=True, blank=True)  # None: from publication
    ends_at = models.DateTimeField("окончание", null=True, blank=True)  # None: until closed
    verification = models.CharField("подтверждение голоса", max_length=16, choices=Verification.choices, default=Verification.ACCOUNT_OR_CODE)
    audience = models.CharField("кто может голосовать", max_length=16, choices=Audience.choices, default=Audience.EVERYONE)
    show_results = models.BooleanField("показывать итоги проголосовавшим", default=True)

    # A follow-up poll's subject: one of them.
    subject_appeal = models.ForeignKey(Appeal, verbose_name="обращение", null=True, blank=True, on_delete=models.PROTECT, related_name="polls")
    subject_problem = models.ForeignKey(Problem, verbose_name="проблема", null=True, blank=True, on_delete=models.PROTECT, related_name="polls")
    subject_tension_point_id = models.PositiveBigIntegerField("точка напряжённости", null=True, blank=True)
    subject_label = models.CharField("предмет опроса", max_length=300, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="автор", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("создан", default=clock.now)
    updated_at = models.DateTimeField("изменён", default=clock.now)
    published_at = models.DateTimeField("опубликован", null=True, blank=True)
    closed_at = models.DateTimeField("завершён", null=True, blank=True)

    class Meta:
        verbose_name = "опрос"
        verbose_name_plural = "опросы"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE = "single", "Один вариант"
    MULTIPLE = "multiple", "Несколько вариантов"
    SCALE = "scale", "Шкала"
    TEXT = "text", "Свободный ответ"


class Question(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField("порядок", default=0)
    kind = models.CharField("вид", max_length=16, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    text = models.CharField("вопрос", max_length=500)
    required = models.BooleanField("обязательный", default=True)
    # A multiple-choice question: at most this many options (None: any number).
    max_choices = models.PositiveSmallIntegerField("не более вариантов", null=True, blank=True)
    scale_min = models.SmallIntegerField("шкала от", default=1)
    scale_max = models.SmallIntegerField("шкала до", default=5)
    scale_min_label = models.CharField("подпись начала шкалы", max_length=100, blank=True)
    scale_max_label = models.CharField("подпись конца шкалы", max_length=100, blank=True)

    class Meta:
        verbose_name = "вопрос"
        verbose_name_plural = "вопросы"
        ordering = ["poll", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    order = models.PositiveIntegerField("порядок", default=0)
    text = models.CharField("вариант", max_length=300)

    class Meta:
        verbose_name = "вариант ответа"
        verbose_name_plural = "варианты ответа"
        ordering = ["question", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class Ballot(models.Model):
    """One vote. No personal data: the voter is known only by `voter_key` (see the module's note)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    territory = models.ForeignKey(Territory, verbose_name="территория", on_delete=models.PROTECT, related_name="+")
    voter_key = models.CharField(max_length=64, editable=False)
    channel = models.CharField("канал", max_length=16, choices=Channel.choices)
    cast_at = models.DateTimeField("время голоса", default=clock.now)

    class Meta:
        verbose_name = "бюллетень"
        verbose_name_plural = "бюллетени"
        constraints = [models.UniqueConstraint(fields=["poll", "voter_key"], name="polls_one_vote_per_voter")]
        indexes = [models.Index(fields=["poll", "territory"])]

    def __str__(self) -> str:
        return f"Бюллетень #{self.pk}"


class Answer(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    option = models.ForeignKey(Option, null=True, blank=True, on_delete=models.CASCADE, related_name="answers")
    value = models.SmallIntegerField(null=True, blank=True)  # a scale's answer
    text = models.TextField(blank=True)  # a free answer, personal data masked before it is stored

    class Meta:
        verbose_name = "ответ"
        verbose_name_plural = "ответы"
        indexes = [models.Index(fields=["question", "option"])]

    def __str__(self) -> str:
        return f"Ответ #{self.pk}"


class ContactKind(models.TextChoices):
    PHONE = "phone", "телефон"
    EMAIL = "email", "e-mail"


class VerificationCode(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="codes")
    contact_kind = models.CharField(max_length=8, choices=ContactKind.choices)
    contact_key = models.CharField(max_length=64, db_index=True)  # HMAC of the normalised contact
    code_hash = models.CharField(max_length=96)  # "salt$HMAC"
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "код подтверждения"
        verbose_name_plural = "коды подтверждения"
        indexes = [models.Index(fields=["poll", "contact_key", "created_at"])]

    def __str__(self) -> str:
        return f"Код #{self.pk}"


class Invitation(models.Model):
    """A follow-up poll's link for one resident who wrote about its subject."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="invitations")
    appeal = models.ForeignKey(Appeal, null=True, blank=True, on_delete=models.SET_NULL, related_name="poll_invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "приглашение в опрос"
        verbose_name_plural = "приглашения в опрос"

    def __str__(self) -> str:
        return f"Приглашение #{self.pk}"


class PollEvent(models.Model):
    """The audit: one row per change made through tsur.polls.services (never a contact)."""

    class Kind(models.TextChoices):
        CREATED = "created", "Опрос создан"
        EDITED = "edited", "Опрос изменён"
        QUESTION_SAVED = "question_saved", "Вопрос сохранён"
        QUESTION_DELETED = "question_deleted", "Вопрос удалён"
        PUBLISHED = "published", "Опрос опубликован"
        CLOSED = "closed", "Опрос завершён"
        CODE_SENT = "code_sent", "Код подтверждения отправлен"
        CODE_REFUSED = "code_refused", "Код подтверждения не принят"
        VOTE_CAST = "vote_cast", "Голос принят"
        INVITED = "invited", "Приглашение создано"
        ANNOUNCED = "announced", "Ссылка размещена в сообществах"
        FOLLOWUP_ANSWERED = "followup_answered", "Житель ответил на проверку решения"

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=clock.now)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "событие опроса"
        verbose_name_plural = "события опросов"
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["poll", "at"])]

    def __str__(self) -> str:
        return self.get_kind_display()


class Announcement(models.Model):
    """A published poll's link posted to one channel's community or chat (tsur.channels.polls).
    Written before it is sent, so a lost task is sent again by the sweeper; claimed by a
    conditional update. The channel is referenced by its configuration's code: channels sit above
    polls, and a key (not a foreign key) is how configuration is referenced across layers."""

    class State(models.TextChoices):
        PENDING = "pending", "Ожидает отправки"
        RETRYING = "retrying", "Повторная попытка"
        SENT = "sent", "Размещено"
        FAILED = "failed", "Не удалось разместить"

    poll = models.ForeignKey(Poll, verbose_name="опрос", on_delete=models.CASCADE, related_name="announcements")
    target = models.ForeignKey(
        "AnnouncementTarget", verbose_name="место размещения", null=True, on_delete=models.SET_NULL, related_name="announcements"
    )
    channel_code = models.SlugField("канал", max_length=64)
    place = models.JSONField("куда", default=dict)  # the target's place when the row was written
    text = models.TextField("текст")
    state = models.CharField("состояние", max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField("попыток", default=0)
    next_attempt_at = models.DateTimeField("следующая попытка", default=clock.now, db_index=True)
    claimed_until = models.DateTimeField("занято до", null=True, blank=True)
    claim_token = models.CharField("метка обработчика", max_length=32, blank=True)
    last_error = models.TextField("ошибка", blank=True)
    external_id = models.CharField("идентификатор публикации", max_length=200, blank=True)
    created_at = models.DateTimeField("создано", default=clock.now)
    sent_at = models.DateTimeField("размещено", null=True, blank=True)

    class Meta:
        verbose_name = "размещение опроса"
        verbose_name_plural = "размещения опросов"
        constraints = [models.UniqueConstraint(fields=["poll", "target"], name="polls_one_announcement_per_target")]

    def __str__(self) -> str:
        return f"{self.poll} → {self.channel_code}"


class FollowUp(models.Model):
    """One resident's follow-up after a fix (tsur.polls.followup): recorded when the appeal, its
    problem or a point of tension it is part of is resolved, sent by a background task (an
    invitation to the subject's follow-up poll, as a notification through the appeal's own path),
    then settled by the resident's answer. One per appeal and resolution: `round` is the appeal's
    reopen count when it was resolved, so a reopened and again resolved appeal is asked again."""

    class Source(models.TextChoices):
        APPEAL = "appeal", "Обращение закрыто"
        TENSION = "tension", "Точка напряжённости завершилась"
        OBJECTIVE = "objective", "Решение подтверждено объективным контролем"

    class State(models.TextChoices):
        PENDING = "pending", "Ожидает отправки"
        SENT = "sent", "Приглашение отправлено"
        SKIPPED = "skipped", "Не отправлялось"
        ANSWERED = "answered", "Житель ответил"

    class Outcome(models.TextChoices):
        YES = "yes", "Да, решена"
        PARTLY = "partly", "Частично"
        NO = "no", "Нет, не решена"

    appeal = models.ForeignKey(Appeal, verbose_name="обращение", on_delete=models.CASCADE, related_name="followups")
    round = models.PositiveSmallIntegerField("решение по счёту", default=0)
    source = models.CharField("повод", max_length=16, choices=Source.choices)
    subject_label = models.CharField("предмет", max_length=300, blank=True)
    tension_point_id = models.PositiveBigIntegerField("точка напряжённости", null=True, blank=True)
    state = models.CharField("состояние", max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    skip_reason = models.CharField("почему не отправлено", max_length=200, blank=True)
    poll = models.ForeignKey(Poll, verbose_name="опрос", null=True, blank=True, on_delete=models.SET_NULL, related_name="followups")
    invitation = models.OneToOneField(Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="followup")
    outcome = models.CharField("ответ жителя", max_length=8, choices=Outcome.choices, blank=True)
    reopened = models.BooleanField("обращение возобновлено", default=False)
    created_at = models.DateTimeField("создано", default=clock.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField("отправлено", null=True, blank=True)
    answered_at = models.DateTimeField("ответ получен", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "опрос после решения"
        verbose_name_plural = "опросы после решения"
        constraints = [models.UniqueConstraint(fields=["appeal", "round"], name="polls_one_followup_per_resolution")]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"Проверка решения #{self.pk}"


class FollowUpPoll(models.Model):
    """The one follow-up poll of a subject (an appeal's or a problem's resolution, a point of
    tension): the unique key makes two workers preparing the same subject share one poll."""

    subject_key = models.CharField(max_length=64, unique=True)
    poll = models.OneToOneField(Poll, on_delete=models.CASCADE, related_name="followup_subject")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "предмет опроса после решения"
        verbose_name_plural = "предметы опросов после решения"

    def __str__(self) -> str:
        return self.subject_key


class AnnouncementTarget(models.Model):
    """Where published polls are announced: one community wall or chat of a configured channel,
    named by the channel configuration's code; `place` is read by that channel's kind
    (ВКонтакте: {"group_id": 123}; Telegram: {"chat_id": -100123}). Configuration, edited in the admin."""

    name = models.CharField("название", max_length=200)
    channel_code = models.SlugField("код канала", max_length=64)
    place = models.JSONField("куда размещать", default=dict, blank=True)
    enabled = models.BooleanField("действует", default=True)
    # Only polls over these territories (or over the whole region) are announced here; empty: all.
    territories = models.ManyToManyField(Territory, verbose_name="территории", blank=True, related_name="+")

    class Meta:
        verbose_name = "место размещения опросов"
        verbose_name_plural = "места размещения опросов"
        constraints = [models.UniqueConstraint(fields=["channel_code", "name"], name="polls_target_unique_name")]

    def __str__(self) -> str:
        return self.name
