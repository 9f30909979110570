"""The read-only impact API for funders' own tools: same figures, same suppression as the dashboard.

Mounted at /api/v1/; its OpenAPI description is /api/v1/openapi.json. A token
(`Authorization: Bearer <token>`) acts with its owner's current rights, read through
`access.programme_scopes_for_reader` like every impact screen.
"""

from datetime import date, datetime
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Path, Query, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import ConfigDict, create_model

from lms.accounts.models import Association

from . import selectors
from .access import (
    frozen_reports_for_reader,
    programme_scope_get_for_reader,
    programme_scopes_for_reader,
)
from .definitions import BREAKDOWNS, DEFINITIONS_VERSION, KEY_FIGURES
from .models import FrozenReport, Programme
from .tokens import TooManyFailures, api_token_check

API_VERSION = "1"
# Beyond these dates a period is a typing mistake; they also keep date arithmetic in range.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
MAX_PERIOD_DAYS = 10 * 366
MAX_ID = 2**63 - 1  # the largest primary key the databases store; more would overflow


def english(text) -> str:
    """OpenAPI descriptions are for developers: written in English, like the code."""
    with translation.override("en"):
        return str(text)


# --- Schemas --------------------------------------------------------------------------------


class Error(Schema):
    detail: str = Field(
        description="What went wrong, in the language asked for by Accept-Language "
        "(French by default)."
    )


class FieldError(Schema):
    field: str = Field(description="The parameter that is not valid.")
    message: str = Field(description="What to change, in the language asked for.")


class ValidationErrors(Error):
    errors: list[FieldError] = Field(description="One entry per parameter that is not valid.")


class AssociationOut(Schema):
    id: int
    name: str


class ProgrammeOut(Schema):
    id: int
    name: str
    funder: str = Field(description="Name of the funder who finances the programme.")
    starts_on: date
    ends_on: date
    target_learners: int | None = Field(description="Target number of learners reached.")
    target_hours: int | None = Field(description="Target number of hours delivered.")
    associations: list[AssociationOut] = Field(
        description="The associations of the programme whose figures you may read."
    )
    sees_all_associations: bool = Field(
        description="True when you may read the figures of the whole programme "
        "(leave `association` out); false when you must name one of `associations`."
    )


def _key_figures_schema():
    fields = {
        key: (
            int | float | None,
            Field(
                description=f"{english(item.label)} ({english(item.unit)}): "
                f"{english(item.definition)}"
                + (
                    " Null when hidden by the suppression rule, or when there is no data "
                    "to compute it from."
                    if item.counts_people or item.hidden_with
                    else ""
                )
            ),
        )
        for key, item in KEY_FIGURES.items()
    }
    return create_model(
        "KeyFigures", __config__=ConfigDict(extra="allow", title="KeyFigures"), **fields
    )


KeyFigures = _key_figures_schema()


class Target(Schema):
    value: int | float | None = Field(description="The figure; null when hidden.")
    target: int | None = Field(description="The programme's target; null when there is none.")


class Breakdown(Schema):
    rows: list[tuple[str, int | None]] = Field(
        description="Pairs of [category code, count]; the count is null when hidden. Counts "
        "are learners, except in `outcome_shift` (learner and module pairs) and "
        "`module_completion` (modules completed)."
    )
    total: int | None = Field(
        description="What the rows add up to; null when hidden or when a learner may "
        "count in several rows."
    )


class TrendRow(Schema):
    model_config = ConfigDict(extra="allow")

    month: str = Field(description="Calendar month, YYYY-MM.")
    learners: int | None = Field(description="Learners reached in the month; null when hidden.")
    new_learners: int | None = Field(description="New learners in the month; null when hidden.")
    sessions: int | None = Field(description="In-person sessions held in the month.")
    hours: int | float | None = Field(description="Hours of those sessions.")
    learner_hours: int | float | None = Field(description="Learner-hours of those sessions.")
    modules_completed: int | None = Field(
        description="Modules completed in the month; null when hidden."
    )


class Figures(Schema):
    model_config = ConfigDict(extra="allow")

    key_figures: KeyFigures  # type: ignore[valid-type]  (built from definitions.KEY_FIGURES)
    targets: dict[str, Target] = Field(description="Progress towards `learners` and `hours`.")
    breakdowns: dict[str, Breakdown] = Field(
        description="Learners reached by "
        + ", ".join(f"`{key}` ({english(item.title).lower()})" for key, item in BREAKDOWNS.items())
        + "."
    )
    trend: list[TrendRow] = Field(description="One row per month of the period.")
    below_minimum: list[str] = Field(
        default_factory=list,
        description="Where a hidden (null) figure counts 1 to minimum_count - 1 people, as "
        "`key_figures/KEY`, `targets/KEY`, `breakdowns/KEY/CODE` (`@total` for the total) or "
        "`trend/YYYY-MM/COLUMN`. Every other null is masked: hidden so that such a count "
        "cannot be worked out, whatever its own size.",
    )


class FiguresOut(Schema):
    programme_id: int
    association_id: int | None = Field(
        description="The association the figures are for; null for the whole programme."
    )
    start: date = Field(description="First day of the period.")
    end: date = Field(description="Last day of the period.")
    definitions_version: str = Field(description="Version of the indicator definitions.")
    minimum_count: int = Field(
        description="Counts of 1 to minimum_count - 1 people are hidden (null), and so is "
        "any count that would let someone work a hidden one out."
    )
    figures: Figures


class FrozenReportSummary(Schema):
    id: int
    programme_id: int
    association_id: int | None = Field(description="Null when the report covers the programme.")
    period_start_on: date
    period_end_on: date
    created_at: datetime = Field(description="When the period was closed.")
    definitions_version: str


class FrozenReportOut(FrozenReportSummary):
    figures: dict[str, Any] = Field(
        description="The figures exactly as they were stored when the period was closed "
        "(already suppressed), in the shape of `Figures` for their definitions version. "
        "They are never recomputed."
    )


# --- Authentication and errors --------------------------------------------------------------


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; the token's owner must still be allowed to see things."""

    def authenticate(self, request: HttpRequest, token: str):
        return api_token_check(request, token.strip())


api = NinjaAPI(
    title="Pas à pas – impact",
    version=API_VERSION,
    description=(
        "Read-only figures of the programmes you finance or coordinate: the same numbers and "
        "the same suppression of small counts as the impact dashboard. Send a token created "
        "on the page “Accès pour vos outils (API)” (/impact/api-tokens/): "
        "`Authorization: Bearer <token>`. "
        "Error messages follow Accept-Language (French by default)."
    ),
    urls_namespace="impact-api",
    # Swagger UI would load its assets from a CDN: the JSON description is enough.
    docs_url=None,
    auth=BearerToken(),
)

COMMON_ERRORS = {400: ValidationErrors, 401: Error, 404: Error, 429: Error}


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    response = api.create_response(
        request,
        {
            "detail": _(
                "A valid API token is needed. Send it in the header “Authorization: Bearer <token>”."
            )
        },
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(TooManyFailures)
def too_many_failures(request, exc: TooManyFailures):
    minutes = max(1, -(-exc.retry_after_seconds // 60))
    response = api.create_response(
        request,
        {
            "detail": _("Too many wrong tokens from your address. Try again in %(minutes)s min.")
            % {"minutes": minutes}
        },
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after_seconds)
    # A refusal must not be cached by a proxy and served to the next client.
    response["Cache-Control"] = "no-store"
    return response


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(
        request, {"detail": _("Not found, or not yours to see.")}, status=404
    )


class BadParameters(HttpError):
    """Parameters that parse but make no sense together (a period ending before it starts)."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__(400, errors[0]["message"] if errors else "")


def field_message(error: dict) -> str:
    kind = error.get("type", "")
    field = str(error.get("loc", ["", ""])[-1])
    if field in ("start", "end") or kind.startswith("date"):
        return _("Write the date as YYYY-MM-DD, for example 2026-03-31.")
    if kind.startswith(("int", "greater", "less")):
        return _("Write a whole number, as given by the list of programmes.")
    return _("This value is not valid.")


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    errors = [
        {"field": str(error.get("loc", [""])[-1]), "message": field_message(error)}
        for error in exc.errors
    ]
    return bad_parameters(request, BadParameters(errors))


@api.exception_handler(BadParameters)
def bad_parameters(request, exc: BadParameters):
    return api.create_response(
        request,
        {"detail": _("Some parameters are not valid."), "errors": exc.errors},
        status=400,
    )


# --- Scope: the same rules as the dashboard -------------------------------------------------


def programme_scope(user, programme_id: int) -> tuple[Programme, list[Association], bool]:
    """The programme with the associations the user may see in it; 404 when out of reach."""
    try:
        return programme_scope_get_for_reader(user, programme_id)
    except PermissionDenied as out_of_reach:
        raise Http404 from out_of_reach


def period(programme: Programme, start: date | None, end: date | None) -> tuple[date, date]:
    start = start or programme.starts_on
    end = end or programme.ends_on
    errors = [
        {
            "field": name,
            "message": _("Choose a date between %(earliest)s and %(latest)s.")
            % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        }
        for name, value in (("start", start), ("end", end))
        if not EARLIEST <= value <= LATEST
    ]
    if not errors and end < start:
        errors.append({"field": "end", "message": _("The end date is before the start date.")})
    if not errors and (end - start).days > MAX_PERIOD_DAYS:
        errors.append({"field": "end", "message": _("Choose a period of 10 years at most.")})
    if errors:
        raise BadParameters(errors)
    return start, end


# --- Operations -----------------------------------------------------------------------------

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@api.get(
    "/programmes",
    response={200: list[ProgrammeOut], **COMMON_ERRORS},
    summary="Programmes you may read",
    tags=["programmes"],
)
def programmes(request):
    """Every programme you finance, or that includes an association you coordinate."""
    return [
        {
            "id": programme.pk,
            "name": programme.name,
            "funder": programme.funder.name,
            "starts_on": programme.starts_on,
            "ends_on": programme.ends_on,
            "target_learners": programme.target_learners,
            "target_hours": programme.target_hours,
            "associations": [{"id": a.pk, "name": a.name} for a in allowed],
            "sees_all_associations": set(allowed) == set(programme.associations.all()),
        }
        for programme, allowed in programme_scopes_for_reader(request.auth.user)
    ]


@api.get(
    "/programmes/{programme_id}/figures",
    response={200: FiguresOut, **COMMON_ERRORS},
    summary="Figures of a period",
    tags=["figures"],
)
def figures(
    request,
    programme_id: Id,
    start: Annotated[
        date | None,
        Query(description="First day, YYYY-MM-DD; the programme's start when left out."),
    ] = None,
    end: Annotated[
        date | None,
        Query(description="Last day, YYYY-MM-DD; the programme's end when left out."),
    ] = None,
    association: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_ID,
            description="One association of the programme; leave out for the whole programme "
            "(possible when `sees_all_associations` is true).",
        ),
    ] = None,
):
    """Key figures, progress towards targets, breakdowns and the monthly trend.

    Computed now, exactly as the impact dashboard shows them for the same programme,
    period and association; small counts are hidden (null).
    """
    programme, allowed, may_see_all = programme_scope(request.auth.user, programme_id)
    allowed_ids = [a.pk for a in allowed]
    if association is not None:
        if association not in allowed_ids:
            raise Http404
        ids = [association]
    elif may_see_all:
        ids = allowed_ids
    else:
        raise BadParameters(
            [
                {
                    "field": "association",
                    "message": _(
                        "Choose one of your associations: you may not see the whole programme."
                    ),
                }
            ]
        )
    start, end = period(programme, start, end)
    return {
        "programme_id": programme.pk,
        "association_id": association,
        "start": start,
        "end": end,
        "definitions_version": DEFINITIONS_VERSION,
        "minimum_count": settings.IMPACT_MIN_COUNT,
        "figures": selectors.figures_live(
            programme=programme, association_ids=ids, start=start, end=end
        ),
    }


def visible_reports(user, programme_id: int):
    """The programme's frozen reports the user may see, newest first (404 out of scope)."""
    programme_scope(user, programme_id)
    return frozen_reports_for_reader(user, programme_id).order_by("-created_at", "-pk")


@api.get(
    "/programmes/{programme_id}/reports",
    response={200: list[FrozenReportSummary], **COMMON_ERRORS},
    summary="Closed periods",
    tags=["frozen reports"],
)
def reports(request, programme_id: Id):
    """Periods closed on the dashboard, newest first, without their figures."""
    return [
        summary(report)
        for report in visible_reports(request.auth.user, programme_id).defer("figures")
    ]


@api.get(
    "/programmes/{programme_id}/reports/{report_id}",
    response={200: FrozenReportOut, **COMMON_ERRORS},
    summary="One closed period, as stored",
    tags=["frozen reports"],
)
def report(request, programme_id: Id, report_id: Id):
    """The figures of a closed period exactly as they were stored, never recomputed."""
    found = visible_reports(request.auth.user, programme_id).filter(pk=report_id).first()
    if found is None:
        raise Http404
    return {**summary(found), "figures": found.figures}


def summary(report: FrozenReport) -> dict:
    return {
        "id": report.pk,
        "programme_id": report.programme_id,
        "association_id": report.association_id,
        "period_start_on": report.period_start_on,
        "period_end_on": report.period_end_on,
        "created_at": report.created_at,
        "definitions_version": report.definitions_version,
    }
