"""Providers (Mesa agents): hospital costs, providers' books, trusts, practices, the commissioner and integrated care partnerships."""
