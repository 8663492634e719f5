"""Load the consent notices shipped in profiles/data/consent_notices.yaml (idempotent)."""

from django.db import migrations

from profiles.notices import consent_notices_load


def load(apps, schema_editor):
    consent_notices_load(apps.get_model("profiles", "ConsentNotice"), using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("profiles", "0003_append_only_triggers")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
