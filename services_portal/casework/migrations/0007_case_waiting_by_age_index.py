"""The queue's default view (the states waiting for a caseworker, oldest first) as a partial index in
that order: the first page is read from it without sorting the decided cases, which are most of them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0006_case_queue_scope_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(state__in=["submitted", "in_review", "awaiting_second"]),
                fields=["opened_at", "id"],
                name="case_waiting_by_age",
            ),
        ),
    ]
