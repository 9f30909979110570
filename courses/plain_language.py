"""Plain-language checks for editors: long sentences, long steps and hard words (warnings,
never errors), in French and in Dutch."""

import re
from dataclasses import dataclass

from django.utils.text import Truncator
from django.utils.translation import gettext as _

MAX_SENTENCE_WORDS = 15
MAX_STEP_WORDS = 60

SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
WORD = re.compile(r"[\w’'-]+", re.UNICODE)

# Words learners often do not know, with a plainer one, by language (the first part of a
# locale code: "nl-be" -> "nl"). Dutch from the "klare taal" habits of Flemish trainers.
HARD_WORDS = {
    "fr": {
        "authentification": "connexion",
        "identifiant": "nom d'utilisateur",
        "réinitialiser": "changer",
        "télécharger": "enregistrer sur le téléphone",
        "paramétrer": "régler",
    },
    "nl": {
        "authenticatie": "aanmelden",
        "authenticeren": "aanmelden",
        "verifiëren": "nakijken",
        "indienen": "versturen",
        "raadplegen": "bekijken",
        "betreffende": "over",
        "teneinde": "om",
        "alsook": "en",
        "wachtwoordbeheerder": "een app voor je wachtwoorden",
        "gebruikersnaam": "je naam om aan te melden",
        "applicatie": "app",
        "mobiele telefoon": "gsm",
        "smartphone": "gsm",
        "elektronische identiteitskaart": "eID-kaart",
    },
}

# Which texts of each step kind the learner reads.
READ_FIELDS = {
    "explanation": ["title", "text"],
    "video": ["title", "text"],
    "quiz": ["question"],
    "practice_form": ["title", "intro"],
    "practice_inbox": ["title", "intro"],
    "practice_itsme": ["title", "intro", "request", "explanation"],
    "practice_eid": ["title", "intro"],
    "practice_login": ["title", "intro", "explanation"],
    "checkpoint": ["text"],
}


@dataclass(frozen=True)
class PlainLanguageWarning:
    step_number: int
    message: str


def words(text: str) -> list[str]:
    return WORD.findall(text or "")


def sentences(text: str) -> list[str]:
    return [part.strip() for part in SENTENCE_END.split(text or "") if part.strip()]


def step_texts(block_type: str, value) -> list[str]:
    texts = [value.get(name) or "" for name in READ_FIELDS.get(block_type, [])]
    if block_type == "quiz":
        for answer in value["answers"]:
            texts += [answer["text"], answer["feedback"]]
    return texts


def hard_words(text: str, language: str) -> list[tuple[str, str]]:
    """The hard words (or phrases) of `text` in `language`, each with a plainer one."""
    lowered = f" {' '.join(words(text)).lower()} "
    table = HARD_WORDS.get(language.split("-")[0].lower(), {})
    return [(word, plain) for word, plain in table.items() if f" {word} " in lowered]


def plain_language_warnings(steps, language: str = "fr") -> list[PlainLanguageWarning]:
    """Warnings for each step whose sentences, length or words make it hard to read."""
    found = []
    for number, step in enumerate(steps, start=1):
        texts = step_texts(step.block_type, step.value)
        for word, plain in hard_words(" ".join(texts), language):
            found.append(
                PlainLanguageWarning(
                    number,
                    _("Step %(number)s: “%(word)s” is a hard word; try “%(plain)s”.")
                    % {"number": number, "word": word, "plain": plain},
                )
            )
        for sentence in (s for text in texts for s in sentences(text)):
            count = len(words(sentence))
            if count > MAX_SENTENCE_WORDS:
                found.append(
                    PlainLanguageWarning(
                        number,
                        _(
                            "Step %(number)s: a sentence has %(count)s words (aim for 12 at most): “%(start)s”"
                        )
                        % {
                            "number": number,
                            "count": count,
                            "start": Truncator(sentence).words(8),
                        },
                    )
                )
        total = sum(len(words(text)) for text in texts)
        if total > MAX_STEP_WORDS:
            found.append(
                PlainLanguageWarning(
                    number,
                    _(
                        "Step %(number)s has %(count)s words (aim for 60 at most): split it in two steps."
                    )
                    % {"number": number, "count": total},
                )
            )
    return found
