"""Small Altair charts for the Activity page (days across, counts up, a colour each).

Data are lists of plain dicts (counts only). Days read as dates, labelled
``25/11`` and never rotated, so a short chart keeps room for its bars.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import streamlit as st


def daily(
    rows: list[dict[str, Any]],
    *,
    y: str,
    color: str,
    height: int = 220,
    line: bool = False,
) -> None:
    """A stacked bar chart (or lines) of ``y`` per day (``jour``), by ``color``."""
    data = alt.Data(values=rows)
    mark = alt.Chart(data).mark_line(point=True) if line else alt.Chart(data).mark_bar()
    chart = mark.encode(
        x=alt.X(
            "jour:T",
            timeUnit="yearmonthdate",
            title=None,
            axis=alt.Axis(format="%d/%m", labelAngle=0),
        ),
        y=alt.Y(f"{y}:Q", title=y, stack=None if line else "zero"),
        color=alt.Color(f"{color}:N", title=color),
        tooltip=[
            alt.Tooltip("jour:T", timeUnit="yearmonthdate", title="jour"),
            f"{color}:N",
            f"{y}:Q",
        ],
    ).properties(height=height)
    st.altair_chart(chart, width="stretch")
