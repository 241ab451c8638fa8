"""Providers (Mesa agents) and what they respond to.

Providers never ask which payment regime they are under. They see the margin that one
more unit of activity earns them (price minus marginal cost), the price their contract
puts on quality, and the surplus they expect per enrolee, and they respond to those
numbers.

* :mod:`~sim.providers.costs`: what care costs (:class:`HospitalCosts`) and the responses
  to a margin: discretionary volume, readmissions avoided, prevention spend;
* :mod:`~sim.providers.accounts`: every provider's accounts, a row each, and the
  :class:`Provider` agent that reads and writes its row;
* :mod:`~sim.providers.trusts`: acute trusts, paid by activity, and their waits;
* :mod:`~sim.providers.practices`: the fragmented default's GP practices, paid per head;
* :mod:`~sim.providers.commissioner`: the commissioner, who pays and settles every contract;
* :mod:`~sim.providers.partnerships`: integrated care partnerships (ICPs), the agents;
* :mod:`~sim.providers.partnership_table`: every ICP's plan, expectations and status, a row
  per ICP, and how ICPs learn what to expect;
* :mod:`~sim.providers.partnership_plans`: how each year's plans are worked out from the
  prices the ICPs' contracts set.
"""
