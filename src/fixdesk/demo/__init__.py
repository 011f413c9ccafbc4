"""The demo shop: believable data for trying Fixdesk out and for benchmarking it.

* :mod:`fixdesk.demo.devices` is pure data: 800+ real device models (brand, type, release year, tier),
  intake issue descriptions per device type, cosmetic conditions and status-change notes.
* :mod:`fixdesk.demo.loader` fills an empty database with a repair shop built from that data:
  :func:`~fixdesk.demo.loader.load_demo` creates the staff (``admin@``, ``manager@``, ``tech@``,
  ``tech2@``, ``front-desk@example.com``), a portal customer (``customer@example.com``), all with the
  password ``fixdesk-demo``, 200 customers and 1,000 repairs with full status histories over the past
  12 months per unit of ``scale``. ``fixdesk demo [--scale N]`` and ``fixdesk serve --demo`` (on an
  empty database) call it; ``benchmarks/demo_scale.py`` times it on PostgreSQL.
"""
