"""Audit: the ballot exports, the audit bundle download and the public receipt check."""
