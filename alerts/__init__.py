"""UN alerts: an outbox row per new UN-related article and channel, written with the article; a separate step
sends them (Apprise URLs, or a Prefect event from the flows) and records each delivery."""
