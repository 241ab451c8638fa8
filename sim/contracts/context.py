"""What a rule's builder may read besides its terms, as interfaces.

Builders are handed the calibration of the baseline and a build context (the reference
population's expected counts, the national tariff, a way to build the contract a wrapper
sits on). Both are described here as protocols so that rule modules depend only on what
they read: the concrete objects (:class:`sim.patients.calibration.Calibration` and
:class:`sim.contracts.payment.RuleContext`) sit higher up, and the scenario schema can
import every rule's terms through the registry without an import cycle.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class CalibrationView(Protocol):
    """The calibration as rules read it (expected cost at national prices, GBP a head)."""

    mean_expected_cost: float
    mean_gp_cost: float
    reference: dict[str, np.ndarray]

    def age_sex_prediction(self, age: np.ndarray, sex: np.ndarray) -> np.ndarray: ...

    def full_adjustment_weight(self, r_squared: float) -> float: ...


class BuildContext(Protocol):
    """The reference population and national tariff a builder prices its terms against."""

    @property
    def conditions(self) -> np.ndarray: ...

    @property
    def expected_counts(self) -> dict[str, np.ndarray]: ...

    @property
    def planned_readmission_share(self) -> np.ndarray: ...

    @property
    def national_prices(self) -> dict[str, float]: ...

    def mean_cost(self, activities: tuple[str, ...], prices: dict[str, float]) -> float: ...

    def build_rule(self, terms: Any, scope: str, calibration: CalibrationView) -> Any: ...
