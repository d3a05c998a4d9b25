"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2), so existing civic clients work
unchanged: services, service definitions, service requests (read and create), JSON and XML.

Public reads carry no personal data: the resident's name and contacts live in Resident and are
never read here, and the text published is the copy masked when the appeal was received by the
same personal-data engine as exports (names, phones, e-mails, documents, account links, and the
author's own values wherever they appear). Which appeals are public: those the center has
moderated (routed to an organisation, or rejected, or joined to a problem by an operator), with a
public category, except spam-like rejections and formal 59-FZ appeals (the law forbids disclosing
what a written appeal says without its author's consent), unless the author sent it through
Open311 itself. Until moderation nobody has read what the resident wrote, so nothing of it is shown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from tsur.accounts.models import ApiToken, Role, Scope
from tsur.appeals import access, channels
from tsur.appeals import views as attachment_urls
from tsur.appeals.models import Appeal, Attachment, Event, RejectionReason, Status
from tsur.appeals.services import NewAppeal, create_appeal
from tsur.core.errors import DomainError
from tsur.core.throttle import Throttled, check_intake
from tsur.directory.models import Category, Regime
from tsur.lib.pdmask import mask_personal_data
from tsur.lib.safetext import BrokenText, clean_text, xml_safe

FORMATS = ("json", "xml")
MAX_RESULTS = 1000  # the spec's recommended cap on one response
MAX_SPAN = dt.timedelta(days=90)  # start_date..end_date may not span more (spec)
HIDDEN_REJECTIONS = (RejectionReason.SPAM, RejectionReason.OFFENSIVE, RejectionReason.TEST)
CLOSED_STATUSES = (Status.CLOSED, Status.REJECTED)
# Statuses an appeal reaches only through an operator's moderation.
MODERATED_STATUSES = (
    Status.ROUTED, Status.IN_PROGRESS, Status.ANSWER_PREPARED, Status.ANSWER_CHECKED, Status.PUBLISHED, Status.CLOSED, Status.REJECTED,
)
# The widest dates a client may ask for (datetime's own range, minus the 90-day span around it).
EARLIEST, LATEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC), dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


# --- rendering -----------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return xml_safe(str(value))  # a control character stored earlier must not break the feed


def _xml_fill(parent: ET.Element, data: dict) -> None:
    for key, value in data.items():
        child = ET.SubElement(parent, key)
        if isinstance(value, list):  # e.g. attributes -> attribute*
            for item in value:
                _xml_fill(ET.SubElement(child, key.rstrip("s")), item)
        else:
            child.text = _text(value)


def render(fmt: str, payload: list[dict] | dict, *, root: str, item: str = "", status: int = 200) -> HttpResponse:
    """JSON as the spec shows it; XML with `root` holding one `item` element per dict."""
    if fmt == "xml":
        top = ET.Element(root)
        if isinstance(payload, dict):
            _xml_fill(top, payload)
        else:
            for row in payload:
                _xml_fill(ET.SubElement(top, item), row)
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode")
        return HttpResponse(body.encode(), status=status, content_type="text/xml; charset=utf-8")
    return JsonResponse(payload, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return render(fmt if fmt in FORMATS else "json", [{"code": status, "description": description}], root="errors", item="error", status=status)


def endpoint(methods: tuple[str, ...]) -> Callable:
    """Check the format and method, and turn Open311Error / DomainError into the spec's error list."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, fmt: str = "json", **kwargs) -> HttpResponse:
            fmt = fmt.lower()
            if fmt not in FORMATS:
                return error("json", 400, f"Формат {fmt!r} не поддерживается: json или xml.")
            if request.method not in methods:
                response = error(fmt, 405, f"Метод {request.method} не поддерживается.")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return error(fmt, exc.status, exc.description)
            except Throttled as exc:
                response = error(fmt, 429, exc.message)
                response["Retry-After"] = str(exc.retry_after)
                return response
            except DomainError as exc:
                # Open311 has no 409/422: everything the client sent wrong is a 400.
                status = exc.http_status if exc.http_status in (400, 403, 404) else 400
                messages = [m for msgs in exc.field_errors.values() for m in msgs] or [exc.message]
                return render(fmt, [{"code": status, "description": m} for m in messages], root="errors", item="error", status=status)

        return csrf_exempt(wrapper)

    return decorate


def _when(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


# --- services ------------------------------------------------------------------------------------


def public_categories() -> QuerySet:
    return Category.objects.filter(is_public=True, is_active=True).select_related("block").order_by("block__order", "name")


def _service(c: Category) -> dict:
    return {
        "service_code": c.service_code,
        "service_name": c.name,
        "description": f"{c.block.name}: {c.name}",
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": c.block.name,
    }


def _by_service_codes(codes: list[str]) -> Q:
    # service_code is the explicit Open311 code, or our own code where none is set.
    return Q(open311_code__in=codes) | (Q(open311_code="") & Q(code__in=codes))


@endpoint(("GET",))
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return render(fmt, [_service(c) for c in public_categories()], root="services", item="service")


@endpoint(("GET",))
def service_definition(request: HttpRequest, service_code: str, fmt: str) -> HttpResponse:
    category = public_categories().filter(_by_service_codes([service_code])).first()
    if category is None:
        raise Open311Error(404, f"Услуга {service_code!r} не найдена.")
    # No extra attributes are asked: the service's metadata is false and its definition empty.
    return render(fmt, {"service_code": category.service_code, "attributes": []}, root="service_definition")


# --- service requests: reading -------------------------------------------------------------------


def closed_q() -> Q:
    """Closed for Open311: closed or rejected; a joined appeal follows its problem's lead."""
    return Q(status__in=CLOSED_STATUSES) | Q(status=Status.JOINED, problem__lead__status__in=CLOSED_STATUSES)


def moderated_q() -> Q:
    """Appeals an operator has moderated: routed or later, rejected, or joined to a problem by an
    operator (the duplicate detector's joins are not a human's reading)."""
    joined_by_operator = Exists(Event.objects.filter(appeal=OuterRef("pk"), kind="join_problem", actor__isnull=False))
    return Q(status__in=MODERATED_STATUSES) | Q(status=Status.JOINED) & (Q(routed_at__isnull=False) | joined_by_operator)


# What a published request reads of its appeal and the rows joined to it: an appeal row has ~45
# columns (the texts, search text, triage results), and a list of 1,000 spent most of its time
# building them.
REQUEST_COLUMNS = (
    "number", "status", "rejection_reason", "text_masked", "due_explain", "received_at", "updated_at", "due_at", "address", "lat", "lon",
    "category__name", "category__code", "category__open311_code", "organisation__short_name", "problem__lead__number", "problem__lead__status",
)  # fmt: skip


def public_requests() -> QuerySet:
    return (
        Appeal.objects.filter(moderated_q(), category__is_public=True)
        .exclude(status=Status.REJECTED, rejection_reason__in=HIDDEN_REJECTIONS)
        .exclude(Q(regime=Regime.APPEAL) & ~Q(channel=channels.OPEN311))
        .select_related("category", "organisation", "problem__lead")
        .only(*REQUEST_COLUMNS)
    )


def first_photos(appeals: list[Appeal]) -> dict[int, Attachment]:
    """Each appeal's first photo, in one query (a prefetch built a queryset per appeal)."""
    first: dict[int, Attachment] = {}
    by_pk = {a.pk: a for a in appeals}
    for photo in Attachment.objects.filter(appeal_id__in=list(by_pk)).order_by("appeal_id", "pk"):
        if photo.appeal_id not in first:
            photo.appeal = by_pk[photo.appeal_id]
            first[photo.appeal_id] = photo
    return first


def _status(a: Appeal) -> tuple[str, str]:
    """(open|closed, status notes)."""
    current = a.status
    notes = Status(a.status).label
    if a.status == Status.JOINED and a.problem_id:
        lead = a.problem.lead
        current = lead.status
        notes = f"{notes} {lead.number}: {Status(lead.status).label}"
    elif a.status == Status.REJECTED and a.rejection_reason:
        notes = f"{notes}: {RejectionReason(a.rejection_reason).label}"
    return ("closed" if current in CLOSED_STATUSES else "open"), notes


def _request(request: HttpRequest, a: Appeal, photo: Attachment | None) -> dict:
    status, notes = _status(a)
    return {
        "service_request_id": a.number,
        "status": status,
        "status_notes": notes,
        "service_name": a.category.name,
        "service_code": a.category.service_code,
        "description": a.text_masked,
        "agency_responsible": a.organisation.short_name if a.organisation_id else "",
        "service_notice": a.due_explain if status == "open" else "",
        "requested_datetime": _when(a.received_at),
        "updated_datetime": _when(a.updated_at),
        "expected_datetime": _when(a.due_at),
        "address": mask_personal_data(a.address),
        "address_id": "",
        "zipcode": "",
        "lat": a.lat,
        "long": a.lon,
        "media_url": _media_url(request, photo),
    }


def parse_w3c(value: str, name: str) -> dt.datetime:
    """A W3C date-time (2025-05-12T10:00:00+03:00, …Z, or a date). An unencoded "+" in a query
    string arrives as a space; it is put back."""
    raw = re.sub(r" (\d\d:?\d\d)$", r"+\1", value.strip())
    try:
        parsed = dt.datetime.fromisoformat(raw)
        parsed = timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed
        if not EARLIEST <= parsed <= LATEST:
            raise ValueError("out of range")
    except (ValueError, OverflowError):
        raise Open311Error(
            400, f"{name}: неверная дата {value!r}, ожидается формат W3C (1900–9000 годы), например 2025-05-12T10:00:00+03:00."
        ) from None
    return parsed


def _codes(raw: str) -> list[str]:
    return [c.strip() for c in raw.split(",") if c.strip()]


def find_requests(params) -> QuerySet:
    qs = public_requests()
    ids = _codes(params.get("service_request_id", ""))
    if ids:  # the spec: service_request_id overrides every other argument
        return qs.filter(number__in=ids).order_by("-received_at")
    if params.get("service_code"):
        qs = qs.filter(category__in=Category.objects.filter(_by_service_codes(_codes(params["service_code"]))))
    statuses = set(_codes(params.get("status", "").lower()))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status: допустимы open и closed.")
    if statuses == {"open"}:
        qs = qs.exclude(closed_q())
    elif statuses == {"closed"}:
        qs = qs.filter(closed_q())
    start = parse_w3c(params["start_date"], "start_date") if params.get("start_date") else None
    end = parse_w3c(params["end_date"], "end_date") if params.get("end_date") else None
    if start is None and end is None:
        end = timezone.now()
    start = start or end - MAX_SPAN
    end = end or start + MAX_SPAN
    if end < start:
        raise Open311Error(400, "end_date раньше start_date.")
    if end - start > MAX_SPAN:
        raise Open311Error(400, "Период start_date–end_date не может превышать 90 дней.")
    return qs.filter(received_at__gte=start, received_at__lte=end).order_by("-received_at")


def _list_key(request: HttpRequest, fmt: str) -> str:
    """The list's cache key: everything its body depends on (the query, the format, and the host
    and scheme its photo links are written with); nobody's identity, the list is public."""
    query = sorted((name, sorted(values)) for name, values in request.GET.lists())
    raw = json.dumps([request.scheme, request.get_host(), fmt, query], ensure_ascii=False)
    return "open311:requests:" + hashlib.sha256(raw.encode()).hexdigest()


def _requests_get(request: HttpRequest, fmt: str) -> HttpResponse:
    """The public list, kept TSUR_OPEN311_LIST_CACHE_SECONDS in the shared cache: clients poll it,
    and building 1,000 requests costs ~80 ms. A refused query (400) is never kept."""
    seconds = settings.TSUR_OPEN311_LIST_CACHE_SECONDS
    key = _list_key(request, fmt) if seconds > 0 else ""
    kept = cache.get(key) if key else None
    if kept is not None:
        body, content_type = kept
        return HttpResponse(body, content_type=content_type)
    rows = list(find_requests(request.GET)[:MAX_RESULTS])
    photos = first_photos(rows)
    response = render(fmt, [_request(request, a, photos.get(a.pk)) for a in rows], root="service_requests", item="request")
    if key:
        cache.set(key, (response.content, response["Content-Type"]), seconds)
    return response


@endpoint(("GET",))
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    appeal = public_requests().filter(number=request_id).first()
    if appeal is None:
        raise Open311Error(404, f"Заявка {request_id!r} не найдена.")
    return render(fmt, [_request(request, appeal, first_photos([appeal]).get(appeal.pk))], root="service_requests", item="request")


# --- service requests: creating ------------------------------------------------------------------


def _float(params, name: str) -> float | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise Open311Error(400, f"{name}: ожидается число.") from None


# Lengths of what Open311 clients send, as stored: longer values are refused, never cut.
POST_LIMITS = {
    "address_string": 300, "first_name": 100, "last_name": 100, "phone": 32, "email": 254, "description": None,
}


def _param(params, name: str) -> str:
    """A POST parameter, stripped, checked for length and for characters that cannot be stored."""
    value = (params.get(name) or "").strip()
    limit = POST_LIMITS.get(name) or settings.TSUR_MAX_TEXT_CHARS
    if len(value) > limit:
        raise Open311Error(400, f"{name}: не более {limit} знаков (получено {len(value)}).")
    try:
        return clean_text(value)
    except BrokenText as exc:
        raise Open311Error(400, f"{name}: {exc}") from None


def _requests_post(request: HttpRequest, fmt: str) -> HttpResponse:
    p = request.POST
    token = ApiToken.find(p.get("api_key") or request.GET.get("api_key"))
    if token is None:
        raise Open311Error(403, "Неверный или отсутствующий api_key.")
    if not token.allows(Scope.OPEN311):
        raise Open311Error(403, "Этот api_key не разрешает подачу заявок Open311: разрешения ключа меняет администратор.")
    user = token.user
    check_intake(request, key_id=token.pk)
    code = (p.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code: обязательный параметр.")
    category = public_categories().filter(_by_service_codes([code])).first()
    if category is None:
        raise Open311Error(404, f"Услуга {code!r} не найдена.")
    lat, lon = _float(p, "lat"), _float(p, "long")
    address = _param(p, "address_string")
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat и long указываются вместе.")
    if lat is None and not address:
        # The spec's address_id refers to a client's own address registry, which we cannot resolve.
        hint = " address_id не поддерживается: передайте адрес строкой." if p.get("address_id") else ""
        raise Open311Error(400, "Укажите место: lat и long или address_string." + hint)
    text = _param(p, "description") or category.name  # description is optional in the spec
    media_url = (p.get("media_url") or "").strip()
    if media_url and not (media_url.startswith(("http://", "https://")) and len(media_url) <= 1000):
        raise Open311Error(400, "media_url: ожидается ссылка http(s) не длиннее 1000 знаков.")
    if media_url:
        text = f"{text}\n\nФото: {media_url}"
    name = " ".join(filter(None, [_param(p, "first_name"), _param(p, "last_name")]))
    email = _param(p, "email")
    if email and ("@" not in email or any(ch.isspace() for ch in email)):
        raise Open311Error(400, "email: неверный адрес электронной почты.")
    appeal = create_appeal(
        NewAppeal(
            channel=channels.OPEN311,
            text=text,
            category_code=category.code,
            address=address,
            lat=lat,
            lon=lon,
            name=name,
            phone=_param(p, "phone"),
            email=email,
            user=user if access.role_of(user) == Role.RESIDENT else None,
        )
    )
    if settings.TSUR_TASKS_INLINE:  # the follow-up ran inline and may have moved the deadline on
        appeal.refresh_from_db(fields=["status", "due_at"])
    notice = f"Обращение зарегистрировано под номером {appeal.number}."
    if appeal.due_at:
        notice += f" Срок ответа: до {timezone.localtime(appeal.due_at):%d.%m.%Y %H:%M}."
    body = [{"service_request_id": appeal.number, "service_notice": notice, "account_id": None}]
    return render(fmt, body, root="service_requests", item="request")


@endpoint(("GET", "POST"))
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    return _requests_post(request, fmt) if request.method == "POST" else _requests_get(request, fmt)


@endpoint(("GET", "POST"))
def not_found(request: HttpRequest, fmt: str = "json") -> HttpResponse:
    raise Open311Error(404, "Такого ресурса Open311 нет: services, services/{код}, requests, requests/{id}.")


def _media_url(request: HttpRequest, photo: Attachment | None) -> str:
    """A photo is public only after the center has moderated its appeal (signed, unguessable URL)."""
    url = attachment_urls.public_url(photo) if photo is not None else None
    return request.build_absolute_uri(url) if url else ""
