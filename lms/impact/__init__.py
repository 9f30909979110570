"""Funder screens: programmes, indicators computed with pandas, exports."""
