"""Small Altair charts for the Activity page (days across, counts up, a colour each).

Data are lists of plain dicts (counts only). Categories may overlap (a crisis
is also a distress; a post may concern two rights), so bars are drawn side by
side, never stacked: a stack would add the same lead twice. Days are an ordinal
axis (one tick per day with data, ``25/11``, never twice the same), counts are
whole numbers from 0 (an all-zero series reads 0 and 1, never ``0.000000``).
The labels keep the colours of the rest of the interface: crisis red,
distress orange, rights blue.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import streamlit as st

#: Colours of the interface's badges and banners (queue, lead page).
LABEL_COLOURS = {"crise": "#d32f2f", "détresse": "#ef6c00", "droits": "#1565c0"}

#: Vega expression: ``2026-11-25`` shown as ``25/11``.
DAY_LABEL = "slice(datum.value, 8, 10) + '/' + slice(datum.value, 5, 7)"


def colour_scale(rows: list[dict[str, Any]], color: str) -> alt.Scale | None:
    """The interface's colours when the series are the labels, else Altair's."""
    names = sorted({str(r[color]) for r in rows})
    if names and all(n in LABEL_COLOURS for n in names):
        return alt.Scale(domain=names, range=[LABEL_COLOURS[n] for n in names])
    return None


def daily(
    rows: list[dict[str, Any]],
    *,
    y: str,
    color: str,
    height: int = 220,
    line: bool = False,
) -> None:
    """Show :func:`chart` across the page."""
    st.altair_chart(
        chart(rows, y=y, color=color, height=height, line=line), width="stretch"
    )


def chart(
    rows: list[dict[str, Any]],
    *,
    y: str,
    color: str,
    height: int = 220,
    line: bool = False,
) -> alt.Chart:
    """Bars side by side (or lines) of ``y`` per day (``jour``), by ``color``."""
    rows = [{**r, "jour": str(r["jour"])[:10]} for r in rows]
    for r in rows:  # the tooltip's date, French style
        r["date"] = f"{r['jour'][8:10]}/{r['jour'][5:7]}/{r['jour'][:4]}"
    top = max((r[y] or 0 for r in rows), default=0)
    base = alt.Chart(alt.Data(values=rows))
    mark = base.mark_line(point=True) if line else base.mark_bar()
    scale = colour_scale(rows, color)
    encoding: dict[str, Any] = {
        "x": alt.X(
            "jour:O",
            title=None,
            sort="ascending",
            axis=alt.Axis(labelExpr=DAY_LABEL, labelAngle=0),
        ),
        "y": alt.Y(
            f"{y}:Q",
            title=y,
            stack=None,
            scale=alt.Scale(domain=[0, max(1, top)], nice=True),
            axis=alt.Axis(format="d", tickMinStep=1),
        ),
        "color": alt.Color(f"{color}:N", title=color, scale=scale)
        if scale is not None
        else alt.Color(f"{color}:N", title=color),
        "tooltip": [
            alt.Tooltip("date:N", title="jour"),
            alt.Tooltip(f"{color}:N", title=color),
            alt.Tooltip(f"{y}:Q", title=y, format="d"),
        ],
    }
    if not line:
        encoding["xOffset"] = alt.XOffset(f"{color}:N")
    return mark.encode(**encoding).properties(height=height)
