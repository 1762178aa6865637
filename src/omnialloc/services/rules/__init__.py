"""Business rules: managing them (admin) and running them at order time (runtime)."""
