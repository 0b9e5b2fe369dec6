"""Rendering results for people (tables) and for programs (JSON, CSV files).

``common`` holds what every rendering shares (JSON-safe values, atomic files,
CSV); one module per result: ``run``, ``staffing`` (size), ``sweep``, ``stress``.
"""

from capsim.output.common import atomic_write, json_ready, prepare_out_dir
from capsim.output.run import format_table, summary, write_run

__all__ = ["atomic_write", "format_table", "json_ready", "prepare_out_dir", "summary",
           "write_run"]
