"""A grid worker's patrol report (巡查上报), optionally closed on the spot (网格自处置)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from zhili.accounts.models import User
from zhili.cases.models import Case
from zhili.cases.services.attachments import ValidatedPhoto, attachment_files_kept_only_on_success
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.states import CaseAction
from zhili.core.errors import ApplicationError


def case_patrol_report(*, request: IntakeRequest, actor: User, photos: Sequence[ValidatedPhoto],
                       after_photos: Sequence[ValidatedPhoto], self_handle: bool, result_note: str,
                       idempotency_key: str) -> Case:
    """Create the case; when the worker closed it on the spot, record that with the "after" photos.

    A case closed on the spot is never auto-dispatched first (the worker has already handled it);
    the self-handling transition checks that the matter allows it and that the worker may act.
    """
    if self_handle and not after_photos:
        raise ApplicationError("after_photo_required", _("网格自处置需要上传处置后的照片。"))
    with attachment_files_kept_only_on_success(), transaction.atomic():
        result = case_intake(request=request, actor=actor, client_key=f"user:{actor.pk}",
                             idempotency_key=idempotency_key, photos=photos, dispatch_automatically=not self_handle)
        case = result.case
        if self_handle and not result.replayed:
            case = case_transition(case_id=case.pk, action=CaseAction.SELF_HANDLE, actor=actor,
                                   details=TransitionDetails(note=result_note or _("现场已处置"),
                                                             photos=tuple(after_photos)))
    return case
