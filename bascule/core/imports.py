"""The import engine shared by every module: columns, a preview that writes nothing, an atomic apply.

A module declares an `Importer` (its columns, how to plan one row, how to write a planned row) and registers it.
`preview()` plans every row and writes nothing; `apply()` plans again inside one transaction and writes the rows
that were accepted, so what is applied is what the database holds at that moment. Rejected rows are explained with
their row number, the column, the value and the reason, in French. Planning compares with what exists, so
re-importing the same file reports every row as unchanged and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from django.db import transaction

from bascule.core.fields import TEXT_MAX
from bascule.core.spreadsheets import NoHeaderError, Row, SpreadsheetError, Table, normalise_label, read_table
from bascule.core.system import Actor

CREATE, UPDATE, UNCHANGED, REJECT = "create", "update", "unchanged", "reject"
OUTCOME_LABELS = {CREATE: "à créer", UPDATE: "à mettre à jour", UNCHANGED: "inchangée", REJECT: "rejetée"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    help: str = ""
    max_length: int = TEXT_MAX  # longer values reject the row (every text input is bounded)

    def matches(self, header: str) -> bool:
        wanted = {normalise_label(self.label), normalise_label(self.key), *map(normalise_label, self.aliases)}
        return normalise_label(header) in wanted


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 80 else self.value[:77] + "…"
        return f"Ligne {self.row}, colonne « {self.column} », valeur « {shown} » : {self.message}"


@dataclass
class RowResult:
    row: int
    key: str
    outcome: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (column, before, after)
    errors: list[RowError] = field(default_factory=list)

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    @property
    def messages(self) -> list[str]:
        return [str(error) for error in self.errors]


@dataclass
class ImportReport:
    importer: str
    format: str = ""
    applied: bool = False
    rows: list[RowResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOME_LABELS, 0)
        for row in self.rows:
            counts[row.outcome] += 1
        return counts

    @property
    def rejected(self) -> list[RowResult]:
        return [row for row in self.rows if row.outcome == REJECT]

    def to_dict(self) -> dict[str, Any]:
        return {
            "importer": self.importer,
            "format": self.format,
            "applied": self.applied,
            "counts": self.counts(),
            "rows": [asdict(row) for row in self.rows],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        rows = [
            RowResult(
                row=row["row"],
                key=row["key"],
                outcome=row["outcome"],
                changes=[tuple(change) for change in row["changes"]],
                errors=[RowError(**error) for error in row["errors"]],
            )
            for row in data.get("rows", [])
        ]
        return cls(
            importer=data["importer"], format=data.get("format", ""), applied=data["applied"], rows=rows
        )


class RowReader:
    """One data row seen through the importer's columns; collects the row's errors."""

    def __init__(self, row: Row, mapping: dict[str, int], columns: dict[str, Column]) -> None:
        self.row = row
        self.number = row.number
        self._mapping = mapping
        self._columns = columns
        self.errors: list[RowError] = []

    def __getitem__(self, key: str) -> str:
        return self.row.get(self._mapping.get(key))

    def has(self, key: str) -> bool:
        return key in self._mapping

    def error(self, key: str, message: str, value: str | None = None) -> None:
        self.errors.append(
            RowError(self.number, self._columns[key].label, self[key] if value is None else value, message)
        )


@dataclass
class Planned:
    """The outcome of one row, and what `write()` needs to apply it."""

    result: RowResult
    payload: Any = None


class Importer:
    """Subclass with `name`, `label`, `columns`, `plan()` and `write()`; register with `register_importer`."""

    name: ClassVar[str]  # "<module>.<slug>", e.g. "organisation.structures"
    label: ClassVar[str]
    do_not_call_in_templates: ClassVar[bool] = True  # templates read the class's columns
    columns: ClassVar[Sequence[Column]]

    def __init__(self, *, user: Actor) -> None:
        self.user = user

    @classmethod
    def from_params(cls, *, user: Actor, params: dict[str, Any]) -> Importer:
        """Build the importer for a background run from the run's parameters (JSON)."""
        return cls(user=user)

    @classmethod
    def example_params(cls, *, user: Actor) -> dict[str, Any] | None:
        """Parameters of a run the user could start (the harnesses import through every importer with them).

        None when the user has nothing to import into (e.g. no programme). Override when `from_params` needs some.
        """
        return {}

    def example_row(self) -> dict[str, str]:
        """One row (by column key) that this importer accepts from its user when they may write it, made of what
        the database holds (a structure they edit, a wave of the programme…): each importer's own columns, that
        the harnesses fill then vary. Empty when the user has nothing to write into."""
        return {}

    # --- reading -------------------------------------------------------------------------------
    def is_header(self, cells: list[str]) -> bool:
        return all(any(column.matches(cell) for cell in cells) for column in self.columns if column.required)

    def read(self, data: bytes, filename: str = "") -> Table:
        try:
            return read_table(data, filename, is_header=self.is_header)
        except NoHeaderError:
            # Say which expected columns the first row lacks, rather than only "no header".
            self.map_columns(read_table(data, filename).headers)
            raise

    def map_columns(self, headers: list[str]) -> dict[str, int]:
        mapping: dict[str, int] = {}
        for index, header in enumerate(headers):
            for column in self.columns:
                if column.matches(header):
                    if column.key in mapping:
                        raise SpreadsheetError(
                            f"La colonne « {column.label} » apparaît deux fois dans l'en-tête."
                        )
                    mapping[column.key] = index
        missing = [column.label for column in self.columns if column.required and column.key not in mapping]
        if missing:
            raise SpreadsheetError(
                "Colonnes obligatoires absentes de l'en-tête : "
                + ", ".join(f"« {label} »" for label in missing)
                + ". Colonnes reconnues : "
                + ", ".join(f"« {column.label} »" for column in self.columns)
                + "."
            )
        return mapping

    def readers(self, table: Table) -> Iterator[RowReader]:
        mapping = self.map_columns(table.headers)
        by_key = {column.key: column for column in self.columns}
        index_to_key = {index: key for key, index in mapping.items()}
        for row in table.rows:
            reader = RowReader(row, mapping, by_key)
            for index, formula in row.formulas.items():
                if index in index_to_key:
                    reader.error(
                        index_to_key[index],
                        "les formules ne sont pas acceptées ; collez les valeurs (collage spécial → valeurs).",
                        formula,
                    )
            for key, index in mapping.items():
                limit = by_key[key].max_length
                if len(row.get(index)) > limit:
                    reader.error(key, f"la valeur dépasse {limit} caractères.", row.get(index)[:80])
            if row.extra:
                reader.errors.append(
                    RowError(
                        row.number,
                        "(hors en-tête)",
                        " | ".join(row.extra),
                        f"la ligne a plus de valeurs que les {len(table.headers)} colonnes de l'en-tête.",
                    )
                )
            yield reader

    # --- to implement ---------------------------------------------------------------------------
    def plan(self, readers: list[RowReader]) -> list[Planned]:  # pragma: no cover - abstract
        raise NotImplementedError

    def write(self, planned: Planned) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- running ------------------------------------------------------------------------------------
    def preview(self, table: Table) -> ImportReport:
        """Plan every row; write nothing."""
        planned = self.plan(list(self.readers(table)))
        return ImportReport(importer=self.name, format=table.format, rows=_by_row(planned))

    def apply(self, table: Table) -> ImportReport:
        """Plan again and write the accepted rows, all in one transaction (all or nothing)."""
        with transaction.atomic():
            planned = self.plan(list(self.readers(table)))
            for item in planned:
                if item.result.outcome in {CREATE, UPDATE}:
                    self.write(item)
        return ImportReport(importer=self.name, format=table.format, applied=True, rows=_by_row(planned))


def _by_row(planned: list[Planned]) -> list[RowResult]:
    return sorted((item.result for item in planned), key=lambda result: result.row)


IMPORTERS: dict[str, type[Importer]] = {}


def register_importer(cls: type[Importer]) -> type[Importer]:
    IMPORTERS[cls.name] = cls
    return cls


def reject(reader: RowReader, key: str) -> Planned:
    return Planned(RowResult(row=reader.number, key=key, outcome=REJECT, errors=list(reader.errors)))


def describe(value: Any) -> str:
    """How a value appears in a preview's before/after columns."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
