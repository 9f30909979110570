"""Step blocks refuse what a learner could not use, with a message the editor understands."""

import pytest
from django.core.exceptions import ValidationError

from courses.blocks import PracticeFieldBlock, PracticeInboxBlock, QuizBlock


def quiz(*correct: bool):
    block = QuizBlock()
    return block, block.to_python(
        {
            "question": "Quel dessin veut dire « pièce jointe » ?",
            "answers": [
                {"text": f"Réponse {i}", "is_correct": flag, "feedback": "Merci."}
                for i, flag in enumerate(correct)
            ],
        }
    )


def test_a_quiz_with_exactly_one_right_answer_is_accepted():
    block, value = quiz(True, False, False)
    assert block.clean(value)["question"]


@pytest.mark.parametrize("answers", [(False, False), (True, True, False)])
def test_a_quiz_needs_exactly_one_right_answer(answers):
    block, value = quiz(*answers)
    with pytest.raises(ValidationError) as refused:
        block.clean(value)
    assert "exactement une bonne réponse" in str(refused.value.block_errors["answers"])


def test_a_quiz_needs_two_to_four_answers():
    block, value = quiz(True)
    with pytest.raises(ValidationError):
        block.clean(value)
    block, value = quiz(True, False, False, False, False)
    with pytest.raises(ValidationError):
        block.clean(value)


def test_an_inbox_needs_a_scam_and_a_genuine_message():
    block = PracticeInboxBlock()
    message = {"sender": "a", "subject": "b", "body": "c", "explanation": "d"}
    value = block.to_python(
        {"title": "Triez", "messages": [{**message, "is_scam": True}, {**message, "is_scam": True}]}
    )
    with pytest.raises(ValidationError) as refused:
        block.clean(value)
    assert "au moins une arnaque et un vrai message" in str(refused.value.block_errors["messages"])


def test_a_choice_field_needs_two_choices_and_an_expected_answer_among_them():
    block = PracticeFieldBlock()
    value = block.to_python({"label": "Commune", "kind": "choice", "choices": "Liège"})
    with pytest.raises(ValidationError):
        block.clean(value)
    value = block.to_python(
        {"label": "Commune", "kind": "choice", "choices": "Liège|Namur", "expected": "Mons"}
    )
    with pytest.raises(ValidationError):
        block.clean(value)


def test_the_editor_offers_the_pretend_sign_in_steps():
    from courses.blocks import StepBlock

    labels = {name: str(block.label) for name, block in StepBlock().child_blocks.items()}
    assert labels["practice_itsme"] == "Exercice\u202f: confirmation itsme d'entraînement"
    assert labels["practice_eid"] == "Exercice\u202f: lecteur de carte eID d'entraînement"
    assert labels["practice_login"] == "Exercice\u202f: page de connexion d'entraînement"


def test_a_new_pretend_itsme_request_is_one_the_learner_started():
    from courses.blocks import PracticeItsmeBlock

    # A trap is a choice the editor makes (unticking the box), never the default.
    assert PracticeItsmeBlock().get_default()["started_by_learner"] is True


def test_a_pretend_login_page_needs_one_of_the_three_ways_to_log_in():
    from courses.blocks import PracticeLoginBlock

    block = PracticeLoginBlock()
    base = {"title": "Clé", "intro": "Pas de smartphone.", "service": "MyPension"}
    value = block.to_python({**base, "right_method": "eid", "explanation": "La carte."})
    assert block.clean(value)["right_method"] == "eid"
    with pytest.raises(ValidationError):
        block.clean(block.to_python({**base, "right_method": "sms", "explanation": "Non."}))
