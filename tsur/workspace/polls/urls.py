"""The polls' URLs under /workspace/polls/."""

from django.urls import path

from tsur.workspace.polls import results, views

urlpatterns = [
    path("", views.poll_list, name="polls"),
    path("new/", views.poll_new, name="poll_new"),
    path("<int:poll_id>/", views.poll_edit, name="poll_edit"),
    path("<int:poll_id>/preview/", views.poll_preview, name="poll_preview"),
    path("<int:poll_id>/publish/", views.poll_publish, name="poll_publish"),
    path("<int:poll_id>/close/", views.poll_close, name="poll_close"),
    path("<int:poll_id>/announce/", views.poll_announce, name="poll_announce"),
    path("<int:poll_id>/questions/", views.question_add, name="poll_question_add"),
    path("<int:poll_id>/questions/<int:question_id>/", views.question_edit, name="poll_question_edit"),
    path("<int:poll_id>/questions/<int:question_id>/delete/", views.question_delete, name="poll_question_delete"),
    path("<int:poll_id>/questions/<int:question_id>/move/<str:direction>/", views.question_move, name="poll_question_move"),
    path("<int:poll_id>/results/", results.poll_results_page, name="poll_results"),
    path("<int:poll_id>/results/<str:part>.<str:kind>", results.poll_results_export, name="poll_results_export"),
]
