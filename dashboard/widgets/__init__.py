"""Widgets and wording shared by the dashboard pages.

``dashboard/pages`` holds only pages; everything they share lives here.
"""
