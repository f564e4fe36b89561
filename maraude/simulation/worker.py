"""OpenFisca-France worker: one JSON request per line on stdin, one answer out.

Run by the Python of the OpenFisca virtual environment (``make simulation``),
never imported by Maraude: it uses only the standard library and OpenFisca,
whose pins (openfisca-core < 45, numpy < 2.4) must not constrain ours.

Request::

    {"id": 1, "situation": {"adults": 1, "children": 0,
     "salary_gross_monthly": 0, "rent_monthly": 500, "zone": "75",
     "month": "2025-06"}}

Answer (monthly amounts in euros, rounded to the cent)::

    {"id": 1, "rsa": 568.94, "prime_activite": 0.0, "aides_logement": 343.0,
     "period": "2025-06", "zone": "1"}

or ``{"id": 1, "error": "..."}``; the worker then reads the next line. The
tax-benefit system is built once, at start; a ``{"ready": true}`` line is
written when it is.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections import Counter
from importlib import resources
from typing import Any

MAX_ADULTS = 2
MAX_CHILDREN = 12
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Months of salary given: the housing aid reads a rolling year ending two months
# before the period (M-13 to M-2); RSA and prime d'activité the last quarter.
SALARY_MONTHS = 14
# Postcodes of the cities split into arrondissements → the city's INSEE code.
CITY_POSTCODES = {
    **{f"750{n:02d}": "75056" for n in range(1, 21)},
    "75116": "75056",
    **{f"6900{n}": "69123" for n in range(1, 10)},
    **{f"130{n:02d}": "13055" for n in range(1, 17)},
}


def _months_before(month: str, count: int) -> list[str]:
    """``month`` and the ``count - 1`` months before it, oldest first."""
    year, mon = (int(x) for x in month.split("-"))
    index = year * 12 + mon - 1
    return [
        f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)
    ]


def _load_zones() -> dict[str, int]:
    """INSEE code → APL zone (1, 2, 3), from the table OpenFisca ships."""
    path = resources.files("openfisca_france").joinpath(
        "assets/apl/20110914_zonage.csv"
    )
    with path.open("rb") as f:
        rows = csv.DictReader(io.TextIOWrapper(f, encoding="utf-8"))
        return {row["CODGEO"]: int(row["Zonage"][0]) for row in rows}


class Zoner:
    """Turns a zone, an INSEE code, a postcode or a département into a zone."""

    def __init__(self) -> None:
        self.by_commune = _load_zones()
        by_dep: dict[str, Counter[int]] = {}
        for code, zone in self.by_commune.items():
            by_dep.setdefault(self._departement(code), Counter())[zone] += 1
        # A département alone: the zone of most of its communes.
        self.by_departement = {d: c.most_common(1)[0][0] for d, c in by_dep.items()}

    @staticmethod
    def _departement(code: str) -> str:
        return code[:3] if code.startswith("97") else code[:2]

    def zone(self, where: str) -> tuple[str, str | None]:
        """``(zone, depcom)``: the depcom when a commune was recognised."""
        where = where.strip().upper()
        if where in {"1", "2", "3"}:
            return where, None
        if re.fullmatch(r"\d{5}|2[AB]\d{3}", where):
            code = CITY_POSTCODES.get(where, where)
            if code in self.by_commune:
                return str(self.by_commune[code]), code
            where = self._departement(where)
        if where.isdigit() and len(where) == 1:
            where = "0" + where
        if where in self.by_departement:
            return str(self.by_departement[where]), None
        raise ValueError(
            f"zone inconnue : {where!r} (attendu 1, 2, 3, un code postal ou un "
            "numéro de département)"
        )


def _number(situation: dict[str, Any], key: str, default: float = 0.0) -> float:
    value = situation.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{key} doit être un nombre positif ou nul")
    return float(value)


def _validate(situation: Any) -> tuple[int, int, float, float, str, str]:
    if not isinstance(situation, dict):
        raise ValueError("situation doit être un objet JSON")
    adults = situation.get("adults", 1)
    children = situation.get("children", 0)
    if adults not in range(1, MAX_ADULTS + 1) or isinstance(adults, bool):
        raise ValueError("adults doit valoir 1 ou 2")
    if children not in range(MAX_CHILDREN + 1) or isinstance(children, bool):
        raise ValueError(f"children doit être un entier entre 0 et {MAX_CHILDREN}")
    salary = _number(situation, "salary_gross_monthly")
    rent = _number(situation, "rent_monthly")
    month = situation.get("month")
    if not isinstance(month, str) or not MONTH.match(month):
        raise ValueError("month doit être au format AAAA-MM")
    where = situation.get("zone", "2")
    if not isinstance(where, str | int) or isinstance(where, bool):
        raise ValueError("zone doit être 1, 2, 3, un code postal ou un département")
    return adults, children, salary, rent, month, str(where)


def build_situation(
    situation: dict[str, Any], zoner: Zoner
) -> tuple[dict[str, Any], str, str]:
    """OpenFisca's situation dict (one household), the month and the zone."""
    adults, children, salary, rent, month, where = _validate(situation)
    zone, depcom = zoner.zone(where)
    months = _months_before(month, SALARY_MONTHS)
    year = int(month[:4])
    parents = [f"adulte{i + 1}" for i in range(adults)]
    kids = [f"enfant{i + 1}" for i in range(children)]
    individus: dict[str, Any] = {
        name: {
            "date_naissance": {"ETERNITY": f"{year - 40}-01-01"},
            # Gross salary: with a net salary the housing aid ignores income.
            "salaire_de_base": {m: salary if i == 0 else 0.0 for m in months},
        }
        for i, name in enumerate(parents)
    }
    for i, name in enumerate(kids):
        individus[name] = {"date_naissance": {"ETERNITY": f"{year - 4 - i}-01-01"}}
    menage: dict[str, Any] = {
        "personne_de_reference": parents[:1],
        "conjoint": parents[1:],
        "enfants": kids,
        "loyer": {month: rent},
        "statut_occupation_logement": {month: "locataire_vide"},
        "zone_apl": {month: f"zone_{zone}"},
    }
    if depcom:
        menage["depcom"] = {month: depcom}
    return (
        {
            "individus": individus,
            "familles": {"famille": {"parents": parents, "enfants": kids}},
            "foyers_fiscaux": {
                "foyer": {"declarants": parents, "personnes_a_charge": kids}
            },
            "menages": {"menage": menage},
        },
        month,
        zone,
    )


class Calculator:
    """The tax-benefit system, built once, and the household calculation."""

    def __init__(self) -> None:
        from openfisca_core.simulation_builder import SimulationBuilder
        from openfisca_france import FranceTaxBenefitSystem

        self.system = FranceTaxBenefitSystem()
        self.builder_class = SimulationBuilder
        self.zoner = Zoner()

    def estimate(self, situation: Any) -> dict[str, Any]:
        """RSA, prime d'activité and housing aid of one household, for one month.

        ``situation`` is the request's raw JSON value: it is validated here
        (``ValueError`` with a French message when it is not usable).
        """
        data, month, zone = build_situation(situation, self.zoner)
        simulation = self.builder_class().build_from_entities(self.system, data)

        def amount(variable: str) -> float:
            return round(float(simulation.calculate(variable, month)[0]), 2)

        return {
            "rsa": amount("rsa"),
            "prime_activite": amount("ppa"),
            "aides_logement": amount("aide_logement"),
            "period": month,
            "zone": zone,
        }


def answer(calculator: Calculator, line: str) -> dict[str, Any]:
    """The answer to one request line; never raises."""
    request_id: Any = None
    try:
        request = json.loads(line)
        if not isinstance(request, dict):
            raise ValueError("la requête doit être un objet JSON")
        request_id = request.get("id")
        return {"id": request_id, **calculator.estimate(request.get("situation"))}
    except Exception as e:  # one bad request must not stop the worker
        return {"id": request_id, "error": f"{type(e).__name__}: {e}"}


#: Computed once at start: OpenFisca loads formulas lazily, so the first
#: household is slow; pay that before saying ready.
WARM_UP = {
    "adults": 1,
    "children": 0,
    "salary_gross_monthly": 0,
    "rent_monthly": 500,
    "zone": "1",
    "month": "2025-06",
}


def main() -> int:
    """Answer JSON request lines from stdin on stdout, after a first "ready" line."""
    calculator = Calculator()
    calculator.estimate(WARM_UP)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(answer(calculator, line)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
