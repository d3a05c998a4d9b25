"""Photos are served only to those who may see their appeal: staff in scope, the author by the
private key, and the public by a signed link once the center has moderated the appeal."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.photos import read_photo
from tsur.appeals.views import public_url


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def photo_appeal(world):
    return new_appeal(world, photos=[read_photo(png())])


def client_for(user) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_it_serves_the_photo_to_staff_in_scope_only(world, photo_appeal):
    att = photo_appeal.attachments.get()
    url = f"/attachments/{att.pk}/"
    assert client_for(world.operator).get(url).status_code == 200
    assert client_for(world.operator).get(url)["Content-Type"] == "image/png"
    for outsider in (None, world.outsider, world.resident, world.city_coordinator):
        assert client_for(outsider).get(url).status_code == 404


def test_it_serves_the_photo_to_the_author_by_the_private_key(world, photo_appeal):
    att = photo_appeal.attachments.get()
    assert Client().get(f"/attachments/{att.pk}/?key={photo_appeal.access_key}").status_code == 200
    assert Client().get(f"/attachments/{att.pk}/?key=wrong").status_code == 404


def test_it_makes_photos_public_only_after_moderation(world, photo_appeal):
    att = photo_appeal.attachments.get()
    assert public_url(att) is None
    services.route_appeal(photo_appeal, world.operator)
    att.refresh_from_db()
    url = public_url(att)
    assert url and Client().get(url).status_code == 200
    assert Client().get(url[:-3] + "abc").status_code == 404
    services.transfer_appeal(photo_appeal, world.operator, organisation_code="waste-op", reason="test")
    assert "/media/" not in url
