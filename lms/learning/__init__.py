"""Learner screens and learning records: statements, progress, attestations."""
