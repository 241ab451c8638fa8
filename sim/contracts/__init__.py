"""The policy catalogue's contracts: every payment regime in the seeds as a pluggable rule.

* :mod:`sim.contracts.terms` - the scenario-file terms of each contract ``kind``
  (pydantic models, every default with its unit and source);
* :mod:`sim.contracts.block`, :mod:`~sim.contracts.tariffs`, :mod:`~sim.contracts.bundles`,
  :mod:`~sim.contracts.performance`, :mod:`~sim.contracts.risk`,
  :mod:`~sim.contracts.budgets` - the payment rules, each registering its builder in
  :data:`sim.contracts.payment.BUILDERS`;
* :mod:`sim.contracts.catalogue` - imports them all (``sim.contracts.payment.build_rule`` loads it).

This package's ``__init__`` imports nothing, so the scenario schema can read the terms
without pulling in the rules (which import the schema).
"""
