"""Who may open which URL: one table for the whole URL configuration.

Every named URL of the project (and each third-party area as a whole) has one `Rule` here.
`tests/lms/test_access_matrix.py` walks the URL configuration with one person of each role
and fails when a person gets in where the table does not allow it, is refused where it
does, or when a URL has no entry. `python manage.py access_matrix` prints the table.

The table states the policy; the checks themselves live in `lms.accounts.access` (and in
Wagtail and Django's admin for their areas).
"""

from dataclasses import dataclass, field

ROLES = ("anonymous", "learner", "trainer", "coordinator", "funder", "editor", "superuser")

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
LEARNERS = frozenset({"learner"})
STAFF = frozenset({"trainer", "coordinator"})
COORDINATORS = frozenset({"coordinator"})
IMPACT = frozenset({"coordinator", "funder"})
EDITORS = frozenset({"editor", "superuser"})
SUPERUSERS = frozenset({"superuser"})


@dataclass(frozen=True)
class Rule:
    """Who may open a URL.

    `roles`: who gets the page (everyone else is sent to sign in, refused or sees "not found").
    `boundary`: what else limits access to the object named in the URL:
      "association": only people of the object's association (or programme, for funders);
      "owner": only the person the object belongs to (their job, their API token).
    `auth`: "session" (signed in in the browser) or "token" (the API's bearer token).
    `method`: how the URL is used (a POST-only action is probed with POST).
    `probe`: False for the few third-party URLs that need objects the test cannot name;
      the entry still documents them.
    `data`: what a POST sends ("{association}" stands for the person's association).
    `prepare`: what a person does first: "card" (shows a sign-in card), "device" (uses a
      device the association marked as its own), "path-done" (the learner finished a path).
    `lands_on_sign_in`: the action ends on the sign-in page by design (signing out).
    """

    roles: frozenset
    boundary: str = ""
    method: str = "GET"
    note: str = ""
    probe: bool = True
    query: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    prepare: str = ""
    lands_on_sign_in: bool = False
    auth: str = "session"


MATRIX: dict[str, Rule] = {
    # Public: the site, signing in, help, language, health.
    "health": Rule(EVERYONE, note="Monitoring; no data."),
    "favicon": Rule(EVERYONE, note="The site icon (a redirect to the static file)."),
    "set_language": Rule(EVERYONE, method="POST"),
    "wagtail_serve": Rule(EVERYONE, note="Public catalogue and pages."),
    "wagtailcore_login": Rule(EVERYONE, note="Wagtail's redirect to the sign-in page."),
    "wagtailcore_authenticate_with_password": Rule(
        EVERYONE, probe=False, note="Password form of a restricted page; needs the password."
    ),
    "wagtaildocs_serve": Rule(EVERYONE, note="Published documents of the catalogue."),
    "wagtaildocs_authenticate_with_password": Rule(
        EVERYONE, probe=False, note="Password form of a restricted document."
    ),
    "media": Rule(EVERYONE, note="Uploaded catalogue media (embedded default only)."),
    "accounts:login": Rule(EVERYONE),
    "accounts:logout": Rule(EVERYONE, method="POST", lands_on_sign_in=True),
    "accounts:home": Rule(SIGNED_IN, note="Sends each person to their own home page."),
    "accounts:find_help": Rule(EVERYONE),
    "accounts:card_start": Rule(EVERYONE, note="A QR code; an unknown card says so."),
    "accounts:card_secret": Rule(EVERYONE, prepare="card", note="After showing a card."),
    "accounts:card_pictures": Rule(EVERYONE, prepare="card", note="After showing a card."),
    "accounts:card_code": Rule(
        EVERYONE, prepare="device", note="Only on a device marked by an association."
    ),
    "accounts:assisted_end": Rule(EVERYONE, method="POST", lands_on_sign_in=True),
    "accounts:job": Rule(SIGNED_IN, boundary="owner", note="An import or export one started."),
    "accounts:job_download": Rule(SIGNED_IN, boundary="owner"),
    # Learners: their own path and modules.
    "learning:my_path": Rule(LEARNERS),
    "learning:my_path_listen": Rule(
        LEARNERS, note="Mon parcours' words for a voice, asked when the learner taps Listen."
    ),
    "learning:attestation": Rule(
        LEARNERS, prepare="path-done", note="Only for a path the learner has finished."
    ),
    "learning:module": Rule(LEARNERS),
    "learning:step": Rule(LEARNERS),
    "learning:module_done": Rule(LEARNERS),
    "learning:outcome_start": Rule(LEARNERS),
    "learning:outcome_end": Rule(LEARNERS),
    "learning:statements": Rule(
        LEARNERS, method="POST", note="The page's queued statements, sent as one JSON list."
    ),
    "learning:text_size": Rule(EVERYONE, method="POST", note="A display preference."),
    "learning:service_worker": Rule(EVERYONE, note="The offline worker's script; no data."),
    "learning:offline": Rule(EVERYONE, note="The page shown without a connection; no data."),
    # Trainers and coordinators: the people, groups and sessions of their associations.
    "logbook:workspace": Rule(STAFF),
    "logbook:learners": Rule(STAFF),
    "logbook:learner_new": Rule(STAFF),
    "logbook:learner_join": Rule(STAFF),
    "logbook:learner_merge": Rule(STAFF, boundary="association"),
    "logbook:learner": Rule(STAFF, boundary="association"),
    "logbook:learner_card": Rule(STAFF, boundary="association"),
    "logbook:learner_card_pdf": Rule(STAFF, boundary="association"),
    "logbook:learner_card_unlock": Rule(STAFF, boundary="association", method="POST"),
    "logbook:learner_open_session": Rule(STAFF, boundary="association", method="POST"),
    "logbook:device_mark": Rule(STAFF, method="POST", data={"association": "{association}"}),
    "logbook:trainers": Rule(COORDINATORS),
    "logbook:learner_data": Rule(STAFF, boundary="association", note="GDPR: access."),
    "logbook:learner_data_json": Rule(STAFF, boundary="association", note="GDPR: portability."),
    "logbook:learner_edit": Rule(STAFF, boundary="association", note="GDPR: rectification."),
    "logbook:learner_consent": Rule(
        STAFF, boundary="association", method="POST", data={"purpose": "photos"}
    ),
    "logbook:learner_erase": Rule(COORDINATORS, boundary="association", note="GDPR: erasure."),
    "logbook:register": Rule(COORDINATORS | SUPERUSERS, note="Register of processing activities."),
    "logbook:audit_log": Rule(COORDINATORS | SUPERUSERS),
    "logbook:group_new": Rule(STAFF),
    "logbook:group": Rule(STAFF, boundary="association"),
    "logbook:group_cards": Rule(STAFF, boundary="association"),
    "logbook:group_cards_pdf": Rule(STAFF, boundary="association"),
    "logbook:session_new": Rule(STAFF, boundary="association"),
    "logbook:session_edit": Rule(STAFF, boundary="association"),
    "logbook:session_validations": Rule(STAFF, boundary="association"),
    "transfer:import": Rule(STAFF),
    "transfer:confirm": Rule(
        STAFF,
        method="POST",
        data={"association": "{association}", "kind": "learners", "token": "expired"},
    ),
    "transfer:export": Rule(STAFF),
    "transfer:download": Rule(STAFF),
    "transfer:template": Rule(STAFF),
    "transfer:refused": Rule(
        STAFF,
        probe=False,
        note="Needs the token of the person's own preview; tests/lms/logbook/test_transfer.py "
        "checks that nobody else gets the file.",
    ),
    # Impact: funders see their programmes; coordinators their association's share of them.
    "impact:dashboard": Rule(IMPACT),
    "impact:export": Rule(IMPACT),
    "impact:freeze": Rule(IMPACT, method="POST"),
    "impact:frozen_report": Rule(IMPACT, boundary="association"),
    "impact:frozen_report_export": Rule(IMPACT, boundary="association"),
    "impact:api_tokens": Rule(IMPACT, note="Tokens are issued here only."),
    "impact:api_token_revoke": Rule(IMPACT, boundary="owner"),
    "impact:xapi_export": Rule(COORDINATORS, boundary="association", note="Pseudonymous."),
    # The read-only API: a bearer token acting with its owner's current rights.
    "impact-api:programmes": Rule(IMPACT, auth="token"),
    "impact-api:figures": Rule(IMPACT, auth="token", boundary="association"),
    "impact-api:reports": Rule(IMPACT, auth="token", boundary="association"),
    "impact-api:report": Rule(IMPACT, auth="token", boundary="association"),
    "impact-api:openapi-json": Rule(EVERYONE, note="The API's public description; no data."),
    "impact-api:api-root": Rule(
        frozenset(), auth="token", note="Nothing is served at the API's root."
    ),
    # The server voice: every learner screen, the sign-in ones too, has a Listen button.
    "voice:request": Rule(
        EVERYONE, method="POST", note="Speaks only a text the site signed (answers its URL)."
    ),
    "voice:audio": Rule(
        EVERYONE,
        probe=False,
        note="Speech of a signed text, addressed by its hash (tests/courses/test_voice.py).",
    ),
    "voice:recording": Rule(
        EVERYONE,
        probe=False,
        note="An editor's recording of a step, by its hash (tests/courses/test_recordings.py).",
    ),
    # H5P player frames and files: sandboxed, no personal data, loaded by the learner's page.
    "h5p:frame": Rule(EVERYONE, note="Sandboxed (opaque origin); content only."),
    "h5p:frame_script": Rule(EVERYONE),
    "h5p:library_file": Rule(EVERYONE),
    "h5p:package_file": Rule(EVERYONE),
    # Third-party areas, checked at their entry page.
    "area:wagtail-admin": Rule(EDITORS, note="Wagtail admin: the catalogue's editors."),
    "area:django-admin": Rule(SUPERUSERS, note="Django admin: technical administrators."),
}

# Third-party URL areas covered by one entry each, by their URL prefix.
AREAS = {"admin/": "area:wagtail-admin", "django-admin/": "area:django-admin"}


def as_markdown() -> str:
    """The table, one row a URL and one column a role."""
    lines = [
        "| URL | " + " | ".join(ROLES) + " | limited to | method |",
        "|---|" + "---|" * len(ROLES) + "---|---|",
    ]
    for name, rule in MATRIX.items():
        cells = ["yes" if role in rule.roles else "–" for role in ROLES]
        lines.append(
            f"| `{name}` | "
            + " | ".join(cells)
            + f" | {rule.boundary or ''} | {rule.method}"
            + (" (token)" if rule.auth == "token" else "")
            + " |"
        )
    return "\n".join(lines)
