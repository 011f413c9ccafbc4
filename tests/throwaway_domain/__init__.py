"""A throwaway domain, "gadgets", that exists only to show that adding a domain takes its package, its
migration (here: creating its one table) and one line in the list of domains, and nothing else: see
tests/test_domains.py::test_a_new_domain_plugs_in_through_its_manifest_alone.

Never imported by the application or by the test process itself (its table must stay out of the shipped
metadata); the check runs in a subprocess (:mod:`tests.throwaway_domain.check`)."""
