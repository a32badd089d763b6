"""Fuzzy French deadlines ("fin 2021", "T3 2023", "Etape 1 : début 2022 Etape 2 : …") as date intervals.

`parse_deadline(text, reference=…)` finds the deadline expressions in a free-text cell (which often also names the
deliverable) and returns an interval `[start, end]`, a precision and the stages, always keeping the text as written.
What it does not understand is flagged (`understood=False`), never guessed. Conventions, for parts of a period:
"début" / "mi" / "fin" are its first, middle and last third (a month: days 1–10, 11–20, 21–end; a year:
January–April, May–August, September–December); "rentrée" is September; "été" July–August; "printemps"
April–June; "automne" October–November. "Immédiat" is the plan's reference date; "d'ici", "au plus tard", "avant"
start at the reference date; "à compter de", "à partir de" have no end. A month or a part of a period written
without a year is understood only when the year comes from the same cell ("octobre / novembre 2021") or when it is
"l'année" itself (the reference year).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

MONTHS = {
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"(?:19|20)\d{2}"
_MOD = r"debut|mi|fin|courant"

PRECISIONS = {
    "day": "jour",
    "part": "partie de période",
    "month": "mois",
    "quarter": "trimestre",
    "semester": "semestre",
    "season": "saison",
    "year": "année",
    "open": "sans fin",
    "none": "non comprise",
}


@dataclass(frozen=True)
class Stage:
    label: str
    text: str
    start: date | None
    end: date | None
    precision: str
    understood: bool


@dataclass(frozen=True)
class Deadline:
    text: str
    start: date | None = None
    end: date | None = None
    precision: str = "none"
    understood: bool = False
    stages: tuple[Stage, ...] = field(default_factory=tuple)

    def is_over(self, today: date) -> bool:
        """The interval has ended (an open or not understood deadline never has)."""
        return self.understood and self.end is not None and self.end < today

    @property
    def precision_label(self) -> str:
        return PRECISIONS.get(self.precision, self.precision)


_DES = re.compile(r"\b[dD][èÈ]s\b")
# Longer texts are not read (flagged as not understood): a deadline cell is a sentence or two, and parsing time
# stays bounded whatever a client sends.
DEADLINE_MAX_CHARS = 4000


def normalise(text: str) -> str:
    """Lower case, no accents, ordinals as digits ("1er", "deuxième", "2nd" → 1, 2), single spaces."""
    # "dès" (from) is told from the article "des" by its accent, before accents go.
    text = _DES.sub("a partir de", unicodedata.normalize("NFC", text))
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"\bmi\s*-\s*", "mi ", text)
    words = {
        r"premi(?:er|ere)": "1",
        r"second(?:e)?": "2",
        r"deuxieme": "2",
        r"troisieme": "3",
        r"quatrieme": "4",
    }
    for pattern, digit in words.items():
        text = re.sub(rf"\b{pattern}\b", digit, text)
    text = re.sub(r"\b(\d{1,2})\s?(?:er|ere|re|nd|nde|e|eme|ieme)\b", r"\1", text)
    text = re.sub(r"[\s\u00a0\u202f]+", " ", text)
    return text.strip()


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _third(start: date, end: date, modifier: str) -> tuple[date, date]:
    """First, middle or last third of [start, end] ("courant" keeps it whole)."""
    if modifier in {"", "courant"}:
        return start, end
    days = (end - start).days + 1
    if start.day == 1 and end == _month_end(start.year, start.month):  # a month: 1–10, 11–20, 21–end
        cuts = (start.replace(day=10), start.replace(day=20))
    else:
        cuts = (start + timedelta(days=days // 3 - 1), start + timedelta(days=2 * days // 3 - 1))
        if start.month == 1 and start.day == 1 and end.month == 12 and end.day == 31:  # a year: by months
            cuts = (date(start.year, 4, 30), date(start.year, 8, 31))
    if modifier == "debut":
        return start, cuts[0]
    if modifier == "mi":
        return cuts[0] + timedelta(days=1), cuts[1]
    return cuts[1] + timedelta(days=1), end


@dataclass
class _Point:
    begin: int  # position in the normalised text
    finish: int
    kind: str
    modifier: str
    number: int  # month, quarter or semester number; day for "day"; season index
    month: int
    year: int | None

    def interval(self, year: int | None = None) -> tuple[date, date, str] | None:
        year = self.year or year
        if year is None:
            return None
        kind = self.kind
        if kind == "day":
            try:
                day = date(year, self.month, self.number)
            except ValueError:
                return None
            return day, day, "day"
        if kind == "month":
            start, end, precision = date(year, self.number, 1), _month_end(year, self.number), "month"
        elif kind == "quarter":
            first = 3 * (self.number - 1) + 1
            start, end, precision = date(year, first, 1), _month_end(year, first + 2), "quarter"
        elif kind == "semester":
            first = 6 * (self.number - 1) + 1
            start, end, precision = date(year, first, 1), _month_end(year, first + 5), "semester"
        elif kind == "season":
            first, last = {1: (9, 9), 2: (7, 8), 3: (4, 6), 4: (10, 11)}[self.number]
            start, end, precision = date(year, first, 1), _month_end(year, last), "season"
        else:  # year, budget year
            start, end, precision = date(year, 1, 1), date(year, 12, 31), "year"
        if self.modifier and self.modifier != "courant":
            start, end = _third(start, end, self.modifier)
            precision = "part"
        return start, end, precision


_POINT = re.compile(
    rf"""
    (?P<isoday>\b(?P<y0>{_YEAR})-(?P<m0>\d{{1,2}})-(?P<d0>\d{{1,2}})\b)
  | (?P<numday>\b(?P<d1>\d{{1,2}})(?P<sep>[/.])(?P<m1>\d{{1,2}})(?P=sep)(?P<y1>{_YEAR})\b)
  | (?P<day>\b(?P<d2>\d{{1,2}})\ (?P<m2>{_MONTH})\.?\ (?P<y2>{_YEAR})\b)
  | (?P<quarter>\b(?:(?P<qmod>{_MOD})\ (?:du\ |de\ )?)?(?:t(?P<q1>[1-4])|(?P<q2>[1-4])\ trimestre)\b(?:\ (?:de\ |d')?(?P<qy>{_YEAR}))?)
  | (?P<semester>\b(?:(?P<smod>{_MOD})\ (?:du\ |de\ )?)?(?:s(?P<s1>[12])|(?P<s2>[12])\ semestre)\b(?:\ (?:de\ |d')?(?P<sy>{_YEAR}))?)
  | (?P<month>\b(?:(?P<mmod>{_MOD})\ (?:de\ |d')?)?(?P<m3>{_MONTH})\b\.?(?:\ (?:de\ |d')?(?P<my>{_YEAR}))?)
  | (?P<season>\b(?P<sea>rentree|ete|printemps|automne)\b(?:\ (?:de\ |d')?(?P<sey>{_YEAR}))?)
  | (?P<budget>\b(?:gestion|exercice|annee\ budgetaire)\ (?P<by>{_YEAR})\b)
  | (?P<thisyear>\b(?P<tmod>{_MOD})\ (?:de\ l'annee|d'annee)\b(?!\ (?:de\ |d')?{_YEAR}))
  | (?P<year>\b(?:(?P<ymod>{_MOD})\ (?:de\ l'annee\ |d'annee\ |de\ |d')?)?(?P<yy>{_YEAR})\b)
    """,
    re.VERBOSE,
)
_IMMEDIATE = re.compile(r"\b(?:immediat(?:ement)?|(?:des|a partir de) (?:a present|maintenant)|sans delai)\b")
_BY = re.compile(r"(?:d'ici|au plus tard|avant|jusqu'(?:a|au|en)|pour)\b[^;]{0,12}$")
_FROM = re.compile(r"(?:a compter|a partir)\b[^;]{0,12}$")
_RANGE_JOIN = re.compile(r"^ ?(?:a|au|et|-|–|/|ou) ?(?:la |le |l')?(?:fin |debut )?$")
_STAGE = re.compile(r"(?:\b(?:etape|phase) (\d+)\b ?:?|\b(\d+) (?:etape|phase)\b ?:?)")
_SEASONS = {"rentree": 1, "ete": 2, "printemps": 3, "automne": 4}
# Period notations left over once the understood expressions are taken out: "T5 2022" is flagged, not "2022".
_LEFTOVER = re.compile(r"\b(?:[tsq]\d|trimestre|semestre|\d{1,2}/\d{1,2}(?:/\d{2,4})?)\b")


def _points(text: str) -> list[_Point]:
    points = []
    for match in _POINT.finditer(text):
        g = match.groupdict()
        begin, finish = match.span()
        if g["isoday"] or g["numday"]:  # 23/11/2026, 23.11.2026, 2026-11-23
            day, month, year = (g["d0"], g["m0"], g["y0"]) if g["isoday"] else (g["d1"], g["m1"], g["y1"])
            point = _Point(begin, finish, "day", "", int(day), int(month), int(year))
            if not 1 <= point.month <= 12:
                continue
        elif g["day"]:
            point = _Point(begin, finish, "day", "", int(g["d2"]), MONTHS[g["m2"]], int(g["y2"]))
        elif g["quarter"]:
            number = int(g["q1"] or g["q2"])
            point = _Point(begin, finish, "quarter", g["qmod"] or "", number, 0, _int(g["qy"]))
        elif g["semester"]:
            number = int(g["s1"] or g["s2"])
            point = _Point(begin, finish, "semester", g["smod"] or "", number, 0, _int(g["sy"]))
        elif g["month"]:
            point = _Point(begin, finish, "month", g["mmod"] or "", MONTHS[g["m3"]], 0, _int(g["my"]))
        elif g["season"]:
            point = _Point(begin, finish, "season", "", _SEASONS[g["sea"]], 0, _int(g["sey"]))
        elif g["budget"]:
            point = _Point(begin, finish, "year", "", 0, 0, int(g["by"]))
        elif g["thisyear"]:
            point = _Point(begin, finish, "thisyear", g["tmod"], 0, 0, None)
        else:
            point = _Point(begin, finish, "year", g["ymod"] or "", 0, 0, int(g["yy"]))
        points.append(point)
    return points


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _parse_single(text: str, reference: date | None) -> tuple[date | None, date | None, str, bool]:
    """One expression (no stages): the interval, its precision, and whether it was understood."""
    norm = normalise(text)
    if not norm:
        return None, None, "none", False
    points = _points(norm)
    if not points:
        if _IMMEDIATE.search(norm) and reference is not None:
            return reference, reference, "day", True
        return None, None, "none", False
    # The text between the understood expressions, built in one pass (linear in the text).
    pieces, last = [], 0
    for point in points:
        pieces.append(norm[last : point.begin])
        last = point.finish
    pieces.append(norm[last:])
    leftover = " ".join(pieces)
    if _LEFTOVER.search(leftover):
        return None, None, "none", False
    intervals: list[tuple[date, date, str]] = []
    index = 0
    while index < len(points):
        point = points[index]
        following = points[index + 1] if index + 1 < len(points) else None
        if following is not None and _RANGE_JOIN.match(norm[point.finish : following.begin]):
            end_interval = following.interval(
                reference.year if following.kind == "thisyear" and reference else None
            )
            year_for_start = following.year if following.year else None
            start_interval = point.interval(year_for_start)
            if start_interval is None or end_interval is None:
                return None, None, "none", False
            if start_interval[0] > end_interval[1] and point.year is None:  # "décembre à février 2022"
                start_interval = point.interval((year_for_start or 0) - 1)
                assert start_interval is not None
            if start_interval[0] > end_interval[1]:  # "31/12/2099 - 29/02/2024": flagged, never reordered
                return None, None, "none", False
            precision = end_interval[2] if end_interval[2] == start_interval[2] else "part"
            intervals.append((start_interval[0], end_interval[1], precision))
            index += 2
            continue
        interval = point.interval(reference.year if point.kind == "thisyear" and reference else None)
        if interval is None:
            return None, None, "none", False  # a month without its year: not guessed
        intervals.append(interval)
        index += 1
    start = min(interval[0] for interval in intervals)
    end = max(interval[1] for interval in intervals)
    precision = intervals[0][2] if len(intervals) == 1 else "part"
    before = norm[: points[0].begin]
    if _FROM.search(before):
        return start, None, "open", True
    if _BY.search(before) and reference is not None:
        return min(reference, end), end, precision, True
    return start, end, precision, True


def parse_deadline(text: str | None, *, reference: date | None = None) -> Deadline:
    """The interval(s) meant by a French deadline written in free text (see the module's conventions)."""
    text = (text or "").strip()
    if not text:
        return Deadline(text="")
    if len(text) > DEADLINE_MAX_CHARS:
        return Deadline(text=text)
    norm = normalise(text)
    markers = list(_STAGE.finditer(norm))
    if len(markers) >= 2:
        stages = []
        for i, marker in enumerate(markers):
            segment = norm[marker.end() : markers[i + 1].start() if i + 1 < len(markers) else len(norm)]
            start, end, precision, understood = _parse_single(segment, reference)
            label = marker.group(1) or marker.group(2)
            stages.append(Stage(label, segment.strip(" ;,.").strip(), start, end, precision, understood))
        understood = all(stage.understood for stage in stages)
        if not understood:
            return Deadline(text=text, stages=tuple(stages))
        starts = [s.start for s in stages if s.start]
        ends = [s.end for s in stages]
        end = None if any(e is None for e in ends) else max(e for e in ends if e)
        return Deadline(text, min(starts) if starts else None, end, "part", True, tuple(stages))
    start, end, precision, understood = _parse_single(text, reference)
    return Deadline(text=text, start=start, end=end, precision=precision, understood=understood)
