"""Pure rules shared by the components and the environment loader (no Pulumi imports), so `inferstack
validate` refuses exactly what a component would refuse at preview, with the same words (issue 13, class 9)."""

from __future__ import annotations


def throttle_problem(rate: float, burst: int) -> str | None:
    """Why an API Gateway usage plan / stage throttle of `rate` requests per second and `burst` is refused.

    API Gateway's token bucket refills at `rate` and holds `burst` tokens; a bucket smaller than one second of
    the steady rate throttles traffic the rate allows (API Gateway Developer Guide, "Throttle requests to your
    REST APIs", read 2026-12-02), so the components require burst >= rate."""
    if not rate > 0 or burst < 1:
        return f"rate_per_second={rate} and burst={burst} must be > 0 and >= 1; set positive throttling limits"
    if burst < rate:
        return f"burst={burst} is below rate_per_second={rate}; raise burst to at least the rate"
    return None
