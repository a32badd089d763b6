"""The data takeover engine: read the extracts, apply rules R01–R16, partition every line read, reconcile with the
target's re-extraction — plain Polars expressions over frames, no Django (the CLI, the background task, the tests
and `bench/` call the same `run_engine`).

What a run proves, line by line:
- `rows_in_file = rows_read + rows_rejected_by_parser` (a line whose amount or date cannot be read, or whose key is
  empty, is a parser rejection with its column and value: never a guess);
- every line read is in exactly one of `excluded_zero_balance` (R02), `blocked` (a blocking anomaly, on the line,
  its commitment — R06 — or its third party — R08, R10) and `in_scope` (ready to migrate), per financial centre
  too, in counts and in cents;
- reconciliation (tolerance zero) joins the in-scope lines with the target's lines on (`N° EJ` = `N° EJ source`,
  `N° poste EJ`): equal, different (naming the fields), missing in target, unexpected in target. `no_loss` is true
  only when nothing is missing, different or unexpected and every target line was read.

Amounts are Int64 cents from end to end; totals are summed from the detail lines, never from rounded sub-totals.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from bascule.reprise.columns import COMMITMENT_COLUMNS, TARGET_COLUMNS, THIRD_PARTY_COLUMNS, HeaderError
from bascule.reprise.identifiers import bic_country_matches, bic_valid, iban_valid, siret_valid
from bascule.reprise.reader import LINE, RawRead, read_file
from bascule.reprise.values import amount_error, date_error, parse_date, with_cents

BLOCKING = "bloquante"
WARNING = "avertissement"

RULES: dict[str, tuple[str, str]] = {
    "R01": (BLOCKING, "Doublon (N° EJ, N° poste EJ)"),
    "R02": (WARNING, "Hors périmètre : reste à payer nul"),
    "R03": (BLOCKING, "Reste à payer ≠ engagé − consommé"),
    "R04": (BLOCKING, "Consommé négatif ou supérieur à l'engagé"),
    "R05": (BLOCKING, "Reste à payer négatif (trop-payé)"),
    "R06": (BLOCKING, "Engagement juridique de montant total nul ou négatif"),
    "R07": (BLOCKING, "Tiers absent du fichier des tiers"),
    "R08": (BLOCKING, "SIRET invalide"),
    "R09": (WARNING, "Même SIRET sur plusieurs tiers"),
    "R10": (BLOCKING, "IBAN invalide"),
    "R11": (WARNING, "BIC invalide ou pays du BIC ≠ pays de l'IBAN"),
    "R12": (BLOCKING, "Centre financier inconnu ou inactif dans la cible"),
    "R13": (BLOCKING, "Domaine fonctionnel ou activité hors du programme du centre financier"),
    "R14": (BLOCKING, "Compte budgétaire inconnu ou inactif dans la cible"),
    "R15": (BLOCKING, "Pas un engagement juridique ferme, ou daté après la date de bascule"),
    "R16": (BLOCKING, "Code source sans correspondance approuvée"),
}
THIRD_PARTY_RULES = ("R08", "R09", "R10", "R11")
MAPPED = ("centre", "domaine", "activite", "compte")
MAPPING_DOMAINS = {
    "centre_financier": "centre",
    "domaine_fonctionnel": "domaine",
    "activite": "activite",
    "compte_budgetaire": "compte",
}
REFERENCE_FILES = {
    "centre": "centres_financiers.csv",
    "domaine": "domaines_fonctionnels.csv",
    "activite": "activites.csv",
    "compte": "comptes_budgetaires.csv",
}
LABELS = {c.key: c.label for c in TARGET_COLUMNS}
AMOUNTS = ("engage", "consomme", "reste")
COMPARED = ("type", "date", "tiers", "centre", "domaine", "activite", "compte", "engage", "consomme", "reste")
NOT_FIRM = r"(?i)r[ée]servation|pr[ée]-?engagement"  # natures that are not firm legal commitments
ANOMALY_SCHEMA = {
    "fichier": pl.String,
    "ligne": pl.Int64,
    "regle": pl.String,
    "gravite": pl.String,
    "colonne": pl.String,
    "valeur": pl.String,
    "message": pl.String,
    "ej": pl.String,
    "poste": pl.String,
    "centre": pl.String,
    "tiers": pl.String,
}


@dataclass
class Source:
    data: bytes
    name: str


@dataclass
class Inputs:
    commitments: Source
    third_parties: Source
    target: Source | None = None
    reference: Mapping[str, bytes] | None = None  # file name → content (centres_financiers.csv…)
    mappings: Source | None = None
    cutoff: date | None = None
    since: date | None = None  # a delta run: only the lines modified after this date
    headers: Mapping[str, str] = field(default_factory=dict)  # the source's saved header mapping


@dataclass
class Outcome:
    summary: dict[str, Any]
    anomalies: pl.DataFrame  # ANOMALY_SCHEMA, parser rejections included (regle "LECTURE")
    centres: pl.DataFrame  # per financial centre: source = in scope + excluded + blocked, and the target
    controls: dict[str, pl.DataFrame]  # control totals per programme, third party (SIREN), commitment
    differences: pl.DataFrame  # every key not equal in the reconciliation


class EngineError(ValueError):
    """A file cannot be used at all (French message naming the file)."""


def euros(cents: int) -> str:
    """Cents as an exact decimal string (`-1234.56`), what the JSON summary carries."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _euros_expr(cents: pl.Expr) -> pl.Expr:
    """Cents as a French amount (`-1234,56`) in messages."""
    return pl.concat_str(
        pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (cents.abs() // 100).cast(pl.String),
        pl.lit(","),
        (cents.abs() % 100).cast(pl.String).str.zfill(2),
    )


def _read(source: Source, columns: Any, what: str, headers: Mapping[str, str]) -> RawRead:
    try:
        read = read_file(source.data, source.name, columns, headers)
    except HeaderError as exc:
        raise EngineError(f"{what} (« {source.name} ») : {exc}") from None
    absent = [column.key for column in columns if column.key not in read.frame.columns]
    read.frame = read.frame.with_columns(
        pl.lit("", pl.String).alias(key) for key in absent
    )  # optional columns
    return read


def _rejections(read: RawRead, file: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "fichier": [file] * len(read.rejected),
            "ligne": [r.line for r in read.rejected],
            "regle": ["LECTURE"] * len(read.rejected),
            "gravite": [BLOCKING] * len(read.rejected),
            "colonne": [""] * len(read.rejected),
            "valeur": [""] * len(read.rejected),
            "message": [f"Ligne rejetée à la lecture : {r.reason}" for r in read.rejected],
        },
        schema={
            k: ANOMALY_SCHEMA[k]
            for k in ("fichier", "ligne", "regle", "gravite", "colonne", "valeur", "message")
        },
    )


def _convert(frame: pl.DataFrame, file: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Amounts to cents and dates to dates; a line with a value that cannot be read is rejected (column, value).

    Values are converted once; the French reasons are written only for the lines where a value did not convert.
    """
    dates = [key for key in ("date", "modifie") if key in frame.columns]
    converted = (
        with_cents(frame, list(AMOUNTS), suffix="_c")
        .rename({f"{key}_c": f"_{key}" for key in AMOUNTS})
        .with_columns(parse_date(pl.col(key)).alias(f"_{key}") for key in dates)
    )
    empty = {key: pl.col(key).is_in(["", "#"]) for key in (*AMOUNTS, *dates, "ej", "poste")}
    failed = pl.any_horizontal(
        empty["ej"],
        empty["poste"],
        *(pl.col(f"_{key}").is_null() for key in AMOUNTS),
        *(pl.col(f"_{key}").is_null() & ~empty[key] for key in dates),
    )
    converted = converted.with_columns(_failed=failed)
    bad = converted.filter(pl.col("_failed"))
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
    checks.extend(pl.concat_str(pl.lit(f"{LABELS[key]}|"), date_error(pl.col(key))) for key in dates)
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
    good = converted.filter(~pl.col("_failed")) if bad.height else converted
    good = good.drop("_failed", *AMOUNTS, *dates).rename({f"_{key}": key for key in (*AMOUNTS, *dates)})
    return good.with_columns(pl.col("type").str.to_uppercase()), rejected


def _programme(code: pl.Expr) -> pl.Expr:
    """The programme of a centre, domain or activity code: the 4 digits that open it, after a company prefix."""
    head = code.str.replace(r"^[^/]*/", "").str.slice(0, 4)
    return pl.when(head.str.contains(r"^[0-9]{4}$")).then(head)


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _reference(files: Mapping[str, bytes]) -> dict[str, pl.DataFrame]:
    """Each reference table as (code, actif); a missing or malformed file is a French error."""
    tables: dict[str, pl.DataFrame] = {}
    for key, name in REFERENCE_FILES.items():
        data = files.get(name)
        if data is None:
            if key == "compte" or key == "centre":
                raise EngineError(f"Référentiel cible : le fichier « {name} » manque.")
            continue
        text = data.decode("utf-8-sig", errors="strict") if _is_utf8(data) else data.decode("cp1252")
        try:
            frame = pl.read_csv(io.StringIO(text), separator=";", infer_schema=False)
        except pl.exceptions.PolarsError as exc:
            raise EngineError(f"Référentiel cible « {name} » illisible : {exc}") from None
        names = {re.sub(r"[^a-z]", "", _plain(c)): c for c in frame.columns}
        if "code" not in names or "actif" not in names:
            raise EngineError(f"Référentiel cible « {name} » : colonnes attendues « Code;Libellé;Actif ».")
        tables[key] = frame.select(
            code=pl.col(names["code"]).str.strip_chars(),
            actif=pl.col(names["actif"])
            .str.strip_chars()
            .str.to_lowercase()
            .is_in(["oui", "o", "1", "vrai"]),
        ).unique("code", keep="first")
    return tables


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _mappings(source: Source) -> pl.DataFrame:
    """Approved value mappings (domain, source value, target value); an unknown domain is a French error."""
    data = source.data
    text = data.decode("utf-8-sig") if _is_utf8(data) else data.decode("cp1252")
    separator = ";" if text.split("\n", 1)[0].count(";") else ","
    try:
        frame = pl.read_csv(io.StringIO(text), separator=separator, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise EngineError(f"Correspondances (« {source.name} ») illisibles : {exc}") from None
    names = {re.sub(r"[^a-z]", "", _plain(c)): c for c in frame.columns}
    wanted = {
        "domaine": "Domaine",
        "valeursource": "Valeur source",
        "valeurcible": "Valeur cible",
        "approuvepar": "Approuvé par",
    }
    missing = [label for key, label in wanted.items() if key not in names]
    if missing:
        raise EngineError(
            f"Correspondances (« {source.name} ») : colonne(s) absente(s) "
            + ", ".join(f"« {m} »" for m in missing)
            + " (attendu « Domaine;Valeur source;Valeur cible;Approuvé par »)."
        )
    frame = frame.select(
        domaine=pl.col(names["domaine"]).str.strip_chars(),
        source=pl.col(names["valeursource"]).str.strip_chars(),
        cible=pl.col(names["valeurcible"]).str.strip_chars(),
        approuve=pl.col(names["approuvepar"]).str.strip_chars().fill_null(""),
    )
    unknown = frame.filter(~pl.col("domaine").is_in(list(MAPPING_DOMAINS)))
    if unknown.height:
        raise EngineError(
            f"Correspondances (« {source.name} ») : domaine « {unknown['domaine'][0]} » inconnu "
            f"(attendu {', '.join(MAPPING_DOMAINS)})."
        )
    return frame.with_columns(
        approuvee=(pl.col("approuve") != "") & pl.col("cible").is_not_null() & (pl.col("cible") != "")
    )


def _anomalies(
    frame: pl.DataFrame, mask: pl.Expr, rule: str, column: str, value: pl.Expr, message: pl.Expr
) -> pl.DataFrame:
    return frame.filter(mask).select(
        fichier=pl.lit("engagements"),
        ligne=pl.col(LINE),
        regle=pl.lit(rule),
        gravite=pl.lit(RULES[rule][0]),
        colonne=pl.lit(LABELS.get(column, column)),
        valeur=value.cast(pl.String),
        message=message,
        ej=pl.col("ej"),
        poste=pl.col("poste"),
        centre=pl.col("centre_source"),
        tiers=pl.col("tiers"),
    )


def _line_rules(
    lines: pl.DataFrame,
    codes: pl.DataFrame,
    inputs: Inputs,
    mapped: pl.DataFrame | None,
    reference: dict[str, pl.DataFrame],
) -> list[pl.DataFrame]:
    c = pl.col
    found: list[pl.DataFrame] = []
    key = ["ej", "poste"]
    repeated = lines.filter(~pl.struct(key).is_first_distinct())
    if (
        repeated.height
    ):  # the first line of each repeated key, for the message (few rows: joined, not windowed)
        firsts = (
            lines.join(repeated.select(key).unique(), on=key, how="semi")
            .group_by(key)
            .agg(c(LINE).min().alias("_first"))
        )
        repeated = repeated.join(firsts, on=key, how="left")
    else:
        repeated = repeated.with_columns(_first=pl.lit(None, pl.Int64))
    found.append(
        _anomalies(
            repeated,
            pl.lit(True),
            "R01",
            "poste",
            c("poste"),
            pl.format("Poste {} de l'EJ {} en double (déjà ligne {})", c("poste"), c("ej"), c("_first")),
        )
    )
    found.append(
        _anomalies(
            lines,
            c("reste") == 0,
            "R02",
            "reste",
            _euros_expr(c("reste")),
            pl.lit("Reste à payer nul : ligne exclue de la reprise (comptée et listée)"),
        )
    )
    gap = c("engage") - c("consomme") - c("reste")
    found.append(
        _anomalies(
            lines,
            gap != 0,
            "R03",
            "reste",
            _euros_expr(c("reste")),
            pl.format(
                "Reste à payer {} ≠ engagé {} − consommé {} (écart {})",
                _euros_expr(c("reste")),
                _euros_expr(c("engage")),
                _euros_expr(c("consomme")),
                _euros_expr(-gap),
            ),
        )
    )
    commitment = c("engage") >= 0  # a negative engaged amount is a de-commitment: exempt from R04 and R05
    found.append(
        _anomalies(
            lines,
            commitment & ((c("consomme") < 0) | (c("consomme") > c("engage"))),
            "R04",
            "consomme",
            _euros_expr(c("consomme")),
            pl.format(
                "Consommé {} hors de [0 ; engagé {}]", _euros_expr(c("consomme")), _euros_expr(c("engage"))
            ),
        )
    )
    found.append(
        _anomalies(
            lines,
            commitment & (c("reste") < 0),
            "R05",
            "reste",
            _euros_expr(c("reste")),
            pl.format("Reste à payer négatif {} : trop-payé à régulariser", _euros_expr(c("reste"))),
        )
    )
    totals = (
        lines.group_by("ej").agg(c("engage").sum().alias("_total"), c(LINE).min()).filter(c("_total") <= 0)
    )
    totals = lines.join(totals, on=["ej", LINE], how="inner")  # each nil commitment at its first line
    found.append(
        _anomalies(
            totals,
            pl.lit(True),
            "R06",
            "engage",
            _euros_expr(c("_total")),
            pl.format("EJ {} : montant engagé total {} (nul ou négatif)", c("ej"), _euros_expr(c("_total"))),
        )
    )
    known = lines.join(codes.select(tiers=c("tiers"), _known=pl.lit(True)), on="tiers", how="left")
    found.append(
        _anomalies(
            known,
            c("_known").is_null(),
            "R07",
            "tiers",
            c("tiers"),
            pl.when(c("tiers") == "")
            .then(pl.lit("Code tiers absent"))
            .otherwise(pl.format("Tiers {} absent du fichier des tiers", c("tiers"))),
        )
    )
    if mapped is not None:
        for column in MAPPED:
            found.append(
                _anomalies(
                    mapped,
                    c(f"_{column}_unmapped"),
                    "R16",
                    column,
                    c(f"_{column}_source"),
                    pl.format(
                        "Aucune correspondance approuvée pour « {} » ({})",
                        c(f"_{column}_source"),
                        pl.lit(LABELS[column]),
                    ),
                )
            )
        checked = mapped
    else:
        checked = lines
    for column, rule in (("centre", "R12"), ("compte", "R14")):
        table = reference.get(column)
        if table is None:
            continue
        joined = checked.join(table.rename({"code": column, "actif": "_actif"}), on=column, how="left")
        skip = c(f"_{column}_unmapped") if mapped is not None else pl.lit(False)
        found.append(
            _anomalies(
                joined,
                ~skip & (c("_actif").is_null() | ~c("_actif")),
                rule,
                column,
                c(column),
                pl.when(c("_actif").is_null())
                .then(pl.format("« {} » inconnu dans le référentiel cible", c(column)))
                .otherwise(pl.format("« {} » inactif dans le référentiel cible", c(column))),
            )
        )
    centre_programme = _programme(c("centre"))
    for column in ("domaine", "activite"):
        skip = (c(f"_{column}_unmapped") | c("_centre_unmapped")) if mapped is not None else pl.lit(False)
        present = c(column).is_not_null() & ~c(column).is_in(["", "#"]) & c("centre").is_not_null()
        mismatch = (
            centre_programme.is_null()
            | _programme(c(column)).is_null()
            | (centre_programme != _programme(c(column)))
        )
        found.append(
            _anomalies(
                checked,
                ~skip & present & mismatch,
                "R13",
                column,
                c(column),
                pl.format(
                    "« {} » n'est pas du programme {} du centre financier {}",
                    c(column),
                    centre_programme.fill_null("?"),
                    c("centre"),
                ),
            )
        )
    not_firm = c("nature").str.contains(NOT_FIRM)
    late = (c("date") > pl.lit(inputs.cutoff)) if inputs.cutoff else pl.lit(False)
    found.append(
        _anomalies(
            lines,
            not_firm | late,
            "R15",
            "nature",
            pl.when(not_firm).then(c("nature")).otherwise(c("date").cast(pl.String)),
            pl.when(not_firm)
            .then(pl.format("« {} » n'est pas un engagement juridique ferme", c("nature")))
            .otherwise(
                pl.format(
                    "EJ daté du {} après la date de bascule {}",
                    c("date").dt.strftime("%d/%m/%Y"),
                    pl.lit(inputs.cutoff.strftime("%d/%m/%Y") if inputs.cutoff else ""),
                )
            ),
        )
    )
    return found


def _apply_mappings(lines: pl.DataFrame, mappings: pl.DataFrame) -> pl.DataFrame:
    """Each mapped column translated to its target code; `_<col>_unmapped` when a value has no approved mapping.

    Only the domains the mapping file names are translated (a file of budget accounts leaves the centres as read).
    """
    mapped = lines
    named = set(mappings["domaine"].unique().to_list())
    for domain, column in MAPPING_DOMAINS.items():
        if domain not in named:
            mapped = mapped.with_columns(
                pl.col(column).alias(f"_{column}_source"), pl.lit(False).alias(f"_{column}_unmapped")
            )
            continue
        approved = mappings.filter(pl.col("approuvee"))
        table = (
            approved.filter(pl.col("domaine") == domain)
            .unique("source", keep="first")
            .select(pl.col("source").alias(column), pl.col("cible").alias("_cible"))
        )
        present = pl.col(column).is_not_null() & ~pl.col(column).is_in(["", "#"])
        mapped = (
            mapped.join(table, on=column, how="left")
            .with_columns(
                pl.col(column).alias(f"_{column}_source"),
                (present & pl.col("_cible").is_null()).alias(f"_{column}_unmapped"),
            )
            .with_columns(pl.when(present).then(pl.col("_cible")).otherwise(pl.col(column)).alias(column))
            .drop("_cible")
        )
    return mapped


def _third_party_rules(parties: pl.DataFrame) -> pl.DataFrame:
    c = pl.col
    siret = c("siret").str.replace_all(r"[ .]", "")
    iban = c("iban").str.replace_all(" ", "", literal=True).str.to_uppercase()
    bic = c("bic").str.replace_all(" ", "", literal=True).str.to_uppercase()
    has_siret = siret.is_not_null() & (siret != "")
    has_iban = iban.is_not_null() & (iban != "")
    has_bic = bic.is_not_null() & (bic != "")
    frame = parties.with_columns(
        _siret=siret,
        _rank=pl.when(has_siret).then(pl.int_range(pl.len()).over(siret)),
        _first=c(LINE).min().over(siret),
        _iban_ok=iban_valid(iban),
    )

    def flagged(mask: pl.Expr, rule: str, column: str, value: pl.Expr, message: pl.Expr) -> pl.DataFrame:
        return frame.filter(mask).select(
            fichier=pl.lit("tiers"),
            ligne=c(LINE),
            regle=pl.lit(rule),
            gravite=pl.lit(RULES[rule][0]),
            colonne=pl.lit(column),
            valeur=value,
            message=message,
            ej=pl.lit(None, pl.String),
            poste=pl.lit(None, pl.String),
            centre=pl.lit(None, pl.String),
            tiers=c("tiers"),
        )

    return pl.concat(
        [
            flagged(
                has_siret & ~siret_valid(siret),
                "R08",
                "SIRET",
                c("siret"),
                pl.format(
                    "SIRET « {} » invalide (14 chiffres, clé de Luhn du SIRET et du SIREN)", c("siret")
                ),
            ),
            flagged(
                has_siret & (c("_rank") > 0),
                "R09",
                "SIRET",
                c("siret"),
                pl.format("SIRET « {} » déjà porté par un autre tiers (ligne {})", c("siret"), c("_first")),
            ),
            flagged(
                has_iban & ~c("_iban_ok"),
                "R10",
                "IBAN",
                c("iban"),
                pl.format("IBAN « {} » invalide (structure du pays, clé ISO 13616 ou clé RIB)", c("iban")),
            ),
            flagged(
                has_bic & (~bic_valid(bic) | (has_iban & c("_iban_ok") & ~bic_country_matches(bic, iban))),
                "R11",
                "BIC",
                c("bic"),
                pl.when(~bic_valid(bic))
                .then(pl.format("BIC « {} » invalide", c("bic")))
                .otherwise(
                    pl.format(
                        "Le BIC « {} » n'est pas du pays de l'IBAN ({})", c("bic"), iban.str.slice(0, 2)
                    )
                ),
            ),
        ]
    )


def _sums(prefix: str) -> list[pl.Expr]:
    return [
        pl.len().alias(f"{prefix}_lignes"),
        pl.col("engage").sum().alias(f"{prefix}_engage"),
        pl.col("consomme").sum().alias(f"{prefix}_consomme"),
        pl.col("reste").sum().alias(f"{prefix}_reste"),
    ]


def _totals(frame: pl.DataFrame) -> dict[str, str]:
    row = frame.select(pl.col(k).sum() for k in AMOUNTS).row(0)
    return {
        name: euros(int(v or 0)) for name, v in zip(("engaged", "consumed", "remaining"), row, strict=True)
    }


def run_engine(inputs: Inputs, progress: Any = None) -> Outcome:
    """Read, check, partition and reconcile; raises EngineError when a file cannot be used at all."""
    step = progress or (lambda percent, message: None)
    c = pl.col
    step(5, "Lecture des engagements")
    raw = _read(inputs.commitments, COMMITMENT_COLUMNS, "Fichier des engagements", inputs.headers)
    step(25, "Lecture des tiers")
    raw_parties = _read(inputs.third_parties, THIRD_PARTY_COLUMNS, "Fichier des tiers", inputs.headers)
    reference = _reference(inputs.reference) if inputs.reference else {}
    mappings = _mappings(inputs.mappings) if inputs.mappings else None
    step(35, "Conversion des montants et des dates")
    lines, value_rejections = _convert(raw.frame, "engagements")
    rejections = pl.concat([_rejections(raw, "engagements"), value_rejections])
    party_rejections = _rejections(raw_parties, "tiers")
    parties = raw_parties.frame
    unchanged = 0
    latest = lines.select(pl.col("modifie").max()).item() if "modifie" in lines.columns else None
    if inputs.since is not None and "modifie" in lines.columns:
        changed = c("modifie").is_null() | (c("modifie") > pl.lit(inputs.since))
        unchanged = lines.height - lines.filter(changed).height
        lines = lines.filter(changed)
    lines = lines.with_columns(centre_source=c("centre"))
    step(45, "Règles R01 à R16")
    mapped = _apply_mappings(lines, mappings) if mappings is not None else None
    codes = parties.select("tiers").unique()
    line_anomalies = pl.concat(_line_rules(lines, codes, inputs, mapped, reference))
    party_anomalies = _third_party_rules(parties)
    step(60, "Périmètre et blocages")
    blocking = (
        line_anomalies.filter((c("gravite") == BLOCKING) & (c("regle") != "R06"))
        .select(LINE=c("ligne"))
        .unique()
    )
    blocked_ejs = line_anomalies.filter(c("regle") == "R06").select("ej").unique()
    blocked_parties = party_anomalies.filter(c("gravite") == BLOCKING).select("tiers").unique()
    target_lines = mapped if mapped is not None else lines
    status = (
        target_lines.join(blocking.rename({"LINE": LINE}).with_columns(_b1=pl.lit(True)), on=LINE, how="left")
        .join(blocked_ejs.with_columns(_b2=pl.lit(True)), on="ej", how="left")
        .join(blocked_parties.with_columns(_b3=pl.lit(True)), on="tiers", how="left")
        .with_columns(
            statut=pl.when(c("reste") == 0)
            .then(pl.lit("exclue"))
            .when(c("_b1").fill_null(False) | c("_b2").fill_null(False) | c("_b3").fill_null(False))
            .then(pl.lit("bloquee"))
            .otherwise(pl.lit("reprise"))
        )
        .drop("_b1", "_b2", "_b3")
    )
    step(70, "Rapprochement")
    centres = (
        status.group_by("centre_source")
        .agg(
            *_sums("source"),
            *[
                expr
                for name in ("reprise", "exclue", "bloquee")
                for expr in (
                    c(LINE).filter(c("statut") == name).count().alias(f"{name}_lignes"),
                    *(c(k).filter(c("statut") == name).sum().alias(f"{name}_{k}") for k in AMOUNTS),
                )
            ],
        )
        .rename({"centre_source": "centre"})
    )
    in_scope = status.filter(c("statut") == "reprise")
    target_summary: dict[str, Any] | None = None
    reconciliation: dict[str, int] | None = None
    differences = pl.DataFrame(
        schema={
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
    )
    no_loss: bool | None = None
    if inputs.target is not None:
        raw_target = _read(inputs.target, TARGET_COLUMNS, "Ré-extraction de la cible", inputs.headers)
        target, target_value_rejections = _convert(raw_target.frame, "cible")
        rejections = pl.concat([rejections, _rejections(raw_target, "cible"), target_value_rejections])
        target = target.with_columns(ej_cible=c("ej"), ej=c("ej_source"))
        if inputs.since is not None:  # a delta compares only the keys it carries
            target = target.join(status.select("ej", "poste"), on=["ej", "poste"], how="semi")
        target = target.with_columns(_dup=~pl.struct("ej", "poste").is_first_distinct())
        joined = in_scope.select("ej", "poste", LINE, "centre_source", *COMPARED).join(
            target.filter(~c("_dup")).select(
                "ej", "poste", c(LINE).alias("_ligne_cible"), *(c(k).alias(f"{k}_cible") for k in COMPARED)
            ),
            on=["ej", "poste"],
            how="full",
            coalesce=True,
        )
        differing = [pl.when(c(k).ne_missing(c(f"{k}_cible"))).then(pl.lit(LABELS[k])) for k in COMPARED]
        joined = joined.with_columns(champs=pl.concat_str(differing, separator=", ", ignore_nulls=True))
        joined = joined.with_columns(
            categorie=pl.when(c("_ligne_cible").is_null())
            .then(pl.lit("absente de la cible"))
            .when(c(LINE).is_null())
            .then(pl.lit("inattendue dans la cible"))
            .when(c("champs") != "")
            .then(pl.lit("différente"))
            .otherwise(pl.lit("égale")),
        )
        counts = dict(joined.group_by("categorie").len().iter_rows())
        extra = target.filter(c("_dup")).select(
            categorie=pl.lit("inattendue dans la cible"),
            ej=c("ej"),
            poste=c("poste"),
            ligne_source=pl.lit(None, pl.Int64),
            ligne_cible=c(LINE),
            centre=c("centre"),
            champs=pl.lit("doublon dans la cible"),
            reste_source=pl.lit(None, pl.Int64),
            reste_cible=c("reste"),
        )
        differences = pl.concat(
            [
                joined.filter(c("categorie") != "égale").select(
                    "categorie",
                    "ej",
                    "poste",
                    ligne_source=c(LINE),
                    ligne_cible=c("_ligne_cible"),
                    centre=pl.coalesce(c("centre_source"), c("centre_cible")),
                    champs=pl.when(c("categorie") == "différente").then(c("champs")).otherwise(pl.lit("")),
                    reste_source=c("reste"),
                    reste_cible=c("reste_cible"),
                ),
                extra,
            ]
        )
        reconciliation = {
            "equal": counts.get("égale", 0),
            "different": counts.get("différente", 0),
            "missing_in_target": counts.get("absente de la cible", 0),
            "unexpected_in_target": counts.get("inattendue dans la cible", 0) + extra.height,
        }
        target_rejected = len(raw_target.rejected) + target_value_rejections.height
        no_loss = (
            reconciliation["different"] == 0
            and reconciliation["missing_in_target"] == 0
            and reconciliation["unexpected_in_target"] == 0
            and target_rejected == 0
        )
        loaded = [
            joined.filter(c("_ligne_cible").is_not_null()).select(
                centre=pl.coalesce(c("centre_source"), c("centre_cible")),
                engage=c("engage_cible"),
                consomme=c("consomme_cible"),
                reste=c("reste_cible"),
            ),
            target.filter(c("_dup")).select("centre", "engage", "consomme", "reste"),
        ]
        target_by_centre = pl.concat(loaded).group_by("centre").agg(*_sums("cible"))
        centres = centres.join(target_by_centre, on="centre", how="full", coalesce=True)
        target_summary = {
            "rows_in_file": raw_target.rows_in_file,
            "rows_read": target.height,
            "rows_rejected_by_parser": target_rejected,
            "totals": _totals(target),
        }
    step(85, "Totaux de contrôle")
    controls = _controls(status, parties)
    anomalies = pl.concat(
        [
            line_anomalies,
            party_anomalies,
            rejections.with_columns(
                ej=pl.lit(None, pl.String),
                poste=pl.lit(None, pl.String),
                centre=pl.lit(None, pl.String),
                tiers=pl.lit(None, pl.String),
            ),
            party_rejections.with_columns(
                ej=pl.lit(None, pl.String),
                poste=pl.lit(None, pl.String),
                centre=pl.lit(None, pl.String),
                tiers=pl.lit(None, pl.String),
            ),
        ]
    ).sort("fichier", "ligne", "regle")
    by_rule = _count_by_rule(line_anomalies, party_anomalies)
    statuses = dict(status.group_by("statut").len().iter_rows())
    summary: dict[str, Any] = {
        "rows_in_file": raw.rows_in_file,
        "rows_read": lines.height + unchanged,
        "rows_rejected_by_parser": raw.rows_in_file - raw.rows_read + value_rejections.height,
        "rows_unchanged_since_previous": unchanged,
        "in_scope": statuses.get("reprise", 0),
        "excluded_zero_balance": statuses.get("exclue", 0),
        "blocked": statuses.get("bloquee", 0),
        "anomalies_by_rule": by_rule,
        "totals": _totals(status),
        "totals_in_scope": _totals(in_scope),
        "third_parties": {
            "rows_in_file": raw_parties.rows_in_file,
            "rows_read": raw_parties.rows_read,
            "rows_rejected_by_parser": len(raw_parties.rejected),
        },
        "target": target_summary,
        "reconciliation": reconciliation,
        "no_loss": no_loss,
        "max_modified": latest.isoformat() if latest else None,
        "ignored_headers": raw.ignored_headers,
        "encoding": raw.encoding,
    }
    step(95, "Synthèse")
    return Outcome(
        summary, anomalies, centres.sort("centre"), controls, differences.sort("ej", "poste", nulls_last=True)
    )


def _count_by_rule(lines: pl.DataFrame, parties: pl.DataFrame) -> dict[str, int]:
    """Commitment lines per rule (distinct lines), commitments for R06, third-party rows for R08–R11."""
    counted = dict(lines.group_by("regle").agg(pl.col("ligne").n_unique()).iter_rows())
    counted.update(dict(parties.group_by("regle").agg(pl.col("ligne").n_unique()).iter_rows()))
    return {rule: int(counted.get(rule, 0)) for rule in RULES}


def _controls(status: pl.DataFrame, parties: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Control totals of the lines read, per programme, third party's SIREN and commitment (and their status)."""
    c = pl.col
    siren = parties.select("tiers", _siren=c("siret").str.replace_all(r"[ .]", "").str.slice(0, 9)).unique(
        "tiers", keep="first"
    )
    lines = status.join(siren, on="tiers", how="left").with_columns(
        programme=_programme(c("centre_source")).fill_null("?"),
        siren=pl.coalesce(
            pl.when(c("siret").str.len_chars() >= 9).then(
                c("siret").str.replace_all(r"[ .]", "").str.slice(0, 9)
            ),
            c("_siren"),
        ).fill_null(""),
    )

    def per(keys: list[str]) -> pl.DataFrame:
        return (
            lines.group_by(keys)
            .agg(
                c("ej").n_unique().alias("engagements"),
                *_sums("source"),
                c("reste").filter(c("statut") == "reprise").sum().alias("reprise_reste"),
                c(LINE).filter(c("statut") == "reprise").count().alias("reprise_lignes"),
            )
            .sort(keys)
        )

    return {"programme": per(["programme"]), "siren": per(["siren"]), "engagement": per(["ej"])}
