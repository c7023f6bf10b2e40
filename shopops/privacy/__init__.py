"""Personal-data requests (PIPL / GDPR): export everything about one customer, erase (anonymise) a customer.

A top-layer app: it reads every app through its selectors and erases through each app's own service, in
one transaction. Admin only (pages `privacy:*`, commands `customer_export`, `customer_erase`)."""
