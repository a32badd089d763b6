"""What the data takeover adds to the test world: a header mapping and a finished migration run in each region
(a small generated extract with one defect of each rule, its target missing one line: one line to re-key)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile

from bascule.reprise import services
from bascule.reprise.models import Kind, TakeoverRun
from bascule.reprise.sample import generate

ORDER = 70  # after programmes


@lru_cache(maxsize=1)
def sample_files() -> dict[str, bytes]:
    """One small generated extract (read once per test process) and its target with one line removed."""
    with tempfile.TemporaryDirectory() as folder:
        sample = generate(Path(folder), 60, defects=1)
        reference = io.BytesIO()
        with zipfile.ZipFile(reference, "w") as archive:
            for path in sample.reference.iterdir():
                archive.write(path, path.name)
        target = sample.target.read_text(encoding="utf-8").splitlines()
        del target[3]
        return {
            "commitments": sample.commitments.read_bytes(),
            "third_parties": sample.third_parties.read_bytes(),
            "target": ("\n".join(target) + "\n").encode(),
            "exact_target": sample.target.read_bytes(),
            "reference": reference.getvalue(),
            "mappings": sample.mappings.read_bytes(),
        }


def make_run(
    by: Any, structure: Any, kind: str = Kind.MIGRATION, exact: bool = False, **changes: Any
) -> TakeoverRun:
    files = sample_files()
    given = {
        "commitments": ContentFile(files["commitments"], name="engagements.csv"),
        "third_parties": ContentFile(files["third_parties"], name="tiers.csv"),
        "target": ContentFile(files["exact_target" if exact else "target"], name="cible.csv"),
        "reference": ContentFile(files["reference"], name="referentiel.zip"),
        "mappings": ContentFile(files["mappings"], name="correspondances.csv"),
        **changes,
    }
    run = services.run_create(
        by=by, structure=structure, kind=kind, cutoff=date(2026, 12, 31), enqueue=False, **given
    )
    return services.run_execute(run=run)


def extend_world(world: Any) -> None:
    national = world.national
    world.mapping_bzh = services.mapping_create(
        by=national, structure=world.bretagne, name="Chorus Bretagne", lines="Mt engagé HT = Montant engagé"
    )
    world.mapping_nor = services.mapping_create(
        by=national, structure=world.normandie, name="Chorus Normandie", lines="RAP = Reste à payer"
    )
    world.run_bzh = make_run(national, world.bretagne)
    world.run_nor = make_run(national, world.normandie)
    world.rekey_bzh = world.run_bzh.rekeys.get()
    world.rekey_nor = world.run_nor.rekeys.get()
