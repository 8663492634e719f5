"""Operations: Prometheus metrics, structured logs and the health check (README, "Operations").

On the wiring floor: it reads every app's tables to report on them, and nothing imports it back.
"""
