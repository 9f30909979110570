"""Signals other apps listen to, for writes that Django's model signals do not announce."""

from django.dispatch import Signal

# Sent when a duplicate record is merged into the one kept: the duplicate's statements now
# carry the kept person's pseudonym. Arguments: keep, duplicate (User instances).
learners_merged = Signal()
