"""The policy catalogue's contracts: every payment regime in the seeds as a pluggable rule.

Each contract ``kind``'s terms (the pydantic model a scenario file writes, every default with
its unit and source), payment rule and builder sit together in one module:

* :mod:`sim.contracts.rule` - the :class:`~sim.contracts.rule.PaymentRule` interface and
  year-end :class:`~sim.contracts.rule.Settlement`; :mod:`~sim.contracts.terms` - term
  pieces every kind shares; :mod:`~sim.contracts.adjustment` - risk adjusters;
* :mod:`sim.contracts.core` (tariff, capitation, blended), :mod:`~sim.contracts.block`,
  :mod:`~sim.contracts.tariffs`, :mod:`~sim.contracts.bundles`,
  :mod:`~sim.contracts.performance`, :mod:`~sim.contracts.risk`,
  :mod:`~sim.contracts.budgets` - the kinds; :mod:`~sim.contracts.base` - the wrappers
  several of them are built from;
* :mod:`sim.contracts.registry` - every kind listed once (terms and builder); the scenario
  schema's union of contract terms is read from it;
* :mod:`sim.contracts.payment` - what the model calls: ``build_rule``, ``RuleContext`` and
  ``NATIONAL_PRICES``.

This package's ``__init__`` imports nothing, and no module below :mod:`~sim.contracts.payment`
imports the scenario schema or the patients, so the schema can import the registry.
"""
