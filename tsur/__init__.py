"""tsur: a platform for a regional management center (ЦУР)."""

__version__ = "0.1.0"

# The Celery app must exist before any task is sent, or `.delay()` would use Celery's default
# broker instead of ours (the standard Django + Celery layout).
from tsur.celery import app as celery_app

__all__ = ["celery_app"]
