"""The local rehearsal target: one gunicorn server per model version behind nginx on loopback.

It mirrors Cloud Run: a server is a revision (named `<service>-v<version>`), nginx's
`split_clients` is the traffic split, a request header `X-AB-Tag: <tag>` plays the tag URL.
Everything it starts, writes and logs lives under `AB_RUN_DIR` (`.run/ab`, gitignored).
"""
