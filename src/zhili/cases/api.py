"""API routes of the cases app."""

from ninja import Router

router = Router(tags=["cases"])
