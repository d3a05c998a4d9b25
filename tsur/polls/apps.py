from django.apps import AppConfig


class PollsConfig(AppConfig):
    """Polls of the population: operators build them, verified residents vote once (by account or
    a one-time code), results by territory without personal data, and a follow-up poll after a fix
    («проблема действительно решена?») that feeds the KPIs and can reopen the problem."""

    name = "tsur.polls"
    verbose_name = "Опросы"

    def ready(self) -> None:
        from tsur.appeals.events import appeal_changed
        from tsur.polls import (
            followup_tasks,  # noqa: F401  (the follow-up's task, sweeper and settling)
            tasks,  # noqa: F401  (registers the periodic jobs)
        )
        from tsur.polls.events import ballot_cast
        from tsur.polls.followup import on_appeals_changed, on_ballots_cast

        appeal_changed.subscribe(on_appeals_changed, uid="tsur.polls.followup")
        ballot_cast.subscribe(on_ballots_cast, uid="tsur.polls.followup.settle")
