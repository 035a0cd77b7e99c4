"""Behaviour analytics: reports, funnels, engagement, retention; one SQL definition
per report, run on DuckDB (embedded) or on Apache Spark."""
