"""Pas à pas: the Django project and the apps of the people who use it."""
