"""The HTML report (``--format html``): one self-contained file for the director.

Everything is inline — CSS in a ``<style>`` element, charts as inline SVG
(matplotlib, text kept as text), no scripts, no web fonts, no external
resources — so the file opens offline and prints (print CSS: A4, no page
breaks inside tables rows or charts). The page reads top-down in the order a
reader asks: the verdict and every failed criterion; vetoes with their evidence;
the county's difference coefficients against their limits; each indicator's
distribution across schools with the requirement line; the schools that fail
with their gaps in real units; the score sheet (评分自查表); criteria not
evaluated; data issues; excluded schools; provenance.

The template is ``templates/report.html.j2`` (package data), rendered by jinja2
with autoescaping on; only the SVG produced here is marked safe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from ..formula import at_least, at_most
from ..results import CountyResult, Report
from ..ruleset import STAGES
from ..text import replace_unsafe
from . import _view as v
from . import charts

#: charts are drawn for at most this many counties (a province-wide report stays readable)
MAX_CHART_COUNTIES = 12
#: failing-school rows shown per county (the XLSX ledger has them all)
MAX_GAP_ROWS = 400


def _env():
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("junheng.outputs", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = v.num
    env.filters["stage"] = v.stage_title
    env.globals["Markup"] = Markup
    return env, Markup


def _county_context(
    report: Report,
    county: CountyResult,
    k: int,
    Markup,
    gaps: list[v.Gap],
    failing_units: set[tuple[str, str]],
) -> dict[str, Any]:
    rs = report.ruleset
    draw = k < MAX_CHART_COUNTIES
    cv_blocks = []
    for g in county.groups:
        rows = list(g.indicators.values())
        svg = None
        if draw and rows:
            labels = [st.title for st in rows]
            cvs = [st.cv for st in rows]
            lims = [st.limit for st in rows]
            if g.composite_cv is not None:
                labels.append("综合差异系数")
                cvs.append(g.composite_cv)
                lims.append(g.composite_limit)
            svg = Markup(charts.cv_chart(labels, cvs, lims))
        cv_blocks.append({"group": g, "rows": rows, "svg": svg})

    dists = []
    if draw:
        means = {(g.stage, i): st.mean for g in county.groups for i, st in g.indicators.items()}
        ids = [i for i in rs.indicators if i in report.schools.env]
        for stage in STAGES:
            if stage not in {g.stage for g in county.groups}:
                continue
            for iid in ids:
                ind = rs.indicators[iid]
                if ind.threshold is None and (stage, iid) not in means:
                    continue
                vals = v.stage_values(report, county.county_code, stage, iid)
                if vals.size == 0:
                    continue
                thr = ind.threshold.get(stage) if ind.threshold else None
                failing = 0
                if thr is not None:
                    met = at_least(vals, thr) if ind.direction == "min" else at_most(vals, thr)
                    failing = int((~met & ~np.isnan(vals)).sum())
                dists.append(
                    {
                        "stage": stage,
                        "title": ind.meta.title,
                        "id": iid,
                        "threshold": thr,
                        "direction": ind.direction,
                        "unit": ind.unit,
                        "n": int(vals.size),
                        "failing": failing,
                        "svg": Markup(
                            charts.distribution_chart(
                                vals,
                                threshold=thr,
                                direction=ind.direction,
                                mean=means.get((stage, iid)),
                                unit=ind.unit,
                            )
                        ),
                    }
                )
    by_school: dict[tuple[str, str], list[v.Gap]] = {}
    partial: dict[tuple[str, str], list[v.Gap]] = {}
    for gap in gaps:
        key = (gap.school_id, gap.stage)
        (by_school if key in failing_units else partial).setdefault(key, []).append(gap)
    veto_rows = []
    for c in county.vetoes:
        veto = rs.vetoes.get(c.id)
        veto_rows.append({"c": c, "condition": veto.when.text if veto else ""})
    return {
        "county": county,
        "title": v.county_title(county),
        "failed": county.failed_criteria,
        "not_evaluated": county.not_evaluated,
        "vetoes": veto_rows,
        "cv_blocks": cv_blocks,
        "charts_drawn": draw,
        "dists": dists,
        "failing_schools": list(by_school.values())[:MAX_GAP_ROWS],
        "failing_count": len(by_school),
        "gap_rows_capped": len(by_school) > MAX_GAP_ROWS,
        "partial_schools": list(partial.values())[:MAX_GAP_ROWS],
        "score_rows": v.score_rows(county),
        "score_reading": v.score_reading(county),
    }


def render(report: Report) -> bytes:
    env, Markup = _env()
    by_county = v.gaps_by_county(report)
    failing = v.failing_units(report)
    counties = [
        _county_context(report, c, k, Markup, by_county.get(c.county_code, []), failing)
        for k, c in enumerate(report.counties)
    ]
    prov = dict(report.provenance)
    context = {
        "report": report,
        "rs": report.ruleset,
        "counties": counties,
        "passed": report.passed,
        "prov": prov,
        "inputs": prov.get("inputs") or {},
        "issues": [i.to_dict() if hasattr(i, "to_dict") else dict(i) for i in report.data_issues],
        "excluded": report.schools.excluded(),
        "sections": v.sections(report),
        "documents": v.documents(report),
        "generated": prov.get("evaluated_at") or datetime.now().astimezone().isoformat(),
        "v": v,
        "max_chart_counties": MAX_CHART_COUNTIES,
    }
    # a character HTML cannot carry (a lone surrogate, a control character), from a
    # plugin's section or unvalidated records, is put out as U+FFFD, never a crash
    return replace_unsafe(env.get_template("report.html.j2").render(**context)).encode("utf-8")
