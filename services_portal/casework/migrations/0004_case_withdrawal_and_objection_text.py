"""Cases can be withdrawn (the person closed their account) and lose sensitive evidence (consent
withdrawn); what a person writes when objecting moves out of the append-only history into
CaseObjection, so that closing the account can erase it. The history row stays, without the text.
"""

import django.db.models.deletion
from django.db import migrations, models


TABLE = "casework_caseevent"


def objection_texts_move(apps, schema_editor):
    CaseEvent = apps.get_model("casework", "CaseEvent")
    CaseObjection = apps.get_model("casework", "CaseObjection")
    # the connection that migrates (the owner role), not the application's
    alias = schema_editor.connection.alias
    said = CaseEvent.objects.using(alias).filter(action="objected").exclude(text="")
    if not said.exists():
        return
    CaseObjection.objects.using(alias).bulk_create(CaseObjection(event=event, text=event.text) for event in said)
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:  # the one change ever made to the history, by its owner, in this migration only
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_append_only")
    said.update(text="")
    if postgresql:
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_append_only")


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0003_case_history_no_truncate'),
    ]

    operations = [
        migrations.AlterField(
            model_name='case',
            name='state',
            field=models.CharField(choices=[('open', 'Waiting for a decision'), ('awaiting_second', 'Waiting for a second approval'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('withdrawn', 'Withdrawn: the person closed their account')], db_index=True, default='open', max_length=20),
        ),
        migrations.AlterField(
            model_name='caseevent',
            name='action',
            field=models.CharField(choices=[('opened', 'Opened by data matching'), ('first_approval', 'Approved, waiting for a second approver'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('objected', 'The person objected'), ('evidence_redacted', 'Sensitive evidence removed: the person withdrew their consent'), ('withdrawn', 'Withdrawn: the person closed their account')], max_length=20),
        ),
        migrations.CreateModel(
            name='CaseObjection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField(max_length=2000)),
                ('event', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='objection', to='casework.caseevent')),
            ],
        ),
        migrations.RunPython(objection_texts_move, migrations.RunPython.noop),
    ]
