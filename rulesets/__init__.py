"""Ruleset TOML files, one folder per publisher (national, jiangxi, ...), shipped as package data."""
