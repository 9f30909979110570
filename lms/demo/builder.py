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
"""

import random
import uuid
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group as PermissionGroup
from django.contrib.auth.models import Permission
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from wagtail.models import GroupPagePermission, Locale

from courses.models import CatalogueIndexPage, LearningPathPage, ModulePage, stable_uuid
from lms.accounts.models import (
    Association,
    Funder,
    Gender,
    LearnerProfile,
    Membership,
    Region,
    Role,
    SignInCard,
    Situation,
    User,
)
from lms.accounts.services import card_issue
from lms.bulk_rows import rows_write
from lms.impact.models import Programme
from lms.impact.rollups import rollups_reset
from lms.impact.selectors import figures_invalidate
from lms.learning.models import (
    ActivityProgress,
    ModuleProgress,
    PathEnrollment,
    Statement,
    Verb,
)
from lms.learning.services import statements_store
from lms.logbook.models import Attendance, Group, TrainingSession

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

FIRST_NAMES = [
    "Fatima",
    "Jean",
    "Marie",
    "Mohamed",
    "Ayşe",
    "Luc",
    "Nadia",
    "Pierre",
    "Aminata",
    "Joseph",
    "Monique",
    "Karim",
    "Josiane",
    "Ahmed",
    "Nicole",
    "Mamadou",
    "Christiane",
    "Youssef",
    "Françoise",
    "Ana",
    "Robert",
    "Olena",
    "Guy",
    "Leila",
    "Marcel",
    "Samira",
    "Jacqueline",
    "Ibrahim",
    "Chantal",
    "Rosa",
    "André",
    "Khadija",
    "Danielle",
    "Mustafa",
    "Odette",
    "Elif",
]
FIRST_LANGUAGES = [
    "français",
    "français",
    "français",
    "arabe",
    "turc",
    "berbère",
    "italien",
    "espagnol",
    "ukrainien",
    "lingala",
    "portugais",
    "néerlandais",
]
POSTCODES = {
    "les-tilleuls": ["4000", "4020", "4030", "4100"],
    "le-fil": ["6000", "6001", "6030", "6060"],
    "maison-du-pont": ["1030", "1210", "1000", "1140"],
}
SLOTS = [(time(9, 30), time(12, 0)), (time(13, 30), time(16, 0))]
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi"]


# Bump when the shape of the generated data changes: `make bench` rebuilds its databases then.
GENERATOR_VERSION = 3
GROUP_SIZE = 12
# Groups generated and written together: about 1,200 learners and 60,000 statements, so the
# memory used stays the same at 1,000 or 100,000 learners.
GROUPS_PER_CHUNK = 100
BATCH_SIZE = 5000
# From this many new groups (about 5,000 learners) on PostgreSQL, the big tables are loaded
# without their secondary indexes and foreign keys, which are built again afterwards.
LARGE_BUILD_GROUPS = 400
# The outcome question at the start and at the end of a module ("Pouvez-vous le faire seul·e ?").
LEVELS = ["not_yet", "with_help", "alone"]
START_LEVEL_WEIGHTS = [50, 35, 15]
# What a learner answers at the end, given their answer at the start: most say they improved.
END_LEVEL_WEIGHTS = {"not_yet": [15, 45, 40], "with_help": [0, 35, 65], "alone": [0, 0, 100]}
H5P_SCORE_MAX = 4
DEMO_NAMESPACE = uuid.UUID("6f1d3b0e-5a52-4c1e-9a43-1d2c0de5a9e1")
GROUP_FIELDS = [
    "id",
    "association_id",
    "name",
    "learning_path_id",
    "usual_starts_at",
    "usual_ends_at",
    "is_active",
    "created_at",
]
SESSION_FIELDS = [
    "id",
    "uuid",
    "association_id",
    "group_id",
    "held_on",
    "starts_at",
    "ends_at",
    "place",
    "note",
    "created_at",
    "updated_at",
]


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


@dataclass(frozen=True)
class DemoStep:
    id: str
    iri: str
    kind: str


@dataclass(frozen=True)
class DemoModule:
    """What the generator needs of a module page, read once."""

    pk: int
    iri: str
    steps: tuple[DemoStep, ...]
    steps_total: int  # as progress_rebuild counts them: the default locale's page


@dataclass(frozen=True)
class Person:
    pk: int
    username: str
    pseudonym: uuid.UUID
    joined_on: date


@dataclass(frozen=True)
class GroupPlan:
    association: Association
    association_index: int
    index: int
    name: str
    members: list[Person]
    existing_pk: int | None = None  # a demo group already there, without sessions


@dataclass
class Context:
    start: date
    today: date
    seed: int
    paths: list[LearningPathPage]
    modules_by_path: dict[int, list[DemoModule]]
    trainers_for: dict[int, list[User]]


def _aware(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


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
        modules_by_path=_demo_modules(paths),
        trainers_for={
            tilleuls.pk: [trainer, coordinator],
            fil.pk: [trainer],
            pont.pk: [other_trainer],
        },
    )

    # Learners: the named demo learner first, then generated people.
    amina = _user("apprenant", display_name="Amina", first_name="Amina")
    people = _learners_ensure(amina, learners, context)
    _memberships_and_profiles_ensure(people, associations, context)

    # Groups of about 12, each following a path, meeting once a week. A group that has
    # sessions was built whole by an earlier run (all of this is one transaction): it is left
    # as is. A demo group without any (its sessions were deleted) is filled again.
    groups = Group.objects.filter(association__in=associations).annotate(
        has_sessions=Exists(TrainingSession.objects.filter(group=OuterRef("pk")))
    )
    built, empty = set(), {}
    for pk, association_id, name, has_sessions in groups.values_list(
        "pk", "association_id", "name", "has_sessions"
    ):
        if has_sessions:
            built.add((association_id, name))
        else:
            empty[(association_id, name)] = pk
    plans = []
    for association_index, association in enumerate(associations):
        members = people[association_index :: len(associations)]
        for group_index in range(max(1, len(members) // GROUP_SIZE)):
            chunk = members[group_index * GROUP_SIZE : (group_index + 1) * GROUP_SIZE]
            name = f"Groupe {WEEKDAYS[group_index % 5]} {group_index // 5 + 1}"
            if chunk and (association.pk, name) not in built:
                plans.append(
                    GroupPlan(
                        association,
                        association_index,
                        group_index,
                        name,
                        chunk,
                        empty.get((association.pk, name)),
                    )
                )
    bulky = len(plans) >= LARGE_BUILD_GROUPS
    with _secondary_indexes_deferred(
        [Statement, ActivityProgress, ModuleProgress, Attendance], bulky
    ):
        for offset in range(0, len(plans), GROUPS_PER_CHUNK):
            _groups_build(plans[offset : offset + GROUPS_PER_CHUNK], context)
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


def _demo_modules(paths: list[LearningPathPage]) -> dict[int, list[DemoModule]]:
    steps_total = {
        page.iri: len(page.steps)
        for page in ModulePage.objects.filter(locale=Locale.get_default()).only(
            "id", "steps", "translation_key"
        )
    }
    modules_by_path = {}
    for path in paths:
        modules = []
        for item in path.path_modules.select_related("module"):
            module = item.module.specific
            steps = tuple(
                DemoStep(step.id, module.step_iri(step.id), step.block_type)
                for step in module.steps
            )
            modules.append(
                DemoModule(module.pk, module.iri, steps, steps_total.get(module.iri, len(steps)))
            )
        modules_by_path[path.pk] = modules
    return modules_by_path


def _joined_on(seed: int, username: str, start: date) -> date:
    return start + timedelta(days=random.Random(f"demo/{seed}/joined/{username}").randrange(60))


def _learners_ensure(amina: User, learners: int, context: Context) -> list[Person]:
    existing = set(
        User.objects.filter(username__startswith="demo-").values_list("username", flat=True)
    )
    new_people = []
    for index in range(1, learners):
        username = f"demo-{index:06d}"
        if username in existing:
            continue
        name = FIRST_NAMES[index % len(FIRST_NAMES)]
        pseudonym = stable_uuid("demo-person", username)
        new_people.append(
            User(
                username=username,
                display_name=name,
                first_name=name,
                pseudonym=pseudonym,
                # Unusable (they sign in with a card, if ever), and the same on every build.
                password=f"{UNUSABLE_PASSWORD_PREFIX}{pseudonym.hex}",
            )
        )
        if len(new_people) >= BATCH_SIZE:
            User.objects.bulk_create(new_people, batch_size=BATCH_SIZE)
            new_people = []
    User.objects.bulk_create(new_people, batch_size=BATCH_SIZE)
    generated = (
        User.objects.filter(username__startswith="demo-")
        .order_by("username")
        .values_list("pk", "username", "pseudonym")
    )
    rows = [(amina.pk, amina.username, amina.pseudonym), *generated]
    return [
        Person(pk, username, pseudonym, _joined_on(context.seed, username, context.start))
        for pk, username, pseudonym in rows
    ]


def _memberships_and_profiles_ensure(
    people: list[Person], associations: list[Association], context: Context
) -> None:
    have = set(
        Membership.objects.filter(role=Role.LEARNER, association__in=associations).values_list(
            "user_id", flat=True
        )
    )
    memberships, profiles = [], []
    for index, person in enumerate(people):
        if person.pk in have:
            continue
        association = associations[index % len(associations)]
        rng = random.Random(f"demo/{context.seed}/profile/{person.username}")
        memberships.append(
            Membership(
                user_id=person.pk,
                association=association,
                role=Role.LEARNER,
                joined_on=person.joined_on,
            )
        )
        year = rng.choice(
            [rng.randint(1945, 1960), rng.randint(1961, 1985), rng.randint(1986, 2006)]
        )
        situations = sorted({rng.choice(list(Situation.values)) for _ in range(rng.randint(0, 2))})
        profiles.append(
            LearnerProfile(
                user_id=person.pk,
                year_of_birth=year,
                gender=rng.choices(list(Gender.values), weights=[55, 40, 2, 3])[0],
                postcode=rng.choice(POSTCODES[association.slug]),
                first_language=rng.choice(FIRST_LANGUAGES),
                situations=situations,
                consent_given_at=_aware(context.start, time(10, 0)),
                consent_recorded_by=context.trainers_for[association.pk][0],
            )
        )
        if len(memberships) >= BATCH_SIZE:
            Membership.objects.bulk_create(memberships, ignore_conflicts=True)
            LearnerProfile.objects.bulk_create(profiles, ignore_conflicts=True)
            memberships, profiles = [], []
    Membership.objects.bulk_create(memberships, ignore_conflicts=True)
    LearnerProfile.objects.bulk_create(profiles, ignore_conflicts=True)


def _next_id(model) -> int:
    return (model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1


def _groups_build(plans: list[GroupPlan], context: Context) -> None:
    """Groups, their sessions, attendance, statements and progress, written table by table.

    Groups and sessions get their ids here (the next free ones; the build holds the only
    write transaction), so every row can be written in bulk without reading ids back.
    """
    created_at = _aware(context.start, time(9, 0))
    next_group_id, session_id = _next_id(Group), _next_id(TrainingSession)
    groups, group_trainers, group_learners, enrollments, refilled = [], [], [], [], []
    sessions, session_trainers, session_modules, plays = [], [], [], []
    for plan in plans:
        path = (
            context.paths[(plan.index + plan.association_index) % len(context.paths)]
            if context.paths
            else None
        )
        association = plan.association
        trainers = context.trainers_for[association.pk]
        # The group meets at the same hours every week: its usual slot.
        slot = SLOTS[plan.index % 2]
        if plan.existing_pk is None:
            group_id = next_group_id
            next_group_id += 1
            groups.append(
                (
                    group_id,
                    association.pk,
                    plan.name,
                    path.pk if path else None,
                    slot[0],
                    slot[1],
                    True,
                    created_at,
                )
            )
            group_trainers += [(group_id, trainer.pk) for trainer in trainers]
            group_learners += [(group_id, person.pk) for person in plan.members]
        else:
            # Its people may still be linked to it: add only the missing links.
            group_id = plan.existing_pk
            refilled.append((group_id, trainers, plan.members, slot))
        modules = context.modules_by_path.get(path.pk, []) if path else []
        if path and plan.existing_pk is None:
            enrollments += [
                (person.pk, path.pk, _aware(person.joined_on, time(10, 0)))
                for person in plan.members
            ]
        day = context.start + timedelta(days=(plan.index % 5) - context.start.weekday() + 7)
        week = 0
        group_sessions = []
        while day < context.today:
            module = modules[min(week // 3, len(modules) - 1)] if modules else None
            session = DemoSession(
                session_id,
                stable_uuid("demo-session", association.slug, plan.name, day.isoformat()),
                day,
                _aware(day, slot[0]),
            )
            sessions.append(
                (
                    session.pk,
                    session.uuid,
                    association.pk,
                    group_id,
                    day,
                    slot[0],
                    slot[1],
                    association.street_address,
                    "",
                    created_at,
                    created_at,
                )
            )
            session_trainers.append((session.pk, trainers[0].pk))
            if module:
                session_modules.append((session.pk, module.pk))
            group_sessions.append((session, module))
            session_id += 1
            day += timedelta(days=7)
            week += 1
        # Who finishes their path goes on with the next one.
        following = (
            context.paths[(context.paths.index(path) + 1) % len(context.paths)]
            if path and len(context.paths) > 1
            else None
        )
        plays.append((plan, group_sessions, modules, trainers[0], following))

    rows_write(Group, GROUP_FIELDS, groups)
    rows_write(Group.trainers.through, ["group_id", "user_id"], group_trainers)
    rows_write(Group.learners.through, ["group_id", "user_id"], group_learners)
    for group_id, trainers, members, slot in refilled:
        Group.objects.filter(pk=group_id).update(usual_starts_at=slot[0], usual_ends_at=slot[1])
        group = Group.objects.get(pk=group_id)
        group.trainers.add(*[trainer.pk for trainer in trainers])
        group.learners.add(*[person.pk for person in members])
        if group.learning_path_id:
            PathEnrollment.objects.bulk_create(
                [PathEnrollment(learner_id=p.pk, path_id=group.learning_path_id) for p in members],
                ignore_conflicts=True,
            )
    rows_write(PathEnrollment, ["learner_id", "path_id", "enrolled_at"], enrollments)
    rows_write(TrainingSession, SESSION_FIELDS, sessions)
    rows_write(
        TrainingSession.trainers.through, ["trainingsession_id", "user_id"], session_trainers
    )
    rows_write(
        TrainingSession.modules.through, ["trainingsession_id", "modulepage_id"], session_modules
    )

    attendances, statements, later_enrollments = [], [], []
    for plan, group_sessions, modules, lead, following in plays:
        rng = random.Random(f"demo/{context.seed}/{plan.association.slug}/{plan.index}")
        for person in plan.members:
            learner = _LearnerPlay(
                rng, person, plan.association.pk, lead.pk, modules, following, context
            )
            for session, module in group_sessions:
                if learner.attends(session.held_on):
                    attendances.append((session.pk, person.pk))
                    learner.session_work(session, module)
            # Each learner's statements in the order they happened: progress follows it.
            statements += sorted(learner.statements, key=lambda statement: statement.timestamp)
            later_enrollments += learner.enrollments
    rows_write(PathEnrollment, ["learner_id", "path_id", "enrolled_at"], later_enrollments)
    rows_write(Attendance, ["session_id", "learner_id"], attendances)
    # Through the one writer of learning records, as the site stores them: the statements
    # and the progress that follows from them (its signal retires the cached figures).
    statements_store(
        [Statement(**statement._asdict()) for statement in statements],
        steps_by_module={
            module.iri: module.steps_total
            for modules in context.modules_by_path.values()
            for module in modules
        },
    )


@dataclass(frozen=True)
class DemoSession:
    pk: int
    uuid: uuid.UUID
    held_on: date
    starts: datetime


# A statement as the generator makes it, with the attributes progress reads; the field
# names are the Statement model's attnames, in the order the rows are written.
DemoStatement = namedtuple(
    "DemoStatement",
    [
        "id",
        "learner_id",
        "learner_pseudonym",
        "verb",
        "object_iri",
        "object_kind",
        "module_iri",
        "module_id",
        "score_raw",
        "score_min",
        "score_max",
        "score_scaled",
        "success",
        "completion",
        "response",
        "is_self_reported",
        "association_id",
        "session_uuid",
        "instructor_id",
        "timestamp",
        "stored_at",
        "duration_seconds",
    ],
    defaults=[None] * 22,
)


class _LearnerPlay:
    """One learner over the months: which sessions they come to and what they do there."""

    def __init__(
        self, rng, person: Person, association_id, lead_id, modules, following, context: Context
    ):
        self.rng = rng
        # The seconds spent on each step come from a generator of their own: the rest of
        # the demo (who comes, what they answer) stays what it was before durations.
        self.time_rng = random.Random(f"demo/{context.seed}/time/{person.username}")
        self.person = person
        self.association_id = association_id
        self.lead_id = lead_id
        own = {module.pk for module in modules}
        self.following = following
        self.following_modules = (
            [m for m in context.modules_by_path.get(following.pk, []) if m.pk not in own]
            if following
            else []
        )
        self.modules = modules + self.following_modules
        self.enrollments: list[tuple] = []
        self.today = context.today
        self.statements: list[DemoStatement] = []
        # Most stay; some stop coming after a few weeks (Amina, the demo account, stays).
        stays = person.username == "apprenant" or rng.random() < 0.45
        self.leaves_on = None if stays else person.joined_on + timedelta(days=rng.randint(14, 100))
        self.presence = rng.uniform(0.6, 0.95)
        self.pace = rng.randint(2, 4)
        self.works_at_home = rng.random() < 0.3
        self.position: dict[int, int] = {}  # module pk -> next step index
        self.level: dict[int, str] = {}  # module pk -> answer at the start
        self.done: set[int] = set()

    def attends(self, day: date) -> bool:
        if day < self.person.joined_on or (self.leaves_on and day > self.leaves_on):
            return False
        return self.rng.random() < self.presence

    def session_work(self, session: DemoSession, module: DemoModule | None) -> None:
        if module is None:
            return
        moment = session.starts + timedelta(minutes=self.rng.randint(5, 15))
        budget = self.rng.randint(max(1, self.pace - 1), self.pace + 2)
        module = self._next_module(module)
        moment = self._work(module, budget, moment, session=session)
        if self.works_at_home and self.rng.random() < 0.5:
            day = session.held_on + timedelta(days=2)
            if day < self.today:
                evening = _aware(day, time(18, 0)) + timedelta(minutes=self.rng.randint(0, 180))
                self._work(self._next_module(module), self.rng.randint(1, 3), evening)

    def _next_module(self, module: DemoModule | None) -> DemoModule | None:
        """The group's module, or once it is done, the first unfinished one of the paths."""
        if module is not None and module.pk not in self.done:
            return module
        return next((m for m in self.modules if m.pk not in self.done), None)

    def _work(self, module, budget: int, moment: datetime, *, session=None) -> datetime:
        while module is not None and budget > 0:
            if module.pk not in self.level:
                if module in self.following_modules and not self.enrollments:
                    self.enrollments.append((self.person.pk, self.following.pk, moment))
                level = self.rng.choices(LEVELS, weights=START_LEVEL_WEIGHTS)[0]
                self.level[module.pk] = level
                self._assess(module, "start", level, moment, session)
                moment += timedelta(minutes=1)
            position = self.position.get(module.pk, 0)
            while budget > 0 and position < len(module.steps):
                moment = self._step(module, module.steps[position], moment, session)
                position += 1
                budget -= 1
            self.position[module.pk] = position
            if position >= len(module.steps):
                self.done.add(module.pk)
                weights = END_LEVEL_WEIGHTS[self.level[module.pk]]
                self._assess(module, "end", self.rng.choices(LEVELS, weights)[0], moment, session)
                moment += timedelta(minutes=1)
                module = self._next_module(None)
        return moment

    def _add(self, module, step_iri, kind, verb, moment, session, **result) -> None:
        self.statements.append(
            DemoStatement(
                id=uuid.uuid5(DEMO_NAMESPACE, f"{self.person.pseudonym}/{len(self.statements)}"),
                learner_id=self.person.pk,
                learner_pseudonym=self.person.pseudonym,
                verb=verb,
                object_iri=step_iri,
                object_kind=kind,
                module_iri=module.iri,
                module_id=module.pk,
                association_id=self.association_id,
                session_uuid=session.uuid if session else None,
                timestamp=moment,
                stored_at=moment,
                **{"is_self_reported": False, **result},
            )
        )

    def _seconds(self, *, again: bool = False) -> int:
        """Seconds on a step, as the player measures them: most steps take a minute or
        less, a few up to three (a skewed spread); trying again after feedback is quicker."""
        if again:
            return round(self.time_rng.triangular(10, 60, 15))
        return round(self.time_rng.triangular(20, 180, 35))

    def _assess(self, module, phase: str, level: str, moment, session) -> None:
        self._add(
            module,
            module.iri,
            "module",
            Verb.ASSESSED,
            moment,
            session,
            response={"phase": phase, "level": level},
            is_self_reported=True,
        )

    def _step(self, module, step: DemoStep, moment: datetime, session) -> datetime:
        """The statements of one step; returns the time after it."""
        rng, add, kind = self.rng, self._add, step.kind
        if kind == "quiz":
            right_first = rng.random() < 0.6
            add(
                module,
                step.iri,
                kind,
                Verb.ANSWERED,
                moment,
                session,
                success=right_first,
                score_raw=int(right_first),
                score_max=1,
                score_min=0,
                score_scaled=float(right_first),
                response={"answer": 0 if right_first else 1},
                duration_seconds=self._seconds(),
            )
            if not right_first:
                moment += timedelta(minutes=1)
                add(
                    module,
                    step.iri,
                    kind,
                    Verb.ANSWERED,
                    moment,
                    session,
                    success=True,
                    score_raw=1,
                    score_max=1,
                    score_min=0,
                    score_scaled=1.0,
                    response={"answer": 0},
                    duration_seconds=self._seconds(again=True),
                )
        elif kind.startswith("practice_"):
            add(
                module,
                step.iri,
                kind,
                Verb.ANSWERED,
                moment,
                session,
                success=True,
                completion=True,
                score_scaled=round(rng.uniform(0.6, 1), 2),
                duration_seconds=self._seconds(),
            )
        elif kind == "h5p":
            # As learning.services.h5p_result records it: a score computed in the browser.
            raw = rng.choices(range(H5P_SCORE_MAX + 1), weights=[5, 10, 20, 30, 35])[0]
            attempts = [raw]
            if raw < H5P_SCORE_MAX - 1 and rng.random() < 0.5:
                attempts.append(rng.randint(raw + 1, H5P_SCORE_MAX))
            for attempt, score in enumerate(attempts):
                add(
                    module,
                    step.iri,
                    kind,
                    Verb.ANSWERED,
                    moment + timedelta(minutes=attempt),
                    session,
                    score_raw=float(score),
                    score_min=0.0,
                    score_max=float(H5P_SCORE_MAX),
                    score_scaled=round(score / H5P_SCORE_MAX, 2),
                    success=score >= H5P_SCORE_MAX - 1,
                    completion=True,
                    is_self_reported=True,
                    duration_seconds=self._seconds(again=attempt > 0),
                )
            moment += timedelta(minutes=len(attempts) - 1)
        elif kind == "checkpoint":
            add(
                module,
                step.iri,
                kind,
                Verb.COMPLETED,
                moment,
                session,
                duration_seconds=self._seconds(),
            )
            # A trainer validates what they saw: only in a session.
            if session is not None and rng.random() < 0.7:
                moment += timedelta(minutes=2)
                add(
                    module,
                    step.iri,
                    kind,
                    Verb.VALIDATED,
                    moment,
                    session,
                    instructor_id=self.lead_id,
                    success=True,
                    response={"help": rng.choice(["alone", "little_help", "lot_of_help"])},
                )
        else:
            add(
                module,
                step.iri,
                kind,
                Verb.COMPLETED,
                moment,
                session,
                duration_seconds=self._seconds(),
            )
        return moment + timedelta(minutes=rng.randint(2, 5))


# --- Writing many rows fast ---------------------------------------------------------------


@contextmanager
def _secondary_indexes_deferred(models, enabled: bool):
    """Load first, index after, as pg_restore does: the same definitions, read from the catalog.

    Building an index once over millions of rows is much cheaper than keeping it up to date
    row by row, and a foreign key added afterwards is checked with one join instead of one
    lookup per row. It all happens inside the build's transaction: nobody else sees the
    tables without their indexes, and a failure leaves them as they were.
    """
    if not enabled or connection.vendor != "postgresql":
        yield
        return
    quote = connection.ops.quote_name
    restore = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes i "
                "WHERE schemaname = current_schema() AND tablename = %s AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
                "AND c.conrelid = %s::regclass)",
                [table, table],
            )
            indexes = cursor.fetchall()
            for name, _definition in reversed(constraints):
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
            restore.append((table, constraints, indexes))
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for table, constraints, indexes in restore:
            for _name, definition in indexes:
                cursor.execute(definition)
            # Unique constraints first, then foreign keys (the query sorted them so).
            for name, definition in constraints:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )
