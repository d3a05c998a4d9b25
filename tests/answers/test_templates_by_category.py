"""Answer templates are offered by the appeal's category first, then its block's, then general."""

from __future__ import annotations

from tests.factories import new_appeal
from tsur.answers.models import AnswerTemplate
from tsur.answers.services import templates_for


def make(code: str, *, block=None, categories=(), kind: str = "final", active: bool = True) -> AnswerTemplate:
    t = AnswerTemplate.objects.create(code=code, name=f"Шаблон {code}", kind=kind, block=block, text="…", is_active=active)
    t.categories.set(categories)
    return t


def test_it_offers_the_categorys_templates_first_then_the_blocks_then_general(world):
    make("a-general")
    make("b-roads", block=world.roads)
    make("c-pothole", categories=[world.pothole])
    make("d-pothole-and-snow", block=world.roads, categories=[world.pothole, world.snow])
    make("e-waste", block=world.waste)
    make("f-snow-only", categories=[world.snow])
    make("g-interim", kind="interim")
    make("h-retired", categories=[world.pothole], active=False)
    a = new_appeal(world, category_code="pothole")
    assert [t.code for t in templates_for(a, "final")] == ["c-pothole", "d-pothole-and-snow", "b-roads", "a-general"]
    assert [t.code for t in templates_for(a, "interim")] == ["g-interim"]


def test_it_offers_general_templates_when_the_appeal_has_no_category(world):
    make("a-general")
    make("c-pothole", categories=[world.pothole])
    a = new_appeal(world, category_code="pothole")
    a.category, a.block = None, None
    assert [t.code for t in templates_for(a, "final")] == ["a-general"]
