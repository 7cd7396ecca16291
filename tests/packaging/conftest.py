"""Packaging tests: builds from a clean clone installed into fresh virtualenvs."""
from tests.packaging.lab_venv import lab_venv_fixture  # noqa: F401 (a fixture)
