"""Re-encrypting reporters' personal data under the configured key (key rotation, older installations)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from zhili.audit.services import audit_record_append
from zhili.cases.models import Case
from zhili.cases.personal_data import PersonalDataKeys, personal_keys_current, phone_lookup_hash
from zhili.core.errors import ApplicationError

_ENCRYPTED_FIELDS = ("reporter_name_encrypted", "reporter_phone_encrypted", "reporter_id_number_encrypted")
_BATCH = 1000


@dataclass(frozen=True)
class RekeyResult:
    rekeyed: int  # cases whose values were written again under the configured key
    already_current: int  # cases whose values the configured key already reads
    dry_run: bool


def cases_personal_data_rekey(*, old_keys: PersonalDataKeys, source: str, dry_run: bool = False) -> RekeyResult:
    """Decrypt every case's reporter fields with ``old_keys`` and write them under the configured key.

    All or nothing: when any value is readable with neither key, nothing is written and the error
    names the first such cases. Values the configured key already reads are left as they are, so the
    command can be run again safely. The phone look-up hash is recomputed with the configured key.
    """
    new_keys = personal_keys_current()
    encrypted = Q()
    for name in _ENCRYPTED_FIELDS:
        encrypted |= ~Q(**{name: ""})
    rekeyed: list[Case] = []
    already_current = 0
    unreadable: list[str] = []
    with transaction.atomic():
        cases = (Case.objects.select_for_update().filter(encrypted)
                 .only("id", "number", "reporter_phone_hash", *_ENCRYPTED_FIELDS).order_by("id"))
        for case in cases.iterator(chunk_size=_BATCH):
            plain: dict[str, str] = {}
            current = True
            for name in _ENCRYPTED_FIELDS:
                token = getattr(case, name)
                if not token:
                    plain[name] = ""
                    continue
                value = new_keys.decrypt(token)
                if value is None:
                    current = False
                    value = old_keys.decrypt(token)
                if value is None:
                    unreadable.append(case.number)
                    break
                plain[name] = value
            else:
                if current:
                    already_current += 1
                    continue
                for name in _ENCRYPTED_FIELDS:
                    setattr(case, name, new_keys.fernet.encrypt(plain[name].encode("utf-8")).decode("ascii")
                            if plain[name] else "")
                case.reporter_phone_hash = phone_lookup_hash(plain["reporter_phone_encrypted"], keys=new_keys)
                rekeyed.append(case)
        if unreadable:
            raise ApplicationError(
                "personal_data_unreadable",
                f"{len(unreadable)} 件案件的个人信息用旧密钥和新密钥都解不开（例如 {'、'.join(unreadable[:5])}），"
                "未作任何修改。请确认旧密钥（ZHILI_OLD_SECRET_KEY 或 --from-key-env 指定的变量）是这套系统原来用的。",
                details={"cases": unreadable[:20]})
        if dry_run:
            transaction.set_rollback(True)
            return RekeyResult(rekeyed=len(rekeyed), already_current=already_current, dry_run=True)
        Case.objects.bulk_update(rekeyed, [*_ENCRYPTED_FIELDS, "reporter_phone_hash"], batch_size=_BATCH)
        audit_record_append(actor_id=None, action="personal_data.rekey", object_type="case", object_id="*",
                            data={"source": source, "rekeyed": len(rekeyed), "already_current": already_current})
    return RekeyResult(rekeyed=len(rekeyed), already_current=already_current, dry_run=False)
