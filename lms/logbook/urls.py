"""Trainer URLs; the personal data screens (lms/privacy/urls.py) join them in lms/urls.py."""

from django.urls import path

from . import group_views, views

app_name = "logbook"
urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("apprenants/", views.learners, name="learners"),
    path("apprenants/nouveau/", views.learner_new, name="learner_new"),
    path("apprenants/avec-une-carte/", views.learner_join_view, name="learner_join"),
    path("apprenants/<int:learner_id>/fusionner/", views.learner_merge_view, name="learner_merge"),
    path("apprenants/<int:learner_id>/", views.learner_detail, name="learner"),
    path("apprenants/<int:learner_id>/carte/", views.learner_card, name="learner_card"),
    path("apprenants/<int:learner_id>/carte.pdf", views.learner_card_pdf, name="learner_card_pdf"),
    path(
        "apprenants/<int:learner_id>/debloquer/",
        views.learner_card_unlock,
        name="learner_card_unlock",
    ),
    path(
        "apprenants/<int:learner_id>/ouvrir/",
        views.learner_open_session,
        name="learner_open_session",
    ),
    path("appareil/", views.device_mark, name="device_mark"),
    path("formateurs/", views.trainers, name="trainers"),
    path("groupes/nouveau/", group_views.group_new, name="group_new"),
    path("groupes/<int:group_id>/", group_views.group_detail, name="group"),
    path("groupes/<int:group_id>/cartes/", group_views.group_cards, name="group_cards"),
    path("groupes/<int:group_id>/cartes.pdf", group_views.group_cards_pdf, name="group_cards_pdf"),
    path("groupes/<int:group_id>/seance/", group_views.session_new, name="session_new"),
    path("seances/<int:session_id>/", group_views.session_edit, name="session_edit"),
    path(
        "seances/<int:session_id>/validations/",
        group_views.session_validations,
        name="session_validations",
    ),
]
