"""Per-area word lists merged into relief.web.i18n."""
