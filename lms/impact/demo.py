"""A deterministic demo: associations, people, groups, months of sessions and progress.

It lives in `impact` because it writes into every app, and impact is the one app
allowed to depend on all the others. Every id is derived from the seed, so running it
twice changes nothing and two installations built on the same day hold the same data.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import Group as PermissionGroup
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone
from wagtail.models import GroupPagePermission

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
from lms.learning.models import PathEnrollment, Statement, Verb
from lms.learning.services import progress_rebuild
from lms.logbook.models import Attendance, Group, TrainingSession

from .models import Programme

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
    *, learners: int = 200, today: date | None = None, seed: int = 42, months: int = 6
) -> dict:
    """Build (or complete) the demo; returns counts of what exists afterwards."""
    today = today or timezone.localdate()
    rng = random.Random(seed)
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

    paths = list(LearningPathPage.objects.live().order_by("path"))
    modules_by_path = {
        path.pk: [item.module.specific for item in path.path_modules.select_related("module")]
        for path in paths
    }
    trainers_for = {
        tilleuls.pk: [trainer, coordinator],
        fil.pk: [trainer],
        pont.pk: [other_trainer],
    }

    # Learners: the named demo learner first, then generated people.
    people = [_user("apprenant", display_name="Amina", first_name="Amina")]
    existing = set(
        User.objects.filter(username__startswith="demo-").values_list("username", flat=True)
    )
    new_people = []
    for index in range(1, learners):
        username = f"demo-{index:06d}"
        name = FIRST_NAMES[index % len(FIRST_NAMES)]
        if username not in existing:
            person = User(
                username=username,
                display_name=name,
                first_name=name,
                pseudonym=stable_uuid("demo-person", username),
            )
            person.set_unusable_password()
            new_people.append(person)
    User.objects.bulk_create(new_people, batch_size=2000)
    people += list(User.objects.filter(username__startswith="demo-").order_by("username"))

    profiles, memberships, home_of = [], [], {}
    for index, person in enumerate(people):
        association = associations[index % 3]
        home_of[person.pk] = association
        memberships.append(
            Membership(
                user=person,
                association=association,
                role=Role.LEARNER,
                joined_on=start + timedelta(days=rng.randrange(0, 60)),
            )
        )
        year = rng.choice(
            [rng.randint(1945, 1960), rng.randint(1961, 1985), rng.randint(1986, 2006)]
        )
        situations = sorted({rng.choice(list(Situation.values)) for _ in range(rng.randint(0, 2))})
        profiles.append(
            LearnerProfile(
                user=person,
                year_of_birth=year,
                gender=rng.choices(list(Gender.values), weights=[55, 40, 2, 3])[0],
                postcode=rng.choice(POSTCODES[association.slug]),
                first_language=rng.choice(FIRST_LANGUAGES),
                situations=situations,
                consent_given_at=_aware(start, time(10, 0)),
                consent_recorded_by=trainers_for[association.pk][0],
            )
        )
    Membership.objects.bulk_create(memberships, batch_size=2000, ignore_conflicts=True)
    LearnerProfile.objects.bulk_create(profiles, batch_size=2000, ignore_conflicts=True)

    # Groups of about 12, each following a path, meeting once a week.
    sessions, attendances, statements = [], [], []
    group_members, enrollments = [], []
    by_association = {a.pk: [p for p in people if home_of[p.pk] == a] for a in associations}
    for association in associations:
        members = by_association[association.pk]
        for group_index in range(max(1, len(members) // 12)):
            chunk = members[group_index * 12 : (group_index + 1) * 12]
            if not chunk:
                continue
            path = (
                paths[(group_index + associations.index(association)) % len(paths)]
                if paths
                else None
            )
            group, _ = Group.objects.get_or_create(
                association=association,
                name=f"Groupe {WEEKDAYS[group_index % 5]} {group_index // 5 + 1}",
                defaults={"learning_path": path},
            )
            group.trainers.add(*trainers_for[association.pk])
            group_members += [
                Group.learners.through(group_id=group.pk, user_id=p.pk) for p in chunk
            ]
            if path:
                enrollments += [PathEnrollment(learner=p, path=path) for p in chunk]
            path_modules = modules_by_path.get(path.pk, []) if path else []
            slot = SLOTS[group_index % 2]
            day = start + timedelta(days=(group_index % 5) - start.weekday() + 7)
            week = 0
            while day < today:
                session_uuid = stable_uuid(
                    "demo-session", association.slug, group.name, day.isoformat()
                )
                module = (
                    path_modules[min(week // 3, len(path_modules) - 1)] if path_modules else None
                )
                session = TrainingSession(
                    uuid=session_uuid,
                    association=association,
                    group=group,
                    held_on=day,
                    starts_at=slot[0],
                    ends_at=slot[1],
                    place=association.street_address,
                )
                present = [p for p in chunk if rng.random() < 0.75]
                sessions.append((session, module, present, trainers_for[association.pk][0]))
                day += timedelta(days=7)
                week += 1

    Group.learners.through.objects.bulk_create(
        group_members, batch_size=2000, ignore_conflicts=True
    )
    PathEnrollment.objects.bulk_create(enrollments, batch_size=2000, ignore_conflicts=True)
    existing_sessions = set(TrainingSession.objects.values_list("uuid", flat=True))
    TrainingSession.objects.bulk_create(
        [s for s, *_ in sessions if s.uuid not in existing_sessions], batch_size=2000
    )
    session_ids = dict(TrainingSession.objects.values_list("uuid", "id"))
    trainer_links, module_links = [], []
    for session, module, present, lead in sessions:
        session_id = session_ids[session.uuid]
        trainer_links.append(
            TrainingSession.trainers.through(trainingsession_id=session_id, user_id=lead.pk)
        )
        if module:
            module_links.append(
                TrainingSession.modules.through(
                    trainingsession_id=session_id, modulepage_id=module.pk
                )
            )
        attendances += [Attendance(session_id=session_id, learner_id=p.pk) for p in present]
        if module:
            for person in present:
                statements += _statements_for_session(rng, person, module, session, lead)
    TrainingSession.trainers.through.objects.bulk_create(
        trainer_links, batch_size=2000, ignore_conflicts=True
    )
    TrainingSession.modules.through.objects.bulk_create(
        module_links, batch_size=2000, ignore_conflicts=True
    )
    Attendance.objects.bulk_create(attendances, batch_size=2000, ignore_conflicts=True)
    Statement.objects.bulk_create(statements, batch_size=2000, ignore_conflicts=True)
    progress_rebuild()
    if not SignInCard.objects.filter(token=DEMO_CARD_TOKEN).exists():
        card_issue(
            learner=people[0],
            association=tilleuls,
            pin=DEMO_CARD_PIN,
            pictures=DEMO_CARD_PICTURES,
            issued_by=trainer,
            token=DEMO_CARD_TOKEN,
            short_code=DEMO_CARD_CODE,
        )
    return {
        "associations": Association.objects.count(),
        "learners": Membership.objects.filter(role=Role.LEARNER).count(),
        "sessions": TrainingSession.objects.count(),
        "statements": Statement.objects.count(),
        "admin": admin.username,
    }


def _statements_for_session(rng, person, module: ModulePage, session, lead) -> list[Statement]:
    """What a learner did in a session: worked through some steps of the module."""
    steps = list(module.steps)
    moment = _aware(session.held_on, session.starts_at)
    made = []

    def add(verb, step, offset, **result):
        made.append(
            Statement(
                id=uuid.uuid5(session.uuid, f"{person.pseudonym}/{step.id}/{verb}/{offset}"),
                learner=person,
                learner_pseudonym=person.pseudonym,
                verb=verb,
                object_iri=module.step_iri(step.id),
                object_kind=step.block_type,
                module_id=module.pk,
                module_iri=module.iri,
                association_id=session.association_id,
                session_uuid=session.uuid,
                timestamp=moment + timedelta(minutes=offset),
                instructor=lead if verb == Verb.VALIDATED else None,
                **result,
            )
        )

    reach = rng.randint(max(1, len(steps) // 2), len(steps))
    for index, step in enumerate(steps[:reach]):
        offset = index * 4
        if step.block_type == "quiz":
            right_first = rng.random() < 0.6
            add(
                Verb.ANSWERED,
                step,
                offset,
                success=right_first,
                score_raw=int(right_first),
                score_max=1,
                score_min=0,
                score_scaled=float(right_first),
                response={"answer": 0 if right_first else 1},
            )
            if not right_first:
                add(
                    Verb.ANSWERED,
                    step,
                    offset + 1,
                    success=True,
                    score_raw=1,
                    score_max=1,
                    score_min=0,
                    score_scaled=1.0,
                    response={"answer": 0},
                )
        elif step.block_type in ("practice_form", "practice_inbox"):
            add(
                Verb.ANSWERED,
                step,
                offset,
                success=True,
                completion=True,
                score_scaled=round(rng.uniform(0.6, 1), 2),
            )
        elif step.block_type == "checkpoint":
            add(Verb.COMPLETED, step, offset)
            if rng.random() < 0.7:
                add(
                    Verb.VALIDATED,
                    step,
                    offset + 2,
                    success=True,
                    response={"help": rng.choice(["alone", "little_help", "lot_of_help"])},
                )
        else:
            add(Verb.COMPLETED, step, offset)
    return made
