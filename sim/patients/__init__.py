"""Patients: population arrays and their view, demography, epidemiology, utilisation, baseline calibration, choice and rate modifiers."""
