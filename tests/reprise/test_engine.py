"""The engine on generated extracts with planted defects: each rule finds exactly what was planted, every line is
accounted for, and reconciliation names every difference (issue 10's « done when »)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from bascule.reprise import engine
from bascule.reprise.engine import EngineError, Inputs, Source, run_engine
from bascule.reprise.sample import Sample, generate


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return generate(tmp_path_factory.mktemp("reprise"), 3000, defects=4)


def _inputs(sample: Sample, *, target: bytes | None = None, **changes: object) -> Inputs:
    inputs = Inputs(
        commitments=Source(sample.commitments.read_bytes(), "engagements.csv"),
        third_parties=Source(sample.third_parties.read_bytes(), "tiers.csv"),
        target=Source(target if target is not None else sample.target.read_bytes(), "cible.csv"),
        reference={p.name: p.read_bytes() for p in sample.reference.iterdir()},
        mappings=Source(sample.mappings.read_bytes(), "correspondances.csv"),
        cutoff=date(2026, 12, 31),
    )
    for name, value in changes.items():
        setattr(inputs, name, value)
    return inputs


def test_every_rule_finds_exactly_what_was_planted_and_no_line_is_lost(sample: Sample):
    outcome = run_engine(_inputs(sample))
    summary = outcome.summary
    assert summary["anomalies_by_rule"] == sample.expected
    assert summary["rows_in_file"] == summary["rows_read"] + summary["rows_rejected_by_parser"] == 3000
    assert summary["rows_read"] == summary["in_scope"] + summary["excluded_zero_balance"] + summary["blocked"]
    assert summary["in_scope"] == sample.in_scope and summary["excluded_zero_balance"] == 4
    assert summary["reconciliation"] == {
        "equal": sample.in_scope,
        "different": 0,
        "missing_in_target": 0,
        "unexpected_in_target": 0,
    }
    assert summary["no_loss"] is True
    # per financial centre, counts and cents: source = in scope + excluded + blocked; national from detail lines
    centres = outcome.centres.fill_null(0)
    for measure in ("lignes", "engage", "consomme", "reste"):
        parts = centres[f"reprise_{measure}"] + centres[f"exclue_{measure}"] + centres[f"bloquee_{measure}"]
        assert (centres[f"source_{measure}"] == parts).all()
    lines = pl.read_csv(sample.commitments, separator=";", infer_schema=False)
    engaged = (
        lines["Montant engagé"].str.replace_all(" ", "").str.replace(",", ".").cast(pl.Decimal(20, 2)).sum()
    )
    assert summary["totals"]["engaged"] == str(engaged)
    # every anomaly names its line, column, value and says why in French
    r13 = outcome.anomalies.filter(regle="R13").row(0, named=True)
    assert r13["colonne"] == "Domaine fonctionnel" and r13["valeur"] == "0999-01-02"
    assert "n'est pas du programme" in r13["message"] and r13["ligne"] > 1


def test_a_target_with_one_line_removed_and_one_cent_changed_is_not_no_loss(sample: Sample):
    target = sample.target.read_text(encoding="utf-8").splitlines()
    removed = target.pop(10).split(";")
    cells = target[20].split(";")
    cells[13] = cells[13][:-1] + str((int(cells[13][-1]) + 1) % 10)  # the remaining amount, one cent off
    target[20] = ";".join(cells)
    outcome = run_engine(_inputs(sample, target=("\n".join(target) + "\n").encode()))
    summary = outcome.summary
    assert summary["no_loss"] is False
    assert summary["reconciliation"]["missing_in_target"] == 1 and summary["reconciliation"]["different"] == 1
    assert summary["reconciliation"]["equal"] == sample.in_scope - 2
    named = {
        (row["categorie"], row["ej"], row["poste"], row["champs"])
        for row in outcome.differences.iter_rows(named=True)
    }
    assert ("absente de la cible", removed[-1], removed[1], "") in named
    assert ("différente", cells[-1], cells[1], "Reste à payer") in named


def test_unexpected_target_lines_and_a_delta_run(sample: Sample):
    target = sample.target.read_text(encoding="utf-8").splitlines()
    target.append(target[5])  # the same key twice
    outcome = run_engine(_inputs(sample, target=("\n".join(target) + "\n").encode()))
    assert (
        outcome.summary["reconciliation"]["unexpected_in_target"] == 1 and outcome.summary["no_loss"] is False
    )
    delta = run_engine(_inputs(sample, since=date(2024, 11, 1)))
    summary = delta.summary
    assert 0 < summary["rows_unchanged_since_previous"] < summary["rows_read"]
    assert summary["rows_read"] - summary["rows_unchanged_since_previous"] == (
        summary["in_scope"] + summary["excluded_zero_balance"] + summary["blocked"]
    )
    assert summary["reconciliation"]["unexpected_in_target"] == 0


HEADER = "N° EJ;N° poste EJ;Type;Date EJ;Nature;Code tiers;Centre financier;Domaine fonctionnel;Compte budgétaire;Montant engagé;Montant consommé;Reste à payer"
PARTIES = b"Code tiers;Raison sociale;SIRET\nT1;Dupont;73282932000074\n"


def _lines(*rows: str) -> Source:
    return Source(("\n".join([HEADER, *rows]) + "\n").encode(), "engagements.csv")


def test_unreadable_values_are_rejected_by_line_with_their_column_and_value():
    ok = "1300000001;1;EJ;31.12.2025;Marché;T1;BG00/0354-D350-DR35;0354-01-02;6113;303 431,00;1.000,00;302431"
    outcome = run_engine(
        Inputs(
            _lines(
                ok,
                ok.replace(";1;", ";2;").replace("303 431,00", "12,345"),
                ok.replace(";1;", ";3;").replace("1.000,00", "mille"),
                ok.replace(";1;", ";4;").replace("31.12.2025", "31/13/2025"),
                ok.replace("1300000001;1", "#;5"),
                ok.replace(";1;", ";6;").replace("303 431,00", "=1+1"),
            ),
            Source(PARTIES, "tiers.csv"),
        )
    )
    summary = outcome.summary
    assert (summary["rows_in_file"], summary["rows_read"], summary["rows_rejected_by_parser"]) == (6, 1, 5)
    messages = outcome.anomalies.filter(regle="LECTURE").sort("ligne")["message"].to_list()
    assert messages == [
        "Ligne rejetée à la lecture, colonne « Montant engagé » : plus de deux décimales : « 12,345 »",
        "Ligne rejetée à la lecture, colonne « Montant consommé » : montant illisible : « mille » (attendu par exemple 303 431,00)",
        "Ligne rejetée à la lecture, colonne « Date EJ » : date illisible : « 31/13/2025 » (attendu JJ/MM/AAAA, JJ.MM.AAAA ou AAAA-MM-JJ)",
        "Ligne rejetée à la lecture, colonne « N° EJ » : valeur obligatoire absente",
        "Ligne rejetée à la lecture : formule au lieu d'une valeur : « =1+1 »",
    ]
    assert summary["no_loss"] is None and summary["reconciliation"] is None  # no target: nothing proven
    assert summary["totals"] == {"engaged": "303431.00", "consumed": "1000.00", "remaining": "302431.00"}


def test_padded_values_are_read_as_the_careful_reader_reads_them():
    """The one-pass read converts amounts and dates as it reads; a value it cannot convert (padded, other shape)
    is read again, stripped, by values.py: the same lines as the careful line-by-line reader."""
    from bascule.reprise import convert
    from bascule.reprise.columns import COMMITMENT_COLUMNS
    from bascule.reprise.reader import read_plain

    ok = "1300000001;1;EJ;31.12.2025;Marché;T1;BG00/0354-D350-DR35;0354-01-02;6113;303 431,00;1.000,00;302431"
    rows = (
        ok,
        ok.replace(";1;", ";2;").replace("303 431,00", " 1.234,56 ").replace("1.000,00", "\t0,00 "),
        ok.replace(";1;", ";3;").replace("31.12.2025", " 2025-12-31 ").replace("302431", " 302431,00"),
        ok.replace(";1;", ";4;").replace("31.12.2025", "  # "),
    )
    one_pass = read_plain(_lines(*rows).data, COMMITMENT_COLUMNS, typed=convert.typed)
    assert one_pass is not None and one_pass.frame["_date"].null_count() == 2  # « 2025-12-31 » and « # » left
    fast = run_engine(Inputs(_lines(*rows), Source(PARTIES, "tiers.csv")))
    careful = run_engine(
        Inputs(
            _lines(*rows, ok.replace(";1;", ";5;").replace("Marché", '"Marché"')),
            Source(PARTIES, "tiers.csv"),
        )
    )
    assert fast.summary["rows_read"] == 4 and fast.summary["rows_rejected_by_parser"] == 0
    assert careful.summary["rows_read"] == 5 and careful.summary["rows_rejected_by_parser"] == 0
    assert fast.summary["totals"] == {
        "engaged": "911527.56",
        "consumed": "3000.00",
        "remaining": "1209724.00",
    }
    # the fifth line (quoted: the careful reader) adds the first line's amounts again
    assert careful.summary["totals"] == {
        "engaged": "1214958.56",
        "consumed": "4000.00",
        "remaining": "1512155.00",
    }


def test_a_file_that_cannot_be_used_says_which_and_why():
    with pytest.raises(EngineError, match=r"Fichier des engagements .* vide"):
        run_engine(Inputs(Source(b"", "vide.csv"), Source(PARTIES, "tiers.csv")))
    with pytest.raises(EngineError, match="« Reste à payer »"):
        run_engine(
            Inputs(Source(HEADER.rsplit(";", 1)[0].encode() + b"\n", "e.csv"), Source(PARTIES, "tiers.csv"))
        )
    with pytest.raises(EngineError, match="apparaît deux fois"):
        run_engine(Inputs(_lines(), Source(b"Code tiers;Raison sociale;Nom\nT1;A;B\n", "tiers.csv")))
    with pytest.raises(EngineError, match=r"comptes_budgetaires\.csv"):
        run_engine(
            Inputs(
                _lines(),
                Source(PARTIES, "t.csv"),
                reference={"centres_financiers.csv": b"Code;Libell\xc3\xa9;Actif\n"},
            )
        )
    with pytest.raises(EngineError, match="domaine « compte » inconnu"):
        run_engine(
            Inputs(
                _lines(),
                Source(PARTIES, "t.csv"),
                mappings=Source(
                    b"Domaine;Valeur source;Valeur cible;Approuv\xc3\xa9 par\ncompte;A;B;X\n", "m.csv"
                ),
            )
        )


@pytest.mark.parametrize(
    ("code", "programme"),
    [("BG00/0354-D035-DD35", "0354"), ("0354-01-02", "0354"), ("035401020101", "0354"), ("BG00/ABCD", None)],
)
def test_the_programme_of_a_code(code: str, programme: str | None):
    assert pl.select(engine._programme(pl.lit(code))).item() == programme


def test_de_commitments_are_exempt_from_r04_and_r05_but_count_in_r06():
    rows = [
        "1300000001;1;EJ;01/02/2025;Marché;T1;BG00/0354-D350-DR35;0354-01-02;6113;1000,00;0;1000,00",
        "1300000001;2;EJ;01/02/2025;Marché;T1;BG00/0354-D350-DR35;0354-01-02;6113;-1000,00;-1200,00;200,00",
    ]
    summary = run_engine(Inputs(_lines(*rows), Source(PARTIES, "tiers.csv"))).summary
    by_rule = summary["anomalies_by_rule"]
    assert (by_rule["R04"], by_rule["R05"], by_rule["R06"]) == (0, 0, 1)
    assert summary["blocked"] == 2  # the whole commitment waits: its total is nil


def test_generated_files_are_real_extracts(sample: Sample, tmp_path: Path):
    head = sample.commitments.read_text(encoding="utf-8").splitlines()[:3]
    assert head[0].startswith("N° EJ;N° poste EJ;Type;Date EJ")
    assert any(
        " " in line.split(";")[11]
        for line in sample.commitments.read_text(encoding="utf-8").splitlines()[1:50]
    )
    with pytest.raises(ValueError, match="Au moins"):
        generate(tmp_path, 20, defects=4)


def test_text_keys_and_files_on_disk_give_the_same_result(sample: Sample, tmp_path: Path):
    """N° EJ that are not digits take the text-key path (sort and joins on text); a Source given by path is read by
    Polars from the file: both find what the integer-key, in-memory run finds."""
    base = run_engine(_inputs(sample))
    lines = sample.commitments.read_text(encoding="utf-8").splitlines()
    texts = [lines[0], *(f"EJ-{line}" for line in lines[1:])]
    target = sample.target.read_text(encoding="utf-8").splitlines()
    shifted = [target[0]]
    for line in target[1:]:
        cells = line.split(";")
        cells[-1] = f"EJ-{cells[-1]}"
        shifted.append(";".join(cells))
    removed = shifted.pop(10).split(";")
    inputs = _inputs(sample, target=("\n".join(shifted) + "\n").encode())
    inputs.commitments = Source(("\n".join(texts) + "\n").encode(), "engagements.csv")
    outcome = run_engine(inputs)
    assert outcome.summary["anomalies_by_rule"] == sample.expected
    assert outcome.summary["reconciliation"] == {
        "equal": sample.in_scope - 1,
        "different": 0,
        "missing_in_target": 1,
        "unexpected_in_target": 0,
    }
    assert outcome.differences.select("categorie", "ej", "poste").row(0) == (
        "absente de la cible",
        removed[-1],
        removed[1],
    )
    assert outcome.controls["engagement"]["ej"][0].startswith("EJ-")
    on_disk = _inputs(sample)
    on_disk.commitments = Source(b"", "engagements.csv", path=sample.commitments)
    on_disk.target = Source(b"", "cible.csv", path=sample.target)
    from_files = run_engine(on_disk)
    assert from_files.summary == base.summary
    assert from_files.anomalies.equals(base.anomalies) and from_files.centres.equals(base.centres)
    assert all(from_files.controls[level].equals(base.controls[level]) for level in base.controls)


def test_a_target_with_text_keys_against_integer_keys_and_a_bracketed_file_name(
    sample: Sample, tmp_path: Path
):
    target = sample.target.read_text(encoding="utf-8").splitlines()
    target.append(target[3].rsplit(";", 1)[0] + ";EJ-INCONNU")  # an N° EJ source that is not digits
    outcome = run_engine(_inputs(sample, target=("\n".join(target) + "\n").encode()))
    assert outcome.summary["reconciliation"]["unexpected_in_target"] == 1
    assert outcome.summary["reconciliation"]["equal"] == sample.in_scope
    assert "EJ-INCONNU" in outcome.differences["ej"].to_list()
    bracketed = tmp_path / "engagements [v2].csv"
    bracketed.write_bytes(sample.commitments.read_bytes())
    on_disk = _inputs(sample)
    on_disk.commitments = Source(b"", bracketed.name, path=bracketed)
    assert run_engine(on_disk).summary["anomalies_by_rule"] == sample.expected
