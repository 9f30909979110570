"""Groups and sessions in a spreadsheet, and every kind that can be imported or exported."""

from __future__ import annotations

import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields
from wagtail.models import Locale

from courses.models import LearningPathPage

from .models import Attendance, Group, TrainingSession
from .transfer_cells import (
    LIST_SEPARATORS,
    DateWidget,
    GroupWidget,
    IdentifierWidget,
    LearningPathWidget,
    SetField,
    TextWidget,
    TimeWidget,
    cell_text,
    identifier_repeated,
    parse_date,
    parse_time,
    parse_uuid,
)
from .transfer_learners import LearnerResource
from .transfer_resource import LOOKUP_CHUNK, Columns, ScopedResource

GROUP_COLUMNS: Columns = (
    ("name", gettext_lazy("Group name")),
    ("learning_path", gettext_lazy("Learning path")),
    ("learners", gettext_lazy("Learners (identifiers)")),
)
SESSION_COLUMNS: Columns = (
    ("id", gettext_lazy("Identifier")),
    ("held_on", gettext_lazy("Date")),
    ("starts_at", gettext_lazy("Start time")),
    ("ends_at", gettext_lazy("End time")),
    ("place", gettext_lazy("Place")),
    ("group", gettext_lazy("Group")),
    ("present", gettext_lazy("Present learners (identifiers)")),
)


class GroupResource(ScopedResource):
    columns = GROUP_COLUMNS
    required_columns = ("name",)

    name = fields.Field(
        attribute="name",
        widget=TextWidget(
            label=dict(GROUP_COLUMNS)["name"],
            max_length=120,
            empty_message=gettext_lazy("the group name is empty"),
        ),
    )
    learning_path = fields.Field(attribute="learning_path", widget=LearningPathWidget())
    learners = SetField()

    class Meta:
        model = Group
        fields = [key for key, _label in GROUP_COLUMNS]

    def row_key(self, row):
        name = cell_text(row.get("name"))
        return name if name in self.existing else name.casefold()

    def repeat_key(self, row):
        name = cell_text(row.get("name"))
        if not name:
            return None
        message = _("the group “%(value)s” is already in row %(first)s")
        return name.casefold(), message.replace("%(value)s", name)

    def load_existing(self, dataset):
        groups = list(
            Group.objects.filter(association=self.association).select_related("learning_path")
        )
        self.fields["learning_path"].widget.pages = self.learning_paths(groups)
        through = Group.learners.through.objects.filter(group__in=[group.pk for group in groups])
        members: dict[int, set[int]] = {}
        for group_id, user_id in through.values_list("group_id", "user_id"):
            members.setdefault(group_id, set()).add(user_id)
        self.current_sets["learners"] = {key: frozenset(ids) for key, ids in members.items()}
        if "learners" in dataset.headers:
            self.learner_ids_load(
                text
                for cell in dataset["learners"]
                for text in LIST_SEPARATORS.split(cell_text(cell))
            )
        existing = {group.name.casefold(): group for group in groups}
        existing.update({group.name: group for group in groups})
        return existing

    def learning_paths(self, groups: list[Group]) -> dict[str, list[LearningPathPage]]:
        """Live paths by title, and those the groups follow even if no longer published."""
        pages: dict[str, list[LearningPathPage]] = {}
        followed = [group.learning_path for group in groups if group.learning_path]
        originals = LearningPathPage.objects.live().filter(locale=Locale.get_default())
        for page in [*originals.order_by("pk"), *followed]:
            same_title = pages.setdefault(page.title.casefold(), [])
            if page not in same_title:
                same_title.append(page)
        return pages

    def init_instance(self, row=None):
        return Group(association=self.association)

    def template_choices(self):
        titles = sorted(
            {page.title for pages in self.learning_paths([]).values() for page in pages}
        )
        return {"learning_path": (titles, True)}

    def row_check(self, instance, row):
        before = instance._transfer_before
        current = before and before.get("learning_path")
        chosen = instance.learning_path
        # Two pages may share a title (translations): keep the one the group already has.
        if current and chosen and chosen.title.casefold() == current.title.casefold():
            instance.learning_path = current
        return []

    def save_m2m(self, instance, row, **kwargs):
        if not self._is_using_transactions(kwargs) and self._is_dry_run(kwargs):
            return
        if "learners" in instance._transfer_sets:
            instance.learners.set(instance._transfer_sets["learners"])
        if instance._transfer_new and self.user is not None:
            instance.trainers.add(self.user)

    def before_export(self, queryset, **kwargs):
        through = Group.learners.through.objects.filter(group__association=self.association)
        self.export_learners = self.export_learner_pseudonyms(
            through.values_list("group_id", "user__pseudonym")
        )

    def dehydrate_learners(self, group):
        return ", ".join(self.export_learners.get(group.pk, []))

    def export_queryset(self):
        return Group.objects.filter(association=self.association).select_related("learning_path")


class TrainingSessionResource(ScopedResource):
    columns = SESSION_COLUMNS
    required_columns = ("held_on", "starts_at", "ends_at")

    id = fields.Field(attribute="uuid", widget=IdentifierWidget(), readonly=True)
    held_on = fields.Field(
        attribute="held_on", widget=DateWidget(empty_message=gettext_lazy("the date is missing"))
    )
    starts_at = fields.Field(
        attribute="starts_at",
        widget=TimeWidget(empty_message=gettext_lazy("the start time is missing")),
    )
    ends_at = fields.Field(
        attribute="ends_at",
        widget=TimeWidget(empty_message=gettext_lazy("the end time is missing")),
    )
    place = fields.Field(
        attribute="place", widget=TextWidget(label=dict(SESSION_COLUMNS)["place"], max_length=150)
    )
    group = fields.Field(attribute="group", widget=GroupWidget())
    present = SetField()

    class Meta:
        model = TrainingSession
        fields = [key for key, _label in SESSION_COLUMNS]

    def row_key(self, row):
        return parse_uuid(cell_text(row.get("id")))

    def repeat_key(self, row):
        text = cell_text(row.get("id"))
        if text:
            return ("id", text.casefold()), identifier_repeated(text)
        values = []
        for key, parse in (("held_on", parse_date), ("starts_at", parse_time)):
            try:
                values.append(parse(row.get(key)))
            except ValueError:
                values.append(cell_text(row.get(key)))
        values.append(cell_text(row.get("group")).casefold())
        return ("session", tuple(values)), _(
            "this session (same date, start time and group) is already in row %(first)s"
        )

    def load_existing(self, dataset):
        groups = list(Group.objects.filter(association=self.association))
        names = {group.name.casefold(): group for group in groups}
        names.update({group.name: group for group in groups})
        self.fields["group"].widget.groups = names
        if "present" in dataset.headers:
            self.learner_ids_load(
                text
                for cell in dataset["present"]
                for text in LIST_SEPARATORS.split(cell_text(cell))
            )
        existing = {}
        if "id" in dataset.headers:
            wanted = sorted(
                {found for text in dataset["id"] if (found := parse_uuid(cell_text(text)))}
            )
            for start in range(0, len(wanted), LOOKUP_CHUNK):
                existing.update(
                    (session.uuid, session)
                    for session in TrainingSession.objects.filter(
                        association=self.association, uuid__in=wanted[start : start + LOOKUP_CHUNK]
                    ).select_related("group")
                )
        present: dict[int, set[int]] = {}
        attendances = Attendance.objects.filter(
            session__in=[session.pk for session in existing.values()]
        )
        for session_id, learner_id in attendances.values_list("session_id", "learner_id"):
            present.setdefault(session_id, set()).add(learner_id)
        self.current_sets["present"] = {key: frozenset(ids) for key, ids in present.items()}
        return existing

    def init_instance(self, row=None):
        return TrainingSession(association=self.association)

    def template_choices(self):
        names = Group.objects.filter(association=self.association, is_active=True)
        return {"group": (list(names.order_by("name").values_list("name", flat=True)), True)}

    def row_check(self, instance, row):
        messages = []
        text = cell_text(row.get("id"))
        if text and instance._transfer_new:
            messages.append(
                _("no session has the identifier “%(value)s” in this association") % {"value": text}
            )
        starts_at, ends_at = instance.starts_at, instance.ends_at
        both = isinstance(starts_at, datetime.time) and isinstance(ends_at, datetime.time)
        if both and ends_at <= starts_at:
            messages.append(
                _("the end time %(end)s is not after the start time %(start)s")
                % {"end": ends_at.strftime("%H:%M"), "start": starts_at.strftime("%H:%M")}
            )
        return messages

    def save_m2m(self, instance, row, **kwargs):
        if not self._is_using_transactions(kwargs) and self._is_dry_run(kwargs):
            return
        if "present" in instance._transfer_sets:
            wanted = instance._transfer_sets["present"]
            current = self.current_sets["present"].get(instance.pk, frozenset())
            if current - wanted:
                Attendance.objects.filter(
                    session=instance, learner_id__in=current - wanted
                ).delete()
            Attendance.objects.bulk_create(
                [Attendance(session=instance, learner_id=pk) for pk in sorted(wanted - current)]
            )
        if instance._transfer_new and self.user is not None:
            instance.trainers.add(self.user)

    def before_export(self, queryset, **kwargs):
        attendances = Attendance.objects.filter(session__association=self.association)
        self.export_present = self.export_learner_pseudonyms(
            attendances.values_list("session_id", "learner__pseudonym")
        )

    def dehydrate_present(self, session):
        return ", ".join(self.export_present.get(session.pk, []))

    def export_queryset(self):
        return (
            TrainingSession.objects.filter(association=self.association)
            .select_related("group")
            .order_by("held_on", "starts_at", "pk")
        )


# kind → (resource, label); the label also names the exported file.
KINDS: dict[str, tuple[type[ScopedResource], Promise]] = {
    "learners": (LearnerResource, gettext_lazy("Learners")),
    "groups": (GroupResource, gettext_lazy("Groups")),
    "sessions": (TrainingSessionResource, gettext_lazy("In-person sessions")),
}
