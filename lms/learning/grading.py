"""How each kind of step is checked on the server: quizzes, pretend forms, pretend inboxes."""

import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt at a step, ready to be recorded and shown."""

    success: bool
    score_raw: float | None = None
    score_max: float | None = None
    response: object = None
    # Per item (answer, field or message): True when right, False when not, None when empty.
    items: list = field(default_factory=list)

    @property
    def score_scaled(self) -> float | None:
        if self.score_raw is None or not self.score_max:
            return None
        return round(self.score_raw / self.score_max, 4)


def _same(typed: str, expected: str) -> bool:
    """Lenient comparison: case, accents and extra spaces do not matter."""

    def fold(text: str) -> str:
        text = unicodedata.normalize("NFKD", text or "")
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        return " ".join(text.casefold().split())

    return fold(typed) == fold(expected)


def quiz_grade(value, answer: int | None) -> Outcome:
    answers = list(value["answers"])
    if answer is None or not 0 <= answer < len(answers):
        raise ValueError("Choose one of the answers.")
    right = bool(answers[answer]["is_correct"])
    return Outcome(
        success=right,
        score_raw=1.0 if right else 0.0,
        score_max=1.0,
        response={"answer": answer},
        items=[index == answer for index in range(len(answers))],
    )


def practice_form_check(value, typed: list[str]) -> Outcome:
    """Each field is right when it is filled as required and matches the expected answer.

    Only whether each field was right is kept: what the learner typed is never stored,
    in case they typed real personal data into the pretend form.
    """
    results = []
    for index, spec in enumerate(value["fields"]):
        text = (typed[index] if index < len(typed) else "").strip()
        if not text:
            results.append(None if spec["required"] else True)
        elif spec["expected"]:
            results.append(_same(text, spec["expected"]))
        else:
            results.append(True)
    right = sum(1 for result in results if result is True)
    return Outcome(
        success=right == len(results),
        score_raw=float(right),
        score_max=float(len(results)),
        response={"fields": results},
        items=results,
    )


def practice_inbox_check(value, choices: list[str]) -> Outcome:
    """The learner sorts each message as 'scam' or 'genuine'."""
    results = []
    for index, message in enumerate(value["messages"]):
        choice = choices[index] if index < len(choices) else ""
        if choice not in ("scam", "genuine"):
            results.append(None)
        else:
            results.append((choice == "scam") == bool(message["is_scam"]))
    right = sum(1 for result in results if result is True)
    return Outcome(
        success=right == len(results),
        score_raw=float(right),
        score_max=float(len(results)),
        response={"choices": choices[: len(results)]},
        items=results,
    )
