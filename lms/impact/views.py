"""Funder and coordinator screens: the impact dashboard, its exports, frozen reports."""

from dataclasses import dataclass
from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.accounts.access import role_required, user_roles
from lms.accounts.jobs import job_start
from lms.accounts.models import Association, JobState

from . import exports, files, formats, selectors, services
from .access import frozen_report_get_for_reader, programme_scopes_for_reader
from .definitions import DEFINITIONS_VERSION, FIGURE_GROUPS, KEY_FIGURES
from .models import Programme

ROLES = ("funder", "coordinator")


class FilterForm(forms.Form):
    programme = forms.TypedChoiceField(label=gettext_lazy("Programme"), coerce=int)
    association = forms.TypedChoiceField(
        label=gettext_lazy("Association"), coerce=int, required=False, empty_value=None
    )
    start = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


@dataclass
class Scope:
    """What the person asked for, cut down to what they may see."""

    programme: Programme
    association: Association | None
    association_ids: list[int]
    start: date
    end: date
    form: FilterForm
    may_see_all: bool

    def query(self) -> str:
        params = {"programme": self.programme.pk, "start": self.start, "end": self.end}
        if self.association:
            params["association"] = self.association.pk
        return urlencode(params)


def scope_for(request, data) -> Scope | None:
    """Resolve the filters against the programmes and associations the user may see."""
    scopes = programme_scopes_for_reader(request.user)
    if not scopes:
        return None
    by_id = {programme.pk: (programme, allowed) for programme, allowed in scopes}
    try:
        programme, allowed = by_id[int(data["programme"])] if data.get("programme") else scopes[0]
    except (KeyError, ValueError) as unknown:
        raise Http404 from unknown
    may_see_all = set(allowed) == set(programme.associations.all())
    form = FilterForm(data or None)
    form.fields["programme"].choices = [(p.pk, p.name) for p, _allowed in scopes]
    form.fields["association"].choices = [
        *([("", _("All associations"))] if may_see_all else []),
        *((a.pk, a.name) for a in allowed),
    ]
    allowed_by_id = {a.pk: a for a in allowed}
    asked = data.get("association")
    if asked and (not asked.isdigit() or int(asked) not in allowed_by_id):
        raise PermissionDenied
    cleaned = form.cleaned_data if form.is_valid() else {}
    association = allowed_by_id.get(int(asked)) if asked else None
    if association is None and not may_see_all:
        association = allowed[0]
    start = cleaned.get("start") or programme.starts_on
    end = cleaned.get("end") or programme.ends_on
    if end < start:
        start, end = end, start
    form.initial = {
        "programme": programme.pk,
        "association": association.pk if association else "",
        "start": start,
        "end": end,
    }
    ids = [association.pk] if association else [a.pk for a in allowed]
    return Scope(programme, association, ids, start, end, form, may_see_all)


def bars(table: exports.Table, value_index: int = 1, skip_total: bool = True) -> list[dict]:
    """Rows of a table with the width of their bar, in percent of the largest shown value."""
    rows = [row for row in table.rows if not (skip_total and row[0] == _("Total"))]
    values = [row[value_index] for row in rows if isinstance(row[value_index], int | float)]
    largest = max(values, default=0) or 1
    return [
        {
            "label": row[0],
            "value": row[value_index],
            "width": round(100 * row[value_index] / largest, 1)
            if isinstance(row[value_index], int | float)
            else 0,
        }
        for row in rows
    ]


def trend_rows(trend: exports.Table, today: date | None) -> list[dict]:
    """The months of the trend, named, with those still to come marked (live figures only):
    a month that has not begun shows no figures rather than zeros a reader could take for a
    fall."""
    current = today.strftime("%Y-%m") if today else None
    return [
        {
            "label": formats.month_text(row[0]),
            "values": row[1:],
            "future": current is not None and row[0] > current,
        }
        for row in trend.rows
    ]


def report_context(
    figures: dict, scope_label: str, live: dict | None = None, today: date | None = None
) -> dict:
    """What templates/impact/includes/report.html shows; `today` marks months to come."""
    area_labels = selectors.area_labels()
    all_tables = exports.tables(figures, area_labels)
    by_key = {table.key: table for table in all_tables}
    key_figures = []
    for key, item in KEY_FIGURES.items():
        value = exports.figure_value(figures, key)
        now = exports.figure_value(live, key) if live else None
        key_figures.append(
            {
                "key": key,
                "label": item.label,
                "unit": item.unit,
                "definition": item.definition,
                "group": item.group,
                "value": value,
                "hidden": isinstance(value, exports.Hidden),
                # "not available" (older report) or "no data" (an average of nothing).
                "text": value if isinstance(value, str) else "",
                "live": now,
                "live_text": now if isinstance(now, str) else "",
                "differs": bool(live) and now != value,
            }
        )
    figure_groups = [
        {"group": group, "figures": [f for f in key_figures if f["group"] == key]}
        for key, group in FIGURE_GROUPS.items()
    ]
    breakdowns = [
        {"table": table, "bars": bars(table)}
        for table in all_tables
        if table.key not in ("key_figures", "targets", "trend")
    ]
    trend = by_key["trend"]
    months = trend_rows(trend, today)
    kinds = {kind for table in all_tables for kind in table.notes()}
    return {
        "key_figures": key_figures,
        "figure_groups": figure_groups,
        "targets": by_key["targets"],
        "breakdowns": breakdowns,
        "trend": trend,
        "trend_rows": months,
        "trend_bars": [
            {**bar, "label": row["label"], "future": row["future"]}
            for bar, row in zip(bars(trend, value_index=1, skip_total=False), months, strict=True)
        ],
        "notes": [
            {"key": kind.value, "text": kind.note} for kind in exports.Hidden if kind.note in kinds
        ],
        "scope_label": scope_label,
        "minimum": settings.IMPACT_MIN_COUNT,
    }


@role_required(*ROLES)
def dashboard(request):
    """Key figures, breakdowns and the monthly trend for one programme, period and scope."""
    scope = scope_for(request, request.GET)
    if scope is None:
        if "funder" not in user_roles(request.user, request.session):
            # A coordinator whose association is in no programme has nothing to see here.
            raise PermissionDenied
        return render(
            request,
            "impact/dashboard.html",
            {"scope": None, "minimum": settings.IMPACT_MIN_COUNT},
        )
    figures = selectors.figures_live(
        programme=scope.programme,
        association_ids=scope.association_ids,
        start=scope.start,
        end=scope.end,
    )
    context = report_context(figures, scope_label(scope), today=timezone.localdate())
    context.update(
        scope=scope,
        closed_report=selectors.frozen_report_for_period(
            scope.programme,
            scope.association.pk if scope.association else None,
            scope.start,
            scope.end,
        ),
        frozen_reports=list(
            selectors.frozen_reports_for(
                scope.programme, scope.association.pk if scope.association else None
            )[:10]
        ),
        definitions_version=DEFINITIONS_VERSION,
    )
    return render(request, "impact/dashboard.html", context)


def scope_label(scope: Scope) -> str:
    where = scope.association.name if scope.association else _("all associations")
    return f"{scope.programme.name} – {where}"


def attachment(content, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_file(figures: dict, info: files.ReportInfo, kind: str, stem: str) -> HttpResponse:
    if kind not in files.FILE_KINDS:
        raise Http404
    content, content_type, filename = files.as_file(
        figures, selectors.area_labels(), info, kind, stem
    )
    return attachment(content, content_type, filename)


@role_required(*ROLES)
def export(request, kind: str):
    """The dashboard's figures as a file, with the same filters and the same hidden counts.

    Computing the figures is the heavy part, so it runs as a background job: at once in the
    embedded default (the file comes straight back), on the worker in production (the
    person is sent to the job's page, which shows its progress and then the file).
    """
    if kind not in files.FILE_KINDS:
        raise Http404
    scope = scope_for(request, request.GET)
    if scope is None:
        raise PermissionDenied
    job = job_start(
        kind="impact-export",
        owner=request.user,
        params={
            "programme": scope.programme.pk,
            "association_ids": scope.association_ids,
            "start": scope.start.isoformat(),
            "end": scope.end.isoformat(),
            "label": scope_label(scope),
            "kind": kind,
        },
        title=_("Impact figures: %(label)s") % {"label": scope_label(scope)},
        return_url=f"{reverse('impact:dashboard')}?{scope.query()}",
    )
    job.refresh_from_db()
    if job.state == JobState.DONE and job.result:
        with job.result.open("rb") as result:
            return attachment(result.read(), job.result_type, job.result_name)
    return redirect("accounts:job", job.pk)


class FreezeForm(forms.Form):
    """The confirmation step of closing a period; one that has not ended needs a box ticked
    whose label names it."""

    open_period = forms.BooleanField(required=False)

    def __init__(self, *args, scope: Scope, is_open: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_open = is_open
        if is_open:
            self.fields["open_period"].required = True
            self.fields["open_period"].label = _(
                "The period from %(start)s to %(end)s is not over yet. Close it anyway: its "
                "figures will stay as they are today."
            ) % {"start": formats.date_text(scope.start), "end": formats.date_text(scope.end)}
            self.fields["open_period"].error_messages["required"] = _(
                "Tick the box to close a period that is not over, or choose a period that "
                "has ended."
            )
        else:
            del self.fields["open_period"]


@role_required(*ROLES)
def freeze(request):
    """Close a period, after a confirmation step: store its figures as they are shown now.

    A period already closed for the same scope opens its report instead.
    """
    scope = scope_for(request, request.POST if request.method == "POST" else request.GET)
    if scope is None:
        raise PermissionDenied
    association_id = scope.association.pk if scope.association else None
    existing = selectors.frozen_report_for_period(
        scope.programme, association_id, scope.start, scope.end
    )
    if existing is not None:
        messages.info(request, _("This period is already closed: here is its report."))
        return redirect("impact:frozen_report", pk=existing.pk)
    is_open = scope.end >= timezone.localdate()
    form = FreezeForm(
        request.POST if request.method == "POST" else None, scope=scope, is_open=is_open
    )
    if request.method == "POST" and form.is_valid():
        try:
            report, created = services.report_freeze(
                programme=scope.programme,
                association=scope.association,
                association_ids=scope.association_ids,
                start=scope.start,
                end=scope.end,
                created_by=request.user,
                open_period_confirmed=form.cleaned_data.get("open_period", False),
            )
        except services.PeriodNotEnded:  # the period's last day came while they confirmed
            form.add_error(None, _("This period is not over yet. Tick the box to close it."))
        else:
            if created:
                messages.success(
                    request, _("The period is closed: its figures are stored as shown.")
                )
            return redirect("impact:frozen_report", pk=report.pk)
    return render(
        request,
        "impact/freeze_confirm.html",
        {"scope": scope, "scope_label": scope_label(scope), "form": form, "is_open": is_open},
        status=400 if form.errors else 200,
    )


@role_required(*ROLES)
def frozen_report(request, pk: int):
    """A closed period as stored, next to what the live figures say today."""
    report = frozen_report_get_for_reader(request.user, pk)
    ids = (
        [report.association_id]
        if report.association_id
        else list(report.programme.associations.values_list("pk", flat=True))
    )
    live = selectors.figures_live(
        programme=report.programme,
        association_ids=ids,
        start=report.period_start_on,
        end=report.period_end_on,
    )
    label = f"{report.programme.name} – {report.association.name if report.association else _('all associations')}"
    context = report_context(report.figures, label, live=live)
    context.update(report=report)
    return render(request, "impact/frozen_report.html", context)


@role_required(*ROLES)
def frozen_report_export(request, pk: int, kind: str):
    report = frozen_report_get_for_reader(request.user, pk)
    stem = f"impact-{report.programme_id}-{report.period_start_on}-{report.period_end_on}-frozen-{report.pk}"
    associations = (
        [report.association]
        if report.association
        else sorted(report.programme.associations.all(), key=lambda item: item.name)
    )
    info = files.ReportInfo(
        programme=report.programme.name,
        associations=[association.name for association in associations],
        start=report.period_start_on,
        end=report.period_end_on,
        definitions_version=report.definitions_version,
        generated_at=timezone.localtime(),
        closed_at=timezone.localtime(report.created_at) if report.created_at else None,
    )
    return export_file(report.figures, info, kind, stem)
