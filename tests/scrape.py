"""Reading a Prometheus /metrics page with prometheus_client's own text parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def value(page: str, name: str, **labels: str) -> float:
    """The sample `name{labels}` on the page (0.0 when absent: a counter not yet moved)."""
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def names(page: str) -> set[str]:
    return {s.name for f in text_string_to_metric_families(page) for s in f.samples}
