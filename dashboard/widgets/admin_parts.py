"""Sections of the Admin page: users, sources, retention, the opt-out register.

Every write goes through :mod:`maraude.ops.users` and :mod:`maraude.ops.admin`
(admin role checked server-side, audited). Handles and URLs typed for the
opt-out register are hashed at once; the form is cleared on submit so they do
not stay on screen.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st
from sqlite_utils import Database

from dashboard.widgets import french, parts, wording
from maraude.config import Config
from maraude.db import CHANNELS, ROLES
from maraude.inert import csv_cell
from maraude.ops import admin
from maraude.ops import users as accounts
from maraude.places import departement_names

User = dict[str, Any]

OPTOUT_NO_KEY = (
    "Les désinscriptions ne peuvent pas être ajoutées depuis ce tableau de bord : "
    "il a été démarré sans la clé MARAUDE_SECRET, celle des collectes (sans elle, "
    "l'empreinte enregistrée ne correspondrait jamais). Redémarrez le tableau de "
    "bord avec la même variable MARAUDE_SECRET que `maraude crawl`, ou ajoutez "
    "l'entrée sur le serveur : `maraude optout add PSEUDO_OU_URL --platform P`."
)


def _role_name(role: str) -> str:
    """A role's French name (the role itself if it has none)."""
    return wording.ROLES.get(role, role)


def users_section(db: Database, user: User) -> None:
    rows = parts.attempt(accounts.users, db, user)
    st.dataframe(
        [
            {
                "identifiant": r["username"],
                "rôle": wording.ROLES[r["role"]],
                "état": "désactivé" if r["disabled"] else "actif",
                "créé le": french.date(r["created_at"]),
                "territoires": ", ".join(r.get("territories") or []),
                "équipe": r.get("team") or "",
            }
            for r in rows
        ],
        hide_index=True,
    )
    names = [r["username"] for r in rows]
    with st.form("user_change"):
        cols = st.columns(3, vertical_alignment="bottom")
        who = cols[0].selectbox("Compte", names)
        role = cols[1].selectbox("Nouveau rôle", ROLES, format_func=_role_name)
        if cols[2].form_submit_button("Changer le rôle"):
            parts.run_action("Rôle changé.", accounts.set_role, db, user, who, role)
            st.rerun()
    cols = st.columns(3, vertical_alignment="bottom")
    who = cols[0].selectbox("Compte à activer ou désactiver", names, key="who_enable")
    disabled = next((r["disabled"] for r in rows if r["username"] == who), 0)
    label = "Réactiver" if disabled else "Désactiver"
    if cols[1].button(label, key="toggle_user"):
        parts.run_action(
            f"Compte {who} {'réactivé' if disabled else 'désactivé'}.",
            accounts.set_enabled,
            db,
            user,
            who,
            bool(disabled),
        )
        st.rerun()
    territories_form(db, user, rows)
    with st.form("user_add", clear_on_submit=True):
        st.markdown("**Ajouter un compte**")
        add_cols = st.columns(2)
        name = add_cols[0].text_input("Identifiant")
        role = add_cols[1].selectbox("Rôle", ROLES, format_func=_role_name)
        password = st.text_input(
            "Mot de passe (10 caractères au moins)", type="password"
        )
        if st.form_submit_button("Ajouter"):
            parts.run_action(
                "Compte ajouté.", accounts.add_user, db, user, name, role, password
            )
            st.rerun()


def territories_form(db: Database, user: User, rows: list[dict[str, Any]]) -> None:
    """Edit an account's territories (départements first in its queue) and team."""
    deps = departement_names()
    who = st.selectbox(
        "Compte : territoires et équipe", [r["username"] for r in rows], key="who_dep"
    )
    current = next((r for r in rows if r["username"] == who), {})
    with st.form("user_territories"):
        codes = st.multiselect(
            "Départements (ses signalements passent en premier, à niveau égal)",
            list(deps),
            default=[c for c in current.get("territories") or [] if c in deps],
            format_func=lambda c: f"{c} — {deps[c]}",
            key=f"dep_{who}",
            select_all=False,
            placeholder="aucun",
        )
        team = st.text_input(
            "Équipe", value=current.get("team") or "", key=f"team_{who}"
        )
        if st.form_submit_button("Enregistrer territoires et équipe"):
            parts.run_action(
                "Territoires et équipe enregistrés.",
                accounts.set_territories,
                db,
                user,
                who,
                codes,
                team,
            )
            st.rerun()


def sources_section(db: Database, user: User, config: Config) -> None:
    rows = parts.attempt(admin.sources, db, user, config)
    st.dataframe(
        [
            {
                "source": r["name"],
                "plateforme": r["platform"],
                "état": wording.source_state(r),
                "dernière collecte": french.date_time(r["last_run_at"])
                if r["last_run_at"]
                else "jamais",
                "résultat": wording.RUN_STATUSES.get(
                    r["last_status"], r["last_status"] or ""
                ),
            }
            for r in rows
        ],
        hide_index=True,
    )
    if not rows:
        return
    choices = {None: "suivre le fichier", True: "activer", False: "désactiver"}
    with st.form("source_override"):
        cols = st.columns(3, vertical_alignment="bottom")
        name = cols[0].selectbox("Source", [r["name"] for r in rows])
        wanted = cols[1].selectbox(
            "Réglage", list(choices), format_func=lambda c: choices[c]
        )
        if cols[2].form_submit_button("Appliquer"):
            platform = next(r["platform"] for r in rows if r["name"] == name)
            parts.run_action(
                "Réglage enregistré.",
                admin.set_source,
                db,
                user,
                name,
                platform,
                wanted,
            )
            st.rerun()
    st.caption(f"Sources définies dans {config.crawl.sources_file}.")


def retention_section(config: Config) -> None:
    policy = config.privacy
    st.dataframe(
        [
            {"données": "messages non retenus", "supprimés après": policy.posts_days},
            {
                "données": "signalements clos",
                "supprimés après": policy.closed_leads_days,
            },
            {
                "données": "étiquettes (texte masqué)",
                "supprimés après": policy.labels_days,
            },
            {"données": "journal d'audit", "supprimés après": policy.audit_days},
        ],
        hide_index=True,
        column_config={"supprimés après": st.column_config.NumberColumn(format="%d j")},
    )
    st.markdown(
        "Réglages en lecture seule : section `[privacy]` de la configuration. "
        "La purge tourne chaque nuit avec `maraude schedule` ; à la main :"
    )
    st.code("maraude purge --dry-run\nmaraude purge", language="bash")


def optout_section(db: Database, user: User) -> None:
    counts = parts.attempt(admin.optout_counts, db, user)
    cols = st.columns(2)
    cols[0].metric("Comptes exclus", counts["author"])
    cols[1].metric("Messages exclus (URL)", counts["url"])
    requests = parts.attempt(admin.requests, db, user)
    waiting = [r["id"] for r in requests if r["status"] == "received"]
    problem = admin.secret_problem()
    if problem:  # the library's message is for the command line: say it here
        st.warning(OPTOUT_NO_KEY, icon=":material/key_off:")
    with st.form("optout_add", clear_on_submit=True):
        st.markdown("**Ajouter au registre** (enregistré haché, jamais en clair)")
        value = st.text_input("Pseudo ou URL du message")
        form_cols = st.columns(3)
        platform = form_cols[0].selectbox("Plateforme", admin.known_platforms(db))
        site = form_cols[1].text_input("Site (si forum ou instance)")
        request = form_cols[2].selectbox(
            "Demande liée",
            [None, *waiting],
            format_func=lambda i: f"n° {i}" if i else "aucune",
        )
        if st.form_submit_button("Ajouter", disabled=bool(problem)):
            parts.run_action(
                "Entrée ajoutée au registre.",
                admin.add_optout,
                db,
                user,
                value,
                platform,
                site,
                request,
            )
            st.rerun()
    requests_section(db, user, requests)


def requests_section(db: Database, user: User, requests: list[dict[str, Any]]) -> None:
    st.markdown("**Demandes de désinscription**")
    with st.form("optout_request", clear_on_submit=True):
        cols = st.columns(3)
        received = cols[0].date_input(
            "Reçue le", value=date.today(), format="DD/MM/YYYY"
        )
        channel = cols[1].selectbox(
            "Canal", CHANNELS, format_func=lambda c: wording.CHANNELS.get(c, c)
        )
        reference = cols[2].text_input("Référence (jamais le pseudo)")
        if st.form_submit_button("Enregistrer la demande"):
            parts.run_action(
                "Demande enregistrée.",
                admin.log_request,
                db,
                user,
                received.isoformat(),
                channel,
                reference,
            )
            st.rerun()
    if not requests:  # an empty table reads "empty"
        st.caption("Aucune demande de désinscription enregistrée.")
        return
    st.dataframe(
        [
            {
                "n°": r["id"],
                "reçue le": french.date(r["received_on"]),
                "canal": wording.CHANNELS.get(r["channel"], r["channel"]),
                "référence": csv_cell(r["reference"]),  # typed from a letter
                "traitée le": french.date(r["acted_at"]) if r["acted_at"] else "",
                "confirmée le": french.date(r["confirmed_on"])
                if r["confirmed_on"]
                else "",
            }
            for r in requests
        ],
        hide_index=True,
    )
    acted = [r["id"] for r in requests if r["status"] == "acted"]
    if acted:
        cols = st.columns(3, vertical_alignment="bottom")
        which = cols[0].selectbox("Demande traitée", acted)
        when = cols[1].date_input(
            "Confirmée le", value=date.today(), format="DD/MM/YYYY"
        )
        if cols[2].button("Confirmer à la personne"):
            parts.run_action(
                "Confirmation enregistrée.",
                admin.confirm_request,
                db,
                user,
                which,
                when.isoformat(),
            )
            st.rerun()
