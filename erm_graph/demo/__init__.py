"""A seeded, deterministic demo enterprise (see :mod:`erm_graph.demo.facts`)."""
