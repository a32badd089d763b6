"""Identifier rules of the data takeover (issue 10: R08 SIRET, R10 IBAN, R11 BIC) over a third-party file: the
Polars expressions of `bascule.reprise.identifiers` against a plain Python loop over python-stdnum and schwifty (the
straightforward implementation, and the oracle: both must find the same invalid rows), and against a plain Polars
read of the columns (the floor).

    .venv/bin/python bench/takeover_identifiers.py [--rows 500000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polars as pl
from schwifty import IBAN
from stdnum import luhn
from stdnum.fr import siret as stdnum_siret

from bascule.reprise.identifiers import bic_country_matches, bic_valid, iban_valid, siret_valid


def third_parties(rows: int, seed: int = 7) -> pl.DataFrame:
    """Realistic third parties, about 2 % of each identifier damaged (one character changed)."""
    rng = random.Random(seed)
    pool = [
        str(IBAN.random(country_code=rng.choice(["FR"] * 8 + ["DE", "BE"]), random=rng)) for _ in range(5000)
    ]
    sirets, ibans, bics = [], [], []
    for _ in range(rows):
        siren = "".join(rng.choice("0123456789") for _ in range(8))
        siren += luhn.calc_check_digit(siren)
        nic = f"{rng.randrange(10000):04d}"
        siret = siren + nic + luhn.calc_check_digit(siren + nic)
        iban = rng.choice(pool)
        bic = "BANQ" + iban[:2] + "PP" + rng.choice(["", "XXX"])
        if rng.random() < 0.02:
            i = rng.randrange(14)
            siret = siret[:i] + str((int(siret[i]) + 1) % 10) + siret[i + 1 :]
        if rng.random() < 0.02:
            i = rng.randrange(4, len(iban))
            iban = iban[:i] + ("1" if iban[i] != "1" else "2") + iban[i + 1 :]
        if rng.random() < 0.02:
            bic = bic[:4] + "XX" + bic[6:]
        sirets.append(siret)
        ibans.append(iban)
        bics.append(bic)
    return pl.DataFrame({"SIRET": sirets, "IBAN": ibans, "BIC": bics})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500_000)
    rows = parser.parse_args().rows
    frame = third_parties(rows)
    folder = tempfile.TemporaryDirectory()
    path = Path(folder.name) / "tiers.parquet"
    frame.write_parquet(path)

    started = time.perf_counter()
    pl.read_parquet(path).select(pl.col("SIRET").str.len_chars().sum(), pl.col("IBAN").str.len_chars().sum())
    floor = time.perf_counter() - started

    started = time.perf_counter()
    flags = (
        pl.scan_parquet(path)
        .select(
            r08=~siret_valid(pl.col("SIRET")),
            r10=~iban_valid(pl.col("IBAN")),
            r11=~(bic_valid(pl.col("BIC")) & bic_country_matches(pl.col("BIC"), pl.col("IBAN"))),
        )
        .collect()
    )
    polars_seconds = time.perf_counter() - started

    started = time.perf_counter()
    naive: dict[str, list[bool]] = {"r08": [], "r10": [], "r11": []}
    for siret, iban, bic in pl.read_parquet(path).iter_rows():
        naive["r08"].append(not stdnum_siret.is_valid(siret))
        try:
            IBAN(iban, validate_bban=iban.startswith("FR"))
            bad_iban = False
        except ValueError:
            bad_iban = True
        naive["r10"].append(bad_iban)
        naive["r11"].append(not (len(bic) in (8, 11) and bic[:6].isalpha() and bic[4:6] == iban[:2]))
    naive_seconds = time.perf_counter() - started

    same = all(flags[rule].to_list() == naive[rule] for rule in naive)
    print(f"{rows:_} third parties (SIRET, IBAN, BIC; ~2 % of each damaged)".replace("_", " "))
    for rule in ("r08", "r10", "r11"):
        print(f"  {rule.upper()}: {int(flags[rule].sum())} invalid")
    print(f"  plain Polars read of the columns (floor): {floor:.2f} s")
    print(
        f"  Polars expressions, all three rules:      {polars_seconds:.2f} s ({rows / polars_seconds:,.0f} rows/s)"
    )
    print(
        f"  Python loop over stdnum + schwifty:        {naive_seconds:.2f} s ({naive_seconds / polars_seconds:.1f}× slower)"
    )
    print(f"  same rows found by both: {'yes' if same else 'NO'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
