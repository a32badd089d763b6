"""Data takeover at scale (issue 10): a full simulation run — every rule R01–R16 and the reconciliation against the
target's re-extraction — on generated extracts of 1, 3 and 10 million commitment lines (one third party per twenty
lines: 500,000 at 10 M), against the floor (a plain Polars read of the same commitment file) and a straightforward
pandas implementation of the same rules on the same files. Each measure runs in its own process, so that its peak
memory is its own (the kernel's high-water mark of the process's own memory, VmHWM: ru_maxrss would start at
the parent's size, which has just generated a sample).

    .venv/bin/python bench/takeover_run.py [--sizes 1000000,3000000,10000000] [--dir /tmp/bascule-takeover]
                                          [--pandas-max 10000000]

The extracts are generated once per size into --dir (1.7 GB of commitments and 1.4 GB of target at 10 M).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _peak_gib() -> float:
    """Peak resident memory of this process. Linux keeps ru_maxrss across exec, so a child started by a parent
    holding gigabytes would report the parent's size: VmHWM is this program's own high-water mark."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024 / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def floor(folder: Path) -> dict[str, float]:
    import polars as pl

    start = time.perf_counter()
    frame = pl.read_csv(folder / "engagements.csv", separator=";", infer_schema=False)
    return {"seconds": time.perf_counter() - start, "rows": frame.height}


def engine(folder: Path) -> dict[str, float]:
    from bascule.reprise.engine import Inputs, Source, run_engine

    start = time.perf_counter()
    inputs = Inputs(
        commitments=Source(b"", "engagements.csv", path=folder / "engagements.csv"),
        third_parties=Source((folder / "tiers.csv").read_bytes(), "tiers.csv"),
        target=Source(b"", "cible.csv", path=folder / "cible.csv"),
        reference={p.name: p.read_bytes() for p in (folder / "referentiel").iterdir()},
        mappings=Source((folder / "correspondances.csv").read_bytes(), "correspondances.csv"),
        cutoff=date(2026, 12, 31),
    )
    outcome = run_engine(inputs)
    seconds = time.perf_counter() - start
    expected = json.loads((folder / "expected.json").read_text())
    found = outcome.summary["anomalies_by_rule"]
    assert found == expected, f"{found} != {expected}"
    assert outcome.summary["no_loss"] is True
    return {"seconds": seconds, "rows": outcome.summary["rows_read"]}


def pandas_rules(folder: Path) -> dict[str, float]:
    """The same rules written the straightforward way: pandas frames of text, per-row Python for identifiers."""
    import pandas as pd
    from schwifty import IBAN
    from stdnum.fr import siret as stdnum_siret

    start = time.perf_counter()
    lines = pd.read_csv(folder / "engagements.csv", sep=";", dtype=str, keep_default_na=False)
    parties = pd.read_csv(folder / "tiers.csv", sep=";", dtype=str, keep_default_na=False)
    target = pd.read_csv(folder / "cible.csv", sep=";", dtype=str, keep_default_na=False)

    def cents(column: pd.Series) -> pd.Series:
        return column.str.replace(" ", "").str.replace(".", "").str.replace(",", "").astype("int64")

    for frame in (lines, target):
        for name in ("Montant engagé", "Montant consommé", "Reste à payer"):
            frame[name] = cents(frame[name])
    found = {}
    key = ["N° EJ", "N° poste EJ"]
    engaged, consumed, remaining = lines["Montant engagé"], lines["Montant consommé"], lines["Reste à payer"]
    found["R01"] = int(lines.duplicated(key).sum())
    found["R02"] = int((remaining == 0).sum())
    found["R03"] = int((engaged - consumed != remaining).sum())
    firm = engaged >= 0
    found["R04"] = int((firm & ((consumed < 0) | (consumed > engaged))).sum())
    found["R05"] = int((firm & (remaining < 0)).sum())
    found["R06"] = int((lines.groupby("N° EJ")["Montant engagé"].sum() <= 0).sum())
    found["R07"] = int((~lines["Code tiers"].isin(set(parties["Code tiers"]))).sum())
    found["R08"] = int((~parties["SIRET"].map(stdnum_siret.is_valid)).sum())
    found["R09"] = int(parties["SIRET"].duplicated().sum())

    def iban_ok(text: str) -> bool:
        try:
            IBAN(text)
        except ValueError:
            return False
        return True

    valid_iban = parties["IBAN"].map(iban_ok)
    found["R10"] = int((~valid_iban).sum())
    found["R11"] = int((valid_iban & (parties["BIC"].str[4:6] != parties["IBAN"].str[:2])).sum())
    reference = {
        name: pd.read_csv(folder / "referentiel" / f"{name}.csv", sep=";", dtype=str)
        for name in ("centres_financiers", "comptes_budgetaires")
    }
    mappings = pd.read_csv(folder / "correspondances.csv", sep=";", dtype=str, keep_default_na=False)
    approved = mappings[mappings["Approuvé par"] != ""]
    account = lines["Compte budgétaire"].map(
        dict(zip(approved["Valeur source"], approved["Valeur cible"], strict=True))
    )
    found["R16"] = int(account.isna().sum())
    active = reference["centres_financiers"]
    found["R12"] = int((~lines["Centre financier"].isin(set(active[active["Actif"] == "oui"]["Code"]))).sum())
    programme = lines["Centre financier"].str.split("/").str[-1].str[:4]
    found["R13"] = int(
        ((lines["Domaine fonctionnel"].str[:4] != programme) | (lines["Activité"].str[:4] != programme)).sum()
    )
    accounts = set(reference["comptes_budgetaires"]["Code"])
    found["R14"] = int((account.notna() & ~account.isin(accounts)).sum())
    found["R15"] = int(lines["Nature"].str.lower().str.contains("réservation").sum())
    merged = lines.merge(
        target, left_on=key, right_on=["N° EJ source", "N° poste EJ"], how="outer", indicator=True
    )
    buckets = merged["_merge"].value_counts().to_dict()
    return {"seconds": time.perf_counter() - start, "rows": len(lines), "found": found, "buckets": buckets}


def child(mode: str, folder: Path) -> None:
    result = {"floor": floor, "engine": engine, "pandas": pandas_rules}[mode](folder)
    result["peak_gib"] = _peak_gib()
    print(json.dumps(result, default=str))


def measure(mode: str, folder: Path) -> dict[str, float]:
    done = subprocess.run(  # noqa: S603 - this very script, with its own arguments
        [sys.executable, __file__, "--child", mode, "--dir", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000,3000000,10000000")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "bascule-takeover")
    parser.add_argument("--pandas-max", type=int, default=10_000_000)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.dir)
        return
    from bascule.reprise.sample import generate

    print(
        "| lines | file | floor (Polars read) | run (all rules + reconciliation) | rows/s | ratio to floor | peak memory | pandas | ratio to pandas |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in (int(s) for s in args.sizes.split(",")):
        folder = args.dir / str(size)
        if not (folder / "expected.json").exists():
            sample = generate(folder, size, defects=10)
            (folder / "expected.json").write_text(json.dumps(sample.expected))
        megabytes = (folder / "engagements.csv").stat().st_size / 1e6
        base = measure("floor", folder)
        run = measure("engine", folder)
        line = (
            f"| {size:,} | {megabytes:,.0f} MB | {base['seconds']:.1f} s | {run['seconds']:.1f} s | "
            f"{size / run['seconds']:,.0f} | {run['seconds'] / base['seconds']:.1f} | {run['peak_gib']:.2f} GiB |"
        )
        if size <= args.pandas_max:
            naive = measure("pandas", folder)
            line += f" {naive['seconds']:.1f} s ({naive['peak_gib']:.2f} GiB) | {naive['seconds'] / run['seconds']:.1f}× slower |"
        else:
            line += " — | — |"
        print(line, flush=True)


if __name__ == "__main__":
    main()
