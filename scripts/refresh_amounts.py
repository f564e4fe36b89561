"""Refresh the rights catalogue's amounts from OpenFisca-France's parameters (#16).

Run with the OpenFisca venv of ``make simulation``, then review and commit the diff
of ``config/rights/``::

    .venv-openfisca/bin/python scripts/refresh_amounts.py
    .venv-openfisca/bin/python scripts/refresh_amounts.py --parameters DIR --version V

``maraude rights check`` then lists the amounts that no source here can date.
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from maraude.catalogue_refresh import refresh, report  # noqa: E402
from maraude.errors import MaraudeError  # noqa: E402


def _installed() -> tuple[Path | None, str]:
    """OpenFisca-France's parameters folder and version, when installed here."""
    try:
        import openfisca_france
    except ImportError:
        return None, ""
    folder = Path(openfisca_france.__file__).parent / "parameters"
    return folder, metadata.version("openfisca-france")


def main(argv: list[str] | None = None) -> int:
    """Parse the options, refresh the catalogue, print what changed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parameters", type=Path, help="OpenFisca parameters folder")
    parser.add_argument("--version", default="", help="OpenFisca-France version")
    args = parser.parse_args(argv)
    folder, version = _installed()
    folder = args.parameters or folder
    if folder is None:
        print(
            "OpenFisca-France is not installed here: run `make simulation` and use "
            ".venv-openfisca/bin/python, or pass --parameters and --version.",
            file=sys.stderr,
        )
        return 1
    try:
        rows = refresh(folder, args.version or version or "unknown")
    except MaraudeError as e:
        print(str(e), file=sys.stderr)
        return 1
    print("\n".join(report(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
