"""The custom fields' permissions (declared with their grants in :mod:`fixdesk.customfields.manifest`)."""

from __future__ import annotations

# Custom field definitions: staff read them to render forms, admins define them.
CUSTOM_FIELDS_READ = "custom_fields:read"
CUSTOM_FIELDS_MANAGE = "custom_fields:manage"
