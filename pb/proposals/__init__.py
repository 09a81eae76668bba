"""Proposals: residents submit, edit and follow them; everyone lists and reads them."""
