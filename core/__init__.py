"""The shared foundation: settings, errors, document types, text utilities, the store, the
embedding model and the local language model. Imported by `ingest`, `assistant`, `eval` and
`ui`; imports none of them. Importing it changes nothing (see `core.offline`)."""
