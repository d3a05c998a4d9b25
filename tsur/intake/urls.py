"""Public resident pages, included at the site root."""

from django.urls import path

from tsur.intake import answer_files, cabinet, my_data, places, polls, recovery, views

app_name = "intake"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("widget/", views.widget, name="widget"),
    path("widget/done/<str:number>/<str:key>/", views.widget_done, name="widget_done"),
    path("widget.js", views.widget_js, name="widget_js"),
    path("widget/boundaries.geojson", views.boundaries, name="boundaries"),
    path("widget/places.json", places.places, name="places"),
    path("status/", views.status_lookup, name="status_lookup"),
    # Residents (tsur/intake/recovery.py, tsur/intake/cabinet.py): the lost link, the reply to a
    # clarification, the cabinet of a resident with an account.
    path("status/recover/", recovery.status_recover, name="status_recover"),
    path("status/<str:number>/<str:key>/reply/", cabinet.status_reply, name="status_reply"),
    path("cabinet/", cabinet.cabinet, name="cabinet"),
    # Personal data (part pd, tsur/intake/my_data.py): «Мои данные», the download and the deletion
    # request, from the cabinet and by the private link. Before cabinet/<number>/.
    path("cabinet/data/", my_data.cabinet_data, name="cabinet_data"),
    path("cabinet/data/json/", my_data.cabinet_data_json, name="cabinet_data_json"),
    path("cabinet/data/delete/", my_data.cabinet_data_delete, name="cabinet_data_delete"),
    path("status/<str:number>/<str:key>/data/", my_data.status_data, name="status_data"),
    path("status/<str:number>/<str:key>/data/json/", my_data.status_data_json, name="status_data_json"),
    path("status/<str:number>/<str:key>/data/delete/", my_data.status_data_delete, name="status_data_delete"),
    path("cabinet/<str:number>/", cabinet.cabinet_appeal, name="cabinet_appeal"),
    path("status/<str:number>/<str:key>/", views.status_page, name="status"),
    path("status/<str:number>/<str:key>/rate/", views.status_rate, name="status_rate"),
    path("status/<str:number>/<str:key>/answer-files/<int:pk>/", answer_files.answer_file, name="answer_file"),
    # Polls (tsur/intake/polls.py): the public pages, and the same under /widget/ to be framed.
    path("polls/", polls.poll_list, name="poll_list"),
    path("polls/<str:token>/", polls.poll_page, name="poll"),
    path("polls/<str:token>/code/", polls.poll_code, name="poll_code"),
    path("polls/<str:token>/vote/", polls.poll_vote, name="poll_vote"),
    path("polls/<str:token>/thanks/", polls.poll_thanks, name="poll_thanks"),
    path("widget/polls/", polls.poll_list, {"embed": True}, name="widget_poll_list"),
    path("widget/polls/<str:token>/", polls.poll_page, {"embed": True}, name="widget_poll"),
    path("widget/polls/<str:token>/code/", polls.poll_code, {"embed": True}, name="widget_poll_code"),
    path("widget/polls/<str:token>/vote/", polls.poll_vote, {"embed": True}, name="widget_poll_vote"),
    path("widget/polls/<str:token>/thanks/", polls.poll_thanks, {"embed": True}, name="widget_poll_thanks"),
    path("polls.js", polls.polls_js, name="polls_js"),
]
