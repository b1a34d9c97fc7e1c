"""The bundled fictional sample county (schools.json, county.json) used by `junheng demo`."""
