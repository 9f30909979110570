"""Step blocks: each block is one screen of a module for the learner.

Each names its template and what its button does in its `Meta` (see courses/step_kinds.py).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from .h5p.blocks import H5PBlock
from .step_kinds import StepKind, StepNav

AUDIO_EXTENSIONS = {"mp3", "ogg", "m4a"}
VIDEO_EXTENSIONS = {"mp4", "webm"}
CAPTION_EXTENSIONS = {"vtt"}


def _extension(document) -> str:
    return document.file_extension.lower() if document else ""


class ExplanationBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=80)
    text = blocks.TextBlock(
        label=_("Text"),
        help_text=_("Short sentences: about 12 words each, 60 words at most per step."),
    )
    image = ImageChooserBlock(label=_("Picture"), required=False)
    audio = DocumentChooserBlock(
        label=_("Recorded audio"),
        required=False,
        help_text=_("MP3, OGG or M4A. Without it, the browser reads the text aloud."),
    )

    def clean(self, value):
        value = super().clean(value)
        if value.get("audio") and _extension(value["audio"]) not in AUDIO_EXTENSIONS:
            raise StructBlockValidationError(
                {"audio": ValidationError(_("Choose an audio file (MP3, OGG or M4A)."))}
            )
        return value

    class Meta:
        icon = "doc-full"
        label = _("Explanation")
        template = "blocks/explanation.html"
        step_nav = StepNav.SUBMIT


class VideoBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=80)
    video = DocumentChooserBlock(label=_("Video file"), help_text=_("MP4 or WebM."))
    captions = DocumentChooserBlock(
        label=_("Captions"), help_text=_("A WebVTT (.vtt) file. Every video needs captions.")
    )
    text = blocks.TextBlock(label=_("Short text under the video"), required=False)

    def clean(self, value):
        value = super().clean(value)
        errors = {}
        if value.get("video") and _extension(value["video"]) not in VIDEO_EXTENSIONS:
            errors["video"] = ValidationError(_("Choose a video file (MP4 or WebM)."))
        if value.get("captions") and _extension(value["captions"]) not in CAPTION_EXTENSIONS:
            errors["captions"] = ValidationError(_("Captions must be a WebVTT (.vtt) file."))
        if errors:
            raise StructBlockValidationError(errors)
        return value

    class Meta:
        icon = "media"
        label = _("Video")
        template = "blocks/video.html"
        step_nav = StepNav.SUBMIT


class AnswerBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Answer"), max_length=120)
    image = ImageChooserBlock(label=_("Picture"), required=False)
    is_correct = blocks.BooleanBlock(label=_("This is the right answer"), required=False)
    feedback = blocks.CharBlock(
        label=_("Feedback"),
        max_length=200,
        help_text=_("Shown after this answer. Be kind: no blame."),
    )


class QuizBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=160)
    image = ImageChooserBlock(label=_("Picture"), required=False)
    answers = blocks.ListBlock(AnswerBlock(), min_num=2, max_num=4, label=_("Answers"))

    def clean(self, value):
        value = super().clean(value)
        correct = sum(1 for answer in value["answers"] if answer["is_correct"])
        if correct != 1:
            raise StructBlockValidationError(
                block_errors={
                    "answers": ValidationError(
                        _("Mark exactly one answer as the right one (now: %(count)s).")
                        % {"count": correct}
                    )
                }
            )
        return value

    class Meta:
        icon = "help"
        label = _("Quiz")
        template = "blocks/quiz.html"
        step_nav = StepNav.CHECK


class FieldKind(blocks.ChoiceBlock):
    choices = [
        ("text", _("Text")),
        ("email", _("E-mail address")),
        ("date", _("Date")),
        ("number", _("Number")),
        ("choice", _("Choice in a list")),
    ]


class PracticeFieldBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("Label"), max_length=80)
    help = blocks.CharBlock(label=_("Help"), max_length=160, required=False)
    kind = blocks.ChoiceBlock(choices=FieldKind.choices, default="text", label=_("Kind"))
    required = blocks.BooleanBlock(label=_("Required"), required=False, default=True)
    expected = blocks.CharBlock(
        label=_("Expected answer"),
        required=False,
        help_text=_("Leave empty to accept any answer."),
    )
    choices = blocks.CharBlock(
        label=_("Choices"),
        required=False,
        help_text=_("For a choice in a list: the choices, separated by |"),
    )

    def clean(self, value):
        value = super().clean(value)
        options = [c.strip() for c in (value.get("choices") or "").split("|") if c.strip()]
        if value["kind"] == "choice" and len(options) < 2:
            raise StructBlockValidationError(
                {"choices": ValidationError(_("Give at least two choices, separated by |."))}
            )
        if value["kind"] == "choice" and value["expected"] and value["expected"] not in options:
            raise StructBlockValidationError(
                {"expected": ValidationError(_("The expected answer must be one of the choices."))}
            )
        return value


class PracticeFormBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=80)
    intro = blocks.TextBlock(label=_("Instructions"), required=False)
    fields = blocks.ListBlock(PracticeFieldBlock(), min_num=1, label=_("Form fields"))

    class Meta:
        icon = "form"
        label = _("Practice: pretend form")
        template = "blocks/practice_form.html"
        step_nav = StepNav.CHECK


class PretendMessageBlock(blocks.StructBlock):
    sender = blocks.CharBlock(label=_("Sender"), max_length=120)
    subject = blocks.CharBlock(label=_("Subject"), max_length=120)
    body = blocks.TextBlock(label=_("Message"))
    is_scam = blocks.BooleanBlock(label=_("This message is a scam"), required=False)
    explanation = blocks.CharBlock(
        label=_("Explanation"), max_length=240, help_text=_("Why it is, or is not, a scam.")
    )


class PracticeInboxBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=80)
    intro = blocks.TextBlock(label=_("Instructions"), required=False)
    messages = blocks.ListBlock(PretendMessageBlock(), min_num=2, label=_("Messages"))

    def clean(self, value):
        value = super().clean(value)
        scams = [message["is_scam"] for message in value["messages"]]
        if all(scams) or not any(scams):
            raise StructBlockValidationError(
                block_errors={
                    "messages": ValidationError(
                        _("Put at least one scam and one genuine message in the inbox.")
                    )
                }
            )
        return value

    class Meta:
        icon = "mail"
        label = _("Practice: pretend inbox")
        template = "blocks/practice_inbox.html"
        step_nav = StepNav.CHECK


# The three ways of proving who you are that Belgian public services offer on their login
# page (CSAM): the learner meets them in the pretend login and eID card reader steps.
LOGIN_METHODS = [
    ("itsme", _("itsme")),
    ("eid", _("Identity card (eID) and card reader")),
    ("app", _("Security codes by app")),
]


class PracticeItsmeBlock(blocks.StructBlock):
    """A pretend itsme confirmation: confirm with a pretend code, or refuse a trap."""

    title = blocks.CharBlock(label=_("Title"), max_length=80)
    intro = blocks.TextBlock(
        label=_("Situation"),
        required=False,
        help_text=_(
            "What the learner is doing when the request arrives (or not doing, for a trap)."
        ),
    )
    service = blocks.CharBlock(
        label=_("Service that asks"), max_length=60, help_text=_("For example: MyMinfin.")
    )
    request = blocks.CharBlock(
        label=_("Request shown on the phone"),
        max_length=120,
        help_text=_("For example: Log in to MyMinfin."),
    )
    started_by_learner = blocks.BooleanBlock(
        label=_("The learner started this request"),
        required=False,
        default=True,
        help_text=_("Untick for a trap: a request the learner did not start, to refuse."),
    )
    explanation = blocks.CharBlock(
        label=_("Explanation"),
        max_length=240,
        help_text=_("Shown after the check: why to confirm, or why to refuse."),
    )

    class Meta:
        icon = "mobile-alt"
        label = _("Practice: pretend itsme confirmation")
        template = "blocks/practice_itsme.html"
        step_nav = StepNav.CHECK


class PracticeEidBlock(blocks.StructBlock):
    """A pretend eID card reader: choose the card on the login page, insert it, type a PIN."""

    title = blocks.CharBlock(label=_("Title"), max_length=80)
    intro = blocks.TextBlock(label=_("Instructions"), required=False)
    service = blocks.CharBlock(
        label=_("Service to log in to"), max_length=60, help_text=_("For example: MyPension.")
    )

    class Meta:
        icon = "password"
        label = _("Practice: pretend eID card reader")
        template = "blocks/practice_eid.html"
        step_nav = StepNav.CHECK


class PracticeLoginBlock(blocks.StructBlock):
    """A pretend public-service login page: pick the right way to prove who you are."""

    title = blocks.CharBlock(label=_("Title"), max_length=80)
    intro = blocks.TextBlock(
        label=_("Situation"),
        help_text=_("What the learner has with them, so that one way is the right one."),
    )
    service = blocks.CharBlock(
        label=_("Service to log in to"), max_length=60, help_text=_("For example: MyPension.")
    )
    right_method = blocks.ChoiceBlock(
        choices=LOGIN_METHODS, default="itsme", label=_("The right way to log in")
    )
    explanation = blocks.CharBlock(
        label=_("Explanation"),
        max_length=240,
        help_text=_("Shown after the check: why this way is the right one."),
    )

    class Meta:
        icon = "key"
        label = _("Practice: pretend login page")
        template = "blocks/practice_login.html"
        step_nav = StepNav.CHECK


class CheckpointBlock(blocks.StructBlock):
    text = blocks.CharBlock(
        label=_("What the learner shows"),
        max_length=200,
        help_text=_("Start with: “Montrez à votre formateur que vous savez…”"),
    )
    trainer_label = blocks.CharBlock(
        label=_("Short label for the trainer"),
        max_length=80,
        help_text=_(
            "What the trainer checks, in a few words, on the session screen: "
            "“Sends a photo by e-mail”."
        ),
    )

    class Meta:
        icon = "user"
        label = _("Trainer checkpoint")
        template = "blocks/checkpoint.html"
        step_nav = StepNav.SUBMIT


class StepBlock(blocks.StreamBlock):
    explanation = ExplanationBlock()
    video = VideoBlock()
    quiz = QuizBlock()
    practice_form = PracticeFormBlock()
    practice_inbox = PracticeInboxBlock()
    practice_itsme = PracticeItsmeBlock()
    practice_eid = PracticeEidBlock()
    practice_login = PracticeLoginBlock()
    h5p = H5PBlock()
    checkpoint = CheckpointBlock()

    class Meta:
        min_num = 1


# Each kind of step by block type, read from its block's Meta (courses/step_kinds.py).
STEP_KINDS = {
    name: StepKind(name, block.meta.template, block.meta.step_nav)
    for name, block in StepBlock().child_blocks.items()
}
