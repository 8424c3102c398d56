"""API routes of the textintel app."""

from ninja import Router

router = Router(tags=["textintel"])
