"""Learner URLs."""

from django.urls import path

from . import views, views_my_path, views_offline, views_player, views_statements

app_name = "learning"
urlpatterns = [
    path("mon-parcours/", views_my_path.my_path, name="my_path"),
    path("mon-parcours/ecouter/", views_my_path.my_path_listen, name="my_path_listen"),
    path("mon-parcours/attestation/<int:path_id>/", views_my_path.attestation, name="attestation"),
    path("apprendre/<int:module_id>/", views_player.module_resume, name="module"),
    path("apprendre/<int:module_id>/etape/<int:number>/", views_player.module_step, name="step"),
    path("apprendre/<int:module_id>/avant/", views.outcome_start, name="outcome_start"),
    path("apprendre/<int:module_id>/apres/", views.outcome_end, name="outcome_end"),
    path("apprendre/<int:module_id>/bravo/", views.module_done, name="module_done"),
    path("apprendre/releves/", views_statements.statements_batch, name="statements"),
    path("texte/", views.text_size, name="text_size"),
    path("sw.js", views_offline.service_worker, name="service_worker"),
    path("hors-ligne/", views_offline.offline_page, name="offline"),
]
