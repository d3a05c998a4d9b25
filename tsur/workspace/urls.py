from django.urls import include, path

from tsur.workspace import answering, navigation, notes, privacy, signal_settings, views, views_queue

app_name = "workspace"

urlpatterns = [
    path("", views_queue.queue, name="queue"),
    path("mine/", views_queue.mine, name="mine"),
    path("bulk/", views_queue.queue_bulk, name="queue_bulk"),
    path("views/", views_queue.view_save, name="view_save"),
    path("views/<int:pk>/delete/", views_queue.view_delete, name="view_delete"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/seen/", views.alert_seen, name="alert_seen"),
    path("alerts/settings/", signal_settings.signal_settings, name="signal_settings"),
    path("appeals/<str:number>/notes/", notes.add, name="note_add"),
    path("appeals/<str:number>/", views.card, name="card"),
    path("appeals/<str:number>/actions/<slug:name>/", views.act, name="act"),
    path("appeals/<str:number>/answer-template/", views.answer_template, name="answer_template"),
    path("appeals/<str:number>/answer-check/", answering.answer_check, name="answer_check"),
    path("appeals/<str:number>/answer-files/<int:pk>/", answering.answer_file, name="answer_file"),
    path("appeals/<str:number>/next/", navigation.next_appeal, name="next_appeal"),
    path("appeals/<str:number>/previous/", navigation.previous_appeal, name="previous_appeal"),
    path("back-to-queue/", navigation.back_to_queue, name="back_to_queue"),
    path("center/", include("tsur.workspace.center.urls")),
    path("center/", include("tsur.workspace.monitoring.urls")),
    path("polls/", include("tsur.workspace.polls.urls")),
    # Personal data for administrators (part pd, tsur/workspace/privacy.py).
    path("privacy/", privacy.access_log, name="privacy_log"),
    path("privacy/requests/", privacy.requests, name="privacy_requests"),
    path("privacy/requests/<int:pk>/", privacy.request_decide, name="privacy_decide"),
]
