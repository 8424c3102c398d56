"""Upload readers and download writers of the indicators app.

- :mod:`.plan_workbook`: the plan's Excel template (written for a plan, read back all-or-nothing);
- :mod:`.reports`: the evaluation reports (.docx, .xlsx, .pdf through LibreOffice).
"""
