"""Business analytics: KPIs of orders, fulfilment, returns and notifications from the store (issue 28)."""
