"""The one authorization function: may user U do action A on object O?

Every view, API route, export and task asks :func:`user_can` (or :func:`require`).
A decision has two parts:

1. the role grants the action (:data:`ROLE_GRANTS`, one table for the whole platform);
2. when an object is given, the object lies in the user's scope: its area inside the user's area
   subtree (grid workers: inside one of their grids), its department the user's department
   (department handlers), or its owner the user (citizens). Apps describe where their objects lie
   by registering a scope resolver for their model with :func:`register_scope_resolver`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from zhili.accounts.roles import Role
from zhili.core.errors import PermissionDeniedError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from zhili.accounts.models import User


class Action(StrEnum):
    # geo / reference data
    GEO_VIEW = "geo.view"
    GEO_MANAGE = "geo.manage"
    # cases
    CASE_CREATE = "case.create"
    CASE_REPORT_PATROL = "case.report_patrol"
    CASE_VIEW = "case.view"
    CASE_VIEW_PERSONAL = "case.view_personal"
    CASE_VIEW_CONFIDENTIAL = "case.view_confidential"  # the reporter of a 保密 case: the centre only
    CASE_DISPATCH = "case.dispatch"
    CASE_ACCEPT = "case.accept"
    CASE_HANDLE = "case.handle"
    CASE_RETURN = "case.return"
    CASE_EXTENSION_REQUEST = "case.extension_request"
    CASE_EXTENSION_DECIDE = "case.extension_decide"
    CASE_SUPERVISE = "case.supervise"
    CASE_REVIEW = "case.review"  # 审核 a unit's reply before the case is finished (the centre)
    CASE_URGE = "case.urge"  # merge a repeat call into the open case as 催办
    CASE_MERGE = "case.merge"
    CASE_SELF_HANDLE = "case.self_handle"
    CASE_FOLLOW_UP = "case.follow_up"
    CASE_REOPEN = "case.reopen"
    CASE_ARCHIVE = "case.archive"
    CASE_CANCEL = "case.cancel"
    CASE_EXPORT = "case.export"
    CASE_IMPORT = "case.import"
    CASE_RATE_OWN = "case.rate_own"
    # dashboards
    DASHBOARD_COMMAND_CENTER = "dashboard.command_center"
    DASHBOARD_LEADER = "dashboard.leader"
    # text intelligence
    CLASSIFIER_MANAGE = "classifier.manage"
    HOT_ISSUE_VIEW = "hot_issue.view"
    # plan indicators
    INDICATOR_VIEW = "indicator.view"
    INDICATOR_EDIT = "indicator.edit"
    INDICATOR_REPORT = "indicator.report"
    # enterprise evaluation
    ENTERPRISE_VIEW = "enterprise.view"
    ENTERPRISE_IMPORT = "enterprise.import"
    ENTERPRISE_EVALUATE = "enterprise.evaluate"
    ENTERPRISE_PUBLISH = "enterprise.publish"
    # major and livelihood projects
    PROJECT_VIEW = "project.view"
    PROJECT_MANAGE = "project.manage"  # the library, nodes, plans, the 入库 list (项目办)
    PROJECT_REPORT = "project.report"  # a responsible unit's monthly report and its problems
    # administration
    USER_MANAGE = "user.manage"
    AUDIT_VIEW = "audit.view"


_READ_CASES = {Action.CASE_VIEW, Action.GEO_VIEW, Action.HOT_ISSUE_VIEW}

ROLE_GRANTS: dict[str, frozenset[Action]] = {
    Role.OPERATOR: frozenset(_READ_CASES | {
        Action.CASE_CREATE, Action.CASE_VIEW_PERSONAL, Action.CASE_VIEW_CONFIDENTIAL, Action.CASE_FOLLOW_UP,
        Action.CASE_EXPORT, Action.CASE_IMPORT, Action.CASE_URGE,
    }),
    Role.DISPATCHER: frozenset(_READ_CASES | {
        Action.CASE_CREATE, Action.CASE_VIEW_PERSONAL, Action.CASE_VIEW_CONFIDENTIAL, Action.CASE_DISPATCH,
        Action.CASE_EXTENSION_DECIDE, Action.CASE_REVIEW, Action.CASE_URGE,
        Action.CASE_SUPERVISE, Action.CASE_MERGE, Action.CASE_FOLLOW_UP, Action.CASE_REOPEN,
        Action.CASE_ARCHIVE, Action.CASE_EXPORT, Action.CASE_IMPORT, Action.DASHBOARD_COMMAND_CENTER,
    }),
    Role.HANDLER: frozenset({
        Action.CASE_VIEW, Action.CASE_VIEW_PERSONAL, Action.CASE_ACCEPT, Action.CASE_HANDLE,
        Action.CASE_RETURN, Action.CASE_EXTENSION_REQUEST, Action.CASE_EXPORT, Action.GEO_VIEW,
        Action.PROJECT_VIEW, Action.PROJECT_REPORT,
    }),
    Role.GRID_WORKER: frozenset({
        # no CASE_HANDLE: a grid worker closes only what the matter lets the grid handle itself (自处置),
        # never a case a department signed for (that would credit the department with the finish)
        Action.CASE_VIEW, Action.CASE_REPORT_PATROL, Action.CASE_SELF_HANDLE, Action.GEO_VIEW,
    }),
    Role.LEADER: frozenset(_READ_CASES | {
        Action.DASHBOARD_COMMAND_CENTER, Action.DASHBOARD_LEADER, Action.CASE_EXPORT, Action.INDICATOR_VIEW,
        Action.ENTERPRISE_VIEW, Action.PROJECT_VIEW,
    }),
    Role.PLANNER: frozenset({
        Action.INDICATOR_VIEW, Action.INDICATOR_EDIT, Action.INDICATOR_REPORT, Action.GEO_VIEW,
    }),
    Role.ANALYST: frozenset({
        Action.ENTERPRISE_VIEW, Action.ENTERPRISE_IMPORT, Action.ENTERPRISE_EVALUATE,
        Action.ENTERPRISE_PUBLISH, Action.GEO_VIEW,
    }),
    Role.PROJECT_OFFICE: frozenset({
        # supervises (督办) the problem cases it raised; the responsible unit signs for and closes them
        Action.PROJECT_VIEW, Action.PROJECT_MANAGE, Action.PROJECT_REPORT, Action.CASE_VIEW, Action.CASE_SUPERVISE,
        Action.GEO_VIEW,
    }),
    Role.ADMIN: frozenset(Action),
    Role.CITIZEN: frozenset({Action.CASE_RATE_OWN, Action.CASE_VIEW}),
}


@dataclass(frozen=True)
class ObjectScope:
    """Where an object lies, for scope checks. Empty fields are not checked."""

    area_paths: tuple[str, ...] = ()
    department_ids: frozenset[int] = field(default_factory=frozenset)
    owner_user_id: int | None = None
    # the reporter asked for confidentiality (保密): their identity stays with the centre
    confidential: bool = False


ScopeResolver = Callable[[Any], ObjectScope]
_SCOPE_RESOLVERS: dict[type, ScopeResolver] = {}


def register_scope_resolver(model: type, resolver: ScopeResolver) -> None:
    """Declare how to find the scope of instances of ``model`` (called from an app's ``ready()``)."""
    _SCOPE_RESOLVERS[model] = resolver


def object_scope(target: object) -> ObjectScope:
    if isinstance(target, ObjectScope):
        return target
    for klass in type(target).__mro__:
        resolver = _SCOPE_RESOLVERS.get(klass)
        if resolver is not None:
            return resolver(target)
    raise LookupError(f"no scope resolver registered for {type(target).__name__}")


def user_area_paths(user: User) -> tuple[str, ...]:
    """The area subtrees a user may act in; empty means the whole platform."""
    if user.role == Role.GRID_WORKER:
        cached: tuple[str, ...] | None = getattr(user, "_zhili_grid_paths", None)
        if cached is None:
            cached = tuple(user.grid_assignments.values_list("grid__path", flat=True))
            user._zhili_grid_paths = cached  # type: ignore[attr-defined]
        return cached
    if user.scope_area is not None:
        return (user.scope_area.path,)
    return ()


def _in_scope(user: User, scope: ObjectScope) -> bool:
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.CITIZEN:
        return scope.owner_user_id is not None and scope.owner_user_id == user.pk
    if user.role == Role.HANDLER and (user.department_id is None or user.department_id not in scope.department_ids):
        return False
    if user.role == Role.GRID_WORKER:
        grid_paths = user_area_paths(user)
        return bool(grid_paths) and any(
            path.startswith(grid_path) for path in scope.area_paths for grid_path in grid_paths
        )
    allowed_paths = user_area_paths(user)
    if allowed_paths and scope.area_paths:
        return any(path.startswith(allowed) for path in scope.area_paths for allowed in allowed_paths)
    return True


def user_can(user: User | AnonymousUser | None, action: Action | str, target: object | None = None) -> bool:
    """True when ``user`` may do ``action`` (on ``target`` when given). Never raises for a denial."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    role_user: User = user
    if Action(action) not in ROLE_GRANTS.get(role_user.role, frozenset()):
        return False
    if target is None:
        return True
    return _in_scope(role_user, object_scope(target))


def require(user: User | AnonymousUser | None, action: Action | str, target: object | None = None) -> None:
    """Raise :class:`PermissionDeniedError` (a clear, translated message) unless :func:`user_can`."""
    if not user_can(user, action, target):
        raise PermissionDeniedError(
            "permission_denied",
            _("您没有权限执行此操作（%(action)s）。如需办理，请联系管理员调整角色或管辖范围。") % {"action": action},
        )


def actions_for(user: User) -> frozenset[Action]:
    return ROLE_GRANTS.get(user.role, frozenset())
