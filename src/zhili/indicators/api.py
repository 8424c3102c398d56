"""API routes of the indicators app."""

from ninja import Router

router = Router(tags=["indicators"])
