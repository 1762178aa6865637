"""Operations: liveness and readiness of a process, and the store-side numbers its metrics report."""
