"""Customer-service writes, one module per subdomain: tickets, sla, knowledge, feedback, keywords, returns,
compensation, surveys."""
