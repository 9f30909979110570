"""H5P packages and the libraries they share, as stored in default_storage (MEDIA)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.search import index


class H5PLibrary(models.Model):
    """One version of an H5P library (e.g. H5P.MultiChoice 1.14.6), stored once for every package."""

    machine_name = models.CharField(_("machine name"), max_length=255)
    major = models.PositiveIntegerField(_("major version"))
    minor = models.PositiveIntegerField(_("minor version"))
    patch = models.PositiveIntegerField(_("patch version"))
    path = models.CharField(_("storage folder"), max_length=255, unique=True, editable=False)
    # What the stored files are (h5p_library_files_sha256): a later upload of the same version
    # with other files is refused rather than swapped in under every package that uses it.
    files_sha256 = models.CharField(
        _("SHA-256 of the files"), max_length=64, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("stored at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("H5P library")
        verbose_name_plural = _("H5P libraries")
        ordering = ["machine_name", "major", "minor", "patch"]
        constraints = [
            models.UniqueConstraint(
                fields=["machine_name", "major", "minor", "patch"],
                name="h5plibrary_unique_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.machine_name} {self.major}.{self.minor}.{self.patch}"

    @property
    def folder(self) -> str:
        """The folder name H5P uses for this library: patch versions share it."""
        return f"{self.machine_name}-{self.major}.{self.minor}"

    @property
    def full_version(self) -> str:
        """machineName-major.minor.patch: the name of its storage folder."""
        return f"{self.folder}.{self.patch}"


class H5PPackage(index.Indexed, models.Model):
    """An uploaded .h5p file: its content, stored under its SHA-256, and the libraries it plays with."""

    title = models.CharField(_("title"), max_length=255)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, unique=True, editable=False)
    main_library = models.ForeignKey(
        H5PLibrary,
        verbose_name=_("main library"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    language = models.CharField(_("language"), max_length=10, editable=False)
    content_path = models.CharField(
        _("content folder"), max_length=255, unique=True, editable=False
    )
    libraries = models.ManyToManyField(
        H5PLibrary, verbose_name=_("libraries"), related_name="packages", editable=False
    )
    size_bytes = models.PositiveBigIntegerField(_("size in bytes"), editable=False)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    # Pages point at packages; what a package points at is of no interest to "usage" screens.
    main_library.wagtail_reference_index_ignore = True
    uploaded_by.wagtail_reference_index_ignore = True

    search_fields = [index.SearchField("title"), index.AutocompleteField("title")]

    class Meta:
        verbose_name = _("H5P activity")
        verbose_name_plural = _("H5P activities")
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title
