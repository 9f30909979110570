"""What a screen needs to know of each kind of step, declared once, by its block.

Each step block (courses/blocks.py, courses/h5p/blocks.py) names in its `Meta` its one
template (`template`, in templates/blocks/: the learner's player, the module page and the
editors' preview all render the step with it) and how its screen moves on (`step_nav`).
`STEP_KINDS` (courses/blocks.py) collects them by block type, so that templates ask a
kind what to show instead of testing block type names.
"""

from dataclasses import dataclass
from enum import StrEnum


class StepNav(StrEnum):
    """What the button under a step does (templates/learning/steps/step.html)."""

    # Graded on the server: "Check", then "Next" once the answer is right.
    CHECK = "check"
    # "Next" posts the step: it is recorded as seen (or as waiting for the trainer).
    SUBMIT = "submit"
    # The activity reports by itself when it is done (H5P): "Next" is a plain link.
    LINK = "link"


@dataclass(frozen=True)
class StepKind:
    """One kind of step: its block type, its template and what its button does."""

    name: str
    template: str
    nav: StepNav

    @property
    def graded(self) -> bool:
        """Answered and graded: the learner's answer is checked before they move on."""
        return self.nav == StepNav.CHECK
