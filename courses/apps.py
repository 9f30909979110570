"""App configuration for the catalogue."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Catalogue")

    def ready(self):
        from django.core import checks
        from django.db.models.signals import post_delete, post_save
        from wagtail.images import get_image_model
        from wagtail.models import Page, Site
        from wagtail.signals import page_published, page_unpublished, post_page_move

        from . import personal_data  # noqa: F401  (declares its personal data to lms/privacy)
        from .caching import bump_content_version
        from .pictures import page_published as pictures_warm_soon
        from .voice import voice_engine_check

        checks.register(voice_engine_check)

        # Any page change makes the cached catalogue and step content out of date.
        for signal in (page_published, page_unpublished, post_page_move):
            signal.connect(bump_content_version, dispatch_uid=f"courses-cache-{signal!r}")
        # A published page's pictures get their renditions before a visitor asks for them.
        page_published.connect(pictures_warm_soon, dispatch_uid="courses-pictures-warm")

        # Deleting any kind of page deletes its row of Page (multi-table inheritance), and
        # Django signals it with Page as the sender. A receiver for every sender would make
        # every delete of every model load its rows to signal them one by one.
        post_delete.connect(
            bump_content_version, sender=Page, dispatch_uid="courses-cache-page-del"
        )
        # A site's host name or root page decides where URLs lead (cms/routing.py).
        post_save.connect(bump_content_version, sender=Site, dispatch_uid="courses-cache-site")
        post_delete.connect(
            bump_content_version, sender=Site, dispatch_uid="courses-cache-site-del"
        )
        # A picture edited in the library (its file, its focal point) changes renditions.
        image = get_image_model()
        post_save.connect(bump_content_version, sender=image, dispatch_uid="courses-cache-image")
        post_delete.connect(
            bump_content_version, sender=image, dispatch_uid="courses-cache-img-del"
        )
        # A step's recording is in its cached content (the URL its Listen plays first).
        post_save.connect(
            bump_content_version, sender="courses.StepRecording", dispatch_uid="courses-rec"
        )
        post_delete.connect(
            bump_content_version, sender="courses.StepRecording", dispatch_uid="courses-rec-del"
        )
