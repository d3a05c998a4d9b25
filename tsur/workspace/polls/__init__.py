"""The operators' polls: the builder (a draft, its questions, preview, publish and close), the
results by territory with charts, and their exports (tsur.polls does the changes and the counts)."""
