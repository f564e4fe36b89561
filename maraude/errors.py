"""Errors raised by Maraude, written for the person who has to fix the problem.

Every message says what went wrong and what to do next. The CLI turns any
:class:`MaraudeError` into a clean one-line message and a non-zero exit code;
library code never prints or exits.
"""


class MaraudeError(Exception):
    """Base class of every error Maraude raises on purpose."""


class ConfigError(MaraudeError):
    """A configuration file is missing, unreadable, or holds a wrong key or type."""


class SchemaError(MaraudeError):
    """The database cannot be opened or migrated."""


class DatabaseBusyError(MaraudeError):
    """The database stayed locked by another process for longer than the timeout."""


class ModelNotFoundError(MaraudeError):
    """A model directory is missing, incomplete, or was saved by another version."""


class SecretMissingError(MaraudeError):
    """``MARAUDE_SECRET`` is needed (to pseudonymise authors) and is not set."""


class InputError(MaraudeError):
    """Input data (a file, a line, a source definition) cannot be used."""


class ClaimError(MaraudeError):
    """A lead could not be claimed or changed (taken by someone else, wrong status)."""


class PermissionDenied(MaraudeError):
    """The signed-in user's role does not allow this action."""


class PurgeIncompleteError(MaraudeError):
    """Purged rows are deleted, but their bytes may still be in the database files."""


class DatabaseDamagedError(SchemaError):
    """SQLite reports the database file as damaged or not a database."""


class ScrapydError(MaraudeError):
    """A scrapyd server cannot be reached or refused a request (deploy, job)."""
