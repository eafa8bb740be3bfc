"""Providers: the services a drip can send through. Each module is one service; `registry.make_provider` picks
one."""
