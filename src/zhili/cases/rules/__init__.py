"""Pure rules of the cases domain (no ORM): the KPI formulas."""
