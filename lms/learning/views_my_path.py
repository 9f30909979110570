"""Mon parcours: the learner's modules and paths, its Listen words, and path attestations."""

from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from courses.caching import content_key, shared_content
from courses.cards import catalogue_cards
from courses.framing import fill, frame, render_framed, stand_in
from courses.listening import html_for_listening
from courses.voice import voice_language, voice_signature
from lms.accounts.access import role_required
from lms.accounts.models import Role

from . import selectors
from .attestation import AttestedModule, attestation_pdf
from .offline import offline_key_set
from .progress import ModuleState


@role_required(Role.LEARNER)
def my_path(request):
    """Mon parcours: one big button to continue, the learner's modules and paths, what is done.

    Its Listen button reads the learner's own part, which changes at every visit: its words
    are made only when the learner taps (my_path_listen), not at each visit.
    """
    context = _my_path_context(request.user)
    own = _my_path_own(request.user, context)
    # The page around the learner's own part is the same for everyone.
    response = render_framed(
        request,
        "learning/my_path.html",
        context,
        content={"listen_language": voice_language(get_language())},
        key_parts=("my-path",),
        slot="own_html",
        own=own,
    )
    return offline_key_set(request, response)


@role_required(Role.LEARNER)
def my_path_listen(request):
    """The words of the learner's Mon parcours for a voice, fetched when they tap Listen."""
    language = voice_language(get_language())
    text = html_for_listening(_my_path_own(request.user, _my_path_context(request.user)), language)
    response = JsonResponse(
        {"text": text, "language": language, "signature": voice_signature(text, language)}
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def _my_path_context(user) -> dict:
    """What Mon parcours shows of `user`: the module to continue, their modules and paths.

    The learner's own rows give ids and progress; titles and pictures come from the shared
    cards (courses/cards.py).
    """
    cards = catalogue_cards()
    card_items = _card_items()
    progress = []
    rows, enrolled = selectors.my_path_rows(user)
    for row in rows:
        row.card = cards.modules.get(row.module_id)
        if row.card:
            progress.append(row)
    by_module = {row.module_id: row for row in progress}
    # A module waiting only for a trainer's validation comes after those the learner can
    # go on with alone: "Continue" offers something to do.
    in_progress = sorted(
        (row for row in progress if row.completed_at is None),
        key=lambda row: row.state == ModuleState.AWAITING_TRAINER,
    )
    done = [row for row in progress if row.completed_at is not None]
    paths = []
    # In the catalogue's order; a path no longer published has no card and is left out.
    for path in (path for path_id, path in cards.paths.items() if path_id in enrolled):
        rows = [
            (cards.modules[module_id], by_module.get(module_id))
            for module_id in path.modules
            if module_id in cards.modules
        ]
        statuses = [ModuleState.NEW if row is None else row.state for _module, row in rows]
        done_count = sum(row is not None and row.completed_at is not None for _m, row in rows)
        paths.append(
            {
                "path": path,
                "rows": rows,
                "cards": _cards_html(
                    card_items, ((m.pk, s) for (m, _row), s in zip(rows, statuses, strict=True))
                ),
                "done": done_count,
                "total": len(rows),
                "complete": done_count == len(rows),
            }
        )
    return {
        "current": in_progress[0] if in_progress else None,
        "in_progress": in_progress,
        "many_in_progress": len(in_progress) > 1,
        "done": done,
        "in_progress_cards": _cards_html(
            card_items, ((row.module_id, row.state) for row in in_progress)
        ),
        "done_cards": _cards_html(card_items, ((row.module_id, row.state) for row in done)),
        "paths": paths,
    }


def _my_path_own(user, context: dict) -> str:
    """The learner's own part of Mon parcours (learning/my_path_own.html).

    Its shape (the module to continue, the paths and which are complete, whether there are
    several modules under way and any done) is a frame (courses/framing.py), with stand-ins
    for the learner's name, numbers and cards filled in at each visit.
    """
    current, paths = context["current"], context["paths"]
    shape = (
        current.module_id if current else "-",
        current.state if current else "-",
        ",".join(f"{item['path'].pk}{'+' * item['complete']}" for item in paths),
        int(context["many_in_progress"]),
        int(bool(context["done"])),
    )

    def shape_render() -> str:
        return render_to_string(
            "learning/my_path_own.html",
            {
                **context,
                "user": {"public_name": stand_in("name")},
                "current": current
                and {
                    "card": current.card,
                    "state": current.state,
                    "steps_completed": stand_in("current_done"),
                    "steps_total": stand_in("current_total"),
                },
                "paths": [
                    {
                        **item,
                        "cards": stand_in(f"path{i}_cards"),
                        "done": stand_in(f"path{i}_done"),
                        "total": stand_in(f"path{i}_total"),
                    }
                    for i, item in enumerate(paths)
                ],
                "in_progress_cards": stand_in("in_progress_cards"),
                "done_cards": stand_in("done_cards"),
            },
        )

    shape_frame = frame(("my-path-own", *shape), shape_render)
    values = {
        "name": escape(user.public_name),
        "in_progress_cards": context["in_progress_cards"],
        "done_cards": context["done_cards"],
    }
    if current:
        values["current_done"] = str(current.steps_completed)
        values["current_total"] = str(current.steps_total)
    for i, item in enumerate(paths):
        values[f"path{i}_cards"] = item["cards"]
        values[f"path{i}_done"] = str(item["done"])
        values[f"path{i}_total"] = str(item["total"])
    return fill(shape_frame, values)


def _card_items() -> dict[tuple[int, str], str]:
    """Each module's card on Mon parcours with each progress sign, by (module id, status):
    the same for every learner, rendered once per language and content version."""

    def build():
        signs = _progress_signs()
        return {
            (card.pk, status): render_to_string(
                "learning/includes/module_card.html", {"card": card, "status": sign}
            )
            for card in catalogue_cards().modules.values()
            for status, sign in signs.items()
        }

    return shared_content(content_key("my-path-cards"), build)


def _cards_html(items: dict, wanted) -> str:
    """The cards `wanted` ((module id, status) pairs), one after the other."""
    html = []
    for key in wanted:
        card = items.get(key)
        if card is None:  # cached apart from the cards (courses/cards.py): rendered here
            card = render_to_string(
                "learning/includes/module_card.html",
                {"card": catalogue_cards().modules[key[0]], "status": _progress_signs()[key[1]]},
            )
        html.append(card)
    return mark_safe("\n    ".join(html))  # noqa: S308 (our template)


def _progress_signs() -> dict[str, str]:
    """The progress signs (components/progress_status.html), one per ModuleState, rendered
    once per language and content version: Mon parcours shows one per card."""

    def build():
        return {
            str(state): render_to_string("components/progress_status.html", {"status": state})
            for state in ModuleState
        }

    signs = shared_content(content_key("progress-signs"), build)
    return {status: mark_safe(html) for status, html in signs.items()}  # noqa: S308 (ours)


@role_required(Role.LEARNER)
def attestation(request, path_id: int):
    """A PDF attestation for a finished learning path."""
    paths = {path.pk: path for path in selectors.paths_for_learner(request.user)}
    path = paths.get(path_id)
    if path is None:
        raise Http404
    modules = [item.module for item in path.path_modules.all()]
    # By IRI: a module done in Dutch counts for the French path (translations share it).
    done = {
        row.module_iri: row
        for row in selectors.module_progress_for_learner(request.user)
        if row.completed_at
    }
    if not modules or any(module.iri not in done for module in modules):
        raise Http404
    association = selectors.learner_association(request.user, request.session)
    validations = selectors.trainer_validations(request.user, [m.iri for m in modules])
    pdf = attestation_pdf(
        learner=request.user,
        path=path,
        modules=[
            AttestedModule(module, done[module.iri].completed_at, validations.get(module.iri))
            for module in modules
        ],
        association=association,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="attestation-{path.slug}.pdf"'
    return response
