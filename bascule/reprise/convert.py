"""From raw extracts to typed lines: read (never dropping a line), amounts to exact cents, dates to dates, and the
integer keys the rules and the reconciliation join on.

Ten million lines on two cores: each conversion first tries the shape nearly every real extract uses (`303431,00`
once spaces are removed; `31/12/2026`) in one cheap expression, and only the values it did not read go through the
full readers of `values.py` (every accepted shape, and a French reason for what cannot be read). A line with a value
that cannot be read, or an empty key, is a parser rejection naming its column and value — never a guess.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import polars as pl

from bascule.reprise.columns import HeaderError
from bascule.reprise.reader import LINE, RawRead, read_file, read_path
from bascule.reprise.rules import AMOUNTS, ANOMALY_SCHEMA, BLOCKING, LABELS, EngineError
from bascule.reprise.values import amount_error, date_error, parse_date, with_cents

PLAIN_AMOUNT = r"^-?[0-9]{1,15},[0-9]{2}$"  # after removing spaces: what Chorus extracts and Excel write
EMPTY = ["", "#"]
KEY = "_k"  # UInt64 of (N° EJ, N° poste EJ) when both are short digit strings
COMMITMENT = "_e"  # UInt64 of N° EJ, likewise


def read(source: Any, columns: Any, what: str, headers: Mapping[str, str], keep: Collection[str]) -> RawRead:
    """The raw read of an engine Source (French error naming it when it cannot be read at all); optional columns absent
    from the file are empty text, columns not in `keep` are left out. A clean CSV has its amounts and dates
    converted as it is read (`typed`)."""
    try:
        if source.path is not None:
            raw = read_path(source.path, columns, headers, keep, typed)
        else:
            raw = read_file(source.content(), source.name, columns, headers, keep, typed)
    except HeaderError as exc:
        raise EngineError(f"{what} (« {source.name} ») : {exc}") from None
    frame = raw.frame.select(*(c for c in raw.frame.columns if c.lstrip("_") in keep or c == LINE))
    absent = [column.key for column in columns if column.key in keep and column.key not in frame.columns]
    raw.frame = frame.with_columns(pl.lit("", pl.String).alias(key) for key in absent)
    return raw


def rejections(raw: RawRead, file: str) -> pl.DataFrame:
    """The parser's own rejections (ragged, blank, formula…) as anomalies of rule « LECTURE »."""
    count = len(raw.rejected)
    return pl.DataFrame(
        {
            "fichier": [file] * count,
            "ligne": [r.line for r in raw.rejected],
            "regle": ["LECTURE"] * count,
            "gravite": [BLOCKING] * count,
            "colonne": [""] * count,
            "valeur": [""] * count,
            "message": [f"Ligne rejetée à la lecture : {r.reason}" for r in raw.rejected],
        },
        schema={
            k: ANOMALY_SCHEMA[k]
            for k in ("fichier", "ligne", "regle", "gravite", "colonne", "valeur", "message")
        },
    )


def plain_cents(text: pl.Expr) -> pl.Expr:
    """Cents of the usual shape (`303 431,00`, `-12,00` once spaces are removed), null for any other shape."""
    compact = text.str.replace_all(" ", "", literal=True)
    return pl.when(compact.str.contains(PLAIN_AMOUNT)).then(
        compact.str.replace(",", "", literal=True).cast(pl.Int64, strict=False)
    )


def date_format(column: pl.Series) -> str:
    """The format of the column's first date (most extracts use one format throughout), tried first."""
    first = column.filter(~column.is_in(EMPTY)).head(1).to_list()
    return _format_of(first[0] if first else "")


def _format_of(value: str) -> str:
    if len(value) == 10 and value[4] == "-":
        return "%Y-%m-%d"
    if "." in value:
        return "%d.%m.%Y"
    return "%d/%m/%Y"


def typed(first: Mapping[str, str]) -> dict[str, Any]:
    """The quick conversions applied as a clean CSV is read (reader.Typed): cents of the usual shape, dates in
    the format of the first record's."""
    conversions: dict[str, Any] = dict.fromkeys(AMOUNTS, plain_cents)
    for key in ("date", "modifie"):
        if key in first:
            conversions[key] = _to_date(_format_of(first[key]))
    return conversions


def _to_date(format_: str) -> Any:
    return lambda cell: cell.str.to_date(format_, strict=False)


def _finish(converted: pl.DataFrame, key: str, target: str, full: Any) -> pl.DataFrame:
    """The values the quick expression did not read (neither empty nor `#`) read again by `full`, in place."""
    pending = converted.select(
        (pl.col(target).is_null() & ~pl.col(key).is_in(EMPTY)).fill_null(False)
    ).to_series()
    if not pending.any():
        return converted
    rest = full(converted.select(key).filter(pending))
    return converted.with_columns(converted[target].scatter(pending.arg_true(), rest))


def convert(frame: pl.DataFrame, file: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Amounts to cents and dates to dates; a line with a value that cannot be read is rejected (column, value).
    One lazy pass (both cores) reads the usual shapes; the few other values go through `values.py`; the French
    reasons are written only for the lines that did not convert."""
    date_keys = [key for key in ("date", "modifie") if key in frame.columns]
    todo = [key for key in (*AMOUNTS, *date_keys) if f"_{key}" not in frame.columns]  # not done while reading
    formats = {key: date_format(frame[key]) for key in date_keys if key in todo}
    converted = (
        frame.lazy()
        .with_columns(
            *(plain_cents(pl.col(key)).alias(f"_{key}") for key in AMOUNTS if key in todo),
            *(pl.col(key).str.to_date(formats[key], strict=False).alias(f"_{key}") for key in formats),
            pl.col("type").str.to_uppercase(),
        )
        .collect()
    )
    for key in AMOUNTS:
        converted = _finish(
            converted, key, f"_{key}", lambda rest, key=key: with_cents(rest, [key], suffix="_c")[f"{key}_c"]
        )
    for key in date_keys:
        converted = _finish(
            converted, key, f"_{key}", lambda rest, key=key: rest.select(parse_date(pl.col(key))).to_series()
        )
    empty = {key: pl.col(key).is_in(EMPTY) for key in (*AMOUNTS, *date_keys, "ej", "poste")}
    failed = pl.any_horizontal(
        empty["ej"],
        empty["poste"],
        *(pl.col(f"_{key}").is_null() for key in AMOUNTS),
        *(pl.col(f"_{key}").is_null() & ~empty[key] for key in date_keys),
    )
    flags = converted.select(failed.alias("_failed")).to_series()
    good = converted.filter(~flags) if flags.any() else converted
    good = good.drop(*AMOUNTS, *date_keys).rename({f"_{key}": key for key in (*AMOUNTS, *date_keys)})
    bad = converted.filter(flags)
    checks: list[pl.Expr] = [
        pl.when(empty[key]).then(pl.lit(f"{LABELS[key]}|valeur obligatoire absente"))
        for key in ("ej", "poste")
    ]
    for key in AMOUNTS:
        checks.append(
            pl.when(empty[key])
            .then(pl.lit(f"{LABELS[key]}|montant obligatoire absent"))
            .otherwise(pl.concat_str(pl.lit(f"{LABELS[key]}|"), amount_error(pl.col(key))))
        )
    checks.extend(pl.concat_str(pl.lit(f"{LABELS[key]}|"), date_error(pl.col(key))) for key in date_keys)
    reasons = bad.select(LINE, _error=pl.coalesce(checks)).with_columns(
        _parts=pl.col("_error").str.split_exact("|", 1)
    )
    rejected = reasons.select(
        fichier=pl.lit(file),
        ligne=pl.col(LINE),
        regle=pl.lit("LECTURE"),
        gravite=pl.lit(BLOCKING),
        colonne=pl.col("_parts").struct.field("field_0"),
        valeur=pl.lit(""),
        message=pl.format(
            "Ligne rejetée à la lecture, colonne « {} » : {}",
            pl.col("_parts").struct.field("field_0"),
            pl.col("_parts").struct.field("field_1"),
        ),
    )
    return good, rejected


def digits(column: pl.Series, width: int) -> pl.Series | None:
    """A column of digit strings of at most `width` digits as UInt64 (a leading 1 keeps leading zeros apart:
    `007` → 1007, `7` → 17); None when any value is anything else (a sign, a space or a letter does not cast)."""
    if column.is_empty():
        return pl.Series(column.name, [], dtype=pl.UInt64)
    number = ("1" + column).cast(pl.UInt64, strict=False)
    if number.null_count() or (number.max() or 0) >= 10 ** (width + 1):  # type: ignore[operator]
        return None
    return number


def keys(frame: pl.DataFrame) -> pl.DataFrame | None:
    """`frame` with KEY and COMMITMENT (UInt64) when every N° EJ has at most 12 digits and every poste at most 5
    (what real extracts hold), else None: the caller then works on the text columns (same result, slower)."""
    commitment = digits(frame["ej"], 12)
    poste = digits(frame["poste"], 5)
    if commitment is None or poste is None:
        return None
    return frame.with_columns((commitment * 1_000_000 + poste).alias(KEY), commitment.alias(COMMITMENT))


def with_text_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """N° EJ and N° poste EJ as text again, read back from KEY (the digits as read, after the leading 1)."""
    key = pl.col(KEY)
    return frame.with_columns(
        ej=(key // 1_000_000).cast(pl.String).str.slice(1),
        poste=(key % 1_000_000).cast(pl.String).str.slice(1),
    )


def key_columns(frames: Sequence[pl.DataFrame]) -> tuple[list[str], list[str]]:
    """The columns of a line's key and of its commitment, shared by every frame given."""
    if all(KEY in frame.columns for frame in frames):
        return [KEY], [COMMITMENT]
    return ["ej", "poste"], ["ej"]
