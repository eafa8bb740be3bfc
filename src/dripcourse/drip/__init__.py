"""The drip sender: a ledger of every send, providers that deliver, and the run that ties them together.

Data flows down: `runner` reads the audience (`audience`), asks the `ledger` what is due, builds each message
(`compose`) and hands it to a provider (`providers`). Nothing here imports the CLI.
"""
