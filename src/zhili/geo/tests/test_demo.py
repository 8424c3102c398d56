import io

import pytest
import shapely

from zhili.geo.demo import CENTRE_LATITUDE, CENTRE_LONGITUDE, DISTRICT_CODE, load_demo
from zhili.geo.geometry import geometry_from_wkb
from zhili.geo.models import Address, Area, AreaLevel, Component, Department, Matter, MatterCategory
from zhili.geo.selectors import address_candidates, grid_for_point
from zhili.geo.spatial_index import grid_index_current


@pytest.mark.django_db
def test_the_demo_district_is_a_synthetic_partition_around_tianning() -> None:
    output = io.StringIO()
    load_demo(seed=20260101, stdout=output)
    counts = {level: Area.objects.filter(level=level).count() for level in AreaLevel.values}
    assert counts == {"district": 1, "street": 8, "community": 60, "grid": 400, "zone": 1, "park": 1}
    assert not Area.objects.filter(is_synthetic=False).exists()
    assert Address.objects.count() == 20_000
    assert 2_500 < Component.objects.count() <= 3_000
    assert sorted(MatterCategory.objects.values_list("name", flat=True)) == sorted(
        ["城乡建设", "环境保护", "交通运输", "劳动和社会保障", "教育文体", "卫生计生", "商贸旅游"])
    assert Matter.objects.count() == 46
    assert Matter.objects.filter(grid_self_handling_allowed=True).count() == 9
    department_codes = set(Department.objects.values_list("code", flat=True))
    assert {"CG", "ZJ", "HB", "JT", "RS", "JY", "WJ", "SW", "SJ", "SWJ", "GA"} <= department_codes
    streets = Area.objects.filter(level=AreaLevel.STREET)
    assert {f"JD-{street.code}" for street in streets} <= department_codes

    # The centre of Tianning lies inside a grid, and the grids partition the district exactly.
    centre = grid_for_point(longitude=CENTRE_LONGITUDE, latitude=CENTRE_LATITUDE)
    assert centre is not None
    assert centre.path.startswith(f"/{DISTRICT_CODE}/")
    district = geometry_from_wkb(Area.objects.get(code=DISTRICT_CODE).geometry_wkb)
    grids = [geometry_from_wkb(wkb) for wkb in Area.objects.filter(level=AreaLevel.GRID)
             .values_list("geometry_wkb", flat=True)]
    union = shapely.union_all(grids)
    assert district.symmetric_difference(union).area / district.area < 1e-9
    assert abs(sum(grid.area for grid in grids) - union.area) / union.area < 1e-9
    extent_longitude = district.bounds[2] - district.bounds[0]
    assert 0.12 < extent_longitude < 0.22  # about 15 km at 31.8°N

    # Every address lies in the grid it names.
    sample = list(Address.objects.order_by("id").values_list("longitude", "latitude", "grid__code"))[::97]
    index = grid_index_current()
    positions = index.locate([row[0] for row in sample], [row[1] for row in sample])
    assert [index.grids[position].grid_code for position in positions] == [row[2] for row in sample]

    # The example caller addresses are matched.
    best = address_candidates("红梅街道北环新村12幢东边那个垃圾房")[0]
    assert best.full_text.endswith("红梅街道北环新村12幢")
    assert address_candidates("天宁区竹林路１２号")[0].full_text.endswith("竹林路12号")

    # Running again changes nothing.
    grid_ids = list(Area.objects.order_by("id").values_list("id", flat=True))
    load_demo(seed=20260101, stdout=output)
    assert list(Area.objects.order_by("id").values_list("id", flat=True)) == grid_ids
    assert Address.objects.count() == 20_000
    assert "已存在" in output.getvalue()
