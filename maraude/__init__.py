"""Maraude: digital outreach against non-recours."""

__version__ = "0.1.0"
