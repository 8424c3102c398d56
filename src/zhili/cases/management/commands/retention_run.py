"""``zhili retention_run``: run the nightly retention jobs now and print what they removed."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from zhili.cases.services.retention import case_files_retention_sweep, cases_personal_data_anonymise
from zhili.textintel.services import textintel_uploads_retention_sweep


class Command(BaseCommand):
    help = "删除超过保留期限的个人信息、导出文件和上传文件，并打印删除了什么（与每晚的任务相同）。"

    def handle(self, *args: Any, **options: Any) -> None:
        report = {
            "cases_anonymised": cases_personal_data_anonymise().anonymised,
            **case_files_retention_sweep().as_dict(),
            "textintel_upload_files_removed": textintel_uploads_retention_sweep(),
        }
        self.stdout.write(json.dumps(report, ensure_ascii=False))
