"""API routes of the geo app."""

from ninja import Router

router = Router(tags=["geo"])
