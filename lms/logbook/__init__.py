"""Trainer screens: learners, groups, in-person sessions, attendance, validations."""
