"""The web UI: server-rendered pages (routes.py), their words (i18n.py), the network map
(netmap.py), templates/ and static/; screenshots.py photographs the pages for the docs."""
