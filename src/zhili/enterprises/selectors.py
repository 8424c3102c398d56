"""Reads of the enterprises app: engine columns, runs, distributions, profiles, the D-class list."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Prefetch, Q, QuerySet

from zhili.accounts.models import User
from zhili.accounts.permissions import user_area_paths
from zhili.enterprises.engine import CLASS_LABELS, FloatArray
from zhili.enterprises.industry import industry_label
from zhili.enterprises.models import (
    Enterprise,
    EnterpriseScale,
    EnterpriseStatus,
    EnterpriseYearValue,
    EvaluationResult,
    EvaluationRun,
    ImportBatch,
    PolicyMeasure,
    RunStatus,
    StagedRow,
)
from zhili.enterprises.scheme import DATA_FIELDS
from zhili.geo.models import Area, AreaLevel


def enterprises_in_scope(user: User) -> QuerySet[Enterprise]:
    """Enterprises inside the user's area subtree (all of them for district-wide users)."""
    queryset = Enterprise.objects.all()
    paths = user_area_paths(user)
    if paths:
        condition = Q()
        for path in paths:
            condition |= Q(area_path__startswith=path)
        queryset = queryset.filter(condition)
    return queryset


def evaluation_columns(*, year: int, area: Area | None = None) -> tuple[list[int], dict[str, FloatArray]]:
    """The engine's input for ``year``: enterprises not closed (in ``area``'s subtree when given),
    ordered by id, with their figures (NaN when missing). Land: the year's figure, else the registry's."""
    enterprises = Enterprise.objects.exclude(status=EnterpriseStatus.CLOSED).order_by("pk")
    if area is not None:
        enterprises = enterprises.filter(area_path__startswith=area.path)
    rows = list(enterprises.values_list("pk", "scale", "land_area_mu", "production_start_year", "is_public_utility"))
    ids = [row[0] for row in rows]
    position = {enterprise_id: index for index, enterprise_id in enumerate(ids)}
    size = len(ids)
    columns: dict[str, FloatArray] = {name: np.full(size, np.nan) for name in DATA_FIELDS}
    values = EnterpriseYearValue.objects.filter(year=year, enterprise_id__in=ids) if area is not None else \
        EnterpriseYearValue.objects.filter(year=year)
    for enterprise_id, field_name, value in values.values_list("enterprise_id", "field", "value").iterator(
            chunk_size=5000):
        index = position.get(enterprise_id)
        if index is not None and field_name in columns:
            columns[field_name][index] = value
    registry_land = np.array([np.nan if row[2] is None else row[2] for row in rows], dtype=np.float64)
    columns["land_mu"] = np.where(np.isnan(columns["land_mu"]), registry_land, columns["land_mu"])
    columns["above_scale"] = np.array([1.0 if row[1] == EnterpriseScale.ABOVE else 0.0 for row in rows])
    columns["production_start_year"] = np.array([np.nan if row[3] is None else float(row[3]) for row in rows])
    columns["public_utility"] = np.array([1.0 if row[4] else 0.0 for row in rows])
    if not ids:
        return [], {}
    return ids, columns


def run_published_latest(*, year: int | None = None) -> EvaluationRun | None:
    runs = EvaluationRun.objects.filter(status=RunStatus.PUBLISHED)
    if year is not None:
        runs = runs.filter(year=year)
    return runs.order_by("-year", "-version").select_related("scheme", "published_by").first()


def published_classes(*, year: int) -> dict[int, str]:
    run = run_published_latest(year=year)
    if run is None:
        return {}
    return dict(run.results.values_list("enterprise_id", "class_code"))


def runs_recent(limit: int = 20) -> QuerySet[EvaluationRun]:
    return EvaluationRun.objects.select_related("scheme", "created_by", "published_by").order_by(
        "-year", "-version")[:limit]


def data_year_latest() -> int | None:
    """The latest year with accepted enterprise data (the evaluation form's default), None before any import."""
    year: int | None = EnterpriseYearValue.objects.order_by("-year").values_list("year", flat=True).first()
    return year


def import_batches_recent(limit: int = 10) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.select_related("created_by", "decided_by").order_by("-created_at")[:limit]


def results_for_user(run: EvaluationRun, user: User) -> QuerySet[EvaluationResult]:
    results = run.results.select_related("enterprise")
    paths = user_area_paths(user)
    if paths:
        condition = Q()
        for path in paths:
            condition |= Q(enterprise__area_path__startswith=path)
        results = results.filter(condition)
    return results


def class_distribution(results: QuerySet[EvaluationResult]) -> dict[str, int]:
    counts = dict.fromkeys(CLASS_LABELS, 0)
    for row in results.values("class_code").annotate(count=Count("id")):
        counts[row["class_code"]] = row["count"]
    return counts


def class_movement(results: QuerySet[EvaluationResult]) -> dict[str, int]:
    """How many moved up, down, stayed, or are new (no class last year), among rated A–D."""
    order = {label: index for index, label in enumerate("ABCD")}
    movement = {"up": 0, "down": 0, "same": 0, "new": 0}
    for current, previous in results.values_list("class_code", "previous_class"):
        if current not in order:
            continue
        if previous not in order:
            movement["new"] += 1
        elif order[current] < order[previous]:
            movement["up"] += 1
        elif order[current] > order[previous]:
            movement["down"] += 1
        else:
            movement["same"] += 1
    return movement


@dataclass(frozen=True)
class DistributionRow:
    key: str
    label: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def distribution_by_industry(results: QuerySet[EvaluationResult]) -> list[DistributionRow]:
    table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLASS_LABELS, 0))
    for industry_code, class_code in results.values_list("enterprise__industry_code", "class_code"):
        table[industry_code[:3]][class_code] += 1
    return sorted((DistributionRow(key, industry_label(key), counts) for key, counts in table.items()),
                  key=lambda row: (-row.total, row.key))


def _street_code(area_path: str) -> str:
    # "/district/street/community/grid/" → the street's code.
    parts = [part for part in area_path.split("/") if part]
    return parts[1] if len(parts) >= 2 else ""


def distribution_by_area(results: QuerySet[EvaluationResult]) -> list[DistributionRow]:
    """Per street (from the grid path) and per development zone (an enterprise may count in both)."""
    table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLASS_LABELS, 0))
    for area_path, zone_code, class_code in results.values_list("enterprise__area_path", "enterprise__zone__code",
                                                                 "class_code"):
        street = _street_code(area_path)
        if street:
            table[street][class_code] += 1
        if zone_code:
            table[zone_code][class_code] += 1
    names = dict(Area.objects.filter(code__in=list(table)).values_list("code", "name"))
    return sorted((DistributionRow(code, names.get(code, code), counts) for code, counts in table.items()),
                  key=lambda row: row.key)


def map_payload(results: QuerySet[EvaluationResult]) -> dict[str, Any]:
    """GeoJSON of streets and zones with per-class counts, plus enterprise points by class (for ECharts)."""
    import shapely
    from shapely.geometry import mapping

    by_area = {row.key: row for row in distribution_by_area(results)}
    features = []
    for area in Area.objects.filter(level__in=[AreaLevel.STREET, AreaLevel.ZONE]).exclude(geometry_wkb=None):
        geometry = shapely.from_wkb(bytes(area.geometry_wkb or b""))
        geometry = shapely.simplify(geometry, 0.0003, preserve_topology=True)
        row = by_area.get(area.code)
        counts = row.counts if row else dict.fromkeys(CLASS_LABELS, 0)
        rated = sum(counts[label] for label in "ABCD")
        features.append({
            "type": "Feature", "geometry": mapping(geometry),
            "properties": {"code": area.code, "name": area.name, "level": area.level, "counts": counts,
                           "d_share": round(counts["D"] / rated, 4) if rated else 0.0},
        })
    points = [
        {"name": name, "code": code, "class": class_code, "value": [longitude, latitude]}
        for name, code, class_code, longitude, latitude in results.filter(
            enterprise__longitude__isnull=False).values_list(
            "enterprise__name", "enterprise__credit_code", "class_code", "enterprise__longitude",
            "enterprise__latitude")
    ]
    return {"geojson": {"type": "FeatureCollection", "features": features}, "points": points}


def map_payload_json(results: QuerySet[EvaluationResult]) -> str:
    return json.dumps(map_payload(results), ensure_ascii=False)


def enterprise_year_values(enterprise: Enterprise) -> dict[int, list[EnterpriseYearValue]]:
    years: dict[int, list[EnterpriseYearValue]] = defaultdict(list)
    for value in enterprise.year_values.select_related("source_file").order_by("-year", "field"):
        years[value.year].append(value)
    return dict(years)


def enterprise_results(enterprise: Enterprise) -> QuerySet[EvaluationResult]:
    return enterprise.results.select_related("run", "run__scheme").order_by("-run__year", "-run__version")


def d_class_results(run: EvaluationRun, user: User) -> QuerySet[EvaluationResult]:
    measures = PolicyMeasure.objects.prefetch_related("follow_ups").order_by("created_at")
    return results_for_user(run, user).filter(class_code="D").prefetch_related(
        Prefetch("enterprise__policy_measures", queryset=measures)).order_by("rank")


@dataclass(frozen=True)
class StagedFinding:
    row: StagedRow
    file_name: str
    codes: frozenset[str]


def staged_rows_with_findings(batch: ImportBatch) -> list[StagedFinding]:
    """The staged rows the linkage report lists: those with a problem (excluded) or a warning."""
    findings = []
    rows = StagedRow.objects.filter(source_file__batch=batch).select_related("source_file").order_by(
        "source_file__position", "row_number")
    for row in rows:
        if not row.problems and not row.warnings:
            continue
        codes = frozenset([problem["code"] for problem in row.problems]
                          + [f"warning_{warning['code']}" for warning in row.warnings])
        findings.append(StagedFinding(row=row, file_name=row.source_file.file_name, codes=codes))
    return findings
