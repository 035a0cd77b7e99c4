"""Real-time risk control: online features, rules, a behaviour model and the decision."""
