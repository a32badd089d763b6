"""Forms of training (DSFR); writes go through the services."""

from __future__ import annotations

from dsfr.forms import DsfrBaseForm

from bascule.core.forms import UploadField


class TraineeImportForm(DsfrBaseForm):
    file = UploadField(label="Stagiaires", help_text="XLSX, ODS ou CSV : une ligne par personne à former.")
