"""Objective monitoring's pages under /workspace/center/ (names in the workspace namespace)."""

from tsur.workspace.monitoring.views import urlpatterns

__all__ = ["urlpatterns"]
