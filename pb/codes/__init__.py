"""The codes blueprint: administrators generate, list and void batches of voting codes."""
