"""Download writers of the enterprises app for the list pages (Excel).

Every row goes through ``zhili.core.spreadsheets``: text a user or a source file supplied (an
enterprise name, an objection, a department) is written as data, never as a formula.
"""

from __future__ import annotations



