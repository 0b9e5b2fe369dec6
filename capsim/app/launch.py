"""Starting the what-if page: Streamlit's server, local and quiet, in this process.

``capsim app [SCENARIO] [--port P] [--host H]`` calls :func:`serve`. The server binds
to ``127.0.0.1`` unless told otherwise, sends no usage statistics, opens no browser,
watches no files and needs no network: Streamlit serves the page's scripts and fonts
itself. Streamlit is an optional extra (``pip install 'capsim[app]'``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from capsim.errors import CapsimError

#: The Streamlit script of the page.
PAGE = Path(__file__).resolve().with_name("page.py")
#: Largest upload the page accepts, in megabytes (a scenario file is a few kilobytes).
MAX_UPLOAD_MB = 2


def flag_options(host: str, port: int) -> dict[str, Any]:
    """Streamlit's configuration for the page, as ``streamlit run`` flags give it."""
    return {
        "server_address": host,
        "server_port": port,
        "server_headless": True,
        "server_fileWatcherType": "none",
        "server_runOnSave": False,
        "server_maxUploadSize": MAX_UPLOAD_MB,
        "browser_gatherUsageStats": False,
        "browser_serverAddress": host,
        "global_developmentMode": False,
        "client_toolbarMode": "minimal",
        "client_showErrorDetails": "none",
    }


def serve(scenario: str | None, host: str, port: int) -> None:
    """Run the page's server until it is stopped (Ctrl-C or SIGTERM).

    Raises
    ------
    capsim.errors.CapsimError
        If Streamlit is not installed.
    """
    try:
        from streamlit import config
        from streamlit.web import bootstrap
    except ImportError:
        raise CapsimError("capsim app needs Streamlit: pip install 'capsim[app]'") from None
    options = flag_options(host, port)
    config._main_script_path = str(PAGE)  # where Streamlit looks for its config files
    bootstrap.load_config_options(flag_options=options)
    bootstrap.run(str(PAGE), False, [scenario] if scenario else [], options)
