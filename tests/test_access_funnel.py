"""Views reach objects only through the access funnel: no `.objects.` or `get_object_or_404`.

Every view module (lms/**/*views*.py, courses/**/*views*.py, cms/**/*views*.py) is read
with `ast`; a model manager (`Model.objects`) or `get_object_or_404`/`get_list_or_404`
there is a lookup that bypasses the rules of lms/accounts/access.py and its per-app parts
(or, for what no rule protects, the app's selectors). `make lint` runs it too.
"""

import ast
from collections import Counter
from pathlib import Path

from django.conf import settings

VIEW_GLOBS = ("lms/**/*views*.py", "courses/**/*views*.py", "cms/**/*views*.py")
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}


def view_modules() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return sorted({path for pattern in VIEW_GLOBS for path in base.glob(pattern)})


def direct_lookups(source: str) -> Counter:
    """Each `<expr>.objects` and each call of a shortcut, as written, counted."""
    found = Counter()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            found[ast.unparse(node)] += 1
        elif isinstance(node, ast.Name) and node.id in SHORTCUTS:
            found[node.id] += 1
        elif isinstance(node, ast.Attribute) and node.attr in SHORTCUTS:
            found[node.attr] += 1
        elif isinstance(node, ast.alias) and node.name in SHORTCUTS:
            found[node.name] += 1
    return found


def test_the_check_sees_managers_and_shortcuts():
    source = (
        "from django.shortcuts import get_object_or_404\n"
        "def view(request, pk):\n"
        "    a = Card.objects.filter(pk=pk).first()\n"
        "    return get_object_or_404(Card, pk=pk), models.Group.objects.get(pk=pk)\n"
    )
    assert direct_lookups(source) == Counter(
        {"get_object_or_404": 2, "Card.objects": 1, "models.Group.objects": 1}
    )


def test_the_walk_finds_the_view_modules():
    names = {path.name for path in view_modules()}
    assert {"views.py", "views_api.py", "transfer_views.py", "voice_views.py"} <= names


def test_no_view_module_fetches_objects_around_the_access_funnel():
    base = Path(settings.BASE_DIR)
    found = {
        (path.relative_to(base).as_posix(), expression): count
        for path in view_modules()
        for expression, count in direct_lookups(path.read_text()).items()
    }
    assert not found, (
        f"Fetch these through lms/accounts/access.py (or the app's access.py/selectors.py): {found}"
    )
