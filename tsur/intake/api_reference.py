"""Reference data: categories and territories for intake forms, organisations and answer
templates for staff."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from ninja import Router

from tsur.answers.models import AnswerTemplate
from tsur.answers.services import render_template
from tsur.appeals import access
from tsur.directory.models import Category, Organisation, Territory
from tsur.intake.api_auth import OPTIONAL_AUTH, STAFF_READ, caller, staff_caller, visible_appeal
from tsur.intake.api_schemas import CategoryOut, OrganisationOut, TemplateOut, TerritoryOut, replies

router = Router(tags=["Справочники"])


@router.get(
    "/categories",
    auth=OPTIONAL_AUTH,
    response=replies({200: list[CategoryOut]}, 401),
    summary="Категории",
    description="Жителям — только доступные для подачи; сотрудникам — все действующие.",
)
def categories(request: HttpRequest):
    qs = Category.objects.filter(is_active=True).select_related("block").order_by("block__order", "block__name", "name")
    if not access.is_staff_role(caller(request)):
        qs = qs.filter(is_public=True)
    return [
        {
            "code": c.code,
            "name": c.name,
            "block": {"key": c.block.key, "name": c.block.name},
            "default_urgency": c.default_urgency,
            "service_code": c.service_code,
            "is_public": c.is_public,
        }
        for c in qs
    ]


@router.get(
    "/territories",
    auth=OPTIONAL_AUTH,
    response=replies({200: list[TerritoryOut]}, 401, 422),
    summary="Территории",
    description="Границы (GeoJSON) — только с ?geometry=1: они тяжёлые.",
)
def territories(request: HttpRequest, geometry: bool = False):
    qs = Territory.objects.select_related("parent").order_by("level", "name")
    if not geometry:
        qs = qs.defer("boundary")
    rows = []
    for t in qs:
        row = {
            "code": t.code,
            "name": t.name,
            "level": t.level,
            "parent": t.parent.code if t.parent_id else None,
            "lat": t.lat,
            "lon": t.lon,
        }
        if geometry:
            row["geometry"] = t.boundary
        rows.append(row)
    return rows


@router.get("/organisations", auth=STAFF_READ, response=replies({200: list[OrganisationOut]}, 401, 403), summary="Организации (сотрудники)")
def organisations(request: HttpRequest):
    staff_caller(request)
    qs = Organisation.objects.filter(is_active=True).select_related("parent").prefetch_related("territories")
    return [
        {
            "code": o.code,
            "name": o.name,
            "short_name": o.short_name,
            "kind": o.kind,
            "parent": o.parent.code if o.parent_id else None,
            "territories": sorted(t.code for t in o.territories.all()),
        }
        for o in qs.order_by("short_name")
    ]


@router.get(
    "/templates",
    auth=STAFF_READ,
    response=replies({200: list[TemplateOut]}, 401, 403, 404),
    summary="Шаблоны ответов",
    description="С ?appeal=НОМЕР — шаблоны для блока обращения с подставленными номером, адресом, организацией и датой.",
)
def templates(request: HttpRequest, appeal: str = ""):
    user = staff_caller(request)
    qs = AnswerTemplate.objects.filter(is_active=True).select_related("block").order_by("name")
    target = None
    if appeal:
        target = visible_appeal(user, appeal)
        qs = qs.filter(Q(block=None) | Q(block_id=target.block_id)) if target.block_id else qs.filter(block=None)
    return [
        {
            "code": t.code,
            "name": t.name,
            "kind": t.kind,
            "block": t.block.key if t.block_id else None,
            "text": render_template(t, target) if target else t.text,
        }
        for t in qs
    ]
