"""The issues' periodic sweep: auto-resolve issues quiet for their project's `auto_resolve_days`, and re-arm mutes
that asked for it (both through the triage service: issues/triage.py). Every minute, from Celery beat in
production and from a thread of the web process in the embedded default."""

from issues.triage import auto_resolve_stale_issues, rearm_quiet_issues

SWEEP_SECONDS = 60.0


def sweep_issues() -> tuple[int, int]:
    """(issues auto-resolved, issues re-armed) this round."""
    return len(auto_resolve_stale_issues()), len(rearm_quiet_issues())
