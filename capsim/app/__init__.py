"""``capsim app``: the what-if page, a local web page for planners.

The page (``page.py``, a Streamlit script) only lays out widgets; what it shows comes
from plain functions that the tests call directly: where a scenario comes from
(``sources``), the knobs and the scenario they make (``knobs``), and the answers,
baseline comparisons and downloads (``answers``). ``launch`` starts the server.
Streamlit is an optional extra: ``pip install 'capsim[app]'``.
"""
