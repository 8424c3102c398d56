"""Seal after commit: writers insert records without their chain link, a sealer links them later.

The append-only triggers now allow exactly one update of a record: filling its empty chain link
(``chain_position``, ``previous_hash``, ``record_hash``) while every content column stays as it was.
Records written before this migration were chained in id order: their position is their id.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

CONTENT_COLUMNS = ("id", "occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id", "data")
POSTGRESQL_CREATE = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
  IF current_setting('zhili.audit_maintenance', true) = 'on' THEN
    IF TG_LEVEL = 'ROW' THEN
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END IF;
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.record_hash IS NULL AND NEW.record_hash IS NOT NULL
     AND NEW.previous_hash IS NOT NULL AND NEW.chain_position IS NOT NULL
     AND (NEW.id, NEW.occurred_at, NEW.actor_id, NEW.actor_label, NEW.action, NEW.object_type, NEW.object_id, NEW.data)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.occurred_at, OLD.actor_id, OLD.actor_label, OLD.action, OLD.object_type, OLD.object_id, OLD.data)
  THEN
    RETURN NEW;  -- the sealer fills the chain link once
  END IF;
  RAISE EXCEPTION 'audit records are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_record_append_only ON audit_auditrecord;
CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_auditrecord
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
DROP TRIGGER IF EXISTS audit_record_no_truncate ON audit_auditrecord;
CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_auditrecord
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
"""
_UNCHANGED = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in CONTENT_COLUMNS)
SQLITE_CREATE = [
    "CREATE TABLE IF NOT EXISTS audit_maintenance (enabled INTEGER NOT NULL);",
    "DROP TRIGGER IF EXISTS audit_record_no_update;",
    "DROP TRIGGER IF EXISTS audit_record_no_delete;",
    f"""CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_auditrecord
       WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance)
        AND NOT (OLD.record_hash IS NULL AND NEW.record_hash IS NOT NULL AND NEW.previous_hash IS NOT NULL
                 AND NEW.chain_position IS NOT NULL AND {_UNCHANGED})
       BEGIN SELECT RAISE(ABORT, 'audit records are append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_auditrecord
       WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance)
       BEGIN SELECT RAISE(ABORT, 'audit records are append-only: DELETE refused'); END;""",
]


def create_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # Through a plain cursor without parameters: the PL/pgSQL "%" is not a query placeholder.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRESQL_CREATE)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def restore_former_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from importlib import import_module

    former = import_module("zhili.audit.migrations.0002_append_only_triggers")
    former.drop_triggers(apps, schema_editor)
    former.create_triggers(apps, schema_editor)


def position_former_records(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Records chained before this migration keep their hashes; their position is their id."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL zhili.audit_maintenance = 'on'")
        elif connection.vendor == "sqlite":
            cursor.execute("INSERT INTO audit_maintenance (enabled) VALUES (1)")
        cursor.execute("UPDATE audit_auditrecord SET chain_position = id WHERE record_hash IS NOT NULL")
        cursor.execute("UPDATE audit_auditchainhead SET last_position = "
                       "(SELECT COALESCE(MAX(id), 0) FROM audit_auditrecord WHERE record_hash IS NOT NULL)")
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM audit_maintenance")


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_chain_head_row'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='auditchainhead',
            name='last_position',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='auditrecord',
            name='chain_position',
            field=models.BigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='auditrecord',
            name='previous_hash',
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name='auditrecord',
            name='record_hash',
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name='auditrecord',
            index=models.Index(condition=models.Q(('record_hash__isnull', True)), fields=['id'], name='audit_unsealed'),
        ),
        migrations.RunPython(create_triggers, restore_former_triggers),
        migrations.RunPython(position_former_records, migrations.RunPython.noop),
    ]
