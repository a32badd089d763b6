"""The data takeover engine: read the extracts, apply rules R01–R16, partition every line read, reconcile with the
target's re-extraction — plain Polars over frames, no Django (the CLI, the background task, the tests and `bench/`
call the same `run_engine`). The work is in `convert.py` (reading, cents, dates, keys), `rules.py` (R01–R16) and
`reconcile.py` (partition totals, reconciliation, control totals); this module runs them in order.

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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import polars.selectors as cs

from bascule.reprise import convert, reconcile
from bascule.reprise.columns import COMMITMENT_COLUMNS, TARGET_COLUMNS, THIRD_PARTY_COLUMNS
from bascule.reprise.reader import LINE
from bascule.reprise.rules import (
    BLOCKING,
    COMPARED,
    REFERENCE_FILES,
    RULES,
    WARNING,
    EngineError,
    apply_mappings,
    count_by_rule,
    euros,
    key_rules,
    line_rules,
    load_mappings,
    load_reference,
    programme,
    third_party_rules,
)

__all__ = [
    "BLOCKING",
    "REFERENCE_FILES",
    "RULES",
    "WARNING",
    "EngineError",
    "Inputs",
    "Outcome",
    "Source",
    "euros",
    "run_engine",
]
_programme = programme  # the name the tests know

COMMITMENT_KEEP = {c.key for c in COMMITMENT_COLUMNS} - {"objet"}
THIRD_PARTY_KEEP = {"tiers", "siret", "iban", "bic"}
TARGET_KEEP = {"ej_source", "poste", *COMPARED}
STATUSES = pl.Enum(["reprise", "exclue", "bloquee"])
CODES = (
    "type",
    "centre",
    "domaine",
    "activite",
    "compte",
)  # few distinct values: Categorical before the target


@dataclass
class Source:
    """A file given to the engine: its bytes, `load` to read them only when the engine gets to that file, or its
    `path` (a run over ten million lines then never holds the commitments and the target's bytes at once)."""

    data: bytes
    name: str
    load: Callable[[], bytes] | None = None
    path: Path | None = None  # a file on disk: a clean CSV is then read by Polars from the file itself

    def content(self) -> bytes:
        if self.path is not None:
            return self.path.read_bytes()
        return self.load() if self.load is not None else self.data


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


def _untagged(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        ej=pl.lit(None, pl.String),
        poste=pl.lit(None, pl.String),
        centre=pl.lit(None, pl.String),
        tiers=pl.lit(None, pl.String),
    )


def run_engine(inputs: Inputs, progress: Any = None) -> Outcome:
    """Read, check, partition and reconcile; raises EngineError when a file cannot be used at all."""
    step = progress or (lambda percent, message: None)
    c = pl.col
    step(5, "Lecture des engagements")
    raw = convert.read(
        inputs.commitments,
        COMMITMENT_COLUMNS,
        "Fichier des engagements",
        inputs.headers,
        COMMITMENT_KEEP,
    )
    step(25, "Lecture des tiers")
    raw_parties = convert.read(
        inputs.third_parties,
        THIRD_PARTY_COLUMNS,
        "Fichier des tiers",
        inputs.headers,
        THIRD_PARTY_KEEP,
    )
    reference = load_reference(inputs.reference) if inputs.reference else {}
    mappings = load_mappings(inputs.mappings.content(), inputs.mappings.name) if inputs.mappings else None
    step(35, "Conversion des montants et des dates")
    lines, value_rejections = convert.convert(raw.frame, "engagements")
    parsed = raw.rows_read
    raw.frame = raw.frame.clear()  # the text columns are no longer needed
    rejections = pl.concat([convert.rejections(raw, "engagements"), value_rejections])
    parties = raw_parties.frame
    unchanged = 0
    latest: date | None = lines["modifie"].max() if "modifie" in lines.columns else None  # type: ignore[assignment]
    if inputs.since is not None and "modifie" in lines.columns:
        changed = lines.select(c("modifie").is_null() | (c("modifie") > pl.lit(inputs.since))).to_series()
        unchanged = lines.height - int(changed.sum())
        lines = lines.filter(changed)
    lines = lines.with_columns(centre_source=c("centre"))
    lines = keyed if (keyed := convert.keys(lines)) is not None else lines
    del keyed  # `lines` alone holds the frame: it is freed below, when the status is built
    step(45, "Règles R01 à R16")
    key, commitment = convert.key_columns([lines])
    mapped = apply_mappings(lines, mappings) if mappings is not None else None
    found, nil_commitments = key_rules(lines, key, commitment)
    found += line_rules(lines, parties["tiers"].unique(), inputs.cutoff, mapped, reference)
    line_anomalies = pl.concat(pl.collect_all(found))  # every rule at once, on both cores
    del found  # its plans hold the lines: they must be freed before the target is read
    party_anomalies = third_party_rules(parties)
    step(60, "Périmètre et blocages")
    blocking = line_anomalies.filter((c("gravite") == BLOCKING) & (c("regle") != "R06"))["ligne"].unique()
    blocked_parties = party_anomalies.filter(c("gravite") == BLOCKING)["tiers"].unique()
    nil = (
        c(commitment[0]).is_in(nil_commitments[commitment[0]].implode())
        if len(commitment) == 1
        else pl.struct(commitment).is_in(nil_commitments.select(pl.struct(commitment)).to_series().implode())
    )
    base = mapped if mapped is not None else lines
    base = base.drop(cs.matches("^_.*_(unmapped|source)$"), "nature", "modifie", strict=False)
    status = base.with_columns(
        statut=pl.when(c("reste") == 0)
        .then(pl.lit("exclue"))
        .when(c(LINE).is_in(blocking.implode()) | nil | c("tiers").is_in(blocked_parties.implode()))
        .then(pl.lit("bloquee"))
        .otherwise(pl.lit("reprise"))
        .cast(STATUSES)
    )
    del mapped, lines, base
    step(70, "Totaux de contrôle")
    centres = reconcile.centres(status)
    controls = reconcile.controls(status, parties, commitment)
    statuses = dict(status.group_by("statut").len().iter_rows())
    totals, totals_in_scope = (
        reconcile.totals(status),
        reconcile.totals(status, c("statut") == "reprise"),
    )
    rows_read = status.height
    # what the reconciliation needs, before the target is read (ten million lines: every column counts)
    text_keys = [] if key == [convert.KEY] else ["ej", "poste"]  # read back from the integer key when needed
    status = status.select(
        *dict.fromkeys([*key, *text_keys, LINE, "centre_source", "statut", *COMPARED])
    ).with_columns(
        cs.by_name(CODES, "centre_source").cast(pl.Categorical)
    )  # a few hundred codes: 4 bytes a line
    target_summary: dict[str, Any] | None = None
    counts: dict[str, int] | None = None
    differences = pl.DataFrame(schema=reconcile.DIFFERENCES_SCHEMA)
    no_loss: bool | None = None
    if inputs.target is not None:
        step(75, "Lecture de la ré-extraction de la cible")
        raw_target = convert.read(
            inputs.target,
            TARGET_COLUMNS,
            "Ré-extraction de la cible",
            inputs.headers,
            TARGET_KEEP,
        )
        raw_target.frame = raw_target.frame.rename({"ej_source": "ej"})
        target, target_value_rejections = convert.convert(raw_target.frame, "cible")
        raw_target.frame = raw_target.frame.clear()
        target = target.with_columns(cs.by_name(CODES).cast(pl.Categorical))  # compared by code, exactly
        rejections = pl.concat([rejections, convert.rejections(raw_target, "cible"), target_value_rejections])
        step(80, "Rapprochement")
        if (keyed := convert.keys(target)) is not None and convert.KEY in status.columns:
            target = keyed.drop("ej", "poste")
        on, _ = convert.key_columns([status, target])
        if "ej" not in status.columns and on == [
            "ej",
            "poste",
        ]:  # the target's keys are text: so are ours again
            status = convert.with_text_keys(status)
        if inputs.since is not None:  # a delta compares only the keys it carries
            target = target.join(status.select(on), on=on, how="semi")
        result = reconcile.reconcile(status, target, on)
        counts, differences = result.counts, result.differences
        target_rejected = len(raw_target.rejected) + target_value_rejections.height
        no_loss = (
            counts["different"] == 0
            and counts["missing_in_target"] == 0
            and counts["unexpected_in_target"] == 0
            and target_rejected == 0
        )
        centres = centres.join(result.by_centre, on="centre", how="full", coalesce=True)
        target_summary = {
            "rows_in_file": raw_target.rows_in_file,
            "rows_read": target.height,
            "rows_rejected_by_parser": target_rejected,
            "totals": reconcile.totals(target),
        }
        del target
    step(90, "Synthèse")
    anomalies = pl.concat(
        [
            line_anomalies,
            party_anomalies,
            _untagged(rejections),
            _untagged(convert.rejections(raw_parties, "tiers")),
        ]
    ).sort("fichier", "ligne", "regle")
    summary: dict[str, Any] = {
        "rows_in_file": raw.rows_in_file,
        "rows_read": rows_read + unchanged,
        "rows_rejected_by_parser": raw.rows_in_file - parsed + value_rejections.height,
        "rows_unchanged_since_previous": unchanged,
        "in_scope": statuses.get("reprise", 0),
        "excluded_zero_balance": statuses.get("exclue", 0),
        "blocked": statuses.get("bloquee", 0),
        "anomalies_by_rule": count_by_rule(line_anomalies, party_anomalies),
        "totals": totals,
        "totals_in_scope": totals_in_scope,
        "third_parties": {
            "rows_in_file": raw_parties.rows_in_file,
            "rows_read": raw_parties.rows_read,
            "rows_rejected_by_parser": len(raw_parties.rejected),
        },
        "target": target_summary,
        "reconciliation": counts,
        "no_loss": no_loss,
        "max_modified": latest.isoformat() if latest else None,
        "ignored_headers": raw.ignored_headers,
        "encoding": raw.encoding,
    }
    return Outcome(
        summary, anomalies, centres.sort("centre"), controls, differences.sort("ej", "poste", nulls_last=True)
    )
