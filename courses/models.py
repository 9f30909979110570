"""Catalogue models: competence frameworks (data) and the Wagtail pages that teach them."""

import uuid

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from lms.forms import search_query

from .blocks import StepBlock
from .caching import active_locale, content_key, shared_content, shared_get_many, shared_set_many
from .forms import ModulePageForm
from .framing import render_framed
from .h5p.models import H5PLibrary, H5PPackage  # noqa: F401 (the H5P models belong to this app)
from .languages import lang_attribute

# --- Competences -------------------------------------------------------------------------


class LocalisedNameMixin:
    """Names in the interface's language: French, Dutch or English (French where one is
    missing: DigComp is published in French and English; the Dutch names are ours)."""

    @property
    def name(self) -> str:
        language = (get_language() or "fr")[:2]
        return {"en": self.name_en, "nl": self.name_nl}.get(language) or self.name_fr


class CompetenceFramework(LocalisedNameMixin, models.Model):
    """A versioned framework: DigComp 2.2, a later DigComp, or the "level 0" layer."""

    slug = models.SlugField(unique=True)
    name_fr = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)
    name_nl = models.CharField(max_length=120, blank=True)
    published_on = models.DateField(null=True, blank=True)
    source = models.TextField(blank=True)

    class Meta:
        verbose_name = _("competence framework")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class CompetenceArea(LocalisedNameMixin, models.Model):
    framework = models.ForeignKey(
        CompetenceFramework, on_delete=models.CASCADE, related_name="areas"
    )
    code = models.CharField(max_length=10)
    name_fr = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    name_nl = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("competence area")
        ordering = ["framework", "code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="area_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"


class Competence(LocalisedNameMixin, models.Model):
    framework = models.ForeignKey(
        CompetenceFramework, on_delete=models.CASCADE, related_name="competences"
    )
    area = models.ForeignKey(CompetenceArea, on_delete=models.CASCADE, related_name="competences")
    code = models.CharField(max_length=10)
    name_fr = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    name_nl = models.CharField(max_length=200, blank=True)
    description_fr = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    description_nl = models.TextField(blank=True)
    # A competence of a newer framework points at the DigComp 2.2 competence it rewords,
    # so figures stay comparable across versions.
    maps_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="mapped_from"
    )

    class Meta:
        verbose_name = _("competence")
        verbose_name_plural = _("competences")
        ordering = ["framework", "code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="competence_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProficiencyLevel(LocalisedNameMixin, models.Model):
    framework = models.ForeignKey(
        CompetenceFramework, on_delete=models.CASCADE, related_name="levels"
    )
    number = models.PositiveSmallIntegerField()
    name_fr = models.CharField(max_length=80)
    name_en = models.CharField(max_length=80)
    name_nl = models.CharField(max_length=80, blank=True)
    description_fr = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    description_nl = models.TextField(blank=True)

    class Meta:
        ordering = ["framework", "number"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "number"], name="level_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number} – {self.name}"


# --- Pages -------------------------------------------------------------------------------


def localize_pages(pages, locale=None) -> list:
    """Each page in the visitor's language when a live translation exists, else as given.

    One query for the whole list, instead of one `page.localized` per page.
    """
    pages = list(pages)
    locale = locale or active_locale()
    if not pages or all(page.locale_id == locale.pk for page in pages):
        return pages
    model = type(pages[0])
    translations = {
        page.translation_key: page
        for page in model.objects.live()
        .filter(locale=locale, translation_key__in=[page.translation_key for page in pages])
        .select_related("picture")
    }
    return [translations.get(page.translation_key, page) for page in pages]


class ServeInVisitorLanguageMixin:
    """Learners see the version in their language, or the French original."""

    def serve(self, request, *args, **kwargs):
        localized = self.visitor_translation()
        if localized is not None:
            return localized.specific.serve(request, *args, **kwargs)
        return super().serve(request, *args, **kwargs)

    def visitor_translation(self):
        """The live translation in the visitor's language, if this page is not in it.

        As `self.localized`, without its query for the active locale on every visit."""
        locale = active_locale()
        if locale.pk != self.locale_id:
            localized = self.get_translation_or_none(locale)
            if localized is not None and localized.live:
                return localized
        return None


def activity_iri(*parts: object) -> str:
    """A stable identifier for a learning activity, independent of page titles and URLs."""
    return "/".join([settings.XAPI_IRI_BASE.rstrip("/"), *(str(part) for part in parts)])


class PictureMixin(models.Model):
    picture = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("picture or pictogram"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class FixtureSourceMixin(models.Model):
    """Pages loaded from fixtures/ remember a digest of their source file.

    The loader revises a page only when its source changed, so running it twice changes
    nothing and an editor's later work is not overwritten by an unchanged file.
    """

    source_digest = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True


class CatalogueIndexPage(ServeInVisitorLanguageMixin, FixtureSourceMixin, Page):
    """The public catalogue: themes and learning paths."""

    intro = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["courses.ThemePage", "courses.LearningPathPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("catalogue")

    def serve(self, request, *args, **kwargs):
        """Without a search, the whole page is the same for every visitor with the same
        roles: served from a frame rendered once (courses/framing.py), the visitor's CSRF token,
        address and text size put in. A search is rendered for its visitor."""
        localized = self.visitor_translation()
        if localized is not None:
            return localized.specific.serve(request, *args, **kwargs)
        request.is_preview = False  # as Page.serve
        context = self.get_context(request, *args, **kwargs)
        if context["cards_cache_key"] is None:
            return TemplateResponse(request, self.get_template(request, *args, **kwargs), context)
        return render_framed(
            request,
            self.get_template(request, *args, **kwargs),
            {},
            content=context,
            key_parts=("catalogue", context["cards_cache_key"]),
            slot="visitor_html",
            own="",
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        theme_slug = request.GET.get("theme", "")
        query = search_query(request.GET, cut_at=100)
        show_all = bool(request.GET.get("tous"))
        context.update(query=query)
        # The cards are the same for every visitor: rendered once per content version and
        # language (see courses/caching.py). Searches are not cached (any text would make a
        # key), nor unknown themes; the header and the forms around them stay per visitor.
        # Kept in this process too (shared_get_many): no round trip to Redis at each visit.
        key = None
        if not query and (not theme_slug or theme_slug in self.theme_slugs()):
            key = content_key("catalogue", self.pk, theme_slug, int(show_all))
        context["cards_cache_key"] = key
        if key is not None:
            html = shared_get_many([key]).get(key)
            if html is not None:
                context["catalogue_html"] = mark_safe(html)  # noqa: S308 (our own template)
                return context
        cards = self.cards(theme_slug, query)
        html = render_to_string(
            "courses/includes/catalogue_cards.html",
            {**cards, "query": query, "show_all": show_all, "request": request, "page": self},
        )
        if key is not None:
            shared_set_many({key: html})
        context.update(cards, catalogue_html=mark_safe(html))  # noqa: S308 (our own template)
        return context

    def theme_slugs(self) -> tuple[str, ...]:
        """The live themes' slugs (cached): which `?theme=` values deserve a cache entry."""
        return shared_content(
            content_key("catalogue-themes", self.pk),
            lambda: tuple(ThemePage.objects.child_of(self).live().values_list("slug", flat=True)),
        )

    def cards(self, theme_slug: str, query: str) -> dict:
        """Themes, the modules asked for and the learning paths, in the visitor's language."""
        # Pictures and their renditions come with the pages: no query per card.
        locale = active_locale()
        themes = list(
            ThemePage.objects.child_of(self)
            .live()
            .select_related("picture")
            .prefetch_related("picture__renditions")
        )
        chosen_theme = next((theme for theme in themes if theme.slug == theme_slug), None)
        modules = (
            ModulePage.objects.descendant_of(self)
            .live()
            .select_related("picture")
            .prefetch_related("picture__renditions")
        )
        if chosen_theme:
            modules = modules.child_of(chosen_theme)
        if query:
            modules = modules.search(query)
        paths = LearningPathPage.objects.child_of(self).live()
        return {
            "themes": localize_pages(themes, locale),
            "chosen_theme": chosen_theme,
            # Loaded only if the template shows them: modules for a theme, a search or "all";
            # paths on the first screen.
            "modules": SimpleLazyObject(lambda: localize_pages(modules, locale)),
            "paths": SimpleLazyObject(
                lambda: localize_pages(
                    paths.select_related("picture").prefetch_related("picture__renditions"),
                    locale,
                )
            ),
        }


class ThemePage(ServeInVisitorLanguageMixin, FixtureSourceMixin, PictureMixin, Page):
    intro = models.CharField(_("introduction"), max_length=200, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("picture")]
    parent_page_types = ["courses.CatalogueIndexPage"]
    subpage_types = ["courses.ModulePage"]

    class Meta:
        verbose_name = _("theme")


class ModulePage(ServeInVisitorLanguageMixin, FixtureSourceMixin, PictureMixin, Page):
    """A module of 5 to 15 minutes: a goal, and steps shown one per screen."""

    goal = models.CharField(
        _("goal"),
        max_length=160,
        help_text=_("One plain sentence, e.g. “Vous saurez envoyer une photo par e-mail.”"),
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration in minutes"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    level = models.PositiveSmallIntegerField(
        _("DigComp proficiency level"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(8)],
    )
    competences = ParentalManyToManyField(
        Competence, blank=True, related_name="modules", verbose_name=_("competences")
    )
    prerequisites = ParentalManyToManyField(
        "self", blank=True, symmetrical=False, verbose_name=_("prerequisites")
    )
    steps = StreamField(StepBlock(), verbose_name=_("steps"))

    base_form_class = ModulePageForm
    content_panels = [
        *Page.content_panels,
        FieldPanel("goal"),
        FieldPanel("picture"),
        MultiFieldPanel(
            [
                FieldPanel("duration_minutes"),
                FieldPanel("level"),
                # Ticked in a list, not a multiple select that needs ctrl-click.
                FieldPanel("competences", widget=forms.CheckboxSelectMultiple),
            ],
            heading=_("Level and competences"),
        ),
        FieldPanel("prerequisites", widget=forms.CheckboxSelectMultiple),
        FieldPanel("steps"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("goal"),
        index.SearchField("steps"),
        index.FilterField("locale_id"),
    ]
    parent_page_types = ["courses.ThemePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("module")

    @property
    def iri(self) -> str:
        # translation_key is shared by every translation, so records do not depend on language.
        return activity_iri("modules", self.translation_key)

    def step_iri(self, step_id: str) -> str:
        return activity_iri("modules", self.translation_key, "steps", step_id)

    def get_context(self, request, *args, **kwargs):
        """The module page (and the editors' preview) shows each step with its block's own
        template, the one the learner's player uses (templates/blocks/): it is given the
        editors' language as the player gives it."""
        context = super().get_context(request, *args, **kwargs)
        context["content_language"] = self.locale.language_code
        context["content_lang"] = lang_attribute(self.locale.language_code)
        context["has_h5p"] = any(step.block_type == "h5p" for step in self.steps)
        return context


class LearningPathPage(ServeInVisitorLanguageMixin, FixtureSourceMixin, PictureMixin, Page):
    """An ordered list of modules with a goal, e.g. “Gérer mes e-mails”."""

    goal = models.CharField(_("goal"), max_length=160)

    content_panels = [
        *Page.content_panels,
        FieldPanel("goal"),
        FieldPanel("picture"),
        InlinePanel("path_modules", label=_("Modules"), min_num=1),
    ]
    search_fields = [*Page.search_fields, index.SearchField("goal")]
    parent_page_types = ["courses.CatalogueIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("learning path")

    @property
    def iri(self) -> str:
        return activity_iri("paths", self.translation_key)


class PathModule(Orderable):
    path = ParentalKey(LearningPathPage, on_delete=models.CASCADE, related_name="path_modules")
    module = models.ForeignKey(ModulePage, on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("module")]


def stable_uuid(*parts: str) -> uuid.UUID:
    """Deterministic ids for fixture content, so every installation names things the same."""
    return uuid.uuid5(uuid.NAMESPACE_URL, activity_iri(*parts))


class StepRecording(models.Model):
    """An editor's recording of one step's text (courses/recordings.py).

    Per page, so per language: a module's Dutch translation is a page of its own, with its
    own recordings. The file is named by its content (`recordings/<sha256>.<ext>`), never
    changed once written, so it is served with a one-year cache header.
    """

    page = models.ForeignKey(ModulePage, on_delete=models.CASCADE, related_name="step_recordings")
    step_id = models.CharField(_("step"), max_length=64)
    file = models.FileField(_("recording"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=pgettext_lazy("sound recording", "recorded by"),
    )  # fmt: skip
    recorded_at = models.DateTimeField(auto_now=True)
    # The SHA-256 of the step's words when it was recorded: once an editor changes them, the
    # recording no longer says what the screen says and is not played ("" for older ones).
    words_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("step recording")
        constraints = [
            models.UniqueConstraint(fields=["page", "step_id"], name="one_recording_per_step")
        ]
