"""Service functions of the appeal lifecycle: one door for every state change.

Each function validates, checks access and the transition, writes the appeal and one event in a
single transaction (through `changing`, the only writer of an appeal's status), and schedules
side effects (notifications, background work, events to subscribers) after commit. Views, API
endpoints, tasks and commands only parse input and call these. By what they do:

- transitions: the door itself (`changing`), `log_event`, the audit of personal-data views;
- creation: new appeals, one or a batch; messages: a resident's later message to an appeal;
- moderation: classification, place, urgency, routing, transfer, rejection, automatic triage;
- work: acceptance and assignment by the organisation;
- problems: joining appeals into a problem and detaching them;
- notifications: messages to residents.

Answers, extensions and ratings are tsur.answers.services, on the same door.
"""

from tsur.appeals.services.clarification import Clarification, clarifications, open_question, open_question_among, request_clarification
from tsur.appeals.services.creation import (
    CATEGORY_DEFAULT_URGENCY,
    NewAppeal,
    create_appeal,
    create_appeals,
    next_number,
    next_numbers,
    regime_for,
    status_url,
    validate_new_appeal,
)
from tsur.appeals.services.messages import LINK_SENT_EVENT, RESIDENT_MESSAGE_EVENT, add_resident_message, record_status_links_sent
from tsur.appeals.services.moderation import (
    AUTO_TRIAGE_LABEL,
    AutoTriage,
    apply_auto_triage,
    apply_proposal,
    auto_triage,
    auto_triage_reason,
    change_place,
    change_urgency,
    reclassify,
    reject_appeal,
    return_to_moderation,
    route_appeal,
    take_to_moderation,
    transfer_appeal,
)
from tsur.appeals.services.notifications import notify_resident, notify_residents, settle_unsendable
from tsur.appeals.services.problems import detach_from_problem, join_to_problem
from tsur.appeals.services.transitions import (
    PD_VIEW_EVENT,
    SYSTEM,
    Change,
    actor_label,
    changing,
    log_event,
    record_personal_data_view,
    step,
)
from tsur.appeals.services.work import accept_appeal, assign_executor

__all__ = [
    "AUTO_TRIAGE_LABEL", "CATEGORY_DEFAULT_URGENCY", "PD_VIEW_EVENT", "RESIDENT_MESSAGE_EVENT", "SYSTEM", "AutoTriage", "Change",
    "NewAppeal", "accept_appeal", "actor_label", "add_resident_message", "apply_auto_triage", "apply_proposal",
    "assign_executor", "auto_triage", "auto_triage_reason", "change_place", "change_urgency", "changing", "create_appeal",
    "create_appeals", "detach_from_problem", "join_to_problem", "log_event", "next_number", "next_numbers", "notify_resident",
    "notify_residents", "reclassify", "record_personal_data_view", "regime_for", "reject_appeal", "return_to_moderation",
    "route_appeal", "settle_unsendable", "status_url", "step", "take_to_moderation", "transfer_appeal", "validate_new_appeal",
    "Clarification", "clarifications", "open_question", "open_question_among", "request_clarification", "LINK_SENT_EVENT", "record_status_links_sent",
]
