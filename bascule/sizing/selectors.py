"""Reads of sizing: the national table, a centre, the staffing gap, scenarios side by side, cost comparisons.

Every figure is computed by `bascule.sizing.compute` from the input rows the user may see; totals (wave, region,
nation) are recomputed from those rows, never stored. Each read costs a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from bascule.core.roles import Role
from bascule.core.system import Actor
from bascule.organisation.geography import REGIONS
from bascule.organisation.models import Assignment, Structure
from bascule.programmes.models import Wave
from bascule.sizing.compute import CentreWave, Figures, Params, centre_figures, totals
from bascule.sizing.models import CentreInput, CostComparison, LeadershipException, Sizing, Volume

ZERO = Decimal("0")


def params_of(sizing: Sizing) -> Params:
    return Params(
        payment_coefficient=sizing.payment_coefficient,
        revenue_weight=sizing.revenue_weight,
        acts_per_agent=sizing.acts_per_agent,
        management_per_centre=sizing.management_per_centre,
        management_per_antenna=sizing.management_per_antenna,
        rounding=sizing.rounding,
        productivity_gain=sizing.productivity_gain,
        volume_growth=sizing.volume_growth,
        extra_antennas=sizing.extra_antennas,
    )


def sizing_list(*, user: Actor) -> QuerySet[Sizing]:
    return (
        Sizing.objects.visible_to(user)
        .select_related("programme__owner", "based_on", "ministry_a", "ministry_b")
        .order_by("programme__code", "based_on__name", "name")
    )


def sizing_siblings(*, user: Actor, sizing: Sizing) -> list[Sizing]:
    """The other sizings of the same programme (what a sizing can be compared with)."""
    return list(sizing_list(user=user).filter(programme=sizing.programme_id).exclude(pk=sizing.pk))


def inputs_of(*, user: Actor, sizing: Sizing, within: Structure | None = None) -> list[CentreInput]:
    """The sizing's centre × wave rows the user may see, with their volumes (three queries)."""
    qs = (
        CentreInput.objects.visible_to(user)
        .filter(sizing=sizing)
        .select_related("centre", "wave", "host_ministry")
        .prefetch_related(Prefetch("volumes", queryset=Volume.objects.select_related("ministry")))
    )
    if within is not None:
        qs = qs.filter(centre__path__startswith=within.path)
    return list(qs.order_by("centre__region", "centre__code", "wave__golive_date"))


def as_centre_wave(row: CentreInput) -> CentreWave:
    return CentreWave(
        centre=row.centre.code,
        wave=row.wave.name,
        antennas=row.antennas,
        volumes={v.ministry.code: (v.mandats, v.titres) for v in row.volumes.all()},
        region=row.centre.region,
        host=row.host,
        host_ministry=row.host_ministry.code,
    )


@dataclass
class CentreRow:
    centre: Structure
    region: str
    host: str
    host_ministry: str
    by_wave: dict[Any, Figures] = field(default_factory=dict)  # wave id → figures
    cells: list[Figures | None] = field(default_factory=list)  # in the table's wave order


@dataclass
class RegionRow:
    code: str
    name: str
    cells: list[Figures]


@dataclass
class SizingTable:
    sizing: Sizing
    params: Params
    waves: list[Wave]
    ministries: list[str]  # codes, A then B
    rows: list[CentreRow]
    regions: list[RegionRow]
    wave_totals: list[Figures]

    def trajectory(self) -> list[tuple[str, float]]:
        return [(w.name, float(t.total)) for w, t in zip(self.waves, self.wave_totals, strict=True)]


def sizing_table(*, user: Actor, sizing: Sizing, within: Structure | None = None) -> SizingTable:
    """Per centre and wave: FTE per ministry (excluding management), management, total; per region and wave totals."""
    params = params_of(sizing)
    rows: dict[Any, CentreRow] = {}
    waves: dict[Any, Wave] = {}
    for item in inputs_of(user=user, sizing=sizing, within=within):
        row = rows.setdefault(
            item.centre_id,
            CentreRow(centre=item.centre, region=item.centre.region, host=item.host, host_ministry=""),
        )
        row.host_ministry = item.host_ministry.code
        row.by_wave[item.wave_id] = centre_figures(params, as_centre_wave(item))
        waves[item.wave_id] = item.wave
    ordered = sorted(waves.values(), key=lambda w: (w.golive_date, w.name))
    for row in rows.values():
        row.cells = [row.by_wave.get(w.pk) for w in ordered]
    by_region: dict[str, list[CentreRow]] = defaultdict(list)
    for row in rows.values():
        by_region[row.region].append(row)
    regions = [
        RegionRow(
            code=code,
            name=REGIONS.get(code, code or "Sans région"),
            cells=[totals(r.by_wave[w.pk] for r in members if w.pk in r.by_wave) for w in ordered],
        )
        for code, members in sorted(by_region.items(), key=lambda i: REGIONS.get(i[0], i[0]))
    ]
    wave_totals = [totals(r.by_wave[w.pk] for r in rows.values() if w.pk in r.by_wave) for w in ordered]
    return SizingTable(
        sizing=sizing,
        params=params,
        waves=ordered,
        ministries=[sizing.ministry_a.code, sizing.ministry_b.code],
        rows=sorted(rows.values(), key=lambda r: (REGIONS.get(r.region, r.region), r.centre.code)),
        regions=regions,
        wave_totals=wave_totals,
    )


def table_export(table: SizingTable) -> tuple[list[str], list[list[Any]]]:
    """The shape of an official sizing annex: one row per centre, per wave FTE per ministry, management, total."""
    headers = ["Région", "Centre", "Direction hôte", "Ministère hôte"]
    for wave in table.waves:
        stamp = f"{wave.name} ({wave.golive_date:%d/%m/%Y})"
        headers += [f"{stamp} — ETP {m} hors encadrement" for m in table.ministries]
        headers += [f"{stamp} — encadrement", f"{stamp} — effectif total"]
    body: list[list[Any]] = []

    def cells(figures: list[Figures | None]) -> list[Any]:
        out: list[Any] = []
        for item in figures:
            if item is None:
                out += [""] * (len(table.ministries) + 2)
            else:
                out += [item.fte_by_ministry.get(m, ZERO) for m in table.ministries]
                out += [item.management, item.total]
        return out

    for row in table.rows:
        body.append([REGIONS.get(row.region, row.region), row.centre.code, row.host, row.host_ministry])
        body[-1] += cells(list(row.cells))
    body.append(["Total", "", "", "", *cells(list(table.wave_totals))])
    return headers, body


# --- one centre, and the staffing gap --------------------------------------------------------------------------
@dataclass
class Leader:
    role: str  # "chef" / "adjoint"
    name: str
    ministry: str  # code, "" when unknown
    expected: str  # the ministry the rule wants


@dataclass
class Staffing:
    centre: Structure
    wave: Wave
    target: Figures
    actual_by_ministry: dict[str, Decimal]
    people_by_category: dict[str, int]
    leaders: list[Leader]
    exception: str  # the recorded exception's reason, if any
    broken: list[str]  # French sentences; empty when the leadership rule holds (or an exception is recorded)

    @property
    def actual(self) -> Decimal:
        return sum(self.actual_by_ministry.values(), ZERO)

    @property
    def gap(self) -> Decimal:
        """Actual − target (negative: posts to fill)."""
        return self.actual - self.target.total

    @property
    def vacancies(self) -> Decimal:
        return max(ZERO, -self.gap)

    def ministry_rows(self, ministries: list[str]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
        """(ministry, target excluding management, actual, gap) per ministry, then the rest."""
        rows = []
        for code in ministries:
            target = self.target.fte_by_ministry.get(code, ZERO)
            actual = self.actual_by_ministry.get(code, ZERO)
            rows.append((code, target, actual, actual - target))
        others = sum((v for k, v in self.actual_by_ministry.items() if k not in ministries), ZERO)
        if others:
            rows.append(("Autres", ZERO, others, others))
        return rows


def staffing(*, user: Actor, sizing: Sizing, wave: Wave, within: Structure | None = None) -> list[Staffing]:
    """Target vs people actually assigned to each centre (and its antennas) on the wave's go-live, and the
    leadership rule (head from the host ministry, deputy from the other, unless an exception is recorded).
    A fixed number of queries whatever the number of centres."""
    params = params_of(sizing)
    inputs = [i for i in inputs_of(user=user, sizing=sizing, within=within) if i.wave_id == wave.pk]
    if not inputs:
        return []
    day: date = wave.golive_date
    paths = Q()
    for item in inputs:
        paths |= Q(structure__path__startswith=item.centre.path)
    assignments = (
        Assignment.objects.filter(paths)
        .filter(start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .select_related("person__ministry_of_origin", "structure")
        .order_by("person__last_name", "person__first_name")
    )
    exceptions = dict(
        LeadershipException.objects.filter(centre__in=[i.centre for i in inputs]).values_list(
            "centre_id", "reason"
        )
    )
    by_centre: dict[Any, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        for item in inputs:
            if assignment.structure.path.startswith(item.centre.path):
                by_centre[item.centre_id].append(assignment)
                break
    codes = {sizing.ministry_a_id: sizing.ministry_a.code, sizing.ministry_b_id: sizing.ministry_b.code}
    result = []
    for item in inputs:
        people: dict[Any, Any] = {}
        leaders: list[Leader] = []
        host_code = item.host_ministry.code
        other_code = next((c for pk, c in codes.items() if pk != item.host_ministry_id), "")
        for assignment in by_centre[item.centre_id]:
            person = assignment.person
            people[person.pk] = person
            if assignment.structure_id != item.centre_id:
                continue
            ministry = person.ministry_of_origin.code if person.ministry_of_origin else ""
            if assignment.role == Role.CENTRE_HEAD:
                leaders.append(Leader("chef", f"{person.first_name} {person.last_name}", ministry, host_code))
            elif assignment.role == Role.CENTRE_DEPUTY:
                leaders.append(
                    Leader("adjoint", f"{person.first_name} {person.last_name}", ministry, other_code)
                )
        actual: dict[str, Decimal] = defaultdict(lambda: ZERO)
        categories: dict[str, int] = defaultdict(int)
        for person in people.values():
            code = person.ministry_of_origin.code if person.ministry_of_origin else "Non renseigné"
            actual[code] += person.fte
            categories[person.category or "?"] += 1
        exception = exceptions.get(item.centre_id, "")
        broken: list[str] = []
        if not exception:
            for role, label in (("chef", "chef de centre"), ("adjoint", "adjoint")):
                holders = [leader for leader in leaders if leader.role == role]
                if not holders:
                    broken.append(f"Aucun {label} affecté au {day:%d/%m/%Y}.")
                for leader in holders:
                    if leader.ministry != leader.expected:
                        broken.append(
                            f"{label.capitalize()} {leader.name} issu de {leader.ministry or 'ministère inconnu'} : "
                            f"la règle veut {leader.expected}"
                            + (" (ministère hôte)." if role == "chef" else " (l'autre ministère).")
                        )
        result.append(
            Staffing(
                centre=item.centre,
                wave=wave,
                target=centre_figures(params, as_centre_wave(item)),
                actual_by_ministry=dict(actual),
                people_by_category=dict(sorted(categories.items())),
                leaders=leaders,
                exception=exception,
                broken=broken,
            )
        )
    return result


# --- scenarios side by side -------------------------------------------------------------------------------------
@dataclass
class CompareRow:
    label: str
    wave: str
    left: Figures | None
    right: Figures | None

    @property
    def difference(self) -> Decimal | None:
        if self.left is None or self.right is None:
            return None
        return self.right.total - self.left.total

    @property
    def changed(self) -> bool:
        return self.difference != 0


def compare(*, user: Actor, left: Sizing, right: Sizing) -> dict[str, Any]:
    """Two sizings of one programme, centre × wave, totals per wave; differences flagged."""
    a = sizing_table(user=user, sizing=left)
    b = sizing_table(user=user, sizing=right)
    waves = sorted({*a.waves, *b.waves}, key=lambda w: (w.golive_date, w.name))
    a_rows = {r.centre.pk: r for r in a.rows}
    b_rows = {r.centre.pk: r for r in b.rows}
    centres = {**{r.centre.pk: r.centre for r in a.rows}, **{r.centre.pk: r.centre for r in b.rows}}
    rows = []
    for pk, centre in sorted(centres.items(), key=lambda i: i[1].code):
        for wave in waves:
            left_figures = a_rows[pk].by_wave.get(wave.pk) if pk in a_rows else None
            right_figures = b_rows[pk].by_wave.get(wave.pk) if pk in b_rows else None
            if left_figures is None and right_figures is None:
                continue
            rows.append(CompareRow(centre.code, wave.name, left_figures, right_figures))
    wave_rows = []
    for wave in waves:
        left_total = totals(r.by_wave[wave.pk] for r in a.rows if wave.pk in r.by_wave)
        right_total = totals(r.by_wave[wave.pk] for r in b.rows if wave.pk in r.by_wave)
        wave_rows.append(CompareRow("Total", wave.name, left_total, right_total))
    levers = []
    for name in (
        "payment_coefficient",
        "revenue_weight",
        "acts_per_agent",
        "management_per_centre",
        "management_per_antenna",
        "rounding",
        "productivity_gain",
        "volume_growth",
        "extra_antennas",
    ):
        label = str(getattr(Sizing._meta.get_field(name), "verbose_name", name))
        before, after = getattr(left, name), getattr(right, name)
        if name == "rounding":
            before, after = left.get_rounding_display(), right.get_rounding_display()
        levers.append((label, before, after, before != after))
    return {"left": left, "right": right, "rows": rows, "waves": wave_rows, "levers": levers}


# --- cost comparisons -------------------------------------------------------------------------------------------
@dataclass
class OptionCosts:
    name: str
    lines: list[tuple[Any, list[Decimal], Decimal]]  # (line, per year, over the period)
    per_year: list[Decimal]
    one_off: Decimal
    recurring: Decimal

    @property
    def total(self) -> Decimal:
        return sum(self.per_year, ZERO)


def cost_table(comparison: CostComparison) -> dict[str, Any]:
    years = list(range(comparison.first_year, comparison.last_year + 1))
    options: dict[str, OptionCosts] = {}
    for line in sorted(comparison.lines.all(), key=lambda item: (item.option, item.category, item.label)):
        option = options.setdefault(
            line.option, OptionCosts(line.option, [], [ZERO] * len(years), ZERO, ZERO)
        )
        active = set(line.years_in(years[0], years[-1]))
        amounts = [line.yearly if year in active else ZERO for year in years]
        period = sum(amounts, ZERO)
        option.lines.append((line, amounts, period))
        option.per_year = [a + b for a, b in zip(option.per_year, amounts, strict=True)]
        if line.recurring:
            option.recurring += period
        else:
            option.one_off += period
    ranked = sorted(options.values(), key=lambda o: (o.total, o.name))
    cheaper = ranked[0] if len(ranked) > 1 and ranked[0].total < ranked[1].total else None
    return {
        "comparison": comparison,
        "years": years,
        "options": list(options.values()),
        "cheaper": cheaper,
        "margin": (ranked[1].total - ranked[0].total) if cheaper else None,
    }


def cost_export(table: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """One row per cost line (the import's columns), then each option's totals."""
    headers = [
        "Option",
        "Nature",
        "Libellé",
        "Récurrent",
        "À partir de",
        "Jusqu'à",
        "Montant annuel",
        "Jours-homme",
        "Coût journalier",
        *[str(y) for y in table["years"]],
        "Total période",
    ]
    rows: list[list[Any]] = []
    for option in table["options"]:
        for line, amounts, period in option.lines:
            rows.append(
                [
                    option.name,
                    line.get_category_display(),
                    line.label,
                    "oui" if line.recurring else "non",
                    line.from_year,
                    line.to_year or "",
                    line.amount,
                    line.days,
                    line.daily_cost,
                    *amounts,
                    period,
                ]
            )
        rows.append([f"Total {option.name}", "", "", "", "", "", "", "", "", *option.per_year, option.total])
    return headers, rows


def centre_waves(*, user: Actor, sizing: Sizing, centre: Structure) -> list[tuple[CentreInput, Figures]]:
    params = params_of(sizing)
    rows = [i for i in inputs_of(user=user, sizing=sizing, within=centre) if i.centre_id == centre.pk]
    return [(row, centre_figures(params, as_centre_wave(row))) for row in rows]


def sizing_home(*, user: Actor) -> dict[str, Any] | None:
    """The reference sizing of the user's first programme: centres and staff at each wave (home panel)."""
    sizing = (
        sizing_list(user=user).filter(based_on__isnull=True).order_by("programme__code", "created_at").first()
    )
    if sizing is None:
        return None
    table = sizing_table(user=user, sizing=sizing)
    if not table.rows:
        return None
    return {"sizing": sizing, "table": table}
