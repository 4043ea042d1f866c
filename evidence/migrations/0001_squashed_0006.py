"""The evidence app's schema as of 0006, in one migration (replaces 0001-0006).

New databases apply this one; a database that has applied some of the replaced migrations goes
on with those. Carried over from 0002: on PostgreSQL, deferred constraint triggers refuse a
published finding, safety concern, combination or conflict without a source at commit.
"""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


CITING_TABLES = [
    ("evidence_finding", "evidence_finding_sources", "finding_id"),
    ("evidence_safetyconcern", "evidence_safetyconcern_sources", "safetyconcern_id"),
    ("evidence_combination", "evidence_combination_sources", "combination_id"),
    ("evidence_conflict", "evidence_conflict_sources", "conflict_id"),
]

FUNCTIONS = """
CREATE OR REPLACE FUNCTION evidence_published_needs_source() RETURNS trigger AS $$
DECLARE
  still_published boolean;
  has_source boolean;
BEGIN
  -- Deferred to commit: judge the row as it is then, not as it was when the event was queued
  -- (it may since have been unpublished, given sources, or deleted).
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = $1 AND status = ''published'')',
                 TG_TABLE_NAME)
    INTO still_published USING NEW.id;
  IF still_published THEN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1)', TG_ARGV[0], TG_ARGV[1])
      INTO has_source USING NEW.id;
    IF NOT has_source THEN
      RAISE EXCEPTION 'published record % in % must cite at least one source', NEW.key, TG_TABLE_NAME
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION evidence_keep_last_source() RETURNS trigger AS $$
DECLARE
  parent_id bigint := (to_jsonb(OLD) ->> TG_ARGV[1])::bigint;
  orphan_key text;
BEGIN
  EXECUTE format(
    'SELECT p.key FROM %I p WHERE p.id = $1 AND p.status = ''published'''
    ' AND NOT EXISTS (SELECT 1 FROM %I t WHERE t.%I = $1)',
    TG_ARGV[0], TG_TABLE_NAME, TG_ARGV[1]
  ) INTO orphan_key USING parent_id;
  IF orphan_key IS NOT NULL THEN
    RAISE EXCEPTION 'published record % in % must keep at least one source', orphan_key, TG_ARGV[0]
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS, params=None)
    for parent, through, column in CITING_TABLES:
        schema_editor.execute(
            f"CREATE CONSTRAINT TRIGGER {parent}_needs_source AFTER INSERT OR UPDATE ON {parent} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"EXECUTE FUNCTION evidence_published_needs_source('{through}', '{column}')"
        )
        schema_editor.execute(
            f"CREATE CONSTRAINT TRIGGER {through}_keeps_one AFTER DELETE ON {through} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"EXECUTE FUNCTION evidence_keep_last_source('{parent}', '{column}')"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for parent, through, _column in CITING_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {parent}_needs_source ON {parent}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {through}_keeps_one ON {through}")
    schema_editor.execute("DROP FUNCTION IF EXISTS evidence_published_needs_source()")
    schema_editor.execute("DROP FUNCTION IF EXISTS evidence_keep_last_source()")


class Migration(migrations.Migration):

    initial = True

    replaces = [
        ("evidence", "0001_initial"),
        ("evidence", "0002_published_records_cite_sources"),
        ("evidence", "0003_nmdar_antagonist_choices"),
        ("evidence", "0004_field_validators"),
        ("evidence", "0005_curation_permission"),
        ("evidence", "0006_populations_and_screened_inputs"),
    ]

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Curation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ],
            options={
                'permissions': [('publish', 'Can publish records and knowledge-base releases, and roll back')],
                'managed': False,
                'default_permissions': (),
            },
        ),
        migrations.CreateModel(
            name='Drug',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.CharField(help_text='Stable identifier used by the form, the API and the rules. Never rename.', max_length=64, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True, help_text='Plain-language description shown to clinicians as a hint.')),
                ('nothing_known', models.BooleanField(default=False, help_text='Tick when no note of the knowledge base depends on this input, so that the knowledge-base audit accepts it as screened with nothing known (docs/knowledge-base.md lists them).', verbose_name='screened, nothing known')),
            ],
            options={
                'ordering': ['name'],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='Conflict',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(auto_now=True)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(max_length=80, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('topic', models.CharField(max_length=200)),
                ('summary', models.TextField()),
                ('changed_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('drugs', models.ManyToManyField(blank=True, help_text='Empty: concerns the whole class.', related_name='conflicts', to='evidence.drug')),
            ],
            options={
                'ordering': ['key'],
            },
        ),
        migrations.CreateModel(
            name='ClinicalCode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('system', models.CharField(choices=[('snomed_ct', 'SNOMED CT'), ('icd10cm', 'ICD-10-CM'), ('rxnorm', 'RxNorm')], max_length=16)),
                ('code', models.CharField(max_length=32)),
                ('display', models.CharField(max_length=300)),
                ('verified', models.BooleanField(default=False, help_text="Checked against the terminology's own browser or release.")),
                ('note', models.TextField(blank=True)),
                ('drugs', models.ManyToManyField(blank=True, related_name='codes', to='evidence.drug')),
            ],
            options={
                'ordering': ['system', 'code'],
            },
        ),
        migrations.CreateModel(
            name='DrugClass',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.CharField(help_text='Stable identifier used by the form, the API and the rules. Never rename.', max_length=64, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True, help_text='Plain-language description shown to clinicians as a hint.')),
            ],
            options={
                'verbose_name_plural': 'drug classes',
                'ordering': ['name'],
                'abstract': False,
                'constraints': [models.CheckConstraint(condition=models.Q(('slug__regex', '^[a-z0-9]+([_-][a-z0-9]+)*$')), name='evidence_drugclass_slug_format')],
            },
        ),
        migrations.AddField(
            model_name='drug',
            name='classes',
            field=models.ManyToManyField(blank=True, related_name='drugs', to='evidence.drugclass'),
        ),
        migrations.CreateModel(
            name='DrugProperty',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.CharField(help_text='Stable identifier used by the form, the API and the rules. Never rename.', max_length=64, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True, help_text='Plain-language description shown to clinicians as a hint.')),
            ],
            options={
                'verbose_name_plural': 'drug properties',
                'ordering': ['name'],
                'abstract': False,
                'constraints': [models.CheckConstraint(condition=models.Q(('slug__regex', '^[a-z0-9]+([_-][a-z0-9]+)*$')), name='evidence_drugproperty_slug_format')],
            },
        ),
        migrations.AddField(
            model_name='drug',
            name='properties',
            field=models.ManyToManyField(blank=True, related_name='drugs', to='evidence.drugproperty'),
        ),
        migrations.CreateModel(
            name='Combination',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(auto_now=True)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(max_length=80, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('product', models.CharField(blank=True, max_length=120)),
                ('partner', models.CharField(help_text='What it is combined with, in words, e.g. opioid (morphine).', max_length=200)),
                ('direction', models.CharField(choices=[('benefit', 'Benefit'), ('no_benefit', 'No benefit'), ('mixed', 'Mixed'), ('insufficient', 'Insufficient evidence')], max_length=16)),
                ('summary', models.TextField()),
                ('changed_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('nmdar_drug', models.ForeignKey(limit_choices_to={'classes__slug': 'nmdar_antagonist'}, on_delete=django.db.models.deletion.PROTECT, related_name='combinations', to='evidence.drug', verbose_name='NMDAR antagonist')),
                ('partner_drugs', models.ManyToManyField(blank=True, related_name='+', to='evidence.drug')),
                ('partner_classes', models.ManyToManyField(blank=True, related_name='+', to='evidence.drugclass')),
                ('partner_properties', models.ManyToManyField(blank=True, related_name='+', to='evidence.drugproperty')),
            ],
            options={
                'ordering': ['key'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalClinicalCode',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('system', models.CharField(choices=[('snomed_ct', 'SNOMED CT'), ('icd10cm', 'ICD-10-CM'), ('rxnorm', 'RxNorm')], max_length=16)),
                ('code', models.CharField(max_length=32)),
                ('display', models.CharField(max_length=300)),
                ('verified', models.BooleanField(default=False, help_text="Checked against the terminology's own browser or release.")),
                ('note', models.TextField(blank=True)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical clinical code',
                'verbose_name_plural': 'historical clinical codes',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalClinicalCode_drugs',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('clinicalcode', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.clinicalcode')),
                ('drug', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalclinicalcode')),
            ],
            options={
                'verbose_name': 'HistoricalClinicalCode_drugs',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalCombination',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(blank=True, editable=False)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(db_index=True, max_length=80, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('product', models.CharField(blank=True, max_length=120)),
                ('partner', models.CharField(help_text='What it is combined with, in words, e.g. opioid (morphine).', max_length=200)),
                ('direction', models.CharField(choices=[('benefit', 'Benefit'), ('no_benefit', 'No benefit'), ('mixed', 'Mixed'), ('insufficient', 'Insufficient evidence')], max_length=16)),
                ('summary', models.TextField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('changed_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('nmdar_drug', models.ForeignKey(blank=True, db_constraint=False, limit_choices_to={'classes__slug': 'nmdar_antagonist'}, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug', verbose_name='NMDAR antagonist')),
            ],
            options={
                'verbose_name': 'historical combination',
                'verbose_name_plural': 'historical combinations',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalCombination_partner_classes',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('combination', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.combination')),
                ('drugclass', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drugclass')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalcombination')),
            ],
            options={
                'verbose_name': 'HistoricalCombination_partner_classes',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalCombination_partner_drugs',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('combination', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.combination')),
                ('drug', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalcombination')),
            ],
            options={
                'verbose_name': 'HistoricalCombination_partner_drugs',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalCombination_partner_properties',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('combination', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.combination')),
                ('drugproperty', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drugproperty')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalcombination')),
            ],
            options={
                'verbose_name': 'HistoricalCombination_partner_properties',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalConflict',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(blank=True, editable=False)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(db_index=True, max_length=80, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('topic', models.CharField(max_length=200)),
                ('summary', models.TextField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('changed_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical conflict',
                'verbose_name_plural': 'historical conflicts',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalConflict_drugs',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('conflict', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.conflict')),
                ('drug', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalconflict')),
            ],
            options={
                'verbose_name': 'HistoricalConflict_drugs',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalDrug',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('slug', models.CharField(db_index=True, help_text='Stable identifier used by the form, the API and the rules. Never rename.', max_length=64, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True, help_text='Plain-language description shown to clinicians as a hint.')),
                ('nothing_known', models.BooleanField(default=False, help_text='Tick when no note of the knowledge base depends on this input, so that the knowledge-base audit accepts it as screened with nothing known (docs/knowledge-base.md lists them).', verbose_name='screened, nothing known')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical drug',
                'verbose_name_plural': 'historical drugs',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalDrug_classes',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('drug', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug')),
                ('drugclass', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drugclass')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicaldrug')),
            ],
            options={
                'verbose_name': 'HistoricalDrug_classes',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalDrug_properties',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('drug', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug')),
                ('drugproperty', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drugproperty')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicaldrug')),
            ],
            options={
                'verbose_name': 'HistoricalDrug_properties',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalDrugClass',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('slug', models.CharField(db_index=True, help_text='Stable identifier used by the form, the API and the rules. Never rename.', max_length=64, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True, help_text='Plain-language description shown to clinicians as a hint.')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical drug class',
                'verbose_name_plural': 'historical drug classes',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalDrugProperty',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('slug', models.CharField(db_index=True, help_text='Stable identifier used by the form, the API and the rules. Never rename.', max_length=64, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True, help_text='Plain-language description shown to clinicians as a hint.')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical drug property',
                'verbose_name_plural': 'historical drug properties',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalPainType',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('slug', models.CharField(db_index=True, help_text='Stable identifier used by the form, the API and the rules. Never rename.', max_length=64, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True, help_text='Plain-language description shown to clinicians as a hint.')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical pain type',
                'verbose_name_plural': 'historical pain types',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalPatientFactor',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('slug', models.CharField(db_index=True, help_text='Stable identifier used by the form, the API and the rules. Never rename.', max_length=64, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True, help_text='Plain-language description shown to clinicians as a hint.')),
                ('nothing_known', models.BooleanField(default=False, help_text='Tick when no note of the knowledge base depends on this input, so that the knowledge-base audit accepts it as screened with nothing known (docs/knowledge-base.md lists them).', verbose_name='screened, nothing known')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical patient factor',
                'verbose_name_plural': 'historical patient factors',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalSafetyConcern',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(blank=True, editable=False)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(db_index=True, max_length=80, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('product', models.CharField(blank=True, max_length=120)),
                ('concern', models.CharField(help_text='The risk in a few words.', max_length=200)),
                ('applies_when', models.TextField(help_text="When the risk applies, in the source's terms.")),
                ('severity', models.CharField(choices=[('high', 'High'), ('moderate', 'Moderate'), ('low', 'Low')], max_length=16)),
                ('summary', models.TextField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('changed_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('drug', models.ForeignKey(blank=True, db_constraint=False, limit_choices_to={'classes__slug': 'nmdar_antagonist'}, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical safety concern',
                'verbose_name_plural': 'historical safety concerns',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalSource',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(blank=True, editable=False)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(db_index=True, help_text='Short stable key, e.g. zhou-2011.', max_length=80, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('authors', models.TextField(blank=True, help_text='Vancouver style: Zhou HY, Chen SR, Pan HL')),
                ('title', models.TextField()),
                ('journal', models.CharField(blank=True, max_length=300)),
                ('year', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(1900), django.core.validators.MaxValueValidator(2100)])),
                ('volume', models.CharField(blank=True, max_length=32)),
                ('issue', models.CharField(blank=True, max_length=32)),
                ('pages', models.CharField(blank=True, max_length=32)),
                ('doi', models.CharField(blank=True, max_length=200, validators=[django.core.validators.RegexValidator('^10\\.', 'A DOI starts with 10. (e.g. 10.1586/ecp.11.17).')], verbose_name='DOI')),
                ('pmid', models.CharField(blank=True, max_length=12, validators=[django.core.validators.RegexValidator('^[0-9]+$', 'A PMID is digits only (e.g. 21686074).')], verbose_name='PMID')),
                ('url', models.URLField(blank=True, max_length=500, verbose_name='URL')),
                ('study_type', models.CharField(choices=[('review', 'Review'), ('systematic_review', 'Systematic review'), ('meta_analysis', 'Meta-analysis'), ('rct', 'Randomised controlled trial'), ('observational', 'Observational study'), ('case_series', 'Case series or case report'), ('animal', 'Animal study'), ('label', 'Drug label')], max_length=24)),
                ('population', models.TextField(blank=True)),
                ('sample_size', models.PositiveIntegerField(blank=True, null=True)),
                ('notes', models.TextField(blank=True, help_text='Curator notes: what is missing, uncertain or still to confirm.')),
                ('is_founding_review', models.BooleanField(default=False, help_text='The review this knowledge base was founded on.')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('changed_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical source',
                'verbose_name_plural': 'historical sources',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='PainType',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.CharField(help_text='Stable identifier used by the form, the API and the rules. Never rename.', max_length=64, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True, help_text='Plain-language description shown to clinicians as a hint.')),
            ],
            options={
                'ordering': ['name'],
                'abstract': False,
                'constraints': [models.CheckConstraint(condition=models.Q(('slug__regex', '^[a-z0-9]+([_-][a-z0-9]+)*$')), name='evidence_paintype_slug_format')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalFinding',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(blank=True, editable=False)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(db_index=True, max_length=80, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('product', models.CharField(blank=True, help_text='A specific product, e.g. dextromethorphan/quinidine.', max_length=120)),
                ('condition_scope', models.CharField(blank=True, help_text='When the population is not exactly this pain type (mixed, non-neuropathic).', max_length=300)),
                ('population', models.CharField(choices=[('patients', 'Patients with this pain type'), ('mixed_neuropathic', 'Mixed or unspecified neuropathic pain'), ('other_patients', 'Another population (e.g. chronic pain in general)'), ('animal', 'Animal model')], default='patients', max_length=24)),
                ('direction', models.CharField(choices=[('benefit', 'Benefit'), ('no_benefit', 'No benefit'), ('mixed', 'Mixed'), ('insufficient', 'Insufficient evidence')], max_length=16)),
                ('certainty', models.CharField(choices=[('high', 'High'), ('moderate', 'Moderate'), ('low', 'Low'), ('very_low', 'Very low')], max_length=16)),
                ('certainty_reason', models.TextField()),
                ('summary', models.TextField()),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('changed_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('drug', models.ForeignKey(blank=True, db_constraint=False, help_text='Leave empty for a finding about NMDA-receptor antagonists as a class.', limit_choices_to={'classes__slug': 'nmdar_antagonist'}, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('pain_type', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.paintype')),
            ],
            options={
                'verbose_name': 'historical finding',
                'verbose_name_plural': 'historical findings',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalConflict_pain_types',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('conflict', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.conflict')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalconflict')),
                ('paintype', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.paintype')),
            ],
            options={
                'verbose_name': 'HistoricalConflict_pain_types',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalClinicalCode_pain_types',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('clinicalcode', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.clinicalcode')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalclinicalcode')),
                ('paintype', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.paintype')),
            ],
            options={
                'verbose_name': 'HistoricalClinicalCode_pain_types',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Finding',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(auto_now=True)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(max_length=80, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('product', models.CharField(blank=True, help_text='A specific product, e.g. dextromethorphan/quinidine.', max_length=120)),
                ('condition_scope', models.CharField(blank=True, help_text='When the population is not exactly this pain type (mixed, non-neuropathic).', max_length=300)),
                ('population', models.CharField(choices=[('patients', 'Patients with this pain type'), ('mixed_neuropathic', 'Mixed or unspecified neuropathic pain'), ('other_patients', 'Another population (e.g. chronic pain in general)'), ('animal', 'Animal model')], default='patients', max_length=24)),
                ('direction', models.CharField(choices=[('benefit', 'Benefit'), ('no_benefit', 'No benefit'), ('mixed', 'Mixed'), ('insufficient', 'Insufficient evidence')], max_length=16)),
                ('certainty', models.CharField(choices=[('high', 'High'), ('moderate', 'Moderate'), ('low', 'Low'), ('very_low', 'Very low')], max_length=16)),
                ('certainty_reason', models.TextField()),
                ('summary', models.TextField()),
                ('changed_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('drug', models.ForeignKey(blank=True, help_text='Leave empty for a finding about NMDA-receptor antagonists as a class.', limit_choices_to={'classes__slug': 'nmdar_antagonist'}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='findings', to='evidence.drug')),
                ('pain_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='findings', to='evidence.paintype')),
            ],
            options={
                'ordering': ['key'],
            },
        ),
        migrations.AddField(
            model_name='conflict',
            name='pain_types',
            field=models.ManyToManyField(blank=True, help_text='Empty: concerns every pain type.', related_name='conflicts', to='evidence.paintype'),
        ),
        migrations.AddField(
            model_name='clinicalcode',
            name='pain_types',
            field=models.ManyToManyField(blank=True, related_name='codes', to='evidence.paintype'),
        ),
        migrations.CreateModel(
            name='PatientFactor',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.CharField(help_text='Stable identifier used by the form, the API and the rules. Never rename.', max_length=64, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('name', models.CharField(max_length=200)),
                ('description', models.TextField(blank=True, help_text='Plain-language description shown to clinicians as a hint.')),
                ('nothing_known', models.BooleanField(default=False, help_text='Tick when no note of the knowledge base depends on this input, so that the knowledge-base audit accepts it as screened with nothing known (docs/knowledge-base.md lists them).', verbose_name='screened, nothing known')),
            ],
            options={
                'ordering': ['name'],
                'abstract': False,
                'constraints': [models.CheckConstraint(condition=models.Q(('slug__regex', '^[a-z0-9]+([_-][a-z0-9]+)*$')), name='evidence_patientfactor_slug_format')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalClinicalCode_factors',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('clinicalcode', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.clinicalcode')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalclinicalcode')),
                ('patientfactor', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.patientfactor')),
            ],
            options={
                'verbose_name': 'HistoricalClinicalCode_factors',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddField(
            model_name='clinicalcode',
            name='factors',
            field=models.ManyToManyField(blank=True, related_name='codes', to='evidence.patientfactor'),
        ),
        migrations.CreateModel(
            name='SafetyConcern',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(auto_now=True)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(max_length=80, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('product', models.CharField(blank=True, max_length=120)),
                ('concern', models.CharField(help_text='The risk in a few words.', max_length=200)),
                ('applies_when', models.TextField(help_text="When the risk applies, in the source's terms.")),
                ('severity', models.CharField(choices=[('high', 'High'), ('moderate', 'Moderate'), ('low', 'Low')], max_length=16)),
                ('summary', models.TextField()),
                ('changed_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('drug', models.ForeignKey(limit_choices_to={'classes__slug': 'nmdar_antagonist'}, on_delete=django.db.models.deletion.PROTECT, related_name='safety_concerns', to='evidence.drug')),
                ('trigger_classes', models.ManyToManyField(blank=True, related_name='safety_concerns', to='evidence.drugclass', verbose_name='current drug classes')),
                ('trigger_drugs', models.ManyToManyField(blank=True, related_name='triggered_safety_concerns', to='evidence.drug', verbose_name='current drugs')),
                ('trigger_factors', models.ManyToManyField(blank=True, related_name='safety_concerns', to='evidence.patientfactor', verbose_name='patient factors')),
                ('trigger_properties', models.ManyToManyField(blank=True, related_name='safety_concerns', to='evidence.drugproperty', verbose_name='current drug properties')),
            ],
            options={
                'verbose_name': 'safety concern',
                'ordering': ['key'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalSafetyConcern_trigger_properties',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('drugproperty', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drugproperty')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalsafetyconcern')),
                ('safetyconcern', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.safetyconcern')),
            ],
            options={
                'verbose_name': 'HistoricalSafetyConcern_trigger_properties',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalSafetyConcern_trigger_factors',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalsafetyconcern')),
                ('patientfactor', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.patientfactor')),
                ('safetyconcern', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.safetyconcern')),
            ],
            options={
                'verbose_name': 'HistoricalSafetyConcern_trigger_factors',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalSafetyConcern_trigger_drugs',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('drug', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drug')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalsafetyconcern')),
                ('safetyconcern', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.safetyconcern')),
            ],
            options={
                'verbose_name': 'HistoricalSafetyConcern_trigger_drugs',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalSafetyConcern_trigger_classes',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('drugclass', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.drugclass')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalsafetyconcern')),
                ('safetyconcern', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.safetyconcern')),
            ],
            options={
                'verbose_name': 'HistoricalSafetyConcern_trigger_classes',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalCombination_related_safety',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('combination', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.combination')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalcombination')),
                ('safetyconcern', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.safetyconcern')),
            ],
            options={
                'verbose_name': 'HistoricalCombination_related_safety',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddField(
            model_name='combination',
            name='related_safety',
            field=models.ManyToManyField(blank=True, related_name='combinations', to='evidence.safetyconcern'),
        ),
        migrations.CreateModel(
            name='Source',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=16)),
                ('changed_at', models.DateTimeField(auto_now=True)),
                ('last_reviewed', models.DateField(blank=True, null=True)),
                ('review_due', models.DateField(blank=True, help_text='When a reviewer should next check this record.', null=True)),
                ('key', models.CharField(help_text='Short stable key, e.g. zhou-2011.', max_length=80, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9]+([_-][a-z0-9]+)*$', 'Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011).')])),
                ('authors', models.TextField(blank=True, help_text='Vancouver style: Zhou HY, Chen SR, Pan HL')),
                ('title', models.TextField()),
                ('journal', models.CharField(blank=True, max_length=300)),
                ('year', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(1900), django.core.validators.MaxValueValidator(2100)])),
                ('volume', models.CharField(blank=True, max_length=32)),
                ('issue', models.CharField(blank=True, max_length=32)),
                ('pages', models.CharField(blank=True, max_length=32)),
                ('doi', models.CharField(blank=True, max_length=200, validators=[django.core.validators.RegexValidator('^10\\.', 'A DOI starts with 10. (e.g. 10.1586/ecp.11.17).')], verbose_name='DOI')),
                ('pmid', models.CharField(blank=True, max_length=12, validators=[django.core.validators.RegexValidator('^[0-9]+$', 'A PMID is digits only (e.g. 21686074).')], verbose_name='PMID')),
                ('url', models.URLField(blank=True, max_length=500, verbose_name='URL')),
                ('study_type', models.CharField(choices=[('review', 'Review'), ('systematic_review', 'Systematic review'), ('meta_analysis', 'Meta-analysis'), ('rct', 'Randomised controlled trial'), ('observational', 'Observational study'), ('case_series', 'Case series or case report'), ('animal', 'Animal study'), ('label', 'Drug label')], max_length=24)),
                ('population', models.TextField(blank=True)),
                ('sample_size', models.PositiveIntegerField(blank=True, null=True)),
                ('notes', models.TextField(blank=True, help_text='Curator notes: what is missing, uncertain or still to confirm.')),
                ('is_founding_review', models.BooleanField(default=False, help_text='The review this knowledge base was founded on.')),
                ('changed_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['key'],
            },
        ),
        migrations.AddField(
            model_name='safetyconcern',
            name='sources',
            field=models.ManyToManyField(blank=True, related_name='safety_concerns', to='evidence.source'),
        ),
        migrations.CreateModel(
            name='HistoricalSafetyConcern_sources',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalsafetyconcern')),
                ('safetyconcern', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.safetyconcern')),
                ('source', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.source')),
            ],
            options={
                'verbose_name': 'HistoricalSafetyConcern_sources',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalFinding_sources',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('finding', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.finding')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalfinding')),
                ('source', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.source')),
            ],
            options={
                'verbose_name': 'HistoricalFinding_sources',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalConflict_sources',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('conflict', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.conflict')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalconflict')),
                ('source', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.source')),
            ],
            options={
                'verbose_name': 'HistoricalConflict_sources',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalCombination_sources',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('combination', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.combination')),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='evidence.historicalcombination')),
                ('source', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evidence.source')),
            ],
            options={
                'verbose_name': 'HistoricalCombination_sources',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.AddField(
            model_name='finding',
            name='sources',
            field=models.ManyToManyField(blank=True, related_name='findings', to='evidence.source'),
        ),
        migrations.AddField(
            model_name='conflict',
            name='sources',
            field=models.ManyToManyField(blank=True, related_name='conflicts', to='evidence.source'),
        ),
        migrations.AddField(
            model_name='combination',
            name='sources',
            field=models.ManyToManyField(blank=True, related_name='combinations', to='evidence.source'),
        ),
        migrations.AddConstraint(
            model_name='drug',
            constraint=models.CheckConstraint(condition=models.Q(('slug__regex', '^[a-z0-9]+([_-][a-z0-9]+)*$')), name='evidence_drug_slug_format'),
        ),
        migrations.AddConstraint(
            model_name='clinicalcode',
            constraint=models.UniqueConstraint(fields=('system', 'code'), name='clinicalcode_unique_in_system'),
        ),
        migrations.AddConstraint(
            model_name='clinicalcode',
            constraint=models.CheckConstraint(condition=models.Q(('system__in', ['snomed_ct', 'icd10cm', 'rxnorm'])), name='clinicalcode_system_valid'),
        ),
        migrations.AddConstraint(
            model_name='clinicalcode',
            constraint=models.CheckConstraint(condition=models.Q(('code', ''), _negated=True), name='clinicalcode_code_present'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'published'])), name='evidence_source_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(('study_type__in', ['review', 'systematic_review', 'meta_analysis', 'rct', 'observational', 'case_series', 'animal', 'label'])), name='source_study_type_valid'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(('key__regex', '^[a-z0-9]+([_-][a-z0-9]+)*$')), name='source_key_format'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(('pmid', ''), ('pmid__regex', '^[0-9]+$'), _connector='OR'), name='source_pmid_digits'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(('doi', ''), ('doi__startswith', '10.'), _connector='OR'), name='source_doi_prefix'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(('year__isnull', True), models.Q(('year__gte', 1900), ('year__lte', 2100)), _connector='OR'), name='source_year_range'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.UniqueConstraint(condition=models.Q(('pmid', ''), _negated=True), fields=('pmid',), name='source_pmid_unique'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.UniqueConstraint(condition=models.Q(('doi', ''), _negated=True), fields=('doi',), name='source_doi_unique'),
        ),
        migrations.AddConstraint(
            model_name='safetyconcern',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'published'])), name='evidence_safetyconcern_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='safetyconcern',
            constraint=models.CheckConstraint(condition=models.Q(('severity__in', ['high', 'moderate', 'low'])), name='safetyconcern_severity_valid'),
        ),
        migrations.AddConstraint(
            model_name='safetyconcern',
            constraint=models.CheckConstraint(condition=models.Q(('key__regex', '^[a-z0-9]+([_-][a-z0-9]+)*$')), name='safetyconcern_key_format'),
        ),
        migrations.AddConstraint(
            model_name='finding',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'published'])), name='evidence_finding_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='finding',
            constraint=models.CheckConstraint(condition=models.Q(('direction__in', ['benefit', 'no_benefit', 'mixed', 'insufficient'])), name='finding_direction_valid'),
        ),
        migrations.AddConstraint(
            model_name='finding',
            constraint=models.CheckConstraint(condition=models.Q(('certainty__in', ['high', 'moderate', 'low', 'very_low'])), name='finding_certainty_valid'),
        ),
        migrations.AddConstraint(
            model_name='finding',
            constraint=models.CheckConstraint(condition=models.Q(('population__in', ['patients', 'mixed_neuropathic', 'other_patients', 'animal'])), name='finding_population_valid'),
        ),
        migrations.AddConstraint(
            model_name='finding',
            constraint=models.CheckConstraint(condition=models.Q(('key__regex', '^[a-z0-9]+([_-][a-z0-9]+)*$')), name='finding_key_format'),
        ),
        migrations.AddConstraint(
            model_name='conflict',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'published'])), name='evidence_conflict_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='conflict',
            constraint=models.CheckConstraint(condition=models.Q(('key__regex', '^[a-z0-9]+([_-][a-z0-9]+)*$')), name='conflict_key_format'),
        ),
        migrations.AddConstraint(
            model_name='combination',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'published'])), name='evidence_combination_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='combination',
            constraint=models.CheckConstraint(condition=models.Q(('direction__in', ['benefit', 'no_benefit', 'mixed', 'insufficient'])), name='combination_direction_valid'),
        ),
        migrations.AddConstraint(
            model_name='combination',
            constraint=models.CheckConstraint(condition=models.Q(('key__regex', '^[a-z0-9]+([_-][a-z0-9]+)*$')), name='combination_key_format'),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
