"""``zhili geo_import FILE [--crs gcj02]``: import areas/grids from GeoJSON or a zipped Shapefile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.core.errors import ApplicationError
from zhili.geo.coordinates import COORDINATE_SYSTEMS
from zhili.geo.services import grid_import_file

STAGE_LABELS = {"check": "检查", "write": "写入"}


class Command(BaseCommand):
    help = "导入区域/网格边界（GeoJSON 或 Shapefile 的 .zip），全部成功或全部不写入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="GeoJSON 文件或 Shapefile 压缩包（.zip）")
        parser.add_argument("--crs", choices=("auto", *COORDINATE_SYSTEMS), default="auto",
                            help="经纬度的坐标系：auto（默认：DataV 文件按 gcj02，带 .prj 的 Shapefile 按 .prj，其余按 wgs84）、"
                                 "wgs84、gcj02、bd09")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"找不到文件 {path}")
        last_shown: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            percent = done * 100 // max(total, 1)
            if percent // 10 != last_shown.get(stage, -1) or done == total:
                last_shown[stage] = percent // 10
                self.stdout.write(f"  {STAGE_LABELS.get(stage, stage)} {done}/{total} ({percent}%)")

        try:
            report = grid_import_file(filename=path.name, data=path.read_bytes(), coordinate_system=options["crs"],
                                      progress=progress)
        except ApplicationError as error:
            for problem in error.details.get("errors", []):
                self.stderr.write(f"  {problem['feature']} · {problem['field']} · {problem['reason']}")
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(
            f"导入完成：{report.feature_count} 个要素，新建 {report.created}，更新 {report.updated}。"))
        if report.source_format == "datav":
            self.stdout.write(f"  DataV 格式，坐标按 {report.coordinate_system} 转换为 WGS-84")
        if report.source_crs:
            self.stdout.write(f"  坐标系 {report.source_crs['name']}（EPSG:{report.source_crs['epsg']}）："
                              f"{report.source_crs['note']}")
        for skipped in report.skipped:
            self.stdout.write(f"  未导入 {skipped.feature}：{skipped.reason}")
        for repaired in report.repaired:
            self.stdout.write(f"  已修复 {repaired.feature}：{repaired.reason}")
        for gap in report.gaps:
            self.stdout.write(f"  空隙：上级 {gap['parent_code']} 内 {gap['pieces']} 处，共 {gap['area_square_meters']} 平方米")
        for overlap in report.overlaps:
            self.stdout.write(f"  重叠：{' ∩ '.join(overlap['codes'])}，{overlap['area_square_meters']} 平方米")
