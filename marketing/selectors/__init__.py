"""Marketing reads, one module per subdomain."""
