"""How each kind of step is checked on the server: quizzes and the pretend practice steps."""

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
        # The choices say what the learner answered; the items whether each was right, which
        # the page without JavaScript shows message by message.
        response={"choices": choices[: len(results)], "items": results},
        items=results,
    )


# --- Pretend sign-in steps: itsme, the eID card reader, the login page ------------------
# The code the learner types (itsme code, PIN) is pretend: only whether it has the right
# shape is graded and kept, never the digits, in case someone types their real code.
ITSME_CODE_DIGITS = 5
EID_PIN_DIGITS = 4


def _pretend_code_ok(code: str, digits: int) -> bool:
    # ASCII digits only: "²" or "٣" are digits to isdigit() but not on a phone's keypad.
    code = (code or "").strip()
    return len(code) == digits and code.isascii() and code.isdigit()


def practice_itsme_check(value, decision: str, code: str) -> Outcome:
    """Confirm a request the learner started with a 5-digit code; refuse one they did not.

    Items: [the decision, the code]. The code item is True when no code was needed
    (refusing); for a trap only the decision counts.
    """
    decision = decision if decision in ("confirm", "refuse") else ""
    code_ok = _pretend_code_ok(code, ITSME_CODE_DIGITS)
    if value["started_by_learner"]:
        decision_right = decision == "confirm" if decision else None
        code_right = code_ok if decision == "confirm" else True
        right = int(decision_right is True) + int(decision_right is True and code_right)
        score_max = 2.0
    else:
        decision_right = decision == "refuse" if decision else None
        code_right = True
        right = int(decision_right is True)
        score_max = 1.0
    return Outcome(
        success=decision_right is True and code_right,
        score_raw=float(right),
        score_max=score_max,
        response={"decision": decision, "items": [decision_right, code_right]},
        items=[decision_right, code_right],
    )


def practice_eid_check(value, method: str, card_inserted: bool, pin: str) -> Outcome:
    """Choose the identity card on the login page, insert the card, type a 4-digit PIN."""
    items = [
        method == "eid" if method else None,
        bool(card_inserted),
        _pretend_code_ok(pin, EID_PIN_DIGITS),
    ]
    right = sum(1 for item in items if item is True)
    return Outcome(
        success=right == len(items),
        score_raw=float(right),
        score_max=float(len(items)),
        response={"method": method if method in ("itsme", "eid", "app") else "", "items": items},
        items=items,
    )


def practice_login_check(value, method: str) -> Outcome:
    """Pick, on the login page, the way of logging in that fits the learner's situation."""
    right = method == value["right_method"] if method else None
    return Outcome(
        success=right is True,
        score_raw=1.0 if right else 0.0,
        score_max=1.0,
        response={"method": method if method in ("itsme", "eid", "app") else "", "items": [right]},
        items=[right],
    )
