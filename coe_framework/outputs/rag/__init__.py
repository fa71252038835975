"""Retrieval (RAG) documents: :mod:`.collect` asks plugins for them, :mod:`.overview`
is the framework's own overview document, :mod:`.storage` keeps them in the database."""
