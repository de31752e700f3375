"""华容规划问答 — offline question answering over the Huarong District 14th Five-Year Plan proposal."""

__version__ = "0.1.0"
