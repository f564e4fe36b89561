"""Wording and formatting for the pages (no Streamlit here, so tests call it directly).

The crisis and minor protocols, French labels, ages, excerpts, amounts, and the
first reply draft is rendered by :mod:`maraude.templates`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from maraude.db.followup import STATUS_NAMES
from maraude.inert import md_escape
from maraude.rights import Amount, Right

LABELS = {"crisis": "crise", "distress": "détresse", "rights": "droits"}
STATUSES = STATUS_NAMES  # one French naming, shared with the core's messages

CRISIS_REVIEW = (
    "**Crise possible, à vérifier en premier.** Le modèle n'est pas sûr : "
    "lisez le message en entier ; s'il évoque le suicide, l'automutilation ou un "
    "danger immédiat, suivez le protocole ci-dessous et transmettez."
)
CRISIS_PROTOCOL = """\
**Message de crise : lisez ceci avant tout.**

- **Danger immédiat** (passage à l'acte annoncé, moyen, lieu ou moment cités) :
  appelez le **15** (SAMU) ou le **112** avec ce que vous savez (plateforme, lien du
  message, ce qui est écrit, lieu cité) et signalez le message avec l'outil de la
  plateforme pour les personnes en danger (suicide, automutilation).
- **3114** : prévention du suicide, gratuit, 24 h/24 et 7 j/7, pour la personne,
  ses proches, et vous.
- **15** SAMU · **112** urgences · **17** police · **114** urgence par SMS
  (pour qui ne peut pas parler).
- **119** : enfance en danger · **3919** : violences faites aux femmes ·
  **115** : hébergement d'urgence.
- Ne restez pas seul·e avec ce message : prévenez un·e responsable (« Transmettre »).
"""

#: The protocol lines a crisis box ends with: the numbers its protocols did not
#: give, in case the post says more than the model read (#16).
OTHER_NUMBERS = {
    "17": "**17** police",
    "15": "**15** SAMU",
    "112": "**112** urgences",
    "114": "**114** urgence par SMS",
    "119": "**119** enfance en danger",
    "3919": "**3919** violences faites aux femmes",
    "115": "**115** hébergement d'urgence",
    "3114": "**3114** prévention du suicide",
}


def crisis_protocol(boxes: list[str], given: set[str]) -> str:
    """The crisis box for this post's situation (#16): its protocols' lines
    (``boxes``), the other numbers in one line, and "transmettez"."""
    others = " · ".join(v for k, v in OTHER_NUMBERS.items() if k not in given)
    lines = ["**Message de crise : lisez ceci avant tout.**", "", *boxes]
    if others:
        lines += ["", f"Si le message dit autre chose : {others}."]
    lines += [
        "",
        "Ne restez pas seul·e avec ce message : prévenez un·e responsable "
        "(« Transmettre »).",
    ]
    return "\n".join(lines)


#: How a worker is introduced in a reply draft (Promeneurs du Net: name, role,
#: organisation).
REPLY_ROLE = "intervenant·e en ligne"
ORGANISATION_MISSING_ADMIN = (
    "Le nom de la structure n'est pas configuré : les brouillons de réponse disent "
    "« Votre structure ». Renseignez `[organisation] name` (et `url`) dans le "
    "fichier de configuration (`--config` ou `MARAUDE_CONFIG`), puis relancez le "
    "tableau de bord."
)
ORGANISATION_MISSING_WORKER = (
    "Le nom de votre structure n'est pas configuré : remplacez « Votre structure » "
    "dans le brouillon et signalez-le à un·e administrateur·rice."
)

MINOR_PROTOCOL = """\
**La personne semble mineure.** **119** (enfance en danger, gratuit, 24 h/24) et
**Fil Santé Jeunes 0 800 235 236** (gratuit, anonyme). N'ouvrez pas de conversation
privée : répondez publiquement et laissez la personne venir vers vous.
"""


def age(iso: str | None, now: datetime | None = None) -> str:
    """``"il y a 3 h"`` for an ISO-8601 UTC time; ``"date inconnue"`` if missing."""
    if not iso:
        return "date inconnue"
    then = datetime.fromisoformat(iso)
    then = then if then.tzinfo else then.replace(tzinfo=UTC)
    minutes = max(0, int(((now or datetime.now(UTC)) - then).total_seconds() // 60))
    if minutes < 60:
        return f"il y a {minutes} min"
    if minutes < 48 * 60:
        return f"il y a {minutes // 60} h"
    return f"il y a {minutes // 1440} j"


def lead_topics(lead: dict[str, Any], catalogue: dict[str, Right]) -> list[str]:
    """A lead's labels and rights in French, as two comma-separated lines."""
    return [
        ", ".join(LABELS.get(x, x) for x in lead["labels"]),
        ", ".join(
            catalogue[r].short_name if r in catalogue else r
            for r in lead["rights_topics"]
        ),
    ]


def excerpt(lead: dict[str, Any], length: int = 220) -> str:
    """Title and text on one line, cut at ``length`` characters."""
    text = " ".join(
        " ".join(t for t in (lead.get("title"), lead.get("text")) if t).split()
    )
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def is_web_url(url: str | None) -> bool:
    return bool(url) and urlparse(url).scheme in ("http", "https")


def number(value: float) -> str:
    """French number: ``1 115,80``, ``651,69``, ``1 000``."""
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return text.replace(",", "\u202f").replace(".", ",")


def latest_amounts(right: Right) -> list[Amount]:
    """The most recent amount of each label, in catalogue order."""
    latest: dict[str, Amount] = {}
    for amount in right.amounts:
        if (
            amount.label not in latest
            or amount.effective > latest[amount.label].effective
        ):
            latest[amount.label] = amount
    return list(latest.values())


def right_link(right: Right) -> str | None:
    links = right.links or right.simulators
    return links[0].url if links else None


def explanation_lines(explanation: Any, prefix: str = "") -> list[str]:
    """The classifier's explanation as plain lines (``key: a, b``)."""
    if isinstance(explanation, dict):
        lines: list[str] = []
        for key, value in explanation.items():
            lines += explanation_lines(value, f"{prefix}{key}: ")
        return lines
    if isinstance(explanation, list | tuple):
        items = [str(v) for v in explanation]
        return [f"{prefix}{', '.join(items)}"] if items else []
    return [f"{prefix}{explanation}"] if explanation not in (None, "") else []


# -- labelling, activity, administration ----------------------------------------------

#: The labels a moderator sets, with their keyboard shortcut ("C" and "R" are
#: reserved by Streamlit, hence digits).
LABEL_KEYS = {"distress": "1", "crisis": "2", "rights": "3", "minor": "4"}
LABEL_NAMES = {
    **LABELS,
    "minor": "mineur·e",
    "non_recours_form": "forme de non-recours",
}
FORMS = {
    None: "aucune / ne sait pas",
    "non_connaissance": "non-connaissance",
    "non_demande": "non-demande",
    "non_reception": "non-réception",
    "non_proposition": "non-proposition",
}
#: What each form means, shown as the help of the label page's choice.
FORMS_HELP = (
    "Non-connaissance : la personne ne connaît pas le droit ou ne sait pas si "
    "elle y a droit. Non-demande : elle le connaît mais ne le demande pas. "
    "Non-réception : elle l'a demandé et ne l'a pas obtenu (attente, refus, "
    "suspension). Non-proposition : l'organisme ne le propose pas ou ne le verse "
    "pas alors qu'elle y a droit (allocation non versée d'office, droit non "
    "rouvert après un changement de situation)."
)
ROLES = {
    "worker": "intervenant·e",
    "senior": "responsable",
    "moderator": "modérateur·rice",
    "admin": "administrateur·rice",
}
RUN_STATUSES = {
    "ok": "ok",
    "errors": "avec erreurs",
    "failed": "échec",
    "interrupted": "interrompue",
    "running": "en cours",
}
CHANNELS = {
    "email": "e-mail",
    "reply": "réponse sur le fil",
    "message": "message privé",
    "form": "formulaire",
    "letter": "courrier",
    "phone": "téléphone",
    "other": "autre",
}


def kappa(value: float | None) -> str:
    """Cohen's kappa, or why it is not defined."""
    return "n/d" if value is None else number(round(value, 2))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def label_summary(label: dict[str, Any], topics: dict[str, str]) -> str:
    """One moderator's label as a line: ``détresse, mineur·e · RSA · non-demande``."""
    on = [LABEL_NAMES[k] for k in LABEL_KEYS if label.get(k)]
    parts = [", ".join(on) or "aucune étiquette"]
    if label.get("rights_topics"):
        parts.append(", ".join(topics.get(r, r) for r in label["rights_topics"]))
    if label.get("non_recours_form"):
        parts.append(FORMS.get(label["non_recours_form"], label["non_recours_form"]))
    return " · ".join(parts)


def source_state(row: dict[str, Any]) -> str:
    """Whether a source runs, and why (the TOML, or the dashboard's override)."""
    if row["override"] is None:
        if row["configured"] is None:
            return "absente du fichier"
        return "activée (fichier)" if row["configured"] else "désactivée (fichier)"
    return "activée (forcé ici)" if row["override"] else "désactivée (forcé ici)"


def alert_line(crises: list[dict[str, Any]]) -> str:
    """The seniors' banner: every crisis lead left unclaimed, with its wait."""
    items = [
        # platform is outside text (an import file sets it): escaped, never markdown
        f"signalement {c['id']} ({md_escape(c['platform'], 40)}, "
        f"{c['age_minutes']} min)"
        for c in crises
    ]
    return (
        f"**{len(crises)} message(s) de crise sans prise en charge** : "
        + ", ".join(items)
        + ". Prenez-les ou confiez-les maintenant."
    )
