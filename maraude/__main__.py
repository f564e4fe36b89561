"""``python -m maraude`` runs the CLI."""

from maraude.cli import cli

cli(prog_name="maraude")
