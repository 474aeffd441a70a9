"""Tests of ml_platform_assets.pages.drift: the daily drift page and Evidently's full page.

The days are simulated frames (``tests/drift_frames.py``) measured with ``measure_drift``.
"""

import copy
import re

import numpy as np
import pandas as pd

from ml_platform_assets.core.drift import measure_drift
from ml_platform_assets.core.drift_noise import sample_indices
from ml_platform_assets.pages.drift import render_drift_html, render_full_preset_html
from tests.drift_frames import COLUMNS, SPEC, drift_frame, income_cut_days


def test_the_page_of_a_day() -> None:
    reference, current = income_cut_days()
    page = render_drift_html(reference, current, SPEC, rows=1200)
    assert "<html" in page[:200] and "<td>annual_income</td>" not in page
    # The drifted column leads the table and links to its chart; the page loads nothing.
    assert page.index('<a href="#chart-0">annual_income</a>') < page.index("<td>bureau_score</td>")
    assert 'id="chart-0" data-column="annual_income"' in page
    assert "<script" not in page and "http" not in page and len(page) < 60_000


def test_the_page_leaves_out_columns_without_values_and_says_which() -> None:
    # A bureau outage and a lost state field leave the day without values in three columns
    # (an infinity is no value either); the reference never had a utilization; one amount was
    # delivered in a single row the page does not draw; two columns hold one value throughout.
    reference, current = drift_frame(3000, 11), drift_frame(1500, 12)
    for frame in (reference, current):
        frame["bureau_utilization"], frame["loan_amount"] = 0.3, 250.0
        frame["term_months"], frame["channel"] = 12.0, "app"
        frame["cart_value"] = np.random.default_rng(len(frame)).lognormal(4, 1, len(frame))
    current["bureau_score"], current["state"] = np.nan, None
    current["annual_income"] = np.inf
    reference["bureau_utilization"] = np.nan
    drawn = sample_indices(len(current), 300, 1)  # the page's current rows (seed 0, side 1)
    current["loan_amount"] = np.nan
    current.loc[np.setdiff1d(np.arange(len(current)), drawn)[0], "loan_amount"] = 260.0
    columns = [
        *COLUMNS,
        "bureau_utilization",
        "loan_amount",
        "term_months",
        "cart_value",
        "channel",
    ]
    result = measure_drift(reference, current, SPEC, columns=columns)
    assert result.columns_without_values == ["annual_income", "bureau_score", "state"]
    assert set(result.columns_without_values) <= set(result.drifted_columns)
    assert "bureau_utilization" not in result.drifted_columns

    page = render_drift_html(reference, current, SPEC, rows=300, result=result)
    assert page.index("<html") < page.index("Columns not shown") < page.index('id="columns"')
    assert "No values in the current data: annual_income, bureau_score, state." in page
    assert "No values in the reference: bureau_utilization." in page
    assert "No values among the 300 rows per side drawn for this page: loan_amount." in page
    for column in ("annual_income", "bureau_score", "state"):
        assert f"<td>{column}</td><td>no current values</td>" in page  # in the table, drifted
    for column in ("annual_income", "bureau_score", "state", "bureau_utilization", "loan_amount"):
        assert f'data-column="{column}"' not in page  # and drawn nowhere
    for column in ("phone_verified", "term_months", "channel"):
        assert f"<td>{column}</td>" in page
    assert "<td>cart_value</td><td>ks</td>" in page  # its test on the day's 1,500 rows
    assert result.columns[columns.index("cart_value")].method == "ks"

    full = render_full_preset_html(reference, current, SPEC, rows=300, result=result)
    assert full.index("<html") < full.index("Columns not shown") < full.index("root_metric")
    assert "No values in the current data: annual_income, bureau_score, state." in full
    assert "No values in the reference: bureau_utilization." in full
    assert "No values among the 300 rows per side drawn for this page: loan_amount." in full
    for column in ("annual_income", "bureau_score", "state", "bureau_utilization", "loan_amount"):
        assert f'"column_name": "{column}"' not in full
    for column in ("phone_verified", "term_months", "cart_value", "channel"):
        assert f'"column_name": "{column}"' in full
    assert "K-S p_value" in full  # cart_value's test on the day's 1,500 rows, as decided

    current[columns] = np.nan
    nothing = measure_drift(reference, current, SPEC, columns=columns)
    for render in (render_drift_html, render_full_preset_html):
        empty = render(reference, current, SPEC, result=nothing)
        assert "No column has values on both sides" in empty and "bureau_score, " in empty


def test_the_page_draws_each_drifted_column_reference_against_the_day() -> None:
    # Incomes halve (deciles), CA doubles its share and a state new on the day appears
    # (levels), a 0/1 flag flips (few values); a fifth of the day's incomes are missing.
    reference = drift_frame(5000, 21)
    current = drift_frame(5000, 22, income_scale=0.5, other_state=0.1)
    current["state"] = current["state"].where(current.index % 10 != 0, "NV")
    current["phone_verified"] = 1 - current["phone_verified"]
    current.loc[current.index % 5 == 0, "annual_income"] = np.nan
    result = measure_drift(reference, current, SPEC, columns=COLUMNS)
    assert set(result.drifted_columns) == {"annual_income", "phone_verified", "state"}

    page = render_drift_html(reference, current, SPEC, result=result, title="Drift on <day>")
    assert "<title>Drift on &lt;day&gt;</title>" in page
    charts = {
        c: page[page.index(f'data-column="{c}"') :].split("</section>")[0]
        for c in result.drifted_columns
    }
    assert 'data-column="bureau_score"' not in page  # calm: in the table only
    income = charts["annual_income"]
    assert "deciles of the reference" in income and income.count("<tr>") == 11
    # The reference fills each decile; half the income piles into the lowest.
    first = income.split("<tr>")[2]
    low = float(np.quantile(reference["annual_income"], 0.1))
    assert first.startswith(f"<td>≤ {low:,.0f}</td>")
    reference_share, day_share = (float(x) for x in re.findall(r"([\d.]+)%</td>", first))
    assert reference_share == 10.0 and day_share > 40
    assert "Rows without a value (not tested): reference 0.0%, day 20.0%." in income
    state = charts["state"]
    assert "<th>level</th>" in state and "<td>NV</td>" in state
    assert state.index("<td>TX</td>") < state.index("<td>NV</td>")  # new levels last
    flag = charts["phone_verified"]
    assert "<th>level</th>" in flag and "<td>0</td>" in flag and "<td>1</td>" in flag


def test_the_page_sums_rare_levels_into_one_bar() -> None:
    levels = [f"m{i:02d}" for i in range(30)]
    rng = np.random.default_rng(5)
    reference = pd.DataFrame({"state": rng.choice(levels, 4000)})
    current = pd.DataFrame({"state": rng.choice(levels[:3], 4000)})
    result = measure_drift(reference, current, SPEC, columns=["state"])
    page = render_drift_html(reference, current, SPEC, result=result)
    chart = page[page.index('data-column="state"') :]
    assert chart.count("<tr>") == 1 + 12 and "<td>19 other levels</td>" in chart


def test_each_drifted_column_is_drawn_as_svg_bars_beside_its_table() -> None:
    reference, current = (
        drift_frame(4000, 41),
        drift_frame(4000, 42, income_scale=0.5, other_state=0.1),
    )
    result = measure_drift(reference, current, SPEC, columns=COLUMNS)
    assert {"annual_income", "state"} <= set(result.drifted_columns)
    page = render_drift_html(reference, current, SPEC, result=result)
    charts = re.findall(r'<svg [^>]*aria-label="Shares of the values of ([^"]+), reference '
                        r'against the day">(.*?)</svg>', page, re.S)  # fmt: skip
    assert [name for name, _ in charts] == [
        c.column for c in sorted(result.columns, key=lambda c: -c.severity) if c.drifted
    ]
    bars = dict(charts)
    # A pair of bars per reference decile, the longest share the longest bar.
    income = bars["annual_income"]
    assert income.count("<rect") == 2 * 10 + 2  # and the legend's two swatches
    widths = [float(w) for w in re.findall(r'<rect x="150" y="[\d.]+" width="([\d.]+)"', income)]
    assert max(widths) == 300.0
    assert re.search(r"<title>≤ [\d,]+: reference 10\.0%, day [\d.]+%</title>", income)
    state = bars["state"]
    assert "<title>other: reference" in state and state.count("<rect") == 2 * 3 + 2


def test_hostile_names_and_levels_are_escaped() -> None:
    hostile = "<script>alert('x')</script>"
    reference, current = drift_frame(3000, 51), drift_frame(3000, 52, income_scale=0.5)
    for frame in (reference, current):
        frame[hostile] = frame["annual_income"]
    current["state"] = current["state"].where(current.index % 3 != 0, hostile)
    columns = [hostile, "state"]
    result = measure_drift(reference, current, SPEC, columns=columns)
    assert result.drifted_columns == columns
    page = render_drift_html(reference, current, SPEC, result=result, title=hostile)
    assert "<script" not in page and "alert('x')" not in page
    assert page.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") >= 8


def test_the_same_day_renders_the_same_bytes() -> None:
    reference, current = drift_frame(3000, 61), drift_frame(2000, 62, income_scale=0.6)
    result = measure_drift(reference, current, SPEC, columns=COLUMNS)
    page = render_drift_html(reference, current, SPEC, result=result, rows=1000).encode()
    again = render_drift_html(
        reference.copy(), current.copy(), SPEC, result=copy.deepcopy(result), rows=1000
    )
    assert again.encode() == page
