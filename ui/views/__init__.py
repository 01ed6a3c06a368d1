"""The app's pages, run by `st.navigation` in `ui/app.py` (scripts, not modules to import)."""
