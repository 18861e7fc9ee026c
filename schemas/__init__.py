"""The JSON schemas of the documents users hand in (mapping files, relationship maps).

Installs as the data package ``erm_graph.schemas`` (``package-dir`` in pyproject.toml), so the
files are found through ``erm_graph.resources`` in a checkout and an installed wheel alike.
"""
