"""When a statement finishes a step: the completion rules every progress writer applies.

Kept apart from the writers (lms/learning/services.py, the demo builder) so that each of
them calls the same rule: a step's summary row changes status only through `step_status_after`.
"""

from enum import StrEnum

from .models import ProgressStatus, Verb

# The step kind of "Montrez à votre formateur" (courses/blocks.py CheckpointBlock), as
# statements name it in `object_kind`; trainers' validations use it too.
CHECKPOINT_KIND = "checkpoint"


def step_status_after(
    *, current: str, verb: str, object_kind: str, success, completion, is_self_reported: bool
) -> str:
    """The status of a step's summary once this statement is applied to it.

    - A trainer's validation finishes any step.
    - A checkpoint is finished only by a trainer's validation: the learner's own "Next"
      on it says they reached it, and the step waits for the trainer (AWAITING_TRAINER),
      so the module is not done until a trainer saw it. The learner can move on.
    - Any other step is finished by "completed", or by an answer that succeeded; an H5P
      activity is finished when it reports its end, whatever the score.
    A finished step stays finished, and a step waiting for the trainer keeps waiting.
    """
    if current == ProgressStatus.COMPLETED or verb == Verb.VALIDATED:
        return ProgressStatus.COMPLETED
    if object_kind == CHECKPOINT_KIND:
        if verb in (Verb.COMPLETED, Verb.ANSWERED):
            return ProgressStatus.AWAITING_TRAINER
        return current
    if verb == Verb.ANSWERED:
        finished = completion and (success is None or is_self_reported)
        return ProgressStatus.COMPLETED if success or finished else current
    if verb == Verb.COMPLETED:
        return ProgressStatus.COMPLETED
    return current


class ModuleState(StrEnum):
    """Where a learner is in a module, as Mon parcours and the trainer's matrix say it."""

    NEW = "new"
    STARTED = "started"
    # Every other step done; a "show your trainer" step waits for a trainer's validation.
    AWAITING_TRAINER = "awaiting_trainer"
    # Done, and no trainer validated any of its steps: done alone, online.
    DONE_ONLINE = "completed"
    # Done, and a trainer validated at least one of its steps in person.
    VALIDATED = "validated"


def module_state_of(
    *,
    completed_at,
    steps_completed: int,
    steps_total: int,
    steps_awaiting_trainer: int,
    validated: bool,
) -> ModuleState:
    """The state of a learner's module from its summary row and its steps' counts."""
    if completed_at is not None:
        return ModuleState.VALIDATED if validated else ModuleState.DONE_ONLINE
    if steps_awaiting_trainer and steps_completed + steps_awaiting_trainer >= steps_total:
        return ModuleState.AWAITING_TRAINER
    return ModuleState.STARTED
