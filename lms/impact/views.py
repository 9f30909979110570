"""Funder screens."""

from django.conf import settings
from django.shortcuts import render

from lms.accounts.access import programmes_for_funder, role_required

from . import indicators, selectors


@role_required("funder")
def dashboard(request):
    """Key figures for each of the funder's programmes, over the programme's period."""
    programmes = []
    for programme in programmes_for_funder(request.user):
        start, end = programme.starts_on, programme.ends_on
        figures = indicators.key_figures(
            sessions=selectors.session_rows(programme, start, end),
            attendances=selectors.attendance_rows(programme, start, end),
            statement_learners=selectors.statement_learner_rows(programme, start, end),
            completions=selectors.module_completion_rows(programme, start, end),
        )
        programmes.append({"programme": programme, "figures": figures})
    return render(
        request,
        "impact/dashboard.html",
        {"programmes": programmes, "minimum": settings.IMPACT_MIN_COUNT},
    )
