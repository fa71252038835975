"""The plugin system: hooks (``hookspecs``), the plugin manager (``manager``), the analyzer
contract (``contract``), the analysis context (``context``), RAG reading and chunking helpers
(``rag_helpers``) and plugin commands loaded when run (``lazy_command``).

Plugin authors import from :mod:`coe_framework.plugin_api`, which re-exports what is public.
"""
