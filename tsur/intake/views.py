"""Public resident pages: the landing page, the widget form (also embedded in official sites),
the embed script, the private status page with the rating form, and the status look-up.

Nothing here shows staff names, internal notes or a resident's personal data: the status page is
reached by a private link that a resident may forward to someone else.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tsur.accounts.models import Role
from tsur.answers.files import public_files
from tsur.answers.models import Answer
from tsur.answers.services import answer_for, rate_appeal
from tsur.appeals import access, channels
from tsur.appeals.models import Appeal, Notification, Status
from tsur.appeals.photos import read_photos
from tsur.appeals.services import NewAppeal, create_appeal
from tsur.core import refcache
from tsur.core.errors import DomainError, ValidationFailed
from tsur.core.throttle import Throttled, check_intake
from tsur.directory.models import Category, Territory
from tsur.intake import resident_view
from tsur.intake.forms import ErrorBag, LookupForm, RatingForm, WidgetForm, issue_form_token
from tsur.intake.options import grouped_options
from tsur.intake.resident_forms import ReplyForm
from tsur.lib import geo

# The boundaries layer and its required credit (the demo's boundaries are OpenStreetMap data, ODbL).
DEFAULT_BOUNDARIES_ATTRIBUTION = 'Границы: © <a href="https://www.openstreetmap.org/copyright">участники OpenStreetMap</a>'


FIELD_LABELS = {
    "text": "Текст обращения",
    "category": "Тема",
    "territory": "Муниципальное образование или населённый пункт",
    "address": "Адрес",
    "location": "Точка на карте",
    "photos": "Фотографии",
    "name": "Имя",
    "email": "Электронная почта",
    "phone": "Телефон",
    "consent": "Согласие на обработку персональных данных",
}


# --- shared helpers -----------------------------------------------------------------------------


def _is_embed(request: HttpRequest) -> bool:
    return request.GET.get("embed") == "1" or request.POST.get("embed") == "1"


def _region() -> tuple[str, str]:
    """The region's name and its map bounds ("lat0,lon0,lat1,lon1", "" unknown), kept per
    process (refcache): every public page shows the name, the widget centres its map on the
    bounds, and the region's boundary is a large GeoJSON document to read and measure."""
    region = Territory.objects.filter(level=Territory.Level.REGION).order_by("pk").first()
    if region is None:
        return "", ""
    if region.boundary:
        lon0, lat0, lon1, lat1 = geo.bbox(region.boundary)
        return region.name, f"{lat0},{lon0},{lat1},{lon1}"
    if region.lat is not None and region.lon is not None:
        return region.name, f"{region.lat - 0.5},{region.lon - 0.8},{region.lat + 0.5},{region.lon + 0.8}"
    return region.name, ""


_REGION = refcache.Cached("public-region", _region, watch=(Territory,))


def _base_context(request: HttpRequest, *, embed: bool = False) -> dict:
    return {"embed": embed, "region_name": _REGION.get()[0]}


def _find_appeal(number: str, key: str) -> Appeal | None:
    """The appeal when the private key matches; compared in constant time so the key cannot be
    guessed character by character from response times."""
    appeal = (
        Appeal.objects.filter(number=number).select_related("organisation", "category", "territory", "problem")
        .defer("territory__boundary").first()
    )
    expected = appeal.access_key if appeal is not None else "0" * 32
    if not constant_time_compare(expected, key or "") or appeal is None:
        return None
    return appeal


def not_found(request: HttpRequest, *, embed: bool = False) -> HttpResponse:
    return render(request, "intake/not_found.html", _base_context(request, embed=embed), status=404)


def _status_path(appeal: Appeal) -> str:
    return reverse("intake:status", args=[appeal.number, appeal.access_key])


# --- landing --------------------------------------------------------------------------------------


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    ctx = _base_context(request)
    widget_url = request.build_absolute_uri(reverse("intake:widget")) + "?embed=1"
    ctx.update(
        script_url=request.build_absolute_uri(reverse("intake:widget_js")),
        iframe_url=widget_url,
        example_category=Category.objects.filter(is_public=True, is_active=True).order_by("block__order", "name").first(),
        lookup=LookupForm(),
    )
    return render(request, "intake/landing.html", ctx)


# --- the widget form ------------------------------------------------------------------------------


def _map_context() -> dict:
    return {
        "geojson_url": reverse("intake:boundaries"),
        "tile_url": settings.TSUR_MAP_TILE_URL,
        "tile_attribution": settings.TSUR_MAP_TILE_ATTRIBUTION,
        "boundaries_attribution": getattr(settings, "TSUR_MAP_BOUNDARIES_ATTRIBUTION", DEFAULT_BOUNDARIES_ATTRIBUTION),
        "region_bounds": _REGION.get()[1],
    }


def _render_widget(request: HttpRequest, form: WidgetForm, errors: ErrorBag, *, photos_lost: bool = False, status: int = 200) -> HttpResponse:
    embed = _is_embed(request)
    general = errors.by_field.get("__all__", [])
    order = {field: i for i, field in enumerate(FIELD_LABELS)}
    fields = sorted((f for f, msgs in errors.by_field.items() if f != "__all__" and msgs), key=lambda f: order.get(f, len(order)))
    # Each link takes the reader straight to the control (the map has none of its own).
    summary = [("field-location" if f == "location" else f"id_{f}", FIELD_LABELS.get(f, f), errors.by_field[f]) for f in fields]
    ctx = _base_context(request, embed=embed)
    ctx.update(_map_context())
    ctx.update(
        form=form,
        errors={k: v for k, v in errors.by_field.items() if k != "__all__"},
        general_errors=general,
        error_summary=summary,
        has_errors=bool(errors),
        photos_lost=photos_lost,
        form_token=issue_form_token(),
        category_options=grouped_options(form.fields["category"].choices, form["category"].value() or ""),
        territory_options=grouped_options(form.fields["territory"].choices, form["territory"].value() or ""),
        max_text=settings.TSUR_MAX_TEXT_CHARS,
        max_photos=settings.TSUR_MAX_PHOTOS,
        max_photo_mb=settings.TSUR_MAX_PHOTO_BYTES // (1024 * 1024),
        consent_checked=bool(form["consent"].value()) and form["consent"].value() not in ("false", "0"),
    )
    return render(request, "intake/widget_form.html", ctx, status=status)


def _resident_user(request: HttpRequest):
    """A resident signed in on our site (residents: the appeal joins their cabinet). The session
    cookie is SameSite=Lax, so another site's page posting this form never carries it."""
    return request.user if access.role_of(request.user) == Role.RESIDENT else None


def _account_contact(request: HttpRequest) -> dict[str, str]:
    """The signed-in resident's name and e-mail from their account, to prefill the form."""
    user = _resident_user(request)
    if user is None:
        return {}
    return {k: v for k, v in (("name", user.get_full_name()), ("email", user.email)) if v}


# The widget is posted from an iframe on other sites, where our CSRF cookie is a third-party
# cookie the browser withholds; the form carries a signed, time-limited token instead, checked in
# WidgetForm.clean_form_token (see forms.issue_form_token for why that is enough here).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def widget(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {k: request.GET.get(k, "") for k in ("category", "territory")}
        initial.update(_account_contact(request))
        return _render_widget(request, WidgetForm(initial=initial), ErrorBag.empty())

    form = WidgetForm(request.POST)
    errors = ErrorBag.empty()
    files = request.FILES.getlist("photos")
    if not form.is_valid():
        errors.add_form(form)
    photos = []
    if files:
        try:
            photos = read_photos(files)
        except ValidationFailed as exc:
            errors.add_service(exc.field_errors, exc.message)
    if errors:
        return _render_widget(request, form, errors, photos_lost=bool(files), status=400)

    cd = form.cleaned_data
    data = NewAppeal(
        channel=channels.WIDGET,
        text=cd["text"],
        category_code=cd["category"] or "",
        territory_code=cd["territory"] or "",
        address=cd["address"] or "",
        lat=cd["lat"],
        lon=cd["lon"],
        name=cd["name"] or "",
        phone=cd["phone"] or "",
        email=cd["email"] or "",
        # The form's nonce makes a double click or a resent form return the same appeal.
        external_id=f"widget-form:{form.token_nonce}",
        photos=photos,
        user=_resident_user(request),
    )
    try:
        check_intake(request)
        # No lookup first (a query on every appeal for the rare resend): the unique (channel,
        # external id) catches a resend, whose appeal comes back, as on the API.
        appeal = create_appeal(data, looked_up=True)
    except DomainError as exc:
        errors.add_service(exc.field_errors, exc.message)
        status = exc.http_status if isinstance(exc, Throttled) or exc.http_status >= 500 else 400  # 507: no room for photos
        response = _render_widget(request, form, errors, photos_lost=bool(files), status=status)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.retry_after)
        return response
    done = reverse("intake:widget_done", args=[appeal.number, appeal.access_key])
    return HttpResponseRedirect(done + ("?embed=1" if _is_embed(request) else ""))


@require_GET
def widget_done(request: HttpRequest, number: str, key: str) -> HttpResponse:
    embed = _is_embed(request)
    appeal = _find_appeal(number, key)
    if appeal is None:
        return not_found(request, embed=embed)
    ctx = _base_context(request, embed=embed)
    ctx.update(appeal=appeal, status_url=request.build_absolute_uri(_status_path(appeal)), new_url=reverse("intake:widget"))
    response = render(request, "intake/widget_done.html", ctx)
    response["Cache-Control"] = "no-store"
    return response


# The municipal formations residents choose between on the map: the configured region's own.
MAP_LEVELS = (Territory.Level.CITY_DISTRICT, Territory.Level.MUNICIPAL_DISTRICT)


@require_GET
def boundaries(request: HttpRequest) -> HttpResponse:
    """The boundaries of the region's municipal formations as GeoJSON, from the configured
    territories (the map of another region is another configuration, not another file). Browsers
    keep it for an hour and revalidate it by the newest change of a territory."""
    rows = Territory.objects.filter(level__in=MAP_LEVELS).exclude(boundary=None).order_by("name")
    stamp = rows.aggregate(newest=Max("updated_at"), count=Count("pk"))
    etag = f'"{stamp["count"]}-{stamp["newest"].timestamp() if stamp["newest"] else 0}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        features = [
            {"type": "Feature", "properties": {"code": t.code, "name": t.name, "level": t.level}, "geometry": t.boundary}
            for t in rows.only("code", "name", "level", "boundary")
        ]
        response = JsonResponse({"type": "FeatureCollection", "features": features}, json_dumps_params={"ensure_ascii": False})
        response["Content-Type"] = "application/geo+json; charset=utf-8"
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    origin = request.build_absolute_uri("/").rstrip("/")
    response = render(request, "intake/widget.js", {"origin": origin}, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


# --- status ---------------------------------------------------------------------------------------

STEPS = ["Получено", "Модерация", "В работе", "Ответ", "Закрыто"]
STEP_OF = {
    Status.RECEIVED: 0,
    Status.MODERATION: 1,
    Status.ROUTED: 2,
    Status.IN_PROGRESS: 2,
    Status.ANSWER_PREPARED: 2,
    Status.ANSWER_CHECKED: 2,
    Status.JOINED: 2,
    Status.PUBLISHED: 3,
    Status.CLOSED: 4,
}
NOTIFICATION_STATES = {
    Notification.State.SENT: "отправлено на вашу электронную почту",
    Notification.State.SKIPPED: "электронная почта не указана — уведомление доступно здесь",
    Notification.State.PENDING: "ожидает отправки",
    Notification.State.FAILED: "не удалось отправить на электронную почту",
}


def _render_status(request: HttpRequest, appeal: Appeal, *, rating_form: RatingForm | None = None,
                   rating_error: str = "", reply_form: ReplyForm | None = None, status: int = 200) -> HttpResponse:
    step = STEP_OF.get(appeal.status)
    steps = [{"label": label, "state": "done" if step is not None and i < step else ("current" if i == step else "todo")}
             for i, label in enumerate(STEPS)]
    if step == len(STEPS) - 1:
        steps[-1]["state"] = "final"  # closed: the line is complete
    interim_sources = [appeal]
    lead = appeal.problem.lead if appeal.problem_id and appeal.problem.lead_id != appeal.pk else None
    if lead is not None:
        interim_sources.append(lead)
    interim = Answer.objects.filter(appeal__in=interim_sources, kind=Answer.Kind.INTERIM).exclude(published_at=None).order_by("published_at")
    notifications = [
        {"at": n.created_at, "subject": n.subject, "body": n.body, "state": NOTIFICATION_STATES.get(n.state, "")}
        for n in appeal.notifications.order_by("-created_at", "-pk")
    ]
    last_rating = appeal.ratings.order_by("-created_at", "-pk").first()
    answer = answer_for(appeal)
    rated = request.GET.get("rated", "")
    ctx = _base_context(request)
    ctx.update(
        appeal=appeal,
        status_title=resident_view.status_title(appeal),
        status_text=resident_view.status_explanation(appeal),
        steps=steps if step is not None else None,
        is_rejected=appeal.status == Status.REJECTED,
        is_open=appeal.is_open,
        timeline=resident_view.history(appeal),
        interim_answers=interim,
        answer=answer,
        answer_files=public_files(answer, number=appeal.number, key=appeal.access_key),
        notifications=notifications,
        photos=list(appeal.attachments.order_by("pk")),
        can_rate=resident_view.can_rate(appeal),
        rating_form=rating_form or RatingForm(),
        rating_error=rating_error,
        last_rating=last_rating,
        rated_banner=rated if rated in ("thanks", "reopened") and last_rating is not None else "",
        joined_lead=lead,
        stars=[1, 2, 3, 4, 5],
        status_url=request.build_absolute_uri(_status_path(appeal)),
        now=timezone.now(),
        # Residents: the open clarification with its reply form, and the way back to the cabinet.
        clarification=resident_view.open_clarification(appeal),
        reply_form=reply_form or ReplyForm(),
        replied=request.GET.get("replied") == "1",
        in_cabinet=access.role_of(request.user) == Role.RESIDENT and appeal.resident_id is not None
        and appeal.resident.user_id == request.user.pk,
    )
    response = render(request, "intake/status.html", ctx, status=status)
    # A private page: never cached by shared proxies, never leaks its address in a Referer.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def status_page(request: HttpRequest, number: str, key: str) -> HttpResponse:
    appeal = _find_appeal(number, key)
    if appeal is None:
        return not_found(request)
    return _render_status(request, appeal)


@require_POST
def status_rate(request: HttpRequest, number: str, key: str) -> HttpResponse:
    appeal = _find_appeal(number, key)
    if appeal is None:
        return not_found(request)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _render_status(request, appeal, rating_form=form, status=400)
    score = form.cleaned_data["score"]
    try:
        rate_appeal(appeal, None, score=score, comment=form.cleaned_data["comment"] or "")
    except DomainError as exc:
        for field, messages in exc.field_errors.items():
            form.add_error(field if field in form.fields else None, messages)
        appeal.refresh_from_db()
        return _render_status(request, appeal, rating_form=form, rating_error="" if exc.field_errors else exc.message, status=400)
    outcome = "thanks" if score > settings.TSUR_REOPEN_MAX_SCORE else "reopened"
    return HttpResponseRedirect(f"{_status_path(appeal)}?rated={outcome}#rating")


@require_GET
def status_lookup(request: HttpRequest) -> HttpResponse:
    ctx = _base_context(request)
    if not any(request.GET.get(k) for k in ("link", "number", "key")):
        ctx["lookup"] = LookupForm()
        return render(request, "intake/status_lookup.html", ctx)
    form = LookupForm(request.GET)
    ctx["lookup"] = form
    if form.is_valid():
        appeal = _find_appeal(form.cleaned_data["number"], form.cleaned_data["key"])
        if appeal is not None:
            return HttpResponseRedirect(_status_path(appeal))
        ctx["not_found"] = True
        return render(request, "intake/status_lookup.html", ctx, status=404)
    return render(request, "intake/status_lookup.html", ctx, status=400)
