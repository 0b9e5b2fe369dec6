"""Rendering results for people (tables) and for programs (JSON, CSV files).

``common`` holds what every rendering shares (JSON-safe values, CSV); ``folder``
writes output folders (built aside, swapped in whole, only ever capsim's own); one
module per result: ``run``, ``staffing`` (size), ``sweep``, ``stress``.
"""

from capsim.output.common import json_ready
from capsim.output.folder import Workspace, write_folder
from capsim.output.ownership import prepare_out_dir
from capsim.output.run import format_table, summary, write_run

__all__ = ["Workspace", "format_table", "json_ready", "prepare_out_dir", "summary",
           "write_folder", "write_run"]
