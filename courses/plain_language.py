"""Plain-language checks for editors: long sentences and long steps (warnings, never errors)."""

import re
from dataclasses import dataclass

from django.utils.text import Truncator
from django.utils.translation import gettext as _

MAX_SENTENCE_WORDS = 15
MAX_STEP_WORDS = 60

SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
WORD = re.compile(r"[\w’'-]+", re.UNICODE)

# Which texts of each step kind the learner reads.
READ_FIELDS = {
    "explanation": ["title", "text"],
    "video": ["title", "text"],
    "quiz": ["question"],
    "practice_form": ["title", "intro"],
    "practice_inbox": ["title", "intro"],
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


def plain_language_warnings(steps) -> list[PlainLanguageWarning]:
    """Warnings for each step whose sentences or length make it hard to read."""
    found = []
    for number, step in enumerate(steps, start=1):
        texts = step_texts(step.block_type, step.value)
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
