"""Inserting one model row with a statement prepared once per model, for the hottest write paths.

Django's ``save()`` rebuilds and compiles its INSERT for every call — for a model of fifty columns
that costs more CPU than the database spends on the row. ``row_insert`` keeps the statement per
model and connection vendor and only converts the values, with each field's own
``pre_save``/``get_db_prep_save`` (so defaults, ``auto_now`` and JSON adaptation behave as in
``save()``). It sends no signals and skips model validation, exactly like ``bulk_create``; use it
only for models that have no ``save()`` override and no signal receivers.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import Model

_fields_by_model: dict[type[Model], list[Any]] = {}
_statements: dict[tuple[type[Model], str, tuple[int, ...]], str] = {}


def _insertable_fields(model: type[Model]) -> list[Any]:
    fields = _fields_by_model.get(model)
    if fields is None:
        primary_key = model._meta.pk
        fields = _fields_by_model[model] = [
            field for field in model._meta.concrete_fields
            if not (field is primary_key and getattr(field, "db_returning", False))
        ]
    return fields


def _statement(model: type[Model], vendor: str, quote: Any, included: tuple[int, ...]) -> str:
    key = (model, vendor, included)
    sql = _statements.get(key)
    if sql is None:
        fields = _insertable_fields(model)
        columns = ", ".join(quote(fields[index].column) for index in included)
        placeholders = ", ".join(["%s"] * len(included))
        primary_key = model._meta.pk
        returning = f" RETURNING {quote(primary_key.column)}" if primary_key is not None else ""
        sql = _statements[key] = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders}){returning}"  # noqa: S608
    return sql


def row_insert(instance: Model, *, using: str = "default") -> None:
    """INSERT ``instance`` as a new row and set its primary key (PostgreSQL, and SQLite ≥ 3.35).

    Columns whose value is NULL are left out of the statement unless they declare a database
    default (otherwise the column's NULL is the same thing): fewer parameters to send, and a
    statement short enough for the driver to keep its parsed form. There are few distinct
    statements per model (which optional columns are set), each built once.
    """
    connection = connections[using]
    fields = _insertable_fields(type(instance))
    included: list[int] = []
    values: list[Any] = []
    for index, field in enumerate(fields):
        value = field.get_db_prep_save(field.pre_save(instance, True), connection)
        if value is not None or field.has_db_default():
            included.append(index)
            values.append(value)
    sql = _statement(type(instance), connection.vendor, connection.ops.quote_name, tuple(included))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is not None:
        instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = using
