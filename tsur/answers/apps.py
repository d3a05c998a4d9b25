from django.apps import AppConfig


class AnswersConfig(AppConfig):
    name = "tsur.answers"
    verbose_name = "Ответы"
