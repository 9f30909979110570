"""Checkpoint steps wait for a trainer: rows the old rule marked done without one are reopened.

Until now a learner's own "Next" on a "Montrez à votre formateur" step finished it. Such
rows become "awaiting_trainer" and their modules lose that step from their count (and
their completion, if it was the step that completed them), as `rebuild_progress` with the
new rule (lms/learning/progress.py) would give. Validated steps are untouched.
"""

from collections import Counter

from django.db import migrations, models


def checkpoints_wait_for_trainer(apps, schema_editor):
    ActivityProgress = apps.get_model("learning", "ActivityProgress")
    ModuleProgress = apps.get_model("learning", "ModuleProgress")
    Statement = apps.get_model("learning", "Statement")
    checkpoints = Statement.objects.filter(object_kind="checkpoint").values("object_iri")
    waiting = ActivityProgress.objects.filter(
        status="completed", is_validated_by_trainer=False, activity_iri__in=checkpoints
    )
    reopened = Counter(waiting.values_list("learner_id", "module_iri").iterator())
    waiting.update(status="awaiting_trainer", completed_at=None)
    changed = []
    for (learner_id, module_iri), count in reopened.items():
        row = ModuleProgress.objects.filter(learner_id=learner_id, module_iri=module_iri).first()
        if row is None:
            continue
        row.steps_completed = max(0, row.steps_completed - count)
        if row.steps_completed < row.steps_total:
            row.completed_at = None
        changed.append(row)
    ModuleProgress.objects.bulk_update(changed, ["steps_completed", "completed_at"], 1000)


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0004_statement_fewer_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="activityprogress",
            name="status",
            field=models.CharField(
                choices=[
                    ("started", "Started"),
                    ("awaiting_trainer", "Waiting for the trainer"),
                    ("completed", "Done"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(checkpoints_wait_for_trainer, migrations.RunPython.noop),
    ]
