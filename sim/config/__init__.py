"""What a run is: parameter declarations with units and sources, the scenario schema and loading, the scenario catalogue."""
