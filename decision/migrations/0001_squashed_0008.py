"""The decision app's schema as of 0008, in one migration (replaces 0001-0008).

New databases apply this one; a database that has applied some of the replaced migrations goes
on with those. Carried over: the Curator and Reviewer groups with their permissions (reviewers
publish through `evidence.publish`), and, on PostgreSQL, triggers that refuse any UPDATE of a
release or a stored assessment.
"""

import django.core.validators
import django.db.models.deletion
import simple_history.models
import uuid
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


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
    "decision": ["rule", "rulepaintype", "condition", "curatorcase", "expectation"],
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
        + list(Permission.objects.filter(content_type__app_label="evidence", codename="publish"))
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

    initial = True

    replaces = [
        ("decision", "0001_initial"),
        ("decision", "0002_roles_and_immutable_snapshots"),
        ("decision", "0003_nmdar_antagonist_choices"),
        ("decision", "0004_conditions"),
        ("decision", "0005_copy_rule_conditions"),
        ("decision", "0006_drop_rule_condition_sets"),
        ("decision", "0007_roles_for_conditions_and_publishing"),
        ("decision", "0008_level_reason"),
    ]

    dependencies = [
        ('evidence', '0001_squashed_0006'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CuratorCase',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(auto_now=True)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(max_length=80, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('title', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True)),
                ('analgesics', models.ManyToManyField(blank=True, related_name='test_cases', to='evidence.drug')),
                ('changed_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('factors', models.ManyToManyField(blank=True, related_name='test_cases', to='evidence.patientfactor')),
                ('pain_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='test_cases', to='evidence.paintype')),
            ],
            options={
                'verbose_name': 'curator test case',
                'ordering': ['key'],
            },
        ),
        migrations.CreateModel(
            name='Expectation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('outcome', models.CharField(choices=[('present', 'must appear'), ('absent', 'must not appear')], default='present', max_length=8)),
                ('kind', models.CharField(choices=[('suitability', 'Suitability'), ('combination', 'Combination'), ('caution', 'Caution'), ('context', 'Context')], max_length=16)),
                ('note_id', models.CharField(blank=True, help_text='A rule key, if it matters.', max_length=80)),
                ('level', models.CharField(blank=True, choices=[('favourable', 'Favourable'), ('mixed', 'Mixed'), ('unfavourable', 'Unfavourable'), ('insufficient', 'Insufficient evidence')], max_length=16)),
                ('severity', models.CharField(blank=True, choices=[('high', 'High'), ('moderate', 'Moderate'), ('low', 'Low')], max_length=16)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expectations', to='decision.curatorcase')),
                ('drug', models.ForeignKey(blank=True, limit_choices_to={'classes__slug': 'nmdar_antagonist'}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evidence.drug')),
            ],
            options={
                'ordering': ['case', 'id'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalCuratorCase',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(blank=True, editable=False)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(db_index=True, max_length=80, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('title', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('changed_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('pain_type', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.paintype')),
            ],
            options={
                'verbose_name': 'historical curator test case',
                'verbose_name_plural': 'historical curator test cases',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalCuratorCase_analgesics',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('curatorcase', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='decision.curatorcase')),
                ('drug', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='decision.historicalcuratorcase')),
            ],
            options={
                'verbose_name': 'HistoricalCuratorCase_analgesics',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalCuratorCase_factors',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('curatorcase', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='decision.curatorcase')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='decision.historicalcuratorcase')),
                ('patientfactor', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.patientfactor')),
            ],
            options={
                'verbose_name': 'HistoricalCuratorCase_factors',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalExpectation',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('outcome', models.CharField(choices=[('present', 'must appear'), ('absent', 'must not appear')], default='present', max_length=8)),
                ('kind', models.CharField(choices=[('suitability', 'Suitability'), ('combination', 'Combination'), ('caution', 'Caution'), ('context', 'Context')], max_length=16)),
                ('note_id', models.CharField(blank=True, help_text='A rule key, if it matters.', max_length=80)),
                ('level', models.CharField(blank=True, choices=[('favourable', 'Favourable'), ('mixed', 'Mixed'), ('unfavourable', 'Unfavourable'), ('insufficient', 'Insufficient evidence')], max_length=16)),
                ('severity', models.CharField(blank=True, choices=[('high', 'High'), ('moderate', 'Moderate'), ('low', 'Low')], max_length=16)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('case', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='decision.curatorcase')),
                ('drug', models.ForeignKey(blank=True, db_constraint=False, limit_choices_to={'classes__slug': 'nmdar_antagonist'}, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical expectation',
                'verbose_name_plural': 'historical expectations',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRule',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(blank=True, editable=False)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(db_index=True, help_text='Stable note id, e.g. ketamine-crps-suitability.', max_length=80, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('priority', models.IntegerField(default=0, help_text='Higher first. For suitability the highest-priority match per drug wins.')),
                ('curator_notes', models.TextField(blank=True, help_text='Which evidence this rule encodes and why; not shown to clinicians.')),
                ('kind', models.CharField(choices=[('suitability', 'Suitability'), ('combination', 'Combination'), ('caution', 'Caution'), ('context', 'Context')], max_length=16)),
                ('level', models.CharField(blank=True, choices=[('favourable', 'Favourable'), ('mixed', 'Mixed'), ('unfavourable', 'Unfavourable'), ('insufficient', 'Insufficient evidence')], help_text='Suitability and combination notes only.', max_length=16)),
                ('severity', models.CharField(blank=True, choices=[('high', 'High'), ('moderate', 'Moderate'), ('low', 'Low')], help_text='Caution notes only.', max_length=16)),
                ('title', models.CharField(max_length=200)),
                ('text', models.TextField(help_text='Describe evidence and risk; never instruct or dose.')),
                ('level_reason', models.TextField(blank=True, help_text='Required when the level is not the one the grading rule derives from the cited findings (docs/grading.md); clinicians see it with the note.', verbose_name='why the level differs from the grading rule')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('changed_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('drug', models.ForeignKey(blank=True, db_constraint=False, help_text='The NMDAR antagonist the note is about. Empty only for context notes.', limit_choices_to={'classes__slug': 'nmdar_antagonist'}, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug', verbose_name='NMDAR antagonist')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical rule',
                'verbose_name_plural': 'historical rules',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Release',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.CharField(max_length=32, unique=True)),
                ('published_at', models.DateTimeField()),
                ('content_hash', models.CharField(help_text='SHA-256 of the compiled content.', max_length=64)),
                ('changelog', models.TextField()),
                ('payload', models.JSONField()),
                ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-published_at', '-id'],
                'get_latest_by': 'published_at',
            },
        ),
        migrations.CreateModel(
            name='Assessment',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('inputs', models.JSONField()),
                ('notes', models.JSONField()),
                ('release', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assessments', to='decision.release')),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='Activation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('activated_at', models.DateTimeField(auto_now_add=True)),
                ('reason', models.CharField(choices=[('publish', 'Published'), ('rollback', 'Made active again')], max_length=16)),
                ('activated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('release', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='activations', to='decision.release')),
            ],
            options={
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='Rule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(auto_now=True)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(help_text='Stable note id, e.g. ketamine-crps-suitability.', max_length=80, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('priority', models.IntegerField(default=0, help_text='Higher first. For suitability the highest-priority match per drug wins.')),
                ('curator_notes', models.TextField(blank=True, help_text='Which evidence this rule encodes and why; not shown to clinicians.')),
                ('kind', models.CharField(choices=[('suitability', 'Suitability'), ('combination', 'Combination'), ('caution', 'Caution'), ('context', 'Context')], max_length=16)),
                ('level', models.CharField(blank=True, choices=[('favourable', 'Favourable'), ('mixed', 'Mixed'), ('unfavourable', 'Unfavourable'), ('insufficient', 'Insufficient evidence')], help_text='Suitability and combination notes only.', max_length=16)),
                ('severity', models.CharField(blank=True, choices=[('high', 'High'), ('moderate', 'Moderate'), ('low', 'Low')], help_text='Caution notes only.', max_length=16)),
                ('title', models.CharField(max_length=200)),
                ('text', models.TextField(help_text='Describe evidence and risk; never instruct or dose.')),
                ('level_reason', models.TextField(blank=True, help_text='Required when the level is not the one the grading rule derives from the cited findings (docs/grading.md); clinicians see it with the note.', verbose_name='why the level differs from the grading rule')),
                ('changed_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('cited_combinations', models.ManyToManyField(blank=True, related_name='rules', to='evidence.combination')),
                ('cited_conflicts', models.ManyToManyField(blank=True, related_name='rules', to='evidence.conflict')),
                ('cited_findings', models.ManyToManyField(blank=True, related_name='rules', to='evidence.finding')),
                ('cited_safety', models.ManyToManyField(blank=True, related_name='rules', to='evidence.safetyconcern', verbose_name='cited safety concerns')),
                ('cited_sources', models.ManyToManyField(blank=True, related_name='rules', to='evidence.source')),
                ('drug', models.ForeignKey(blank=True, help_text='The NMDAR antagonist the note is about. Empty only for context notes.', limit_choices_to={'classes__slug': 'nmdar_antagonist'}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rules', to='evidence.drug', verbose_name='NMDAR antagonist')),
            ],
            options={
                'ordering': ['key'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalRulePainType',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='decision.historicalrule')),
                ('paintype', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.paintype', verbose_name='pain type')),
                ('rule', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='decision.rule')),
            ],
            options={
                'verbose_name': 'HistoricalRulePainType',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRule_cited_sources',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='decision.historicalrule')),
                ('source', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.source')),
                ('rule', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='decision.rule')),
            ],
            options={
                'verbose_name': 'HistoricalRule_cited_sources',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRule_cited_safety',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='decision.historicalrule')),
                ('safetyconcern', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.safetyconcern')),
                ('rule', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='decision.rule')),
            ],
            options={
                'verbose_name': 'HistoricalRule_cited_safety',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRule_cited_findings',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('finding', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.finding')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='decision.historicalrule')),
                ('rule', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='decision.rule')),
            ],
            options={
                'verbose_name': 'HistoricalRule_cited_findings',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRule_cited_conflicts',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('conflict', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.conflict')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='decision.historicalrule')),
                ('rule', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='decision.rule')),
            ],
            options={
                'verbose_name': 'HistoricalRule_cited_conflicts',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRule_cited_combinations',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('combination', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.combination')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='decision.historicalrule')),
                ('rule', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='decision.rule')),
            ],
            options={
                'verbose_name': 'HistoricalRule_cited_combinations',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalCondition',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('group', models.CharField(choices=[('any', 'Any of'), ('all', 'All of'), ('none', 'None of')], max_length=4)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('drug', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug')),
                ('drug_class', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drugclass')),
                ('drug_property', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drugproperty')),
                ('factor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.patientfactor', verbose_name='patient factor')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('rule', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='decision.rule')),
            ],
            options={
                'verbose_name': 'historical condition',
                'verbose_name_plural': 'historical conditions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Condition',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('group', models.CharField(choices=[('any', 'Any of'), ('all', 'All of'), ('none', 'None of')], max_length=4)),
                ('drug', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rule_conditions', to='evidence.drug')),
                ('drug_class', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rule_conditions', to='evidence.drugclass')),
                ('drug_property', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rule_conditions', to='evidence.drugproperty')),
                ('factor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='rule_conditions', to='evidence.patientfactor', verbose_name='patient factor')),
                ('rule', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='conditions', to='decision.rule')),
            ],
            options={
                'ordering': ['rule', 'group', 'id'],
            },
        ),
        migrations.CreateModel(
            name='RulePainType',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('paintype', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='evidence.paintype', verbose_name='pain type')),
                ('rule', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='decision.rule')),
            ],
            options={
                'verbose_name': "rule's pain type",
                'db_table': 'decision_rule_pain_types',
            },
        ),
        migrations.AddField(
            model_name='rule',
            name='pain_types',
            field=models.ManyToManyField(blank=True, help_text='Any of these. Empty: every pain type.', related_name='rules', through='decision.RulePainType', to='evidence.paintype'),
        ),
        migrations.AddConstraint(
            model_name='curatorcase',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'published'])), name='decision_curatorcase_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='curatorcase',
            constraint=models.CheckConstraint(condition=models.Q(('key__regex', '^[a-z0-9]+([_-][a-z0-9]+)*$')), name='curatorcase_key_format'),
        ),
        migrations.AddConstraint(
            model_name='expectation',
            constraint=models.CheckConstraint(condition=models.Q(('outcome__in', ['present', 'absent'])), name='expectation_outcome_valid'),
        ),
        migrations.AddConstraint(
            model_name='expectation',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['suitability', 'combination', 'caution', 'context'])), name='expectation_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='expectation',
            constraint=models.CheckConstraint(condition=models.Q(('level', ''), ('level__in', ['favourable', 'mixed', 'unfavourable', 'insufficient']), _connector='OR'), name='expectation_level_valid'),
        ),
        migrations.AddConstraint(
            model_name='expectation',
            constraint=models.CheckConstraint(condition=models.Q(('severity', ''), ('severity__in', ['high', 'moderate', 'low']), _connector='OR'), name='expectation_severity_valid'),
        ),
        migrations.AddConstraint(
            model_name='activation',
            constraint=models.CheckConstraint(condition=models.Q(('reason__in', ['publish', 'rollback'])), name='activation_reason_valid'),
        ),
        migrations.AddConstraint(
            model_name='condition',
            constraint=models.CheckConstraint(condition=models.Q(('group__in', ['any', 'all', 'none'])), name='condition_group_valid'),
        ),
        migrations.AddConstraint(
            model_name='condition',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('drug__isnull', False), ('drug_class', None), ('drug_property', None), ('factor', None)), models.Q(('drug', None), ('drug_class__isnull', False), ('drug_property', None), ('factor', None)), models.Q(('drug', None), ('drug_class', None), ('drug_property__isnull', False), ('factor', None)), models.Q(('drug', None), ('drug_class', None), ('drug_property', None), ('factor__isnull', False)), _connector='OR'), name='condition_one_target'),
        ),
        migrations.AddConstraint(
            model_name='condition',
            constraint=models.UniqueConstraint(condition=models.Q(('drug__isnull', False)), fields=('rule', 'group', 'drug'), name='condition_unique_drug'),
        ),
        migrations.AddConstraint(
            model_name='condition',
            constraint=models.UniqueConstraint(condition=models.Q(('drug_class__isnull', False)), fields=('rule', 'group', 'drug_class'), name='condition_unique_drug_class'),
        ),
        migrations.AddConstraint(
            model_name='condition',
            constraint=models.UniqueConstraint(condition=models.Q(('drug_property__isnull', False)), fields=('rule', 'group', 'drug_property'), name='condition_unique_drug_property'),
        ),
        migrations.AddConstraint(
            model_name='condition',
            constraint=models.UniqueConstraint(condition=models.Q(('factor__isnull', False)), fields=('rule', 'group', 'factor'), name='condition_unique_factor'),
        ),
        migrations.AlterUniqueTogether(
            name='rulepaintype',
            unique_together={('rule', 'paintype')},
        ),
        migrations.AddConstraint(
            model_name='rule',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'published'])), name='decision_rule_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='rule',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['suitability', 'combination', 'caution', 'context'])), name='rule_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='rule',
            constraint=models.CheckConstraint(condition=models.Q(('level', ''), ('level__in', ['favourable', 'mixed', 'unfavourable', 'insufficient']), _connector='OR'), name='rule_level_valid'),
        ),
        migrations.AddConstraint(
            model_name='rule',
            constraint=models.CheckConstraint(condition=models.Q(('severity', ''), ('severity__in', ['high', 'moderate', 'low']), _connector='OR'), name='rule_severity_valid'),
        ),
        migrations.AddConstraint(
            model_name='rule',
            constraint=models.CheckConstraint(condition=models.Q(('key__regex', '^[a-z0-9]+([_-][a-z0-9]+)*$')), name='rule_key_format'),
        ),
        migrations.AddConstraint(
            model_name='rule',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind__in', ['suitability', 'combination']), ('severity', ''), models.Q(('level', ''), _negated=True)), models.Q(('kind', 'caution'), ('level', ''), models.Q(('severity', ''), _negated=True)), models.Q(('kind', 'context'), ('level', ''), ('severity', '')), _connector='OR'), name='rule_scale_matches_kind'),
        ),
        migrations.AddConstraint(
            model_name='rule',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'context'), ('drug__isnull', False), _connector='OR'), name='rule_drug_unless_context'),
        ),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(create_guards, drop_guards),
    ]
