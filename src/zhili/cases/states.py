"""The one status enum and the one table of allowed transitions of a case.

Only :func:`zhili.cases.services.lifecycle.case_transition` (and the intake service through the
same apply step) changes a case's status, and only along the rows of :data:`TRANSITIONS`. What each
row's verb does is its handler in :data:`zhili.cases.services.transition_handlers.TRANSITION_HANDLERS`
(this module stays pure rules: no queries, no service imports).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhili.accounts.permissions import Action


class CaseStatus(models.TextChoices):
    RECEIVED = "received", _("已受理")  # waiting in the dispatcher's triage queue
    DISPATCHED = "dispatched", _("已派单")  # waiting for the department to sign for it
    HANDLING = "handling", _("办理中")  # signed for (签收) and being handled
    RETURNED = "returned", _("已退回")  # returned by the department, waiting to be reassigned (改派)
    REVIEWING = "reviewing", _("待审核")  # the unit replied; the centre reviews the reply (审核) before 办结
    FINISHED = "finished", _("已办结")  # handled and replied (办结/答复), waiting for follow-up (回访)
    FOLLOWED_UP = "followed_up", _("已回访")
    ARCHIVED = "archived", _("已归档")
    MERGED = "merged", _("已合并")  # a duplicate merged into its master case
    CANCELLED = "cancelled", _("已撤销")


class CaseAction(models.TextChoices):
    CREATE = "create", _("受理")
    DISPATCH = "dispatch", _("派单")
    ACCEPT = "accept", _("签收")
    RETURN = "return", _("退回")
    RETURN_DECIDE = "return_decide", _("审定退回")
    WITHDRAW = "withdraw", _("撤回")
    REASSIGN = "reassign", _("改派")
    EXTENSION_REQUEST = "extension_request", _("申请延期")
    EXTENSION_DECIDE = "extension_decide", _("审批延期")
    SUPERVISE = "supervise", _("督办")
    REPLY = "reply", _("办结答复")
    REVIEW = "review", _("审核答复")
    SELF_HANDLE = "self_handle", _("网格自处置")
    FOLLOW_UP = "follow_up", _("回访")
    REOPEN = "reopen", _("重办")
    ARCHIVE = "archive", _("归档")
    MERGE = "merge", _("合并")
    URGE = "urge", _("催办（重复来电）")
    CANCEL = "cancel", _("撤销")
    # timeline-only entries (no transition): a duplicate merged into this case, an attachment added
    MERGED_IN = "merged_in", _("并入重复件")
    ATTACH = "attach", _("添加附件")


OPEN_STATUSES: frozenset[str] = frozenset(
    {CaseStatus.RECEIVED, CaseStatus.DISPATCHED, CaseStatus.HANDLING, CaseStatus.RETURNED, CaseStatus.REVIEWING}
)
"""Statuses of a case nobody has finished yet (the SLA clock runs, duplicates attach here)."""

TERMINAL_STATUSES: frozenset[str] = frozenset({CaseStatus.ARCHIVED, CaseStatus.MERGED, CaseStatus.CANCELLED})

OPEN311_CLOSED_STATUSES: frozenset[str] = frozenset(
    {CaseStatus.FINISHED, CaseStatus.FOLLOWED_UP, CaseStatus.ARCHIVED, CaseStatus.MERGED, CaseStatus.CANCELLED}
)
"""Open311 maps every status to ``open``/``closed``; these are ``closed``."""


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the status stays (extension, supervision)
    permissions: tuple[Action, ...]  # any one of them is enough
    # statuses the verb's handler may choose instead of ``target`` (a reply that needs review, a
    # rejected return going back to a unit that had or had not signed for it)
    alternative_targets: frozenset[str] = frozenset()


def _transition(action: str, sources: set[str], target: str | None, *permissions: Action,
                alternatives: frozenset[str] = frozenset()) -> Transition:
    return Transition(action=action, sources=frozenset(sources), target=target, permissions=permissions,
                      alternative_targets=alternatives)


_S = CaseStatus
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        # 派单 from the triage queue (a returned case is decided first: return_decide)
        _transition(CaseAction.DISPATCH, {_S.RECEIVED}, _S.DISPATCHED, Action.CASE_DISPATCH),
        # before the unit signs for it, the centre may take it back (撤回) or send it elsewhere (改派)
        _transition(CaseAction.WITHDRAW, {_S.DISPATCHED}, _S.RECEIVED, Action.CASE_DISPATCH),
        _transition(CaseAction.REASSIGN, {_S.DISPATCHED}, _S.DISPATCHED, Action.CASE_DISPATCH),
        _transition(CaseAction.ACCEPT, {_S.DISPATCHED}, _S.HANDLING, Action.CASE_ACCEPT),
        _transition(CaseAction.RETURN, {_S.DISPATCHED, _S.HANDLING}, _S.RETURNED, Action.CASE_RETURN),
        # 审定: uphold → dispatched to another unit; reject → back to the unit (signed for or not)
        _transition(CaseAction.RETURN_DECIDE, {_S.RETURNED}, _S.DISPATCHED, Action.CASE_DISPATCH,
                    alternatives=frozenset({_S.HANDLING})),
        _transition(CaseAction.EXTENSION_REQUEST, {_S.HANDLING}, None, Action.CASE_EXTENSION_REQUEST),
        _transition(CaseAction.EXTENSION_DECIDE, {_S.HANDLING}, None, Action.CASE_EXTENSION_DECIDE),
        _transition(CaseAction.SUPERVISE, {_S.RECEIVED, _S.DISPATCHED, _S.HANDLING, _S.RETURNED, _S.REVIEWING},
                    None, Action.CASE_SUPERVISE),
        # a repeat call about an open case, merged into it at intake (催办)
        _transition(CaseAction.URGE, {_S.RECEIVED, _S.DISPATCHED, _S.HANDLING, _S.RETURNED, _S.REVIEWING}, None,
                    Action.CASE_URGE),
        # 办结答复: finished, or waiting for the centre's review when the category requires it
        _transition(CaseAction.REPLY, {_S.HANDLING}, _S.FINISHED, Action.CASE_HANDLE,
                    alternatives=frozenset({_S.REVIEWING})),
        # 审核: accept → finished; reject → back to the unit's handling with the reason
        _transition(CaseAction.REVIEW, {_S.REVIEWING}, _S.FINISHED, Action.CASE_REVIEW,
                    alternatives=frozenset({_S.HANDLING})),
        _transition(CaseAction.SELF_HANDLE, {_S.RECEIVED}, _S.FINISHED, Action.CASE_SELF_HANDLE),
        _transition(CaseAction.FOLLOW_UP, {_S.FINISHED}, _S.FOLLOWED_UP, Action.CASE_FOLLOW_UP,
                    Action.CASE_RATE_OWN),
        _transition(CaseAction.REOPEN, {_S.FINISHED, _S.FOLLOWED_UP}, _S.DISPATCHED, Action.CASE_REOPEN),
        _transition(CaseAction.ARCHIVE, {_S.FINISHED, _S.FOLLOWED_UP}, _S.ARCHIVED, Action.CASE_ARCHIVE),
        _transition(CaseAction.MERGE, {_S.RECEIVED, _S.DISPATCHED, _S.HANDLING, _S.RETURNED}, _S.MERGED,
                    Action.CASE_MERGE),
        _transition(CaseAction.CANCEL, {_S.RECEIVED, _S.DISPATCHED, _S.HANDLING, _S.RETURNED, _S.REVIEWING,
                                        _S.FINISHED, _S.FOLLOWED_UP}, _S.CANCELLED, Action.CASE_CANCEL),
    )
}


def allowed_actions(status: str) -> list[str]:
    """The transitions the table allows from ``status`` (permissions not considered)."""
    return [action for action, transition in TRANSITIONS.items() if status in transition.sources]
