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
]
