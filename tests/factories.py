"""A small but complete world for tests: two territories (one inside a city queue), organisations,
routing rules, the default deadline policies and one named user per role."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth import get_user_model

from tsur.accounts.models import Membership, Role
from tsur.appeals.services import NewAppeal, assign_executor, create_appeal, route_appeal
from tsur.deadlines.compute import upsert_default_policies
from tsur.directory.models import Block, Category, Organisation, Queue, Territory
from tsur.routing.models import RoutingRule


class Channel:
    """Channel codes as the tests name them (tsur.appeals.channels and tsur.channels.kinds register them)."""

    WIDGET, APP, OPEN311, OPERATOR = "widget", "app", "open311", "operator"
    VK, TELEGRAM, TELEGRAM_BOT, OK, EMAIL, POS_IMPORT = "vk", "telegram", "telegram_bot", "ok", "email", "pos_import"


def square(lon0: float, lat0: float, lon1: float, lat1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]}


def make_user(username: str, role: str | None, *, organisation=None, queue=None, password: str = "pass-12345"):
    user = get_user_model().objects.create_user(username=username, password=password, first_name=username.title())
    if role:
        Membership.objects.create(user=user, role=role, organisation=organisation, queue=queue)
    return user


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.region = Territory.objects.create(code="region", name="Область", level="region", boundary=square(35.0, 53.0, 37.0, 55.0))
    w.city = Territory.objects.create(
        code="city", name="Город", level="city_district", parent=w.region, boundary=square(36.0, 54.4, 36.5, 54.7)
    )
    w.district = Territory.objects.create(
        code="district", name="Район", level="municipal_district", parent=w.region, boundary=square(35.0, 53.0, 35.9, 54.0)
    )
    w.village = Territory.objects.create(code="village", name="Село", level="settlement", parent=w.district)

    w.roads = Block.objects.create(key="roads", name="Дороги", order=1)
    w.housing = Block.objects.create(key="housing", name="ЖКХ", order=2)
    w.waste = Block.objects.create(key="waste", name="ТКО", order=3)
    w.pothole = Category.objects.create(code="pothole", block=w.roads, name="Ямы на дороге", municipal_competence=True)
    w.snow = Category.objects.create(code="snow", block=w.roads, name="Снег на дороге", default_urgency="high", municipal_competence=True)
    w.heating = Category.objects.create(code="heating", block=w.housing, name="Нет отопления", default_urgency="high")
    w.garbage = Category.objects.create(code="garbage", block=w.waste, name="Не вывозят мусор")

    w.center = Organisation.objects.create(code="center", name="Центр управления регионом", short_name="ЦУР", kind="center")
    w.roads_ministry = Organisation.objects.create(code="roads-min", name="Министерство дорог", short_name="Миндор", kind="regional")
    w.city_admin = Organisation.objects.create(code="city-admin", name="Администрация города", short_name="Горадмин", kind="municipal")
    w.waste_operator = Organisation.objects.create(code="waste-op", name="Региональный оператор ТКО", short_name="Регоператор", kind="company")
    w.roads_ministry.territories.add(w.region)
    w.city_admin.territories.add(w.city)

    w.queue = Queue.objects.create(code="city-queue", name="Город", territory=w.city)
    RoutingRule.objects.create(block=w.roads, organisation=w.roads_ministry)
    w.city_roads_rule = RoutingRule.objects.create(block=w.roads, territory=w.city, organisation=w.city_admin)
    RoutingRule.objects.create(category=w.garbage, organisation=w.waste_operator)
    upsert_default_policies()

    w.admin = make_user("admin", Role.ADMINISTRATOR)
    w.operator = make_user("operator", Role.REGIONAL_OPERATOR, organisation=w.center)
    w.city_operator = make_user("city_operator", Role.MUNICIPAL_OPERATOR, queue=w.queue)
    w.coordinator = make_user("coordinator", Role.COORDINATOR, organisation=w.roads_ministry)
    w.executor = make_user("executor", Role.EXECUTOR, organisation=w.roads_ministry)
    w.colleague = make_user("colleague", Role.EXECUTOR, organisation=w.roads_ministry)
    w.city_coordinator = make_user("city_coordinator", Role.COORDINATOR, organisation=w.city_admin)
    w.city_executor = make_user("city_executor", Role.EXECUTOR, organisation=w.city_admin)
    w.waste_coordinator = make_user("waste_coordinator", Role.COORDINATOR, organisation=w.waste_operator)
    w.analyst = make_user("analyst", Role.ANALYST)
    w.resident = make_user("resident", Role.RESIDENT)
    w.other_resident = make_user("other_resident", Role.RESIDENT)
    w.outsider = make_user("outsider", None)
    return w


def new_appeal(w: SimpleNamespace, **kwargs) -> object:
    """A district pothole appeal by default (routes to the roads ministry)."""
    data = {
        "channel": Channel.WIDGET,
        "text": "Большая яма на дороге у остановки, машины бьют колёса",
        "category_code": "pothole",
        "territory_code": "district",
        "name": "Иван Петров",
        "email": "ivan@example.org",
        "phone": "+7 900 000-00-00",
    }
    data.update(kwargs)
    return create_appeal(NewAppeal(**data))


def in_work_appeal(w: SimpleNamespace, **kwargs) -> object:
    """`new_appeal` routed by the center's operator and assigned to the executor: «В работе»."""
    a = new_appeal(w, **kwargs)
    route_appeal(a, w.operator)
    assign_executor(a, w.coordinator, executor_id=w.executor.pk)
    a.refresh_from_db()
    return a
