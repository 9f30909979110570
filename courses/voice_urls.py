"""URLs of the voice (courses/voice_views.py): the server voice and editors' recordings."""

from django.urls import path

from . import voice_views

app_name = "voice"

urlpatterns = [
    path("", voice_views.voice_audio_request, name="request"),
    # Before the server voice's files, whose first part is any word.
    path(
        "enregistrement/<str:digest>.<str:extension>",
        voice_views.recording_audio,
        name="recording",
    ),
    path("<str:language>/<str:key>.mp3", voice_views.voice_audio, name="audio"),
]
