"""'Online learning time' on the funder's dashboard and in its export is the sum of the
seconds stored with the statements, added up here independently of the dashboard's code."""

import datetime
import io
import json
import random
import uuid

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import load_workbook

from lms.demo.builder import demo_build
from lms.impact.definitions import KEY_FIGURES
from lms.learning.models import Statement
from lms.learning.submissions import MAX_STEP_SECONDS
from tests.factories import (
    AssociationFactory,
    FunderFactory,
    ProgrammeFactory,
    UserFactory,
    learner_in,
)

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("impact:dashboard")


def figure(response, name):
    return next(f["value"] for f in response.context["key_figures"] if f["key"] == name)


def hours_of(seconds: int) -> float:
    return round(seconds / 3600, 1)


def seconds_stored(association_ids, start: datetime.date, end: datetime.date) -> int:
    """The stored seconds of the statements made at these associations from start to end
    (both days included, local time), read straight from the table."""
    since = timezone.make_aware(datetime.datetime.combine(start, datetime.time()))
    until = timezone.make_aware(
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time())
    )
    return (
        Statement.objects.filter(
            association_id__in=association_ids, timestamp__gte=since, timestamp__lt=until
        ).aggregate(total=Sum("duration_seconds"))["total"]
        or 0
    )


def test_the_dashboard_and_the_export_show_the_seconds_learners_sent(catalogue):
    module = catalogue.get(slug="utiliser-un-ecran-tactile")
    funder_user = UserFactory(username="funder")
    funder = FunderFactory()
    funder.members.add(funder_user)
    association = AssociationFactory()
    programme = ProgrammeFactory(
        funder=funder,
        starts_on=timezone.localdate() - datetime.timedelta(days=30),
        ends_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    programme.associations.add(association)

    rng = random.Random(19)
    sent = 0
    for _learner in range(6):
        client = Client(HTTP_ACCEPT="application/json")
        client.force_login(learner_in(association))
        entries = []
        for number in range(1, 5):  # the four explanations: nothing to answer
            seconds = rng.randint(0, MAX_STEP_SECONDS)
            sent += seconds
            entries.append(
                {
                    "module": module.pk,
                    "step": number,
                    "statement_id": str(uuid.uuid4()),
                    "fields": {"duration_seconds": str(seconds)},
                }
            )
        response = client.post(
            "/apprendre/releves/", json.dumps(entries), content_type="application/json"
        )
        assert response.json()["stored"] == 4

    assert sent == seconds_stored([association.pk], programme.starts_on, programme.ends_on)
    client = Client()
    client.force_login(funder_user)
    response = client.get(DASHBOARD)
    assert figure(response, "online_hours") == hours_of(sent) > 0
    assert figure(response, "online_learners") == 6

    export = client.get(reverse("impact:export", args=["xlsx"]))
    rows = [
        [cell.value for cell in row]
        for sheet in load_workbook(io.BytesIO(export.content)).worksheets
        for row in sheet.iter_rows()
    ]
    label = gettext(KEY_FIGURES["online_hours"].label)
    assert next(row[1] for row in rows if row[0] == label) == hours_of(sent)


def test_the_demo_dashboard_shows_the_demo_durations(catalogue):
    demo_build(learners=30, today=datetime.date(2026, 6, 15))
    client = Client()
    assert client.login(username="bailleur", password="demo")
    response = client.get(DASHBOARD)
    scope = response.context["scope"]
    total = seconds_stored(
        scope.programme.associations.values_list("pk", flat=True), scope.start, scope.end
    )
    assert figure(response, "online_hours") == hours_of(total) >= 1
