"""The step block that shows an H5P activity to the learner."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from courses.step_kinds import StepNav


class H5PBlock(blocks.StructBlock):
    title = blocks.CharBlock(
        label=_("Title"),
        max_length=80,
        required=False,
        help_text=_("Leave empty to use the activity's own title."),
    )
    package = SnippetChooserBlock("courses.H5PPackage", label=_("H5P activity"))

    class Meta:
        icon = "pick"
        label = _("H5P activity")
        template = "blocks/h5p.html"
        # The activity reports by itself when it is done: "Next" only moves on.
        step_nav = StepNav.LINK
