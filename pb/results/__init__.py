"""Results: the count, its confirmation and publication, the public results, follow-up and privacy pages."""
