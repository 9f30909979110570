"""The demo's generated learners: accounts, memberships and profiles, a batch at a time.

Each person's profile (age, gender, postcode, language, situations) comes from a random
generator seeded with their username, so it is the same whatever else the build makes.
"""

import random
from datetime import date, time, timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

from courses.models import stable_uuid
from lms.accounts.models import (
    Association,
    Gender,
    LearnerProfile,
    Membership,
    Role,
    Situation,
    User,
)

from .context import Context, Person, aware

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
BATCH_SIZE = 5000


def _joined_on(seed: int, username: str, start: date) -> date:
    return start + timedelta(days=random.Random(f"demo/{seed}/joined/{username}").randrange(60))


def learners_ensure(amina: User, learners: int, context: Context) -> list[Person]:
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


def memberships_and_profiles_ensure(
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
                consent_given_at=aware(context.start, time(10, 0)),
                consent_recorded_by=context.trainers_for[association.pk][0],
            )
        )
        if len(memberships) >= BATCH_SIZE:
            Membership.objects.bulk_create(memberships, ignore_conflicts=True)
            LearnerProfile.objects.bulk_create(profiles, ignore_conflicts=True)
            memberships, profiles = [], []
    Membership.objects.bulk_create(memberships, ignore_conflicts=True)
    LearnerProfile.objects.bulk_create(profiles, ignore_conflicts=True)
