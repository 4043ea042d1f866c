"""A published finding, safety concern, combination or conflict must cite at least one source.

A many-to-many row cannot be required by a CHECK constraint, so on PostgreSQL deferred
constraint triggers enforce it at commit: saving the record and then its sources in one
transaction passes; committing a published record without sources, or removing its last source,
fails. SQLite (the first-run default) relies on the admin's validation alone.
"""

from django.db import migrations

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
    dependencies = [("evidence", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
