"""Every change to polls goes through these functions (one door each, each audited in PollEvent)."""

from tsur.polls.services.building import (
    close_poll,
    create_poll,
    delete_question,
    publish_poll,
    save_question,
    update_poll,
)
from tsur.polls.services.codes import request_code, verify_code, verify_code_key
from tsur.polls.services.identity import Identity, IdentityKind, account_identity
from tsur.polls.services.invitations import create_invitation, invitation_identity, invitation_territory
from tsur.polls.services.voting import (
    cast_vote,
    check_answers,
    current_polls,
    require_open,
    territory_ids,
    voting_territories,
)

__all__ = [
    "Identity",
    "IdentityKind",
    "account_identity",
    "cast_vote",
    "check_answers",
    "close_poll",
    "create_invitation",
    "create_poll",
    "current_polls",
    "delete_question",
    "invitation_identity",
    "invitation_territory",
    "publish_poll",
    "request_code",
    "require_open",
    "save_question",
    "territory_ids",
    "update_poll",
    "verify_code",
    "verify_code_key",
    "voting_territories",
]
