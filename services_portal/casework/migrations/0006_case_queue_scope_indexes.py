"""Indexes for the caseworker's queue scoped by region prefix and, for a caseworker of a department, by
its services (casework.selectors._cases_in_scope): the region code with pattern operators, so that
PostgreSQL reads LIKE '4501%' as a range of the index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0005_applications_one_case_model"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["state", "region_code"], name="case_scope", opclasses=["varchar_ops", "varchar_pattern_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["service", "state", "region_code"],
                name="case_department_scope",
                opclasses=["int8_ops", "varchar_ops", "varchar_pattern_ops"],
            ),
        ),
    ]
