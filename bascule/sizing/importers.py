"""Import of sizing inputs (XLSX / ODS / CSV): one row per centre × wave × ministry.

Columns `Centre`, `Région`, `Hôte`, `Ministère hôte`, `Antennes`, `Vague` (a go-live date or a wave's name),
`Ministère`, `Mandats`, `Titres`. The rows of a file are checked together (a centre has one host directorate; a
centre × wave one number of antennas; a centre × wave × ministry one row), then each against the referential and the
sizing's rules through the same checks as the pages (`services.check_centre_input`). A sizing is imported whole:
when a row is rejected, nothing of the file is written, and every other row says so.

`read_rows` (no database) is shared with `manage.py sizing_compute`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from bascule.core.imports import (
    CREATE,
    REJECT,
    UNCHANGED,
    UPDATE,
    Column,
    Importer,
    Planned,
    RowError,
    RowReader,
    RowResult,
    register_importer,
    reject,
)
from bascule.core.parsing import parse_choice, parse_date, parse_decimal
from bascule.core.spreadsheets import SpreadsheetError, normalise_label
from bascule.core.system import Actor
from bascule.organisation.geography import REGIONS
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import Wave
from bascule.sizing import services
from bascule.sizing.models import CentreInput, CostCategory, CostComparison, CostLine, Sizing

COLUMNS = [
    Column("centre", "Centre", ("code du centre", "CPCM", "CSP"), required=True, max_length=60),
    Column("region", "Région", ("region",), max_length=60),
    Column("host", "Hôte", ("direction hôte", "hote"), required=True, max_length=40),
    Column("host_ministry", "Ministère hôte", (), max_length=40),
    Column("antennas", "Antennes", ("nombre d'antennes",), max_length=10),
    Column("wave", "Vague", ("date de bascule",), required=True, max_length=120),
    Column("ministry", "Ministère", ("ministère d'origine",), required=True, max_length=40),
    Column("mandats", "Mandats", ("nombre de mandats", "mandats par an"), required=True, max_length=20),
    Column("titres", "Titres", ("titres de perception", "titres par an"), required=True, max_length=20),
]
_THOUSANDS = re.compile(r"^\d{1,3}(?:[. ]\d{3})+$")
COUNT_MAX = 100_000_000


def parse_count(text: str) -> int:
    """A yearly volume: `30000`, `30 000`, `30.000` (thousands), `30000,00`; never negative nor fractional."""
    raw = text.strip().replace("\u202f", " ").replace("\xa0", " ")
    if not raw:
        raise ValueError("valeur obligatoire (0 s'il n'y en a pas).")
    if _THOUSANDS.match(raw):
        raw = raw.replace(".", "").replace(" ", "")
    raw = raw.replace(" ", "").replace(",", ".")
    value = Decimal(raw) if re.fullmatch(r"-?\d+(?:\.\d+)?", raw) else None
    if value is None:
        raise ValueError("nombre illisible ; écrivez un nombre entier, par exemple 30 000.")
    if value < 0:
        raise ValueError("un volume ne peut pas être négatif.")
    if value != value.to_integral_value():
        raise ValueError("un volume est un nombre entier d'actes.")
    if value > COUNT_MAX:
        raise ValueError(f"au plus {COUNT_MAX:,} actes par an.".replace(",", " "))
    return int(value)


@dataclass
class SizingRow:
    reader: RowReader
    centre: str
    region: str
    host: str
    host_ministry: str
    antennas: int
    wave: str  # as written
    wave_date: date | None
    ministry: str
    mandats: int
    titres: int


def read_rows(readers: list[RowReader]) -> list[tuple[RowReader, SizingRow | None]]:
    """Parse every row and check the file's own consistency; no database. Errors are kept on each reader."""
    out: list[tuple[RowReader, SizingRow | None]] = []
    hosts: dict[str, tuple[str, int]] = {}
    antennas_seen: dict[tuple[str, str], tuple[int, int]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for reader in readers:
        centre = reader["centre"].strip().upper()
        host = reader["host"].strip().upper()
        wave = " ".join(reader["wave"].split())
        ministry = reader["ministry"].strip().upper()
        if not centre:
            reader.error("centre", "le code du centre est obligatoire.")
        if not host:
            reader.error("host", "la direction hôte est obligatoire (par exemple DREAL).")
        if not wave:
            reader.error("wave", "la vague est obligatoire (sa date de bascule ou son nom).")
        if not ministry:
            reader.error("ministry", "le ministère d'origine est obligatoire.")
        numbers: dict[str, int] = {}
        for key in ("mandats", "titres"):
            try:
                numbers[key] = parse_count(reader[key])
            except ValueError as error:
                reader.error(key, str(error))
        antennas = 0
        if reader.has("antennas") and reader["antennas"].strip():
            try:
                antennas = parse_count(reader["antennas"])
                if antennas > 50:
                    raise ValueError("au plus 50 antennes.")
            except ValueError as error:
                reader.error("antennas", str(error).replace("actes par an", "antennes"))
        try:
            wave_date = parse_date(wave) if wave and wave[0].isdigit() else None
        except ValueError as error:
            reader.error("wave", str(error))
            wave_date = None
        if centre and host:
            first = hosts.setdefault(centre, (host, reader.number))
            if first[0] != host:
                reader.error(
                    "host",
                    f"le centre {centre} a déjà la direction hôte « {first[0]} » (ligne {first[1]}) : "
                    "un centre n'a qu'une direction hôte.",
                )
        if centre and wave:
            known = antennas_seen.setdefault((centre, wave), (antennas, reader.number))
            if known[0] != antennas:
                reader.error(
                    "antennas",
                    f"{known[0]} antenne(s) ligne {known[1]} pour ce centre à cette vague.",
                )
        if centre and wave and ministry:
            triple = (centre, wave, ministry)
            if triple in seen:
                reader.error(
                    "ministry",
                    f"ce centre a déjà une ligne pour ce ministère à cette vague (ligne {seen[triple]}).",
                )
            else:
                seen[triple] = reader.number
        if reader.errors:
            out.append((reader, None))
            continue
        out.append(
            (
                reader,
                SizingRow(
                    reader=reader,
                    centre=centre,
                    region=reader["region"].strip() if reader.has("region") else "",
                    host=host,
                    host_ministry=reader["host_ministry"].strip().upper()
                    if reader.has("host_ministry")
                    else "",
                    antennas=antennas,
                    wave=wave,
                    wave_date=wave_date,
                    ministry=ministry,
                    mandats=numbers["mandats"],
                    titres=numbers["titres"],
                ),
            )
        )
    return out


def _region_matches(text: str, code: str) -> bool:
    wanted = normalise_label(text)
    return wanted in {
        normalise_label(code),
        normalise_label(REGIONS.get(code, "")),
        normalise_label(f"R{code}"),
    }


@dataclass
class _Payload:
    centre: Structure
    wave: Wave
    host: str
    host_ministry: Structure | None
    antennas: int
    ministry: Structure
    mandats: int
    titres: int


class SizingFile(Importer):
    """The file's columns and reading, without a sizing to write to (`manage.py sizing_compute`)."""

    name = "sizing.file"
    label = "Volumes des centres"
    columns = COLUMNS


@register_importer
class SizingInputImporter(SizingFile):
    name = "sizing.inputs"
    slug = "dimensionnement"
    label = "Volumes des centres (dimensionnement)"

    def __init__(self, *, user: Actor, sizing: Sizing) -> None:
        super().__init__(user=user)
        self.sizing = sizing

    @classmethod
    def from_params(cls, *, user: Actor, params: dict[str, Any]) -> SizingInputImporter:
        return cls(user=user, sizing=Sizing.objects.select_related("programme").get(pk=params["sizing"]))

    @classmethod
    def example_params(cls, *, user: Actor) -> dict[str, Any] | None:
        sizing = Sizing.objects.visible_to(user).order_by("created_at").first()
        return {"sizing": str(sizing.pk)} if sizing else None

    def example_row(self) -> dict[str, str]:
        centre = (
            Structure.objects.visible_to(self.user)
            .filter(kind=StructureKind.SHARED_CENTRE)
            .order_by("code")
            .first()
        )
        wave = Wave.objects.filter(programme=self.sizing.programme).order_by("golive_date").first()
        ministry = Structure.objects.filter(kind=StructureKind.MINISTRY).order_by("code").first()
        if centre is None or wave is None or ministry is None:
            return {}
        return {
            "centre": centre.code,
            "host": "DREAL",
            "wave": wave.name,
            "ministry": ministry.code,
            "mandats": "30 000",
            "titres": "1 200",
        }

    def plan(self, readers: list[RowReader]) -> list[Planned]:
        if not self.sizing.get_abilities(self.user)["add_input"]:
            raise SpreadsheetError("Vous ne pouvez saisir aucun volume dans ce dimensionnement.")
        sizing = self.sizing
        centres = {s.code.upper(): s for s in Structure.objects.filter(kind=StructureKind.SHARED_CENTRE)}
        visible = set(
            Structure.objects.visible_to(self.user)
            .filter(kind=StructureKind.SHARED_CENTRE)
            .values_list("pk", flat=True)
        )
        ministries = {s.code.upper(): s for s in Structure.objects.filter(kind=StructureKind.MINISTRY)}
        waves = list(Wave.objects.filter(programme=sizing.programme))
        existing = {
            (i.centre_id, i.wave_id): i
            for i in CentreInput.objects.filter(sizing=sizing).prefetch_related("volumes")
        }
        planned: list[Planned] = []
        for reader, row in read_rows(readers):
            if row is None:
                planned.append(reject(reader, reader["centre"]))
                continue
            centre = centres.get(row.centre)
            if centre is None or centre.pk not in visible:
                reader.error("centre", "aucun centre de services partagés de ce code dans votre périmètre.")
            elif row.region and not _region_matches(row.region, centre.region):
                reader.error(
                    "region",
                    f"le centre {centre.code} est en région {REGIONS.get(centre.region, centre.region)}.",
                )
            wave = next(
                (
                    w
                    for w in waves
                    if (row.wave_date and w.golive_date == row.wave_date)
                    or normalise_label(w.name) == normalise_label(row.wave)
                ),
                None,
            )
            if wave is None:
                listed = ", ".join(f"« {w.name} » ({w.golive_date:%d/%m/%Y})" for w in waves) or "aucune"
                reader.error(
                    "wave", f"vague inconnue du programme {sizing.programme.code} ; ses vagues : {listed}."
                )
            ministry = ministries.get(row.ministry)
            if ministry is None:
                reader.error("ministry", "aucun ministère de ce code dans le référentiel.")
            host_ministry = ministries.get(row.host_ministry) if row.host_ministry else None
            if row.host_ministry and host_ministry is None:
                reader.error("host_ministry", "aucun ministère de ce code dans le référentiel.")
            if not reader.errors and centre is not None and wave is not None and ministry is not None:
                try:
                    services.check_centre_input(
                        by=self.user,
                        sizing=sizing,
                        centre=centre,
                        wave=wave,
                        host=row.host,
                        host_ministry=host_ministry,
                        ministries=[ministry],
                    )
                except PermissionDenied as error:
                    reader.error("centre", str(error))
                except ValidationError as error:
                    fields = {
                        "host": "host",
                        "host_ministry": "host_ministry",
                        "ministry": "ministry",
                        "wave": "wave",
                    }
                    for name, messages in error.message_dict.items():
                        for message in messages:
                            reader.error(fields.get(name, "centre"), message)
            if reader.errors or centre is None or wave is None or ministry is None:
                planned.append(reject(reader, row.centre))
                continue
            key = f"{centre.code} · {wave.name} · {ministry.code}"
            payload = _Payload(
                centre, wave, row.host, host_ministry, row.antennas, ministry, row.mandats, row.titres
            )
            current = existing.get((centre.pk, wave.pk))
            volume = (
                next((v for v in current.volumes.all() if v.ministry_id == ministry.pk), None)
                if current
                else None
            )
            changes: list[tuple[str, str, str]] = []
            if current is not None:
                if current.host != row.host:
                    changes.append(("Hôte", current.host, row.host))
                if current.antennas != row.antennas:
                    changes.append(("Antennes", str(current.antennas), str(row.antennas)))
            if volume is not None:
                if volume.mandats != row.mandats:
                    changes.append(("Mandats", str(volume.mandats), str(row.mandats)))
                if volume.titres != row.titres:
                    changes.append(("Titres", str(volume.titres), str(row.titres)))
            outcome = CREATE if volume is None else (UPDATE if changes else UNCHANGED)
            planned.append(
                Planned(RowResult(row=reader.number, key=key, outcome=outcome, changes=changes), payload)
            )
        rejected = sum(1 for p in planned if p.result.outcome == REJECT)
        if rejected:
            # A sizing is imported whole: a centre's figures from half a file would be wrong without saying so.
            for item in planned:
                if item.result.outcome != REJECT:
                    item.result.outcome = REJECT
                    item.result.errors.append(
                        RowError(
                            item.result.row,
                            "(fichier)",
                            "",
                            f"ligne correcte, non importée : le fichier a {rejected} ligne(s) rejetée(s) ; "
                            "corrigez-les puis importez le fichier de nouveau (un dimensionnement s'importe en entier).",
                        )
                    )
        return planned

    def write(self, planned: Planned) -> None:
        p: _Payload = planned.payload
        services.centre_input_set(
            by=self.user,
            sizing=self.sizing,
            centre=p.centre,
            wave=p.wave,
            host=p.host,
            host_ministry=p.host_ministry,
            antennas=p.antennas,
            volumes={p.ministry: (p.mandats, p.titres)},
        )


# --- cost lines -------------------------------------------------------------------------------------------------
COST_COLUMNS = [
    Column("option", "Option", (), required=True, max_length=120),
    Column("category", "Nature", ("catégorie",), required=True, max_length=40),
    Column("label", "Libellé", ("poste",), required=True, max_length=255),
    Column("recurring", "Récurrent", ("recurrent",), max_length=10),
    Column("from_year", "À partir de", ("année", "première année"), required=True, max_length=10),
    Column("to_year", "Jusqu'à", ("dernière année",), max_length=10),
    Column("amount", "Montant annuel", ("montant",), max_length=30),
    Column("days", "Jours-homme", ("jours",), max_length=30),
    Column("daily_cost", "Coût journalier", ("tjm",), max_length=30),
]
_YES = {"oui", "o", "yes", "x", "1", "vrai", "recurrent"}
_NO = {"non", "n", "no", "0", "faux", "ponctuel", ""}


@register_importer
class CostLineImporter(Importer):
    """Cost lines of a comparison (the export's columns; its « Total … » rows are skipped)."""

    name = "sizing.costs"
    slug = "couts"
    label = "Lignes de coût"
    columns = COST_COLUMNS

    def __init__(self, *, user: Actor, comparison: CostComparison) -> None:
        super().__init__(user=user)
        self.comparison = comparison

    @classmethod
    def from_params(cls, *, user: Actor, params: dict[str, Any]) -> CostLineImporter:
        return cls(user=user, comparison=CostComparison.objects.get(pk=params["comparison"]))

    @classmethod
    def example_params(cls, *, user: Actor) -> dict[str, Any] | None:
        comparison = CostComparison.objects.visible_to(user).order_by("created_at").first()
        return {"comparison": str(comparison.pk)} if comparison else None

    def example_row(self) -> dict[str, str]:
        return {
            "option": "Solution mutualisée",
            "category": CostCategory.choices[0][1],
            "label": "Ligne d'exemple",
            "recurring": "oui",
            "from_year": str(self.comparison.first_year),
            "amount": "12 000",
        }

    def plan(self, readers: list[RowReader]) -> list[Planned]:
        comparison = self.comparison
        if not comparison.get_abilities(self.user)["change"]:
            raise SpreadsheetError("Seuls les pilotes du programme comparent ses coûts.")
        existing = {(line.option, line.label): line for line in comparison.lines.all()}
        planned: list[Planned] = []
        seen: dict[tuple[str, str], int] = {}
        for reader in readers:
            option, label = reader["option"].strip(), reader["label"].strip()
            if option.lower().startswith("total") and not label:
                continue  # the export's totals
            values: dict[str, Any] = {}
            try:
                values["category"] = parse_choice(reader["category"], CostCategory.choices)
            except ValueError as error:
                reader.error("category", str(error))
            recurring = normalise_label(reader["recurring"]) if reader.has("recurring") else "oui"
            if recurring in _YES:
                values["recurring"] = True
            elif recurring in _NO:
                values["recurring"] = False
            else:
                reader.error("recurring", "répondez oui (chaque année) ou non (ponctuel).")
            for key in ("from_year", "to_year"):
                text = reader[key].strip() if reader.has(key) else ""
                if not text and key == "to_year":
                    values[key] = None
                    continue
                if not re.fullmatch(r"\d{4}", text):
                    reader.error(key, "une année sur quatre chiffres, par exemple 2026.")
                else:
                    values[key] = int(text)
            for key in ("amount", "days", "daily_cost"):
                try:
                    values[key] = parse_decimal(
                        reader[key] if reader.has(key) else "", minimum=Decimal(0)
                    ) or Decimal(0)
                except ValueError as error:
                    reader.error(key, str(error))
            if not option:
                reader.error("option", "l'option est obligatoire (par exemple « Solution mutualisée »).")
            if not label:
                reader.error("label", "le libellé est obligatoire.")
            if (option, label) in seen:
                reader.error("label", f"cette option a déjà ce libellé ligne {seen[(option, label)]}.")
            seen.setdefault((option, label), reader.number)
            first, last = comparison.first_year, comparison.last_year
            if "from_year" in values and not first <= values["from_year"] <= last:
                reader.error("from_year", f"hors de la période {first}–{last}.")
            if (
                values.get("to_year") is not None
                and "from_year" in values
                and not values["from_year"] <= values["to_year"] <= last
            ):
                reader.error("to_year", f"doit être entre {values['from_year']} et {last}.")
            if reader.errors:
                planned.append(reject(reader, f"{option} · {label}"))
                continue
            current = existing.get((option, label))
            changes = []
            if current is not None:
                for key, value in values.items():
                    before = getattr(current, key)
                    if before != value:
                        label_of = str(getattr(CostLine._meta.get_field(key), "verbose_name", key))
                        changes.append((label_of, str(before), str(value)))
            outcome = CREATE if current is None else (UPDATE if changes else UNCHANGED)
            planned.append(
                Planned(
                    RowResult(row=reader.number, key=f"{option} · {label}", outcome=outcome, changes=changes),
                    (option, label, values),
                )
            )
        return planned

    def write(self, planned: Planned) -> None:
        option, label, values = planned.payload
        services.cost_line_set(by=self.user, comparison=self.comparison, option=option, label=label, **values)
