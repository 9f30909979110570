"""URLs for signing in and out."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.SignInView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("accueil/", views.home, name="home"),
    path("ou-trouver-de-l-aide/", views.find_help, name="find_help"),
    path("c/<str:token>/", views.card_start, name="card_start"),
    path("carte/code-secret/", views.card_secret, name="card_secret"),
    path("carte/images/", views.card_pictures, name="card_pictures"),
    path("carte/code/", views.card_code, name="card_code"),
    path("session/terminer/", views.assisted_end, name="assisted_end"),
    path("taches/<uuid:job_id>/", views.job_status, name="job"),
    path("taches/<uuid:job_id>/fichier/", views.job_download, name="job_download"),
]
