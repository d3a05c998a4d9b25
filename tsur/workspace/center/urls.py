"""The situation center's URLs under /workspace/center/: each page module lists its own."""

from tsur.workspace.center import dashboards, front, map, reports, tension

urlpatterns = [*front.urlpatterns, *dashboards.urlpatterns, *tension.urlpatterns, *map.urlpatterns, *reports.urlpatterns]
