"""The edges people use: the `kunskapsguide` command line and the Streamlit app (`ui/app.py`).

Pages are short scripts over `assistant`, `ingest` and `eval`; only this package imports
streamlit, and it holds no logic of its own.
"""
