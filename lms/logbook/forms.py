"""Trainer forms: a learner in seconds, a card, a session in under a minute."""

import copy
import unicodedata
from datetime import time

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import Gender, Role, Situation
from lms.accounts.names import PersonNameField
from lms.accounts.services import PICTURES
from lms.accounts.templatetags.pictures import picture_name

from .people import group_label, learner_label
from .services import HelpLevel, Validation

CURRENT_YEAR = timezone.now().year


def language_choices() -> list[tuple[str, str]]:
    """Each language named in its own language, marked with its `lang` for screen readers."""
    named = [
        (code, format_html('<span lang="{}">{}</span>', code, info["name_local"].capitalize()))
        for code, info in ((code, get_language_info(code)) for code, _name in settings.LANGUAGES)
    ]
    return [("", _("As on the device")), *named]


class LearnerForm(forms.Form):
    display_name = PersonNameField(label=_("First name or nickname"), max_length=80)
    preferred_language = forms.ChoiceField(
        label=_("Language of the screens"),
        help_text=_("The learner's screens open in this language at every sign-in."),
        choices=language_choices,
        required=False,
        widget=forms.RadioSelect,
    )
    group = forms.ChoiceField(label=_("Group"), required=False)
    family_name = PersonNameField(label=_("Family name"), max_length=80, required=False)
    year_of_birth = forms.IntegerField(
        label=_("Year of birth"), required=False, min_value=1900, max_value=CURRENT_YEAR
    )
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", "–"), *Gender.choices], required=False
    )
    postcode = forms.RegexField(
        label=_("Postcode"),
        regex=r"^\d{4}$",
        required=False,
        error_messages={"invalid": _("A Belgian postcode has 4 digits.")},
    )
    first_language = forms.CharField(label=_("First language"), max_length=40, required=False)
    situations = forms.MultipleChoiceField(
        label=_("Situation"),
        choices=Situation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent = forms.BooleanField(
        label=_("The learner agrees that their data is used for anonymous figures."),
        required=False,
    )

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", "–")] + [
            (str(g.pk), group_label(g, with_association=True)) for g in groups
        ]


class LearnerEditForm(forms.Form):
    """Rectify a learner's name and profile: the registration form's fields, less the group."""

    FIELDS = (
        "display_name",
        "preferred_language",
        "family_name",
        "year_of_birth",
        "gender",
        "postcode",
        "first_language",
        "situations",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.FIELDS:
            self.fields[name] = copy.deepcopy(LearnerForm.base_fields[name])


def _comparable(text: str) -> str:
    """Case, accents and spaces do not matter when typing a name to confirm."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


class EraseForm(forms.Form):
    """Typing the learner's first name makes erasing the wrong person unlikely."""

    name = forms.CharField(label=_("Type the learner's first name to confirm"), max_length=80)

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_name(self):
        typed = self.cleaned_data["name"]
        if _comparable(typed) != _comparable(self.expected):
            raise forms.ValidationError(
                _("This is not the learner's first name. Type it as it is written above.")
            )
        return typed


def _picture_field(position: int) -> forms.ChoiceField:
    return forms.ChoiceField(
        # format_lazy: the label is translated when shown, in the person's language.
        label=format_lazy(_("Picture {position} of 3"), position=position),
        choices=[(p, picture_name(p)) for p in PICTURES],
        required=False,
        widget=forms.RadioSelect,
    )


class CardForm(forms.Form):
    """The learner's secret: 4 digits, or three pictures tapped in order, or both.

    The pictures are the nine of the sign-in screen, chosen by tapping them (radio buttons,
    one set per position), so the learner makes the code the way they will give it.
    """

    pin = forms.RegexField(
        label=_("Secret code of 4 digits (if you want one)"),
        regex=r"^\d{4}$",
        required=False,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
        error_messages={"invalid": _("The secret code has exactly 4 digits.")},
    )
    picture_1 = _picture_field(1)
    picture_2 = _picture_field(2)
    picture_3 = _picture_field(3)

    PICTURE_FIELDS = ("picture_1", "picture_2", "picture_3")

    def picture_fields(self):
        return [self[name] for name in self.PICTURE_FIELDS]

    def clean(self):
        data = super().clean()
        pictures = [data.get(name) for name in self.PICTURE_FIELDS]
        chosen = [p for p in pictures if p]
        if chosen and (len(chosen) != 3 or len(set(chosen)) != 3):
            raise forms.ValidationError(_("Choose three different pictures, or none."))
        if not data.get("pin") and not chosen:
            raise forms.ValidationError(_("Give a secret code or a picture code."))
        data["pictures"] = chosen or None
        return data


class CardSecretForm(CardForm):
    """The secret of a card the learner already has, to agree to join another association:
    their 4 digits or their three pictures, as at sign-in."""

    pin = forms.RegexField(
        label=_("Type your secret code (4 digits)"),
        regex=r"^\d{4}$",
        required=False,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"invalid": _("The secret code has exactly 4 digits.")},
    )


class SessionForm(forms.Form):
    """Screen 1 of a session: when, where, what was covered, who came."""

    # Browsers' date and time pickers read and send ISO values, whatever the language.
    held_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    starts_at = forms.TimeField(
        label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    ends_at = forms.TimeField(
        label=_("End time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    place = forms.CharField(label=_("Place"), max_length=150, required=False)
    modules = forms.MultipleChoiceField(
        label=_("Modules covered"), required=False, widget=forms.CheckboxSelectMultiple
    )
    present = forms.MultipleChoiceField(
        label=_("Who came?"), required=False, widget=forms.CheckboxSelectMultiple
    )
    # Ticked among many, found by typing a name (static/js/filter-list.js), not ctrl-click.
    others = forms.MultipleChoiceField(
        label=_("Also came (not in the group)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, modules, members, others, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["modules"].choices = [(str(m.pk), m.title) for m in modules]
        # Names with what tells homonyms apart (lms/logbook/people.py).
        self.fields["present"].choices = [
            (str(p.pk), learner_label(p, show_groups=False)) for p in members
        ]
        self.fields["others"].choices = [(str(p.pk), learner_label(p)) for p in others]

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The end comes after the start."))
        return data


def everyone_present(data, *, members):
    """The posted form with every member of the group ticked present, and nothing else
    changed: what "Everyone came" does when JavaScript is off (with it, the page's script
    ticks the boxes without sending anything)."""
    data = data.copy()
    data.setlist("present", [str(member.pk) for member in members])
    return data


class UsualSlotForm(forms.Form):
    """When a group usually meets: both hours, or neither."""

    usual_starts_at = forms.TimeField(
        label=_("Usual start time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    usual_ends_at = forms.TimeField(
        label=_("Usual end time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def clean(self):
        data = super().clean()
        starts_at, ends_at = data.get("usual_starts_at"), data.get("usual_ends_at")
        if self.errors:
            return data
        if bool(starts_at) != bool(ends_at):
            self.add_error(None, _("Give both hours, or neither."))
        elif starts_at and ends_at <= starts_at:
            self.add_error("usual_ends_at", _("The end comes after the start."))
        return data


def default_slot(now, group=None) -> tuple[time, time]:
    """The group's usual hours; else morning or afternoon, whichever the trainer is most
    likely logging."""
    if group is not None and group.usual_starts_at and group.usual_ends_at:
        return group.usual_starts_at, group.usual_ends_at
    return (time(9, 30), time(12, 0)) if now.hour < 13 else (time(13, 30), time(16, 0))


# Always in this order, from left to right: from not shown yet to shown alone.
HELP_CHOICES = [
    ("", _("Not yet")),
    (HelpLevel.LOT_OF_HELP, _("With a lot of help")),
    (HelpLevel.LITTLE_HELP, _("With a little help")),
    (HelpLevel.ALONE, _("Alone")),
]


def help_label(value) -> str:
    """How much help a validation records, in the reader's language (a dash when none)."""
    labels = {level: label for level, label in HELP_CHOICES if level}
    return str(labels.get(value, value or "–"))


def validation_field_name(learner, checkpoint) -> str:
    """`v-<learner>-<module>-<step>`: the field of one person on one checkpoint."""
    return f"v-{learner.pk}-{checkpoint.module.pk}-{checkpoint.step_id}"


def checkpoint_key(checkpoint) -> str:
    """`<module>-<step>`: what the "everyone alone" button of a checkpoint sends."""
    return f"{checkpoint.module.pk}-{checkpoint.step_id}"


class ValidationsForm(forms.Form):
    """Screen 2 of a session: per checkpoint, how each person who came showed it.

    One choice per person and checkpoint, "Not yet" (nothing recorded) by default, and one
    optional note per person, kept with each of their validations.
    """

    def __init__(self, *args, learners, checkpoints, **kwargs):
        super().__init__(*args, **kwargs)
        self.learners, self.checkpoints = learners, checkpoints
        for checkpoint in checkpoints:
            for learner in learners:
                self.fields[validation_field_name(learner, checkpoint)] = forms.ChoiceField(
                    label=learner.public_name,
                    choices=HELP_CHOICES,
                    required=False,
                    widget=forms.RadioSelect,
                )
        for learner in learners:
            self.fields[f"note-{learner.pk}"] = forms.CharField(
                label=learner.public_name, max_length=300, required=False
            )

    def sections(self) -> list[tuple[object, str, list[tuple[object, forms.BoundField]]]]:
        """Per checkpoint: itself, its key, each person with their choice, in screen order."""
        return [
            (
                checkpoint,
                checkpoint_key(checkpoint),
                [
                    (learner, self[validation_field_name(learner, checkpoint)])
                    for learner in self.learners
                ],
            )
            for checkpoint in self.checkpoints
        ]

    def notes(self) -> list[tuple[object, forms.BoundField]]:
        return [(learner, self[f"note-{learner.pk}"]) for learner in self.learners]

    def notes_written(self) -> bool:
        """Whether a note was written or refused: the notes are then shown open."""
        return any(field.value() or field.errors for _learner, field in self.notes())

    def validations(self) -> list[Validation]:
        """The validations chosen, once the form is valid; "Not yet" records nothing."""
        return [
            Validation(
                learner=learner,
                module=checkpoint.module,
                step_id=checkpoint.step_id,
                help_level=level,
                note=self.cleaned_data[f"note-{learner.pk}"],
            )
            for learner in self.learners
            for checkpoint in self.checkpoints
            if (level := self.cleaned_data[validation_field_name(learner, checkpoint)])
        ]


def everyone_alone(data, *, learners, checkpoints, chosen: str):
    """The posted answers with every person "alone" on the checkpoint whose key is `chosen`:
    what its "everyone alone" button does when JavaScript is off (with it, the page's script
    ticks the same buttons without sending anything)."""
    data = data.copy()
    for checkpoint in checkpoints:
        if checkpoint_key(checkpoint) == chosen:
            for learner in learners:
                data[validation_field_name(learner, checkpoint)] = HelpLevel.ALONE
    return data


class TrainerForm(forms.Form):
    display_name = PersonNameField(label=_("First name"), max_length=80)
    username = forms.SlugField(label=_("Username"), max_length=150)
    password = forms.CharField(
        label=_("First password (they change it later)"),
        min_length=10,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self):
        from lms.accounts.models import User

        username = self.cleaned_data["username"]
        existing = User.objects.filter(username=username).first()
        if existing and existing.memberships.filter(role="learner").exists():
            raise forms.ValidationError(
                _("This username belongs to a learner: choose another one.")
            )
        return username


# --- Ids a form posts: read by ModelChoiceFields over the access funnel's querysets -------
# A value outside the queryset (junk, someone else's id, a missing one) is one and the same
# refusal with a message in the person's language, never a server error.


class AssociationChoiceForm(forms.Form):
    """The association a screen acts for, among those the person may act for.

    Left empty (one association: no list is shown), it is the first of them.
    """

    association = forms.ModelChoiceField(
        queryset=None,
        required=False,
        error_messages={"invalid_choice": _("Choose one of your associations in the list.")},
    )

    def __init__(self, data, *, associations, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["association"].queryset = associations

    def chosen(self):
        """The association asked for (the first one when none was), or None if refused."""
        if not self.is_valid():
            return None
        return self.cleaned_data["association"] or self.fields["association"].queryset.first()

    def error(self) -> str:
        return self.errors["association"][0] if "association" in self.errors else ""


class DuplicateForm(forms.Form):
    """The second record of the same person, among the records that may be merged."""

    duplicate = forms.ModelChoiceField(
        queryset=None,
        error_messages={
            "required": _("Choose the other record."),
            "invalid_choice": _("Choose the other record in the list."),
        },
    )

    def __init__(self, data, *, candidates, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["duplicate"].queryset = candidates


class TrainerDeactivateForm(forms.Form):
    """A trainer to switch off, and the coordinator's association they are switched off in."""

    association = forms.ModelChoiceField(queryset=None)
    deactivate = forms.ModelChoiceField(queryset=None)

    def __init__(self, data, *, associations, trainers, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["association"].queryset = associations
        self.fields["deactivate"].queryset = trainers

    def clean(self):
        data = super().clean()
        association, trainer = data.get("association"), data.get("deactivate")
        if (
            association is None
            or trainer is None
            or not trainer.memberships.filter(
                association=association, role=Role.TRAINER, is_active=True
            ).exists()
        ):
            # One message for junk, a missing person and someone else's trainer alike.
            raise forms.ValidationError(_("Choose a trainer of your association in the list."))
        return data
