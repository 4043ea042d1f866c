"""Curator and Reviewer groups, and database guards that keep releases and assessments unchanged.

Curators edit drafts of every curated record; reviewers may also publish (set a record to
published, publish a release, roll back). Releases and assessments are snapshots: on PostgreSQL
a trigger refuses any UPDATE of them, whatever code path tries.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CURATED = {
    "evidence": [
        "paintype",
        "drugclass",
        "drugproperty",
        "patientfactor",
        "drug",
        "clinicalcode",
        "source",
        "finding",
        "safetyconcern",
        "combination",
        "conflict",
    ],
    "decision": ["rule", "curatorcase", "expectation"],
}
READ_ONLY = {"decision": ["release", "activation", "assessment"]}

IMMUTABLE_TABLES = ["decision_release", "decision_assessment"]


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_label in ("evidence", "decision"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(actions, models_by_app):
        wanted = Permission.objects.none()
        for app_label, model_names in models_by_app.items():
            wanted |= Permission.objects.filter(
                content_type__app_label=app_label,
                content_type__model__in=model_names,
                codename__regex=rf"^({'|'.join(actions)})_",
            )
        return list(wanted)

    curator_perms = perms(["add", "change", "view", "delete"], CURATED) + perms(["view"], READ_ONLY)
    curator, _ = Group.objects.get_or_create(name="Curator")
    curator.permissions.set(curator_perms)
    reviewer, _ = Group.objects.get_or_create(name="Reviewer")
    reviewer.permissions.set(
        curator_perms
        + list(Permission.objects.filter(content_type__app_label="decision", codename="publish_release"))
    )


def create_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        """
        CREATE OR REPLACE FUNCTION decision_refuse_update() RETURNS trigger AS $$
        BEGIN
          RAISE EXCEPTION '% rows are snapshots and cannot be changed', TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
        END $$ LANGUAGE plpgsql;
        """,
        params=None,
    )
    for table in IMMUTABLE_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION decision_refuse_update()",
            params=None,
        )


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in IMMUTABLE_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS decision_refuse_update()", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("decision", "0001_initial"),
        ("evidence", "0002_published_records_cite_sources"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(create_guards, drop_guards),
    ]
