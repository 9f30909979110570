"""What the figures read of the catalogue: paths' modules and modules' DigComp areas, by IRI.

Used by the live figures (selectors.py) and the rollups (rollups.py) alike.
"""

from django.db.models import F

from courses.models import ModulePage, PathModule, activity_iri

DIGCOMP = "digcomp-2.2"


def path_module_rows() -> list[dict]:
    """Which modules each learning path lists, keyed by the modules' stable IRIs."""
    return [
        {"path_id": row["path_id"], "module_iri": activity_iri("modules", row["key"])}
        for row in PathModule.objects.values("path_id", key=F("module__translation_key"))
    ]


def module_area_rows() -> list[dict]:
    """Which DigComp area each module teaches, keyed by the module's stable IRI."""
    rows = (
        ModulePage.objects.filter(competences__framework__slug=DIGCOMP)
        .values("translation_key", "competences__area__code")
        .distinct()
    )
    return [
        {
            "module_iri": activity_iri("modules", row["translation_key"]),
            "area": row["competences__area__code"],
        }
        for row in rows
    ]
