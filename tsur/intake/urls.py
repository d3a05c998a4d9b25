"""Public resident pages, included at the site root."""

from django.urls import path

from tsur.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("widget/", views.widget, name="widget"),
    path("widget/done/<str:number>/<str:key>/", views.widget_done, name="widget_done"),
    path("widget.js", views.widget_js, name="widget_js"),
    path("widget/boundaries.geojson", views.boundaries, name="boundaries"),
    path("status/", views.status_lookup, name="status_lookup"),
    path("status/<str:number>/<str:key>/", views.status_page, name="status"),
    path("status/<str:number>/<str:key>/rate/", views.status_rate, name="status_rate"),
]
