"""Partition, reconciliation and control totals of a run — tolerance zero, amounts in Int64 cents summed from the
detail lines, never from rounded sub-totals.

The reconciliation is a key-level full outer join done as a sorted merge: the in-scope source keys and the
target's keys (`N° EJ source`, `N° poste EJ`; integers when the extracts allow, `convert.keys`) are sorted, matched,
and each compared field is checked on the matched pairs by position. Keys missing on either side are listed by an
anti join, run only when the counts say some are missing. Only the few rows that differ are ever built as rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from bascule.reprise.convert import KEY, with_text_keys
from bascule.reprise.reader import LINE
from bascule.reprise.rules import AMOUNTS, COMPARED, LABELS, euros, per_value, programme, starts

DIFFERENCES_SCHEMA = {
    "categorie": pl.String,
    "ej": pl.String,
    "poste": pl.String,
    "ligne_source": pl.Int64,
    "ligne_cible": pl.Int64,
    "centre": pl.String,
    "champs": pl.String,
    "reste_source": pl.Int64,
    "reste_cible": pl.Int64,
}
EQUAL, DIFFERENT, MISSING, UNEXPECTED = (
    "égale",
    "différente",
    "absente de la cible",
    "inattendue dans la cible",
)


@dataclass
class Reconciliation:
    counts: dict[str, int]  # equal, different, missing_in_target, unexpected_in_target
    differences: pl.DataFrame  # DIFFERENCES_SCHEMA: every key not equal
    by_centre: pl.DataFrame  # the target's lines per financial centre (the source's centre when matched)


def sums(prefix: str) -> list[pl.Expr]:
    return [
        pl.len().alias(f"{prefix}_lignes"),
        pl.col("engage").sum().alias(f"{prefix}_engage"),
        pl.col("consomme").sum().alias(f"{prefix}_consomme"),
        pl.col("reste").sum().alias(f"{prefix}_reste"),
    ]


def totals(frame: pl.DataFrame, where: pl.Expr | None = None) -> dict[str, str]:
    """Σ engaged, consumed and remaining of the lines (those `where` holds, without copying them), in euros."""
    columns = [pl.col(k) if where is None else pl.col(k).filter(where) for k in AMOUNTS]
    row = frame.select(column.sum() for column in columns).row(0)
    return {
        name: euros(int(v or 0)) for name, v in zip(("engaged", "consumed", "remaining"), row, strict=True)
    }


def centres(status: pl.DataFrame) -> pl.DataFrame:
    """Per financial centre as read: source = in scope + excluded + blocked, in lines and cents."""
    c = pl.col
    return (
        status.group_by("centre_source")
        .agg(
            *sums("source"),
            *[
                expr
                for name in ("reprise", "exclue", "bloquee")
                for expr in (
                    (c("statut") == name).sum().cast(pl.UInt32).alias(f"{name}_lignes"),
                    *(c(k).filter(c("statut") == name).sum().alias(f"{name}_{k}") for k in AMOUNTS),
                )
            ],
        )
        .rename({"centre_source": "centre"})
    )


def text_key(frame: pl.DataFrame, rows: pl.Series, part: str) -> pl.Series:
    """N° EJ or N° poste EJ of some rows: the text column, or read back from the integer key when the text was
    dropped to save memory (`convert.keys`: a leading 1, then the digits as read)."""
    if part in frame.columns:
        return frame[part].gather(rows)
    return with_text_keys(frame.select(KEY)[rows])[part]


def reconcile(status: pl.DataFrame, target: pl.DataFrame, on: list[str]) -> Reconciliation:
    """The in-scope lines of `status` against the target's lines, on the key columns `on` (present in both)."""
    c = pl.col
    source = (
        status.select(*on, "statut")
        .with_row_index("_i")
        .filter(c("statut") == "reprise")
        .drop("statut")
        .sort(on)
    )
    ordered = target.select(*on).with_row_index("_j").sort([*on, "_j"]).with_columns(_dup=~starts(on))
    firsts = ordered.filter(~c("_dup")).drop("_dup")
    pairs = source.join(firsts, on=on, how="inner")
    left, right = pairs["_i"], pairs["_j"]
    differs = pl.repeat(False, pairs.height, eager=True)
    for key in COMPARED:
        differs = differs | status[key].gather(left).ne_missing(target[key].gather(right))
    changed = pairs.filter(differs)
    different = _different(status, target, changed)
    missing_rows = source.height - pairs.height
    missing = (
        source.join(firsts, on=on, how="anti")["_i"] if missing_rows else pl.Series("_i", [], dtype=pl.UInt32)
    )
    unexpected = (
        firsts.join(source, on=on, how="anti")["_j"]
        if firsts.height - pairs.height
        else pl.Series("_j", [], dtype=pl.UInt32)
    )
    duplicates = ordered.filter(c("_dup"))["_j"]
    rows = [
        different,
        _side(status, missing, MISSING, source_side=True),
        _side(target, unexpected, UNEXPECTED, source_side=False),
        _side(target, duplicates, UNEXPECTED, source_side=False, note="doublon dans la cible"),
    ]
    counts = {
        "equal": pairs.height - changed.height,
        "different": changed.height,
        "missing_in_target": missing.len(),
        "unexpected_in_target": unexpected.len() + duplicates.len(),
    }
    # the target's lines per centre: the source's centre for a matched line, the target's own otherwise
    centre = (
        target["centre"].scatter(right, status["centre_source"].gather(left))
        if pairs.height
        else target["centre"]
    )
    by_centre = (
        target.select(*AMOUNTS)
        .with_columns(centre=centre)
        .group_by("centre")
        .agg(*sums("cible"))
        .with_columns(pl.col("centre").cast(pl.String))
    )
    return Reconciliation(counts, pl.concat(rows), by_centre)


def _different(status: pl.DataFrame, target: pl.DataFrame, changed: pl.DataFrame) -> pl.DataFrame:
    """The matched pairs that differ, naming the fields."""
    i, j = changed["_i"], changed["_j"]
    both = pl.DataFrame(
        {
            **{k: status[k].gather(i) for k in COMPARED},
            **{f"{k}_cible": target[k].gather(j) for k in COMPARED},
        }
    )
    named = both.select(
        champs=pl.concat_str(
            [pl.when(pl.col(k).ne_missing(pl.col(f"{k}_cible"))).then(pl.lit(LABELS[k])) for k in COMPARED],
            separator=", ",
            ignore_nulls=True,
        )
    )["champs"]
    return pl.DataFrame(
        {
            "categorie": pl.repeat(DIFFERENT, changed.height, eager=True, dtype=pl.String),
            "ej": text_key(status, i, "ej"),
            "poste": text_key(status, i, "poste"),
            "ligne_source": status[LINE].gather(i),
            "ligne_cible": target[LINE].gather(j),
            "centre": status["centre_source"].gather(i).cast(pl.String),
            "champs": named,
            "reste_source": status["reste"].gather(i),
            "reste_cible": target["reste"].gather(j),
        },
        schema=DIFFERENCES_SCHEMA,
    )


def _side(
    frame: pl.DataFrame, rows: pl.Series, category: str, *, source_side: bool, note: str = ""
) -> pl.DataFrame:
    n = rows.len()
    none = pl.repeat(None, n, eager=True, dtype=pl.Int64)
    return pl.DataFrame(
        {
            "categorie": pl.repeat(category, n, eager=True, dtype=pl.String),
            "ej": text_key(frame, rows, "ej"),
            "poste": text_key(frame, rows, "poste"),
            "ligne_source": frame[LINE].gather(rows) if source_side else none,
            "ligne_cible": none if source_side else frame[LINE].gather(rows),
            "centre": frame["centre_source" if source_side else "centre"].gather(rows).cast(pl.String),
            "champs": pl.repeat(note, n, eager=True, dtype=pl.String),
            "reste_source": frame["reste"].gather(rows) if source_side else none,
            "reste_cible": none if source_side else frame["reste"].gather(rows),
        },
        schema=DIFFERENCES_SCHEMA,
    )


def controls(status: pl.DataFrame, parties: pl.DataFrame, commitment: list[str]) -> dict[str, pl.DataFrame]:
    """Control totals of the lines read, per programme, third party's SIREN and commitment (and their status).

    A line's SIREN is the first nine digits of its own SIRET; the third party's, when the line has none.
    """
    c = pl.col
    siret = status["siret"]
    if siret.str.contains(r"[ .]").any():
        siret = siret.str.replace_all(r"[ .]", "")
    own = siret.str.slice(0, 9)
    short = siret.str.len_bytes() < 9
    if short.any():
        registry = parties.select(
            "tiers", _siren=c("siret").str.replace_all(r"[ .]", "").str.slice(0, 9)
        ).unique("tiers", keep="first")
        theirs = (
            status.select("tiers").filter(short).join(registry, on="tiers", how="left", maintain_order="left")
        )
        own = own.scatter(short.arg_true(), theirs["_siren"].fill_null(""))
    own = own.fill_null("")
    number = ("1" + own).cast(
        pl.UInt64, strict=False
    )  # a SIREN of digits as an integer: grouped ten times faster
    numeric = number.null_count() == 0
    counted = c(commitment[0]) if len(commitment) == 1 else pl.struct(commitment)
    lines = status.select(
        "ej",
        *[k for k in commitment if k != "ej"],
        "engage",
        "consomme",
        "reste",
        "statut",
        programme=per_value(status["centre_source"], programme(c("v")).fill_null("?")),
        siren=number if numeric else own,
    )

    def per(keys: list[str], count: pl.Expr, *extra: pl.Expr) -> pl.LazyFrame:
        return (
            lines.lazy()
            .group_by(keys)
            .agg(
                *extra,
                count.alias("engagements"),
                *sums("source"),
                c("reste").filter(c("statut") == "reprise").sum().alias("reprise_reste"),
                (c("statut") == "reprise").sum().cast(pl.UInt32).alias("reprise_lignes"),
            )
            .sort(keys)
        )

    by_commitment = per(
        commitment, pl.lit(1, pl.UInt32), *([] if commitment == ["ej"] else [c("ej").first()])
    )
    if commitment != ["ej"]:
        by_commitment = by_commitment.drop(commitment)
    by_siren = per(["siren"], counted.n_unique().cast(pl.UInt32))
    if numeric:  # back to text, without the leading 1 that kept leading zeros
        by_siren = by_siren.with_columns(c("siren").cast(pl.String).str.slice(1))
    # one grouping at a time (each already runs on both cores): three hash tables over ten million lines at once
    # would raise the run's peak memory by a gigabyte
    frames = [
        plan.collect()
        for plan in (per(["programme"], counted.n_unique().cast(pl.UInt32)), by_siren, by_commitment)
    ]
    return dict(zip(("programme", "siren", "engagement"), frames, strict=True))
