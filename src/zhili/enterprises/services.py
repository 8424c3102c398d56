"""Writes of the enterprises app: registry, yearly imports, schemes, runs, objections, policy actions.

Each service is one transaction, checks what its caller may rely on, and appends one audit
record as its last write. Published runs are immutable: every service that would change a run or
its results refuses once the run is published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhili.accounts.models import User
from zhili.audit.services import audit_record_append
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.core import clock
from zhili.core.credit_code import credit_code_check
from zhili.core.errors import ApplicationError
from zhili.enterprises import engine, selectors
from zhili.enterprises.files import SourceTable, source_table_read
from zhili.enterprises.industry import PUBLIC_UTILITY_DIVISIONS, industry_for_code
from zhili.enterprises.models import (
    Enterprise,
    EnterpriseParcel,
    EnterpriseScale,
    EnterpriseStatus,
    EnterpriseYearValue,
    EvaluationResult,
    EvaluationRun,
    EvaluationScheme,
    ImportBatch,
    ImportBatchStatus,
    ImportFile,
    LandCategory,
    LandSite,
    LandSiteShare,
    MeasureStatus,
    Objection,
    ObjectionStatus,
    ObjectorKind,
    PolicyFollowUp,
    PolicyMeasure,
    PolicyMeasureKind,
    PolicyTable,
    RunStatus,
    SourceKind,
    StagedRow,
)
from zhili.enterprises.rules import ShareInput, apportion_site, policy_table_parse
from zhili.enterprises.scheme import DATA_FIELDS, scheme_parse
from zhili.geo.models import Area
from zhili.geo.selectors import grid_for_point
from zhili.geo.services import MatterInput, matters_register

# Which department's figure counts when two files disagree ("谁的数据算数").
FIELD_AUTHORITY: dict[str, str] = {
    "tax": SourceKind.TAX, "sales": SourceKind.STATISTICS, "added_value": SourceKind.STATISTICS,
    "energy_tce": SourceKind.ENERGY, "electricity": SourceKind.POWER, "cod": SourceKind.ENVIRONMENT,
    "ammonia": SourceKind.ENVIRONMENT, "so2": SourceKind.ENVIRONMENT, "nox": SourceKind.ENVIRONMENT,
    "rd": SourceKind.STATISTICS, "employees": SourceKind.STATISTICS, "land_mu": SourceKind.LAND,
    "high_tech": SourceKind.SCIENCE, "environmental_penalties": SourceKind.ENVIRONMENT,
    "major_safety_incident": SourceKind.EMERGENCY, "major_environment_incident": SourceKind.ENVIRONMENT,
}
MAX_SOURCE_FILES = 10


def _audit(actor: User | None, action: str, object_type: str, object_id: int | str, data: dict[str, Any]) -> None:
    audit_record_append(actor_id=actor.pk if actor else None, actor_label=str(actor) if actor else "system",
                        action=action, object_type=object_type, object_id=object_id, data=data)


# ---------------------------------------------------------------- registry


def _locate(longitude: float | None, latitude: float | None) -> tuple[Area | None, Area | None, str]:
    """(grid, zone, area path) of a point via the geo app; all empty when the point is not given."""
    if longitude is None or latitude is None:
        return None, None, ""

    location = grid_for_point(longitude=longitude, latitude=latitude)
    if location is None:
        raise ApplicationError(
            "enterprise_outside_district",
            _("坐标（%(longitude)s, %(latitude)s）不在本区任何网格内，请核对企业位置（WGS-84经纬度）。")
            % {"longitude": longitude, "latitude": latitude},
        )
    grid = Area.objects.get(pk=location.grid_id)
    zone = Area.objects.filter(code__in=location.zone_codes).order_by("path").first()
    return grid, zone, location.path


@dataclass(frozen=True)
class ParcelInput:
    parcel_code: str
    area_mu: float
    is_leased: bool = False


@transaction.atomic
def enterprise_register(*, actor: User | None, credit_code: str, name: str, industry_code: str,
                        scale: str = EnterpriseScale.ABOVE, land_area_mu: float | None = None,
                        longitude: float | None = None, latitude: float | None = None,
                        production_start_year: int | None = None, is_public_utility: bool | None = None,
                        status: str = EnterpriseStatus.OPERATING, parcels: tuple[ParcelInput, ...] = (),
                        is_synthetic: bool = False) -> Enterprise:
    """Register (or update, by credit code) an enterprise; its grid and zone come from its location.

    The credit code must pass GB 32100-2015; the industry code must be GB/T 4754-2017. With
    parcels and no land area, the land area is their sum. Public utility defaults from the industry
    (电力、热力、燃气、水 D44–D46).
    """
    check = credit_code_check(credit_code)
    if not check.is_valid:
        raise ApplicationError("credit_code_invalid", check.message, details={"problem": check.problem})
    industry = industry_for_code(industry_code)
    if not name.strip():
        raise ApplicationError("enterprise_name_required", _("请填写企业名称。"))
    if scale not in EnterpriseScale.values:
        raise ApplicationError("enterprise_scale_invalid", _("规模应为规上或规下。"))
    if land_area_mu is not None and (not math.isfinite(land_area_mu) or land_area_mu < 0):
        raise ApplicationError("land_area_invalid", _("用地面积应为不小于0的数字（亩）。"))
    if land_area_mu is None and parcels:
        land_area_mu = math.fsum(parcel.area_mu for parcel in parcels)
    grid, zone, area_path = _locate(longitude, latitude)
    if is_public_utility is None:

        is_public_utility = industry.division_code in PUBLIC_UTILITY_DIVISIONS
    now = clock.now()
    enterprise, created = Enterprise.objects.update_or_create(
        credit_code=check.code,
        defaults={
            "name": name.strip(), "industry_code": industry.code, "scale": scale, "land_area_mu": land_area_mu,
            "longitude": longitude, "latitude": latitude, "grid": grid, "zone": zone, "area_path": area_path,
            "production_start_year": production_start_year, "is_public_utility": is_public_utility,
            "status": status, "is_synthetic": is_synthetic, "updated_at": now,
        },
        create_defaults={
            "name": name.strip(), "industry_code": industry.code, "scale": scale, "land_area_mu": land_area_mu,
            "longitude": longitude, "latitude": latitude, "grid": grid, "zone": zone, "area_path": area_path,
            "production_start_year": production_start_year, "is_public_utility": is_public_utility,
            "status": status, "is_synthetic": is_synthetic, "created_at": now, "updated_at": now,
        },
    )
    if parcels:
        enterprise.parcels.all().delete()
        EnterpriseParcel.objects.bulk_create(
            EnterpriseParcel(enterprise=enterprise, parcel_code=parcel.parcel_code, area_mu=parcel.area_mu,
                             is_leased=parcel.is_leased) for parcel in parcels
        )
    _audit(actor, "enterprise.register" if created else "enterprise.update", "enterprise", enterprise.pk,
           {"credit_code": enterprise.credit_code, "name": enterprise.name, "grid": grid.code if grid else ""})
    return enterprise


# ---------------------------------------------------------------- yearly data import


@dataclass(frozen=True)
class SourceFileUpload:
    file_name: str
    content: bytes
    source_kind: str


def _problem(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _values_equal(first: float | None, second: float | None) -> bool:
    if first is None or second is None:
        return first is second
    return math.isclose(first, second, rel_tol=1e-9, abs_tol=1e-9)


@transaction.atomic
def _year_checked(year: int | None, tables: list[tuple[SourceFileUpload, SourceTable]], *, confirmed: bool) -> int:
    """The batch's data year: the one chosen, checked against the years the files name, or the files' year."""
    named = [(upload.file_name, table.year) for upload, table in tables if table.year is not None]
    if year is None:
        years = {detected.year for _name, detected in named}
        if len(years) == 1:
            return years.pop()
        if not years:
            raise ApplicationError("import_year_required", _("文件名和内容中都看不出数据年度，请填写数据年度。"))
        raise ApplicationError("import_year_ambiguous", _("这些文件属于不同年度（%(years)s），请分开导入，或填写数据年度。")
                               % {"years": "、".join(str(item) for item in sorted(years))})
    mismatched = [(name, detected) for name, detected in named if detected.year != year]
    if mismatched and not confirmed:
        described = "；".join(_("“%(name)s”是 %(year)d 年度（%(evidence)s）") % {
            "name": name, "year": detected.year, "evidence": detected.evidence} for name, detected in mismatched)
        raise ApplicationError(
            "import_year_mismatch",
            _("所选数据年度为 %(year)d，但 %(files)s。请改选正确的年度；确实要按 %(year)d 年度导入时，勾选“年度不一致仍导入”。")
            % {"year": year, "files": described},
            details={"files": [{"file": name, "year": detected.year, "evidence": detected.evidence}
                               for name, detected in mismatched]})
    return year


def import_batch_stage(*, actor: User, year: int | None, files: list[SourceFileUpload],
                       confirm_year_mismatch: bool = False) -> ImportBatch:
    """Read the source files into a staged batch and build its linkage report. Nothing enters yet.

    A file that cannot be read as a whole (format, encoding, no credit-code column, unknown unit)
    fails the whole batch. Rows are checked one by one: invalid code, unknown enterprise, the same
    code twice in one file (all its rows are excluded), a bad or negative number; rows with a problem
    will not enter. The year is checked against the year each file names (a year column, a title row
    "2025年度…", the file name): a mismatch is refused unless ``confirm_year_mismatch``; without a
    year the files' own year is taken. Values that differ between files are conflicts, settled by :data:`FIELD_AUTHORITY`
    (else the earlier file wins), and listed in the report for the analyst to see before accepting.
    """
    if not files:
        raise ApplicationError("import_no_files", _("请至少选择一个来源文件。"))
    if len(files) > MAX_SOURCE_FILES:
        raise ApplicationError("import_too_many_files", _("一次最多导入%(count)d个文件。") % {"count": MAX_SOURCE_FILES})
    if year is not None and not 2000 <= year <= 2100:
        raise ApplicationError("import_year_invalid", _("数据年度应在2000至2100之间。"))
    for upload in files:
        if upload.source_kind not in SourceKind.values:
            raise ApplicationError("import_source_invalid", _("请为文件“%(name)s”选择来源部门。")
                                   % {"name": upload.file_name})
    tables = [(upload, source_table_read(upload.file_name, upload.content)) for upload in files]
    year = _year_checked(year, tables, confirmed=confirm_year_mismatch)
    now = clock.now()
    batch = ImportBatch.objects.create(year=year, created_by=actor, created_at=now)
    known = dict(Enterprise.objects.values_list("credit_code", "pk"))
    names = dict(Enterprise.objects.values_list("pk", "name"))
    staged: list[StagedRow] = []
    for position, (upload, table) in enumerate(tables):
        source_file = ImportFile.objects.create(
            batch=batch, position=position, file_name=upload.file_name[:200], source_kind=upload.source_kind,
            encoding=table.encoding, sha256=hashlib.sha256(upload.content).hexdigest(), row_count=len(table.rows),
            fields=table.fields,
        )
        code_counts: dict[str, int] = defaultdict(int)
        for row in table.rows:
            code_counts[credit_code_check(row.credit_code).code] += 1
        for row in table.rows:
            check = credit_code_check(row.credit_code)
            problems = list(row.problems)
            warnings = list(row.warnings)
            enterprise_id = None
            if not check.is_valid:
                problems.insert(0, _problem("invalid_code", check.message))
            else:
                enterprise_id = known.get(check.code)
                if enterprise_id is None:
                    problems.insert(0, _problem("unknown_enterprise",
                                                _("企业名录中没有该信用代码，请先登记企业或核对代码。")))
                elif row.name and row.name != names[enterprise_id]:
                    warnings.append(_problem("name_mismatch", _("企业名称与名录不一致（名录：%(name)s）。")
                                             % {"name": names[enterprise_id]}))
                if code_counts[check.code] > 1:
                    problems.append(_problem("duplicate_in_file",
                                             _("同一文件中该信用代码出现%(count)d次，相关行均不入库，请核实后重新提供。")
                                             % {"count": code_counts[check.code]}))
            staged.append(StagedRow(
                source_file=source_file, row_number=row.row_number, credit_code=check.code[:40], name=row.name[:200],
                enterprise_id=enterprise_id, values=row.values, problems=problems, warnings=warnings,
            ))
    StagedRow.objects.bulk_create(staged, batch_size=2000)
    batch.report = _linkage_report(batch)
    batch.save(update_fields=["report"])
    _audit(actor, "enterprise_import.stage", "import_batch", batch.pk,
           {"year": year, "files": [upload.file_name for upload in files], "counts": batch.report["counts"]})
    return batch


def _linkage_report(batch: ImportBatch) -> dict[str, Any]:
    """Counts, conflicts and the value each (enterprise, field) would take when accepted."""
    files = {source_file.pk: source_file for source_file in batch.files.all()}
    rows = list(StagedRow.objects.filter(source_file__batch=batch).order_by("source_file__position", "row_number"))
    counts: dict[str, int] = defaultdict(int)
    counts["rows"] = len(rows)
    candidates: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        for problem in row.problems:
            counts[problem["code"]] += 1
        for warning in row.warnings:
            counts[f"warning_{warning['code']}"] += 1
        if row.problems:
            counts["excluded_rows"] += 1
            continue
        counts["clean_rows"] += 1
        source_file = files[row.source_file_id]
        for field_name, value in row.values.items():
            if value is None:
                continue
            candidates[(row.enterprise_id or 0, field_name)].append({
                "file_id": source_file.pk, "file_name": source_file.file_name, "position": source_file.position,
                "source_kind": source_file.source_kind, "row_number": row.row_number, "value": value,
            })
    conflicts = []
    chosen: list[dict[str, Any]] = []
    for (enterprise_id, field_name), options in candidates.items():
        winner = options[0]
        distinct = [option for option in options if not _values_equal(option["value"], winner["value"])]
        if distinct:
            authoritative = [option for option in options if option["source_kind"] == FIELD_AUTHORITY.get(field_name)]
            if authoritative:
                winner = authoritative[0]
            conflicts.append({"enterprise_id": enterprise_id, "field": field_name, "options": options,
                              "chosen_file_id": winner["file_id"],
                              "rule": "authority" if authoritative else "earlier_file"})
        chosen.append({"enterprise_id": enterprise_id, "field": field_name, "value": winner["value"],
                       "file_id": winner["file_id"], "source_kind": winner["source_kind"]})
    counts["conflicts"] = len(conflicts)
    counts["values"] = len(chosen)
    counts["enterprises"] = len({item["enterprise_id"] for item in chosen})
    return {"counts": dict(counts), "conflicts": conflicts, "chosen": chosen}


def _staged_batch_for_update(batch: ImportBatch) -> ImportBatch:
    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != ImportBatchStatus.STAGED:
        raise ApplicationError("import_batch_decided", _("该导入批次已处理（%(status)s），不能再次审核。")
                               % {"status": locked.get_status_display()})
    return locked


@transaction.atomic
def import_batch_accept(*, actor: User, batch: ImportBatch) -> ImportBatch:
    """Store the batch's chosen values (all of them or, on any error, none), each with its source file."""
    batch = _staged_batch_for_update(batch)
    files = {source_file.pk: source_file for source_file in batch.files.all()}
    now = clock.now()
    chosen = batch.report.get("chosen", [])
    existing = {
        (value.enterprise_id, value.field): value
        for value in EnterpriseYearValue.objects.filter(
            year=batch.year, enterprise_id__in={item["enterprise_id"] for item in chosen})
    }
    to_create: list[EnterpriseYearValue] = []
    to_update: list[EnterpriseYearValue] = []
    for item in chosen:
        source_file = files[item["file_id"]]
        label = f"{source_file.get_source_kind_display()}·{source_file.file_name}"
        current = existing.get((item["enterprise_id"], item["field"]))
        if current is None:
            to_create.append(EnterpriseYearValue(
                enterprise_id=item["enterprise_id"], year=batch.year, field=item["field"], value=item["value"],
                source_kind=item["source_kind"], source_file=source_file, source_label=label, recorded_at=now,
            ))
        else:
            current.value = item["value"]
            current.source_kind = item["source_kind"]
            current.source_file = source_file
            current.source_label = label
            current.recorded_at = now
            to_update.append(current)
    EnterpriseYearValue.objects.bulk_create(to_create, batch_size=2000)
    EnterpriseYearValue.objects.bulk_update(to_update, ["value", "source_kind", "source_file", "source_label",
                                                        "recorded_at"], batch_size=2000)
    batch.status = ImportBatchStatus.ACCEPTED
    batch.decided_by = actor
    batch.decided_at = now
    batch.save(update_fields=["status", "decided_by", "decided_at"])
    _audit(actor, "enterprise_import.accept", "import_batch", batch.pk,
           {"year": batch.year, "created": len(to_create), "updated": len(to_update)})
    return batch


@transaction.atomic
def import_batch_discard(*, actor: User, batch: ImportBatch) -> ImportBatch:
    batch = _staged_batch_for_update(batch)
    batch.status = ImportBatchStatus.DISCARDED
    batch.decided_by = actor
    batch.decided_at = clock.now()
    batch.save(update_fields=["status", "decided_by", "decided_at"])
    _audit(actor, "enterprise_import.discard", "import_batch", batch.pk, {"year": batch.year})
    return batch


@transaction.atomic
def year_values_record(*, actor: User | None, year: int, values: dict[int, dict[str, float]], source_kind: str,
                       source_label: str) -> int:
    """Store figures entered without a file (demo history, hand corrections); returns how many."""
    now = clock.now()
    existing = {(value.enterprise_id, value.field): value
                for value in EnterpriseYearValue.objects.filter(year=year, enterprise_id__in=list(values))}
    to_create: list[EnterpriseYearValue] = []
    to_update: list[EnterpriseYearValue] = []
    for enterprise_id, fields in values.items():
        for field_name, value in fields.items():
            if field_name not in DATA_FIELDS:
                raise ApplicationError("field_unknown", _("未知数据字段“%(field)s”。") % {"field": field_name})
            current = existing.get((enterprise_id, field_name))
            if current is None:
                to_create.append(EnterpriseYearValue(
                    enterprise_id=enterprise_id, year=year, field=field_name, value=value, source_kind=source_kind,
                    source_label=source_label, recorded_at=now))
            else:
                current.value, current.source_kind, current.source_file = value, source_kind, None
                current.source_label, current.recorded_at = source_label, now
                to_update.append(current)
    EnterpriseYearValue.objects.bulk_create(to_create, batch_size=2000)
    EnterpriseYearValue.objects.bulk_update(to_update, ["value", "source_kind", "source_file", "source_label",
                                                        "recorded_at"], batch_size=2000)
    count = len(to_create) + len(to_update)
    _audit(actor, "enterprise_values.record", "year_values", year, {"count": count, "source": source_label})
    return count


# ---------------------------------------------------------------- schemes


@transaction.atomic
def scheme_save(*, actor: User | None, code: str, name: str, year: int, config: dict[str, Any],
                area: Area | None = None) -> EvaluationScheme:
    """Save a new version of scheme ``code`` (earlier versions stay as they were; runs keep theirs)."""
    parsed = scheme_parse(config)
    latest = EvaluationScheme.objects.select_for_update().filter(code=code).order_by("-version").first()
    scheme = EvaluationScheme.objects.create(
        code=code, version=(latest.version + 1) if latest else 1, name=name or parsed.name, year=year, area=area,
        config=config, created_by=actor, created_at=clock.now(),
    )
    _audit(actor, "enterprise_scheme.save", "evaluation_scheme", scheme.pk,
           {"code": code, "version": scheme.version, "year": year})
    return scheme


# ---------------------------------------------------------------- runs


def _require_draft(run: EvaluationRun) -> None:
    if run.status == RunStatus.PUBLISHED:
        raise ApplicationError(
            "run_published",
            _("%(run)s已发布，结果不可更改。如企业有异议，请登记异议并在处理时重新评价（生成新版次）。") % {"run": run},
            status_code=409,
        )


def _unrated_value(rule: Any, derived: dict[str, Any], index: int) -> float | None:
    """An unrated (class T) enterprise's indicator value from its figures, shown for information."""
    definition = rule.definition
    numerator = float(derived[definition.numerator][index])
    denominator = float(derived[definition.denominator][index])
    if math.isnan(numerator) or math.isnan(denominator) or denominator == 0:
        return None
    return round(numerator * float(definition.factor) / denominator, 4)


def _detail(scheme_rules: Any, outcome: engine.Outcome, index: int,
            derived: dict[str, Any] | None = None) -> dict[str, Any]:
    """Per-enterprise explanation: each indicator against its benchmark, lifted or dragged.

    A class T enterprise is not scored: its indicators show the values its figures give (or
    "missing" when a figure is absent) with effect "not_rated", never a score of 0 as a drag."""
    rated = int(outcome.not_rated_reason[index]) == 0
    indicators = []
    for position, (rule, benchmark) in enumerate(zip(scheme_rules.indicators, outcome.benchmarks, strict=True)):
        value = float(outcome.indicator_values[index, position])
        score = float(outcome.indicator_scores[index, position])
        status = int(outcome.indicator_status[index, position])
        if not rated:
            shown = _unrated_value(rule, derived, index) if derived is not None else None
            indicators.append({
                "key": rule.key, "name": rule.definition.name, "unit": rule.definition.unit, "value": shown,
                "benchmark": round(benchmark.value, 4), "weight": rule.weight, "score": None, "effect": "not_rated",
                "status": "ok" if shown is not None else "missing",
            })
            continue
        effect = "lifted" if score > rule.weight + 1e-9 else ("dragged" if score < rule.weight - 1e-9 else "even")
        indicators.append({
            "key": rule.key, "name": rule.definition.name, "unit": rule.definition.unit,
            "value": None if math.isnan(value) else round(value, 4), "benchmark": round(benchmark.value, 4),
            "weight": rule.weight, "score": round(score, 4), "effect": effect,
            "status": ("ok", "missing", "denominator_zero")[status],
        })
    bonus = [{"key": item.key, "name": item.name, "points": round(float(outcome.bonus_scores[index, position]), 4)}
             for position, item in enumerate(scheme_rules.bonus_items)
             if outcome.bonus_scores[index, position] != 0]
    vetoes = [veto.name for position, veto in enumerate(scheme_rules.vetoes) if outcome.veto_hits[index, position]]
    lifted = sorted((item for item in indicators if item["effect"] == "lifted"),
                    key=lambda item: item["weight"] - item["score"])
    dragged = sorted((item for item in indicators if item["effect"] == "dragged"),
                     key=lambda item: item["score"] - item["weight"])
    return {"indicators": indicators, "bonus": bonus, "vetoes": vetoes,
            "lifted": [item["key"] for item in lifted], "dragged": [item["key"] for item in dragged]}


@transaction.atomic
def evaluation_run_execute(*, actor: User | None, year: int, scheme: EvaluationScheme, area: Area | None = None,
                           reason: str = "", supersedes: EvaluationRun | None = None) -> EvaluationRun:
    """Evaluate every operating enterprise (in ``area`` when given) for ``year``: a new draft run version.

    Refused when a run of that year is already published, unless ``supersedes`` names it (a re-run
    after an upheld objection). Benchmarks of "prior year average" come from the prior year's figures
    under the same scheme; without them the current year's average is used and marked so.
    """
    published = EvaluationRun.objects.filter(year=year, status=RunStatus.PUBLISHED).order_by("-version").first()
    if published is not None and supersedes is None:
        raise ApplicationError(
            "run_year_published",
            _("%(year)d年度评价已发布（第%(version)d版），不能直接重评。如企业提出异议，请登记异议并在处理时重评。")
            % {"year": year, "version": published.version}, status_code=409,
        )
    rules = scheme_parse(scheme.config)
    enterprise_ids, columns = selectors.evaluation_columns(year=year, area=area)
    if not enterprise_ids:
        raise ApplicationError("run_no_enterprises", _("评价范围内没有在营企业，无法评价。"))
    prior_ids, prior_columns = selectors.evaluation_columns(year=year - 1, area=area)
    prior_averages = engine.indicator_averages(rules, prior_columns, year=year - 1) if prior_ids else {}
    outcome = engine.evaluate(rules, columns, year=year, prior_averages=prior_averages)
    derived = engine.derived_columns(columns, len(enterprise_ids))
    previous_classes = selectors.published_classes(year=year - 1)
    latest = EvaluationRun.objects.select_for_update().filter(year=year).order_by("-version").first()
    now = clock.now()
    class_counts = dict.fromkeys(engine.CLASS_LABELS, 0)
    for index in outcome.class_index.tolist():
        class_counts[engine.CLASS_LABELS[index]] += 1
    run = EvaluationRun.objects.create(
        year=year, version=(latest.version + 1) if latest else 1, scheme=scheme, area=area, reason=reason[:200],
        supersedes=supersedes, created_by=actor, created_at=now,
        benchmarks=[{"key": benchmark.key, "name": next(rule.definition.name for rule in rules.indicators
                                                        if rule.key == benchmark.key),
                     "value": benchmark.value, "source": benchmark.source, "average": benchmark.average}
                    for benchmark in outcome.benchmarks],
        summary={"classes": class_counts, "enterprises": len(enterprise_ids),
                 "rated": int((outcome.not_rated_reason == 0).sum()), "vetoed": int(outcome.vetoed.sum()),
                 "sources": selectors.credit_code_sources_seen(enterprise_ids)},
    )
    results = []
    for index, enterprise_id in enumerate(enterprise_ids):
        total = float(outcome.total[index])
        results.append(EvaluationResult(
            run=run, enterprise_id=enterprise_id, total=None if math.isnan(total) else total,
            rank=int(outcome.rank[index]), class_code=engine.CLASS_LABELS[int(outcome.class_index[index])],
            not_rated_reason=engine.NOT_RATED_REASONS[int(outcome.not_rated_reason[index])],
            vetoed=bool(outcome.vetoed[index]), detail=_detail(rules, outcome, index, derived),
            previous_class=previous_classes.get(enterprise_id, ""),
        ))
    EvaluationResult.objects.bulk_create(results, batch_size=1000)
    _audit(actor, "enterprise_run.execute", "evaluation_run", run.pk,
           {"year": year, "version": run.version, "scheme": f"{scheme.code} v{scheme.version}",
            "classes": class_counts, "supersedes": supersedes.pk if supersedes else None})
    return run


DEFAULT_OBJECTION_DAYS = 7
MAX_OBJECTION_DAYS = 60


@transaction.atomic
def evaluation_run_publish(*, actor: User, run: EvaluationRun, sign_off_note: str = "",
                           objection_days: int = DEFAULT_OBJECTION_DAYS) -> EvaluationRun:
    """Publish (sign off, 签发) a draft run; from then on it is immutable.

    Four eyes: the person who evaluated the run (its ``created_by``) cannot sign it off. Only the
    latest version may be published, and only one run per year is the published one at a time (a
    superseding run). Publication opens the objection window (公示期) of ``objection_days`` natural
    days; the results take effect after it. A run that supersedes one after an upheld objection
    takes effect on publication (the objection window was the first run's)."""
    run = EvaluationRun.objects.select_for_update().get(pk=run.pk)
    _require_draft(run)
    if run.created_by_id is not None and run.created_by_id == actor.pk:
        raise ApplicationError(
            "run_four_eyes",
            _("%(run)s由您评价，不能由您本人签发。请由另一位有签发权限的人员审核签发（双人复核）。") % {"run": run},
            status_code=409,
        )
    if not 1 <= objection_days <= MAX_OBJECTION_DAYS:
        raise ApplicationError("run_objection_days_invalid",
                               _("异议期应为1至%(max)d天。") % {"max": MAX_OBJECTION_DAYS})
    newer = EvaluationRun.objects.filter(year=run.year, version__gt=run.version).exists()
    if newer:
        raise ApplicationError("run_not_latest", _("只能发布本年度最新版次的评价结果。"))
    current = EvaluationRun.objects.filter(year=run.year, status=RunStatus.PUBLISHED).order_by("-version").first()
    if current is not None and run.supersedes_id != current.pk:
        raise ApplicationError("run_year_published", _("%(year)d年度已有发布结果，新版次须经异议处理重评产生。")
                               % {"year": run.year}, status_code=409)
    now = clock.now()
    run.status = RunStatus.PUBLISHED
    run.published_by = actor
    run.published_at = now
    run.sign_off_note = sign_off_note
    run.objection_deadline = now if run.supersedes_id else now + dt.timedelta(days=objection_days)
    run.save(update_fields=["status", "published_by", "published_at", "sign_off_note", "objection_deadline"])
    _audit(actor, "enterprise_run.publish", "evaluation_run", run.pk,
           {"year": run.year, "version": run.version, "classes": run.summary.get("classes", {}),
            "sign_off_note": sign_off_note, "evaluated_by": run.created_by_id,
            "objection_deadline": run.objection_deadline.isoformat()})
    return run


@transaction.atomic
def evaluation_run_discard(*, actor: User, run: EvaluationRun) -> None:
    """Delete a draft run and its results; published runs are refused."""
    run = EvaluationRun.objects.select_for_update().get(pk=run.pk)
    _require_draft(run)
    run_id, year, version = run.pk, run.year, run.version
    run.delete()
    _audit(actor, "enterprise_run.discard", "evaluation_run", run_id, {"year": year, "version": version})


@transaction.atomic
def evaluation_result_override(*, actor: User, result: EvaluationResult, class_code: str, note: str) -> None:
    """Hand-correct the class of a draft result (e.g. a veto known outside the data); refused once published."""
    _require_draft(EvaluationRun.objects.select_for_update().get(pk=result.run_id))
    if class_code not in engine.CLASS_LABELS:
        raise ApplicationError("class_invalid", _("类别应为A、B、C、D或T。"))
    previous = result.class_code
    result.class_code = class_code
    result.detail = {**result.detail, "override": {"from": previous, "note": note}}
    result.save(update_fields=["class_code", "detail"])
    _audit(actor, "enterprise_result.override", "evaluation_result", result.pk,
           {"from": previous, "to": class_code, "note": note})


# ---------------------------------------------------------------- objections


@transaction.atomic
def objection_record(*, actor: User, result: EvaluationResult, submitted_by_name: str, content: str,
                     evidence: str = "", credit_code: str = "", objector_kind: str = ObjectorKind.ENTERPRISE,
                     street: Area | None = None) -> Objection:
    """Record an objection (异议) to a published result, by the enterprise or its street, with evidence.

    Refused after the objection window (公示期) closed, when the credit code the objector gives is not
    the result's enterprise (an enterprise objects only for itself), when the street is not the
    enterprise's street, or without content and evidence. Nothing is written when refused."""
    run = result.run
    if not run.is_published:
        raise ApplicationError("objection_run_not_published", _("只能对已发布的评价结果登记异议。"))
    now = clock.now()
    if run.objection_deadline is not None and now >= run.objection_deadline:
        raise ApplicationError(
            "objection_window_closed",
            _("%(run)s的异议期已于%(deadline)s截止，不能再登记异议。如有新情况，请在下一年度评价时提供。")
            % {"run": run, "deadline": run.objection_deadline.astimezone(clock.CHINA_TIME_ZONE).strftime("%Y-%m-%d %H:%M")},
            status_code=409,
        )
    enterprise = result.enterprise
    if objector_kind not in ObjectorKind.values:
        raise ApplicationError("objection_objector_invalid", _("请选择提出方（企业本身或所在街道）。"))
    code = credit_code.strip().upper()
    if objector_kind == ObjectorKind.ENTERPRISE and code != enterprise.credit_code:
        raise ApplicationError(
            "objection_other_enterprise",
            _("异议只能由企业对本企业的评价结果提出：填写的信用代码“%(code)s”不是%(name)s（%(own)s）的代码。"
              "请核对信用代码，或由该企业自行提出。") % {"code": code or "—", "name": enterprise.name,
                                                  "own": enterprise.credit_code},
        )
    if objector_kind == ObjectorKind.STREET and (street is None or not enterprise.area_path.startswith(street.path)):
        raise ApplicationError(
            "objection_other_street",
            _("%(name)s不在%(street)s辖区内，街道只能对辖区内企业的评价结果提出异议。")
            % {"name": enterprise.name, "street": street.name if street else _("（未选择街道）")},
        )
    if not content.strip():
        raise ApplicationError("objection_content_required", _("请填写异议内容（对哪项数据或得分有异议、依据是什么）。"))
    if not evidence.strip():
        raise ApplicationError("objection_evidence_required",
                               _("请列明佐证材料（如完税证明、电费清单、不动产权证的名称和编号）。"))
    objection = Objection.objects.create(
        result=result, objector_kind=objector_kind, objector_area=street if objector_kind == ObjectorKind.STREET
        else None, claimed_credit_code=code, submitted_by_name=submitted_by_name.strip()[:60] or "企业",
        content=content.strip(), evidence=evidence.strip(), recorded_by=actor, recorded_at=now)
    _audit(actor, "enterprise_objection.record", "objection", objection.pk,
           {"enterprise": enterprise.credit_code, "run": result.run_id, "objector": objector_kind})
    return objection


@transaction.atomic
def objection_resolve(*, actor: User, objection: Objection, upheld: bool, resolution_note: str,
                      corrections: dict[str, float] | None = None) -> Objection:
    """The bureau decides an objection. Upheld: the corrected figures (field → value, canonical
    units) are stored with the source "异议复核", and the year is re-evaluated into a new draft run
    version that supersedes the published one; a second person then signs it off and it takes effect."""
    objection = Objection.objects.select_for_update().select_related("result__enterprise", "result__run").get(
        pk=objection.pk)
    if objection.status != ObjectionStatus.OPEN:
        raise ApplicationError("objection_closed", _("该异议已处理。"))
    if not resolution_note.strip():
        raise ApplicationError("objection_note_required", _("请填写处理意见。"))
    published = objection.result.run
    resolution_run = None
    if corrections and not upheld:
        raise ApplicationError("objection_corrections_rejected", _("异议不成立时不能更正数据。"))
    if upheld:
        if corrections:
            _corrections_check(corrections)
            year_values_record(
                actor=actor, year=published.year, values={objection.result.enterprise_id: corrections},
                source_kind=SourceKind.OTHER, source_label=_("异议复核（异议#%(id)d）") % {"id": objection.pk},
            )
        current = EvaluationRun.objects.filter(year=published.year, status=RunStatus.PUBLISHED) \
            .order_by("-version").first()
        resolution_run = evaluation_run_execute(
            actor=actor, year=published.year, scheme=published.scheme, area=published.area,
            reason=_("异议#%(id)d复评") % {"id": objection.pk}, supersedes=current or published,
        )
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.REJECTED
    objection.resolution_note = resolution_note.strip()
    objection.resolved_by = actor
    objection.resolved_at = clock.now()
    objection.resolution_run = resolution_run
    objection.save(update_fields=["status", "resolution_note", "resolved_by", "resolved_at", "resolution_run"])
    _audit(actor, "enterprise_objection.resolve", "objection", objection.pk,
           {"upheld": upheld, "resolution_run": resolution_run.pk if resolution_run else None,
            "corrections": corrections or {}})
    return objection


def _corrections_check(corrections: dict[str, float]) -> None:
    for field_name, value in corrections.items():
        if field_name not in DATA_FIELDS:
            raise ApplicationError("objection_correction_field", _("未知数据字段“%(field)s”。") % {"field": field_name})
        if not math.isfinite(value) or (value < 0 and field_name != "tax"):
            raise ApplicationError("objection_correction_value",
                                   _("更正后的“%(label)s”应为不小于0的数字。") % {"label": DATA_FIELDS[field_name][0]})


# ---------------------------------------------------------------- policy actions (D-class follow-up)


@transaction.atomic
def policy_measure_create(*, actor: User, result: EvaluationResult, kind: str, description: str = "",
                          responsible_department: str = "", due_date: dt.date | None = None) -> PolicyMeasure:
    if kind not in PolicyMeasureKind.values:
        raise ApplicationError("measure_kind_invalid", _("请选择差别化措施类型。"))
    if not result.run.is_published:
        raise ApplicationError("measure_run_not_published", _("请在评价结果发布后再部署差别化措施。"))
    measure = PolicyMeasure.objects.create(
        enterprise=result.enterprise, run=result.run, kind=kind, description=description.strip(),
        responsible_department=responsible_department.strip()[:100], due_date=due_date, created_by=actor,
        created_at=clock.now(),
    )
    _audit(actor, "enterprise_measure.create", "policy_measure", measure.pk,
           {"enterprise": result.enterprise.credit_code, "kind": kind})
    return measure


@transaction.atomic
def policy_follow_up_record(*, actor: User, measure: PolicyMeasure, note: str, status_after: str) -> PolicyFollowUp:
    if status_after not in MeasureStatus.values:
        raise ApplicationError("measure_status_invalid", _("请选择跟踪后的状态。"))
    if not note.strip():
        raise ApplicationError("follow_up_note_required", _("请填写跟踪情况。"))
    follow_up = PolicyFollowUp.objects.create(measure=measure, note=note.strip(), status_after=status_after,
                                              recorded_by=actor, recorded_at=clock.now())
    measure.status = status_after
    measure.save(update_fields=["status"])
    _audit(actor, "enterprise_measure.follow_up", "policy_measure", measure.pk, {"status": status_after})
    return follow_up


# ---------------------------------------------------------------- D-class follow-up tasks on the case engine

# The 权责清单 matters the follow-up cases are filed under, one per 低效用地 category, with the
# working days a 再开发 task gets (zhili defaults; a district sets its own in the matters catalogue).
LOW_EFFICIENCY_MATTERS: dict[str, tuple[str, str, int]] = {
    LandCategory.APPROVED_NOT_SUPPLIED: ("DXYD-01", "低效用地处置：批而未供", 60),
    LandCategory.SUPPLIED_NOT_USED: ("DXYD-02", "低效用地处置：供而未用（闲置土地）", 60),
    LandCategory.USED_NOT_FULLY: ("DXYD-03", "低效用地处置：用而未尽", 90),
    LandCategory.BUILT_NOT_OPERATING: ("DXYD-04", "低效用地处置：建而未投", 90),
    LandCategory.OPERATING_BELOW_STANDARD: ("DXYD-05", "低效用地处置：投而未达标", 120),
}


@dataclass(frozen=True)
class FollowUpTaskInput:
    result_id: int
    land_category: str
    note: str = ""


@transaction.atomic
def d_class_follow_up_tasks_create(*, actor: User, run: EvaluationRun,
                                   tasks: list[FollowUpTaskInput]) -> list[PolicyMeasure]:
    """Turn D-class enterprises of a published run into follow-up cases on the case engine (one per
    enterprise and 低效用地 category), filed under the category's matter so they are dispatched to its
    department with its deadline. All or nothing."""

    if not run.is_published:
        raise ApplicationError("measure_run_not_published", _("请在评价结果发布后再生成跟踪任务。"))
    if not tasks:
        raise ApplicationError("follow_up_none", _("请至少为一家D类企业选择低效用地类型。"))
    results = {result.pk: result for result in EvaluationResult.objects.select_related("enterprise").filter(
        run=run, pk__in=[task.result_id for task in tasks])}
    measures: list[PolicyMeasure] = []
    for task in tasks:
        result = results.get(task.result_id)
        if result is None or result.class_code != "D":
            raise ApplicationError("follow_up_not_d_class", _("只能为本批次的D类企业生成低效用地跟踪任务。"))
        if task.land_category not in LOW_EFFICIENCY_MATTERS:
            raise ApplicationError("follow_up_category_invalid", _("请选择低效用地类型（批而未供、供而未用、用而未尽、建而未投、投而未达标）。"))
        enterprise = result.enterprise
        if enterprise.longitude is None or enterprise.latitude is None:
            raise ApplicationError("follow_up_no_location", _("%(name)s缺少位置坐标，无法派发跟踪工单。请先在企业名录中补充位置。")
                                   % {"name": enterprise.name})
        if PolicyMeasure.objects.filter(run=run, enterprise=enterprise, land_category=task.land_category).exists():
            raise ApplicationError("follow_up_exists", _("%(name)s已有“%(category)s”跟踪任务，未重复生成。")
                                   % {"name": enterprise.name, "category": LandCategory(task.land_category).label})
        matter_code, matter_name, _days = LOW_EFFICIENCY_MATTERS[task.land_category]
        category_label = LandCategory(task.land_category).label
        description = _(
            "%(year)d年度亩均效益评价D类企业%(name)s（统一社会信用代码%(code)s，综合得分%(total)s），用地属于“%(category)s”。"
            "请按低效用地再开发要求核查并提出处置方案（盘活、转让、收回或整改提升）。%(note)s"
        ) % {"year": run.year, "name": enterprise.name, "code": enterprise.credit_code,
             "total": "—" if result.total is None else f"{result.total:.2f}", "category": category_label,
             "note": task.note.strip()[:300]}
        try:  # filed through the case engine's intake as 系统接口 (channel "api"), like any system report
            intake = case_intake(
                request=IntakeRequest(
                    channel="api", title=f"{category_label}：{enterprise.name}"[:80], description=description,
                    longitude=enterprise.longitude, latitude=enterprise.latitude, matter_code=matter_code,
                    attributes={"source": "enterprises.d_class", "credit_code": enterprise.credit_code,
                                "run": run.pk, "land_category": task.land_category},
                    external_id=f"muqun-{run.pk}-{enterprise.pk}-{task.land_category}"[:64],
                ),
                actor=actor, actor_label=str(actor),
            )
        except ApplicationError as error:
            if error.code == "matter_not_found":
                raise ApplicationError(
                    "follow_up_matter_missing",
                    _("权责清单中没有事项“%(matter)s”（编码%(code)s），无法派发。请先在权责清单中登记该事项及其责任部门。")
                    % {"matter": matter_name, "code": matter_code},
                ) from error
            raise
        case = intake.case
        due = case.handle_due_at or case.stage_due_at
        measures.append(PolicyMeasure.objects.create(
            enterprise=enterprise, run=run, kind=PolicyMeasureKind.LOW_EFFICIENCY_LAND, land_category=task.land_category,
            description=description, responsible_department=case.department.name if case.department_id and case.department
            else "", due_date=due.astimezone(clock.CHINA_TIME_ZONE).date() if due else None, case_number=case.number, created_by=actor,
            created_at=clock.now(),
        ))
    _audit(actor, "enterprise_measure.follow_up_tasks", "evaluation_run", run.pk,
           {"cases": [measure.case_number for measure in measures]})
    return measures


def low_efficiency_matters_register(*, actor: User | None = None, department_code: str = "ZRGH",
                                    department_name: str = "自然资源和规划局") -> int:
    """Add the five 低效用地 matters to the 权责清单 (demo and first setup)."""

    return matters_register(actor_id=actor.pk if actor else None, matters=[
        MatterInput(code=code, name=name, category_code="ZRZY", category_name="自然资源与规划",
                    department_code=department_code, department_name=department_name, handle_limit_days=days,
                    keywords="低效用地,批而未供,闲置土地,用而未尽,建而未投,投而未达标")
        for code, name, days in LOW_EFFICIENCY_MATTERS.values()
    ])


# ---------------------------------------------------------------- policy tables and land sites


@transaction.atomic
def policy_table_save(*, actor: User | None, year: int, config: dict[str, Any]) -> PolicyTable:
    """Save a new version of the year's differentiated-policy table (checked: no negative price)."""

    if not 2000 <= year <= 2100:
        raise ApplicationError("policy_year_invalid", _("适用年度应在2000至2100之间。"))
    parsed = policy_table_parse(config)
    latest = PolicyTable.objects.select_for_update().filter(year=year).order_by("-version").first()
    table = PolicyTable.objects.create(year=year, version=(latest.version + 1) if latest else 1,
                                       name=parsed.name or _("%(year)d年度差别化政策") % {"year": year},
                                       config=config, created_by=actor, created_at=clock.now())
    _audit(actor, "enterprise_policy.save", "policy_table", table.pk, {"year": year, "version": table.version})
    return table


@dataclass(frozen=True)
class SiteShareInput:
    credit_code: str
    stated_mu: float | None = None
    floor_area_m2: float | None = None


@transaction.atomic
def land_site_save(*, actor: User, code: str, name: str, area_mu: float, shares: list[SiteShareInput],
                   address: str = "") -> LandSite:
    """Create or replace a shared site and its apportionment (all or nothing). The apportioned land
    is what the evaluation uses for these enterprises (a firm on several sites: the sum)."""

    code = code.strip()
    if not code or not name.strip():
        raise ApplicationError("site_code_required", _("请填写宗地编号和名称，未保存。"))
    enterprises = {enterprise.credit_code: enterprise
                   for enterprise in Enterprise.objects.filter(credit_code__in=[s.credit_code.strip().upper()
                                                                               for s in shares])}
    unknown = [share.credit_code for share in shares if share.credit_code.strip().upper() not in enterprises]
    if unknown:
        raise ApplicationError("site_enterprise_unknown", _("名录中没有信用代码为%(codes)s的企业，未保存。")
                               % {"codes": "、".join(unknown)})
    if not shares:
        raise ApplicationError("site_shares_required", _("请至少填写一家使用该宗地的企业，未保存。"))
    inputs = [ShareInput(enterprise_id=enterprises[share.credit_code.strip().upper()].pk, share_mu=share.stated_mu,
                         floor_area_m2=share.floor_area_m2) for share in shares]
    apportioned = apportion_site(area_mu, inputs, site_name=name.strip())
    site, _created = LandSite.objects.update_or_create(code=code, defaults={
        "name": name.strip()[:200], "area_mu": area_mu, "address": address.strip()[:200], "updated_at": clock.now()})
    site.shares.all().delete()
    LandSiteShare.objects.bulk_create([
        LandSiteShare(site=site, enterprise_id=item.enterprise_id, stated_mu=item.share_mu,
                      floor_area_m2=item.floor_area_m2, share_mu=apportioned[item.enterprise_id])
        for item in inputs
    ])
    _audit(actor, "enterprise_site.save", "land_site", site.pk,
           {"code": code, "area_mu": area_mu, "shares": {str(key): value for key, value in apportioned.items()}})
    return site
