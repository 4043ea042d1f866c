"""Copy each rule's condition sets (twelve many-to-many fields) into Condition rows."""

from django.db import migrations

PARTS = {
    "drugs": "drug",
    "classes": "drug_class",
    "properties": "drug_property",
    "factors": "factor",
}


def copy_conditions(apps, schema_editor):
    Rule = apps.get_model("decision", "Rule")
    Condition = apps.get_model("decision", "Condition")
    rows = []
    for rule in Rule.objects.all():
        for group in ("any", "all", "none"):
            for part, field in PARTS.items():
                for target in getattr(rule, f"{group}_{part}").all():
                    rows.append(Condition(rule=rule, group=group, **{field: target}))
    Condition.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("decision", "0004_conditions")]

    operations = [migrations.RunPython(copy_conditions, migrations.RunPython.noop)]
