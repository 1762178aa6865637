"""Customer notifications: the outbox written with each event, channel preferences, the delivery worker."""
