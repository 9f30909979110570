"""The learner's export as titled sections in the reader's language, for the printable page."""

from dataclasses import dataclass, field

from django.utils.translation import gettext

from lms.accounts.audit_values import AUDIT_ACTIONS, changes_text, when_text, yes_no
from lms.accounts.models import ConsentPurpose, Gender, Role, SignInEvent, Situation
from lms.learning.models import Verb
from lms.logbook.forms import help_label


def _choice(choices, value) -> str:
    return str(dict(choices).get(value, value or "–"))


@dataclass(frozen=True)
class Section:
    title: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def learner_data_sections(data: dict) -> list[Section]:
    """The export as titled sections in the current language, for the printable page."""
    account = data["account"]
    sections = [
        Section(
            gettext("Account"),
            fields=[
                (gettext("Username"), account["username"]),
                (gettext("First name or nickname"), account["display_name"] or "–"),
                (gettext("E-mail address"), account["email"] or "–"),
                (gettext("Preferred language"), account["preferred_language"] or "–"),
                (gettext("Pseudonym used in figures"), account["pseudonym"]),
                (gettext("Registered on"), when_text(account["date_joined"])),
                (gettext("Last sign-in with a password"), when_text(account["last_login"])),
            ],
        )
    ]
    profile = data["profile"]
    sections.append(
        Section(
            gettext("Profile"),
            fields=[
                (gettext("Family name"), profile["family_name"] or "–"),
                (gettext("Year of birth"), str(profile["year_of_birth"] or "–")),
                (gettext("Gender"), _choice(Gender.choices, profile["gender"])),
                (gettext("Postcode"), profile["postcode"] or "–"),
                (gettext("First language"), profile["first_language"] or "–"),
                (
                    gettext("Situation"),
                    ", ".join(_choice(Situation.choices, s) for s in profile["situations"]) or "–",
                ),
                (gettext("Agreed when registered"), when_text(profile["consent_given_at"])),
            ],
        )
        if profile
        else Section(gettext("Profile"), fields=[(gettext("Profile"), gettext("None"))])
    )
    tables = [
        (
            gettext("Associations"),
            [gettext("Association"), gettext("Role"), gettext("Since"), gettext("Active")],
            [
                [
                    m["association"],
                    _choice(Role.choices, m["role"]),
                    when_text(m["joined_on"]),
                    yes_no(m["is_active"]),
                ]
                for m in data["memberships"]
            ],
        ),
        (
            gettext("Groups"),
            [gettext("Group"), gettext("Association")],
            [[g["name"], g["association"]] for g in data["groups"]],
        ),
        (
            gettext("Consents"),
            [gettext("For what"), gettext("Given on"), gettext("Withdrawn on")],
            [
                [
                    _choice(ConsentPurpose.choices, c["purpose"]),
                    when_text(c["given_at"]),
                    when_text(c["withdrawn_at"]),
                ]
                for c in data["consents"]
            ],
        ),
        (
            gettext("Sign-in cards"),
            [gettext("Association"), gettext("Made on"), gettext("Works")],
            [
                [c["association"], when_text(c["created_at"]), yes_no(c["is_active"])]
                for c in data["sign_in_cards"]
            ],
        ),
        (
            gettext("Sign-ins with the card"),
            [gettext("When"), gettext("What")],
            [
                [when_text(e["at"]), _choice(SignInEvent.Kind.choices, e["kind"])]
                for e in data["sign_in_events"]
            ],
        ),
        (
            gettext("Sessions attended"),
            [gettext("Date"), gettext("Time"), gettext("Place"), gettext("Association")],
            [
                [
                    when_text(a["date"]),
                    f"{a['starts_at'][:5]}–{a['ends_at'][:5]}",
                    a["place"] or "–",
                    a["association"],
                ]
                for a in data["attendances"]
            ],
        ),
        (
            gettext("Progress"),
            [gettext("Module"), gettext("Steps done"), gettext("Finished on")],
            [
                [
                    p["module"],
                    f"{p['steps_completed']} / {p['steps_total']}",
                    when_text(p["completed_at"]),
                ]
                for p in data["progress"]
            ],
        ),
        (
            gettext("Shown to a trainer"),
            [gettext("Date"), gettext("Module"), gettext("How"), gettext("Note")],
            [
                [when_text(v["on"]), v["module"], help_label(v["help"]), v["note"] or "–"]
                for v in data["validations"]
            ],
        ),
        (
            gettext("Learning records"),
            [gettext("When"), gettext("What"), gettext("Module"), gettext("Succeeded")],
            [
                [
                    when_text(s["timestamp"]),
                    _choice(Verb.choices, s["verb"]),
                    s["module"] or "–",
                    yes_no(s["success"]),
                ]
                for s in data["statements"]
            ],
        ),
        (
            gettext("Changes to this record"),
            [
                gettext("When"),
                gettext("What"),
                gettext("By"),
                gettext("Before"),
                gettext("After"),
            ],
            [
                [
                    when_text(e["at"]),
                    str(AUDIT_ACTIONS.get(e["action"], e["action"])),
                    e["by"] or "–",
                    changes_text(e["before"]),
                    changes_text(e["after"]),
                ]
                for e in data["audit"]
            ],
        ),
    ]
    sections += [Section(title, headers=headers, rows=rows) for title, headers, rows in tables]
    return sections
