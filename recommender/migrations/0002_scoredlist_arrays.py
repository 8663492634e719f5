"""Stored lists become arrays (positions and shares) instead of a JSON object an item. The lists stored
before are dropped rather than converted: until the next batch scoring, serving scores people live."""

from django.db import migrations, models


def drop_json_lists(apps, schema_editor):
    # on the connection migrating (the owner role in production), not the app's
    apps.get_model("recommender", "ScoredList").objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recommender", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(drop_json_lists, migrations.RunPython.noop),
        migrations.RemoveField(model_name="scoredlist", name="items"),
        migrations.AddField(model_name="scoredlist", name="services", field=models.BinaryField(default=bytes)),
        migrations.AddField(model_name="scoredlist", name="shares", field=models.BinaryField(default=bytes)),
    ]
