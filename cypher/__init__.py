"""The named query library, one ``.cypher`` file per query (docs/query-reference.md).

Installs as the data package ``erm_graph.cypher`` (``package-dir`` in pyproject.toml), so the
files are found through ``erm_graph.resources`` in a checkout and an installed wheel alike.
"""
