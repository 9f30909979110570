"""What the learning records announce to the rest of the site."""

from django.dispatch import Signal

# Sent once per call of `services.statements_store` that stored anything, after the
# transaction holding the rows committed (sender: the Statement model), with:
#   learner_ids: set of the learners' ids;
#   association_ids: set of the statements' association ids (None for none);
#   days: set of the local dates the statements happened on;
#   module_iris: set of the modules' IRIs.
# The statements are the only input of these reads: lms/impact/signals.py retires the
# cached figures of the associations named (and so of every programme holding them).
statements_stored = Signal()
