"""``zhili cases_import FILE --user USERNAME [--map field=列名 …] [--set-aside] [--commit]``: dry run, then commit."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.accounts.models import User
from zhili.cases.models import CaseImportBatch, ImportValueKind
from zhili.cases.services.importing import (
    IMPORT_FIELDS_BY_KEY,
    import_batch_check,
    import_batch_commit,
    import_batch_upload,
    import_fields_help,
    import_value_mappings_save,
)
from zhili.core.errors import ApplicationError

_VALUE_OPTIONS = (("map_category", ImportValueKind.CATEGORY), ("map_department", ImportValueKind.DEPARTMENT),
                  ("map_status", ImportValueKind.STATUS))


class Command(BaseCommand):
    help = ("导入历史工单（.xlsx / .xls / .csv，UTF-8 或 GBK）：默认读取全部工作表，只试导入并报告；"
            "加 --commit 才真正导入。已办结工单按历史归档（不计超期、不发通知）。")

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.epilog = (
            "字段（--map 字段=列名 中的“字段”；冒号后是自动识别的表头）：\n" + import_fields_help() + "\n\n"
            "值对应（可多次给出，保存后对已导入的工单同样生效）：\n"
            "  --map-department 来源单位=部门代码|部门名称|new|external\n"
            "  --map-category 来源分类=matter:事项编码|category:分类编码   （分类写作 一级/二级/…，前缀匹配）\n"
            "  --map-status 来源状态=archived|cancelled|received\n"
            "示例：zhili cases_import 工单.xlsx --user admin --map description=主要内容 --set-aside --commit")
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--user", required=True, help="以该用户身份导入（需要导入权限）")
        parser.add_argument("--map", action="append", default=[], metavar="字段=列名",
                            help="列对应，例如 description=来电内容（字段见下）")
        parser.add_argument("--sheet", default="", help="只导入这个工作表（默认全部工作表）")
        parser.add_argument("--set-aside", action="store_true",
                            help="导入有效行，把有误的行连同原因写入 .xlsx（默认：有任何错误则一条不导入）")
        parser.add_argument("--close-tolerance", type=int, default=None, metavar="秒",
                            help="办结时间早于受理时间不超过这么多秒时按受理时间计（来源系统取整到分钟），默认 60")
        parser.add_argument("--map-department", action="append", default=[], metavar="来源单位=部门")
        parser.add_argument("--map-category", action="append", default=[], metavar="来源分类=目标")
        parser.add_argument("--map-status", action="append", default=[], metavar="来源状态=状态")
        parser.add_argument("--commit", action="store_true", help="真正导入（否则只试导入）")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"用户 {options['user']} 不存在")
        path = Path(options["path"])
        try:
            mapping_overrides: dict[str, str] = {}
            for item in options["map"]:
                key, separator, column = item.partition("=")
                key = key.strip()
                if not separator or key not in IMPORT_FIELDS_BY_KEY:
                    raise CommandError(f"--map {item}：字段应为下列之一（字段=列名）：{'、'.join(IMPORT_FIELDS_BY_KEY)}")
                mapping_overrides[key] = column.strip()
            for option, kind in _VALUE_OPTIONS:
                entries = [self._pair(item, option) for item in options[option]]
                if entries:
                    saved = import_value_mappings_save(kind=kind, entries=entries, actor=user)
                    self.stdout.write(f"值对应（{kind}）：保存 {saved['saved']} 条，更新已导入工单 {saved['cases_updated']} 条")
            with path.open("rb") as handle:
                batch = import_batch_upload(name=path.name, stream=handle, size=path.stat().st_size, actor=user)
            mapping = {**batch.mapping, **mapping_overrides}
            batch = import_batch_check(batch_id=batch.pk, mapping=mapping, actor=user, sheet=options["sheet"],
                                       set_aside=options["set_aside"],
                                       close_tolerance_seconds=options["close_tolerance"])
            self._report(batch)
            if options["commit"]:
                batch = import_batch_commit(batch_id=batch.pk, actor=user)
                self.stdout.write(f"已导入 {batch.imported_count} 条工单（跳过已导入 {batch.skipped_count} 条，"
                                  f"搁置 {batch.set_aside_count} 条）")
                if batch.set_aside_file:
                    self.stdout.write(f"搁置的行及原因：{Path(batch.set_aside_file.path)}")
        except (ApplicationError, OSError) as error:
            raise CommandError(str(error)) from error

    @staticmethod
    def _pair(item: str, option: str) -> tuple[str, str]:
        source, separator, target = item.rpartition("=")
        if not separator or not source.strip():
            raise CommandError(f"--{option.replace('_', '-')} {item}：应写作 来源值=目标")
        return source.strip(), target.strip()

    def _report(self, batch: CaseImportBatch) -> None:
        self.stdout.write(f"{batch.row_count} 行，{len(batch.sheets)} 个工作表，编码 {batch.encoding}")
        self.stdout.write("列对应（可用 --map 字段=列名 修改）：")
        for key, column in sorted(batch.mapping.items()):
            self.stdout.write(f"  {key}={column}（{IMPORT_FIELDS_BY_KEY[key].label}）")
        for name, counts in batch.report.get("per_sheet", {}).items():
            self.stdout.write(f"  工作表「{name}」：{counts['rows']} 行，有效 {counts['valid']}，有误 {counts['errors']}，"
                              f"已导入过 {counts['skipped']}")
        if batch.report.get("closings_adjusted"):
            self.stdout.write(f"  办结时间略早于受理时间（≤{batch.close_tolerance_seconds} 秒）已按受理时间计："
                              f"{batch.report['closings_adjusted']} 行")
        if batch.skipped_count:
            self.stdout.write(f"  {batch.skipped_count} 条工单（工单编号相同）已在平台中，不会更新：")
            for item in batch.report.get("skipped", [])[:20]:
                self.stdout.write(f"    工作表「{item['sheet']}」第 {item['row']} 行 {item['external_id']} → {item['case_number']}")
        labels = {ImportValueKind.CATEGORY: "来源分类", ImportValueKind.DEPARTMENT: "办理单位",
                  ImportValueKind.STATUS: "工单状态"}
        for kind, label in labels.items():
            values = batch.report.get("values", {}).get(kind, [])
            if values:
                self.stdout.write(f"{label}（{len(values)} 种；未对应的原样保留在工单上，可用 --map-{kind} 对应）：")
                for item in values[:30]:
                    self.stdout.write(f"  {item['value']}：{item['count']} 条 → {item['mapped'] or '（未对应）'}")
        self.stdout.write(f"错误 {batch.error_count} 处，涉及 {batch.set_aside_count} 行")
        for error in batch.errors[:100]:
            self.stdout.write(f"  工作表「{error['sheet']}」第 {error['row']} 行 [{error['column']}]：{error['message']}")
