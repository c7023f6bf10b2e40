"""Customer-service reads, one module per subdomain; other apps (finance, reports) read through these."""
