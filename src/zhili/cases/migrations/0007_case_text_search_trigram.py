"""Text search over case titles, descriptions and addresses through a trigram index (PostgreSQL only).

pg_trgm ships with PostgreSQL itself (the contrib package every distribution installs), is a
trusted extension (a database owner may create it) and, in a UTF-8 database, cuts Chinese text
into character trigrams, so ``LIKE '%停车位%'`` over ten million descriptions is answered from the
index instead of a scan. pg_bigm (bigrams, better for two-character words) and zhparser are in no
registry this project installs from. The case list searches one expression — the upper-cased
title, description and address — so one GIN index serves it (``cases.selectors.case_list`` writes
the same expression). SQLite keeps ``icontains`` over the columns, without an index.

Built CONCURRENTLY (the migration is not atomic), so an installation with millions of cases keeps
taking cases while the index is built.
"""

from django.db import migrations

SEARCH_EXPRESSION = "(UPPER((title || ' ' || description || ' ' || address_text)))"


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS cases_search_text_trigram ON cases_case "
        f"USING gin ({SEARCH_EXPRESSION} gin_trgm_ops)")


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS cases_search_text_trigram")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0006_history_import")]

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
