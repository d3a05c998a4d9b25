from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tsur.appeals.views import attachment
from tsur.intake.api import api

admin.site.site_header = "ЦУР: администрирование"
admin.site.site_title = "ЦУР"
admin.site.index_title = "Справочники и настройки"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", api.urls),
    path("open311/v2/", include("tsur.intake.open311_urls")),
    path("workspace/", include("tsur.workspace.urls")),
    path("attachments/<int:pk>/", attachment, name="attachment"),
    path("", include("tsur.intake.urls")),
]

# --- load (part load): the bare endpoint `tsur bench load` compares the intake with -------------
if settings.TSUR_BENCH_ENDPOINTS:
    from tsur.core.bench_api import bench_api

    urlpatterns.insert(0, path("bench/", bench_api.urls))

# --- production: health, readiness, metrics (each app registers its /metrics sources in its tasks) ---
from tsur.core import health, metrics  # noqa: E402

urlpatterns[:0] = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
]

handler400 = "tsur.core.pages.bad_request"
handler403 = "tsur.core.pages.permission_denied"
handler404 = "tsur.core.pages.page_not_found"
handler500 = "tsur.core.pages.server_error"
