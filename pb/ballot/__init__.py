"""The ballot blueprint: identify (identity provider, voting code or, in self-declared
rounds, one's account), build a ballot with a running total, review, cast, see the receipt."""
