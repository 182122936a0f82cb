"""What an alert says, independent of where it goes: every channel renders one of these in its own format.

All text fields except the URLs are untrusted (they come from events): each transport escapes them for its
medium (HTML, Slack mrkdwn, Discord markdown and mentions, email headers) and cuts them to its limits.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IssueSummary:
    """An issue as a message shows it."""

    title: str
    culprit: str
    short_id: str  # "BACKEND-42"
    level: str
    url: str  # absolute, built from TRACEHOUND_URL
    times_seen: int
    users_seen: int
    environment: str = ""  # of the event that caused the alert
    release: str = ""
    issue_id: int = 0  # threads email messages of one issue


@dataclass(frozen=True)
class Message:
    """One message to one channel.

    kind "alert": `headline` names the trigger ("New issue", "Regression", "Escalating", "120 events in 5
    minutes") and `issue` the issue. kind "summary" (a storm) and "held_notice" (over the hourly cap): `total`
    alerts, the largest `issues` listed, `list_url` to see them all. kind "test": a channel test from its page.
    """

    kind: str  # "alert", "summary", "held_notice", "test"
    delivery_id: str  # stable across retries: receivers drop duplicates by it
    project_name: str
    project_slug: str
    headline: str
    issue: IssueSummary | None = None
    issues: list[IssueSummary] = field(default_factory=list)
    total: int = 0
    list_url: str = ""

    @property
    def subject(self) -> str:
        """One line: `[shop-backend] New issue: ZeroDivisionError: division by zero` (untrusted text inside)."""
        if self.issue is not None:
            return f"[{self.project_slug}] {self.headline}: {self.issue.title}"
        return f"[{self.project_slug}] {self.headline}"
