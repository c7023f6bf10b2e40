"""Demo data for ShopOps: `seed.seed_demo()` and the `seed_demo` management command."""
