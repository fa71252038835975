"""Quality gates: conditions on measures and on their change since a baseline.

* :mod:`.conditions`: the condition syntax (``mean_complexity <= 4``,
  ``delta(mean_complexity) <= 0``) and its validation against the declared measures;
* :mod:`.config`: conditions from ``--condition``, a ``[gate]`` table in
  ``coe.toml`` or ``[tool.coe.gate]`` in the analyzed repository's ``pyproject.toml``;
* :mod:`.evaluate`: a verdict per condition from current and baseline results;
* :mod:`.reports`: JUnit XML and SARIF for CI systems;
* :mod:`.storage`: stored gate results;
* the command is ``coe gate PATH`` (:mod:`coe_framework.cli.gate`). docs/gates.md is the user's guide.
"""
