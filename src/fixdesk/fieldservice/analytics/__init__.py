"""Field analytics (issue 11, item 9; seed 001's ``/analytics/dashboard``, ``/analytics/equipment-health``
and ``/analytics/customer-intelligence``)."""
