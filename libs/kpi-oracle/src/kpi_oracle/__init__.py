"""kpi's test oracle: an independent reference computation of every KPI and synthetic traffic,
for kpi's tests and benchmarks; never shipped with the service."""
