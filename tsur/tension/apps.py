from django.apps import AppConfig


class TensionConfig(AppConfig):
    """Points of tension: where problems pile up beyond a place's and topic's usual level. Above
    appeals (it reads them and reacts to their changes); the detector itself is the pure
    tsur.tension.engine, shared with `tsur tension detect`."""

    name = "tsur.tension"
    verbose_name = "Точки напряжённости"

    def ready(self) -> None:
        from tsur.appeals.events import appeal_changed
        from tsur.monitoring.events import evidence_changed
        from tsur.tension import tasks  # registers the recompute task, its sweeper and the daily refresh

        # Creation publishes appeal_changed ("created") as well, so appeals_received would only
        # repeat the same work: every new, reclassified, moved, answered or rated appeal arrives here.
        appeal_changed.subscribe(tasks.on_appeals_changed, uid="tsur.tension.recompute")
        # A linked monitoring event confirms the appeals it is about: their series are recounted.
        evidence_changed.subscribe(tasks.on_evidence_changed, uid="tsur.tension.evidence")
