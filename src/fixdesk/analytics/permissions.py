"""The analytics domain's permission (declared with its grants in :mod:`fixdesk.analytics.manifest`)."""

from __future__ import annotations

# Business analytics (revenue, turnaround, satisfaction).
ANALYTICS_READ = "analytics:read"
