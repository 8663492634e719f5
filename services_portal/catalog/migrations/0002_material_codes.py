from django.db import migrations
from django.utils.text import slugify


def codes_given(apps, schema_editor):
    """Each material a code (from its English name, as the catalog import does), required and not shared,
    until the catalog is imported again with its own."""
    ServiceItem = apps.get_model("catalog", "ServiceItem")
    for service in ServiceItem.objects.using(schema_editor.connection.alias).exclude(materials=[]):
        service.materials = [
            {
                **material,
                "code": str(material.get("code") or slugify(str(material.get("en") or material.get("zh-hans"))))[:80],
                "required": bool(material.get("required", True)),
                "shared": bool(material.get("shared", False)),
            }
            for material in service.materials
        ]
        service.save(update_fields=["materials"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(codes_given, migrations.RunPython.noop)]
