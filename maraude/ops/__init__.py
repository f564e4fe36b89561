"""The operations layer: every change a person makes, checked and audited once.

Each operation takes ``(db, actor, ...)``: it checks the actor's role against
:data:`maraude.vocab.PERMISSIONS` (a refusal writes a ``denied`` audit line
and raises :class:`~maraude.errors.PermissionDenied`), applies the rules of
the operation (the same from the dashboard and the command line), calls
:mod:`maraude.db`, and writes its one audit line. Reads that change nothing
(lists, counts) audit only a refusal.

* :mod:`maraude.ops.guard`: :class:`Actor`, :func:`require`, :func:`record`;
* :mod:`maraude.ops.desk`: a lead, from view and claim to outcome and close;
* :mod:`maraude.ops.labels`: labelling, adjudication, the labels' export;
* :mod:`maraude.ops.users`: accounts, roles, passwords, territories;
* :mod:`maraude.ops.admin`: sources on/off, the opt-out register, purge.

The dashboard's pages call these with the signed-in user; ``maraude user``,
``maraude optout``, ``maraude leads``, ``maraude purge``, ``maraude export``
and ``maraude recheck`` with :func:`command_line`. Part of the core: it
imports no stage and no Streamlit.
"""

from maraude.ops.guard import Actor, ActorLike, actor_of, can, command_line, require

__all__ = ["Actor", "ActorLike", "actor_of", "can", "command_line", "require"]
