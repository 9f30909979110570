"""A deterministic demo: associations, people, groups, months of sessions and progress.

It has an app of its own on top of the others (lms/demo/) because it writes into every one
of them, and none of them may depend on it. Every id is derived from the seed, so running it
twice changes nothing and two installations built on the same day hold the same data.

It scales to a regional programme (`seed_demo --learners 100000`, about 5 million
statements): groups are built a chunk at a time, each with a random generator of its own
(so a chunk is the same whatever was built before it), the big tables are written with
PostgreSQL's COPY (or plain multi-row inserts on SQLite); the statements go through the
site's one writer of learning records (`statements_store`), which derives progress from them
as it does for every learner's answer.

This module holds the whole build in order (`demo_build`) and the named demo accounts; its
parts live next to it: context.py (the period, the catalogue as read once, shared records),
people.py (generated learners and their profiles), groups.py (groups and their sessions),
activity.py (what each learner does: statements) and indexes.py (bulk loading on PostgreSQL).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import Group as PermissionGroup
from django.contrib.auth.models import Permission
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import GroupPagePermission, Locale

from courses.models import CatalogueIndexPage, LearningPathPage, stable_uuid
from lms.accounts.models import Association, Funder, Membership, Region, Role, SignInCard, User
from lms.accounts.services import card_issue
from lms.impact.models import Programme
from lms.impact.rollups import rollups_reset
from lms.impact.selectors import figures_invalidate
from lms.learning.models import ActivityProgress, ModuleProgress, Statement
from lms.logbook.models import Attendance, Group, TrainingSession

from .context import Context, demo_modules
from .groups import groups_build, groups_plan
from .indexes import secondary_indexes_deferred
from .people import learners_ensure, memberships_and_profiles_ensure

DEMO_PASSWORD = "demo"  # noqa: S105 (the documented password of the demo accounts)
DEMO_CARD_TOKEN = "demo-apprenant-carte"  # noqa: S105 (a documented demo card, not a secret)
DEMO_CARD_CODE = "AMNA-2345"
DEMO_CARD_PIN = "1234"
DEMO_CARD_PICTURES = ["sun", "cat", "star"]

DEMO_PASSWORD = "demo"  # noqa: S105 (the documented password of the demo accounts)
DEMO_CARD_TOKEN = "demo-apprenant-carte"  # noqa: S105 (a documented demo card, not a secret)
DEMO_CARD_CODE = "AMNA-2345"
DEMO_CARD_PIN = "1234"
DEMO_CARD_PICTURES = ["sun", "cat", "star"]

ASSOCIATIONS = [
    {
        "slug": "les-tilleuls",
        "name": "Espace public numérique Les Tilleuls",
        "street_address": "Rue des Tilleuls 12",
        "postcode": "4000",
        "municipality": "Liège",
        "region": Region.WALLONIA,
        "opening_hours": "Lundi, mercredi et vendredi : 9 h – 12 h et 13 h 30 – 16 h 30",
        "languages_spoken": "français, arabe, turc",
        "is_wheelchair_accessible": True,
        "help_offered": "E-mail, carte d'identité électronique, itsme, formulaires en ligne",
    },
    {
        "slug": "le-fil",
        "name": "Association Le Fil – lire, écrire, cliquer",
        "street_address": "Place du Marché 3",
        "postcode": "6000",
        "municipality": "Charleroi",
        "region": Region.WALLONIA,
        "opening_hours": "Mardi et jeudi : 9 h – 16 h",
        "languages_spoken": "français, italien",
        "is_wheelchair_accessible": False,
        "help_offered": "Alphabétisation et premiers pas sur smartphone et ordinateur",
    },
    {
        "slug": "maison-du-pont",
        "name": "Maison de quartier Le Pont",
        "street_address": "Avenue du Pont 45",
        "postcode": "1030",
        "municipality": "Schaerbeek",
        "region": Region.BRUSSELS,
        "opening_hours": "Du lundi au vendredi : 10 h – 17 h",
        "languages_spoken": "français, néerlandais, arabe, espagnol, anglais",
        "is_wheelchair_accessible": True,
        "help_offered": "Démarches en ligne, rendez-vous, sécurité en ligne",
    },
]


# Bump when the shape of the generated data changes: `make bench` rebuilds its databases then.
GENERATOR_VERSION = 3
# Groups generated and written together: about 1,200 learners and 60,000 statements, so the
# memory used stays the same at 1,000 or 100,000 learners.
GROUPS_PER_CHUNK = 100
# From this many new groups (about 5,000 learners) on PostgreSQL, the big tables are loaded
# without their secondary indexes and foreign keys, which are built again afterwards.
LARGE_BUILD_GROUPS = 400


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    description: str


DEMO_ACCOUNTS = [
    DemoAccount("admin", "superuser", "Administrateur (tout le site)"),
    DemoAccount("editeur", "editor", "Rédactrice du catalogue (admin Wagtail)"),
    DemoAccount("coordinateur", "coordinator", "Coordinatrice, EPN Les Tilleuls"),
    DemoAccount("formateur", "trainer", "Formateur, Les Tilleuls et Le Fil"),
    DemoAccount("bailleur", "funder", "Bailleur de fonds, programme de démonstration"),
    DemoAccount("apprenant", "learner", "Apprenant, groupe du lundi aux Tilleuls"),
]


def _user(username: str, **fields) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, pseudonym=stable_uuid("demo-person", username), **fields)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _member(user: User, association: Association, role: str, joined_on: date) -> None:
    Membership.objects.get_or_create(
        user=user, association=association, role=role, defaults={"joined_on": joined_on}
    )


@transaction.atomic
def demo_build(
    *,
    learners: int = 200,
    today: date | None = None,
    seed: int = 42,
    months: int = 6,
    progress=None,
) -> dict:
    """Build (or complete) the demo; returns counts of what exists afterwards.

    `progress`, if given, is called with (groups built, groups to build) after each chunk.
    """
    today = today or timezone.localdate()
    start = today - timedelta(days=30 * months)

    associations = []
    for data in ASSOCIATIONS:
        association, _ = Association.objects.get_or_create(slug=data["slug"], defaults=data)
        associations.append(association)
    tilleuls, fil, pont = associations

    admin = _user("admin", display_name="Admin", is_staff=True, is_superuser=True)
    editor = _user("editeur", display_name="Élise", first_name="Élise")
    editors = PermissionGroup.objects.get(name="Editors")
    editor.groups.add(editors)
    # Editors write and publish the catalogue themselves; moderation stays available.
    catalogue = CatalogueIndexPage.objects.first()
    if catalogue is not None:
        GroupPagePermission.objects.get_or_create(
            group=editors,
            page=catalogue,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename="publish_page"
            ),
        )
    coordinator = _user("coordinateur", display_name="Claire", first_name="Claire")
    _member(coordinator, tilleuls, Role.COORDINATOR, start)
    trainer = _user("formateur", display_name="Thomas", first_name="Thomas")
    _member(trainer, tilleuls, Role.TRAINER, start)
    _member(trainer, fil, Role.TRAINER, start)
    other_trainer = _user("formatrice-pont", display_name="Sofia", first_name="Sofia")
    _member(other_trainer, pont, Role.TRAINER, start)
    funder_user = _user("bailleur", display_name="Benoît", first_name="Benoît")
    funder, _ = Funder.objects.get_or_create(name="Fondation pour l'inclusion numérique (démo)")
    funder.members.add(funder_user)
    programme, _ = Programme.objects.get_or_create(
        funder=funder,
        name="Inclusion numérique – démonstration",
        defaults={
            "starts_on": start.replace(day=1),
            "ends_on": (start.replace(day=1) + timedelta(days=365)),
            "target_learners": 300,
            "target_hours": 2000,
        },
    )
    programme.associations.add(*associations)

    paths = list(
        LearningPathPage.objects.live().filter(locale=Locale.get_default()).order_by("path")
    )
    context = Context(
        start=start,
        today=today,
        seed=seed,
        paths=paths,
        modules_by_path=demo_modules(paths),
        trainers_for={
            tilleuls.pk: [trainer, coordinator],
            fil.pk: [trainer],
            pont.pk: [other_trainer],
        },
    )

    # Learners: the named demo learner first, then generated people.
    amina = _user("apprenant", display_name="Amina", first_name="Amina")
    people = learners_ensure(amina, learners, context)
    memberships_and_profiles_ensure(people, associations, context)

    plans = groups_plan(associations, people)
    bulky = len(plans) >= LARGE_BUILD_GROUPS
    with secondary_indexes_deferred(
        [Statement, ActivityProgress, ModuleProgress, Attendance], bulky
    ):
        for offset in range(0, len(plans), GROUPS_PER_CHUNK):
            groups_build(plans[offset : offset + GROUPS_PER_CHUNK], context)
            if progress is not None:
                progress(min(offset + GROUPS_PER_CHUNK, len(plans)), len(plans))
    # Rows were written in bulk, without signals: cached figures must not outlive them,
    # and the rollups are rebuilt from them.
    figures_invalidate()
    rollups_reset()

    if not SignInCard.objects.filter(token=DEMO_CARD_TOKEN).exists():
        card_issue(
            learner=amina,
            association=tilleuls,
            pin=DEMO_CARD_PIN,
            pictures=DEMO_CARD_PICTURES,
            issued_by=trainer,
            token=DEMO_CARD_TOKEN,
            short_code=DEMO_CARD_CODE,
        )
    if plans:
        # Groups and sessions were given their ids: move the id sequences past them.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Group, TrainingSession]):
                cursor.execute(sql)
    if plans and connection.vendor == "postgresql":
        # Fresh statistics, so the first queries on millions of new rows pick good plans.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "associations": Association.objects.count(),
        "learners": Membership.objects.filter(role=Role.LEARNER).count(),
        "sessions": TrainingSession.objects.count(),
        "statements": Statement.objects.count(),
        "admin": admin.username,
        "generator_version": GENERATOR_VERSION,
    }
