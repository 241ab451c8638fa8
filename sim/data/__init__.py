"""Tables the model reads at start-up (age profiles, England's population); sources.md cites each."""
