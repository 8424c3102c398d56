"""A compact table of GB/T 4754-2017 国民经济行业分类: all 门类, the 大类 of manufacturing (C13-C43)
and the 大类 of the other sections industrial evaluation meets (mining, utilities, construction, IT).

An enterprise's industry is stored as one code: the 门类 letter followed by 2 (大类), 3 (中类) or
4 (小类) digits, e.g. ``C34`` or ``C3411``. 中类/小类 are checked for form only; their 大类 must be
in this table when the 门类 is one of those listed below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError

SECTIONS: dict[str, str] = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}

DIVISIONS: dict[str, str] = {
    # B 采矿业
    "B06": "煤炭开采和洗选业", "B07": "石油和天然气开采业", "B08": "黑色金属矿采选业",
    "B09": "有色金属矿采选业", "B10": "非金属矿采选业", "B11": "开采专业及辅助性活动", "B12": "其他采矿业",
    # C 制造业
    "C13": "农副食品加工业", "C14": "食品制造业", "C15": "酒、饮料和精制茶制造业", "C16": "烟草制品业",
    "C17": "纺织业", "C18": "纺织服装、服饰业", "C19": "皮革、毛皮、羽毛及其制品和制鞋业",
    "C20": "木材加工和木、竹、藤、棕、草制品业", "C21": "家具制造业", "C22": "造纸和纸制品业",
    "C23": "印刷和记录媒介复制业", "C24": "文教、工美、体育和娱乐用品制造业",
    "C25": "石油、煤炭及其他燃料加工业", "C26": "化学原料和化学制品制造业", "C27": "医药制造业",
    "C28": "化学纤维制造业", "C29": "橡胶和塑料制品业", "C30": "非金属矿物制品业",
    "C31": "黑色金属冶炼和压延加工业", "C32": "有色金属冶炼和压延加工业", "C33": "金属制品业",
    "C34": "通用设备制造业", "C35": "专用设备制造业", "C36": "汽车制造业",
    "C37": "铁路、船舶、航空航天和其他运输设备制造业", "C38": "电气机械和器材制造业",
    "C39": "计算机、通信和其他电子设备制造业", "C40": "仪器仪表制造业", "C41": "其他制造业",
    "C42": "废弃资源综合利用业", "C43": "金属制品、机械和设备修理业",
    # D 电力、热力、燃气及水
    "D44": "电力、热力生产和供应业", "D45": "燃气生产和供应业", "D46": "水的生产和供应业",
    # E 建筑业
    "E47": "房屋建筑业", "E48": "土木工程建筑业", "E49": "建筑安装业", "E50": "建筑装饰、装修和其他建筑业",
    # I 信息技术
    "I63": "电信、广播电视和卫星传输服务", "I64": "互联网和相关服务", "I65": "软件和信息技术服务业",
    # M 科学研究和技术服务
    "M73": "研究和试验发展", "M74": "专业技术服务业", "M75": "科技推广和应用服务业",
}

# Sections whose 大类 this table lists completely; codes of other sections are checked for form only.
SECTIONS_WITH_DIVISIONS = frozenset(code[0] for code in DIVISIONS)
# Public utilities (公用事业) are not rated by the evaluation schemes shipped here.
PUBLIC_UTILITY_DIVISIONS = frozenset({"D44", "D45", "D46"})

_INDUSTRY_CODE_PATTERN = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")


@dataclass(frozen=True)
class Industry:
    code: str
    section_code: str
    section_name: str
    division_code: str
    division_name: str

    @property
    def label(self) -> str:
        if self.division_name:
            return f"{self.division_code} {self.division_name}"
        return f"{self.section_code} {self.section_name}"


def industry_normalise(raw: str) -> str:
    return "".join(str(raw).split()).upper()


def industry_for_code(raw: str) -> Industry:
    """Parse and check an industry code; raise :class:`ApplicationError` when it is not GB/T 4754-2017."""
    code = industry_normalise(raw)
    if not _INDUSTRY_CODE_PATTERN.match(code) or code[0] not in SECTIONS:
        raise ApplicationError(
            "industry_code_invalid",
            _("行业代码“%(code)s”不符合GB/T 4754-2017：应为门类字母加2-4位数字，如C34或C3411。") % {"code": raw},
        )
    division_code = code[:3] if len(code) >= 3 else ""
    division_name = DIVISIONS.get(division_code, "")
    if division_code and code[0] in SECTIONS_WITH_DIVISIONS and not division_name:
        raise ApplicationError(
            "industry_code_unknown",
            _("行业大类“%(code)s”不在GB/T 4754-2017中，请核对。") % {"code": division_code},
        )
    return Industry(code=code, section_code=code[0], section_name=SECTIONS[code[0]],
                    division_code=division_code, division_name=division_name)


def industry_label(code: str) -> str:
    """A display label that never raises (for stored codes)."""
    try:
        return industry_for_code(code).label
    except ApplicationError:
        return code
