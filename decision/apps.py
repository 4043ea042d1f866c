from django.apps import AppConfig


class DecisionConfig(AppConfig):
    name = "decision"
    verbose_name = "Decisions: rules, releases and assessments"
