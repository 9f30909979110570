"""Writes to the catalogue: load competence frameworks and the starter catalogue from fixtures/.

`catalogue_load` (the load_catalogue command) writes one tree of files in order: competence
frameworks, then pictograms, H5P activities, themes, modules and paths in French, then their
Dutch translations, each part needing the ids the previous one made, each load in a
transaction and safe to repeat. Reading those files (YAML, translations put into the French
structure, steps turned into StreamField data) is in catalogue_files.py, which writes nothing.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from wagtail.images import get_image_model
from wagtail.models import Collection, Locale, Page

from .catalogue_files import (
    CatalogueError,
    list_translated,
    module_translated,
    steps_value,
    yaml_read,
)
from .h5p.models import H5PPackage
from .h5p.services import h5p_package_store
from .h5p.validation import H5PValidationError, h5p_file_sha256
from .models import (
    CatalogueIndexPage,
    Competence,
    CompetenceArea,
    CompetenceFramework,
    LearningPathPage,
    ModulePage,
    PathModule,
    ProficiencyLevel,
    ThemePage,
    stable_uuid,
)

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
CATALOGUE_SLUG = "catalogue"
PICTOGRAM_COLLECTION = "Pictogrammes"

# Translations of the French catalogue: `<name>.<suffix>.yaml` next to each French file holds
# only the strings, keyed to the French structure (docs/catalogue-format.md).
TRANSLATIONS = {"nl": "nl-be"}  # file suffix -> Wagtail locale
CATALOGUE_INDEX_TEXT = {
    "fr-be": (
        "Les modules",
        "Choisissez un thème, puis un module. Chaque module dure quelques minutes.",
    ),
    "nl-be": (
        "De modules",
        "Kies een thema. Kies dan een module. Een module duurt maar een paar minuten.",
    ),
}


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _digest(*parts: object) -> str:
    payload = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


# --- Competences -------------------------------------------------------------------------


@transaction.atomic
def competences_load(*, directory: Path | None = None) -> LoadReport:
    """Create or update every framework file in fixtures/competences/."""
    report = LoadReport()
    for path in sorted((directory or FIXTURES_DIR / "competences").glob("*.yaml")):
        data = yaml_read(path)
        meta = data["framework"]
        framework, _created = _upsert(
            report,
            CompetenceFramework,
            {"slug": meta["slug"]},
            name_fr=meta["name"]["fr"],
            name_en=meta["name"]["en"],
            name_nl=meta["name"]["nl"],
            published_on=meta.get("published_on"),
            source=meta.get("source") or "",
        )
        for level in data.get("levels") or []:
            _upsert(
                report,
                ProficiencyLevel,
                {"framework": framework, "number": level["number"]},
                name_fr=level["group"]["fr"],
                name_en=level["group"]["en"],
                name_nl=level["group"]["nl"],
                description_fr=level["description"]["fr"],
                description_en=level["description"]["en"],
                description_nl=level["description"]["nl"],
            )
        for area_data in data["areas"]:
            area, _ = _upsert(
                report,
                CompetenceArea,
                {"framework": framework, "code": str(area_data["code"])},
                name_fr=area_data["name"]["fr"],
                name_en=area_data["name"]["en"],
                name_nl=area_data["name"]["nl"],
            )
            for item in area_data["competences"]:
                description = item.get("description") or {}
                _upsert(
                    report,
                    Competence,
                    {"framework": framework, "code": str(item["code"])},
                    area=area,
                    name_fr=item["name"]["fr"],
                    name_en=item["name"]["en"],
                    name_nl=item["name"]["nl"],
                    description_fr=description.get("fr", ""),
                    description_en=description.get("en", ""),
                    description_nl=description.get("nl", ""),
                )
    return report


def _upsert(report: LoadReport, model, lookup: dict, **values):
    """update_or_create that writes only when a value differs, and says what it did."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model.objects.create(**lookup, **values)
        report.created.append(f"{model._meta.verbose_name} {instance}")
        return instance, True
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if changed:
        for name in changed:
            setattr(instance, name, values[name])
        instance.save(update_fields=changed)
        report.updated.append(f"{model._meta.verbose_name} {instance}")
    else:
        report.unchanged += 1
    return instance, False


# --- Pictograms --------------------------------------------------------------------------


def pictogram_get_or_create(name: str, *, report: LoadReport, directory: Path | None = None):
    """A Wagtail image for an SVG of fixtures/pictograms/, stored once and updated if changed."""
    path = (directory or FIXTURES_DIR / "pictograms") / name
    try:
        content = path.read_bytes()
    except OSError as error:
        raise CatalogueError(f"pictogram {name}: {error}") from error
    file_hash = hashlib.sha1(content).hexdigest()  # noqa: S324 (Wagtail's own file_hash is sha1)
    Image = get_image_model()
    image = Image.objects.filter(title=name, collection__name=PICTOGRAM_COLLECTION).first()
    if image is not None and image.file_hash == file_hash:
        return image
    collection = Collection.objects.filter(name=PICTOGRAM_COLLECTION).first()
    if collection is None:
        collection = Collection.get_first_root_node().add_child(name=PICTOGRAM_COLLECTION)
    if image is None:
        image = Image(title=name, collection=collection)
        report.created.append(f"pictogram {name}")
    else:
        report.updated.append(f"pictogram {name}")
    image.file.save(name, ContentFile(content), save=False)
    width, height = image.file.get_image_dimensions()
    image.width, image.height = round(width), round(height)
    image._set_image_file_metadata()
    image.save()
    return image


# --- H5P activities ----------------------------------------------------------------------


def h5p_packages_load(
    module_slug: str, steps: list[dict], *, report: LoadReport, directory: Path | None = None
) -> dict[str, H5PPackage]:
    """Store the .h5p files of fixtures/h5p/ that a module's steps name, by file name.

    Storing is idempotent (by the file's SHA-256): a package already stored is reused.
    """
    directory = directory or FIXTURES_DIR / "h5p"
    packages = {}
    for step in steps:
        if step.get("type") != "h5p":
            continue
        name = step.get("package")
        if not isinstance(name, str) or not name.endswith(".h5p") or Path(name).name != name:
            raise CatalogueError(
                f"module {module_slug}: step {step.get('key')!r} needs `package:`, the name of "
                "an .h5p file in fixtures/h5p/"
            )
        if name in packages:
            continue
        try:
            with (directory / name).open("rb") as file:
                present = H5PPackage.objects.filter(sha256=h5p_file_sha256(file)).exists()
                packages[name] = h5p_package_store(file=file)
        except OSError as error:
            raise CatalogueError(f"module {module_slug}: H5P package {name}: {error}") from error
        except H5PValidationError as error:
            raise CatalogueError(
                f"module {module_slug}: H5P package {name} refused: {error.message}"
            ) from error
        if not present:
            report.created.append(f"H5P activity {name}")
    return packages


# --- Pages -------------------------------------------------------------------------------


def _save_page(parent: Page, page: Page, *, is_new: bool) -> None:
    if is_new:
        parent.add_child(instance=page)
    page.save_revision().publish()


def _page_upsert(
    model, parent: Page, slug: str, digest: str, key: str, report, fill, *, original=None
) -> Page:
    """Create or revise one page under `parent`, in the parent's locale.

    `original` is the French page when this one is its translation: they share its
    translation_key, so they are one activity whatever the language.
    """
    translation_key = original.translation_key if original else stable_uuid(key, slug)
    page = model.objects.filter(translation_key=translation_key, locale=parent.locale).first()
    is_new = page is None
    if not is_new and page.source_digest == digest:
        report.unchanged += 1
        return page
    if is_new:
        page = model(slug=slug, locale=parent.locale, translation_key=translation_key)
    fill(page)
    page.source_digest = digest
    try:
        _save_page(parent, page, is_new=is_new)
    except ValidationError as error:
        raise CatalogueError(f"{model._meta.model_name} {slug}: {error}") from error
    label = f"{model._meta.verbose_name} {slug}"
    if original:
        label += f" ({parent.locale.language_code})"
    (report.created if is_new else report.updated).append(label)
    return page


@transaction.atomic
def catalogue_load(*, directory: Path | None = None) -> LoadReport:
    """Create or update the starter catalogue and its translations; pages whose source is
    unchanged are left alone."""
    directory = directory or FIXTURES_DIR
    report = LoadReport()
    for language_code, _name in settings.WAGTAIL_CONTENT_LANGUAGES:
        Locale.objects.get_or_create(language_code=language_code)
    source = directory / "catalogue"
    themes = yaml_read(source / "themes.yaml")
    # modules/<slug>.yaml; modules/<slug>.nl.yaml are translations, read below.
    module_files = sorted(
        path for path in (source / "modules").glob("*.yaml") if "." not in path.stem
    )
    modules = [yaml_read(path) for path in module_files]
    paths = yaml_read(source / "paths.yaml")
    home = Page.objects.get(depth=2, locale=Locale.get_default()).specific
    originals = _language_load(directory, report, home, themes, modules, paths)

    for suffix, language_code in TRANSLATIONS.items():
        module_translations = [
            (data, path.with_name(f"{path.stem}.{suffix}.yaml"))
            for data, path in zip(modules, module_files, strict=True)
        ]
        module_translations = [(data, path) for data, path in module_translations if path.exists()]
        if not module_translations:
            continue
        locale = Locale.objects.get(language_code=language_code)
        # The translated home is an alias of the French one: only the catalogue below it
        # is translated, and the learner reaches it through the French URLs.
        translated_home = home.get_translation_or_none(locale) or home.copy_for_translation(
            locale, alias=True
        )
        _language_load(
            directory,
            report,
            translated_home,
            list_translated(themes, source / f"themes.{suffix}.yaml"),
            [module_translated(data, path) for data, path in module_translations],
            list_translated(paths, source / f"paths.{suffix}.yaml"),
            originals=originals,
        )
    return report


def _language_load(
    directory: Path,
    report: LoadReport,
    home: Page,
    themes_data: list[dict],
    module_data: list[dict],
    paths_data: list[dict],
    *,
    originals: dict | None = None,
) -> dict:
    """The catalogue in one language, under `home`; `originals` are the French pages when
    this is a translation (same translation_key, same step ids).

    Returns the pages by kind and slug."""
    locale = home.locale
    catalogue_key = stable_uuid("catalogue")
    catalogue = CatalogueIndexPage.objects.filter(
        translation_key=catalogue_key, locale=locale
    ).first()
    title, intro = CATALOGUE_INDEX_TEXT[locale.language_code]
    if catalogue is None:
        catalogue = CatalogueIndexPage(
            title=title,
            slug=CATALOGUE_SLUG,
            intro=intro,
            locale=locale,
            translation_key=catalogue_key,
        )
        _save_page(home, catalogue, is_new=True)
        report.created.append(f"catalogue ({locale.language_code})" if originals else "catalogue")

    def original(kind, slug):
        return originals[kind][slug] if originals else None

    pictograms = directory / "pictograms"
    themes = {}
    for theme in themes_data:
        picture = pictogram_get_or_create(theme["pictogram"], report=report, directory=pictograms)

        def fill(page, theme=theme, picture=picture):
            page.title, page.intro, page.picture = theme["title"], theme["intro"], picture

        themes[theme["slug"]] = _page_upsert(
            ThemePage,
            catalogue,
            theme["slug"],
            _digest(theme, picture.file_hash),
            "themes",
            report,
            fill,
            original=original("themes", theme["slug"]),
        )

    modules = {}
    for data in module_data:
        slug = data["slug"]
        if data["theme"] not in themes:
            raise CatalogueError(f"module {slug}: unknown theme {data['theme']!r}")
        picture = pictogram_get_or_create(data["pictogram"], report=report, directory=pictograms)
        packages = h5p_packages_load(
            slug, data["steps"], report=report, directory=directory / "h5p"
        )
        # Step ids come from the (French) slug and each step's key: the same in every language.
        steps = steps_value(slug, data["steps"], packages)
        competences = list(
            Competence.objects.filter(
                code__in=[str(code) for code in data.get("competences") or []],
                framework__slug__in=["digcomp-2.2", "level-0"],
            )
        )
        if len(competences) != len(set(data.get("competences") or [])):
            raise CatalogueError(f"module {slug}: unknown competence in {data['competences']}")

        def fill(page, data=data, picture=picture, steps=steps, competences=competences):
            page.title = data["title"]
            page.goal = data["goal"]
            page.picture = picture
            page.duration_minutes = data["duration_minutes"]
            page.level = data["level"]
            page.steps = steps
            page.competences = competences

        # A rebuilt package (new SHA-256) or one stored again (new pk) revises the module;
        # modules without H5P keep the digest they always had.
        stored = [(name, package.sha256, package.pk) for name, package in sorted(packages.items())]
        modules[slug] = _page_upsert(
            ModulePage,
            themes[data["theme"]],
            slug,
            _digest(data, picture.file_hash, *stored),
            "modules",
            report,
            fill,
            original=original("modules", slug),
        )

    def module_page(slug):
        # A module not translated yet is shown in French inside a translated path.
        if slug in modules:
            return modules[slug]
        if originals and slug in originals["modules"]:
            return originals["modules"][slug]
        return None

    # Prerequisites point at other modules, so they are set once every module exists.
    for data in module_data:
        module = modules[data["slug"]]
        wanted = [module_page(slug) for slug in data.get("prerequisites") or []]
        if None in wanted:
            missing = [s for s in data["prerequisites"] if module_page(s) is None]
            raise CatalogueError(f"module {data['slug']}: unknown prerequisites {sorted(missing)}")
        wanted = {page.pk for page in wanted}
        if set(module.prerequisites.values_list("pk", flat=True)) != wanted:
            module.prerequisites = list(ModulePage.objects.filter(pk__in=wanted))
            module.save_revision().publish()

    paths = {}
    for path_data in paths_data:
        missing = [slug for slug in path_data["modules"] if module_page(slug) is None]
        if missing:
            raise CatalogueError(f"path {path_data['slug']}: unknown modules {missing}")
        picture = pictogram_get_or_create(
            path_data["pictogram"], report=report, directory=pictograms
        )
        members = [module_page(slug) for slug in path_data["modules"]]

        def fill(page, path_data=path_data, picture=picture, members=members):
            page.title, page.goal, page.picture = path_data["title"], path_data["goal"], picture
            page.path_modules = [
                PathModule(module=module, sort_order=index) for index, module in enumerate(members)
            ]

        paths[path_data["slug"]] = _page_upsert(
            LearningPathPage,
            catalogue,
            path_data["slug"],
            # Which modules are translated changes a translated path's members.
            _digest(path_data, picture.file_hash, *([m.pk for m in members] if originals else [])),
            "paths",
            report,
            fill,
            original=original("paths", path_data["slug"]),
        )
    return {"themes": themes, "modules": modules, "paths": paths}
