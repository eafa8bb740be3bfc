"""Local servers that speak the mailing services' protocols on 127.0.0.1, for the send (and push) tests.

Each module is one service. Every server records every request it gets, so a test can count messages and check
each request against the service's published schema (tests/contracts/).
"""
