"""Missing-value tokens: what SQL and spreadsheet exports write for a value that is not there.

``NULL``, ``N/A``, ``-`` and the like read as missing in any text column of a delivered file,
CSV or parquet alike, with the spec's ``data_source.missing_values`` added. A token that is a
declared level of a categorical column, or a declared label of the target, stays that value
in that column.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ml_platform_assets.core.spec import ModelSpec
from ml_platform_assets.core.spec_source import FilesSource

# pandas' own list of missing-value spellings (read_csv's na_values), with '-' and the
# German Excel's '#NV' added; the empty string is missing anyway.
MISSING_TOKENS = (
    *("NULL", "null", "NA", "N/A", "n/a", "#N/A", "#N/A N/A", "#NA", "<NA>"),
    *("NaN", "nan", "-NaN", "-nan", "None", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN"),
    *("-", "#NV"),
)


def _declared_values(spec: ModelSpec) -> dict[str, set[str]]:
    """Per column, the values the spec names (levels, labels): never read as missing."""
    levels = {**spec.features.categorical, **spec.protected_attributes}
    declared = {col: set(rule.values) for col, rule in levels.items()}
    target = spec.target
    labels = {*target.bad_values, *target.good_values, *target.indeterminate}
    declared.setdefault(target.column, set()).update(labels)
    return declared


def missing_tokens(spec: ModelSpec) -> tuple[str, ...]:
    """The tokens read as missing: the usual exports' and the spec's own."""
    source = spec.data_source
    extra = source.missing_values if isinstance(source, FilesSource) else []
    return tuple(dict.fromkeys([*MISSING_TOKENS, *extra]))


def blank_missing_tokens(table: pa.Table, spec: ModelSpec) -> pa.Table:
    """The table with every missing-value token in a text column (surrounding spaces aside)
    made null, except where the token is a value the spec declares for that column."""
    tokens = set(missing_tokens(spec))
    declared = _declared_values(spec)
    for index, field in enumerate(table.schema):
        type_ = field.type
        if pa.types.is_dictionary(type_) and pa.types.is_string(type_.value_type):
            type_ = pa.string()
        if not (pa.types.is_string(type_) or pa.types.is_large_string(type_)):
            continue
        here = sorted(tokens - declared.get(field.name, set()))
        values = table.column(index).cast(type_)
        hit = pc.is_in(pc.utf8_trim_whitespace(values), value_set=pa.array(here, type_))
        if here and pc.any(hit).as_py():
            blanked = pc.if_else(hit, pa.scalar(None, type_), values)
            table = table.set_column(index, field.name, blanked)
    return table
