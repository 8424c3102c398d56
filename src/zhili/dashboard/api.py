"""API routes of the dashboard app."""

from ninja import Router

router = Router(tags=["dashboard"])
