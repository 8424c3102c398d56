"""Synthetic enterprise figures (demo, tests, benchmark): plausible, skewed, with the bad cases a
real year has (refunds, missing emissions, electricity instead of energy, tiny 规下 plots, vetoes)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def synthetic_columns(*, size: int, seed: int, year: int = 2025) -> dict[str, FloatArray]:
    """Engine columns for ``size`` enterprises, deterministic from ``seed``."""
    rng = np.random.default_rng(seed)
    above_scale = (rng.random(size) < 0.7).astype(np.float64)
    land = np.round(np.where(above_scale > 0, rng.lognormal(3.6, 0.7, size), rng.lognormal(1.6, 0.8, size)), 2)
    productivity = rng.lognormal(0.0, 0.6, size)  # the enterprise's efficiency, shared by its figures
    sales = np.round(land * 320.0 * productivity * rng.lognormal(0.0, 0.25, size), 1)
    tax = np.round(sales * 0.045 * rng.lognormal(0.0, 0.35, size), 1)
    refund = rng.random(size) < 0.01
    tax = np.where(refund, -np.abs(tax) * 0.2, tax)  # 留抵退税 larger than the tax paid
    added_value = np.round(sales * 0.24 * rng.lognormal(0.0, 0.2, size), 1)
    energy = np.round(sales * 0.06 * rng.lognormal(0.0, 0.5, size), 1)
    electricity = np.round(energy / 1.229 * rng.lognormal(0.0, 0.1, size), 2)
    energy_missing = rng.random(size) < 0.15
    energy = np.where(energy_missing, np.nan, energy)
    emitter = rng.random(size) < 0.8
    cod = np.where(emitter, np.round(sales * 0.0004 * rng.lognormal(0.0, 0.6, size), 3), 0.0)
    ammonia = np.round(cod * 0.08, 3)
    so2 = np.where(emitter, np.round(energy * 0.002 * rng.lognormal(0.0, 0.5, size), 3), 0.0)
    nox = np.where(emitter, np.round(sales * 0.0003 * rng.lognormal(0.0, 0.5, size), 3), 0.0)
    emission_missing = rng.random(size) < 0.08
    for pollutant in (cod, ammonia, so2, nox):
        pollutant[emission_missing] = np.nan
    rd = np.round(sales * np.clip(rng.normal(0.02, 0.015, size), 0.0, None), 1)
    employees = np.maximum(5, np.round(land * 1.8 * rng.lognormal(0.0, 0.4, size)))
    start_year = np.where(rng.random(size) < 0.04, year - rng.integers(0, 2, size), year - rng.integers(2, 30, size))
    return {
        "tax": tax.astype(np.float64), "sales": sales, "added_value": added_value, "energy_tce": energy,
        "electricity": electricity, "cod": cod, "ammonia": ammonia, "so2": so2, "nox": nox, "rd": rd,
        "employees": employees.astype(np.float64), "land_mu": land.astype(np.float64),
        "high_tech": (rng.random(size) < 0.15).astype(np.float64),
        "environmental_penalties": (rng.random(size) < 0.05).astype(np.float64),
        "major_safety_incident": (rng.random(size) < 0.003).astype(np.float64),
        "major_environment_incident": (rng.random(size) < 0.002).astype(np.float64),
        "above_scale": above_scale, "production_start_year": start_year.astype(np.float64),
        "public_utility": (rng.random(size) < 0.01).astype(np.float64),
    }


def columns_to_rows(columns: dict[str, FloatArray]) -> list[dict[str, float]]:
    names = list(columns)
    lists = [columns[name].tolist() for name in names]
    return [dict(zip(names, values, strict=True)) for values in zip(*lists, strict=True)]
