"""An association's name inside a sentence: "de l'Espace public numérique…", "au Fil"."""

from django.utils.translation import get_language, pgettext

# First words of French association names that are common nouns, and so take an article:
# "l'aide de l'Espace public numérique", "du Centre culturel", "de la Maison de quartier".
# A name starting with any other word is a proper name and takes none ("de Lire et Écrire").
_MASCULINE = {"centre", "cpas", "service", "collectif", "club", "foyer", "réseau", "comité",
              "groupe", "point", "pôle", "lieu", "cyber", "bureau", "conseil", "home"}  # fmt: skip
_FEMININE = {"maison", "bibliothèque", "médiathèque", "ligue", "régie", "commune", "ville",
             "fédération", "plateforme", "coopérative", "cellule", "mission", "table"}  # fmt: skip
_ELIDED = {"espace", "association", "asbl", "epn", "atelier", "école", "antenne", "office",
           "institut", "accueil", "agence", "alliance", "université", "hôpital"}  # fmt: skip
# Not "h": "le home", "la halte" (the "h" of names that elide is in _ELIDED).
_VOWELS = set("aeiouyàâäéèêëîïôöùûüœæ")
# French contractions of the prepositions "de" and "à" with the articles.
_CONTRACTED = {
    ("de", "le"): "du ",
    ("de", "les"): "des ",
    ("de", "la"): "de la ",
    ("à", "le"): "au ",
    ("à", "les"): "aux ",
    ("à", "la"): "à la ",
}


def association_after(preposition: str, name: str) -> str:
    """`name` after the translated `preposition`, as the current language writes it.

    French needs the article of a common noun, the elision before a vowel and the
    contractions "du", "au", "des", "aux" ("Avec l'aide de l'Espace public numérique Les
    Tilleuls", "appartient maintenant au Fil"); other languages put the two side by side.
    """
    name = name.strip()
    if not (get_language() or "").startswith("fr") or preposition not in ("de", "à"):
        return f"{preposition} {name}"
    first, _space, rest = name.partition(" ")
    word = first.lower()
    if word in ("le", "les") and rest:
        return _CONTRACTED[(preposition, word)] + rest  # "Le Fil": "au Fil", "du Fil"
    if word.startswith(("l'", "l’")):
        return f"{preposition} {name}"
    article = word.rstrip(".,;:")
    if article in _ELIDED or (article in _MASCULINE | _FEMININE and word[:1] in _VOWELS):
        return f"{preposition} l'{name}"
    if article in _MASCULINE:
        return _CONTRACTED[(preposition, "le")] + name
    if article in _FEMININE:
        return _CONTRACTED[(preposition, "la")] + name
    if preposition == "de" and word[:1] in _VOWELS:
        return f"d'{name}"
    return f"{preposition} {name}"


def with_the_help_of(name: str) -> str:
    """ "de l'Espace public numérique Les Tilleuls", "of …": after "With the help"."""
    return association_after(pgettext("before an association's name", "of"), name)


def belonging_to(name: str) -> str:
    """ "à l'Espace public numérique Les Tilleuls", "to …": after "belongs"."""
    return association_after(pgettext("before an association's name", "to"), name)
