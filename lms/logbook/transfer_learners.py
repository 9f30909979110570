"""Learners in a spreadsheet: their columns, and how a row finds the learner it updates."""

from __future__ import annotations

import secrets
import string

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields

from lms.accounts.backends import forget_users
from lms.accounts.models import (
    Association,
    Gender,
    LearnerProfile,
    Membership,
    Role,
    Situation,
    User,
)
from lms.accounts.names import person_name_comparable

from .selectors import learners_described
from .transfer_cells import (
    ConsentField,
    DateWidget,
    GenderWidget,
    IdentifierWidget,
    PostcodeWidget,
    SituationsWidget,
    TextWidget,
    YearWidget,
    cell_text,
    identifier_repeated,
    parse_uuid,
)
from .transfer_resource import LOOKUP_CHUNK, ROW_COLUMN, Columns, ScopedResource

# The answer "another person" to a likely duplicate.
NEW_PERSON = "new"

USERNAME_ALPHABET = string.ascii_lowercase + string.digits

# The one place where each column and its label are declared.
LEARNER_COLUMNS: Columns = (
    ("id", gettext_lazy("Identifier")),
    ("first_name", gettext_lazy("First name or nickname")),
    ("family_name", gettext_lazy("Family name")),
    ("year_of_birth", gettext_lazy("Year of birth")),
    ("gender", gettext_lazy("Gender")),
    ("postcode", gettext_lazy("Postcode")),
    ("first_language", gettext_lazy("First language")),
    ("situations", gettext_lazy("Situations")),
    ("consent_on", gettext_lazy("Consent date")),
)


class LearnerResource(ScopedResource):
    columns = LEARNER_COLUMNS
    required_columns = ("first_name",)
    labels_by_key = dict(LEARNER_COLUMNS)

    id = fields.Field(attribute="pseudonym", widget=IdentifierWidget(), readonly=True)
    first_name = fields.Field(
        attribute="display_name",
        # Required in row_check: a learner recorded without one may stay so.
        widget=TextWidget(label=labels_by_key["first_name"], max_length=80, person_name=True),
    )
    family_name = fields.Field(
        attribute="learner_profile__family_name",
        widget=TextWidget(label=labels_by_key["family_name"], max_length=80, person_name=True),
    )
    year_of_birth = fields.Field(attribute="learner_profile__year_of_birth", widget=YearWidget())
    gender = fields.Field(attribute="learner_profile__gender", widget=GenderWidget())
    postcode = fields.Field(attribute="learner_profile__postcode", widget=PostcodeWidget())
    first_language = fields.Field(
        attribute="learner_profile__first_language",
        widget=TextWidget(label=labels_by_key["first_language"], max_length=40),
    )
    situations = fields.Field(attribute="learner_profile__situations", widget=SituationsWidget())
    consent_on = ConsentField(attribute="learner_profile__consent_given_at", widget=DateWidget())

    PROFILE_FIELDS = (
        "family_name",
        "year_of_birth",
        "gender",
        "postcode",
        "first_language",
        "situations",
        "consent_given_at",
        "consent_recorded_by",
    )

    class Meta:
        model = User
        fields = [key for key, _label in LEARNER_COLUMNS]
        # 10,000 learners in one file: users, profiles and memberships go in by batches.
        use_bulk = True
        batch_size = 1000

    def __init__(
        self,
        *,
        association: Association,
        user: User | None = None,
        decisions: dict[int, str] | None = None,
    ):
        super().__init__(association=association, user=user)
        self.fields["consent_on"].recorded_by = user
        # The trainer's answers for likely duplicates: row number → the identifier of the
        # learner the row is, or "new" for another person.
        self.decisions = decisions or {}
        # Row number → the learners with the same names but another or no year of birth.
        self.likely_duplicates: dict[int, list[User]] = {}
        self.row_of_learner: dict[int, int] = {}

    # Which learner a row is: its identifier, the trainer's answer, or its names and year.

    @staticmethod
    def names_of(row) -> tuple[str, str] | None:
        first = person_name_comparable(cell_text(row.get("first_name")))
        return (first, person_name_comparable(cell_text(row.get("family_name")))) if first else None

    @staticmethod
    def year_of(row) -> int | None:
        try:
            return YearWidget().clean(row.get("year_of_birth"))
        except ValueError:
            return None

    def person_key(self, row) -> tuple | None:
        names, year = self.names_of(row), self.year_of(row)
        return ("person", *names, year) if names and year else None

    def row_key(self, row):
        text = cell_text(row.get("id")) or self.decisions.get(row[ROW_COLUMN], "")
        if text == NEW_PERSON:
            return None
        return parse_uuid(text) if text else self.person_key(row)

    def repeat_key(self, row):
        text = cell_text(row.get("id"))
        if text:
            return ("id", text.casefold()), identifier_repeated(text)
        if person := self.person_key(row):
            return person, _(
                "this learner (same names and year of birth) is already in row %(first)s"
            )
        values = tuple(cell_text(row.get(key)).casefold() for key, _label in self.columns)
        return ("row", values), _("this row repeats row %(first)s")

    def template_choices(self):
        return {
            "gender": ([str(label) for label in Gender.labels], True),
            "situations": ([str(label) for label in Situation.labels], False),
        }

    def learners_queryset(self) -> QuerySet[User]:
        return User.objects.filter(
            memberships__association=self.association,
            memberships__role=Role.LEARNER,
            memberships__is_active=True,
        )

    def load_existing(self, dataset):
        texts = [*(dataset["id"] if "id" in dataset.headers else ()), *self.decisions.values()]
        wanted = sorted({found for text in texts if (found := parse_uuid(cell_text(text)))})
        existing = {}
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            for learner in (
                self.learners_queryset()
                .filter(pseudonym__in=chunk)
                .select_related("learner_profile")
            ):
                existing[learner.pseudonym] = learner
        unnamed = [
            row
            for row in dataset.dict
            if not cell_text(row.get("id")) and row[ROW_COLUMN] not in self.decisions
        ]
        existing.update(self.people_match(unnamed))
        return existing

    def people_match(self, rows) -> dict[tuple, User]:
        """The learners that rows without identifier update: one learner of the association
        with the same first and family names (case and accents ignored) and year of birth.
        Learners with the same names and another or no year are likely duplicates."""
        wanted = {names for row in rows if (names := self.names_of(row))}
        if not wanted:
            return {}
        same_names: dict[tuple[str, str], list[tuple[int, int | None]]] = {}
        for pk, first, family, year in self.learners_queryset().values_list(
            "pk", "display_name", "learner_profile__family_name", "learner_profile__year_of_birth"
        ):
            names = (person_name_comparable(first), person_name_comparable(family or ""))
            if names in wanted:
                same_names.setdefault(names, []).append((pk, year))
        ids = [pk for found in same_names.values() for pk, _year in found]
        people = {
            person.pk: person
            for person in learners_described(
                User.objects.filter(pk__in=ids), associations=[self.association]
            )
        }
        matches = {}
        for names, found in same_names.items():
            years = [year for _pk, year in found]
            matches.update(
                (("person", *names, year), people[pk])
                for pk, year in found
                if year and years.count(year) == 1
            )
        for row in rows:
            names = self.names_of(row)
            if names in same_names and self.person_key(row) not in matches:
                self.likely_duplicates[row[ROW_COLUMN]] = [
                    people[pk] for pk, _year in same_names[names]
                ]
        return matches

    def init_instance(self, row=None):
        return User(username="", display_name="")

    def after_init_instance(self, instance, new, row, **kwargs):
        try:
            instance.learner_profile  # noqa: B018 (reading it tells whether it exists)
        except LearnerProfile.DoesNotExist:
            instance.learner_profile = LearnerProfile(user=instance)
        super().after_init_instance(instance, new, row, **kwargs)

    def row_check(self, instance, row):
        messages = []
        text = cell_text(row.get("id")) or self.decisions.get(row[ROW_COLUMN], "")
        if text and text != NEW_PERSON and instance._transfer_new:
            messages.append(
                _("no learner has the identifier “%(value)s” in this association") % {"value": text}
            )
        if not instance._transfer_new:
            first = self.row_of_learner.setdefault(instance.pk, row[ROW_COLUMN])
            if first != row[ROW_COLUMN] and row[ROW_COLUMN] not in self.repeats:
                messages.append(
                    _("this learner is already updated by row %(first)s") % {"first": first}
                )
        before = instance._transfer_before
        had_name = instance._transfer_new or (before and before["first_name"])
        if "first_name" in row and not instance.display_name and had_name:
            messages.append(_("the first name or nickname is empty"))
        return messages

    def usernames_new(self, count: int) -> list[str]:
        """Unique usernames like a-k3x9q2mz, checked against the database in one query."""
        names: set[str] = set()
        while len(names) < count:
            batch = {
                "a-" + "".join(secrets.choice(USERNAME_ALPHABET) for _letter in range(8))
                for _name in range(count - len(names))
            }
            batch -= set(User.objects.filter(username__in=batch).values_list("username", flat=True))
            names |= batch
        return list(names)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if not self.create_instances or not (using_transactions or not dry_run):
            return
        users = self.create_instances
        try:
            for user, username in zip(users, self.usernames_new(len(users)), strict=True):
                user.username = username
                user.set_unusable_password()
            User.objects.bulk_create(users, batch_size=batch_size)
            LearnerProfile.objects.bulk_create(
                [user.learner_profile for user in users], batch_size=batch_size
            )
            joined_on = timezone.localdate()
            Membership.objects.bulk_create(
                [
                    Membership(
                        user=user,
                        association=self.association,
                        role=Role.LEARNER,
                        joined_on=joined_on,
                    )
                    for user in users
                ],
                batch_size=batch_size,
            )
        except Exception as error:  # reported as the import's error, as the base class does
            self.handle_import_error(result, error, raise_errors)
        finally:
            self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if not self.update_instances or not (using_transactions or not dry_run):
            return
        users = self.update_instances
        try:
            User.objects.bulk_update(users, ["display_name"], batch_size=batch_size)
            forget_users(user.pk for user in users)  # bulk_update sends no signal
            profiles = [user.learner_profile for user in users]
            LearnerProfile.objects.bulk_update(
                [profile for profile in profiles if profile.pk],
                self.PROFILE_FIELDS,
                batch_size=batch_size,
            )
            LearnerProfile.objects.bulk_create(
                [profile for profile in profiles if not profile.pk], batch_size=batch_size
            )
        except Exception as error:  # reported as the import's error, as the base class does
            self.handle_import_error(result, error, raise_errors)
        finally:
            self.update_instances.clear()

    def export_queryset(self):
        return (
            self.learners_queryset()
            .select_related("learner_profile")
            .order_by("display_name", "pk")
        )
