"""Module and path cards: what learner pages show of the catalogue, the same for everyone.

Mon parcours needs, for each of the learner's modules and paths, a title and a small
picture. Reading them with the learner's progress joins the large page rows and renders a
rendition per card on every visit; they are instead built once per content version and
language (courses/caching.py) and shared by every learner. Only ids come from the
learner's own rows.
"""

from dataclasses import dataclass

from django.urls import reverse

from .caching import content_key, shared_content
from .models import LearningPathPage, ModulePage, PathModule
from .templatetags.course_tags import card_picture


@dataclass(frozen=True)
class ModuleCard:
    pk: int
    title: str
    picture: str  # the <img> tag, or ""
    url: str  # where the learner opens it (resumes where they stopped)
    # The language it is written in (its locale), for its `lang` (courses/languages.py); a
    # default, so that cards cached before this field existed still read.
    language: str = ""


@dataclass(frozen=True)
class PathCard:
    pk: int
    title: str
    goal: str
    modules: tuple[int, ...]  # module ids, in the path's order


@dataclass(frozen=True)
class Cards:
    modules: dict[int, ModuleCard]
    paths: dict[int, PathCard]  # live paths only, in the catalogue's order


def catalogue_cards() -> Cards:
    """Every module's card (published or not: a learner's record may point at either) and
    every live path's; three queries when the content changed, none otherwise.

    Shared by every request of the process (courses/caching.py `shared_content`): read it,
    never change it."""
    return shared_content(content_key("cards"), _build)


def _build() -> Cards:
    modules = {
        module.pk: ModuleCard(
            module.pk,
            module.title,
            card_picture(module.picture),
            reverse("learning:module", args=[module.pk]),
            module.locale.language_code,
        )
        for module in ModulePage.objects.select_related("picture", "locale")
        .prefetch_related("picture__renditions")
        .defer("steps")
    }
    order: dict[int, list[int]] = {}
    for path_id, module_id in PathModule.objects.order_by("sort_order").values_list(
        "path_id", "module_id"
    ):
        order.setdefault(path_id, []).append(module_id)
    paths = {
        path.pk: PathCard(path.pk, path.title, path.goal, tuple(order.get(path.pk, ())))
        for path in LearningPathPage.objects.live()
        .only("pk", "path", "title", "goal")
        .order_by("path")
    }
    return Cards(modules=modules, paths=paths)
