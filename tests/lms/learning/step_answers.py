"""What a learner's page sends for a step of a module, answered right or wrong.

Shared by the statement endpoint's tests and its benchmark (tests/benchmarks/
bench_statements.py): plain dicts of form fields, graded on the server.
"""


def step_answers(step, *, right: bool = True) -> dict:
    """The form fields of `step` (a StreamField block), done right or wrong."""
    if step.block_type == "quiz":
        answers = list(step.value["answers"])
        return {"answer": str(next(i for i, a in enumerate(answers) if a["is_correct"] == right))}
    if step.block_type == "practice_inbox":
        return {
            f"message-{i}": "scam" if bool(m["is_scam"]) == right else "genuine"
            for i, m in enumerate(step.value["messages"])
        }
    if step.block_type == "practice_form":
        return {
            f"field-{i}": (spec["expected"] or "Dupont") if right else "« l'autre »"
            for i, spec in enumerate(step.value["fields"])
        }
    if step.block_type == "practice_itsme":
        started = bool(step.value["started_by_learner"])
        if started and right:
            return {"decision": "confirm", "code": "12345"}
        if right:
            return {"decision": "refuse"}
        return {"decision": "confirm", "code": "12345" if not started else "12"}
    if step.block_type == "practice_eid":
        if right:
            return {"method": "eid", "card": "inserted", "code": "1234"}
        return {"method": "itsme", "code": ""}
    if step.block_type == "practice_login":
        methods = ["itsme", "eid", "app"]
        methods.remove(step.value["right_method"])
        return {"method": step.value["right_method"] if right else methods[0]}
    if step.block_type == "h5p":
        return {
            "h5p_verb": "answered",
            "h5p_raw": "3" if right else "1",
            "h5p_min": "0",
            "h5p_max": "4",
            "h5p_scaled": "0.75" if right else "0.25",
            "h5p_success": "true" if right else "false",
        }
    return {}
