"""Shared pytest configuration: tests run with the job queue in immediate mode."""

import os

os.environ.setdefault("ZHILI_TESTING", "1")
