from __future__ import annotations

import pytest

from tests.workspace.helpers import Desk


@pytest.fixture
def desk(client) -> Desk:
    return Desk(client)
