"""Editors manage H5P activities (docs/product.md): Wagtail's Editors group gets the rights.

Without them, an editor opening "H5P activities" was sent back to the admin home.
"""

from django.db import migrations

CODENAMES = {
    "add_h5ppackage": "Can add H5P activity",
    "change_h5ppackage": "Can change H5P activity",
    "delete_h5ppackage": "Can delete H5P activity",
    "view_h5ppackage": "Can view H5P activity",
}


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _created = ContentType.objects.get_or_create(
        app_label="courses", model="h5ppackage"
    )
    permissions = [
        Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in CODENAMES.items()
    ]
    for group in Group.objects.filter(name="Editors"):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = Permission.objects.filter(
        content_type__app_label="courses", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name="Editors"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0005_h5p_library_digests_and_exact_versions"),
        ("contenttypes", "0002_remove_content_type_name"),
        # Wagtail's initial data creates the Editors group.
        ("wagtailcore", "0002_initial_data"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
