"""The card lists a problem's joined appeals only as far as the user may see them (as the API
does): an executor sees the appeal assigned to them, not the numbers, dates and statuses of
other residents' appeals joined to it; only how many there are."""

from __future__ import annotations

from tests.factories import new_appeal
from tsur.appeals import services


def test_it_hides_members_outside_the_scope_and_counts_them(desk, world):
    lead = new_appeal(world)
    services.route_appeal(lead.pk, world.operator)
    services.assign_executor(lead.pk, world.coordinator, executor_id=world.executor.pk)
    members = [new_appeal(world, text=f"Та же яма, {i}") for i in range(2)]
    for member in members:
        services.join_to_problem(member.pk, world.operator, lead_number=lead.number)

    page = desk.as_(world.executor).card(lead).content.decode()
    assert all(m.number not in page for m in members)
    assert "Ещё присоединённых обращений вне вашей области видимости: 2." in page

    page = desk.as_(world.coordinator).card(lead).content.decode()
    assert all(m.number in page for m in members) and "вне вашей области видимости" not in page
