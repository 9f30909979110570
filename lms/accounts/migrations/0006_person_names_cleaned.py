"""Names stored before the rule get the form names now have (lms.accounts.names): NFC, no
bidirectional controls or zero-width characters, single spaces. Then "A\u200bmina" stored
earlier is the same Amina for the homonym check and the import, as new names are."""

import re
import unicodedata

from django.db import migrations

# As lms.accounts.names, copied so that this migration does not change with the code.
INVISIBLE = re.compile("[\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _clean(text: str) -> str:
    text = INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return " ".join(CONTROL.sub(" ", text).split())


def clean_names(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    LearnerProfile = apps.get_model("accounts", "LearnerProfile")
    for user in User.objects.only("pk", "display_name", "first_name").iterator():
        display_name, first_name = _clean(user.display_name), _clean(user.first_name)
        # A name made only of hidden characters keeps what it was rather than becoming empty.
        if (display_name and display_name != user.display_name) or (
            first_name and first_name != user.first_name
        ):
            user.display_name = display_name or user.display_name
            user.first_name = first_name or user.first_name
            user.save(update_fields=["display_name", "first_name"])
    for profile in LearnerProfile.objects.exclude(family_name="").only("pk", "family_name"):
        family_name = _clean(profile.family_name)
        if family_name != profile.family_name:
            profile.family_name = family_name
            profile.save(update_fields=["family_name"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_background_job")]

    operations = [migrations.RunPython(clean_names, migrations.RunPython.noop)]
