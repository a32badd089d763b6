"""Demo data takeover: generated extracts (with a few defects of every rule) for three regions —
Bretagne rehearsed with a simulation, then migrated with a target that missed lines and changed amounts (lines to
re-key, some already re-keyed); Normandie migrated with no loss; Pays de la Loire at its first simulation."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import date
from pathlib import Path

from django.core.files.base import ContentFile

from bascule.core.system import SYSTEM
from bascule.organisation.models import Structure
from bascule.reprise import services
from bascule.reprise.models import HeaderMapping, Kind, TakeoverRun
from bascule.reprise.sample import generate

REGIONS = {"R53": (6000, 11), "R28": (4000, 12), "R52": (3000, 13)}  # lines, seed
CUTOFF = date(2026, 12, 31)


def _files(lines: int, seed: int, drop: int = 0, change: int = 0) -> dict[str, ContentFile[bytes]]:
    with tempfile.TemporaryDirectory() as folder:
        sample = generate(Path(folder), lines, defects=4, seed=seed)
        reference = io.BytesIO()
        with zipfile.ZipFile(reference, "w") as archive:
            for path in sample.reference.iterdir():
                archive.write(path, path.name)
        target = sample.target.read_text(encoding="utf-8").splitlines()
        for index in range(1, change + 1):  # an amount changed by one cent by the load
            cells = target[index * 7].split(";")
            cells[13] = cells[13][:-1] + str((int(cells[13][-1]) + 1) % 10)
            target[index * 7] = ";".join(cells)
        del target[100 : 100 + drop]  # lines the target did not load
        return {
            "commitments": ContentFile(sample.commitments.read_bytes(), name="engagements.csv"),
            "third_parties": ContentFile(sample.third_parties.read_bytes(), name="tiers.csv"),
            "target": ContentFile(("\n".join(target) + "\n").encode(), name="cible.csv"),
            "reference": ContentFile(reference.getvalue(), name="referentiel.zip"),
            "mappings": ContentFile(sample.mappings.read_bytes(), name="correspondances.csv"),
        }


def _run(structure: Structure, kind: str, lines: int, seed: int, **changes: int) -> TakeoverRun:
    files = _files(lines, seed, **changes)
    if kind == Kind.SIMULATION and not changes:
        del files["target"]
    run = services.run_create(
        by=SYSTEM,
        structure=structure,
        kind=kind,
        cutoff=CUTOFF,
        enqueue=False,
        commitments=files["commitments"],
        third_parties=files["third_parties"],
        target=files.get("target"),
        reference=files["reference"],
        mappings=files["mappings"],
    )
    return services.run_execute(run=run)


def load_demo() -> list[str]:
    regions = {s.code: s for s in Structure.objects.filter(code__in=list(REGIONS))}
    if not regions:
        return ["Reprise de démonstration : aucune région de démonstration, rien à faire."]
    if TakeoverRun.objects.filter(structure__in=list(regions.values())).exists():
        return ["Reprise de démonstration déjà présente : conservée telle quelle."]
    done = []
    for code, structure in sorted(regions.items()):
        lines, seed = REGIONS[code]
        if not HeaderMapping.objects.filter(structure=structure).exists():
            services.mapping_create(
                by=SYSTEM,
                structure=structure,
                name="Chorus Formulaires",
                lines="Montant EJ HT = Montant engagé\nRAP = Reste à payer",
            )
        _run(structure, Kind.SIMULATION, lines, seed)
        if code == "R53":
            run = _run(structure, Kind.MIGRATION, lines, seed, drop=12, change=3)
            for rekey in list(run.rekeys.order_by("ej", "poste"))[:5]:
                services.rekey_mark(
                    by=SYSTEM,
                    rekey=rekey,
                    version=rekey.version,
                    done=True,
                    target_number=f"23{rekey.ej[4:]}",
                )
        elif code == "R28":
            _run(structure, Kind.MIGRATION, lines, seed, drop=0, change=0)
        done.append(structure.name)
    return [f"Reprise de démonstration : exécutions pour {', '.join(done)}."]
