"""Goods past the county depot: township holdings, issues to households (发放到户)."""
