"""Documents and exports of stored results.

* :mod:`.stored_analysis` reads a stored analysis with its results, once;
* :mod:`.registry` holds the export formats plugins register through the
  ``coe_register_export_formats`` hook (the built-in SARIF, Markdown report and
  RAG JSONL formats among them);
* :mod:`.sarif` and :mod:`.report` render SARIF 2.1.0 and Markdown;
* :mod:`.rag` turns results into retrieval documents and stores them;
* :mod:`.documents` is the one shape of a result and of an analysis that the
  CLI's JSON, the API and the file exports share;
* :mod:`.charts` aggregates a repository analysis into the dashboard's tables;
* :mod:`.insights` builds what follows stored results (documents, search
  index, correlations through :mod:`.correlate` and :mod:`.version_drift`);
* ``coe rag``, ``coe report``, ``coe sarif``, ``coe export`` and ``coe correlate``
  are :mod:`coe_framework.cli.exports`.
"""
