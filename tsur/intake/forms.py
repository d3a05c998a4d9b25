"""Forms of the public resident pages: the widget form, the status look-up and the rating.

The widget form carries its own anti-forgery token (see `issue_form_token`) instead of Django's
cookie-based CSRF token, because the widget lives in an iframe on other sites.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core import signing

from tsur.core import refcache
from tsur.core.forms import CleanTextForm
from tsur.directory.models import Block, Category, Territory
from tsur.directory.placement import PointCheck, check_point

FORM_TOKEN_SALT = "tsur.intake.widget-form"
# How long a rendered widget form stays valid; a resident writing a long text needs time.
DEFAULT_FORM_TOKEN_MAX_AGE = 6 * 3600

PHONE_RE = re.compile(r"^\+?[\d\s()\-]{5,31}$")
MUNICIPAL_LEVELS = (Territory.Level.CITY_DISTRICT, Territory.Level.MUNICIPAL_DISTRICT)


# --- the signed form token ------------------------------------------------------------------------


class FormTokenError(Exception):
    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.message = message
        self.expired = expired


def form_token_max_age() -> int:
    return int(getattr(settings, "TSUR_WIDGET_FORM_MAX_AGE", DEFAULT_FORM_TOKEN_MAX_AGE))


def issue_form_token() -> str:
    """A time-stamped, signed, single-form token.

    Why not Django's CSRF cookie: inside an iframe on an official site our cookies are third-party
    cookies. Browsers withhold SameSite=Lax cookies there, and SameSite=None needs Secure, which a
    plain-http deployment cannot set — so the cookie check would refuse every embedded submission.
    The widget never uses the session or a logged-in user, so a forged cross-site post gains
    nothing a direct post would not; what the token adds is proof that the form was rendered by
    us recently, and its nonce makes a double submission idempotent (it becomes the external id).
    """
    return signing.dumps({"n": secrets.token_urlsafe(16)}, salt=FORM_TOKEN_SALT, compress=False)


def check_form_token(token: str) -> str:
    """Return the token's nonce, or raise FormTokenError with a Russian message."""
    if not token:
        raise FormTokenError("Форма отправлена не со страницы обращения. Обновите страницу и отправьте обращение ещё раз.")
    try:
        value = signing.loads(token, salt=FORM_TOKEN_SALT, max_age=form_token_max_age())
    except signing.SignatureExpired:
        raise FormTokenError(
            "Форма была открыта слишком давно. Введённые данные сохранены — проверьте их и отправьте обращение ещё раз.",
            expired=True,
        ) from None
    except signing.BadSignature:
        raise FormTokenError("Форма повреждена. Обновите страницу и отправьте обращение ещё раз.") from None
    nonce = value.get("n") if isinstance(value, dict) else None
    if not isinstance(nonce, str) or not nonce:
        raise FormTokenError("Форма повреждена. Обновите страницу и отправьте обращение ещё раз.")
    return nonce


# --- choices ----------------------------------------------------------------------------------


def category_choices() -> list:
    """Public, active categories grouped by their sector block (kept per process: refcache)."""
    return _CATEGORY_CHOICES.get()


def territory_choices() -> list:
    """Municipal formations, each followed by what lies inside it (kept per process: refcache)."""
    return _TERRITORY_CHOICES.get()


def _category_choices() -> list:
    groups: dict[str, list[tuple[str, str]]] = {}
    for cat in Category.objects.filter(is_public=True, is_active=True).select_related("block").order_by("block__order", "block__name", "name"):
        groups.setdefault(cat.block.name, []).append((cat.code, cat.name))
    return [("", "Не знаю / выберите тему")] + [(block, items) for block, items in groups.items()]


def _territory_choices() -> list:
    """Municipal formations, each followed by what lies inside it (okrugs, settlements)."""
    rows = list(Territory.objects.exclude(level=Territory.Level.REGION).values_list("pk", "code", "name", "level", "parent_id"))
    by_parent: dict[int | None, list[tuple]] = {}
    for row in rows:
        by_parent.setdefault(row[4], []).append(row)
    choices: list = [("", "Не выбрано")]
    municipal = sorted((r for r in rows if r[3] in MUNICIPAL_LEVELS), key=lambda r: (r[3] != Territory.Level.CITY_DISTRICT, r[2]))
    for pk, code, name, level, _parent in municipal:
        whole = "весь городской округ" if level == Territory.Level.CITY_DISTRICT else "весь район"
        items = [(code, f"{name} — {whole}")]
        inside: list[tuple] = []
        frontier = [pk]
        while frontier:
            children = [c for p in frontier for c in by_parent.get(p, [])]
            inside.extend(children)
            frontier = [c[0] for c in children]
        items += [(c[1], c[2]) for c in sorted(inside, key=lambda c: c[2])]
        choices.append((name, items))
    return choices


# Every form the widget shows reads both lists (hundreds of options); administrators change them
# a few times a year. Callers must not modify what they get.
_CATEGORY_CHOICES = refcache.Cached("widget-category-choices", _category_choices, watch=(Category, Block))
_TERRITORY_CHOICES = refcache.Cached("widget-territory-choices", _territory_choices, watch=(Territory,))


# --- the widget form ---------------------------------------------------------------------------


def _clean_text(value: str) -> str:
    # Browsers send line breaks as CRLF; count them as one character, as the counter shows them.
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


class WidgetForm(CleanTextForm, forms.Form):
    form_token = forms.CharField(required=False)
    text = forms.CharField(
        required=False, strip=False, widget=forms.Textarea,
    )
    category = forms.ChoiceField(required=False)
    territory = forms.ChoiceField(required=False)
    address = forms.CharField(required=False, max_length=300, error_messages={"max_length": "Адрес слишком длинный (не более 300 знаков)."})
    lat = forms.FloatField(required=False, error_messages={"invalid": "Точка на карте указана неверно."})
    lon = forms.FloatField(required=False, error_messages={"invalid": "Точка на карте указана неверно."})
    name = forms.CharField(required=False, max_length=200, error_messages={"max_length": "Имя слишком длинное (не более 200 знаков)."})
    email = forms.EmailField(required=False, max_length=254, error_messages={"invalid": "Проверьте адрес электронной почты."})
    phone = forms.CharField(required=False, max_length=32, error_messages={"max_length": "Телефон слишком длинный."})
    consent = forms.BooleanField(required=False)
    # «Точка верна, территорию уточнит оператор»: the resident keeps a point outside the chosen
    # territory on purpose; the appeal is then accepted and the card flags the pair.
    point_confirmed = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["territory"].choices = territory_choices()
        invalid = {"invalid_choice": "Выберите значение из списка."}
        self.fields["category"].error_messages.update(invalid)
        self.fields["territory"].error_messages.update(invalid)
        self.token_nonce: str | None = None
        self.token_expired = False
        # Set by clean() when the point lies outside the chosen territory (shown at the map).
        self.place_mismatch: PointCheck | None = None

    def clean_form_token(self) -> str:
        token = self.cleaned_data.get("form_token", "")
        try:
            self.token_nonce = check_form_token(token)
        except FormTokenError as exc:
            self.token_expired = exc.expired
            raise forms.ValidationError(exc.message) from None
        return token

    def clean_text(self) -> str:
        text = _clean_text(self.cleaned_data.get("text", ""))
        limit = settings.TSUR_MAX_TEXT_CHARS
        if not text:
            raise forms.ValidationError("Опишите проблему: текст обращения не может быть пустым.")
        if len(text) > limit:
            raise forms.ValidationError(f"Текст слишком длинный: {len(text)} знаков, допускается не более {limit}.")
        return text

    def clean_phone(self) -> str:
        phone = (self.cleaned_data.get("phone") or "").strip()
        if phone and (not PHONE_RE.match(phone) or sum(ch.isdigit() for ch in phone) < 5):
            raise forms.ValidationError("Укажите телефон цифрами, например +7 900 123-45-67.")
        return phone

    def clean(self) -> dict:
        data = super().clean()
        lat, lon = data.get("lat"), data.get("lon")
        if "lat" not in self.errors and "lon" not in self.errors and (lat is None) != (lon is None):
            self.add_error("lat", "Точка на карте указана не полностью: выберите её ещё раз.")
        self._check_point_in_territory(data)
        if self.has_contact() and not data.get("consent"):
            self.add_error("consent", "Чтобы мы могли связаться с вами, подтвердите согласие на обработку персональных данных.")
        return data

    def _check_point_in_territory(self, data: dict) -> None:
        """No silent acceptance of a point outside the chosen territory: the resident confirms it,
        moves it, or picks the territory the point lies in (offered by name)."""
        lat, lon, code = data.get("lat"), data.get("lon"), data.get("territory")
        if not code or lat is None or lon is None:
            return
        check = check_point(Territory.objects.filter(code=code).first(), lat, lon)
        if check is None or check.inside:
            return
        self.place_mismatch = check
        if data.get("point_confirmed"):
            return
        chosen = f"«{check.territory.name}»"
        if check.point_in is not None:
            message = (
                f"Точка на карте стоит в «{check.point_in.name}», а выбрана территория {chosen}. "
                f"Выберите территорию «{check.point_in.name}», передвиньте точку в границы {chosen} "
                "или подтвердите, что точка верна, — тогда территорию уточнит оператор."
            )
        else:
            message = (
                f"Точка на карте стоит вне территории {chosen}. Передвиньте точку "
                "или подтвердите, что точка верна, — тогда территорию уточнит оператор."
            )
        self.add_error("lat", message)

    def has_contact(self) -> bool:
        """Any contact typed at all, valid or not: the consent is asked for whatever we would keep."""
        return any((self.data.get(k) or "").strip() for k in ("name", "email", "phone"))


# Which form field shows an error the appeal service reports under its own key.
SERVICE_FIELD_MAP = {
    "text": "text",
    "category": "category",
    "territory": "territory",
    "location": "location",
    "address": "address",
    "email": "email",
    "photos": "photos",
    "name": "name",
    "phone": "phone",
}
# Form fields whose errors are shown at the map block.
LOCATION_FIELDS = ("lat", "lon")


@dataclass
class ErrorBag:
    """Errors per form field (plus "__all__"), merged from the form, the photos and the service."""

    by_field: dict[str, list[str]]

    @classmethod
    def empty(cls) -> ErrorBag:
        return cls(by_field={})

    def add(self, field: str, messages: list[str] | str) -> None:
        if isinstance(messages, str):
            messages = [messages]
        bucket = self.by_field.setdefault(field, [])
        for m in messages:
            if m and m not in bucket:
                bucket.append(m)

    def add_form(self, form: forms.Form) -> None:
        for field, errors in form.errors.items():
            target = "location" if field in LOCATION_FIELDS else ("__all__" if field in ("form_token", "__all__") else field)
            self.add(target, list(errors))

    def add_service(self, field_errors: dict[str, list[str]], message: str = "") -> None:
        for key, messages in field_errors.items():
            self.add(SERVICE_FIELD_MAP.get(key, "__all__"), messages)
        if message and not field_errors:
            self.add("__all__", message)

    def __bool__(self) -> bool:
        return any(self.by_field.values())


class LookupForm(CleanTextForm, forms.Form):
    """Find one's appeal by number and key, or by pasting the whole private link."""

    link = forms.CharField(required=False, max_length=500)
    number = forms.CharField(required=False, max_length=20)
    key = forms.CharField(required=False, max_length=64)

    LINK_RE = re.compile(r"/status/(?P<number>[^/\s]+)/(?P<key>[^/\s?#]+)")

    def clean(self) -> dict:
        data = super().clean()
        link = (data.get("link") or "").strip()
        number = (data.get("number") or "").strip()
        key = (data.get("key") or "").strip()
        if link:
            m = self.LINK_RE.search(link)
            if m is None:
                self.add_error("link", "Не похоже на ссылку на обращение: она выглядит как …/status/2026-000123/ключ/")
                return data
            number, key = m["number"], m["key"]
        elif not number or not key:
            if not number:
                self.add_error("number", "Укажите номер обращения.")
            if not key:
                self.add_error("key", "Укажите ключ из персональной ссылки.")
            return data
        data["number"], data["key"] = number, key
        return data


class RatingForm(CleanTextForm, forms.Form):
    score = forms.TypedChoiceField(
        choices=[(str(i), str(i)) for i in range(1, 6)], coerce=int,
        error_messages={"required": "Выберите оценку от 1 до 5 звёзд.", "invalid_choice": "Оценка — от 1 до 5 звёзд."},
    )
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea,
                              error_messages={"max_length": "Комментарий слишком длинный (не более 2000 знаков)."})
