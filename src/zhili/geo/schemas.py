"""Input/output schemas of the geo API."""

from __future__ import annotations

from ninja import Schema


class GridLocationOut(Schema):
    inside_district: bool
    longitude_wgs84: float
    latitude_wgs84: float
    grid_id: int | None = None
    grid_code: str | None = None
    grid_name: str | None = None
    path: str | None = None
    community_name: str | None = None
    street_name: str | None = None
    zone_codes: list[str] = []
    level: str | None = None  # grid, community, street or district: the finest boundary present at the point
    message: str = ""


class AddressCandidateOut(Schema):
    address_id: int
    full_text: str
    grid_id: int
    grid_code: str
    longitude: float
    latitude: float
    score: float


class GridWorkerOut(Schema):
    user_id: int
    name: str
    is_primary: bool


class GridCardOut(Schema):
    grid_id: int
    grid_code: str
    grid_name: str
    path: str
    street_name: str
    community_name: str
    workers: list[GridWorkerOut]
    address_count: int
    component_counts: dict[str, int]
    component_total: int
    components_out_of_service: int
    population: int
    households: int
