from django.urls import include, path

from tsur.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("mine/", views.mine, name="mine"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/seen/", views.alert_seen, name="alert_seen"),
    path("appeals/<str:number>/", views.card, name="card"),
    path("appeals/<str:number>/actions/<slug:name>/", views.act, name="act"),
    path("appeals/<str:number>/answer-template/", views.answer_template, name="answer_template"),
    path("center/", include("tsur.workspace.center.urls")),
    path("center/", include("tsur.workspace.monitoring.urls")),
    path("polls/", include("tsur.workspace.polls.urls")),
]
