"""Realistic takeover extracts of any size with a known number of planted defects of each rule (tests, demo, bench).

`generate(lines, defects=k)` writes, vectorised with NumPy and Polars (ten million lines in seconds):
`engagements.csv` (`;`, French amounts such as `303 431,00`, dates `dd/mm/yyyy`), `tiers.csv`, the target's
reference tables (`referentiel/`), `correspondances.csv` (budget accounts: the source's old codes mapped to the
target's) and `cible.csv`, the exact re-extraction of the lines in scope. Each planted defect is on its own line,
chosen so that it triggers only its rule, except where the rules themselves overlap (an overpaid line, R05, has a
consumed amount above the engaged one: it is also R04); `Sample.expected` holds the exact count each rule must find.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from bascule.reprise.engine import RULES

PROGRAMMES = ("0354", "0363", "0148", "0216", "0723", "0105")
REGIONS = ("DR35", "DR29", "DR56", "DR22", "DR14", "DR76")
NATURES = ("Marché", "Bon de commande", "Subvention", "Convention", "Bail")
ACCOUNTS = ("6113", "6122", "6132", "6152", "6228", "6512")
HEADER = [
    "N° EJ",
    "N° poste EJ",
    "Type",
    "Date EJ",
    "Nature",
    "Code tiers",
    "SIRET",
    "Centre financier",
    "Domaine fonctionnel",
    "Activité",
    "Compte budgétaire",
    "Montant engagé",
    "Montant consommé",
    "Reste à payer",
    "Objet",
    "Date de modification",
]
PARTY_HEADER = [
    "Code tiers",
    "SIRET",
    "Raison sociale",
    "Adresse",
    "Code postal",
    "Commune",
    "Pays",
    "IBAN",
    "BIC",
    "Titulaire du compte",
]


@dataclass
class Sample:
    directory: Path
    lines: int
    expected: dict[str, int] = field(default_factory=dict)
    in_scope: int = 0
    commitments: Path = Path()
    third_parties: Path = Path()
    target: Path = Path()
    reference: Path = Path()
    mappings: Path = Path()
    cutoff: str = "2026-12-31"


def centre(programme: str, region: str) -> str:
    return f"BG00/{programme}-D{region[2:]}0-{region}"


def _luhn_digit(digits: np.ndarray) -> np.ndarray:
    """The Luhn check digit of each row of a digit matrix."""
    width = digits.shape[1]
    weights = np.array([2 if (width - i) % 2 else 1 for i in range(width)])
    products = digits * weights
    products = np.where(products > 9, products - 9, products)
    return (10 - products.sum(axis=1) % 10) % 10


def _digits(numbers: np.ndarray, width: int) -> np.ndarray:
    return np.stack([(numbers // 10 ** (width - 1 - i)) % 10 for i in range(width)], axis=1)


def _sirets(count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` distinct valid SIRETs (never La Poste's SIREN)."""
    sirens = rng.choice(np.arange(10_000_000, 90_000_000), size=count, replace=False)
    siren9 = sirens * 10 + _luhn_digit(_digits(sirens, 8))
    nics = rng.integers(1, 9999, size=count)
    base = siren9 * 10_000 + nics
    return (base * 10 + _luhn_digit(_digits(base, 13))).astype(np.int64)


def _french_iban(bank: int, branch: int, account: int) -> str:
    key = 97 - (89 * bank + 15 * branch + 3 * account) % 97
    bban = f"{bank:05d}{branch:05d}{account:011d}{key:02d}"
    check = 98 - int(bban + "152700") % 97
    return f"FR{check:02d}{bban}"


def _amount_text(cents: pl.Expr, grouped: bool) -> pl.Expr:
    """Cents as a French amount; `grouped` writes thousands with a space (`303 431,00`)."""
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    units = cents.abs() // 100
    decimals = (cents.abs() % 100).cast(pl.String).str.zfill(2)
    plain = units.cast(pl.String)
    if grouped:
        plain = (
            pl.when(units >= 1000)
            .then(
                pl.concat_str(
                    (units // 1000).cast(pl.String), pl.lit(" "), (units % 1000).cast(pl.String).str.zfill(3)
                )
            )
            .otherwise(plain)
        )
    return pl.concat_str(sign, plain, pl.lit(","), decimals)


def generate(
    directory: Path, lines: int, defects: int = 3, seed: int = 2026, mappings: bool = True
) -> Sample:
    """Write the extracts into `directory` and return where they are with the expected count of each rule."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    k = defects
    parties = max(lines // 20, 40 + 4 * k)
    sample = Sample(directory, lines)
    # --- third parties: valid, distinct SIRETs; a pool of valid French IBANs -------------------------------
    sirets = _sirets(parties, rng)
    ibans = [
        _french_iban(int(b), int(g), int(a))
        for b, g, a in zip(
            rng.integers(10000, 99999, 500),
            rng.integers(10000, 99999, 500),
            rng.integers(10**9, 10**10, 500),
            strict=True,
        )
    ]
    party = pl.DataFrame({"n": np.arange(parties)}).with_columns(
        code=pl.format("T{}", pl.col("n").cast(pl.String).str.zfill(7)),
        siret=pl.Series(sirets).cast(pl.String),
        iban=pl.Series(ibans)[rng.integers(0, len(ibans), parties)],
    )
    # planted third-party defects on the last rows, which no commitment line uses
    bad_start = parties - 4 * k
    n = pl.col("n")
    siret_damaged = pl.concat_str(
        pl.col("siret").str.slice(0, 13),
        ((pl.col("siret").str.slice(13, 1).cast(pl.Int64) + 1) % 10).cast(pl.String),
    )
    iban_damaged = pl.concat_str(
        pl.col("iban").str.slice(0, 10),
        pl.when(pl.col("iban").str.slice(10, 1) == "1").then(pl.lit("2")).otherwise(pl.lit("1")),
        pl.col("iban").str.slice(11),
    )
    party = party.with_columns(
        siret=pl.when(n.is_between(bad_start, bad_start + k - 1))
        .then(siret_damaged)  # R08
        .when(n.is_between(bad_start + k, bad_start + 2 * k - 1))
        .then(pl.col("siret").shift(2 * k))  # R09: a SIRET in use
        .otherwise(pl.col("siret")),
        iban=pl.when(n.is_between(bad_start + 2 * k, bad_start + 3 * k - 1))
        .then(iban_damaged)
        .otherwise(pl.col("iban")),  # R10
    ).with_columns(
        bic=pl.when(n.is_between(bad_start + 3 * k, bad_start + 4 * k - 1))
        .then(pl.lit("BNPADEFF"))
        .otherwise(pl.lit("BNPAFRPP")),  # R11
    )
    party.select(
        pl.col("code").alias("Code tiers"),
        pl.col("siret").alias("SIRET"),
        pl.format("Société {}", n).alias("Raison sociale"),
        pl.format("{} rue de la République", (n % 200) + 1).alias("Adresse"),
        pl.lit("35000").alias("Code postal"),
        pl.lit("Rennes").alias("Commune"),
        pl.lit("France").alias("Pays"),
        pl.col("iban").alias("IBAN"),
        pl.col("bic").alias("BIC"),
        pl.format("Société {}", n).alias("Titulaire du compte"),
    ).write_csv(directory / "tiers.csv", separator=";")
    sample.third_parties = directory / "tiers.csv"
    # --- commitment lines: up to three postes per EJ ---------------------------------------------------
    i = pl.col("i")
    programme_index = pl.Series(rng.integers(0, len(PROGRAMMES), lines))
    engaged = pl.Series(rng.integers(10_000, 50_000_000, lines))
    share = pl.Series(rng.integers(0, 90, lines))
    frame = pl.DataFrame(
        {"i": np.arange(lines, dtype=np.int64), "p": programme_index, "engage": engaged, "share": share}
    )
    programmes = pl.Series(PROGRAMMES)
    frame = frame.with_columns(
        ej=pl.format("1300{}", (i // 3).cast(pl.String).str.zfill(8)),
        poste=((i % 3) + 1).cast(pl.String),
        prog=programmes.gather(frame["p"]),
        region=pl.Series(REGIONS).gather(pl.Series(rng.integers(0, len(REGIONS), lines))),
        tiers_n=pl.Series(rng.integers(0, bad_start, lines)),
        compte_i=pl.Series(rng.integers(0, len(ACCOUNTS), lines)),
        nature=pl.Series(NATURES).gather(pl.Series(rng.integers(0, len(NATURES), lines))),
        day=pl.Series(rng.integers(0, 700, lines)),
    ).with_columns(consomme=pl.col("engage") * pl.col("share") // 100)
    frame = frame.with_columns(reste=pl.col("engage") - pl.col("consomme"))
    # planted line defects: lines of EJs 0..(number of plants) have one poste each, so that a plant is alone
    # in its commitment (R06 applies to whole commitments); plants are on lines i = 3 * j (the first poste).
    plants = ["R02", "R03", "R04", "R05", "R06", "R07", "R12", "R13", "R14", "R15"] + (
        ["R16"] if mappings else []
    )
    plan = {rule: [3 * (index * k + j) for j in range(k)] for index, rule in enumerate(plants)}
    planted = pl.DataFrame(
        {
            "i": [line for rule in plants for line in plan[rule]],
            "rule": [rule for rule in plants for _ in plan[rule]],
        },
        schema={"i": pl.Int64, "rule": pl.String},
    )
    if lines < 3 * len(planted) + 3 * k + 10:
        raise ValueError(f"Au moins {3 * len(planted) + 3 * k + 10} lignes pour {k} défauts de chaque règle.")
    frame = frame.join(planted, on="i", how="left")
    r = pl.col("rule")
    frame = frame.with_columns(
        consomme=pl.when(r == "R02")
        .then(pl.col("engage"))
        .when(r == "R04")
        .then(pl.lit(-100))
        .when(r == "R05")
        .then(pl.col("engage") + 100)
        .when(r == "R06")
        .then(pl.lit(0))
        .otherwise(pl.col("consomme")),
        engage=pl.when(r == "R06").then(-pl.col("engage")).otherwise(pl.col("engage")),
    ).with_columns(
        reste=pl.when(r == "R03")
        .then(pl.col("engage") - pl.col("consomme") + 1)
        .otherwise(pl.col("engage") - pl.col("consomme")),
        centre=pl.when(r == "R12")
        .then(pl.format("BG00/{}-DINA-DR00", pl.col("prog")))
        .otherwise(
            pl.format("BG00/{}-D{}0-{}", pl.col("prog"), pl.col("region").str.slice(2), pl.col("region"))
        ),
        domaine=pl.when(r == "R13")
        .then(pl.lit("0999-01-02"))
        .otherwise(pl.format("{}-01-02", pl.col("prog"))),
        activite=pl.format("{}01020101", pl.col("prog")),
        compte=pl.when(r == "R14")
        .then(pl.lit("6999"))
        .when(r == "R16")
        .then(pl.lit("6888"))
        .otherwise(pl.Series(ACCOUNTS).gather(frame["compte_i"])),
        nature=pl.when(r == "R15").then(pl.lit("Réservation")).otherwise(pl.col("nature")),
        tiers=pl.when(r == "R07")
        .then(pl.lit("T9999999"))
        .otherwise(pl.format("T{}", pl.col("tiers_n").cast(pl.String).str.zfill(7))),
    )
    # the plants' EJs have a single poste (their other postes move to a commitment of their own)
    plant_ejs = len(planted)
    frame = frame.with_columns(
        ej=pl.when((i < 3 * plant_ejs) & (i % 3 != 0))
        .then(pl.format("1399{}", i.cast(pl.String).str.zfill(8)))
        .otherwise(pl.col("ej")),
        poste=pl.when((i < 3 * plant_ejs) & (i % 3 != 0)).then(pl.lit("1")).otherwise(pl.col("poste")),
    )
    # R01: the last k lines repeat the key of an earlier clean line (amounts of their own, all consistent)
    duplicates = lines - k
    source_rows = 3 * plant_ejs + 3 * np.arange(k)
    repeated = pl.DataFrame(
        {"i": duplicates + np.arange(k, dtype=np.int64), "_ej": frame["ej"].gather(source_rows)}
    )
    frame = (
        frame.join(repeated, on="i", how="left")
        .with_columns(
            ej=pl.coalesce(pl.col("_ej"), pl.col("ej")),
            poste=pl.when(pl.col("_ej").is_not_null()).then(pl.lit("1")).otherwise(pl.col("poste")),
            rule=pl.when(pl.col("_ej").is_not_null()).then(pl.lit("R01")).otherwise(pl.col("rule")),
        )
        .drop("_ej")
        .sort("i")
    )
    mapped_account = {code: f"{code}100000" for code in (*ACCOUNTS, "6888")}
    frame = frame.with_columns(
        date=pl.lit(np.datetime64("2023-01-01")).cast(pl.Date) + pl.duration(days=pl.col("day")),
        siret=party["siret"].gather(frame["tiers_n"]),
    )
    out = frame.select(
        pl.col("ej").alias("N° EJ"),
        pl.col("poste").alias("N° poste EJ"),
        pl.lit("EJ").alias("Type"),
        pl.col("date").dt.strftime("%d/%m/%Y").alias("Date EJ"),
        pl.col("nature").alias("Nature"),
        pl.col("tiers").alias("Code tiers"),
        pl.col("siret").alias("SIRET"),
        pl.col("centre").alias("Centre financier"),
        pl.col("domaine").alias("Domaine fonctionnel"),
        pl.col("activite").alias("Activité"),
        (pl.format("A{}", pl.col("compte")) if mappings else pl.col("compte").replace(mapped_account)).alias(
            "Compte budgétaire"
        ),
        _amount_text(pl.col("engage"), grouped=True).alias("Montant engagé"),
        _amount_text(pl.col("consomme"), grouped=False).alias("Montant consommé"),
        _amount_text(pl.col("reste"), grouped=False).alias("Reste à payer"),
        pl.format("Objet {}", pl.col("i")).alias("Objet"),
        pl.col("date").dt.strftime("%Y-%m-%d").alias("Date de modification"),
    )
    out.write_csv(directory / "engagements.csv", separator=";")
    sample.commitments = directory / "engagements.csv"
    # --- the target's reference tables and the value mappings ------------------------------------------------
    reference = directory / "referentiel"
    reference.mkdir(exist_ok=True)
    centres = [(centre(p, reg), "oui") for p in PROGRAMMES for reg in REGIONS] + [
        (f"BG00/{p}-DINA-DR00", "non") for p in PROGRAMMES
    ]
    _write_reference(reference / "centres_financiers.csv", centres)
    _write_reference(reference / "domaines_fonctionnels.csv", [(f"{p}-01-02", "oui") for p in PROGRAMMES])
    _write_reference(reference / "activites.csv", [(f"{p}01020101", "oui") for p in PROGRAMMES])
    _write_reference(reference / "comptes_budgetaires.csv", [(mapped_account[a], "oui") for a in ACCOUNTS])
    sample.reference = reference
    rows = (
        ["Domaine;Valeur source;Valeur cible;Approuvé par"]
        + [
            f"compte_budgetaire;A{a};{mapped_account[a]};{'' if a == '6888' else 'M. Martin'}"
            for a in (*ACCOUNTS, "6888")
        ]
        + ["compte_budgetaire;A6999;6999100000;M. Martin"]
    )
    (directory / "correspondances.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    sample.mappings = directory / "correspondances.csv"
    # --- expected counts and the exact target --------------------------------------------------------------
    expected = dict.fromkeys(RULES, 0)
    for rule in plants:
        expected[rule] = k
    expected["R04"] += k  # an overpaid line (R05) has consumed above engaged
    expected["R14"] = k  # 6999 maps to an account unknown to the target
    expected.update({"R01": k, "R08": k, "R09": k, "R10": k, "R11": k})
    if not mappings:
        expected["R16"] = 0
    sample.expected = expected
    blocking = [rule for rule in plants if rule != "R02"] + ["R01"]
    scope = frame.filter(pl.col("rule").is_null() | ~pl.col("rule").is_in(["R02", *blocking]))
    sample.in_scope = scope.height
    kept = (
        out.with_columns(_i=pl.int_range(pl.len()))
        .join(scope.select(_i=pl.col("i")), on="_i", how="semi")
        .drop("_i")
    )
    kept = kept.with_columns(
        pl.col("Compte budgétaire").str.slice(1).replace(mapped_account)
        if mappings
        else pl.col("Compte budgétaire"),
        pl.col("N° EJ").alias("N° EJ source"),
    ).with_columns(pl.format("2{}", pl.col("N° EJ").str.slice(1)).alias("N° EJ"))
    kept.write_csv(directory / "cible.csv", separator=";")
    sample.target = directory / "cible.csv"
    return sample


def _write_reference(path: Path, rows: list[tuple[str, str]]) -> None:
    path.write_text(
        "Code;Libellé;Actif\n" + "".join(f"{code};Libellé {code};{active}\n" for code, active in rows),
        encoding="utf-8",
    )
