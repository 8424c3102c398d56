"""The policy table: who may call every route of zhili.

Every named Django route (``app:name``) and every JSON API operation (``METHOD /api/v1/...``, from the
OpenAPI schema) must have an entry here; ``test_every_route_has_a_policy`` fails for a new route
without one. An entry says whether the route is public, which :class:`Action` it needs, and how to
build a request against an object in the caller's scope and one outside it.

Expected outcomes are derived from the lead's one table (``ROLE_GRANTS``) and ``user_can``, so the
matrix checks that every view and API route enforces the platform's policy, not a copy of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.authorization.world import World
from zhili.accounts.permissions import Action

MISSING = 987654  # an id that no object has: the route must still refuse before it says "not found"

UrlBuilder = Callable[[World], str]
TargetBuilder = Callable[[World], Any]


@dataclass(frozen=True)
class Variant:
    """One request against a route: its URL and the object whose scope decides (None: no object)."""

    label: str
    url: UrlBuilder
    target: TargetBuilder | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """``public``: anyone, anonymous included. Else a signed-in user whose role grants ``action``
    (and, when ``also_any`` is given, at least one of those too); ``action=None`` means any signed-in
    user. Scoped variants add the object's scope check."""

    variants: tuple[Variant, ...]
    action: Action | None = None
    public: bool = False
    method: str = "GET"
    also_any: tuple[Action, ...] = ()
    json: bool = False  # send the data as a JSON body (API routes)
    token_only: bool = False  # no role opens it: a bearer token or a network setting does (/metrics)
    staff_only: bool = False  # the Django admin: an account with is_staff opens it, no role does


def _get(path: str) -> Variant:
    return Variant("page", lambda world: path)


def _case_variants(path: str) -> tuple[Variant, ...]:
    """``path`` with ``{number}`` for a case number: one in scope of the scoped users, one outside."""
    return (
        Variant("in_scope", lambda world: path.format(number=world.case_in.number), lambda world: world.case_in),
        Variant("out_of_scope", lambda world: path.format(number=world.case_out.number),
                lambda world: world.case_out),
    )


def _id(path: str, object_id: Callable[[World], int] | None = None) -> Variant:
    """A route about one object: a real one of the world, or (``object_id`` None) an id nobody has."""
    if object_id is None:
        return Variant("missing", lambda world: path.format(id=MISSING))
    return Variant("object", lambda world: path.format(id=object_id(world)))


PUBLIC = {"public": True}

DJANGO_ROUTES: dict[str, Rule] = {
    # core and accounts
    "core:home": Rule((_get("/"),)),
    "core:health": Rule((_get("/healthz"),), **PUBLIC),
    "readiness": Rule((_get("/readyz"),), **PUBLIC),
    "metrics": Rule((_get("/metrics"),), token_only=True),
    "set_language": Rule((Variant("post", lambda world: "/i18n/setlang/", data={"language": "en"}),),
                         method="POST", **PUBLIC),
    # the interface's JavaScript strings in the chosen language (no data: the public pages need them too)
    "javascript-catalog": Rule((_get("/i18n/js/"),), **PUBLIC),
    "accounts:login": Rule((_get("/accounts/login/"),), **PUBLIC),
    "accounts:logout": Rule((_get("/accounts/logout/"),), method="POST", **PUBLIC),
    # /admin/login/: anonymous to the one sign-in form, staff on to the admin, everyone else 403
    "admin_login": Rule((_get("/admin/login/"),), staff_only=True),
    # geo
    "geo:map": Rule((_get("/geo/map/"),), action=Action.GEO_VIEW),
    "geo:grid_card": Rule(
        (Variant("in_scope", lambda world: f"/geo/grids/{world.grid_west.code}/", lambda world: world.grid_west),
         Variant("out_of_scope", lambda world: f"/geo/grids/{world.grid_east.code}/", lambda world: world.grid_east)),
        action=Action.GEO_VIEW),
    "geo:address_search": Rule((_get("/geo/addresses/?q=青年路"),), action=Action.GEO_VIEW),
    "geo:import": Rule((_get("/geo/import/"),), action=Action.GEO_MANAGE),
    "geo:export": Rule((_get("/geo/export.geojson"),), action=Action.GEO_VIEW),
    # cases
    "cases:list": Rule((_get("/cases/"),), action=Action.CASE_VIEW),
    "cases:intake": Rule((_get("/cases/intake/"),), action=Action.CASE_CREATE),
    "cases:proposals": Rule((_get("/cases/intake/proposals/?description=垃圾没人清运"),), action=Action.CASE_CREATE),
    "cases:triage": Rule((_get("/cases/triage/"),), action=Action.CASE_DISPATCH),
    "cases:inbox": Rule((_get("/cases/inbox/"),), action=Action.CASE_ACCEPT),
    "cases:grid_worker": Rule((_get("/cases/grid-worker/"),), action=Action.CASE_REPORT_PATROL),
    "cases:intake_assist": Rule((_get("/cases/intake/assist/"),), action=Action.CASE_CREATE, method="POST"),
    "cases:bulk_dispatch": Rule((_get("/cases/triage/bulk-dispatch/"),), action=Action.CASE_DISPATCH, method="POST"),
    "cases:merge": Rule(_case_variants("/cases/merge/?case={number}"), action=Action.CASE_MERGE),
    "cases:public_map": Rule((_get("/cases/map/"),), **PUBLIC),
    "cases:list_export": Rule((_get("/cases/export.xlsx"),), action=Action.CASE_EXPORT),
    "cases:export_job": Rule((Variant("missing", lambda world: "/cases/exports/no-such-job/"),),
                             action=Action.CASE_EXPORT),
    "cases:export_download": Rule((Variant("missing", lambda world: "/cases/exports/no-such-job/file/"),),
                                  action=Action.CASE_EXPORT),
    "cases:report": Rule((_get("/cases/report/"),), **PUBLIC),
    "cases:track": Rule((Variant("code", lambda world: f"/cases/track/?code={world.case_in.tracking_code}"),),
                        **PUBLIC),
    "cases:import": Rule((_get("/cases/import/"),), action=Action.CASE_IMPORT),
    "cases:calendar": Rule((_get("/cases/calendar/"),), action=Action.USER_MANAGE),
    "cases:import_batch": Rule((_id("/cases/import/{id}/"),), action=Action.CASE_IMPORT),
    "cases:import_set_aside": Rule((_id("/cases/import/{id}/set-aside.xlsx"),), action=Action.CASE_IMPORT),
    "cases:attachment": Rule((_id("/cases/attachments/{id}/"),), action=Action.CASE_VIEW),
    "cases:public_photo": Rule((Variant("missing", lambda world: "/cases/media/not-a-token.jpg"),), **PUBLIC),
    "cases:detail": Rule(_case_variants("/cases/{number}/"), action=Action.CASE_VIEW),
    "cases:action": Rule(_case_variants("/cases/{number}/action/accept/"), action=Action.CASE_ACCEPT,
                         method="POST"),
    "cases:export": Rule(_case_variants("/cases/{number}/export.docx"), action=Action.CASE_EXPORT),
    # text intelligence
    "textintel:models": Rule((_get("/textintel/models/"),), action=Action.CLASSIFIER_MANAGE),
    "textintel:model_train": Rule((_get("/textintel/models/train/"),), action=Action.CLASSIFIER_MANAGE,
                                  method="POST"),
    "textintel:model_detail": Rule((_id("/textintel/models/{id}/"),), action=Action.CLASSIFIER_MANAGE),
    "textintel:model_compare": Rule((_id("/textintel/models/{id}/compare/"),), action=Action.CLASSIFIER_MANAGE),
    "textintel:model_activate": Rule((_id("/textintel/models/{id}/activate/"),), action=Action.CLASSIFIER_MANAGE,
                                     method="POST"),
    "textintel:model_deactivate": Rule((_id("/textintel/models/{id}/deactivate/"),),
                                       action=Action.CLASSIFIER_MANAGE, method="POST"),
    "textintel:hot_issues": Rule((_get("/textintel/hot-issues/"),), action=Action.HOT_ISSUE_VIEW),
    "textintel:hot_issues_export": Rule((_id("/textintel/hot-issues/{id}/export.xlsx"),),
                                        action=Action.HOT_ISSUE_VIEW),
    # plan indicators
    "indicators:plan_list": Rule((_get("/indicators/"),), action=Action.INDICATOR_VIEW),
    "indicators:plan_detail": Rule((_id("/indicators/plans/{id}/", lambda world: world.plan.pk),),
                                   action=Action.INDICATOR_VIEW),
    "indicators:plan_template": Rule((_id("/indicators/plans/{id}/template.xlsx", lambda world: world.plan.pk),),
                                     action=Action.INDICATOR_EDIT),
    "indicators:plan_upload": Rule((_id("/indicators/plans/{id}/upload/", lambda world: world.plan.pk),),
                                   action=Action.INDICATOR_EDIT, method="POST"),
    "indicators:plan_paste": Rule((_id("/indicators/plans/{id}/paste/", lambda world: world.plan.pk),),
                                  action=Action.INDICATOR_EDIT, method="POST"),
    "indicators:plan_drafts": Rule((_id("/indicators/plans/{id}/drafts/", lambda world: world.plan.pk),),
                                   action=Action.INDICATOR_EDIT),
    "indicators:plan_report": Rule((_id("/indicators/plans/{id}/report/", lambda world: world.plan.pk),),
                                   action=Action.INDICATOR_REPORT),
    "indicators:report_workspace": Rule((_id("/indicators/plans/{id}/reports/", lambda world: world.plan.pk),),
                                        action=Action.INDICATOR_REPORT),
    "indicators:plan_departments": Rule((_id("/indicators/plans/{id}/departments/", lambda world: world.plan.pk),),
                                        action=Action.INDICATOR_VIEW),
    "indicators:report_download": Rule((_id("/indicators/reports/{id}/download.docx"),),
                                       action=Action.INDICATOR_REPORT),
    "indicators:target_revise": Rule(
        (_id("/indicators/indicators/{id}/target-revisions/", lambda world: world.indicator.pk),),
        action=Action.INDICATOR_EDIT, method="POST"),
    "indicators:draft_decide": Rule((_id("/indicators/drafts/{id}/decide/"),), action=Action.INDICATOR_EDIT,
                                    method="POST"),
    "indicators:indicator_detail": Rule((_id("/indicators/indicators/{id}/", lambda world: world.indicator.pk),),
                                        action=Action.INDICATOR_VIEW),
    "indicators:observation_add": Rule(
        (_id("/indicators/indicators/{id}/observations/", lambda world: world.indicator.pk),),
        action=Action.INDICATOR_EDIT, method="POST"),
    "indicators:indicator_bind_metric": Rule(
        (_id("/indicators/indicators/{id}/platform-metric/", lambda world: world.indicator.pk),),
        action=Action.INDICATOR_EDIT, method="POST"),
    # enterprise evaluation
    "enterprises:home": Rule((_get("/enterprises/"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:enterprise_list": Rule((_get("/enterprises/registry/"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:enterprise": Rule((Variant("missing", lambda world: "/enterprises/registry/91320402MA0000017X/"),),
                                   action=Action.ENTERPRISE_VIEW),
    "enterprises:enterprise_sheet": Rule((_id("/enterprises/results/{id}/sheet.xlsx"),),
                                         action=Action.ENTERPRISE_VIEW),
    "enterprises:objection_create": Rule((_id("/enterprises/results/{id}/objections/"),),
                                         action=Action.ENTERPRISE_EVALUATE, method="POST"),
    "enterprises:measure_create": Rule((_id("/enterprises/results/{id}/measures/"),),
                                       action=Action.ENTERPRISE_EVALUATE, method="POST"),
    "enterprises:objection_resolve": Rule((_id("/enterprises/objections/{id}/resolve/"),),
                                          action=Action.ENTERPRISE_PUBLISH, method="POST"),
    "enterprises:measure_follow_up": Rule((_id("/enterprises/measures/{id}/follow-ups/"),),
                                          action=Action.ENTERPRISE_EVALUATE, method="POST"),
    "enterprises:import": Rule((_get("/enterprises/import/"),), action=Action.ENTERPRISE_IMPORT),
    "enterprises:demo_files": Rule((_get("/enterprises/import/demo-files.zip"),), action=Action.ENTERPRISE_IMPORT),
    "enterprises:import_batch": Rule((_id("/enterprises/import/{id}/"),), action=Action.ENTERPRISE_IMPORT),
    "enterprises:import_batch_decide": Rule((_id("/enterprises/import/{id}/decide/"),),
                                            action=Action.ENTERPRISE_IMPORT, method="POST"),
    "enterprises:schemes": Rule((_get("/enterprises/schemes/"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:runs": Rule((_get("/enterprises/runs/"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:run_execute": Rule((Variant("missing", lambda world: "/enterprises/runs/execute/"),),
                                    action=Action.ENTERPRISE_EVALUATE,
                                    method="POST"),
    "enterprises:run": Rule((_id("/enterprises/runs/{id}/"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:run_publish": Rule((_id("/enterprises/runs/{id}/publish/"),), action=Action.ENTERPRISE_PUBLISH,
                                    method="POST"),
    "enterprises:run_discard": Rule((_id("/enterprises/runs/{id}/discard/"),), action=Action.ENTERPRISE_EVALUATE,
                                    method="POST"),
    "enterprises:run_export": Rule((_id("/enterprises/runs/{id}/export.xlsx"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:run_map": Rule((_id("/enterprises/runs/{id}/map/"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:d_list": Rule((_id("/enterprises/runs/{id}/d-list/"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:d_list_tasks": Rule((_id("/enterprises/runs/{id}/d-list/tasks/"),),
                                     action=Action.ENTERPRISE_EVALUATE, method="POST"),
    "enterprises:run_policy": Rule((_id("/enterprises/runs/{id}/policy/"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:run_simulate": Rule((_id("/enterprises/runs/{id}/simulate/"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:run_migration": Rule((_id("/enterprises/runs/{id}/migration/"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:objections": Rule((_get("/enterprises/objections/"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:policy": Rule((_get("/enterprises/policy/"),), action=Action.ENTERPRISE_VIEW),
    "enterprises:sites": Rule((_get("/enterprises/sites/"),), action=Action.ENTERPRISE_VIEW),
    # projects (重大项目): a project code nobody has stands for the project pages
    "projects:dispatch": Rule((_get("/projects/"),), action=Action.PROJECT_VIEW),
    "projects:leaders": Rule((_get("/projects/leaders/"),), action=Action.PROJECT_VIEW),
    "projects:export_xlsx": Rule((_get("/projects/export.xlsx"),), action=Action.PROJECT_VIEW),
    "projects:export_oc4ids": Rule((_get("/projects/oc4ids.json"),), action=Action.PROJECT_VIEW),
    "projects:reports": Rule((_get("/projects/reports/"),), action=Action.PROJECT_REPORT),
    "projects:report_template": Rule((_get("/projects/reports/template.xlsx"),), action=Action.PROJECT_REPORT),
    "projects:report_import": Rule((_get("/projects/reports/import/"),), action=Action.PROJECT_REPORT, method="POST"),
    "projects:statistics": Rule((_get("/projects/statistics/"),), action=Action.PROJECT_MANAGE),
    "projects:statistics_template": Rule((_get("/projects/statistics/template.xlsx"),), action=Action.PROJECT_MANAGE),
    "projects:statistics_import": Rule((_get("/projects/statistics/import/"),), action=Action.PROJECT_MANAGE,
                                       method="POST"),
    "projects:library": Rule((_get("/projects/library/"),), action=Action.PROJECT_MANAGE),
    "projects:library_template": Rule((_get("/projects/library/template.xlsx"),), action=Action.PROJECT_MANAGE),
    "projects:library_import": Rule((_get("/projects/library/import/"),), action=Action.PROJECT_MANAGE,
                                    method="POST"),
    "projects:livelihood": Rule((_get("/projects/livelihood/"),), **PUBLIC),
    "projects:project": Rule((Variant("missing", lambda world: "/projects/p/NO-SUCH-PROJECT/"),),
                             action=Action.PROJECT_VIEW),
    "projects:report_file": Rule((Variant("missing", lambda world: "/projects/p/NO-SUCH-PROJECT/report/",
                                          data={"month": "2025-06", "investment": "10"}),),
                                 action=Action.PROJECT_REPORT, method="POST"),
    "projects:problem_raise": Rule((Variant("missing", lambda world: "/projects/p/NO-SUCH-PROJECT/problems/",
                                            data={"kind": "land", "description": "用地"}),),
                                   action=Action.PROJECT_REPORT, method="POST"),
    "projects:node_record": Rule((Variant("missing", lambda world: "/projects/p/NO-SUCH-PROJECT/nodes/",
                                          data={"node": "start", "actual_date": "2025-06-01"}),),
                                 action=Action.PROJECT_MANAGE, method="POST"),
    # dashboards
    "dashboard:command_center": Rule((_get("/dashboard/"),), action=Action.DASHBOARD_COMMAND_CENTER),
    "dashboard:geojson": Rule((_get("/dashboard/areas.geojson"),), action=Action.DASHBOARD_COMMAND_CENTER),
    "dashboard:leader": Rule((_get("/dashboard/leader/"),), action=Action.DASHBOARD_LEADER),
    "dashboard:leader_export": Rule((_get("/dashboard/leader/export.xlsx"),), action=Action.DASHBOARD_LEADER),
    "dashboard:leader_report": Rule((_get("/dashboard/leader/report/"),), action=Action.DASHBOARD_LEADER),
    "dashboard:leader_report_export": Rule((_get("/dashboard/leader/report.xlsx"),),
                                           action=Action.DASHBOARD_LEADER),
    # Open311 GeoReport v2: public by the standard; writes need an api_key (see the personal-data tests)
    "open311:services": Rule((_get("/open311/v2/services.json"),), **PUBLIC),
    "open311:service": Rule((_get("/open311/v2/services/M001.json"),), **PUBLIC),
    "open311:requests": Rule((_get("/open311/v2/requests.json"),), **PUBLIC),
    "open311:request": Rule((Variant("case", lambda world: f"/open311/v2/requests/{world.case_in.number}.json"),),
                            **PUBLIC),
    "open311:token": Rule((Variant("missing", lambda world: "/open311/v2/tokens/unknown.json"),), **PUBLIC),
    # the API's own pages
    "api:openapi-json": Rule((_get("/api/v1/openapi.json"),), **PUBLIC),
    "api:openapi-view": Rule((_get("/api/v1/docs"),), **PUBLIC),
    "api:api-root": Rule((Variant("missing", lambda world: "/api/v1/"),), **PUBLIC),  # a name, no page
}

API_ROUTES: dict[str, Rule] = {
    "GET /api/v1/geo/locate": Rule((_get("/api/v1/geo/locate?longitude=119.925&latitude=31.725"),),
                                   action=Action.GEO_VIEW),
    "GET /api/v1/geo/addresses/candidates": Rule((_get("/api/v1/geo/addresses/candidates?text=青年路88号"),),
                                                 action=Action.GEO_VIEW),
    "GET /api/v1/geo/areas.geojson": Rule((_get("/api/v1/geo/areas.geojson"),), action=Action.GEO_VIEW),
    "GET /api/v1/geo/grids/{grid_id}/card": Rule(
        (Variant("in_scope", lambda world: f"/api/v1/geo/grids/{world.grid_west.pk}/card",
                 lambda world: world.grid_west),
         Variant("out_of_scope", lambda world: f"/api/v1/geo/grids/{world.grid_east.pk}/card",
                 lambda world: world.grid_east)),
        action=Action.GEO_VIEW),
    "POST /api/v1/cases/": Rule((Variant("create", lambda world: "/api/v1/cases/", data={
        "description": "楼道灯坏了", "channel": "hotline", "longitude": 119.925, "latitude": 31.725}),),
        action=Action.CASE_CREATE, method="POST", json=True),
    "GET /api/v1/cases/": Rule((_get("/api/v1/cases/"),), action=Action.CASE_VIEW),
    "GET /api/v1/cases/proposals": Rule((_get("/api/v1/cases/proposals?text=垃圾没人清运"),),
                                        action=Action.CASE_CREATE),
    "GET /api/v1/cases/kpis": Rule((_get("/api/v1/cases/kpis?start=2026-01-01&end=2026-12-31"),),
                                   action=Action.CASE_VIEW,
                                   also_any=(Action.DASHBOARD_LEADER, Action.DASHBOARD_COMMAND_CENTER)),
    "GET /api/v1/cases/{number}": Rule(_case_variants("/api/v1/cases/{number}"), action=Action.CASE_VIEW),
    "GET /api/v1/cases/{number}/events": Rule(_case_variants("/api/v1/cases/{number}/events"),
                                              action=Action.CASE_VIEW),
    "POST /api/v1/cases/{number}/transitions/{action}": Rule(
        _case_variants("/api/v1/cases/{number}/transitions/accept"), action=Action.CASE_ACCEPT, method="POST",
        json=True),
    "GET /api/v1/indicators/plans": Rule((_get("/api/v1/indicators/plans"),), action=Action.INDICATOR_VIEW),
    "GET /api/v1/indicators/plans/{plan_id}/evaluation": Rule(
        (_id("/api/v1/indicators/plans/{id}/evaluation", lambda world: world.plan.pk),),
        action=Action.INDICATOR_VIEW),
    "GET /api/v1/enterprises/credit-codes/{code}": Rule(
        (_get("/api/v1/enterprises/credit-codes/91320402MA0000017X"),), action=Action.ENTERPRISE_VIEW),
    "GET /api/v1/enterprises/runs": Rule((_get("/api/v1/enterprises/runs"),), action=Action.ENTERPRISE_VIEW),
    "GET /api/v1/enterprises/runs/{run_id}/results": Rule((_id("/api/v1/enterprises/runs/{id}/results"),),
                                                          action=Action.ENTERPRISE_VIEW),
}
