"""erm-graph."""
