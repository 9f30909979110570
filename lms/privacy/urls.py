"""The personal data screens, in the trainer's workspace: their names stay `logbook:...`.

No `app_name` here: lms/urls.py puts these patterns in the logbook's namespace, next to the
learner's page they start from (the logbook cannot import them: privacy sits above it).
"""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "apprenants/<int:learner_id>/donnees.json",
        views.learner_data_json,
        name="learner_data_json",
    ),
    path("apprenants/<int:learner_id>/donnees/", views.learner_data, name="learner_data"),
    path("apprenants/<int:learner_id>/modifier/", views.learner_edit, name="learner_edit"),
    path(
        "apprenants/<int:learner_id>/effacer/",
        views.learner_erase_view,
        name="learner_erase",
    ),
    path(
        "apprenants/<int:learner_id>/accords/",
        views.learner_consent,
        name="learner_consent",
    ),
    path("registre/", views.register, name="register"),
    path("journal/", views.audit_log, name="audit_log"),
]
