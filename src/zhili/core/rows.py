"""Inserting one model row with a statement prepared once per model, for the hottest write paths.

Django's ``save()`` rebuilds and compiles its INSERT for every call — for a model of fifty columns
that costs more CPU than the database spends on the row. ``row_insert`` keeps the statement per
model and connection vendor and only converts the values, with each field's own
``pre_save``/``get_db_prep_save`` (so defaults, ``auto_now`` and JSON adaptation behave as in
``save()``). It sends no signals and skips model validation, exactly like ``bulk_create``; use it
only for models that have no ``save()`` override and no signal receivers.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import psycopg
from django.db import connections, transaction
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


def _prepared_values(instance: Model, connection: Any, *, link_index: int | None = None) -> tuple[tuple[int, ...], list[Any]]:
    """(indexes of the columns to send, their values); NULL columns without a database default are left
    out, except the link column (``link_index``), whose value the statement supplies."""
    fields = _insertable_fields(type(instance))
    included: list[int] = []
    values: list[Any] = []
    for index, field in enumerate(fields):
        if index == link_index:
            included.append(index)
            continue
        value = field.get_db_prep_save(field.pre_save(instance, True), connection)
        if value is not None or field.has_db_default():
            included.append(index)
            values.append(value)
    return tuple(included), values


def _mark_saved(instance: Model, primary_key: Any, using: str) -> None:
    if primary_key is not None:
        instance.pk = primary_key
    instance._state.adding = False
    instance._state.db = using


def row_insert(instance: Model, *, using: str = "default") -> None:
    """INSERT ``instance`` as a new row and set its primary key (PostgreSQL, and SQLite ≥ 3.35).

    Columns whose value is NULL are left out of the statement unless they declare a database
    default (otherwise the column's NULL is the same thing): fewer parameters to send, and a
    statement short enough for the driver to keep its parsed form. There are few distinct
    statements per model (which optional columns are set), each built once.
    """
    connection = connections[using]
    included, values = _prepared_values(instance, connection)
    sql = _statement(type(instance), connection.vendor, connection.ops.quote_name, included)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    _mark_saved(instance, row[0] if row is not None else None, using)


# one statement per shape: (parent model and columns, then per dependent row its model, columns and link)
_linked_statements: dict[tuple[Any, ...], bytes] = {}


def rows_insert_linked(parent: Model, dependents: Sequence[tuple[Model, str | None]], *,
                       using: str = "default") -> None:
    """INSERT ``parent`` and rows that refer to it in ONE statement on PostgreSQL, setting every primary key.

    ``dependents`` are (row, name of its foreign key to ``parent``, or None for a row that does not
    refer to it). The rows are written by data-modifying WITH clauses: one round trip instead of
    one per row plus BEGIN and COMMIT. Outside a transaction the statement is its own transaction,
    so all rows are written or none. Same rules as :func:`row_insert` (no signals, no ``save()``);
    the statement goes through a raw driver cursor, so it is not in Django's query log.
    Other databases get one INSERT per row in one transaction.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":  # a row at a time in one transaction (SQLite has no round trips to save)
        with transaction.atomic(using=using):
            row_insert(parent, using=using)
            for row, link in dependents:
                if link:
                    setattr(row, link, parent.pk)
                row_insert(row, using=using)
        return
    quote = connection.ops.quote_name
    parent_included, values = _prepared_values(parent, connection)
    shape: list[Any] = [type(parent), parent_included]
    for row, link in dependents:
        fields = _insertable_fields(type(row))
        link_index = next(index for index, field in enumerate(fields) if field.attname == link) if link else None
        included, row_values = _prepared_values(row, connection, link_index=link_index)
        shape += [type(row), included, link_index]
        values += row_values
    key = tuple(shape)
    sql = _linked_statements.get(key)
    if sql is None:
        sql = _linked_statements[key] = _linked_statement(shape, quote).encode()
    # A raw cursor: the statement is written with PostgreSQL's own $n placeholders, so the driver sends
    # it as it is. (Through Django's cursor, psycopg would re-parse this long statement for %s on every
    # call: it caches the parsing only for statements of at most 50 parameters, and this one has more.)
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors, psycopg.RawCursor(connection.connection) as cursor:
        cursor.execute(sql, values)
        primary_keys = cursor.fetchone()
    if primary_keys is None:
        raise RuntimeError("the linked insert returned no row")
    for instance, primary_key in zip([parent, *(row for row, _link in dependents)], primary_keys, strict=True):
        _mark_saved(instance, primary_key, using)
    for row, link in dependents:
        if link:
            setattr(row, link, parent.pk)


def _linked_statement(shape: list[Any], quote: Any) -> str:
    parameter_numbers = itertools.count(1)

    def insert(model: type[Model], included: tuple[int, ...], link_index: int | None) -> str:
        fields = _insertable_fields(model)
        columns = ", ".join(quote(fields[index].column) for index in included)
        placeholders = ", ".join("(SELECT id FROM row_0)" if index == link_index else f"${next(parameter_numbers)}"
                                 for index in included)
        return (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
                f"RETURNING {quote(model._meta.pk.column)} AS id")

    clauses = [f"row_0 AS ({insert(shape[0], shape[1], None)})"]
    for number, position in enumerate(range(2, len(shape), 3), start=1):
        model, included, link_index = shape[position:position + 3]
        clauses.append(f"row_{number} AS ({insert(model, included, link_index)})")
    selected = ", ".join(f"(SELECT id FROM row_{number})" for number in range(len(clauses)))  # noqa: S608
    return f"WITH {', '.join(clauses)} SELECT {selected}"
