"""factory_boy factories for the domain models."""

import datetime

import factory
from django.utils import timezone

from lms.accounts.models import Association, Funder, Membership, Role, User
from lms.impact.models import Programme
from lms.logbook.models import Attendance, Group, TrainingSession


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"person{n}")
    display_name = factory.Faker("first_name", locale="fr_BE")
    password = factory.django.Password("demo")


class AssociationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Association

    name = factory.Sequence(lambda n: f"Association {n}")
    slug = factory.Sequence(lambda n: f"association-{n}")
    postcode = "4000"
    municipality = "Liège"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    association = factory.SubFactory(AssociationFactory)
    role = Role.LEARNER
    joined_on = factory.LazyFunction(timezone.localdate)


def learner_in(association: Association, **user_fields) -> User:
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, association=association, role=Role.LEARNER)
    return user


def trainer_in(association: Association, **user_fields) -> User:
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, association=association, role=Role.TRAINER)
    return user


class FunderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Funder

    name = factory.Sequence(lambda n: f"Funder {n}")


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    funder = factory.SubFactory(FunderFactory)
    name = factory.Sequence(lambda n: f"Programme {n}")
    starts_on = datetime.date(2026, 1, 1)
    ends_on = datetime.date(2026, 12, 31)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    association = factory.SubFactory(AssociationFactory)
    name = factory.Sequence(lambda n: f"Groupe {n}")


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    association = factory.SubFactory(AssociationFactory)
    held_on = datetime.date(2026, 3, 2)
    starts_at = datetime.time(9, 30)
    ends_at = datetime.time(12, 0)


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(TrainingSessionFactory)
    learner = factory.SubFactory(UserFactory)


def learners_at_a_session(association, count, *, day, gender="woman", start=0) -> list[User]:
    """`count` learners with a profile, at one session of `association` on `day`, each
    validated once (alone) by the trainer in a DigComp module: what impact figures count."""
    from courses.models import ModulePage
    from lms.accounts.models import LearnerProfile
    from lms.learning.models import Statement, Verb

    module = ModulePage.objects.filter(competences__framework__slug="digcomp-2.2").first()
    session = TrainingSessionFactory(association=association, held_on=day)
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    learners = []
    for index in range(count):
        learner = learner_in(association, username=f"{association.slug}-{start + index}")
        LearnerProfile.objects.create(
            user=learner, year_of_birth=1970, gender=gender, postcode="4000", first_language="fr"
        )
        AttendanceFactory(session=session, learner=learner)
        Statement.objects.create(
            learner=learner,
            learner_pseudonym=learner.pseudonym,
            verb=Verb.VALIDATED,
            object_iri=f"{module.iri}/steps/x",
            module_iri=module.iri,
            association=association,
            response={"help": "alone"},
            timestamp=moment,
        )
        learners.append(learner)
    return learners
