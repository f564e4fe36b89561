"""Refresh the catalogue's amounts from OpenFisca-France's parameters (#16).

Only the amounts listed in :data:`FORMULAS` have a source here: each is a sum of
products of OpenFisca parameters (YAML files under ``parameters/``), rounded.
For each, :func:`refresh` writes into ``config/rights/<id>.toml``

- ``value``: the formula at the latest date at or before ``today``;
- ``effective``: the latest date on which one of its parameters changed;
- ``checked``: the earliest ``last_value_still_valid_on`` of its parameters (the
  date OpenFisca's maintainers last confirmed them), left out when one has none;
- ``source``: the OpenFisca-France version and the parameter files.

Any other amount (AAH, ASPA, chèque énergie…) cannot be dated by any source in
this repository: ``maraude rights check`` says so (:func:`undatable`).

Run by a maintainer with the OpenFisca venv of ``make simulation``::

    .venv-openfisca/bin/python scripts/refresh_amounts.py
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from maraude.catalogue_common import CATALOGUE_DIR
from maraude.errors import ConfigError

if TYPE_CHECKING:  # rights imports this module (how_to_date): no circle
    from maraude.rights import Right

logger = logging.getLogger(__name__)

_MS = "prestations_sociales/solidarite_insertion/minima_sociaux/"
_RSA = _MS + "rsa/rsa_m/montant_de_base_du_rsa.yaml"
_COUPLE = _MS + "rsa/rsa_maj/maj_montant_max/couples_celibataire_avec_enfant.yaml"
_ISOLE = _MS + "rsa/rsa_maj/majoration_isolement_en_base_rsa/"
_PLAFOND = _MS + "cs/cmu/plafond_base.yaml"
_ACS = _MS + "cs/acs/majoration_plafond_acs.yaml"


@dataclass(frozen=True)
class Formula:
    """``round(sum(prod(term) for term in terms), digits)`` over parameter files."""

    terms: tuple[tuple[str, ...], ...]
    digits: int = 2

    @property
    def files(self) -> list[str]:
        """The parameter files the formula reads, each once, in order."""
        return list(dict.fromkeys(p for term in self.terms for p in term))


#: (right id, amount label) → how OpenFisca's parameters give it.
FORMULAS: dict[tuple[str, str], Formula] = {
    (
        "rsa",
        "Montant forfaitaire, personne seule sans enfant "
        "(avant déduction du forfait logement)",
    ): Formula(((_RSA,),)),
    (
        "rsa",
        "Montant forfaitaire, couple sans enfant ou personne seule avec un enfant "
        "(avant forfait logement)",
    ): Formula(((_RSA,), (_RSA, _COUPLE))),
    (
        "rsa",
        "RSA majoré, parent isolé avec un enfant (avant forfait logement)",
    ): Formula(
        (
            (_RSA, _ISOLE + "femmes_enceintes.yaml"),
            (_RSA, _ISOLE + "par_enfant_a_charge.yaml"),
        )
    ),
    (
        "prime_activite",
        "Montant forfaitaire servant au calcul, personne seule "
        "(ce n'est pas le montant versé)",
    ): Formula(((_MS + "ppa/pa_m/montant_de_base.yaml",),)),
    (
        "css",
        "Plafond annuel de ressources pour la C2S gratuite, personne seule (métropole)",
    ): Formula(((_PLAFOND,),), 0),
    (
        "css",
        "Plafond annuel de ressources pour la C2S avec participation, "
        "personne seule (métropole)",
    ): Formula(
        (
            (_PLAFOND,),
            (_PLAFOND, _ACS),
        ),
        0,
    ),
    **{
        ("css", f"Participation mensuelle, {label}"): Formula(
            ((_MS + f"cs/css/montant/france/{name}.yaml",),), 0
        )
        for label, name in (
            ("moins de 30 ans", "cmu_moins_30_ans"),
            ("30 à 49 ans", "cmu_30_49_ans"),
            ("50 à 59 ans", "cmu_50_59_ans"),
            ("60 à 69 ans", "cmu_60_69_ans"),
            ("70 ans et plus", "cmu_plus_69_ans"),
        )
    },
}


def undatable(catalogue: Mapping[str, Right]) -> list[tuple[str, str]]:
    """(right id, label) of every amount that no source here can date."""
    return [
        (right.id, amount.label)
        for right in catalogue.values()
        for amount in right.amounts
        if (right.id, amount.label) not in FORMULAS
    ]


def how_to_date(right_id: str, label: object) -> str:
    """What ``maraude rights check`` says to do about a stale amount."""
    if (right_id, label) in FORMULAS:
        return (
            "the OpenFisca-France parameters here do not confirm it since: update "
            "OpenFisca-France (make simulation) and run scripts/refresh_amounts.py, "
            "or check it by hand"
        )
    return (
        "no source here can date it (not in OpenFisca-France's parameters): check "
        "the current figure at its source and update value, effective and source"
    )


@dataclass(frozen=True)
class Refreshed:
    """One amount rewritten in a right's TOML file, for the command's report."""

    right: str
    label: str
    value: float
    effective: date
    checked: date | None
    source: str


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _load(parameters: Path, name: str) -> dict[str, Any]:
    import yaml  # in the OpenFisca venv and the main one (a dependency of others)

    path = parameters / name
    if not path.is_file():
        raise ConfigError(
            f"{path} is missing: point --parameters at OpenFisca-France's "
            "parameters folder (the venv of `make simulation` has it)."
        )
    with path.open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


def _value_at(data: dict[str, Any], today: date) -> tuple[float, date]:
    dated = sorted(
        (_as_date(k), v) for k, v in data["values"].items() if _as_date(k) <= today
    )
    if not dated:
        raise ConfigError("a parameter has no value before today")
    when, entry = dated[-1]
    value = entry.get("value") if isinstance(entry, dict) else entry
    if value is None:
        raise ConfigError(f"the parameter ended on {when}: update FORMULAS")
    return float(value), when


def compute(
    formula: Formula, parameters: Path, today: date
) -> tuple[float, date, date | None]:
    """(value, effective, checked) of one formula at ``today``."""
    cache = {name: _load(parameters, name) for name in formula.files}
    total, effective = 0.0, date.min
    for term in formula.terms:
        product = 1.0
        for name in term:
            value, when = _value_at(cache[name], today)
            product *= value
            effective = max(effective, when)
        total += product
    confirmed = [
        (data.get("metadata") or {}).get("last_value_still_valid_on")
        for data in cache.values()
    ]
    checked = (
        min(_as_date(c) for c in confirmed) if all(confirmed) and confirmed else None
    )
    return round(total, formula.digits), effective, checked


def refresh(
    parameters: Path,
    version: str,
    folder: Path = CATALOGUE_DIR,
    today: date | None = None,
) -> list[Refreshed]:
    """Rewrite the amounts of :data:`FORMULAS` in the catalogue's TOML files
    (only their ``value``/``effective``/``checked``/``source`` lines)."""
    today = today or date.today()
    done: list[Refreshed] = []
    for (rid, label), formula in FORMULAS.items():
        value, effective, checked = compute(formula, parameters, today)
        files = ", ".join(
            f.removeprefix(_MS).removesuffix(".yaml") for f in formula.files
        )
        source = f"OpenFisca-France {version}, {files}"
        row = Refreshed(rid, label, value, effective, checked, source)
        _rewrite(Path(folder) / f"{rid}.toml", row)
        done.append(row)
        logger.info("refreshed %s: %s", rid, label)
    return done


def _rewrite(path: Path, row: Refreshed) -> None:
    """Write ``row``'s figure into the ``[[amounts]]`` block of its label."""
    text = path.read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^(?=\[\[)", text)
    quoted = f'label = "{row.label}"'
    for i, block in enumerate(blocks):
        if block.startswith("[[amounts]]") and quoted in block:
            blocks[i] = _amount_block(block, row)
            break
    else:
        raise ConfigError(f"{path}: no [[amounts]] labelled {row.label!r}")
    path.write_text("".join(blocks), encoding="utf-8")


def _amount_block(block: str, row: Refreshed) -> str:
    value, effective, checked = row.value, row.effective, row.checked
    number = f"{value:.0f}" if value == int(value) else f"{value:.2f}"
    lines = [
        line
        for line in block.splitlines()
        if not re.match(r"(value|effective|checked|source) =", line)
    ]
    at = lines.index(next(x for x in lines if x.startswith("label =")))
    new = [f"value = {number}"]
    lines[at + 1 : at + 1] = new
    unit = next(i for i, x in enumerate(lines) if x.startswith("unit ="))
    extra = [f"effective = {effective.isoformat()}"]
    if checked:
        extra.append(f"checked = {checked.isoformat()}")
    extra.append(f'source = "{row.source}"')
    lines[unit + 1 : unit + 1] = extra
    trail = block[len(block.rstrip("\n")) :]
    return "\n".join(lines).rstrip("\n") + trail


def report(rows: Iterable[Refreshed]) -> list[str]:
    """One line per refreshed amount, for the script's output."""
    return [
        f"{r.right}: {r.label}: {r.value} (effective {r.effective}, "
        f"checked {r.checked or 'unknown'})"
        for r in rows
    ]
