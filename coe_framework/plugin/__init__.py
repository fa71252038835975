"""The plugin system's parts for plugin authors (``rag_helpers``: reading files and chunking for RAG documents)."""
