"""A programme described in a file (YAML, or XLSX with the sheets « Programme », « Vagues », « Responsables »),
read into a plain description then set up through the services, in one transaction: `manage.py programme_setup`.

Run again, it changes nothing already there: the programme is found by its code, a wave by its name, an
assignment by (person, role, structure); what is new is created. Every problem is said in French with its place.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from bascule.core.parsing import parse_date
from bascule.core.system import Actor
from bascule.organisation.models import Assignment, Person, Structure
from bascule.organisation.ranks import role_label
from bascule.organisation.services import assignment_create
from bascule.programmes.models import Programme
from bascule.programmes.services import (
    programme_create,
    templates_add_standard,
    wave_create,
    workstreams_instantiate,
)
from bascule.programmes.setup import parse_budget_codes, structures_from_codes, structures_of_kinds


class SetupFileError(ValueError):
    """What is wrong in the file, in French, with where."""


@dataclass
class WaveSpec:
    name: str
    golive: date
    freeze: date | None = None
    budget: list[str] = field(default_factory=list)
    structures: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    below: list[str] = field(default_factory=list)
    scope: str = ""


@dataclass
class LeadSpec:
    email: str
    role: str
    structure: str
    start: date


@dataclass
class ProgrammeSpec:
    code: str
    name: str
    owner: str
    description: str = ""
    standard_workstreams: bool = True
    instantiate: bool = True
    waves: list[WaveSpec] = field(default_factory=list)
    leads: list[LeadSpec] = field(default_factory=list)


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        parsed = parse_date(str(value))
    except ValueError as exc:
        raise SetupFileError(f"{where} : {exc}") from exc
    if parsed is None:
        raise SetupFileError(f"{where} : date manquante.")
    return parsed


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in str(value).replace(";", ",").split(",") if p.strip()]


def _required(data: dict[str, Any], key: str, where: str) -> str:
    value = str(data.get(key) or "").strip()
    if not value:
        raise SetupFileError(f"{where} : « {key} » manque.")
    return value


def from_mapping(data: Any) -> ProgrammeSpec:
    if not isinstance(data, dict):
        raise SetupFileError("Le fichier doit décrire un programme (code, name, owner, waves…).")
    spec = ProgrammeSpec(
        code=_required(data, "code", "Programme"),
        name=_required(data, "name", "Programme"),
        owner=_required(data, "owner", "Programme"),
        description=str(data.get("description") or ""),
        standard_workstreams=bool(data.get("standard_workstreams", True)),
        instantiate=bool(data.get("instantiate", True)),
    )
    for n, wave in enumerate(data.get("waves") or [], start=1):
        where = f"Vague {n}"
        spec.waves.append(
            WaveSpec(
                name=_required(wave, "name", where),
                golive=_date(wave.get("golive"), f"{where}, golive"),
                freeze=_date(wave["freeze"], f"{where}, freeze") if wave.get("freeze") else None,
                budget=_list(wave.get("budget_programmes")),
                structures=_list(wave.get("structures")),
                kinds=_list(wave.get("kinds")),
                below=_list(wave.get("below")),
                scope=str(wave.get("scope") or ""),
            )
        )
    for n, lead in enumerate(data.get("leads") or [], start=1):
        where = f"Responsable {n}"
        spec.leads.append(
            LeadSpec(
                email=_required(lead, "email", where).lower(),
                role=_required(lead, "role", where),
                structure=_required(lead, "structure", where),
                start=_date(lead.get("start") or date.today(), f"{where}, start"),
            )
        )
    return spec


_XLSX_KEYS = {
    "code": "code",
    "nom": "name",
    "structure pilote": "owner",
    "objet": "description",
    "chantiers standard": "standard_workstreams",
    "instancier": "instantiate",
}
_WAVE_COLUMNS = {
    "nom": "name",
    "bascule": "golive",
    "gel": "freeze",
    "programmes budgetaires": "budget_programmes",
    "structures": "structures",
    "types": "kinds",
    "sous": "below",
    "perimetre": "scope",
}
_LEAD_COLUMNS = {"courriel": "email", "role": "role", "structure": "structure", "debut": "start"}


def _sheet_rows(sheet: Any, columns: dict[str, str], title: str) -> list[dict[str, Any]]:
    from bascule.core.spreadsheets import normalise_label

    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return []
    headers = [columns.get(normalise_label(str(h or ""))) for h in rows[0]]
    if not any(headers):
        raise SetupFileError(f"Feuille « {title} » : en-têtes attendus {', '.join(columns)}.")
    out = []
    for row in rows[1:]:
        if all(v in (None, "") for v in row):
            continue
        out.append({h: v for h, v in zip(headers, row, strict=False) if h})
    return out


def from_xlsx(data: bytes) -> ProgrammeSpec:
    from openpyxl import load_workbook

    from bascule.core.spreadsheets import normalise_label

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheets = {normalise_label(name): book[name] for name in book.sheetnames}
    if "programme" not in sheets:
        raise SetupFileError("Le classeur doit avoir une feuille « Programme » (clé, valeur).")
    mapping: dict[str, Any] = {}
    for key, value, *_ in sheets["programme"].iter_rows(values_only=True):
        name = _XLSX_KEYS.get(normalise_label(str(key or "")))
        if name:
            mapping[name] = (
                (str(value).strip().lower() in ("oui", "true", "1"))
                if name in ("standard_workstreams", "instantiate")
                else value
            )
    mapping["waves"] = _sheet_rows(sheets["vagues"], _WAVE_COLUMNS, "Vagues") if "vagues" in sheets else []
    mapping["leads"] = (
        _sheet_rows(sheets["responsables"], _LEAD_COLUMNS, "Responsables") if "responsables" in sheets else []
    )
    return from_mapping(mapping)


def read_spec(data: bytes, filename: str) -> ProgrammeSpec:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return from_xlsx(data)
    try:
        return from_mapping(yaml.safe_load(data.decode("utf-8")))
    except yaml.YAMLError as exc:
        raise SetupFileError(f"YAML illisible : {exc}") from exc


def _structure(code: str, where: str) -> Structure:
    found = Structure.objects.filter(code__iexact=code).first()
    if found is None:
        raise SetupFileError(f"{where} : aucune structure n'a le code « {code} ».")
    return found


@transaction.atomic
def apply_spec(spec: ProgrammeSpec, *, by: Actor) -> list[str]:
    """Set the programme up as described (all or nothing); returns what was done, in French."""
    said: list[str] = []
    programme = Programme.objects.filter(code=spec.code).first()
    if programme is None:
        programme = programme_create(
            by=by,
            code=spec.code,
            name=spec.name,
            owner=_structure(spec.owner, "Programme, structure pilote"),
            description=spec.description,
        )
        said.append(f"Programme {spec.code} créé.")
    if spec.standard_workstreams and not programme.templates.exists():
        templates_add_standard(by=by, programme=programme)
        said.append("Sept chantiers standard ajoutés.")
    existing = set(programme.waves.values_list("name", flat=True))
    waves = []
    for n, w in enumerate(spec.waves, start=1):
        if w.name in existing:
            waves.append(programme.waves.get(name=w.name))
            continue
        structures, missing = structures_from_codes(by=by, codes=w.structures)
        if missing:
            raise SetupFileError(f"Vague {n} ({w.name}) : structures inconnues : {', '.join(missing)}.")
        if w.kinds:
            below = [_structure(c, f"Vague {n}, sous") for c in w.below]
            structures += structures_of_kinds(by=by, kinds=w.kinds, below=below)
        try:
            budget = parse_budget_codes(",".join(w.budget))
        except ValidationError as exc:
            raise SetupFileError(f"Vague {n} ({w.name}) : {' '.join(exc.messages)}") from exc
        waves.append(
            wave_create(
                by=by,
                programme=programme,
                name=w.name,
                golive_date=w.golive,
                freeze_date=w.freeze,
                scope=w.scope,
                budget_programmes=budget,
                structures=list({s.pk: s for s in structures}.values()),
            )
        )
        said.append(f"Vague « {w.name} » créée ({len(structures)} structures).")
    for n, lead in enumerate(spec.leads, start=1):
        person = Person.objects.filter(email=lead.email).first()
        if person is None:
            raise SetupFileError(f"Responsable {n} : personne inconnue ({lead.email}).")
        structure = _structure(lead.structure, f"Responsable {n}")
        held = Assignment.objects.filter(person=person, role=lead.role, structure=structure).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=lead.start)
        )
        if held.exists():  # held already, or from a date to come
            continue
        try:
            assignment_create(
                by=by, person=person, role=lead.role, structure=structure, start_date=lead.start
            )
        except ValidationError as exc:
            raise SetupFileError(f"Responsable {n} ({lead.email}) : {' '.join(exc.messages)}") from exc
        said.append(f"{person} : {role_label(lead.role)} sur {structure.code}.")
    if spec.instantiate:
        for wave in waves:
            if wave.structures.filter(kind__in=["region", "department"]).exists():
                created = workstreams_instantiate(by=by, programme=programme, wave=wave)
                if created:
                    said.append(f"« {wave.name} » : {len(created)} chantiers instanciés.")
    return said or ["Rien à faire : le programme est déjà tel que décrit."]
