"""Ingestion: load -> clean -> structure -> chunk -> embed -> store.

Imports only `core` (the shared foundation); `ui` and `eval` import it.
"""
