"""JSON Schemas (draft 2020-12): school and county records, rulesets, reports."""
