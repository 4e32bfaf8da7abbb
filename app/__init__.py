"""The browser app's pages (``streamlit_app.py`` runs them): read widgets, call :mod:`estate`, render.

The only package besides ``streamlit_app.py`` that imports streamlit; no logic of its own.
"""
