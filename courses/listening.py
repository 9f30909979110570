"""The text a voice reads: a screen's words rewritten for listening, in French, Dutch or English.

Every voice (the device's own, the server's espeak-ng) gets this text, never the screen's raw
text: a voice spells "seul·e" letter by letter and reads "CPAS" as a word nobody knows.
`text_for_listening` is the one function that rewrites a text; `html_for_listening` first
takes the words out of a rendered screen, icons' labels included.
"""

import re
from html.parser import HTMLParser

# --- Inclusive forms ---------------------------------------------------------------------
# "seul·e", "apprenant·es", "apprenant·e·s", "formateur·rice·s", "seul.e", "inscrit(e)s",
# "nouveau·elle", "ceux·celles". Read as two words, the feminine first as in the examples
# trainers use ("seule ou seul"), joined by "ou" for one person and "et" for several.
_MIDDLE_DOTS = "·•⋅∙"  # the middle dot and the look-alikes keyboards produce
_INCLUSIVE_DOTTED = re.compile(rf"\b([^\W\d_]{{2,}})((?:[{_MIDDLE_DOTS}][^\W\d_]+)+)")
# A full stop is a separator only before a known ending: "p.ex." and "www.x.be" stay.
_FULL_STOP_ENDINGS = (
    "e|es|s|ne|nes|le|les|te|tes|se|ses|trice|trices|rice|rices|ice|ices|euse|euses|ve|ves|ère|ères"
)
_INCLUSIVE_FULL_STOP = re.compile(rf"\b([^\W\d_]{{2,}})((?:\.(?:{_FULL_STOP_ENDINGS}))+)(?![\w.])")
# "inscrit(e)s", "seul(e)", "medewerk(st)er", "student(e)", "deelnemer(s)".
_INCLUSIVE_BRACKETS = re.compile(r"\b([^\W\d_]{2,})\(([^\W\d_]{1,4})\)([^\W\d_]*)")

# (masculine ending, feminine suffix as written, feminine ending): the feminine replaces
# the masculine ending. Any other suffix is added to the stem ("seul·e", "citoyen·ne").
_FEMININE_ENDINGS = [
    ("teur", "trice", "trice"),
    ("teur", "rice", "trice"),
    ("teur", "ice", "trice"),
    ("eur", "euse", "euse"),
    ("eur", "se", "euse"),
    ("x", "se", "se"),
    ("f", "ve", "ve"),
    ("er", "ère", "ère"),
    ("eau", "elle", "elle"),
]
_CONNECTOR_ONE = {"fr": "ou", "nl": "of", "en": "or"}
_CONNECTOR_MANY = {"fr": "et", "nl": "en", "en": "and"}


def _feminine(stem: str, suffix: str) -> str:
    for masculine_end, written, feminine_end in _FEMININE_ENDINGS:
        if suffix == written and stem.endswith(masculine_end):
            return stem[: -len(masculine_end)] + feminine_end
    if len(suffix) >= 4 or suffix == "la":  # "ceux·celles", "il·elle", "le·la": a whole word
        return suffix
    return stem + suffix


def _plural(word: str) -> str:
    return word if word.endswith(("s", "x")) else word + "s"


def _both_forms(stem: str, parts: list[str], language: str) -> str:
    parts = [part.lower() if stem.islower() else part for part in parts if part]
    many = parts[-1].endswith("s")
    if parts[-1] == "s":
        parts = parts[:-1]
    suffix = parts[0] if parts else ""
    if many and suffix.endswith("s") and len(suffix) > 1:
        suffix = suffix[:-1]
    if not suffix:  # "ami·s": a plural mark only
        return _plural(stem)
    feminine, masculine = _feminine(stem, suffix), stem
    if stem[:1].isupper() and not stem.isupper():  # "Il·elle" at a sentence's start
        feminine, masculine = feminine[:1].upper() + feminine[1:], stem[:1].lower() + stem[1:]
    if many:
        feminine, masculine = _plural(feminine), _plural(masculine)
        return f"{feminine} {_CONNECTOR_MANY[language]} {masculine}"
    return f"{feminine} {_CONNECTOR_ONE[language]} {masculine}"


def _dotted(match: re.Match, language: str) -> str:
    parts = re.split(rf"[{_MIDDLE_DOTS}.]", match.group(2))[1:]
    return _both_forms(match.group(1), parts, language)


def _bracketed(match: re.Match, language: str) -> str:
    stem, inside, after = match.group(1), match.group(2), match.group(3)
    if inside.lower() in {"s", "en"} and not after:  # "deelnemer(s)": read the plural
        return stem + inside
    if language == "nl":
        # Dutch writes the feminine inside the word: "medewerk(st)er", "student(e)".
        feminine, masculine = stem + inside + after, stem + after
        return f"{feminine} {_CONNECTOR_ONE[language]} {masculine}"
    return _both_forms(stem, [inside, after] if after else [inside], language)


# Pairs written with a slash: "il/elle", "hij/zij". Only these: "km/h" and "et/ou" stay.
_PRONOUN_PAIRS = {
    "fr": ["il/elle", "elle/il", "ils/elles", "elles/ils", "le/la", "la/le", "un/une", "une/un"],
    "nl": ["hij/zij", "zij/hij", "hij/ze", "ze/hij", "hem/haar", "haar/hem", "zijn/haar"],
    "en": ["he/she", "she/he", "him/her", "her/him", "his/her"],
}

# --- Abbreviations -------------------------------------------------------------------------
# Written as a voice should say them. The words learners meet at the counter keep their
# usual name next to the long form where people say the short one ("OCMW").
_ABBREVIATIONS = {
    "fr": {
        "carte eID": "carte d'identité électronique",
        "Carte eID": "Carte d'identité électronique",
        "eID": "carte d'identité électronique",
        "CPAS": "C.P.A.S., le centre public d'action sociale",
        "OCMW": "O.C.M.W., le centre public d'action sociale",
        "itsme": "its mi",
        "SPF": "service public fédéral",
        "ONEM": "Onem",
        "RGPD": "règlement sur la protection des données",
        "Wi-Fi": "wifi",
        "p. ex.": "par exemple",
        "etc.": "et cetera",
        "n°": "numéro",
    },
    "nl": {
        "eID-kaart": "elektronische identiteitskaart",
        "eID": "elektronische identiteitskaart",
        "OCMW": "O.C.M.W., het openbaar centrum voor maatschappelijk welzijn",
        "CPAS": "C.P.A.S., het openbaar centrum voor maatschappelijk welzijn",
        "itsme": "its mie",
        "FOD": "federale overheidsdienst",
        "VDAB": "V.D.A.B.",
        "GDPR": "regels over de bescherming van gegevens",
        "Wi-Fi": "wifi",
        "bv.": "bijvoorbeeld",
        "bijv.": "bijvoorbeeld",
        "enz.": "enzovoort",
        "nr.": "nummer",
    },
    "en": {
        "eID": "electronic identity card",
        "CPAS": "C.P.A.S., the public social welfare centre",
        "OCMW": "O.C.M.W., the public social welfare centre",
        "itsme": "its me",
        "e.g.": "for example",
        "etc.": "et cetera",
        "no.": "number",
    },
}


def _abbreviation_pattern(language: str) -> re.Pattern:
    words = sorted(_ABBREVIATIONS[language], key=len, reverse=True)
    # Whole words only, case as written ("eID", not "eid" inside a word); a trailing full
    # stop belongs to the abbreviation ("etc.").
    alternatives = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<![\w.])({alternatives})(?![\w])")


_PATTERNS = {language: _abbreviation_pattern(language) for language in _ABBREVIATIONS}


def _primary_language(language: str) -> str:
    primary = (language or "").lower().replace("_", "-").split("-")[0]
    return primary if primary in _ABBREVIATIONS else "fr"


def text_for_listening(text: str, language: str) -> str:
    """`text` rewritten for a voice in `language` (fr, nl or en, regional forms accepted).

    Inclusive forms become two words, abbreviations their spoken form, and white space one
    space; punctuation stays, so the voice still pauses where the screen has a full stop.
    """
    language = _primary_language(language)
    text = _INCLUSIVE_DOTTED.sub(lambda match: _dotted(match, language), text)
    text = _INCLUSIVE_FULL_STOP.sub(lambda match: _dotted(match, language), text)
    text = _INCLUSIVE_BRACKETS.sub(lambda match: _bracketed(match, language), text)
    for pair in _PRONOUN_PAIRS[language]:
        first, second = pair.split("/")
        text = re.sub(
            rf"\b({first})/({second})\b",
            rf"\1 {_CONNECTOR_ONE[language]} \2",
            text,
            flags=re.IGNORECASE,
        )
    abbreviations = _ABBREVIATIONS[language]
    text = _PATTERNS[language].sub(lambda match: abbreviations[match.group(1)], text)
    return " ".join(text.split())


# --- A rendered screen's words -------------------------------------------------------------
_BLOCKS = {
    "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "header", "footer", "form", "fieldset", "legend", "label", "button", "a", "br", "tr",
    "td", "th", "dt", "dd", "figure", "figcaption", "blockquote", "main", "nav", "summary",
    "details", "option",
}  # fmt: skip
_SKIPPED = {"script", "style", "template", "noscript", "audio", "video", "iframe", "select"}
_VOID = {"br", "img", "input", "hr", "meta", "link", "source", "track", "wbr", "area", "col"}


class _ScreenWords(HTMLParser):
    """Collects what a sighted learner reads: visible text, images' alt, icons' labels."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.skipping: list[str] = []  # the open elements whose content is not read

    def _starts_skipping(self, tag: str, attributes: dict) -> bool:
        return (
            tag in _SKIPPED
            or "hidden" in attributes
            or attributes.get("aria-hidden") == "true"
            or "data-listen-skip" in attributes
        )

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.skipping:
            if tag not in _VOID:
                self.skipping.append(tag)
            return
        if self._starts_skipping(tag, attributes):
            if tag not in _VOID:
                self.skipping.append(tag)
            return
        if tag in _BLOCKS:
            self.pieces.append("\n")
        # An icon or a picture says what its label says; an element labelled for screen
        # readers ("Étape 2 sur 5" on progress dots) is read by its label.
        label = attributes.get("aria-label") or (attributes.get("alt") if tag == "img" else "")
        if label:
            self.pieces.append(f" {label} ")
            if tag not in _VOID and tag != "button" and tag != "a":
                self.skipping.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.skipping and self.skipping[-1] == tag and tag not in _VOID:
            self.skipping.pop()

    def handle_endtag(self, tag):
        if self.skipping:
            if self.skipping[-1] == tag:
                self.skipping.pop()
            return
        if tag in _BLOCKS:
            self.pieces.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.pieces.append(data)


def _sentences(text: str) -> str:
    """Lines joined into sentences: a heading or a button without a full stop still makes
    the voice pause before the next line."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    return " ".join(line if line[-1] in ".!?:;…" else line + "." for line in lines)


def html_for_listening(html: str, language: str) -> str:
    """The words of a rendered screen or part of one, written for listening."""
    parser = _ScreenWords()
    parser.feed(html)
    parser.close()
    return text_for_listening(_sentences("".join(parser.pieces)), language)


REGION_START, REGION_END = "<!--listen-->", "<!--/listen-->"


def region_html(page_html: str) -> str | None:
    """The part a Listen button reads on a rendered page whose words are fetched on tap
    (templates/components/listen.html marks it with two comments); None when it has none."""
    start = page_html.find(REGION_START)
    end = page_html.find(REGION_END, start)
    if start < 0 or end < 0:
        return None
    return page_html[start + len(REGION_START) : end]
