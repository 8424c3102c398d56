"""The one personal-data policy: for a viewer and a field, is a value shown, masked or withheld?

Every exit asks this module — pages (the ``{% personal %}`` tag), the JSON API, Open311, exports,
hot issues, the command-center feed — and masks with the one masker,
:func:`zhili.core.personal_data.personal_text_mask`. Logs and error messages are masked always.

| field | may see personal data (``case.view_personal``) | the reporter (citizen account) | other staff | anonymous |
|---|---|---|---|---|
| reporter name / phone / ID | shown (保密 case: only with ``case.view_confidential``, else withheld) | masked | masked (保密 case: withheld) | withheld |
| free text (description, title, notes, replies, addresses typed by people) | shown (保密 case: masked without ``case.view_confidential``) | masked | masked | masked |
| tracking code | withheld | shown | withheld | withheld |
| exact location | shown | shown | shown | masked (rounded) |
| photo metadata (EXIF: GPS, camera) | shown | shown | withheld | withheld |

Roles without the personal-data permission see masked free text everywhere, the reporter's own
account included (a shared or stolen phone shows nothing the reporter did not already know in full).

The tracking code is the citizen's proof of being the reporter (it lets them rate the case), so no
staff role ever reads it back; the submitter receives it once, in the answer to the submission.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from zhili.accounts.permissions import Action, ObjectScope, object_scope, user_can
from zhili.core.personal_data import personal_text_mask

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from zhili.accounts.models import User


class PersonalField(StrEnum):
    REPORTER_NAME = "reporter_name"
    REPORTER_PHONE = "reporter_phone"
    REPORTER_ID_NUMBER = "reporter_id_number"
    FREE_TEXT = "free_text"
    TRACKING_CODE = "tracking_code"
    EXACT_LOCATION = "exact_location"
    PHOTO_METADATA = "photo_metadata"
    PROJECT_CONTACT = "project_contact"  # a project's contact person and phone (项目联系人)


class Disclosure(StrEnum):
    SHOW = "show"
    MASK = "mask"
    WITHHOLD = "withhold"


_REPORTER_IDENTITY = frozenset({PersonalField.REPORTER_NAME, PersonalField.REPORTER_PHONE,
                                PersonalField.REPORTER_ID_NUMBER})


def _scope_of(target: object | None) -> ObjectScope | None:
    return None if target is None else object_scope(target)


def personal_disclosure(viewer: User | AnonymousUser | None, field: PersonalField,
                        target: object | None = None) -> Disclosure:
    """How ``viewer`` may see ``field`` of ``target`` (a case, or any object with a scope resolver).

    Without a target the decision is the role's alone (lists the viewer may already see).
    """
    scope = _scope_of(target)
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        if field == PersonalField.FREE_TEXT or field == PersonalField.EXACT_LOCATION:
            return Disclosure.MASK
        return Disclosure.WITHHOLD
    if field == PersonalField.PROJECT_CONTACT:
        # the project office and the project's own unit call the contact; everyone else sees a mask
        if user_can(viewer, Action.PROJECT_MANAGE) or user_can(viewer, Action.PROJECT_REPORT, target):
            return Disclosure.SHOW
        return Disclosure.MASK
    is_reporter = scope is not None and scope.owner_user_id is not None and scope.owner_user_id == viewer.pk
    if is_reporter and field in (PersonalField.TRACKING_CODE, PersonalField.EXACT_LOCATION,
                                 PersonalField.PHOTO_METADATA):
        return Disclosure.SHOW  # their own code, point and photo
    if field == PersonalField.TRACKING_CODE:
        return Disclosure.WITHHOLD
    personal = user_can(viewer, Action.CASE_VIEW_PERSONAL, target)
    if (not personal and not is_reporter and scope is not None and scope.confidential
            and field in _REPORTER_IDENTITY):
        return Disclosure.WITHHOLD  # 保密: not even the masked name or phone outside the centre
    if personal and scope is not None and scope.confidential and not user_can(
            viewer, Action.CASE_VIEW_CONFIDENTIAL, target):
        # 保密: the handling unit works on the matter without learning who reported it
        if field == PersonalField.FREE_TEXT:
            return Disclosure.MASK
        if field == PersonalField.EXACT_LOCATION:
            return Disclosure.SHOW
        return Disclosure.WITHHOLD
    if personal:
        return Disclosure.SHOW
    if field == PersonalField.EXACT_LOCATION:
        return Disclosure.SHOW if user_can(viewer, Action.CASE_VIEW, target) else Disclosure.MASK
    if field == PersonalField.PHOTO_METADATA:
        return Disclosure.WITHHOLD
    return Disclosure.MASK


def personal_text_for(viewer: User | AnonymousUser | None, text: str | None, target: object | None = None) -> str:
    """Free text as ``viewer`` may read it: as written, or with personal data masked."""
    if not text:
        return ""
    if personal_disclosure(viewer, PersonalField.FREE_TEXT, target) == Disclosure.SHOW:
        return text
    return personal_text_mask(text)


def personal_text_shown_to(viewer: User | AnonymousUser | None, target: object | None = None) -> bool:
    """True when ``viewer`` reads free text of ``target`` unmasked (to decide once for a whole list)."""
    return personal_disclosure(viewer, PersonalField.FREE_TEXT, target) == Disclosure.SHOW
