"""Rule files (the maturity rubric as data), shipped as package data."""
