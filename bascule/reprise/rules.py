"""Rules R01–R16 of the data takeover, as Polars expressions over the typed lines (`convert.py`), the third
parties, the target's reference tables and the approved value mappings.

Built for ten million lines on two cores: a rule over a low-cardinality code (R12–R16: financial centres, domains,
activities, budget accounts, natures) is decided once per distinct value, and the lines are then flagged by a
membership test against the few bad values; R01 and R06 work on the integer keys (`convert.keys`) of a narrow
frame sorted once. Each anomaly names its line, column, value and a French message.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping
from datetime import date

import polars as pl

from bascule.reprise.columns import TARGET_COLUMNS
from bascule.reprise.identifiers import bic_country_matches, bic_valid, iban_valid, siret_valid
from bascule.reprise.reader import LINE

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


class EngineError(ValueError):
    """A file cannot be used at all (French message naming the file)."""


def euros(cents: int) -> str:
    """Cents as an exact decimal string (`-1234.56`), what the JSON summary carries."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def euros_expr(cents: pl.Expr) -> pl.Expr:
    """Cents as a French amount (`-1234,56`) in messages."""
    return pl.concat_str(
        pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (cents.abs() // 100).cast(pl.String),
        pl.lit(","),
        (cents.abs() % 100).cast(pl.String).str.zfill(2),
    )


def programme(code: pl.Expr) -> pl.Expr:
    """The programme of a centre, domain or activity code: the 4 digits that open it, after a company prefix."""
    head = code.str.replace(r"^[^/]*/", "").str.slice(0, 4)
    return pl.when(head.str.contains(r"^[0-9]{4}$")).then(head)


def per_value(column: pl.Series, expr_of: pl.Expr) -> pl.Series:
    """`expr_of` (an expression of `pl.col("v")`) computed once per distinct value of `column`, for every line:
    ten million lines carry a few hundred centres, domains or natures."""
    values = column.drop_nulls().unique()
    results = pl.DataFrame({"v": values}, schema={"v": column.dtype}).select(expr_of)[:, 0]
    return column.replace_strict(values, results, default=None, return_dtype=results.dtype)


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def load_reference(files: Mapping[str, bytes]) -> dict[str, pl.DataFrame]:
    """Each reference table as (code, actif); a missing or malformed file is a French error."""
    tables: dict[str, pl.DataFrame] = {}
    for key, name in REFERENCE_FILES.items():
        data = files.get(name)
        if data is None:
            if key == "compte" or key == "centre":
                raise EngineError(f"Référentiel cible : le fichier « {name} » manque.")
            continue
        try:
            frame = pl.read_csv(io.StringIO(_text(data)), separator=";", infer_schema=False)
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


def load_mappings(data: bytes, name: str) -> pl.DataFrame:
    """Approved value mappings (domain, source value, target value); an unknown domain is a French error."""
    text = _text(data)
    separator = ";" if text.split("\n", 1)[0].count(";") else ","
    try:
        frame = pl.read_csv(io.StringIO(text), separator=separator, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise EngineError(f"Correspondances (« {name} ») illisibles : {exc}") from None
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
            f"Correspondances (« {name} ») : colonne(s) absente(s) "
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
            f"Correspondances (« {name} ») : domaine « {unknown['domaine'][0]} » inconnu "
            f"(attendu {', '.join(MAPPING_DOMAINS)})."
        )
    return frame.with_columns(
        approuvee=(pl.col("approuve") != "") & pl.col("cible").is_not_null() & (pl.col("cible") != "")
    )


def apply_mappings(lines: pl.DataFrame, mappings: pl.DataFrame) -> pl.DataFrame:
    """Each mapped column translated to its target code; `_<col>_unmapped` when a value has no approved mapping,
    `_<col>_source` keeping the value read. Only the domains the mapping file names are translated (a file of
    budget accounts leaves the centres as read). Decided per distinct value."""
    named = set(mappings["domaine"].unique().to_list())
    approved = mappings.filter(pl.col("approuvee"))
    columns: list[pl.Series] = []
    for domain, column in MAPPING_DOMAINS.items():
        read = lines[column]
        if domain not in named:
            columns.append(pl.repeat(False, lines.height, eager=True).alias(f"_{column}_unmapped"))
            continue
        table = approved.filter(pl.col("domaine") == domain).unique("source", keep="first")
        values = read.drop_nulls().unique()
        known = dict(zip(table["source"].to_list(), table["cible"].to_list(), strict=True))
        present = [v is not None and v not in ("", "#") for v in values.to_list()]
        target = [known.get(v) if p else v for v, p in zip(values.to_list(), present, strict=True)]
        unmapped = [p and known.get(v) is None for v, p in zip(values.to_list(), present, strict=True)]
        columns.append(
            read.replace_strict(values, pl.Series(target, dtype=pl.String), default=None).alias(column)
        )
        columns.append(
            read.replace_strict(values, pl.Series(unmapped, dtype=pl.Boolean), default=False).alias(
                f"_{column}_unmapped"
            )
        )
    return lines.with_columns(*(pl.col(column).alias(f"_{column}_source") for column in MAPPED), *columns)


def starts(on: list[str]) -> pl.Expr:
    """True on the first row of each run of equal keys `on` in a frame sorted by them."""
    return pl.any_horizontal([pl.col(k).ne_missing(pl.col(k).shift(1)) for k in on]).fill_null(True)


def _anomalies(
    frame: pl.DataFrame, mask: pl.Expr, rule: str, column: str, value: pl.Expr, message: pl.Expr
) -> pl.LazyFrame:
    """The lines `mask` flags as anomalies of `rule` — a plan: the caller collects every rule's at once, each
    reading only the columns it names (on ten million lines, a filter over every column costs seconds)."""
    return (
        frame.lazy()
        .filter(mask)
        .select(
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
    )


def key_rules(
    lines: pl.DataFrame, key: list[str], commitment: list[str]
) -> tuple[list[pl.LazyFrame], pl.DataFrame]:
    """R01 (a repeated (EJ, poste), every line beyond the first) and R06 (a commitment whose engaged total is nil or
    negative, at its first line); and the commitments R06 blocks (their `commitment` key columns).

    A narrow frame (keys, line, engaged amount) is sorted once by key and line: repeats are neighbours, and a
    commitment's lines are contiguous, so both rules are comparisons with the previous row and a sorted grouping.
    """
    c = pl.col
    order = [*key, LINE]
    narrow = lines.select(*dict.fromkeys([*key, *commitment]), LINE, "engage").sort(order)
    first = starts(key)
    repeated = (
        narrow.with_columns(_start=first)
        .with_columns(_first=pl.when(c("_start")).then(c(LINE)).forward_fill())
        .filter(~c("_start"))
        .select(LINE, "_first")
    )
    grouped = narrow.with_columns(c(commitment[0]).set_sorted()) if len(commitment) == 1 else narrow
    nil = (
        grouped.group_by(commitment)
        .agg(c("engage").sum().alias("_total"), c(LINE).min())
        .filter(c("_total") <= 0)
    )
    found = []
    duplicates = (
        lines.join(repeated, on=LINE, how="inner")
        if repeated.height
        else lines.clear().with_columns(_first=pl.lit(None, pl.Int64))
    )
    found.append(
        _anomalies(
            duplicates,
            pl.lit(True),
            "R01",
            "poste",
            c("poste"),
            pl.format("Poste {} de l'EJ {} en double (déjà ligne {})", c("poste"), c("ej"), c("_first")),
        )
    )
    firsts = lines.join(nil.select(LINE, "_total"), on=LINE, how="inner")
    found.append(
        _anomalies(
            firsts,
            pl.lit(True),
            "R06",
            "engage",
            euros_expr(c("_total")),
            pl.format("EJ {} : montant engagé total {} (nul ou négatif)", c("ej"), euros_expr(c("_total"))),
        )
    )
    return found, nil.select(commitment)


def line_rules(
    lines: pl.DataFrame,
    codes: pl.Series,
    cutoff: date | None,
    mapped: pl.DataFrame | None,
    reference: dict[str, pl.DataFrame],
) -> list[pl.LazyFrame]:
    """R02–R05, R07 and R12–R16, one anomaly frame per rule (and per column for R13, R16)."""
    c = pl.col
    found: list[pl.LazyFrame] = []
    found.append(
        _anomalies(
            lines,
            c("reste") == 0,
            "R02",
            "reste",
            euros_expr(c("reste")),
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
            euros_expr(c("reste")),
            pl.format(
                "Reste à payer {} ≠ engagé {} − consommé {} (écart {})",
                euros_expr(c("reste")),
                euros_expr(c("engage")),
                euros_expr(c("consomme")),
                euros_expr(-gap),
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
            euros_expr(c("consomme")),
            pl.format(
                "Consommé {} hors de [0 ; engagé {}]", euros_expr(c("consomme")), euros_expr(c("engage"))
            ),
        )
    )
    found.append(
        _anomalies(
            lines,
            commitment & (c("reste") < 0),
            "R05",
            "reste",
            euros_expr(c("reste")),
            pl.format("Reste à payer négatif {} : trop-payé à régulariser", euros_expr(c("reste"))),
        )
    )
    found.append(
        _anomalies(
            lines,
            ~c("tiers").is_in(codes.implode()),
            "R07",
            "tiers",
            c("tiers"),
            pl.when(c("tiers") == "")
            .then(pl.lit("Code tiers absent"))
            .otherwise(pl.format("Tiers {} absent du fichier des tiers", c("tiers"))),
        )
    )
    checked = mapped if mapped is not None else lines
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
    for column, rule in (("centre", "R12"), ("compte", "R14")):
        table = reference.get(column)
        if table is None:
            continue
        active = table.filter(c("actif"))["code"]
        skip = c(f"_{column}_unmapped") if mapped is not None else pl.lit(False)
        found.append(
            _anomalies(
                checked,
                ~skip & ~c(column).is_in(active.implode()),
                rule,
                column,
                c(column),
                pl.when(c(column).is_in(table["code"].implode()))
                .then(pl.format("« {} » inactif dans le référentiel cible", c(column)))
                .otherwise(pl.format("« {} » inconnu dans le référentiel cible", c(column))),
            )
        )
    programmes = checked.select(
        *(
            per_value(checked[column], programme(c("v"))).alias(f"_{column}_programme")
            for column in ("centre", "domaine", "activite")
        )
    )
    with_programmes = checked.with_columns(programmes)
    centre_programme = c("_centre_programme")
    for column in ("domaine", "activite"):
        skip = (c(f"_{column}_unmapped") | c("_centre_unmapped")) if mapped is not None else pl.lit(False)
        present = c(column).is_not_null() & ~c(column).is_in(["", "#"]) & c("centre").is_not_null()
        own = c(f"_{column}_programme")
        mismatch = centre_programme.is_null() | own.is_null() | (centre_programme != own)
        found.append(
            _anomalies(
                with_programmes,
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
    not_firm = per_value(lines["nature"], c("v").str.contains(NOT_FIRM).fill_null(False))
    late = (c("date") > pl.lit(cutoff)) if cutoff else pl.lit(False)
    flagged = lines.with_columns(_not_firm=not_firm)
    found.append(
        _anomalies(
            flagged,
            c("_not_firm") | late,
            "R15",
            "nature",
            pl.when(c("_not_firm")).then(c("nature")).otherwise(c("date").cast(pl.String)),
            pl.when(c("_not_firm"))
            .then(pl.format("« {} » n'est pas un engagement juridique ferme", c("nature")))
            .otherwise(
                pl.format(
                    "EJ daté du {} après la date de bascule {}",
                    c("date").dt.strftime("%d/%m/%Y"),
                    pl.lit(cutoff.strftime("%d/%m/%Y") if cutoff else ""),
                )
            ),
        )
    )
    return found


def third_party_rules(parties: pl.DataFrame) -> pl.DataFrame:
    """R08–R11 on the third-party rows (500,000 at most in practice: plain expressions)."""
    c = pl.col
    siret = c("siret").str.replace_all(r"[ .]", "")
    iban = c("iban").str.replace_all(" ", "", literal=True).str.to_uppercase()
    bic = c("bic").str.replace_all(" ", "", literal=True).str.to_uppercase()
    has_siret = siret.is_not_null() & (siret != "")
    has_iban = iban.is_not_null() & (iban != "")
    has_bic = bic.is_not_null() & (bic != "")
    frame = (  # lazily: the identifier checks share their sub-expressions, computed once (and on both cores)
        parties.lazy()
        .with_columns(
            _rank=pl.when(has_siret).then(pl.int_range(pl.len()).over(siret)),
            _first=c(LINE).min().over(siret),
            _r08=has_siret & ~siret_valid(siret),
            _iban_ok=iban_valid(iban),
            _bic_ok=bic_valid(bic),
            _same_country=bic_country_matches(bic, iban),
        )
        .collect()
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
                c("_r08"),
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
                has_bic & (~c("_bic_ok") | (has_iban & c("_iban_ok") & ~c("_same_country"))),
                "R11",
                "BIC",
                c("bic"),
                pl.when(~c("_bic_ok"))
                .then(pl.format("BIC « {} » invalide", c("bic")))
                .otherwise(
                    pl.format(
                        "Le BIC « {} » n'est pas du pays de l'IBAN ({})", c("bic"), iban.str.slice(0, 2)
                    )
                ),
            ),
        ]
    )


def count_by_rule(lines: pl.DataFrame, parties: pl.DataFrame) -> dict[str, int]:
    """Commitment lines per rule (distinct lines), commitments for R06, third-party rows for R08–R11."""
    counted = dict(lines.group_by("regle").agg(pl.col("ligne").n_unique()).iter_rows())
    counted.update(dict(parties.group_by("regle").agg(pl.col("ligne").n_unique()).iter_rows()))
    return {rule: int(counted.get(rule, 0)) for rule in RULES}
