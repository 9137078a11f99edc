"""KPI: the contact centre's service KPIs, for Prometheus, Grafana and reports."""
