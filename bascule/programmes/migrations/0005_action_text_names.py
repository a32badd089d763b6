"""One meaning per name: an action's free texts are `lead_text` (who leads, as written) and `deliverables_text`
(deliverables and deadlines, as written), apart from the lead structures read from the first and the deliverable
documents of workstreams."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("programmes", "0004_action_history_without_derived_links")]

    operations = [
        migrations.RenameField("action", "lead", "lead_text"),
        migrations.RenameField("action", "deliverable", "deliverables_text"),
        migrations.RenameField("historicalaction", "lead", "lead_text"),
        migrations.RenameField("historicalaction", "deliverable", "deliverables_text"),
    ]
