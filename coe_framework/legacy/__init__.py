"""The original CoE services' dialect over CoE's own rows.

CoE replaced two earlier services (a flows backend and an analysis
pipeline). Their request and response shapes live here as pure mappings
onto CoE's store, used by the web app's original routes and by
``coe db import-legacy``; nothing here keeps data of its own.
"""
