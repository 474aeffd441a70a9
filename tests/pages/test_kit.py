"""Tests of ml_platform_assets.pages.kit: the number formats every page shares, its table
cells, and the Jinja2 environment (built once, escaping every string)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml_platform_assets.pages import kit


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, -math.inf, np.float64("nan")])
def test_a_missing_number_reads_n_a_in_every_format(missing) -> None:
    assert kit.is_missing(missing)
    for kind in ("num", "pct", "pct2", "count", "lift"):
        assert kit.fmt(missing, kind) == "n/a"
    assert kit.delta(missing, 0.5) == kit.delta(0.5, missing) == "n/a"
    assert kit.stability(missing) == "n/a" and kit.status(missing) == kit.Cell("n/a")


def test_numbers_read_in_the_pages_formats() -> None:
    assert not kit.is_missing(np.int64(3)) and not kit.is_missing("text")
    assert kit.num(np.float64(0.71234)) == "0.7123"
    assert kit.pct(0.1234) == "12.3 %" and kit.fmt(0.1234, "pct2") == "12.34 %"
    assert kit.pct(0.1234, sep="") == "12.3%" and kit.pct(0.3, 0, "") == "30%"
    assert kit.count(np.int64(1234567)) == "1,234,567" and kit.lift(2.3149) == "2.31×"
    # Rates differ in percentage points; counts, lifts and the rest in their own units.
    assert kit.delta(0.153, 0.141, "pct") == "+1.2 pp"
    assert kit.delta(1_000, 1_234, "count") == "-234"
    assert kit.delta(2.0, 1.5, "lift") == "+0.50×"
    assert kit.delta(0.7, 0.71234) == "-0.0123"


@pytest.mark.parametrize(
    ("value", "label"),
    [(0.0, "stable"), (0.0999, "stable"), (0.1, "watch"), (0.25, "watch"), (0.2501, "shifted")],
)
def test_stability_reads_the_psi_rule_of_thumb(value: float, label: str) -> None:
    assert kit.stability(value) == label
    assert kit.status(value) == kit.Cell(label, label)


def test_table_cells_are_text_classed_text_or_cells() -> None:
    table = kit.table(["a", "b", "c"], [["x", ("y", "fail"), kit.Cell("z", href="chart-0")]])
    assert table.rows == ((kit.Cell("x"), kit.Cell("y", "fail"), kit.Cell("z", "", "chart-0")),)
    assert kit.table(["a"], [[None], [3]]).rows == ((kit.Cell("None"),), (kit.Cell("3"),))
    assert kit.text_of(None) == "none" and kit.text_of({"b": 1, "a": [2]}) == '{"a": [2], "b": 1}'


def test_the_environment_is_built_once_and_escapes_every_string() -> None:
    assert kit.environment() is kit.environment()
    env = kit.environment()
    assert env.autoescape("x.html.j2")
    macros = env.get_template("macros.html.j2").module
    html = str(macros.table(kit.table(["<th>"], [[("<b>&", "<c>")]], id='"x"')))
    assert html == (
        '<table id="&#34;x&#34;"><thead><tr><th>&lt;th&gt;</th></tr></thead><tbody>'
        '<tr><td class="&lt;c&gt;">&lt;b&gt;&amp;</td></tr></tbody></table>'
    )


def test_a_template_reading_a_name_it_was_not_given_fails() -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        kit.environment().from_string("<p>{{ sentence }}</p>").render()
