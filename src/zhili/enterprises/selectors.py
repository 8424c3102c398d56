"""Reads of the enterprises app: engine columns, runs, distributions, profiles, the D-class list."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_noop

from zhili.accounts.models import User
from zhili.accounts.permissions import user_area_paths
from zhili.core import clock
from zhili.core.credit_code_sources import credit_code_sources
from zhili.enterprises import engine
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
    LandSite,
    LandSiteShare,
    Objection,
    PolicyMeasure,
    PolicyTable,
    RunStatus,
    StagedRow,
)
from zhili.enterprises.rules import (
    ClassMove,
    FirmPolicyEffect,
    class_moves,
    firm_policy_effect,
    firm_quantities,
    migration_matrix,
    policy_table_parse,
    scheme_config_with_changes,
)
from zhili.enterprises.scheme import DATA_FIELDS, scheme_parse
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
    # Apportioned land on shared sites replaces both (a firm on several sites: the sum of its shares).
    for enterprise_id, share_sum in site_land_by_enterprise(ids).items():
        columns["land_mu"][position[enterprise_id]] = share_sum
    columns["above_scale"] = np.array([1.0 if row[1] == EnterpriseScale.ABOVE else 0.0 for row in rows])
    columns["production_start_year"] = np.array([np.nan if row[3] is None else float(row[3]) for row in rows])
    columns["public_utility"] = np.array([1.0 if row[4] else 0.0 for row in rows])
    if not ids:
        return [], {}
    return ids, columns


def credit_code_sources_seen(enterprise_ids: list[int]) -> list[dict[str, Any]]:
    """Each registered credit-code source (e.g. projects' finished industrial owners) against the run:
    how many of its enterprises are evaluated, and the codes the run cannot see (not in the registry,
    closed, or outside the run's area) — for the analyst to add or check."""
    sources = credit_code_sources()
    if not sources:
        return []
    evaluated_ids = set(enterprise_ids)
    evaluated = {code for enterprise_id, code in Enterprise.objects.values_list("pk", "credit_code").iterator(
        chunk_size=5000) if enterprise_id in evaluated_ids}
    seen = []
    for source in sources:
        codes = sorted(set(source.codes()))
        seen.append({"source": source.name, "label": source.label, "codes": len(codes),
                     "evaluated": sum(1 for code in codes if code in evaluated),
                     "missing": [code for code in codes if code not in evaluated][:200]})
    return seen


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
    # deferred: shapely is imported only when geometry is drawn
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


# ---------------------------------------------------------------- land apportionment


def site_land_by_enterprise(enterprise_ids: list[int] | None = None) -> dict[int, float]:
    """Σ apportioned land (亩) of each enterprise that has shares on shared sites."""
    shares = LandSiteShare.objects.all()
    if enterprise_ids is not None and len(enterprise_ids) < 5000:
        shares = shares.filter(enterprise_id__in=enterprise_ids)
    totals: dict[int, list[float]] = defaultdict(list)
    for enterprise_id, share_mu in shares.values_list("enterprise_id", "share_mu"):
        totals[enterprise_id].append(share_mu)
    return {enterprise_id: math.fsum(values) for enterprise_id, values in totals.items()}


def land_sites() -> QuerySet[LandSite]:
    return LandSite.objects.prefetch_related(Prefetch("shares", queryset=LandSiteShare.objects.select_related(
        "enterprise").order_by("-share_mu"))).order_by("code")


# ---------------------------------------------------------------- runs: objection window and effect


def run_state(run: EvaluationRun) -> str:
    """draft · objection_window (公示中) · pending_objections (window closed, objections open) ·
    effective (生效) · superseded (replaced after an upheld objection)."""

    if not run.is_published:
        return "draft"
    if EvaluationRun.objects.filter(supersedes=run, status=RunStatus.PUBLISHED).exists():
        return "superseded"
    if run.objection_deadline is not None and clock.now() < run.objection_deadline:
        return "objection_window"
    if Objection.objects.filter(result__run=run, status="open").exists():
        return "pending_objections"
    return "effective"


RUN_STATE_LABELS = {
    "draft": gettext_noop("草稿（未签发）"),
    "objection_window": gettext_noop("公示中（异议期内，尚未生效）"),
    "pending_objections": gettext_noop("异议待处理（尚未生效）"),
    "effective": gettext_noop("已生效"),
    "superseded": gettext_noop("已被复评结果替代"),
}


def objections_recent(limit: int = 200) -> QuerySet[Objection]:
    return Objection.objects.select_related("result__enterprise", "result__run", "objector_area",
                                            "resolution_run").order_by("-recorded_at")[:limit]


# ---------------------------------------------------------------- differentiated policy


def policy_table_for_year(year: int) -> PolicyTable | None:
    """The latest version of the year's policy table, else the latest earlier year's."""
    return PolicyTable.objects.filter(year__lte=year).order_by("-year", "-version").first()


def enterprise_figures(enterprise_ids: list[int], year: int) -> dict[int, dict[str, float]]:
    figures: dict[int, dict[str, float]] = defaultdict(dict)
    for enterprise_id, field_name, value in EnterpriseYearValue.objects.filter(
            year=year, enterprise_id__in=enterprise_ids).values_list("enterprise_id", "field", "value"):
        figures[enterprise_id][field_name] = value
    registry = dict(Enterprise.objects.filter(pk__in=enterprise_ids).values_list("pk", "land_area_mu"))
    apportioned = site_land_by_enterprise(enterprise_ids)
    for enterprise_id in enterprise_ids:
        if enterprise_id in apportioned:
            figures[enterprise_id]["land_mu"] = apportioned[enterprise_id]
        elif "land_mu" not in figures[enterprise_id]:
            registry_land = registry.get(enterprise_id)
            if registry_land is not None:
                figures[enterprise_id]["land_mu"] = float(registry_land)
    return dict(figures)


@dataclass(frozen=True)
class PolicyRow:
    result: EvaluationResult
    effect: FirmPolicyEffect


def run_policy_effects(run: EvaluationRun, results: QuerySet[EvaluationResult]) -> tuple[PolicyTable | None,
                                                                                      list[PolicyRow]]:
    """What each result's class means for the enterprise in money under the year's policy table."""
    table_row = policy_table_for_year(run.year)
    if table_row is None:
        return None, []
    table = policy_table_parse(table_row.config)
    listed = list(results.select_related("enterprise").order_by("class_code", "rank", "enterprise__credit_code"))
    figures = enterprise_figures([result.enterprise_id for result in listed], run.year)
    return table_row, [PolicyRow(result=result, effect=firm_policy_effect(
        table, result.class_code, firm_quantities(figures.get(result.enterprise_id, {})))) for result in listed]


def enterprise_policy_effect(result: EvaluationResult) -> FirmPolicyEffect | None:
    table_row = policy_table_for_year(result.run.year)
    if table_row is None:
        return None
    figures = enterprise_figures([result.enterprise_id], result.run.year).get(result.enterprise_id, {})
    return firm_policy_effect(policy_table_parse(table_row.config), result.class_code, firm_quantities(figures))


# ---------------------------------------------------------------- simulation and class migration


@dataclass(frozen=True)
class SimulationResult:
    moves: list[ClassMove]
    enterprises: dict[int, Enterprise]
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    money_before: float
    money_after: float
    has_policy: bool


def run_simulation(run: EvaluationRun, *, weights: dict[str, float] | None = None,
                   thresholds: dict[str, float] | None = None,
                   shares: dict[str, float] | None = None) -> SimulationResult:
    """Re-evaluate the run's year in memory with changed weights/thresholds and list every enterprise
    that would change class, with the money effect of both classes. Writes nothing."""

    config = scheme_config_with_changes(run.scheme.config, weights=weights, thresholds=thresholds, shares=shares)
    rules = scheme_parse(config)
    enterprise_ids, columns = evaluation_columns(year=run.year, area=run.area)
    prior_ids, prior_columns = evaluation_columns(year=run.year - 1, area=run.area)
    prior = engine.indicator_averages(scheme_parse(run.scheme.config), prior_columns, year=run.year - 1) \
        if prior_ids else {}
    outcome = engine.evaluate(rules, columns, year=run.year, prior_averages=prior)
    stored = {enterprise_id: (class_code, total) for enterprise_id, class_code, total in
              run.results.values_list("enterprise_id", "class_code", "total")}
    before = [stored.get(enterprise_id, ("T", None))[0] for enterprise_id in enterprise_ids]
    after = [engine.CLASS_LABELS[int(index)] for index in outcome.class_index.tolist()]
    totals_after = [None if math.isnan(value) else float(value) for value in outcome.total.tolist()]
    totals_before = [stored.get(enterprise_id, ("T", None))[1] for enterprise_id in enterprise_ids]
    changed_ids = [enterprise_id for index, enterprise_id in enumerate(enterprise_ids) if before[index] != after[index]]
    table_row = policy_table_for_year(run.year)
    money: dict[int, dict[str, float]] = {}
    if table_row is not None:
        table = policy_table_parse(table_row.config)
        figures = enterprise_figures(changed_ids, run.year)
        for enterprise_id in changed_ids:
            quantities = firm_quantities(figures.get(enterprise_id, {}))
            money[enterprise_id] = {code: firm_policy_effect(table, code, quantities).total for code in CLASS_LABELS}
    moves = class_moves(enterprise_ids, before, after, totals_before, totals_after, money)
    counts_before = dict.fromkeys(CLASS_LABELS, 0)
    counts_after = dict.fromkeys(CLASS_LABELS, 0)
    for code in before:
        counts_before[code] += 1
    for code in after:
        counts_after[code] += 1
    enterprises = Enterprise.objects.in_bulk([move.enterprise_id for move in moves])
    return SimulationResult(
        moves=moves, enterprises=enterprises, counts_before=counts_before, counts_after=counts_after,
        money_before=math.fsum(move.money_before for move in moves),
        money_after=math.fsum(move.money_after for move in moves), has_policy=table_row is not None,
    )


def class_migration(results: QuerySet[EvaluationResult]) -> dict[str, dict[str, int]]:
    """Previous year's class → this run's class → number of enterprises."""
    return migration_matrix(list(results.values_list("previous_class", "class_code")))
