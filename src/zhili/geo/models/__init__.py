"""Tables of the geo app: the grid and its places (:mod:`.places`) and who answers for what — departments,
appeal categories and the matters catalogue, 权责清单 (:mod:`.responsibilities`)."""

from zhili.geo.models.places import (
    ADMINISTRATIVE_LEVELS,
    OVERLAY_LEVELS,
    PARENT_LEVEL,
    Address,
    Area,
    AreaLevel,
    Component,
    ComponentClass,
    GeoDataVersion,
)
from zhili.geo.models.responsibilities import Department, Matter, MatterCategory, Urgency

__all__ = ["ADMINISTRATIVE_LEVELS", "OVERLAY_LEVELS", "PARENT_LEVEL", "Address", "Area", "AreaLevel", "Component",
           "ComponentClass", "Department", "GeoDataVersion", "Matter", "MatterCategory", "Urgency"]
