"""ftm-graph: Zacatecas public finance as a linked-open-data graph."""

__version__ = "0.1.0"
