"""Learner URLs."""

from django.urls import path

from . import views

app_name = "learning"
urlpatterns = [
    path("mon-parcours/", views.my_path, name="my_path"),
]
