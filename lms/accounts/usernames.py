"""One way to read a username, for signing in, for the sign-in limits and for new accounts.

"Formateur", " formateur " and the same word in full-width letters
(which some phone keyboards type) name the same person: NFKC folds compatibility characters, then case and the spaces
around it are dropped. A limit keyed on anything else could be dodged by writing the same
name differently.
"""

import unicodedata


def username_normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().casefold()
