"""The queue's "overdue only" view, due soonest first, as a partial index over the cases whose promised
time limit runs (in review, or awaiting a second approval), in that order."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0007_case_waiting_by_age_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(state__in=["in_review", "awaiting_second"]),
                fields=["due_on", "opened_at", "id"],
                name="case_running_by_due_date",
            ),
        ),
    ]
