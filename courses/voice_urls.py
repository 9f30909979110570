"""URLs of the server voice (courses/voice_views.py)."""

from django.urls import path

from . import voice_views

app_name = "voice"

urlpatterns = [
    path("", voice_views.voice_audio_request, name="request"),
    path("<str:language>/<str:key>.mp3", voice_views.voice_audio, name="audio"),
]
