"""Plain words for parameters and metrics, as every figure, table and report names them.

Parameters take their plain name and unit from the scenario schema
(:data:`ecosim.scenario.schema.LABELS` and each parameter's ``unit``), so a figure says "formal
training (per week)" where the scenario file says ``learning.socialisation``. Metrics take theirs
from :data:`METRICS`.
"""

from __future__ import annotations

#: Plain words for the summary metrics of a run (and the per-run metrics of a sweep), and how
#: each is shown: "pct" (a share, shown in percent) or "int" (a count).
METRICS = {
    "final_active_share": ("weekly active share at the end", "pct"),
    "peak_active_share": ("peak weekly active share", "pct"),
    "week_of_peak": ("week of the peak", "int"),
    "final_contributor_share": ("contributors at the end", "pct"),
    "ever_active_share": ("ever visited", "pct"),
    "ever_posted_share": ("ever posted", "pct"),
    "top1pct_post_share": ("posts by the top 1% of posters", "pct"),
    "top10pct_post_share": ("posts by the top 10% of posters", "pct"),
    "top1pct_everyone_post_share": ("posts by the top 1% of everyone", "pct"),
    "total_posts": ("posts by learners", "int"),
    "mean_knowledge_final": ("mean individual knowledge at the end", "pct"),
    "org_capability_final": ("capability on the organisation's topics", "pct"),
    "org_code_knowledge_final": ("organisational code knowledge at the end", "pct"),
}


def param(path: str, *, unit: bool = True) -> str:
    """A parameter's plain name, with its unit unless ``unit`` is False: "staff turnover (per year)"."""
    from ecosim.scenario.schema import param_info

    try:
        info = param_info(path)
    except KeyError:  # not a schema path (a derived column): its words
        return path.rsplit(".", 1)[-1].replace("_", " ")
    return info.label_with_unit if unit else info.label


def metric(name: str) -> str:
    """A metric's plain words: "weekly active share at the end"."""
    if name in METRICS:
        return METRICS[name][0]
    return name.replace("_", " ")


def is_share(name: str) -> bool:
    """Whether a metric is a share between 0 and 1."""
    if name in METRICS:
        return METRICS[name][1] == "pct"
    return name.endswith("_share") or "share" in name
