"""Reading a labelled history (.csv or .xlsx: text columns + a label column) for training.

Refusals are ApplicationErrors in Chinese that say what is wrong and what to do: missing
columns (with the columns the file has), empty labels (with row numbers), a single class,
an unreadable encoding. CSV files in UTF-8 (with or without BOM), UTF-16 and GBK/GB18030 are
all read.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError
from zhili.core.text_files import text_bytes_decode
from zhili.core.workbooks import workbook_sheets_read

MAX_REPORTED_ROWS = 10


@dataclass(frozen=True)
class LabelledTexts:
    texts: list[str]
    labels: list[str]

    @property
    def label_counts(self) -> Counter[str]:
        return Counter(self.labels)


def decode_csv_bytes(data: bytes) -> str:
    """Decode CSV bytes: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    decoded = text_bytes_decode(data)
    if decoded is None:
        raise ApplicationError(
            "labelled_file_encoding",
            _("无法识别文件编码：请将文件另存为 UTF-8 编码的 CSV 或 Excel(.xlsx) 后重试。"),
        )
    return decoded[0]


def _rows_from_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    text = decode_csv_bytes(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    return header, [{key: (value or "") for key, value in row.items() if key is not None} for row in reader]


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _rows_from_workbook(data: bytes, file_name: str) -> tuple[list[str], list[dict[str, str]]]:
    """The first sheet of an .xlsx/.xlsm/.xls file (the shared workbook reader)."""

    try:
        sheet = workbook_sheets_read(data, file_name=file_name)[0]
    except ApplicationError as error:
        raise ApplicationError("labelled_file_unreadable", error.message) from error
    rows = iter(sheet.rows)
    first = next(rows, None)
    header = [_cell(cell).strip() for cell in (first or ())]
    records = [{header[index]: _cell(value) for index, value in enumerate(values) if index < len(header)}
               for values in rows]
    return header, records


def labelled_texts_read(
    *, data: bytes, file_name: str, text_columns: Sequence[str], label_column: str, require_two_classes: bool = True,
) -> LabelledTexts:
    """Texts (the text columns joined by a space) and labels of a labelled .csv/.xlsx file."""
    suffix = Path(file_name).suffix.lower()
    if not data:
        raise ApplicationError("labelled_file_empty", _("文件为空：请选择包含数据的文件。"))
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        header, rows = _rows_from_workbook(data, file_name)
    elif suffix in {".csv", ".txt", ""}:
        header, rows = _rows_from_csv(data)
    else:
        raise ApplicationError(
            "labelled_file_type", _("不支持的文件类型 %(suffix)s：请使用 .csv、.xlsx 或 .xls 文件。") % {"suffix": suffix},
        )
    columns = [column.strip() for column in text_columns if column.strip()]
    if not columns:
        raise ApplicationError("labelled_file_no_text_column", _("请至少指定一个文本列（如 title,content）。"))
    missing = [column for column in [*columns, label_column] if column not in header]
    if missing:
        raise ApplicationError(
            "labelled_file_missing_columns",
            _("文件中没有列：%(missing)s。文件中的列为：%(present)s。请检查列名后重试。")
            % {"missing": "、".join(missing), "present": "、".join(name for name in header if name) or _("（无）")},
            details={"missing": missing, "present": header},
        )
    texts: list[str] = []
    labels: list[str] = []
    empty_label_rows: list[int] = []
    for row_number, row in enumerate(rows, start=2):
        text = " ".join(row.get(column, "").strip() for column in columns).strip()
        label = row.get(label_column, "").strip()
        if not text and not label:
            continue  # blank line
        if not label:
            empty_label_rows.append(row_number)
            continue
        texts.append(text)
        labels.append(label)
    if empty_label_rows:
        shown = "、".join(str(number) for number in empty_label_rows[:MAX_REPORTED_ROWS])
        more = _("等 %(count)d 行") % {"count": len(empty_label_rows)} if len(empty_label_rows) > MAX_REPORTED_ROWS else ""
        raise ApplicationError(
            "labelled_file_empty_labels",
            _("第 %(rows)s 行%(more)s的标签列“%(column)s”为空：请补全标签或删除这些行后重试。")
            % {"rows": shown, "more": more, "column": label_column},
            details={"rows": empty_label_rows[:100]},
        )
    if not texts:
        raise ApplicationError("labelled_file_no_rows", _("文件中没有数据行：请检查文件内容。"))
    if require_two_classes and len(set(labels)) < 2:
        raise ApplicationError(
            "labelled_file_one_class",
            _("标签列“%(column)s”只有一个类别（%(label)s）：训练分类模型至少需要两个类别的样本。")
            % {"column": label_column, "label": labels[0]},
        )
    return LabelledTexts(texts=texts, labels=labels)
