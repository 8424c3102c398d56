"""The synthetic demo district (合成演示区), generated from a seed.

Nothing here is a real boundary: the district outline is a random irregular polygon about 15 km
across, centred where Tianning (天宁区, Changzhou) lies (31.78°N, 119.98°E, WGS-84), and streets,
communities and grids are Voronoi partitions of seeded points clipped to their parent (no gaps,
no overlaps). Every area row carries ``is_synthetic=True``. Names are ordinary Chinese place-name
patterns. Same seed, same district; a second run leaves existing data alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np
import shapely
from django.db import transaction
from numpy.typing import NDArray
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from zhili.geo.data_version import geo_data_version_bump
from zhili.geo.geometry import area_geometry_fields, polygonal_part
from zhili.geo.models import (
    Address,
    Area,
    AreaLevel,
    Component,
    ComponentClass,
    Department,
    Matter,
    MatterCategory,
    Urgency,
)
from zhili.geo.spatial_index import OUTSIDE, GridIndex, IndexedGrid

DISTRICT_CODE = "320402"
DISTRICT_NAME = "天宁区"
CITY_PREFIX = "常州市"
CENTRE_LONGITUDE = 119.98
CENTRE_LATITUDE = 31.78
_RADIUS_METERS = 7_500.0
_METERS_PER_DEGREE_LATITUDE = 110_574.0
_METERS_PER_DEGREE_LONGITUDE = 111_320.0 * math.cos(math.radians(CENTRE_LATITUDE))

STREET_NAMES = ("天宁街道", "红梅街道", "兰陵街道", "茶山街道", "雕庄街道", "青龙街道", "北港街道", "郑陆镇")
COMMUNITY_COUNT = 60
GRID_COUNT = 400
ADDRESS_COUNT = 20_000
COMPONENT_COUNT = 3_000
ROAD_COUNT = 120

EXAMPLE_STREET = "红梅街道"
EXAMPLE_ROAD = "竹林路"
EXAMPLE_COMPOUND = "北环新村"
ZONE_CODE = f"{DISTRICT_CODE}Z01"
PARK_CODE = f"{DISTRICT_CODE}Z01P01"

# Two-character words for road, compound and community names (no numerals or number markers).
PLACE_WORDS = (
    "竹林", "北环", "红梅", "青龙", "东方", "丽华", "光华", "劳动", "延陵", "关河", "和平", "桃园", "凤凰", "翠竹",
    "兰陵", "雕庄", "郑陆", "茶山", "永宁", "长江", "丁堰", "采菱", "虹景", "飞龙", "龙城", "清凉", "东坡", "白云",
    "博爱", "常青", "晋陵", "化龙", "舜山", "横塘", "运河", "金陵", "玉龙", "天安", "御园", "景泰", "锦绣", "怡康",
    "新丰", "阳湖", "太湖", "梅园", "荷花", "青山", "紫荆", "芙蓉", "香樟", "银杏", "枫林", "松涛", "柳岸", "湖塘",
    "南湖", "北港", "东进", "西林", "朝阳", "晨光", "星河", "明珠", "新城", "盛世", "嘉禾", "润华", "欣悦", "宏图",
    "恒顺", "德安", "康乐", "泰和", "福寿", "吉祥", "永安", "安康", "瑞景", "嘉业", "祥和", "兴隆", "丰收", "繁荣",
    "富强", "团结", "胜利", "解放", "红星", "勤业", "花港", "清潭", "蓝天", "绿洲", "春江", "秋白", "冬青", "夏溪",
    "金色", "银河", "宝龙", "翠苑", "怀德", "广化", "青果", "南大", "北直", "西直", "东直", "斗巷", "罗汉", "马山",
    "芳渚", "焦溪", "舜河", "遥观", "横林", "戚墅", "潞城", "湾城", "锦湖", "鸣珂", "文化", "书香", "学府", "状元",
    "富丽", "美林", "华润", "紫云", "碧桂", "凯旋", "丹桂", "桂花", "蔷薇", "牡丹", "玉兰", "海棠", "樱花", "梧桐",
    "白荡", "莲花", "栖凤", "龙锦", "聚湖", "湖滨", "河畔", "通江", "青洋", "飞虹", "彩虹", "晴川", "雅居", "怡景",
)
ROAD_SUFFIXES = ("路", "街", "大道", "巷")
COMPOUND_SUFFIXES = ("新村", "花园", "小区", "家园", "苑", "公寓", "嘉园", "华庭", "名苑", "雅园")

DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("CG", "城管局"), ("ZJ", "住建局"), ("HB", "生态环境局"), ("JT", "交通运输局"), ("RS", "人社局"),
    ("JY", "教育局"), ("WJ", "卫健委"), ("SW", "商务局"), ("SJ", "市场监管局"), ("SWJ", "水利局"),
    ("GA", "公安分局"),
)

CATEGORIES: tuple[tuple[str, str], ...] = (
    ("CXJS", "城乡建设"), ("HJBH", "环境保护"), ("JTYS", "交通运输"), ("LDSB", "劳动和社会保障"),
    ("JYWT", "教育文体"), ("WSJS", "卫生计生"), ("SMLY", "商贸旅游"),
)


@dataclass(frozen=True)
class DemoMatter:
    name: str
    category: str
    department: str
    keywords: str
    urgency: str = Urgency.NORMAL
    handle_limit_days: int = 5
    urgent_limit_hours: int = 24
    grid_self_handling_allowed: bool = False


MATTERS: tuple[DemoMatter, ...] = (
    # 城乡建设
    DemoMatter("违章搭建", "城乡建设", "CG", "违建,违章搭建,私搭乱建,加盖,搭棚,违章建筑", handle_limit_days=10),
    DemoMatter("占道经营", "城乡建设", "CG", "占道,摆摊,流动摊贩,占道经营,出店经营", handle_limit_days=3,
               grid_self_handling_allowed=True),
    DemoMatter("道路破损", "城乡建设", "ZJ", "路面破损,坑洼,道路塌陷,路面开裂,人行道破损", handle_limit_days=7),
    DemoMatter("井盖缺失", "城乡建设", "ZJ", "井盖,窨井盖,下水道盖,井盖缺失,井盖破损", urgency=Urgency.EMERGENCY,
               handle_limit_days=1, urgent_limit_hours=4),
    DemoMatter("路灯不亮", "城乡建设", "CG", "路灯,不亮,灯坏了,路灯损坏,照明", handle_limit_days=3),
    DemoMatter("物业管理纠纷", "城乡建设", "ZJ", "物业,物业费,物业服务,业委会,保安", handle_limit_days=10),
    DemoMatter("电梯故障", "城乡建设", "SJ", "电梯,困人,电梯故障,电梯停运", urgency=Urgency.URGENT,
               handle_limit_days=2, urgent_limit_hours=4),
    DemoMatter("房屋漏水", "城乡建设", "ZJ", "漏水,渗水,房屋,屋顶,外墙脱落", handle_limit_days=10),
    DemoMatter("建筑施工扰民", "城乡建设", "ZJ", "施工,夜间施工,工地,打桩,渣土车"),
    DemoMatter("停水及水压低", "城乡建设", "SWJ", "停水,水压低,自来水,水管爆裂,没水", urgency=Urgency.URGENT,
               urgent_limit_hours=12),
    DemoMatter("下水道堵塞", "城乡建设", "SWJ", "下水道,堵塞,污水外溢,化粪池,管道堵", handle_limit_days=3,
               grid_self_handling_allowed=True),
    DemoMatter("积水内涝", "城乡建设", "SWJ", "积水,内涝,淹水,排水不畅", urgency=Urgency.URGENT,
               urgent_limit_hours=12),
    # 环境保护
    DemoMatter("噪声扰民", "环境保护", "HB", "噪音,噪声,吵,扰民,广场舞,音响"),
    DemoMatter("油烟扰民", "环境保护", "HB", "油烟,烧烤,餐馆排烟,油烟机,饭店"),
    DemoMatter("垃圾清运不及时", "环境保护", "CG", "垃圾,清运,垃圾桶满,垃圾房,垃圾堆,臭", handle_limit_days=2,
               grid_self_handling_allowed=True),
    DemoMatter("工业废气污染", "环境保护", "HB", "废气,异味,臭味,排放,化工厂,刺鼻"),
    DemoMatter("水体污染", "环境保护", "HB", "河道,污水,黑臭,排污,河水发黑,死鱼", handle_limit_days=7),
    DemoMatter("露天焚烧", "环境保护", "HB", "焚烧,烧垃圾,冒烟,秸秆,烧东西", handle_limit_days=2,
               grid_self_handling_allowed=True),
    DemoMatter("乱堆乱放", "环境保护", "CG", "堆放,杂物,乱堆,建筑垃圾,占用楼道", handle_limit_days=3,
               grid_self_handling_allowed=True),
    DemoMatter("绿化损毁", "环境保护", "CG", "绿化,树木,草坪,修剪,树枝,毁绿", grid_self_handling_allowed=True),
    DemoMatter("扬尘污染", "环境保护", "HB", "扬尘,灰尘,渣土,粉尘,未覆盖"),
    # 交通运输
    DemoMatter("非法营运", "交通运输", "JT", "黑车,非法营运,拉客,无证出租", handle_limit_days=7),
    DemoMatter("公交线路与站台", "交通运输", "JT", "公交,公交车,站台,线路,班次,司机"),
    DemoMatter("出租车服务投诉", "交通运输", "JT", "出租车,拒载,绕路,网约车,打表"),
    DemoMatter("违章停车", "交通运输", "GA", "乱停车,违停,占用消防通道,堵路,停车", handle_limit_days=2,
               grid_self_handling_allowed=True),
    DemoMatter("交通信号灯故障", "交通运输", "GA", "红绿灯,信号灯,交通灯,灯不亮", urgency=Urgency.URGENT,
               handle_limit_days=1, urgent_limit_hours=4),
    DemoMatter("共享单车乱停放", "交通运输", "JT", "共享单车,电动车,乱停放,单车", handle_limit_days=2,
               grid_self_handling_allowed=True),
    # 劳动和社会保障
    DemoMatter("欠薪", "劳动和社会保障", "RS", "欠薪,拖欠工资,讨薪,工资,农民工,不发工资", handle_limit_days=7),
    DemoMatter("社保缴纳", "劳动和社会保障", "RS", "社保,养老保险,缴费,医保,断缴"),
    DemoMatter("劳动合同纠纷", "劳动和社会保障", "RS", "劳动合同,辞退,加班费,赔偿,试用期", handle_limit_days=10),
    DemoMatter("就业与培训", "劳动和社会保障", "RS", "就业,培训,招聘,失业,补贴"),
    DemoMatter("工伤认定", "劳动和社会保障", "RS", "工伤,工伤认定,受伤,伤残鉴定", handle_limit_days=10),
    # 教育文体
    DemoMatter("校外培训机构", "教育文体", "JY", "培训机构,补课,退费,辅导班"),
    DemoMatter("入学政策", "教育文体", "JY", "入学,学区,招生,转学,幼儿园,学位"),
    DemoMatter("校园周边安全", "教育文体", "JY", "学校,校门口,学生,放学,接送"),
    DemoMatter("体育设施损坏", "教育文体", "JY", "健身器材,体育场,篮球场,运动场", grid_self_handling_allowed=True),
    # 卫生计生
    DemoMatter("医疗服务投诉", "卫生计生", "WJ", "医院,医生,看病,挂号,护士,收费"),
    DemoMatter("非法行医", "卫生计生", "WJ", "黑诊所,非法行医,无证行医,游医", handle_limit_days=7),
    DemoMatter("疫苗接种", "卫生计生", "WJ", "疫苗,接种,打针,预防针"),
    DemoMatter("病媒生物防制", "卫生计生", "WJ", "老鼠,蟑螂,蚊子,苍蝇,消杀"),
    DemoMatter("生育服务", "卫生计生", "WJ", "生育,二孩,三孩,生育登记,计生"),
    # 商贸旅游
    DemoMatter("价格欺诈", "商贸旅游", "SJ", "价格,欺诈,明码标价,乱收费,宰客"),
    DemoMatter("食品安全", "商贸旅游", "SJ", "食品,变质,过期,食物中毒,卫生差", urgency=Urgency.URGENT,
               handle_limit_days=3, urgent_limit_hours=24),
    DemoMatter("预付卡退费", "商贸旅游", "SW", "预付卡,办卡,退卡,跑路,充值", handle_limit_days=10),
    DemoMatter("无证照经营", "商贸旅游", "SJ", "无照经营,无证,营业执照,黑作坊"),
    DemoMatter("旅游投诉", "商贸旅游", "SW", "旅游,景区,导游,门票,旅行社"),
)

COMPONENT_KINDS: tuple[tuple[str, str, str, float], ...] = (
    # (class, kind, owner department code, weight)
    (ComponentClass.PUBLIC_FACILITY, "污水井盖", "SWJ", 8), (ComponentClass.PUBLIC_FACILITY, "雨水井盖", "SWJ", 8),
    (ComponentClass.PUBLIC_FACILITY, "消防栓", "GA", 4), (ComponentClass.PUBLIC_FACILITY, "路灯", "CG", 12),
    (ComponentClass.PUBLIC_FACILITY, "电力箱", "ZJ", 3),
    (ComponentClass.ROAD_TRAFFIC, "交通信号灯", "GA", 3), (ComponentClass.ROAD_TRAFFIC, "道路护栏", "JT", 4),
    (ComponentClass.ROAD_TRAFFIC, "公交站亭", "JT", 3), (ComponentClass.ROAD_TRAFFIC, "交通标志牌", "JT", 4),
    (ComponentClass.CITY_APPEARANCE, "垃圾桶", "CG", 12), (ComponentClass.CITY_APPEARANCE, "垃圾房", "CG", 4),
    (ComponentClass.CITY_APPEARANCE, "公共厕所", "CG", 2), (ComponentClass.CITY_APPEARANCE, "户外广告牌", "CG", 3),
    (ComponentClass.LANDSCAPING, "行道树", "CG", 10), (ComponentClass.LANDSCAPING, "绿地", "CG", 4),
    (ComponentClass.LANDSCAPING, "花坛", "CG", 3),
    (ComponentClass.HOUSING_LAND, "危旧房屋", "ZJ", 1), (ComponentClass.HOUSING_LAND, "空置地块", "ZJ", 1),
    (ComponentClass.OTHER, "治安监控", "GA", 5), (ComponentClass.OTHER, "健身器材", "JY", 3),
)


@dataclass
class _GeneratedArea:
    code: str
    name: str
    level: str
    parent_code: str | None
    path: str
    geometry: BaseGeometry
    population: int = 0
    households: int = 0


def _meters_to_degrees(x_meters: float, y_meters: float) -> tuple[float, float]:
    return x_meters / _METERS_PER_DEGREE_LONGITUDE, y_meters / _METERS_PER_DEGREE_LATITUDE


def _district_outline(rng: np.random.Generator) -> Polygon:
    vertex_count = 36
    phases = rng.uniform(0, 2 * math.pi, size=3)
    coordinates = []
    for index in range(vertex_count):
        angle = 2 * math.pi * index / vertex_count
        factor = 1.0 + 0.16 * math.sin(2 * angle + phases[0]) + 0.09 * math.sin(3 * angle + phases[1]) \
            + 0.05 * math.sin(5 * angle + phases[2]) + rng.uniform(-0.04, 0.04)
        radius = _RADIUS_METERS * factor
        dx, dy = _meters_to_degrees(radius * math.cos(angle), radius * math.sin(angle))
        coordinates.append((round(CENTRE_LONGITUDE + dx, 6), round(CENTRE_LATITUDE + dy, 6)))
    return Polygon(coordinates)


def _random_points_inside(geometry: BaseGeometry, count: int, rng: np.random.Generator) -> list[Point]:
    min_x, min_y, max_x, max_y = geometry.bounds
    shapely.prepare(geometry)
    points: list[Point] = []
    while len(points) < count:
        candidates: NDArray[np.object_] = np.asarray(
            shapely.points(rng.uniform(min_x, max_x, count * 4), rng.uniform(min_y, max_y, count * 4)), dtype=object)
        inside = candidates[shapely.contains(geometry, candidates)]
        points.extend(inside[: count - len(points)])
    return points


def _partition(parent: BaseGeometry, count: int, rng: np.random.Generator) -> list[BaseGeometry]:
    """Split ``parent`` into ``count`` polygonal cells (relaxed Voronoi), exactly covering it."""
    seeds = _random_points_inside(parent, count, rng)
    for _relaxation in range(2):
        cells = _voronoi_cells(parent, seeds)
        seeds = [cell.point_on_surface() if not parent.contains(cell.centroid) else cell.centroid for cell in cells]
    return _voronoi_cells(parent, seeds)


def _voronoi_cells(parent: BaseGeometry, seeds: Sequence[Point]) -> list[BaseGeometry]:
    diagram = shapely.voronoi_polygons(shapely.MultiPoint(list(seeds)), extend_to=parent.buffer(0.01))
    cells: list[BaseGeometry] = []
    for region in diagram.geoms:
        clipped = polygonal_part(shapely.intersection(region, parent))
        if clipped is not None and clipped.area > 0:
            cells.append(clipped)
    # Order cells north-west to south-east so numbering reads like a map.
    cells.sort(key=lambda cell: (-round(cell.centroid.y, 3), cell.centroid.x))
    return cells


def _allocate(total: int, weights: Sequence[float], minimum: int) -> list[int]:
    """Split ``total`` proportionally to ``weights`` (largest remainder), each share at least ``minimum``."""
    spare = total - minimum * len(weights)
    weight_sum = sum(weights)
    exact = [spare * weight / weight_sum for weight in weights]
    shares = [math.floor(value) for value in exact]
    order = sorted(range(len(weights)), key=lambda index: -(exact[index] - shares[index]))
    for index in order[: spare - sum(shares)]:
        shares[index] += 1
    return [share + minimum for share in shares]


def _generate_areas(rng: np.random.Generator) -> list[_GeneratedArea]:
    district_geometry = _district_outline(rng)
    district = _GeneratedArea(DISTRICT_CODE, DISTRICT_NAME, AreaLevel.DISTRICT, None, f"/{DISTRICT_CODE}/",
                              district_geometry)
    areas = [district]
    street_geometries = _partition(district_geometry, len(STREET_NAMES), rng)
    community_words = list(rng.permutation(np.array(PLACE_WORDS)))
    community_counts = _allocate(COMMUNITY_COUNT, [geometry.area for geometry in street_geometries], minimum=4)
    community_geometries_by_street = []
    for street_geometry, community_count in zip(street_geometries, community_counts, strict=True):
        community_geometries_by_street.append(_partition(street_geometry, community_count, rng))
    all_community_areas = [geometry.area for geometries in community_geometries_by_street for geometry in geometries]
    grid_counts = iter(_allocate(GRID_COUNT, all_community_areas, minimum=3))
    for street_index, (street_geometry, community_geometries) in enumerate(
            zip(street_geometries, community_geometries_by_street, strict=True), start=1):
        street_code = f"{DISTRICT_CODE}{street_index:03d}"
        street_path = f"{district.path}{street_code}/"
        street_suffix = "镇" if STREET_NAMES[street_index - 1].endswith("镇") else "街道"
        areas.append(_GeneratedArea(street_code, STREET_NAMES[street_index - 1], AreaLevel.STREET, DISTRICT_CODE,
                                    street_path, street_geometry))
        for community_index, community_geometry in enumerate(community_geometries, start=1):
            community_code = f"{street_code}{community_index:03d}"
            community_path = f"{street_path}{community_code}/"
            word = str(community_words.pop())
            community_name = f"{word}村" if street_suffix == "镇" and community_index % 3 == 0 else f"{word}社区"
            areas.append(_GeneratedArea(community_code, community_name, AreaLevel.COMMUNITY, street_code,
                                        community_path, community_geometry))
            for grid_index, grid_geometry in enumerate(_partition(community_geometry, next(grid_counts), rng),
                                                       start=1):
                grid_code = f"{community_code}{grid_index:03d}"
                population = int(rng.integers(600, 3600))
                areas.append(_GeneratedArea(
                    grid_code, f"{community_name}第{grid_index}网格", AreaLevel.GRID, community_code,
                    f"{community_path}{grid_code}/", grid_geometry, population=population,
                    households=round(population / rng.uniform(2.4, 3.0)),
                ))
    _add_overlays(areas, district_geometry, rng)
    _sum_population(areas)
    return areas


def _add_overlays(areas: list[_GeneratedArea], district_geometry: BaseGeometry, rng: np.random.Generator) -> None:
    def blob(centre_x: float, centre_y: float, radius_meters: float) -> Polygon:
        coordinates = []
        for index in range(24):
            angle = 2 * math.pi * index / 24
            radius = radius_meters * (1.0 + rng.uniform(-0.15, 0.15))
            dx, dy = _meters_to_degrees(radius * math.cos(angle), radius * 0.8 * math.sin(angle))
            coordinates.append((centre_x + dx, centre_y + dy))
        return Polygon(coordinates)

    zone_dx, zone_dy = _meters_to_degrees(3_500.0, 2_500.0)
    zone_geometry = polygonal_part(blob(CENTRE_LONGITUDE + zone_dx, CENTRE_LATITUDE + zone_dy, 2_600.0)
                                   .intersection(district_geometry))
    if zone_geometry is None:
        raise RuntimeError("demo overlay zone fell outside the district; change the overlay offsets")
    park_dx, park_dy = _meters_to_degrees(3_900.0, 2_700.0)
    park_geometry = polygonal_part(blob(CENTRE_LONGITUDE + park_dx, CENTRE_LATITUDE + park_dy, 900.0)
                                   .intersection(zone_geometry))
    if park_geometry is None:
        raise RuntimeError("demo overlay zones fell outside the district; change the overlay offsets")
    district_path = f"/{DISTRICT_CODE}/"
    areas.append(_GeneratedArea(ZONE_CODE, "天宁经济开发区", AreaLevel.ZONE, DISTRICT_CODE,
                                f"{district_path}{ZONE_CODE}/", zone_geometry))
    areas.append(_GeneratedArea(PARK_CODE, "智能制造产业园", AreaLevel.PARK, ZONE_CODE,
                                f"{district_path}{ZONE_CODE}/{PARK_CODE}/", park_geometry))


def _sum_population(areas: list[_GeneratedArea]) -> None:
    by_code = {area.code: area for area in areas}
    for area in sorted(areas, key=lambda item: -item.path.count("/")):
        if area.level in (AreaLevel.ZONE, AreaLevel.PARK) or area.parent_code is None:
            continue
        parent = by_code[area.parent_code]
        parent.population += area.population
        parent.households += area.households


def _reference_data_load() -> dict[str, Department]:
    district = Area.objects.get(code=DISTRICT_CODE)
    departments: dict[str, Department] = {}
    for code, name in DEPARTMENTS:
        departments[code], _created = Department.objects.update_or_create(
            code=code, defaults={"name": name, "area": district, "is_active": True})
    for street in Area.objects.filter(level=AreaLevel.STREET, path__startswith=district.path):
        code = f"JD-{street.code}"
        office_suffix = "人民政府" if street.name.endswith("镇") else "办事处"
        departments[code], _created = Department.objects.update_or_create(
            code=code, defaults={"name": f"{street.name}{office_suffix}", "area": street, "is_active": True})
    categories = {}
    for code, name in CATEGORIES:
        categories[name], _created = MatterCategory.objects.update_or_create(code=code, defaults={"name": name})
    for index, matter in enumerate(MATTERS, start=1):
        Matter.objects.update_or_create(code=f"M{index:03d}", defaults={
            "name": matter.name, "category": categories[matter.category],
            "department": departments[matter.department], "keywords": matter.keywords, "urgency": matter.urgency,
            "accept_limit_hours": 1 if matter.urgency != Urgency.NORMAL else 2,
            "handle_limit_days": matter.handle_limit_days, "reply_limit_days": 1,
            "urgent_limit_hours": matter.urgent_limit_hours,
            "grid_self_handling_allowed": matter.grid_self_handling_allowed, "is_active": True,
        })
    return departments


def _unique_names(rng: np.random.Generator, suffixes: Sequence[str], count: int, taken: set[str]) -> list[str]:
    combinations = [f"{word}{suffix}" for word in PLACE_WORDS for suffix in suffixes]
    names = []
    for index in rng.permutation(len(combinations)):
        name = combinations[int(index)]
        if name not in taken:
            taken.add(name)
            names.append(name)
        if len(names) == count:
            break
    return names


def _generate_addresses(rng: np.random.Generator, district_geometry: BaseGeometry, index: GridIndex,
                        street_name_by_grid: dict[int, str], example_compound_centre: Point) -> list[dict[str, Any]]:
    taken: set[str] = set()
    # The example addresses ("红梅街道北环新村12幢", "竹林路12号") exist in the demo district.
    taken.update((EXAMPLE_ROAD, EXAMPLE_COMPOUND))
    roads = [EXAMPLE_ROAD, *_unique_names(rng, ROAD_SUFFIXES, ROAD_COUNT - 1, taken)]
    compounds = [EXAMPLE_COMPOUND, *_unique_names(rng, COMPOUND_SUFFIXES, 1_400, taken)]
    addresses: list[dict[str, Any]] = []
    # Roads: a straight segment each; odd numbers on the left, even on the right, every 30 m.
    for road in roads:
        if road == EXAMPLE_ROAD:
            start_x, start_y = CENTRE_LONGITUDE, CENTRE_LATITUDE
        else:
            start_x, start_y = _random_points_inside(district_geometry, 1, rng)[0].coords[0]
        angle = rng.uniform(0, math.pi)
        length_meters = rng.uniform(1_500, 3_600)
        steps = int(length_meters // 30)
        along = np.arange(steps) * 30.0
        side = np.where(np.arange(steps) % 2 == 0, 1.0, -1.0) * 15.0
        x_meters = along * math.cos(angle) - side * math.sin(angle)
        y_meters = along * math.sin(angle) + side * math.cos(angle)
        longitudes = start_x + x_meters / _METERS_PER_DEGREE_LONGITUDE
        latitudes = start_y + y_meters / _METERS_PER_DEGREE_LATITUDE
        grid_positions = index.locate(longitudes, latitudes)
        for step in range(steps):
            if grid_positions[step] == OUTSIDE:
                continue
            addresses.append({"road": road, "road_number": f"{step + 1}号", "compound": "", "building": "",
                              "grid_position": int(grid_positions[step]),
                              "longitude": float(longitudes[step]), "latitude": float(latitudes[step])})
    # Compounds (小区): buildings scattered within ~120 m of the compound's centre.
    for compound in compounds:
        if len(addresses) >= ADDRESS_COUNT:
            break
        if compound == EXAMPLE_COMPOUND:
            centre_x, centre_y = example_compound_centre.x, example_compound_centre.y
            building_count = 24
            offsets = rng.uniform(-60, 60, size=(building_count, 2))
        else:
            centre_x, centre_y = _random_points_inside(district_geometry, 1, rng)[0].coords[0]
            building_count = min(int(rng.integers(6, 25)), ADDRESS_COUNT - len(addresses))
            offsets = rng.uniform(-120, 120, size=(building_count, 2))
        longitudes = centre_x + offsets[:, 0] / _METERS_PER_DEGREE_LONGITUDE
        latitudes = centre_y + offsets[:, 1] / _METERS_PER_DEGREE_LATITUDE
        grid_positions = index.locate(longitudes, latitudes)
        for building in range(building_count):
            if grid_positions[building] == OUTSIDE:
                continue
            addresses.append({"road": "", "road_number": "", "compound": compound, "building": f"{building + 1}幢",
                              "grid_position": int(grid_positions[building]),
                              "longitude": float(longitudes[building]), "latitude": float(latitudes[building])})
    for address in addresses:
        grid = index.grids[address["grid_position"]]
        street_name = street_name_by_grid[grid.grid_id]
        place = f"{address['road']}{address['road_number']}" or f"{address['compound']}{address['building']}"
        address["full_text"] = f"{CITY_PREFIX}{DISTRICT_NAME}{street_name}{place}"
    return addresses[:ADDRESS_COUNT]


def _generate_components(rng: np.random.Generator, district_geometry: BaseGeometry,
                         index: GridIndex) -> list[dict[str, Any]]:
    weights = np.array([kind[3] for kind in COMPONENT_KINDS])
    kinds = rng.choice(len(COMPONENT_KINDS), size=COMPONENT_COUNT, p=weights / weights.sum())
    points = _random_points_inside(district_geometry, COMPONENT_COUNT, rng)
    longitudes = np.array([point.x for point in points])
    latitudes = np.array([point.y for point in points])
    grid_positions = index.locate(longitudes, latitudes)
    in_service = rng.random(COMPONENT_COUNT) > 0.05
    components = []
    for number in range(COMPONENT_COUNT):
        if grid_positions[number] == OUTSIDE:
            continue
        component_class, kind, owner_code, _weight = COMPONENT_KINDS[int(kinds[number])]
        components.append({"component_class": component_class, "kind": kind, "owner_code": owner_code,
                           "grid_position": int(grid_positions[number]), "longitude": float(longitudes[number]),
                           "latitude": float(latitudes[number]), "is_in_service": bool(in_service[number])})
    return components


def load_demo(*, seed: int, stdout: TextIO) -> None:
    """Create the synthetic demo district, reference data, addresses and components (idempotent)."""
    if Area.objects.filter(code=DISTRICT_CODE).exists():
        with transaction.atomic():
            _reference_data_load()
        stdout.write(f"  geo: 演示区 {DISTRICT_NAME}({DISTRICT_CODE}) 已存在，仅更新部门与权责清单。\n")
        return
    rng = np.random.default_rng(seed)
    areas = _generate_areas(rng)
    stdout.write(f"  geo: 生成 {len(areas)} 个区域（合成边界）…\n")
    with transaction.atomic():
        ids_by_code: dict[str, int] = {}
        for level in (AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY, AreaLevel.GRID, AreaLevel.ZONE,
                      AreaLevel.PARK):
            rows = [
                Area(code=area.code, name=area.name, level=area.level,
                     parent_id=ids_by_code[area.parent_code] if area.parent_code else None, path=area.path,
                     population=area.population, households=area.households, is_synthetic=True,
                     **area_geometry_fields(area.geometry))
                for area in areas if area.level == level
            ]
            Area.objects.bulk_create(rows, batch_size=200)
            ids_by_code.update(Area.objects.filter(code__in=[row.code for row in rows]).values_list("code", "id"))
        departments = _reference_data_load()
        names_by_code = {area.code: area.name for area in areas}
        grid_areas = sorted((area for area in areas if area.level == AreaLevel.GRID), key=lambda item: item.path)
        index = GridIndex(
            [IndexedGrid(ids_by_code[area.code], area.code, area.name, area.path, "", "") for area in grid_areas],
            [area.geometry for area in grid_areas],
        )
        street_name_by_grid = {ids_by_code[area.code]: names_by_code[area.path.split("/")[2]] for area in grid_areas}
        district_geometry = areas[0].geometry
        example_street = next(area for area in areas if area.name == EXAMPLE_STREET)
        example_grid = next(area for area in grid_areas if area.path.startswith(example_street.path))
        addresses = _generate_addresses(rng, district_geometry, index, street_name_by_grid,
                                        example_grid.geometry.point_on_surface())
        Address.objects.bulk_create([
            Address(code=f"{DISTRICT_CODE}A{number:07d}", full_text=address["full_text"], road=address["road"],
                    road_number=address["road_number"], compound=address["compound"], building=address["building"],
                    grid_id=index.grids[address["grid_position"]].grid_id, longitude=round(address["longitude"], 7),
                    latitude=round(address["latitude"], 7))
            for number, address in enumerate(addresses, start=1)
        ], batch_size=1000)
        components = _generate_components(rng, district_geometry, index)
        Component.objects.bulk_create([
            Component(code=f"{DISTRICT_CODE}B{number:07d}", component_class=component["component_class"],
                      kind=component["kind"], grid_id=index.grids[component["grid_position"]].grid_id,
                      owner_department=departments[component["owner_code"]],
                      longitude=round(component["longitude"], 7), latitude=round(component["latitude"], 7),
                      is_in_service=component["is_in_service"])
            for number, component in enumerate(components, start=1)
        ], batch_size=1000)
        geo_data_version_bump()
    stdout.write(f"  geo: {len(addresses)} 个标准地址，{len(components)} 个部件，{len(DEPARTMENTS)} 个职能部门，"
                 f"{len(MATTERS)} 项权责事项（均为合成演示数据）。\n")
